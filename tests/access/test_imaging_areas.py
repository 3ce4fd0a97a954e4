"""Imaging opportunities of areas against a brute-force scan over densely sampled points,
and the covered part of each opportunity."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import shapely
from imaging_reference import Scene, ground_points, reference_windows
from imaging_satellites import satellites

from spacepool.access.areas import AreaTarget, densify_lonlat, parse_geojson
from spacepool.access.imaging import (
    Opportunity,
    find_opportunities,
    geocentric_nadir_deg,
    opportunities_geojson,
)
from spacepool.orbits.propagate import Propagator
from spacepool.orbits.timebase import TimeBase

START = datetime(2026, 5, 31, tzinfo=UTC)
HALF_DAY_S = 43200.0
# The reference samples the boundary every 2 km: its windows may start later and end
# earlier than the exact ones by the time the footprint edge takes to cover the gap
# between two samples (well under this).
SAMPLING_S = 0.05
FIVE_MILLISECONDS_S = 5e-3
ONE_HUNDREDTH_DEG = 0.01


def box(lon0: float, lat0: float, lon1: float, lat1: float, name: str) -> AreaTarget:
    ring = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]
    return parse_geojson({"type": "Polygon", "coordinates": [ring]}, name=name)[0]


def dense_points(area: AreaTarget, boundary_km: float, interior_km: float):  # type: ignore[no-untyped-def]
    rings = [densify_lonlat(r, boundary_km) for r in area.boundary_rings(boundary_km)]
    boundary = np.concatenate(rings, axis=1)
    lat, lon = area.sample_points(interior_km)
    return ground_points(np.r_[boundary[1], lat], np.r_[boundary[0], lon])


def check_never_misses(area: AreaTarget, sats, limit_deg: float, hours: float = 12.0) -> int:  # type: ignore[no-untyped-def]
    """Every brute-force window is inside one engine window (to the sampling), and every
    engine window holds one brute-force window. Returns the number of windows."""
    duration = hours * 3600.0
    end = START + timedelta(seconds=duration)
    result = find_opportunities(sats, [area], START, end, max_off_nadir_deg=limit_deg)
    points = dense_points(area, 2.0, 10.0)
    total = 0
    for element in sats:
        scene = Scene(element.line1, element.line2, START, points, limit_deg)
        ref = reference_windows(scene, duration)
        mine = [o for o in result if o.norad_id == element.norad_id]
        assert len(mine) == len(ref)
        for o, r in zip(mine, ref, strict=True):
            start_s = (o.start - START).total_seconds()
            end_s = (o.end - START).total_seconds()
            assert start_s <= r.start_s + FIVE_MILLISECONDS_S  # never later than any point
            assert end_s >= r.end_s - FIVE_MILLISECONDS_S
            assert start_s >= r.start_s - SAMPLING_S
            assert end_s <= r.end_s + SAMPLING_S
            if o.min_off_nadir_deg > 0.0:  # nearest point on the boundary
                assert abs(o.min_off_nadir_deg - r.min_off_nadir_deg) <= ONE_HUNDREDTH_DEG
            else:  # nadir over the area: the nearest sample is within the grid spacing
                assert r.min_off_nadir_deg <= math.degrees(math.atan(10.0 / 700.0))
        total += len(ref)
    return total


def test_box_windows_never_miss_what_a_dense_brute_force_finds() -> None:
    sats = satellites()
    area = box(10.0, 60.0, 12.0, 61.0, "Oslo region")
    total = check_never_misses(area, [sats["OPTICAL-SSO"], sats["AGILE-SSO"]], 35.0, hours=48)
    assert total >= 4


def test_concave_area_with_a_hole_never_misses() -> None:
    (area,) = parse_geojson(
        {
            "type": "Polygon",
            "coordinates": [
                [[20, 64], [22, 64], [22, 65.5], [21, 65.5], [21, 64.6], [20, 64.6], [20, 64]],
                [[21.2, 64.2], [21.8, 64.2], [21.8, 65.0], [21.2, 65.0], [21.2, 64.2]],
            ],
        },
        name="lake",
    )
    sats = satellites()
    total = check_never_misses(area, [sats["AGILE-SSO"], sats["OPTICAL-SSO"]], 30.0, hours=48)
    assert total >= 4


def test_box_across_the_antimeridian_works_like_any_other() -> None:
    area = box(179.0, -61.0, -179.0, -60.0, "Southern Ocean")
    assert area.geometry.bounds == pytest.approx((179.0, -61.0, 181.0, -60.0))
    sats = satellites()
    total = check_never_misses(area, [sats["AGILE-SSO"], sats["OPTICAL-SSO"]], 35.0, hours=48)
    assert total >= 4


def test_area_around_the_north_pole_works() -> None:
    ring = [[0, 87.5], [90, 87.5], [180, 87.5], [-90, 87.5], [0, 87.5]]
    (area,) = parse_geojson({"type": "Polygon", "coordinates": [ring]}, name="pole")
    sats = satellites()
    total = check_never_misses(area, [sats["AGILE-SSO"]], 45.0, hours=6)
    assert total >= 3


# --- covered part ---------------------------------------------------------------------------


def _nadir_at(element, when: datetime) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    tb = TimeBase.around(when, when)
    r, _, _ = Propagator([element], tb).at(np.array([0]), np.array([0.0]))
    lat, lon = geocentric_nadir_deg(r)
    return float(lat[0]), float(lon[0])


def test_a_small_area_under_the_track_is_covered_whole() -> None:
    sat = satellites()["OPTICAL-SSO"]
    end = START + timedelta(days=1)
    probe = box(9.5, 59.5, 10.5, 60.5, "probe")
    first = find_opportunities([sat], [probe], START, end, max_off_nadir_deg=45.0).opportunities[0]
    lat, lon = _nadir_at(sat, first.best_time)
    small = box(lon - 0.02, lat - 0.02, lon + 0.02, lat + 0.02, "field")  # ~4 km
    for kwargs in ({"swath_km": 290.0}, {"max_off_nadir_deg": 20.0}):
        found = find_opportunities([sat], [small], START, end, **kwargs)
        o = next(x for x in found if abs((x.best_time - first.best_time).total_seconds()) < 60)
        assert o.min_off_nadir_deg == 0.0
        assert o.covered_fraction == pytest.approx(1.0, abs=1e-6)
        assert o.covered is not None
        difference = shapely.symmetric_difference(o.covered, small.geometry).area
        assert difference <= 1e-6 * small.geometry.area


def test_covered_parts_lie_inside_the_area_and_match_their_fraction() -> None:
    sats = satellites()
    area = box(5.0, 58.0, 15.0, 62.0, "south Scandinavia")
    end = START + timedelta(days=1)
    result = find_opportunities([sats["OPTICAL-SSO"], sats["AGILE-SSO"]], [area], START, end,
                                max_off_nadir_deg=25.0)  # fmt: skip
    assert len(result) >= 3
    partial = 0
    for o in result:
        assert o.covered is not None and o.covered_fraction is not None
        outside = shapely.difference(o.covered, area.geometry).area
        assert outside <= 1e-6 * area.geometry.area
        assert 0.0 < o.covered_fraction <= 1.0
        plane_fraction = area.to_plane(o.covered).area / area.area_km2
        assert o.covered_fraction == pytest.approx(plane_fraction, abs=1e-3)
        partial += o.covered_fraction < 0.99
    assert partial >= 1


def test_a_push_broom_strip_is_the_swath_wide() -> None:
    """Area of the covered strip / length of the track across the area = the swath."""
    sat = satellites()["OPTICAL-SSO"]
    area = box(0.0, 55.0, 12.0, 62.0, "big")
    end = START + timedelta(days=1)
    swath_km = 100.0
    found = find_opportunities([sat], [area], START, end, swath_km=swath_km)
    crossing = next(o for o in found if o.min_off_nadir_deg == 0.0)
    # Track length inside the area, from nadir points one second apart.
    steps = int(crossing.duration_s)
    times = [crossing.start + timedelta(seconds=k) for k in range(steps + 1)]
    nadir = np.array([_nadir_at(sat, t) for t in times])
    inside = area.contains(nadir[:, 1], nadir[:, 0])
    lat, lon = np.radians(nadir[inside, 0]), np.radians(nadir[inside, 1])
    cos_step = (np.sin(lat[:-1]) * np.sin(lat[1:])
                + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.cos(np.diff(lon)))  # fmt: skip
    length_km = 6371.0088 * np.sum(np.arccos(np.clip(cos_step, -1, 1)))
    assert crossing.covered is not None
    strip_km2 = area.to_plane(crossing.covered).area
    # The swath is fixed as an angle at the mean altitude: the ground width follows the
    # actual altitude (within 1 %), and the strip's ends are cut by the area's edges.
    assert strip_km2 / length_km == pytest.approx(swath_km, rel=0.03)


def test_geojson_output_has_the_covered_parts_cut_at_the_antimeridian() -> None:
    sats = satellites()
    area = box(179.0, -61.0, -179.0, -60.0, "Southern Ocean")
    end = START + timedelta(days=1)
    result = find_opportunities([sats["AGILE-SSO"], sats["OPTICAL-SSO"]], [area], START, end,
                                max_off_nadir_deg=35.0)  # fmt: skip
    collection = opportunities_geojson(result.opportunities, [area])
    assert len(collection["features"]) == len(result) >= 1
    for feature, o in zip(collection["features"], result, strict=True):
        assert feature["properties"] == o.to_dict()
        assert "covered_fraction" in feature["properties"]
        geom = shapely.geometry.shape(feature["geometry"])
        assert geom.bounds[0] >= -180.0 and geom.bounds[2] <= 180.0
        assert geom.area == pytest.approx(shapely.area(o.covered), rel=1e-9)


def test_no_covered_geometry_when_not_asked() -> None:
    area = box(10.0, 60.0, 12.0, 61.0, "Oslo region")
    sats = satellites()
    end = START + timedelta(days=1)
    result = find_opportunities([sats["AGILE-SSO"]], [area], START, end, max_off_nadir_deg=35.0,
                                covered_geometry=False)  # fmt: skip
    assert len(result) >= 1
    assert all(isinstance(o, Opportunity) and o.covered is None for o in result)
    assert all(o.covered_fraction is None for o in result)


def test_an_archipelago_never_misses_a_grazed_island() -> None:
    """Two islands 100 km apart: the footprint may graze one while passing the other
    within one grid step, so the area's function rises and falls twice in a step."""
    islands = {
        "type": "MultiPolygon",
        "coordinates": [
            [[[14.0, 68.0], [14.3, 68.0], [14.3, 68.15], [14.0, 68.15], [14.0, 68.0]]],
            [[[16.3, 68.4], [16.6, 68.4], [16.6, 68.55], [16.3, 68.55], [16.3, 68.4]]],
        ],
    }
    (area,) = parse_geojson(islands, name="islands")
    sats = satellites()
    total = check_never_misses(area, [sats["AGILE-SSO"], sats["OPTICAL-SSO"]], 25.0, hours=48)
    assert total >= 4
