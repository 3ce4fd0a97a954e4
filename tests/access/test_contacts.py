"""Station contacts against Skyfield and an independent brute-force reference."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from contact_reference import Elevation, Margin, reference_passes

from spacepool.access import contacts as contacts_module
from spacepool.access.contacts import Contact, find_contacts, resolve_stations, select_satellites
from spacepool.access.geometry import Site, parse_site
from spacepool.errors import GeometryError, TimeRangeError, UnknownNameError
from spacepool.orbits.elements import ElementSet
from spacepool.orbits.propagate import Propagator
from spacepool.orbits.tle import load_tle

REPO = Path(__file__).resolve().parents[2]
TLE_DIR = REPO / ".." / "shared" / "data" / "tle"
START = datetime(2026, 5, 31, tzinfo=UTC)

ONE_SECOND_S = 1.0
TWO_MILLISECONDS_S = 2e-3  # reference refined to 1 ms, plus our own tolerance
FIVE_HUNDREDTHS_DEG = 0.05
ONE_THOUSANDTH_DEG = 1e-3
MASK_DEG = 10.0

STATIONS = (
    Site("Kiruna", 67.857, 20.964, 400.0, MASK_DEG),
    Site("Matera", 40.649, 16.704, 536.0, MASK_DEG),
    Site("Hartebeesthoek", -25.89, 27.71, 1540.0, MASK_DEG),
)


def shared_tle(name: str) -> list[ElementSet]:
    path = TLE_DIR / name
    if not path.exists():
        pytest.skip(f"{path} is absent (shared data not checked out beside the repo)")
    return list(load_tle(path).elements)


@pytest.fixture(scope="module")
def resource() -> list[ElementSet]:
    return shared_tle("celestrak_resource_2026-05-30.tle")


def skyfield_passes(element: ElementSet, site: Site, start: datetime, end: datetime):
    """Complete (rise, culmination, set) passes from Skyfield's find_events."""
    from skyfield.api import EarthSatellite, load, wgs84

    ts = load.timescale(builtin=True)
    sat = EarthSatellite(element.line1, element.line2, element.name, ts)
    topos = wgs84.latlon(site.latitude_deg, site.longitude_deg, site.altitude_m)
    times, events = sat.find_events(
        topos,
        ts.from_datetime(start),
        ts.from_datetime(end),
        altitude_degrees=site.min_elevation_deg,
    )
    out, rise, peak = [], None, None
    for t, kind in zip(times.utc_datetime(), events, strict=True):
        if kind == 0:
            rise, peak = t, None
        elif kind == 1 and rise is not None:
            alt = (sat - topos).at(ts.from_datetime(t)).altaz()[0].degrees
            peak = alt if peak is None else max(peak, alt)
        elif kind == 2 and rise is not None:
            out.append((rise, t, peak))
            rise = None
    return out


@pytest.mark.shared_data
def test_passes_agree_with_skyfield_find_events(resource):
    sats = resource[:6]
    end = START + timedelta(days=1)
    ours = find_contacts(sats, STATIONS, START, end).contacts
    compared = 0
    for element in sats:
        for site in STATIONS:
            theirs = skyfield_passes(element, site, START, end)
            mine = [c for c in ours if c.norad_id == element.norad_id and c.station == site.name
                    and not (c.truncated_start or c.truncated_end)]  # fmt: skip
            # Passes whose peak is within 0.1 deg of the mask may be found by one
            # method and not the other (Skyfield's half-second tolerance).
            near = lambda el: abs(el - MASK_DEG) < 0.1  # noqa: E731
            theirs_kept = [p for p in theirs if p[2] is None or not near(p[2])]
            mine_kept = [c for c in mine if not near(c.max_elevation_deg)]
            assert len(mine_kept) == len(theirs_kept), (element.label, site.name)
            for c, (rise, fall, peak) in zip(mine_kept, theirs_kept, strict=True):
                assert abs((c.aos - rise).total_seconds()) < ONE_SECOND_S
                assert abs((c.los - fall).total_seconds()) < ONE_SECOND_S
                if peak is not None:
                    assert abs(c.max_elevation_deg - peak) < FIVE_HUNDREDTHS_DEG
                compared += 1
    assert compared > 20


