"""Areas of interest from GeoJSON: reading rules, normalisation and bad inputs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from spacepool.access.areas import (
    EARTH_MEAN_RADIUS_KM,
    AreaTarget,
    PointTarget,
    densify_lonlat,
    laea_forward,
    laea_inverse,
    load_aoi,
    parse_geojson,
    parse_point,
    split_antimeridian,
    unit_vectors,
)
from spacepool.errors import GeoJSONError, GeometryError

ONE_METRE_KM = 1e-3


def polygon(*rings: list[list[float]]) -> dict:  # type: ignore[type-arg]
    return {"type": "Polygon", "coordinates": [list(r) for r in rings]}


BOX = polygon([[10, 45], [11, 45], [11, 46], [10, 46], [10, 45]])


def test_a_feature_collection_gives_one_named_area_per_feature() -> None:
    data = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": "Po delta"}, "geometry": BOX},
            {"type": "Feature", "id": "f2", "properties": {}, "geometry": BOX},
            {"type": "Feature", "properties": None, "geometry": BOX},
        ],
    }
    areas = parse_geojson(json.dumps(data), name="floods")
    assert [a.name for a in areas] == ["Po delta", "f2", "floods-3"]
    assert all(a.geometry.equals(shape(BOX)) for a in areas)


def test_aoi_file_named_by_its_stem(tmp_path: Path) -> None:
    path = tmp_path / "alps.geojson"
    path.write_text(json.dumps(BOX), encoding="utf-8")
    (area,) = load_aoi(path)
    assert area.name == "alps" and area.source == "alps.geojson"
    assert area.area_km2 == pytest.approx(_spherical_box_km2(10, 11, 45, 46), rel=1e-3)


def _spherical_box_km2(lon0: float, lon1: float, lat0: float, lat1: float) -> float:
    """Area of a lon/lat box on the mean sphere: R^2 dlon (sin lat1 - sin lat0)."""
    return (
        EARTH_MEAN_RADIUS_KM**2
        * math.radians(lon1 - lon0)
        * (math.sin(math.radians(lat1)) - math.sin(math.radians(lat0)))
    )


def test_box_across_the_antimeridian_is_the_narrow_box_not_the_band_around_the_earth() -> None:
    (area,) = parse_geojson(polygon([[170, -10], [-170, -10], [-170, 10], [170, 10], [170, -10]]))
    assert area.geometry.bounds == (170.0, -10.0, 190.0, 10.0)
    inside = area.contains(np.array([175.0, -175.0, 179.9, 0.0, 160.0]),
                           np.array([0.0, 0.0, 5.0, 0.0, 0.0]))  # fmt: skip
    assert inside.tolist() == [True, True, True, False, False]
    assert area.area_km2 == pytest.approx(_spherical_box_km2(170, 190, -10, 10), rel=1e-3)
    out = area.to_geojson_geometry()
    assert out["type"] == "MultiPolygon"
    assert shape(out).bounds == (-180.0, -10.0, 180.0, 10.0)
    assert shape(out).area == pytest.approx(400.0)


def test_the_rfc_7946_cut_form_of_the_same_box_is_the_same_area() -> None:
    cut = {
        "type": "MultiPolygon",
        "coordinates": [
            [[[170, -10], [180, -10], [180, 10], [170, 10], [170, -10]]],
            [[[-180, -10], [-170, -10], [-170, 10], [-180, 10], [-180, -10]]],
        ],
    }
    (joined,) = parse_geojson(polygon([[170, -10], [-170, -10], [-170, 10], [170, 10], [170, -10]]))
    (area,) = parse_geojson(cut)
    assert area.area_km2 == pytest.approx(joined.area_km2, rel=1e-6)
    lon = np.array([175.0, -175.0, 0.0])
    assert area.contains(lon, np.zeros(3)).tolist() == joined.contains(lon, np.zeros(3)).tolist()


@pytest.mark.parametrize(
    ("ring", "reason"),
    [
        ([[-180, 80], [180, 80], [180, 90], [-180, 90], [-180, 80]], "planar cap form"),
        ([[0, 80], [90, 80], [180, 80], [-90, 80], [0, 80]], "ring winding round the pole"),
        ([[0, 80], [-90, 80], [180, 80], [90, 80], [0, 80]], "same ring, the other way round"),
    ],
)
def test_areas_around_the_north_pole_are_the_polar_cap(ring, reason) -> None:  # type: ignore[no-untyped-def]
    (area,) = parse_geojson(polygon(ring))
    cap_km2 = 2 * math.pi * EARTH_MEAN_RADIUS_KM**2 * (1 - math.sin(math.radians(80)))
    assert area.area_km2 == pytest.approx(cap_km2, rel=1e-4)
    assert area.contains(np.array([0.0, 120.0, -170.0]), np.array([89.9, 85.0, 80.5])).all()
    assert not area.contains(np.array([0.0]), np.array([79.0])).any()
    assert area.centre_deg[0] > 88.0


def test_a_ring_round_the_south_pole_is_the_southern_cap() -> None:
    (area,) = parse_geojson(polygon([[-60, -75], [60, -75], [180, -75], [-60, -75]]))
    assert area.contains(np.array([33.0]), np.array([-89.0])).all()
    assert not area.contains(np.array([33.0]), np.array([-70.0])).any()


def test_holes_are_kept_and_excluded() -> None:
    (area,) = parse_geojson(polygon([[0, 0], [6, 0], [6, 6], [0, 6], [0, 0]],
                                    [[1, 1], [5, 1], [5, 5], [1, 5], [1, 1]]))  # fmt: skip
    assert area.contains(np.array([0.5, 3.0]), np.array([0.5, 3.0])).tolist() == [True, False]
    assert len(area.boundary_rings()) == 2


def test_sample_points_are_inside_and_about_a_spacing_apart() -> None:
    (area,) = parse_geojson(BOX)
    lat, lon = area.sample_points(10.0)
    assert area.contains(lon, lat).all()
    expected = area.area_km2 / 100.0
    assert abs(lat.size - expected) / expected < 0.1
    tiny = parse_geojson(polygon([[10, 45], [10.01, 45], [10.01, 45.01], [10, 45.01], [10, 45]]))
    lat, lon = tiny[0].sample_points(10.0)
    assert lat.size == 1 and tiny[0].contains(lon, lat).all()


def test_equal_area_projection_round_trips() -> None:
    rng = np.random.default_rng(1)
    lat = rng.uniform(-89, 89, 200)
    lon = rng.uniform(-180, 180, 200)
    xy = laea_forward(lat, lon, 60.0, -30.0)
    back = laea_inverse(xy, 60.0, -30.0)
    dlon = (back[0] - lon + 180.0) % 360.0 - 180.0
    # Precision is lost only next to the antipode of the centre, where the projection
    # is singular (4e-8 deg at 0.4 deg from it).
    cos_c = laea_forward(lat, lon, 60.0, -30.0)  # reuse for the distance from the centre
    distance_km = np.hypot(cos_c[0], cos_c[1])
    far = distance_km > 1.99 * EARTH_MEAN_RADIUS_KM
    assert np.max(np.abs(back[1] - lat)[~far]) < 1e-9
    assert np.max(np.abs(dlon * np.cos(np.radians(lat)))[~far]) < 1e-9
    assert np.max(np.abs(back[1] - lat)) < 1e-6


def test_densified_chords_stay_within_a_metre_of_the_lon_lat_edges() -> None:
    ring = np.array([[-180.0, 180.0, 180.0, -180.0, -180.0], [84.0, 84.0, 90.0, 90.0, 84.0]])
    dense = densify_lonlat(ring, 10.0)
    # Check the midpoint of every piece along the 84 deg circle against the circle.
    on_circle = (dense[1][:-1] == 84.0) & (dense[1][1:] == 84.0)
    a = unit_vectors(dense[1][:-1][on_circle], dense[0][:-1][on_circle])
    b = unit_vectors(dense[1][1:][on_circle], dense[0][1:][on_circle])
    mid = a + b
    mid /= np.linalg.norm(mid, axis=0)
    true_mid = unit_vectors(np.full(mid.shape[1], 84.0),
                            (dense[0][:-1][on_circle] + dense[0][1:][on_circle]) / 2)  # fmt: skip
    sideways = np.linalg.norm(mid - true_mid, axis=0) * EARTH_MEAN_RADIUS_KM
    assert sideways.max() < ONE_METRE_KM
    steps = np.linalg.norm(b - a, axis=0) * EARTH_MEAN_RADIUS_KM
    assert steps.max() <= 10.0


def test_split_antimeridian_keeps_area_and_range() -> None:
    geom = shapely.box(170.0, 0.0, 200.0, 5.0)
    out = split_antimeridian(geom)
    assert out.area == pytest.approx(geom.area)
    assert out.bounds[0] >= -180.0 and out.bounds[2] <= 180.0


def test_from_geometry_applies_the_same_rules() -> None:
    area = AreaTarget.from_geometry("box", shapely.box(-5.0, 40.0, 5.0, 50.0))
    assert area.name == "box" and area.geometry.equals(shapely.box(-5.0, 40.0, 5.0, 50.0))


def test_points_parse_and_check_their_range() -> None:
    assert parse_point(" 48.85 , 2.35 ") == PointTarget("48.85,2.35", 48.85, 2.35)
    with pytest.raises(GeometryError) as caught:
        parse_point("48.85;2.35")
    assert str(caught.value) == (
        "target: expected LAT,LON in degrees (e.g. 48.85,2.35), found '48.85;2.35'"
    )
    with pytest.raises(GeometryError) as caught:
        PointTarget("x", 91.0, 0.0)
    assert str(caught.value) == "target 'x': latitude must be between -90 and 90 degrees, found 91"
    assert PointTarget.from_dict(PointTarget("p", 1.0, 2.0, 3.0).to_dict()) == PointTarget(
        "p", 1.0, 2.0, 3.0
    )


# --- bad inputs ------------------------------------------------------------------------------

BAD_GEOJSON = [
    # (document, whole message, reason)
    (
        polygon([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]),
        "aoi.geojson: coordinates: invalid polygon: Self-intersection[0.5 0.5]; fix the rings "
        "so that their edges do not cross",
        "bow tie: the ring crosses itself",
    ),
    (
        polygon([[11.13, 44.21], [12.37, 44.93], [12.37, 44.21], [11.13, 44.93], [11.13, 44.21]]),
        "aoi.geojson: coordinates: invalid polygon: Self-intersection[11.75 44.57]; fix the "
        "rings so that their edges do not cross",
        "bow tie with decimal longitudes: no antimeridian note from rounding noise",
    ),
    (
        polygon([[0, 0], [1, 0], [1, 1], [0, 1]]),
        "aoi.geojson: coordinates[0]: ring is not closed: the first position [0, 0] differs "
        "from the last [0, 1]; repeat the first position at the end (RFC 7946 section 3.1.6)",
        "unclosed ring",
    ),
    (
        polygon([[0, 0], [1, 0], [0, 0]]),
        "aoi.geojson: coordinates[0]: a ring needs at least 4 positions (the last repeating "
        "the first), found 3 (RFC 7946 section 3.1.6)",
        "too few positions",
    ),
    (
        polygon([[0, 0], [1, 0], [1, 91], [0, 0]]),
        "aoi.geojson: coordinates[0][2]: latitude must be between -90 and 90 degrees, found 91 "
        "(positions are [longitude, latitude], RFC 7946 section 3.1.1)",
        "latitude out of range",
    ),
    (
        polygon([[0, 0], [181, 0], [1, 1], [0, 0]]),
        "aoi.geojson: coordinates[0][1]: longitude must be between -180 and 180 degrees, "
        "found 181 (positions are [longitude, latitude], RFC 7946 section 3.1.1)",
        "longitude out of range",
    ),
    (
        polygon([[0, 0], [1, "0"], [1, 1], [0, 0]]),
        'aoi.geojson: coordinates[0][1]: expected a position [longitude, latitude] of numbers, '
        'found [1, "0"]',
        "a coordinate given as text",
    ),
    (
        {"type": "Polygon", "coordinates": []},
        "aoi.geojson: coordinates: empty geometry: expected a non-empty list of rings, found an "
        "empty list",
        "empty geometry",
    ),
    (
        {"type": "MultiPolygon", "coordinates": [[]]},
        "aoi.geojson: coordinates[0]: empty polygon: expected a non-empty list of rings, found "
        "an empty list",
        "empty polygon inside a multipolygon",
    ),
    (
        {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
        "aoi.geojson: type: expected a Polygon, MultiPolygon, Feature or FeatureCollection, "
        "found 'LineString'",
        "wrong GeoJSON type: a line has no area",
    ),
    (
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [0, 0]}},
        "aoi.geojson: geometry.type: expected a Polygon or MultiPolygon geometry, found 'Point'",
        "wrong geometry type inside a feature",
    ),
    (
        {"type": "FeatureCollection", "features": []},
        "aoi.geojson: features: expected a non-empty list of features, found an empty list",
        "no features",
    ),
    (
        {"type": "Feature", "properties": {}, "geometry": None},
        "aoi.geojson: geometry: the feature has no geometry (null); give a Polygon or "
        "MultiPolygon",
        "feature without geometry",
    ),
    (
        {"coordinates": []},
        "aoi.geojson: type: expected a Polygon, MultiPolygon, Feature or FeatureCollection, "
        "found nothing (null or missing)",
        "no type at all",
    ),
    (
        '{"type": "Polygon",',
        "aoi.geojson: line 1, column 20: not valid JSON: Expecting property name enclosed in "
        "double quotes",
        "truncated file",
    ),
    (
        polygon([[0, 0], [1, 0], [2, 0], [0, 0]]),
        "aoi.geojson: coordinates: invalid polygon: Self-intersection[1 0]; fix the rings so "
        "that their edges do not cross",
        "collinear ring: no area",
    ),
    (
        polygon([[0, -10], [120, 10], [-120, 10], [0, -10]]),
        "aoi.geojson: coordinates[0]: the ring encircles a pole but has latitudes on both "
        "sides of the equator, so which pole it encloses is ambiguous; split the area at the "
        "equator",
        "ring round the Earth across the equator",
    ),
    (
        polygon([[-180, 60], [180, 60], [180, 90], [-180, 90], [-180, 60]],
                [[0, 70], [120, 70], [-120, 70], [0, 70]]),
        "aoi.geojson: coordinates[1]: a hole may not encircle a pole; describe the area "
        "around the pole with its outer ring",
        "hole round the pole",
    ),
    (
        polygon([[170, -10], [-170, 10], [-170, -10], [170, 10], [170, -10]]),
        "aoi.geojson: coordinates: invalid polygon: Self-intersection[180 0] (after "
        "unwrapping longitudes across the antimeridian); fix the rings so that their edges do "
        "not cross",
        "self-intersection across the antimeridian names the unwrapped position",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("document", "message", "reason"), BAD_GEOJSON,
                         ids=[b[2] for b in BAD_GEOJSON])  # fmt: skip
def test_bad_geojson_is_rejected_naming_the_place_and_the_reason(document, message, reason):  # type: ignore[no-untyped-def]
    with pytest.raises(GeoJSONError) as caught:
        parse_geojson(document, source="aoi.geojson")
    assert str(caught.value) == message
    assert caught.value.source == "aoi.geojson"
    assert caught.value.reason in message


def test_self_intersection_reason_is_shapely_explain_validity() -> None:
    from shapely.validation import explain_validity

    bow_tie = [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]
    with pytest.raises(GeoJSONError) as caught:
        parse_geojson(polygon(bow_tie))
    assert explain_validity(shapely.Polygon(bow_tie)) in caught.value.reason


def test_unreadable_file_is_a_geojson_error(tmp_path: Path) -> None:
    with pytest.raises(GeoJSONError) as caught:
        load_aoi(tmp_path / "missing.geojson")
    assert str(caught.value) == (
        f"{tmp_path / 'missing.geojson'}: cannot read the file: No such file or directory"
    )
