"""Value of cooperation: hand-checked coalitions, invariants, the bundled consortium,
and an independent check of the first acquisition and delivery (sgp4 + Skyfield)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spacepool.access.areas import PointTarget
from spacepool.activation.cooperation import (
    IMAGING_KINDS,
    CoalitionResult,
    Comparison,
    Potential,
    as_target,
    coalitions,
    compare,
    evaluate,
    potential,
)
from spacepool.consortium import load_consortium
from spacepool.errors import GeometryError, TimeRangeError, UnknownNameError

T0 = datetime(2026, 5, 31, tzinfo=UTC)
H = 3600.0
ONE_MS_IN_HOURS = 1e-3 / H

VALENCIA = {
    "type": "Polygon",
    "coordinates": [[[-1.2, 38.9], [0.2, 38.9], [0.2, 39.9], [-1.2, 39.9], [-1.2, 38.9]]],
}


# --- a hand-checked case: two partners, one satellite and one station each ---------------


def two_partners() -> Potential:
    """a owns satellite A1 and station SA; b owns B1 and SB. Period: 24 h."""
    opportunities = [
        ("A1", "a", 1 * H, 1 * H + 300.0, "sar-a"),
        ("A1", "a", 13 * H, 13 * H + 300.0, "sar-a"),
        ("B1", "b", 3 * H, 3 * H + 200.0, "opt-b"),
    ]
    contacts = [
        ("A1", "SA", "a", 0.5 * H, 0.5 * H + 600.0),  # before A1's first pass: no delivery
        ("A1", "SB", "b", 1.5 * H, 1.5 * H + 600.0),  # b's station, right after it
        ("A1", "SA", "a", 4 * H, 4 * H + 600.0),
        ("B1", "SA", "a", 3.2 * H, 3.2 * H + 500.0),
        ("B1", "SB", "b", 5 * H, 5 * H + 400.0),
    ]
    return Potential.of(T0, T0 + timedelta(hours=24), ("a", "b"), opportunities, contacts)


def test_pool_first_delivery_uses_the_other_partners_station():
    pool = evaluate(two_partners(), ("a", "b"), "pool")
    assert pool.first_acquisition == T0 + timedelta(hours=1)
    assert pool.first_acquisition_satellite == "A1"
    assert pool.first_acquisition_partner == "a"
    assert pool.first_acquisition_instrument == "sar-a"
    # A1 images at 1 h and passes over b's station SB from 1.5 h: delivered at its LOS.
    assert pool.first_delivery == T0 + timedelta(seconds=1.5 * H + 600.0)
    assert (pool.first_delivery_satellite, pool.first_delivery_station) == ("A1", "SB")
    assert pool.hours_to_first_acquisition == pytest.approx(1.0, abs=ONE_MS_IN_HOURS)
    assert pool.hours_to_first_delivery == pytest.approx(6000.0 / H, abs=ONE_MS_IN_HOURS)
    assert pool.acquisitions == 3
    # Gaps: 0-1 h, 1 h 5 min - 3 h, 3 h 3 min 20 s - 13 h, 13 h 5 min - 24 h.
    gaps = [3600.0, 6900.0, 35800.0, 39300.0]
    assert pool.mean_revisit_hours == pytest.approx(sum(gaps) / 4 / H, abs=ONE_MS_IN_HOURS)
    assert pool.max_revisit_hours == pytest.approx(39300.0 / H, abs=ONE_MS_IN_HOURS)


def test_partner_alone_delivers_only_through_its_own_stations():
    potential_ = two_partners()
    a = evaluate(potential_, ("a",), "a")
    assert a.first_acquisition == T0 + timedelta(hours=1)
    # A1's contact with SA at 0.5 h is before the acquisition; the next is at 4 h.
    assert a.first_delivery == T0 + timedelta(seconds=4 * H + 600.0)
    assert a.first_delivery_station == "SA"
    assert a.acquisitions == 2
    assert a.max_revisit_hours == pytest.approx(42900.0 / H, abs=ONE_MS_IN_HOURS)
    assert a.mean_revisit_hours == pytest.approx(
        (3600.0 + 42900.0 + 39300.0) / 3 / H, abs=ONE_MS_IN_HOURS
    )
    b = evaluate(potential_, ("b",), "b")
    assert b.first_acquisition == T0 + timedelta(hours=3)
    assert b.first_acquisition_satellite == "B1"
    # B1 passes over SA (a's) at 3.2 h, but b alone must wait for SB at 5 h.
    assert b.first_delivery == T0 + timedelta(seconds=5 * H + 400.0)
    assert b.acquisitions == 1
    assert b.max_revisit_hours == pytest.approx(75400.0 / H, abs=ONE_MS_IN_HOURS)


def test_pool_without_a_partner_is_the_other_partner_alone():
    pool, alone, without = coalitions(two_partners())
    assert pool.name == "pool"
    assert without["a"].name == "without:a"
    for partner, other in (("a", "b"), ("b", "a")):
        rest = without[partner]
        assert rest.partners == (other,)
        assert rest.first_delivery == alone[other].first_delivery
        assert rest.acquisitions == alone[other].acquisitions
        assert rest.max_revisit_hours == alone[other].max_revisit_hours


def test_delivery_needs_the_same_satellite():
    # Only B1 has a contact; A1's image cannot go down through it.
    found = Potential.of(
        T0,
        T0 + timedelta(hours=6),
        ("a",),
        [("A1", "a", 600.0, 700.0, "i")],
        [("B1", "SA", "a", 800.0, 900.0)],
    )
    result = evaluate(found, ("a",), "a")
    assert result.first_acquisition is not None
    assert result.first_delivery is None
    assert result.hours_to_first_delivery is None


def test_contact_under_way_when_the_window_ends_delivers_at_its_los():
    found = Potential.of(
        T0,
        T0 + timedelta(hours=6),
        ("a",),
        [("A1", "a", 600.0, 700.0, "i")],
        [("A1", "SA", "a", 650.0, 1000.0), ("A1", "SA", "a", 500.0, 690.0)],
    )
    result = evaluate(found, ("a",), "a")
    # The contact ending at 690 s ends before the window does (700 s): not a delivery.
    assert result.first_delivery == T0 + timedelta(seconds=1000.0)


def test_the_earliest_delivery_may_come_from_a_later_acquisition():
    # A1 images first but only reaches a station late; B1 images later and delivers sooner.
    found = Potential.of(
        T0,
        T0 + timedelta(hours=6),
        ("a",),
        [("A1", "a", 100.0, 200.0, "i"), ("B1", "a", 300.0, 400.0, "j")],
        [("A1", "SA", "a", 5000.0, 5500.0), ("B1", "SA", "a", 450.0, 900.0)],
    )
    result = evaluate(found, ("a",), "a")
    assert result.first_acquisition_satellite == "A1"
    assert result.first_delivery == T0 + timedelta(seconds=900.0)
    assert result.first_delivery_satellite == "B1"


def test_two_instruments_on_one_pass_are_one_acquisition():
    found = Potential.of(
        T0,
        T0 + timedelta(hours=6),
        ("a", "b"),
        [
            ("N", "a", 100.0, 200.0, "l-sar"),
            ("N", "b", 150.0, 260.0, "s-sar"),  # one pass
            ("M", "a", 150.0, 260.0, "c-sar"),  # another satellite at the same time
            ("N", "a", 5000.0, 5100.0, "l-sar"),
        ],
        [],
    )
    assert evaluate(found, ("a", "b"), "pool").acquisitions == 3
    assert evaluate(found, ("a",), "a").acquisitions == 3
    assert evaluate(found, ("b",), "b").acquisitions == 1


def test_a_partner_without_opportunities_has_nothing():
    found = Potential.of(
        T0, T0 + timedelta(hours=6), ("a", "b"), [("A1", "a", 100.0, 200.0, "i")], []
    )
    result = evaluate(found, ("b",), "b")
    assert result == CoalitionResult("b", ("b",), None, None, None, None, None, 0, None, None)


def test_unknown_partner_in_a_coalition_lists_the_known_ones():
    with pytest.raises(UnknownNameError) as info:
        evaluate(two_partners(), ("a", "zz"), "x")
    assert str(info.value) == "unknown partner 'zz'; known partners: a, b"


def test_who_adds_most_is_the_partner_whose_absence_costs_most():
    found = two_partners()
    pool, alone, without = coalitions(found)
    comparison = Comparison(
        {"type": "Point", "coordinates": [0.0, 0.0]}, found.start, found.end, pool, alone, without
    )
    ranked = comparison.marginal()
    # Without a: 1 pass left of 3 and the first acquisition 2 h later.
    assert [m.partner for m in ranked] == ["a", "b"]
    assert ranked[0].acquisitions_lost == 2
    assert ranked[0].first_acquisition_delay_hours == pytest.approx(2.0)
    assert ranked[1].acquisitions_lost == 1
    assert ranked[1].first_acquisition_delay_hours == pytest.approx(0.0)
    assert comparison.adds_most == "a"


# --- invariants and an independent evaluation ------------------------------------------


def reference(found: Potential, members: set[str]) -> tuple[float, float, int]:
    """(first acquisition s, first delivery s, passes) by plain loops, inf when none."""
    span = found.span_s
    windows = [
        (found.satellites[s], a, b)
        for s, p, a, b in zip(
            found.opp_satellite, found.opp_partner, found.opp_start_s, found.opp_end_s, strict=True
        )
        if found.partners[p] in members
    ]
    contacts = [
        (found.satellites[s], los)
        for s, p, los in zip(
            found.contact_satellite, found.contact_partner, found.contact_los_s, strict=True
        )
        if found.partners[p] in members
    ]
    first = min((a for _, a, _ in windows), default=math.inf)
    delivery = math.inf
    for sat, _, end in windows:
        later = [los for s, los in contacts if s == sat and los > end]
        if later:
            delivery = min(delivery, min(later))
    passes = 0
    for sat in {s for s, _, _ in windows}:
        reach = -1.0
        for _, a, b in sorted((w for w in windows if w[0] == sat), key=lambda w: w[1]):
            if a > reach:
                passes += 1
            reach = max(reach, b)
    assert span > 0
    return first, delivery, passes


def _seconds(value: float | None) -> float:
    return math.inf if value is None else value * H


windows_ = st.tuples(
    st.integers(0, 3), st.integers(0, 2), st.floats(0.0, 20 * H), st.floats(30.0, 900.0)
)
contacts_ = st.tuples(
    st.integers(0, 3), st.integers(0, 2), st.floats(0.0, 23 * H), st.floats(60.0, 900.0)
)


@settings(max_examples=100, deadline=None)
@given(st.lists(windows_, max_size=12), st.lists(contacts_, max_size=12), st.booleans())
def test_coalitions_obey_the_pooling_invariants(windows, contacts, shared):
    partners = ("p0", "p1", "p2")
    span = 24 * H
    # shared: a satellite may carry instruments of several partners (NISAR); else
    # satellite k's instruments all belong to partner k mod 3.
    found = Potential.of(
        T0,
        T0 + timedelta(seconds=span),
        partners,
        [
            (f"S{s}", partners[p if shared else s % 3], a, min(a + d, span), f"i{s}")
            for s, p, a, d in windows
        ],
        [(f"S{s}", f"G{p}", partners[p], a, min(a + d, span)) for s, p, a, d in contacts],
    )
    pool, alone, without = coalitions(found)
    for partner in partners:
        one = alone[partner]
        rest = without[partner]
        assert _seconds(pool.hours_to_first_acquisition) <= _seconds(one.hours_to_first_acquisition)
        assert _seconds(pool.hours_to_first_delivery) <= _seconds(one.hours_to_first_delivery)
        assert _seconds(rest.hours_to_first_acquisition) >= _seconds(
            pool.hours_to_first_acquisition
        )
        assert _seconds(rest.hours_to_first_delivery) >= _seconds(pool.hours_to_first_delivery)
        if not shared:
            # Acquisitions are a satellite's windows merged where they overlap. When
            # partners share a satellite, one partner's long window can join two
            # windows of another into one pass, so the count is not monotonic there.
            assert one.acquisitions <= pool.acquisitions
            assert rest.acquisitions <= pool.acquisitions
        if rest.max_revisit_hours is not None:
            assert pool.max_revisit_hours is not None
            assert rest.max_revisit_hours >= pool.max_revisit_hours - 1e-12
    for members in [set(partners), *({p} for p in partners), {"p0", "p2"}]:
        result = evaluate(found, tuple(members), "x")
        first, delivery, passes = reference(found, members)
        assert _seconds(result.hours_to_first_acquisition) == pytest.approx(first, abs=1e-6)
        assert _seconds(result.hours_to_first_delivery) == pytest.approx(delivery, abs=1e-6)
        assert result.acquisitions == passes


# --- areas --------------------------------------------------------------------------------


def test_area_from_a_point_feature_takes_its_name():
    target = as_target(
        {
            "type": "Feature",
            "properties": {"name": "Derna"},
            "geometry": {"type": "Point", "coordinates": [22.64, 32.76]},
        }
    )
    assert target == PointTarget("Derna", 32.76, 22.64)


@pytest.mark.parametrize(
    ("area", "message"),
    [
        (
            {"type": "Point", "coordinates": ["x", 1]},
            "area: a Point needs coordinates [longitude, latitude], found ['x', 1]",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {}, "geometry": VALENCIA},
                    {"type": "Feature", "properties": {}, "geometry": VALENCIA},
                ],
            },
            "area: expected one area, found 2 features; give one Polygon or MultiPolygon (or merge "
            "the features into a MultiPolygon)",
        ),
        (
            {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
            "area: type: expected a Polygon, MultiPolygon, Feature or FeatureCollection, found "
            "'LineString'",
        ),
    ],
    ids=["point without numbers", "two areas", "a line is no area"],
)
def test_bad_areas_are_rejected_with_the_reason(area, message):
    with pytest.raises(GeometryError) as info:
        as_target(area)
    assert str(info.value) == message


# --- the bundled consortium ---------------------------------------------------------------


@pytest.fixture(scope="module")
def consortium():
    return load_consortium()


@pytest.fixture(scope="module")
def valencia(consortium):
    return compare(consortium, VALENCIA, T0, T0 + timedelta(hours=24))


def test_bundled_consortium_pool_beats_or_ties_every_partner(valencia, consortium):
    assert list(valencia.alone) == [p.id for p in consortium.partners]
    assert list(valencia.without) == list(valencia.alone)
    pool = valencia.pool
    assert pool.first_acquisition is not None and pool.first_delivery is not None
    assert pool.first_acquisition < pool.first_delivery <= valencia.end
    for partner in valencia.partners:
        one, rest = valencia.alone[partner], valencia.without[partner]
        assert _seconds(pool.hours_to_first_acquisition) <= _seconds(one.hours_to_first_acquisition)
        assert _seconds(pool.hours_to_first_delivery) <= _seconds(one.hours_to_first_delivery)
        assert one.acquisitions <= pool.acquisitions
        assert rest.acquisitions <= pool.acquisitions
        assert _seconds(rest.hours_to_first_acquisition) >= _seconds(
            pool.hours_to_first_acquisition
        )
    # Several partners image Valencia in a day; more than one adds passes.
    assert sum(r.acquisitions > 0 for r in valencia.alone.values()) >= 5
    assert valencia.adds_most in valencia.partners


def test_json_times_end_in_z_and_the_record_round_trips(valencia):
    data = valencia.to_json()
    assert data["start"] == "2026-05-31T00:00:00.000Z"
    assert data["pool"]["first_acquisition"].endswith("Z")
    assert data["area"]["type"] == "Polygon"
    assert data["kinds"] == list(IMAGING_KINDS)
    assert Comparison.from_json(data).to_json() == data


def test_sar_only_comparison_counts_only_radar(consortium):
    sar = potential(consortium, VALENCIA, T0, T0 + timedelta(hours=12), kinds={"SAR"})
    radar_ids = {i.id for _, i in consortium.instruments() if i.kind == "sar"}
    assert len(sar.opp_instrument) > 0
    assert set(sar.opp_instrument) <= radar_ids
    # Contacts cut by the period end are left out: their LOS is not known.
    assert np.all(sar.contact_los_s < sar.span_s)
    result = coalitions(sar)[1]
    assert result["usgs"].acquisitions == 0  # Landsat carries no radar


def test_optical_opportunities_respect_the_sun_limit(consortium):
    point = PointTarget("Valencia", 39.47, -0.38)
    start, end = T0, T0 + timedelta(hours=24)
    optical = potential(consortium, point, start, end, kinds=["optical"])
    radar = potential(consortium, point, start, end, kinds=["sar"])
    limits = {i.id: i.min_sun_elevation_deg for _, i in consortium.instruments()}
    assert len(optical.opp_instrument) > 0
    for instrument, sun in zip(optical.opp_instrument, optical.opp_sun_elevation_deg, strict=True):
        assert sun >= limits[instrument] - 1e-6
    # Radar images at night too: the limit is not vacuous over this place and day.
    assert np.min(radar.opp_sun_elevation_deg) < 0.0


@pytest.mark.parametrize(
    ("kinds", "message"),
    [
        (
            ["lidar"],
            "unknown imaging instrument kind 'lidar'; known imaging instrument kinds: "
            "hyperspectral, optical, sar, thermal",
        ),
        (
            ["altimeter"],
            "unknown imaging instrument kind 'altimeter'; known imaging instrument "
            "kinds: hyperspectral, optical, sar, thermal",
        ),
        (
            [],
            "unknown imaging instrument kind ''; known imaging instrument kinds: "
            "hyperspectral, optical, sar, thermal",
        ),
    ],
    ids=["not a kind", "an altimeter does not image", "empty"],
)
def test_bad_instrument_kinds_name_the_known_ones(consortium, kinds, message):
    with pytest.raises(UnknownNameError) as info:
        compare(consortium, VALENCIA, T0, T0 + timedelta(hours=1), kinds=kinds)
    assert str(info.value) == message


def test_empty_period_is_rejected(consortium):
    with pytest.raises(TimeRangeError) as info:
        compare(consortium, VALENCIA, T0, T0)
    assert str(info.value) == (
        "empty time window: start 2026-05-31T00:00:00.000Z is not before end "
        "2026-05-31T00:00:00.000Z; give an end after the start"
    )


# --- independent check: sgp4 + Skyfield, no spacepool geometry -----------------------------


def _itrs_km(satrec, seconds):
    """ITRS positions (km) ``(3, N)`` at ``seconds`` after T0, from sgp4 and Skyfield's
    TEME -> ITRF rotation (the same route as tests/access/imaging_reference.py)."""
    from skyfield.api import load
    from skyfield.sgp4lib import TEME_to_ITRF

    seconds = np.atleast_1d(np.asarray(seconds, dtype=np.float64))
    unix_days = T0.timestamp() / 86400.0
    jd = np.full(seconds.shape, 2440587.5 + math.floor(unix_days))
    fraction = unix_days - math.floor(unix_days) + seconds / 86400.0
    err, r, v = satrec.sgp4_array(jd, fraction)
    assert not np.any(err)
    t = load.timescale(builtin=True).utc(2026, 5, 31, 0, 0, seconds)
    r_itrs, _ = TEME_to_ITRF(t.whole, r.T, v.T, fraction_ut1=t.ut1_fraction)
    return np.asarray(r_itrs).reshape(3, -1)


def test_first_acquisition_and_delivery_agree_with_an_independent_scan(consortium):
    """Scan every second with sgp4 + Skyfield: no radar of the pool can image the point
    before the reported first acquisition, the reported one can just after it; the
    delivering satellite is above the station's mask just before the reported delivery
    and below it just after."""
    from skyfield.api import wgs84

    point = PointTarget("Valencia", 39.47, -0.38)
    start, end = T0, T0 + timedelta(hours=12)
    result = compare(consortium, point, start, end, kinds={"sar"})
    pool = result.pool
    assert pool.first_acquisition is not None and pool.first_delivery is not None
    first_s = (pool.first_acquisition - start).total_seconds()
    ground = np.asarray(wgs84.latlon(point.latitude_deg, point.longitude_deg).itrs_xyz.km)
    lat, lon = np.radians(point.latitude_deg), np.radians(point.longitude_deg)
    up = np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])

    def usable(sc, instrument, seconds):
        r = _itrs_km(sc.element_set().satrec(), seconds)
        rho = ground[:, None] - r
        nadir = -r / np.linalg.norm(r, axis=0)
        eta = np.degrees(np.arccos(np.einsum("cn,cn->n", nadir, rho) / np.linalg.norm(rho, axis=0)))
        visible = np.einsum("c,cn->n", up, -rho) >= 0.0
        return (
            visible & (eta <= instrument.max_off_nadir_deg) & (eta >= instrument.min_off_nadir_deg)
        )

    before = np.arange(0.0, first_s - 1.0, 1.0)
    for sc in consortium.fleet:
        for instrument in sc.instruments:
            if instrument.kind == "sar":
                assert not usable(sc, instrument, before).any(), (sc.name, instrument.id)
    chosen = consortium.spacecraft(pool.first_acquisition_satellite)
    instrument = chosen.instrument(pool.first_acquisition_instrument)
    assert usable(chosen, instrument, np.array([first_s + 1.0]))[0]

    # Delivery: the satellite sets below the station's mask at the reported LOS.
    station = consortium.station(pool.first_delivery_station)
    delivering = consortium.spacecraft(pool.first_delivery_satellite)
    los_s = (pool.first_delivery - start).total_seconds()
    site = wgs84.latlon(station.latitude_deg, station.longitude_deg, station.altitude_m)
    r = _itrs_km(delivering.element_set().satrec(), [los_s - 1.0, los_s + 1.0])
    s_lat, s_lon = np.radians(station.latitude_deg), np.radians(station.longitude_deg)
    s_up = np.array([np.cos(s_lat) * np.cos(s_lon), np.cos(s_lat) * np.sin(s_lon), np.sin(s_lat)])
    rho = r - np.asarray(site.itrs_xyz.km)[:, None]
    elevation = np.degrees(np.arcsin(s_up @ rho / np.linalg.norm(rho, axis=0)))
    north = np.array(
        [-np.sin(s_lat) * np.cos(s_lon), -np.sin(s_lat) * np.sin(s_lon), np.cos(s_lat)]
    )
    east = np.array([-np.sin(s_lon), np.cos(s_lon), 0.0])
    azimuth = np.degrees(np.arctan2(east @ rho, north @ rho)) % 360.0
    mask = np.maximum(station.elevation_mask_deg(azimuth), station.min_elevation_deg)
    assert elevation[0] > mask[0]
    assert elevation[1] < mask[1]
    assert pool.first_delivery > pool.first_acquisition


# --- the command line --------------------------------------------------------------------


def run_cli(*args: str):
    from typer.testing import CliRunner

    from spacepool.cli import app

    return CliRunner().invoke(app, ["compare", *args])


def test_cli_compare_json_over_a_point(tmp_path):
    import json

    chart = tmp_path / "chart.svg"
    result = run_cli(
        "--target",
        "39.47,-0.38",
        "--start",
        "2026-05-31T00:00:00Z",
        "--end",
        "2026-05-31T12:00:00Z",
        "--kind",
        "sar",
        "--format",
        "json",
        "--chart",
        str(chart),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["area"] == {"type": "Point", "coordinates": [-0.38, 39.47]}
    assert data["kinds"] == ["sar"]
    assert data["pool"]["first_acquisition"].endswith("Z")
    assert set(data["alone"]) == set(data["without"]) == {p["partner"] for p in data["marginal"]}
    assert chart.read_text(encoding="utf-8").startswith('<svg xmlns="http://www.w3.org/2000/svg"')


def test_cli_compare_table_over_an_area(tmp_path):
    import json

    aoi = tmp_path / "valencia.geojson"
    aoi.write_text(
        json.dumps({"type": "Feature", "properties": {"name": "Valencia"}, "geometry": VALENCIA}),
        encoding="utf-8",
    )
    result = run_cli(
        "--aoi", str(aoi), "--start", "2026-05-31T00:00:00Z", "--end", "2026-05-31T06:00:00Z"
    )
    assert result.exit_code == 0, result.output
    assert "value of cooperation over Valencia" in result.stdout
    for row in ("pool", "esa alone", "pool without esa", "isro alone"):
        assert row in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "error: give either --aoi FILE.geojson or --target LAT,LON (one of them)"),
        (
            ["--target", "1,2", "--aoi", "x.geojson"],
            "error: give either --aoi FILE.geojson or --target LAT,LON (one of them)",
        ),
        (
            ["--target", "1,2", "--chart", "c.pdf"],
            "error: --chart: expected a file name ending in .png or .svg, found 'c.pdf'",
        ),
        (
            ["--target", "1,2", "--kind", "lidar"],
            "error: unknown imaging instrument kind 'lidar'; known imaging instrument kinds: "
            "hyperspectral, optical, sar, thermal",
        ),
        (
            ["--target", "north"],
            "error: target: expected LAT,LON in degrees (e.g. 48.85,2.35), found 'north'",
        ),
    ],
    ids=["no area", "two areas", "chart suffix", "unknown kind", "bad point"],
)
def test_cli_compare_bad_input_prints_one_line(args, message):
    result = run_cli("--start", "2026-05-31T00:00:00Z", "--end", "2026-05-31T01:00:00Z", *args)
    assert result.exit_code == 2
    assert result.stderr.strip() == message


def test_the_python_example_of_the_docs_prints_what_the_page_shows():
    import contextlib
    import io
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parents[2] / "docs" / "cooperation.md"
    (code,) = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    expected = "".join(line[2:] + "\n" for line in code.splitlines() if line.startswith("# "))
    assert expected.count("\n") == 3
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(page), "exec"), {})
    assert printed.getvalue() == expected