def assert_matches_reference(contacts, element, site, start, duration_s, mask_deg):
    f = Elevation(element.line1, element.line2, site.latitude_deg, site.longitude_deg,
                  site.altitude_m, start)  # fmt: skip
    ref = reference_passes(f, mask_deg, duration_s)
    mine = [c for c in contacts if c.norad_id == element.norad_id and c.station == site.name]
    assert len(mine) == len(ref), (element.label, site.name, mine, ref)
    for c, p in zip(mine, ref, strict=True):
        assert (c.aos - start).total_seconds() == pytest.approx(p.aos_s, abs=TWO_MILLISECONDS_S)
        assert (c.los - start).total_seconds() == pytest.approx(p.los_s, abs=TWO_MILLISECONDS_S)
        assert c.max_elevation_deg == pytest.approx(p.max_elevation_deg, abs=ONE_THOUSANDTH_DEG)
        assert (c.truncated_start, c.truncated_end) == (p.truncated_start, p.truncated_end)
    return ref


@pytest.mark.shared_data
def test_passes_agree_with_a_brute_force_scan_refined_to_a_millisecond(resource):
    sats = resource[6:10]
    duration_s = 12 * 3600.0
    ours = find_contacts(sats, STATIONS, START, START + timedelta(seconds=duration_s)).contacts
    total = 0
    for element in sats:
        for site in STATIONS:
            total += len(assert_matches_reference(ours, element, site, START, duration_s, MASK_DEG))
    assert total > 10


@pytest.mark.shared_data
def test_pass_in_progress_at_the_window_start_is_reported_truncated(resource):
    day = find_contacts(resource[:10], STATIONS[:1], START, START + timedelta(hours=12)).contacts
    first = day[0]
    element = next(e for e in resource if e.norad_id == first.norad_id)
    inside = first.tca  # the middle of a known pass
    cut = find_contacts([element], STATIONS[:1], inside, inside + timedelta(hours=12)).contacts
    assert cut[0].truncated_start and cut[0].aos == inside
    assert abs((cut[0].los - first.los).total_seconds()) < TWO_MILLISECONDS_S
    both = find_contacts([element], STATIONS[:1], inside, inside + timedelta(seconds=30)).contacts
    assert len(both) == 1 and both[0].truncated_start and both[0].truncated_end


@pytest.mark.shared_data
def test_azimuth_dependent_mask_is_met_at_aos_and_los(resource):
    # Terrain to the east: 25 deg between azimuth 45 and 135, 5 deg elsewhere.
    table = ((0.0, 5.0), (40.0, 5.0), (45.0, 25.0), (135.0, 25.0), (140.0, 5.0))
    site = Site("Ridge", 48.0, 11.0, 600.0, 5.0, table)
    sats = resource[:8]
    end = START + timedelta(days=1)
    masked = find_contacts(sats, [site], START, end).contacts
    low = find_contacts(sats, [site.with_mask(5.0)], START, end).contacts
    high = find_contacts(sats, [site.with_mask(25.0)], START, end).contacts

    # The ridge can split one pass above the 5 deg floor into two (a dip behind it), so
    # counts do not compare; time above the mask does, and every pass lies in a low one.
    def total_s(contacts):
        return sum(c.duration_s for c in contacts)

    assert total_s(high) < total_s(masked) < total_s(low)
    for c in masked:
        assert any(o.norad_id == c.norad_id and o.aos <= c.aos and c.los <= o.los for o in low)
    for c in masked:
        for when, az in ((c.aos, c.aos_azimuth_deg), (c.los, c.los_azimuth_deg)):
            if when in (START, end):
                continue
            element = next(e for e in sats if e.norad_id == c.norad_id)
            f = Elevation(element.line1, element.line2, site.latitude_deg, site.longitude_deg,
                          site.altitude_m, START)  # fmt: skip
            elevation = float(f(np.array([(when - START).total_seconds()]))[0])
            assert elevation == pytest.approx(float(site.elevation_mask_deg(az)), abs=1e-3)
        assert c.max_elevation_deg >= float(site.elevation_mask_deg(c.tca_azimuth_deg)) - 1e-3


