"""Imaging opportunities of point targets against an independent 1-second brute force."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from imaging_reference import Scene, ground_points, load_de421, reference_windows
from imaging_satellites import satellites

from spacepool.access import imaging as imaging_module
from spacepool.access.areas import PointTarget
from spacepool.access.contacts import find_contacts
from spacepool.access.geometry import Site
from spacepool.access.imaging import (
    Opportunity,
    Sensor,
    find_opportunities,
    look_geometry,
    mean_altitude_km,
    opportunities_csv,
    opportunities_geojson,
)
from spacepool.errors import GeometryError, TimeRangeError
from spacepool.orbits.propagate import Propagator

START = datetime(2026, 5, 31, tzinfo=UTC)
HALF_DAY_S = 43200.0

FIVE_MILLISECONDS_S = 5e-3  # reference refined to 1 ms, engine to 0.1 ms
ONE_HUNDREDTH_DEG = 0.01
SUN_MODEL_DEG = 0.01  # geometric vs apparent (aberration 0.006 deg) Sun direction

TARGETS = (
    PointTarget("Toulouse", 43.60, 1.44),
    PointTarget("Nairobi", -1.29, 36.82),
    PointTarget("Svalbard", 78.23, 15.39, 500.0),
    PointTarget("Santiago", -33.45, -70.67, 570.0),
    PointTarget("Fiji", -17.7, 178.0),
    PointTarget("Houston", 29.76, -95.37),
)


def _by_pair(result, element, target):  # type: ignore[no-untyped-def]
    return [o for o in result if o.norad_id == element.norad_id and o.target == target.name]


def _seconds(when: datetime, start: datetime = START) -> float:
    return (when - start).total_seconds()


def _compare(mine: list[Opportunity], ref, start: datetime = START) -> None:  # type: ignore[no-untyped-def]
    assert len(mine) == len(ref), (
        [(o.start, o.end) for o in mine],
        [(start + timedelta(seconds=r.start_s), start + timedelta(seconds=r.end_s)) for r in ref],
    )
    for o, r in zip(mine, ref, strict=True):
        assert abs(_seconds(o.start, start) - r.start_s) <= FIVE_MILLISECONDS_S
        assert abs(_seconds(o.end, start) - r.end_s) <= FIVE_MILLISECONDS_S
        assert abs(o.min_off_nadir_deg - r.min_off_nadir_deg) <= ONE_HUNDREDTH_DEG


@pytest.mark.parametrize(("limit_deg", "at_least"), [(10.0, 1), (30.0, 8), (55.0, 15)])
def test_point_windows_match_a_one_second_brute_force_scan(limit_deg: float, at_least: int) -> None:
    sats = satellites()
    chosen = [sats["OPTICAL-SSO"], sats["AGILE-SSO"], sats["LOW-INCL"]]
    end = START + timedelta(seconds=HALF_DAY_S)
    result = find_opportunities(chosen, TARGETS, START, end, max_off_nadir_deg=limit_deg)
    total = 0
    for element in chosen:
        for target in TARGETS:
            points = ground_points(target.latitude_deg, target.longitude_deg, target.altitude_m)
            scene = Scene(element.line1, element.line2, START, points, limit_deg)
            ref = reference_windows(scene, HALF_DAY_S)
            _compare(_by_pair(result, element, target), ref)
            total += len(ref)
    assert total >= at_least  # the comparison covered real windows


def test_windows_are_sorted_by_start_and_carry_the_contract_fields() -> None:
    sats = satellites()
    end = START + timedelta(seconds=HALF_DAY_S)
    result = find_opportunities(list(sats.values())[:3], TARGETS, START, end, max_off_nadir_deg=30)
    starts = [o.start for o in result]
    assert starts == sorted(starts) and len(starts) > 5
    for o in result:
        assert o.start <= o.best_time <= o.end
        assert 0.0 <= o.min_off_nadir_deg <= 30.0
        assert -90.0 <= o.sun_elevation_deg <= 90.0
        assert o.covered_fraction is None and o.covered is None


def test_grazing_windows_shorter_than_a_second_are_found() -> None:
    """Limits a hair above a pass's smallest off-nadir angle give windows of a fraction
    of a second; the event search must still find them (its hidden-maximum screen)."""
    sat = satellites()["AGILE-SSO"]
    end = START + timedelta(seconds=HALF_DAY_S)
    wide = find_opportunities([sat], TARGETS, START, end, max_off_nadir_deg=45.0)
    passes = [o for o in wide if 1.0 < o.min_off_nadir_deg < 44.0][:6]
    assert len(passes) >= 3
    for o in passes:
        limit = o.min_off_nadir_deg + 1e-4
        target = next(t for t in TARGETS if t.name == o.target)
        found = find_opportunities([sat], [target], START, end, max_off_nadir_deg=limit)
        near = [x for x in found if abs(_seconds(x.best_time, o.best_time)) < 60.0]
        assert len(near) == 1
        assert near[0].duration_s < 1.0
        around = o.best_time - timedelta(seconds=300)
        points = ground_points(target.latitude_deg, target.longitude_deg, target.altitude_m)
        ref = reference_windows(Scene(sat.line1, sat.line2, around, points, limit), 600.0)
        _compare(near, ref, around)


def test_a_limit_beyond_the_horizon_gives_the_visibility_windows_of_a_contact_search() -> None:
    """At 80 deg off-nadir a low satellite sees everything above the target's horizon:
    windows are exactly the passes above 0 deg elevation found by the contact search."""
    sat = satellites()["LOW-INCL"]
    end = START + timedelta(seconds=HALF_DAY_S)
    targets = [TARGETS[0], TARGETS[3]]
    result = find_opportunities([sat], targets, START, end, max_off_nadir_deg=80.0)
    for target in targets:
        site = Site(target.name, target.latitude_deg, target.longitude_deg, target.altitude_m)
        passes = find_contacts([sat], [site], START, end, min_elevation_deg=0.0).contacts
        mine = _by_pair(result, sat, target)
        assert len(mine) == len(passes) > 0
        for o, c in zip(mine, passes, strict=True):
            assert abs(_seconds(o.start, c.aos)) <= FIVE_MILLISECONDS_S
            assert abs(_seconds(o.end, c.los)) <= FIVE_MILLISECONDS_S
        points = ground_points(target.latitude_deg, target.longitude_deg, target.altitude_m)
        ref = reference_windows(Scene(sat.line1, sat.line2, START, points, 80.0), HALF_DAY_S)
        _compare(mine, ref)


def test_molniya_windows_match_the_brute_force_scan() -> None:
    sat = satellites()["MOLNIYA-X"]
    end = START + timedelta(days=1)
    targets = [TARGETS[2], TARGETS[0]]
    result = find_opportunities([sat], targets, START, end, max_off_nadir_deg=6.0)
    total = 0
    for target in targets:
        points = ground_points(target.latitude_deg, target.longitude_deg, target.altitude_m)
        ref = reference_windows(Scene(sat.line1, sat.line2, START, points, 6.0), 86400.0)
        _compare(_by_pair(result, sat, target), ref)
        total += len(ref)
    assert total >= 2


def test_side_looking_sensor_skips_the_cone_around_nadir() -> None:
    sat = satellites()["OPTICAL-SSO"]
    end = START + timedelta(seconds=HALF_DAY_S)
    sensor = Sensor(max_off_nadir_deg=40.0, min_off_nadir_deg=20.0, name="sar")
    result = find_opportunities([sat], TARGETS, START, end, sensors=[[sensor]])
    total = 0
    for target in TARGETS:
        points = ground_points(target.latitude_deg, target.longitude_deg, target.altitude_m)
        scene = Scene(sat.line1, sat.line2, START, points, 40.0, min_off_nadir_deg=20.0)
        ref = reference_windows(scene, HALF_DAY_S)
        mine = _by_pair(result, sat, target)
        assert len(mine) == len(ref)
        for o, r in zip(mine, ref, strict=True):
            assert abs(_seconds(o.start) - r.start_s) <= FIVE_MILLISECONDS_S
            assert abs(_seconds(o.end) - r.end_s) <= FIVE_MILLISECONDS_S
            assert 20.0 - 1e-6 <= o.min_off_nadir_deg <= 40.0
            assert o.instrument == "sar"
        total += len(ref)
    assert total >= 4


# --- swath ------------------------------------------------------------------------------


def test_swath_is_the_off_nadir_half_angle_at_the_mean_altitude() -> None:
    sat = satellites()["OPTICAL-SSO"]
    altitude = mean_altitude_km(sat)
    assert 690.0 < altitude < 720.0
    half = Sensor(swath_km=290.0).half_angle_deg(sat)
    assert half == pytest.approx(look_geometry(altitude, ground_range_km=145.0).off_nadir_deg)
    end = START + timedelta(seconds=HALF_DAY_S)
    by_swath = find_opportunities([sat], TARGETS, START, end, swath_km=290.0)
    by_angle = find_opportunities([sat], TARGETS, START, end, max_off_nadir_deg=half)
    assert [o.to_dict() for o in by_swath] == [o.to_dict() for o in by_angle]


def test_a_target_is_in_the_swath_when_its_track_distance_is_within_half_the_swath() -> None:
    """The push-broom condition: a window exists exactly when the target's distance
    from the ground track (at closest approach, on the sphere) is at most W / 2."""
    sat = satellites()["OPTICAL-SSO"]
    end = START + timedelta(days=1)
    swath_km = 600.0
    wide = find_opportunities([sat], TARGETS, START, end, max_off_nadir_deg=50.0)
    narrow = find_opportunities([sat], TARGETS, START, end, swath_km=swath_km)
    tested = 0
    for o in wide:
        target = next(t for t in TARGETS if t.name == o.target)
        distance = _track_distance_km(sat, target, o.best_time)
        if abs(distance - swath_km / 2.0) < 10.0:
            continue  # the spherical and WGS84 pictures differ by a few km
        hit = [x for x in narrow if x.target == o.target and x.start <= o.best_time <= x.end]
        assert bool(hit) == (distance < swath_km / 2.0), (o.to_dict(), distance)
        tested += 1
    assert tested >= 6


def _track_distance_km(sat, target, when: datetime) -> float:  # type: ignore[no-untyped-def]
    """Great-circle distance between the target and the sub-satellite point at ``when``."""
    from spacepool.orbits.frames import itrs_to_geodetic
    from spacepool.orbits.timebase import TimeBase

    tb = TimeBase.around(when, when)
    r, _, _ = Propagator([sat], tb).at(np.array([0]), np.array([0.0]))
    lat, lon, _ = itrs_to_geodetic(r)
    a, b = math.radians(float(lat[0])), math.radians(target.latitude_deg)
    dlon = math.radians(target.longitude_deg - float(lon[0]))
    c = math.sin(a) * math.sin(b) + math.cos(a) * math.cos(b) * math.cos(dlon)
    return 6378.137 * math.acos(max(-1.0, min(1.0, c)))


# --- the Sun ------------------------------------------------------------------------------


def test_optical_sensor_over_polar_night_has_no_opportunity() -> None:
    """Late May at 80 S the Sun never rises: passes exist, optical opportunities do not."""
    sat = satellites()["OPTICAL-SSO"]
    end = START + timedelta(seconds=HALF_DAY_S)
    dark = [PointTarget("Antarctica", -80.0, 0.0)]
    anytime = find_opportunities([sat], dark, START, end, max_off_nadir_deg=40.0)
    daylight = find_opportunities(
        [sat], dark, START, end, max_off_nadir_deg=40.0, min_sun_elevation_deg=0.0
    )
    assert len(anytime) >= 3
    assert all(o.sun_elevation_deg < -5.0 for o in anytime)
    assert len(daylight) == 0


def test_sun_constraint_keeps_only_daylit_parts_and_matches_the_brute_force() -> None:
    sat = satellites()["AGILE-SSO"]
    end = START + timedelta(days=1)
    anytime = find_opportunities([sat], TARGETS, START, end, max_off_nadir_deg=45.0)
    # A threshold equal to the Sun's elevation at a window's best time cuts it there.
    cut = next(o for o in anytime if 5.0 < o.sun_elevation_deg < 60.0)
    target = next(t for t in TARGETS if t.name == cut.target)
    threshold = cut.sun_elevation_deg
    found = find_opportunities(
        [sat], [target], START, end, max_off_nadir_deg=45.0, min_sun_elevation_deg=threshold
    )
    points = ground_points(target.latitude_deg, target.longitude_deg, target.altitude_m)
    sun = (target.latitude_deg, target.longitude_deg, threshold)
    scene = Scene(sat.line1, sat.line2, START, points, 45.0, sun=sun)
    ref = reference_windows(scene, 86400.0)
    assert len(found) == len(ref) >= 1
    for o, r in zip(found, ref, strict=True):
        for mine, theirs in ((o.start, r.start_s), (o.end, r.end_s)):
            # An end set by the Sun may differ by the two Sun models' difference
            # divided by the Sun's elevation rate there.
            rate = abs(np.diff(scene.sun_elevation(np.array([theirs - 1.0, theirs + 1.0])))[0]) / 2
            tolerance = max(FIVE_MILLISECONDS_S, SUN_MODEL_DEG / rate)
            assert abs(_seconds(mine) - theirs) <= tolerance
        assert o.sun_elevation_deg >= threshold - SUN_MODEL_DEG


def test_sun_elevation_and_sunlit_flag_agree_with_skyfield() -> None:
    from skyfield.api import EarthSatellite, load, wgs84

    ts = load.timescale(builtin=True)
    eph = load_de421()
    sats = satellites()
    chosen = [sats["OPTICAL-SSO"], sats["LOW-INCL"]]
    end = START + timedelta(days=1)
    result = find_opportunities(chosen, TARGETS, START, end, max_off_nadir_deg=40.0)
    assert len(result) > 10
    lit_checked = 0
    for o in result:
        target = next(t for t in TARGETS if t.name == o.target)
        topos = wgs84.latlon(target.latitude_deg, target.longitude_deg, target.altitude_m)
        t = ts.from_datetime(o.best_time)
        alt, _, _ = (eph["earth"] + topos).at(t).observe(eph["sun"]).apparent().altaz()
        assert abs(o.sun_elevation_deg - alt.degrees) <= SUN_MODEL_DEG
        element = next(e for e in chosen if e.norad_id == o.norad_id)
        sat = EarthSatellite(element.line1, element.line2, element.name, ts)
        around = (
            ts.from_datetime(o.best_time + timedelta(seconds=-20)),
            ts.from_datetime(o.best_time + timedelta(seconds=20)),
        )
        flags = {bool(sat.at(x).is_sunlit(eph)) for x in around}
        if len(flags) == 1:  # not within 20 s of a shadow boundary
            assert o.sunlit == bool(sat.at(t).is_sunlit(eph))
            lit_checked += 1
    assert lit_checked > 10


# --- bookkeeping ------------------------------------------------------------------------------


def test_one_grid_propagation_per_satellite_serves_every_target(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from spacepool.access.areas import parse_geojson

    calls: list[int] = []
    original = Propagator.grid

    def counting(self, seconds):  # type: ignore[no-untyped-def]
        calls.append(len(self.elements))
        return original(self, seconds)

    monkeypatch.setattr(Propagator, "grid", counting)
    area = parse_geojson(
        {"type": "Polygon", "coordinates": [[[1, 43], [2, 43], [2, 44], [1, 44], [1, 43]]]}
    )
    sats = list(satellites().values())
    end = START + timedelta(seconds=HALF_DAY_S)
    find_opportunities(sats, [*TARGETS, *area], START, end, max_off_nadir_deg=30.0)
    assert sum(calls) == len(sats)


def test_processes_give_the_same_opportunities_as_one_process(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(imaging_module, "_CHUNK_ENTRIES", 20_000)  # several chunks
    sats = list(satellites().values())[:3]
    end = START + timedelta(seconds=HALF_DAY_S)
    one = find_opportunities(sats, TARGETS, START, end, max_off_nadir_deg=30.0)
    two = find_opportunities(sats, TARGETS, START, end, max_off_nadir_deg=30.0, workers=2)
    assert [o.to_dict() for o in one] == [o.to_dict() for o in two]


def test_progress_reports_every_satellite_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(imaging_module, "_CHUNK_ENTRIES", 20_000)
    sats = list(satellites().values())
    seen: list[tuple[int, int]] = []
    end = START + timedelta(hours=3)
    find_opportunities(sats, TARGETS, START, end, max_off_nadir_deg=30.0,
                       progress=lambda done, total: seen.append((done, total)))  # fmt: skip
    assert seen[-1] == (len(sats), len(sats))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) > 1


def test_decayed_satellite_is_one_failure_and_no_nan_rows() -> None:
    sat = satellites()["LOW-INCL"]
    decaying = replace(sat, name="DECAYING", norad_id=90009, bstar=0.3, line1=None, line2=None)
    end = sat.epoch + timedelta(days=3)
    result = find_opportunities([decaying, sat], TARGETS, sat.epoch, end, max_off_nadir_deg=40)
    assert [str(f) for f in result.failures] == [
        "DECAYING (90009): SGP4 error 6: mean motion has decayed below the Earth's surface "
        "(satellite has decayed)"
    ]
    assert any(o.norad_id == 90009 for o in result)
    for o in result:
        values = (o.min_off_nadir_deg, o.sun_elevation_deg, o.element_age_days)
        assert all(math.isfinite(x) for x in values)


def test_satellite_failing_from_the_first_sample_is_one_failure_and_no_warning() -> None:
    # The search starts after the decay, so every sample of DECAYING is an SGP4 error;
    # the other satellite is searched as usual (warnings are errors under pytest here).
    sat = satellites()["LOW-INCL"]
    decaying = replace(sat, name="DECAYING", norad_id=90009, bstar=0.3, line1=None, line2=None)
    start = sat.epoch + timedelta(days=5)
    alone = find_opportunities([sat], TARGETS, start, start + timedelta(hours=12),
                               max_off_nadir_deg=40)  # fmt: skip
    result = find_opportunities([decaying, sat], TARGETS, start, start + timedelta(hours=12),
                                max_off_nadir_deg=40)  # fmt: skip
    assert [str(f).split(":")[0] for f in result.failures] == ["DECAYING (90009)"]
    assert all(o.norad_id == sat.norad_id for o in result)
    assert len(result) == len(alone) > 0


def test_old_elements_warn_and_each_opportunity_carries_its_element_age() -> None:
    sat = satellites()["OPTICAL-SSO"]
    start = sat.epoch + timedelta(days=40)
    result = find_opportunities([sat], TARGETS, start, start + timedelta(hours=12),
                                max_off_nadir_deg=30.0)  # fmt: skip
    assert [w.norad_id for w in result.age_warnings] == [sat.norad_id]
    for o in result:
        assert o.element_age_days == pytest.approx(sat.age_days(o.best_time), abs=1e-6)


def test_no_satellites_or_no_targets_give_an_empty_result() -> None:
    end = START + timedelta(hours=1)
    assert len(find_opportunities([], TARGETS, START, end, max_off_nadir_deg=10)) == 0
    sats = list(satellites().values())
    assert len(find_opportunities(sats, [], START, end, max_off_nadir_deg=10)) == 0


def test_opportunity_dict_has_the_contract_keys_first_and_round_trips() -> None:
    sat = satellites()["OPTICAL-SSO"]
    end = START + timedelta(seconds=HALF_DAY_S)
    result = find_opportunities([sat], TARGETS, START, end, max_off_nadir_deg=30.0)
    o = result.opportunities[0]
    data = o.to_dict()
    assert list(data)[:8] == ["satellite", "norad_id", "target", "start", "end", "best_time",
                              "min_off_nadir_deg", "sun_elevation_deg"]  # fmt: skip
    for key in ("start", "end", "best_time"):
        assert data[key].endswith("Z")
    back = Opportunity.from_dict(data)
    assert back.to_dict() == data
    assert abs(_seconds(back.best_time, o.best_time)) < 1e-3


def test_csv_and_geojson_outputs_list_every_opportunity() -> None:
    sat = satellites()["OPTICAL-SSO"]
    end = START + timedelta(seconds=HALF_DAY_S)
    result = find_opportunities([sat], TARGETS, START, end, max_off_nadir_deg=30.0)
    lines = opportunities_csv(result.opportunities).splitlines()
    assert lines[0].startswith("satellite,norad_id,target,start,end,best_time,min_off_nadir_deg")
    assert len(lines) == len(result) + 1
    collection = opportunities_geojson(result.opportunities, TARGETS)
    assert collection["type"] == "FeatureCollection"
    assert [f["properties"] for f in collection["features"]] == [o.to_dict() for o in result]
    assert all(f["geometry"]["type"] == "Point" for f in collection["features"])


# --- bad inputs ----------------------------------------------------------------------------------

BAD_CALLS = [
    # (keyword arguments, error, whole message, reason)
    (
        {"start": START, "end": START, "max_off_nadir_deg": 10.0},
        TimeRangeError,
        "empty time window: start 2026-05-31T00:00:00.000Z is not before end "
        "2026-05-31T00:00:00.000Z; give an end after the start",
        "empty window: no time to search",
    ),
    (
        {"start": START, "end": START - timedelta(hours=1), "max_off_nadir_deg": 10.0},
        TimeRangeError,
        "empty time window: start 2026-05-31T00:00:00.000Z is not before end "
        "2026-05-30T23:00:00.000Z; give an end after the start",
        "start after end",
    ),
    (
        {"start": "yesterday", "end": START, "max_off_nadir_deg": 10.0},
        TimeRangeError,
        "start: expected an ISO 8601 time such as 2026-05-31T06:00:00Z, found 'yesterday'",
        "unparsable time",
    ),
    (
        {"start": START, "end": START + timedelta(hours=1)},
        GeometryError,
        "sensor: give either a maximum off-nadir angle (agile) or a swath width "
        "(fixed nadir-pointing), exactly one of them",
        "no sensor geometry at all",
    ),
    (
        {"start": START, "end": START + timedelta(hours=1), "max_off_nadir_deg": 10.0,
         "swath_km": 100.0},
        GeometryError,
        "sensor: give either a maximum off-nadir angle (agile) or a swath width "
        "(fixed nadir-pointing), exactly one of them",
        "both sensor geometries",
    ),
    (
        {"start": START, "end": START + timedelta(hours=1), "max_off_nadir_deg": 90.0},
        GeometryError,
        "sensor: maximum off-nadir angle must be above 0 and below 90 degrees, found 90",
        "a 90-degree cone is the whole half-space",
    ),
    (
        {"start": START, "end": START + timedelta(hours=1), "max_off_nadir_deg": 0.0},
        GeometryError,
        "sensor: maximum off-nadir angle must be above 0 and below 90 degrees, found 0",
        "a zero cone sees nothing",
    ),
    (
        {"start": START, "end": START + timedelta(hours=1), "swath_km": -5.0},
        GeometryError,
        "sensor: swath must be above 0 and at most 20000 km, found -5",
        "negative swath",
    ),
    (
        {"start": START, "end": START + timedelta(hours=1), "max_off_nadir_deg": 10.0,
         "min_sun_elevation_deg": 95.0},
        GeometryError,
        "sensor: minimum sun elevation must be between -90 and 90 degrees, found 95",
        "the Sun cannot be above the zenith",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("kwargs", "error", "message", "reason"), BAD_CALLS,
                         ids=[c[3] for c in BAD_CALLS])  # fmt: skip
def test_bad_calls_are_rejected_with_a_message(kwargs, error, message, reason) -> None:  # type: ignore[no-untyped-def]
    sats = list(satellites().values())[:1]
    with pytest.raises(error) as caught:
        find_opportunities(sats, TARGETS, **kwargs)
    assert str(caught.value) == message


def test_side_looking_limits_must_leave_a_ring() -> None:
    with pytest.raises(GeometryError) as caught:
        Sensor(max_off_nadir_deg=20.0, min_off_nadir_deg=25.0)
    assert str(caught.value) == (
        "sensor: minimum off-nadir angle must be at least 0 and below the maximum, found 25"
    )


def test_sensor_lists_must_match_the_satellites() -> None:
    sats = list(satellites().values())[:2]
    with pytest.raises(GeometryError) as caught:
        find_opportunities(sats, TARGETS, START, START + timedelta(hours=1),
                           sensors=[[Sensor(max_off_nadir_deg=10.0)]])  # fmt: skip
    assert str(caught.value) == "sensors: expected one list per satellite (2), found 1"