@pytest.mark.shared_data
def test_azimuth_dependent_mask_agrees_with_a_brute_force_scan(resource):
    # McMurdo's terrain mask (the bundled consortium's): a ridge from 60 to 180 deg.
    table = ((0.0, 5.0), (60.0, 5.0), (90.0, 9.0), (120.0, 12.0), (150.0, 8.0), (180.0, 5.0),
             (270.0, 5.0), (330.0, 6.0))  # fmt: skip
    site = Site("McMurdo", -77.846, 166.703, 150.0, 5.0, table)
    sats = resource[:12]
    duration_s = 86400.0
    ours = find_contacts(sats, [site], START, START + timedelta(seconds=duration_s)).contacts
    total = 0
    for element in sats:
        f = Elevation(element.line1, element.line2, site.latitude_deg, site.longitude_deg,
                      site.altitude_m, START)  # fmt: skip
        ref = reference_passes(Margin(f, 5.0, table), 0.0, duration_s)
        mine = [c for c in ours if c.norad_id == element.norad_id]
        assert [(round(p.aos_s), round(p.los_s)) for p in ref] == [
            (round((c.aos - START).total_seconds()), round((c.los - START).total_seconds()))
            for c in mine
        ], element.label
        for c, p in zip(mine, ref, strict=True):
            assert (c.aos - START).total_seconds() == pytest.approx(p.aos_s, abs=TWO_MILLISECONDS_S)
            assert (c.los - START).total_seconds() == pytest.approx(p.los_s, abs=TWO_MILLISECONDS_S)
        total += len(ref)
    assert total > 20


def molniya(epoch: datetime) -> ElementSet:
    """A Molniya orbit (12 h, e = 0.72, critical inclination), written as a TLE."""
    base = ElementSet(
        name="MOLNIYA TEST", norad_id=99001, epoch=epoch, mean_motion_rev_per_day=2.00563,
        eccentricity=0.72, inclination_deg=63.4, raan_deg=120.0, arg_perigee_deg=270.0,
        mean_anomaly_deg=10.0, bstar=0.0,
    )  # fmt: skip
    line1, line2 = base.to_tle_lines()
    return replace(base, line1=line1, line2=line2)


def test_molniya_passes_agree_with_the_brute_force_reference():
    element = molniya(START)
    sites = (Site("Norilsk", 69.35, 88.2, 0.0, 10.0), Site("Perth", -31.95, 115.86, 0.0, 10.0))
    duration_s = 86400.0
    ours = find_contacts([element], sites, START, START + timedelta(seconds=duration_s)).contacts
    north = assert_matches_reference(ours, element, sites[0], START, duration_s, 10.0)
    assert len(north) >= 2  # apogee dwell over the northern hemisphere
    assert max(p.los_s - p.aos_s for p in north) > 6 * 3600
    assert_matches_reference(ours, element, sites[1], START, duration_s, 10.0)


@pytest.mark.shared_data
def test_geostationary_satellite_is_one_pass_cut_at_both_ends_or_never_visible():
    from skyfield.api import EarthSatellite, load, wgs84

    geo = next(e for e in shared_tle("celestrak_geo_2026-05-30.tle")
               if e.inclination_deg < 0.05 and e.eccentricity < 5e-4)  # fmt: skip
    ts = load.timescale(builtin=True)
    sat = EarthSatellite(geo.line1, geo.line2, geo.name, ts)
    lon = wgs84.subpoint_of(sat.at(ts.from_datetime(START))).longitude.degrees
    below = Site("Below", 0.0, lon, 0.0, 10.0)
    opposite = Site("Opposite", 0.0, (lon + 180.0 + 180.0) % 360.0 - 180.0, 0.0, 10.0)
    end = START + timedelta(days=2)
    result = find_contacts([geo], [below, opposite], START, end)
    assert len(result.contacts) == 1
    c = result.contacts[0]
    assert (c.station, c.aos, c.los, c.truncated_start, c.truncated_end) == (
        "Below",
        START,
        end,
        True,
        True,
    )
    assert c.duration_s == 2 * 86400.0
    assert c.max_elevation_deg > 89.0
    # Alone, the far site leaves nothing for the pre-filter to keep at all.
    assert len(find_contacts([geo], [opposite], START, end)) == 0


@pytest.mark.shared_data
def test_old_elements_warn_and_mark_their_age(resource):
    element = resource[0]
    start = element.epoch + timedelta(days=60)
    result = find_contacts([element], STATIONS, start, start + timedelta(hours=6))
    assert [w.norad_id for w in result.age_warnings] == [element.norad_id]
    warning = result.age_warnings[0]
    assert warning.message == (
        f"{element.label}: elements used {warning.age_days:.1f} days after their epoch "
        f"{element.epoch:%Y-%m-%dT%H:%M:%SZ} (limit 14 days); positions may be off by tens of "
        "km: load newer elements"
    )
    assert all(60.0 <= c.element_age_days <= 60.3 for c in result.contacts)
    assert result.contacts


@pytest.mark.shared_data
def test_decayed_satellite_is_one_failure_message_and_no_nan_rows():
    iss = next(e for e in shared_tle("celestrak_stations_2026-05-30.tle") if e.norad_id == 25544)
    decaying = replace(iss, bstar=0.1, line1=None, line2=None)
    site = Site("Mid", 45.0, 10.0, 0.0, 5.0)
    result = find_contacts([decaying, iss], [site], iss.epoch, iss.epoch + timedelta(days=10))
    assert [str(f) for f in result.failures] == [
        "ISS (ZARYA) (25544): SGP4 error 6: mean motion has decayed below the Earth's "
        "surface (satellite has decayed)"
    ]
    assert result.contacts
    for c in result.contacts:
        values = (c.max_elevation_deg, c.duration_s, c.aos_azimuth_deg, c.los_azimuth_deg)
        assert all(math.isfinite(x) for x in values)


# --- bad inputs -----------------------------------------------------------------------

BAD_WINDOWS = [
    # (start, end, reason)
    (START, START, "empty window: no time to search"),
    (START + timedelta(hours=1), START, "start after end"),
]


@pytest.mark.parametrize(("start", "end", "reason"), BAD_WINDOWS, ids=[r for *_, r in BAD_WINDOWS])
def test_bad_windows_are_rejected_with_a_message(start, end, reason):
    with pytest.raises(TimeRangeError) as info:
        find_contacts([molniya(START)], STATIONS, start, end)
    assert str(info.value) == (
        f"empty time window: start {start:%Y-%m-%dT%H:%M:%S.000Z} is not before end "
        f"{end:%Y-%m-%dT%H:%M:%S.000Z}; give an end after the start"
    )


BAD_STATIONS = [
    # (text, error, message, reason)
    ("95,10", GeometryError, "site '95,10': latitude must be between -90 and 90 degrees, found 95",
     "latitude beyond the pole"),
    ("45,400", GeometryError,
     "site '45,400': longitude must be between -180 and 360 degrees, found 400",
     "longitude beyond a turn"),
    ("10,abc", GeometryError,
     "station: expected LAT,LON or LAT,LON,ALT_M in degrees and metres (e.g. 78.23,15.39,500), "
     "found '10,abc'", "text where a number belongs"),
    ("1,2,3,4", GeometryError,
     "station: expected LAT,LON or LAT,LON,ALT_M in degrees and metres (e.g. 78.23,15.39,500), "
     "found '1,2,3,4'", "too many numbers"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "error", "message", "reason"), BAD_STATIONS,
                         ids=[b[-1] for b in BAD_STATIONS])  # fmt: skip
def test_bad_station_strings_name_what_was_expected(text, error, message, reason):
    with pytest.raises(error) as info:
        resolve_stations([text])
    assert str(info.value) == message


def test_unknown_station_name_lists_the_known_ones():
    with pytest.raises(UnknownNameError) as info:
        resolve_stations(["Atlantis"])
    assert str(info.value).startswith("unknown station 'Atlantis'; known stations: ")
    assert "kiruna" in info.value.known


def test_station_names_are_case_insensitive_and_coordinates_parse():
    kiruna, point = resolve_stations(["KIRUNA", "78.23,15.39,500"])
    assert kiruna.name == "Kiruna"
    assert point == parse_site("78.23, 15.39, 500")
    assert (point.latitude_deg, point.longitude_deg, point.altitude_m) == (78.23, 15.39, 500.0)


def test_unknown_satellite_lists_the_known_ones():
    with pytest.raises(UnknownNameError) as info:
        select_satellites([molniya(START)], ["Sputnik"])
    assert str(info.value) == "unknown satellite 'Sputnik'; known satellites: MOLNIYA TEST"


def test_satellites_selected_by_name_or_norad_id():
    a = molniya(START)
    b = replace(a, name="OTHER", norad_id=99002)
    assert select_satellites([a, b], ["99002", "molniya test"]) == [b, a]
    assert select_satellites([a, b], []) == [a, b]


def test_no_satellites_or_no_stations_give_an_empty_result():
    assert len(find_contacts([], STATIONS, START, START + timedelta(hours=1))) == 0
    assert len(find_contacts([molniya(START)], [], START, START + timedelta(hours=1))) == 0


# --- engine properties ------------------------------------------------------------------


@pytest.mark.shared_data
def test_one_propagation_per_satellite_serves_every_station(resource, monkeypatch):
    calls: list[int] = []
    original = Propagator.grid

    def counting(self, seconds):
        calls.extend(e.norad_id for e in self.elements)
        return original(self, seconds)

    monkeypatch.setattr(Propagator, "grid", counting)
    sats = resource[:12]
    stations = [Site(f"S{i}", -60 + 10 * i, 20 * i, 0.0, 5.0) for i in range(12)]
    find_contacts(sats, stations, START, START + timedelta(days=1))
    assert sorted(calls) == sorted(e.norad_id for e in sats)


@pytest.mark.shared_data
def test_processes_give_the_same_contacts_as_one_process(resource, monkeypatch):
    monkeypatch.setattr(contacts_module, "_CHUNK_ENTRIES", 20_000)  # several chunks
    sats = resource[:6]
    end = START + timedelta(hours=12)
    one = find_contacts(sats, STATIONS, START, end).contacts
    two = find_contacts(sats, STATIONS, START, end, workers=2).contacts
    assert one == two


@pytest.mark.shared_data
def test_progress_reports_every_satellite_once(resource):
    seen: list[tuple[int, int]] = []
    find_contacts(resource[:5], STATIONS, START, START + timedelta(hours=3),
                  progress=lambda done, total: seen.append((done, total)))  # fmt: skip
    assert seen[-1] == (5, 5)


def test_contact_dict_has_the_contract_keys_first_and_round_trips():
    c = Contact("SAT", 1, "Kiruna", START, START + timedelta(seconds=200.5),
                START + timedelta(seconds=401.25), 42.1234, 401.25, True, False, 10.0, 90.0,
                170.0, 1.5)  # fmt: skip
    data = c.to_dict()
    assert list(data)[:8] == ["satellite", "norad_id", "station", "aos", "tca", "los",
                              "max_elevation_deg", "duration_s"]  # fmt: skip
    assert data["aos"] == "2026-05-31T00:00:00.000Z"
    assert data["los"] == "2026-05-31T00:06:41.250Z"
    assert data["truncated_start"] is True
    assert Contact.from_dict(data) == replace(c, max_elevation_deg=42.123)


@pytest.mark.shared_data
def test_failures_from_worker_processes_are_reported(monkeypatch):
    monkeypatch.setattr(contacts_module, "_CHUNK_ENTRIES", 2_000)  # one satellite per chunk
    iss = next(e for e in shared_tle("celestrak_stations_2026-05-30.tle") if e.norad_id == 25544)
    decaying = replace(iss, bstar=0.3, line1=None, line2=None)
    site = Site("Mid", 45.0, 10.0, 0.0, 5.0)
    end = iss.epoch + timedelta(days=3)
    one = find_contacts([decaying, iss], [site], iss.epoch, end)
    two = find_contacts([decaying, iss], [site], iss.epoch, end, workers=2)
    assert [str(f) for f in two.failures] == [str(f) for f in one.failures]
    assert len(two.failures) == 1
    assert two.contacts == one.contacts
