"""Nominal elements propagate with SGP4 into the published orbits.

Outside references: SGP4 (sgp4 package) for propagation, Skyfield's sidereal time and
the JPL DE421 ephemeris for the Sun. Tolerances are in the units named.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from sgp4.api import Satrec, jday
from skyfield.api import Loader

from spacepool.consortium import Consortium, load_consortium, solve_nominal_orbit
from spacepool.consortium.model import Orbit
from spacepool.consortium.nominal import (
    EARTH_RADIUS_KM,
    MEAN_SUN_RATE_DEG_PER_DAY,
    equation_of_time_minutes,
    ltan_from_raan_hours,
    raan_from_ltan_deg,
    sun_right_ascension_deg,
    sun_synchronous_inclination_deg,
)

WGS84_A_KM = 6378.137  # WGS84 equatorial radius
WGS84_F = 1.0 / 298.257223563  # WGS84 flattening
POLAR_DEPRESSION_KM = WGS84_A_KM * WGS84_F  # 21.4 km: equator-to-pole drop of the ellipsoid
ALTITUDE_TOLERANCE_KM = 15.0
NODE_RATE_TOLERANCE_DEG_PER_DAY = 0.02
LTAN_TOLERANCE_MIN = 2.0
SUN_RA_TOLERANCE_DEG = 0.01  # the Almanac's stated accuracy
STEP_S = 60.0

SUN_SYNCHRONOUS = [
    "sentinel-1a",
    "sentinel-2a",
    "sentinel-3a",
    "landsat-8",
    "alos-2",
    "csg-1",
    "resurs-p4",
    "rcm-2",
]


@pytest.fixture(scope="module")
def bundled() -> Consortium:
    return load_consortium()


@pytest.fixture(scope="module")
def sky() -> Iterator[tuple[Any, Any]]:
    """Skyfield timescale (built-in UT1 tables) and the DE421 ephemeris, offline."""
    with warnings.catch_warnings():
        # skyfield-data warns that its bundled finals2000A.all has expired; the
        # built-in timescale below does not read that file.
        warnings.simplefilter("ignore", RuntimeWarning)
        import skyfield_data

        path = skyfield_data.get_skyfield_data_path()
    load = Loader(path)
    eph = load("de421.bsp")
    yield load.timescale(builtin=True), eph
    eph.close()


def _propagate(
    sat: Satrec, epoch: datetime, days: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Seconds from epoch (N,), positions (3, N) and velocities (3, N) in TEME, km."""
    seconds = np.arange(0.0, days * 86400.0 + STEP_S, STEP_S)
    jd0, fr0 = jday(epoch.year, epoch.month, epoch.day, epoch.hour, epoch.minute, epoch.second)
    fr = fr0 + seconds / 86400.0
    error, r, v = sat.sgp4_array(np.full_like(fr, jd0), fr)
    assert not error.any()
    return seconds, r.T, v.T


def _ascending_crossings(
    seconds: npt.NDArray[np.float64], r: npt.NDArray[np.float64], v: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Times (s) of ascending equator crossings, refined by one Newton step on z."""
    k = np.flatnonzero((r[2, :-1] < 0.0) & (r[2, 1:] >= 0.0))
    return seconds[k] - r[2, k] / v[2, k]


def _state_at(sat: Satrec, when: datetime) -> npt.NDArray[np.float64]:
    jd, fr = jday(when.year, when.month, when.day, when.hour, when.minute, when.second)
    fr += when.microsecond * 1e-6 / 86400.0
    error, r, _ = sat.sgp4(jd, fr)
    assert error == 0
    return np.array(r)


def _geodetic_height_km(r: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """WGS84 height of TEME positions (3, N): latitude and height do not depend on the
    rotation about z, so no Earth-fixed transformation is needed (Bowring iteration)."""
    p = np.hypot(r[0], r[1])
    e2 = WGS84_F * (2.0 - WGS84_F)
    lat = np.arctan2(r[2], p * (1.0 - e2))
    for _ in range(5):
        n = WGS84_A_KM / np.sqrt(1.0 - e2 * np.sin(lat) ** 2)
        height = p / np.cos(lat) - n
        lat = np.arctan2(r[2], p * (1.0 - e2 * n / (n + height)))
    n = WGS84_A_KM / np.sqrt(1.0 - e2 * np.sin(lat) ** 2)
    result: npt.NDArray[np.float64] = p / np.cos(lat) - n
    return result


@pytest.mark.parametrize("sc_id", [*SUN_SYNCHRONOUS, "iss"])
def test_nominal_orbit_stays_at_the_published_altitude(bundled: Consortium, sc_id: str) -> None:
    spacecraft = bundled.spacecraft(sc_id)
    published = spacecraft.orbit.altitude_km
    assert published is not None
    _, r, _ = _propagate(spacecraft.element_set().satrec(), bundled.epoch, 10.0)
    radius_altitude = np.linalg.norm(r, axis=0) - EARTH_RADIUS_KM
    assert abs(radius_altitude.mean() - published) < ALTITUDE_TOLERANCE_KM
    height = _geodetic_height_km(r)
    # Above the ellipsoid the height also rises by up to 21.4 km towards the poles.
    assert height.min() > published - ALTITUDE_TOLERANCE_KM
    assert height.max() < published + POLAR_DEPRESSION_KM + ALTITUDE_TOLERANCE_KM


@pytest.mark.parametrize("sc_id", SUN_SYNCHRONOUS)
def test_nominal_orbit_plane_turns_with_the_mean_sun(bundled: Consortium, sc_id: str) -> None:
    spacecraft = bundled.spacecraft(sc_id)
    seconds, r, v = _propagate(spacecraft.element_set().satrec(), bundled.epoch, 10.0)
    h = np.cross(r.T, v.T).T
    raan_deg = np.degrees(np.unwrap(np.arctan2(h[0], -h[1])))
    rate = np.polyfit(seconds / 86400.0, raan_deg, 1)[0]
    assert abs(rate - MEAN_SUN_RATE_DEG_PER_DAY) < NODE_RATE_TOLERANCE_DEG_PER_DAY


@pytest.mark.parametrize("sc_id", SUN_SYNCHRONOUS)
def test_ascending_node_crosses_at_the_published_local_time(
    bundled: Consortium, sky: tuple[Any, Any], sc_id: str
) -> None:
    ts, eph = sky
    spacecraft = bundled.spacecraft(sc_id)
    sat = spacecraft.element_set().satrec()
    seconds, r, v = _propagate(sat, bundled.epoch, 0.2)
    crossing = bundled.epoch + timedelta(seconds=float(_ascending_crossings(seconds, r, v)[0]))
    node = _state_at(sat, crossing)
    assert abs(node[2]) < 0.5  # km: really on the equator
    node_ra_deg = math.degrees(math.atan2(node[1], node[0]))
    t = ts.from_datetime(crossing)
    ut_hours = crossing.hour + crossing.minute / 60.0 + crossing.second / 3600.0
    mean_solar_hours = (ut_hours + (node_ra_deg / 15.0 - t.gmst)) % 24.0
    published = spacecraft.orbit.ltan_hours
    assert published is not None
    error_min = ((mean_solar_hours - published + 12.0) % 24.0 - 12.0) * 60.0
    assert abs(error_min) < LTAN_TOLERANCE_MIN

    # Apparent solar time uses the true Sun (DE421): it differs by the equation of time.
    sun_ra, _, _ = eph["earth"].at(t).observe(eph["sun"]).apparent().radec(epoch="date")
    apparent_hours = (12.0 + (node_ra_deg - sun_ra._degrees) / 15.0) % 24.0
    eot_min = ((apparent_hours - mean_solar_hours + 12.0) % 24.0 - 12.0) * 60.0
    assert eot_min == pytest.approx(equation_of_time_minutes(crossing), abs=0.1)


def test_repeat_cycle_brings_the_ground_track_back(
    bundled: Consortium, sky: tuple[Any, Any]
) -> None:
    ts, _ = sky
    spacecraft = bundled.spacecraft("sentinel-2a")  # 143 orbits in 10 days
    sat = spacecraft.element_set().satrec()
    seconds, r, v = _propagate(sat, bundled.epoch, 10.2)
    crossings = _ascending_crossings(seconds, r, v)
    first, last = (bundled.epoch + timedelta(seconds=float(crossings[k])) for k in (0, 143))
    assert abs((last - first).total_seconds() - 10 * 86400.0) < 60.0

    def node_longitude_deg(when: datetime) -> float:
        x, y, _ = _state_at(sat, when)
        return math.degrees(math.atan2(y, x)) - 15.0 * ts.from_datetime(when).gmst

    shift = (node_longitude_deg(last) - node_longitude_deg(first) + 180.0) % 360.0 - 180.0
    assert abs(shift) < 0.1  # deg, ~11 km at the equator


def test_brouwer_semi_major_axis_is_earth_radius_plus_altitude(bundled: Consortium) -> None:
    orbit = bundled.spacecraft("resurs-p4").orbit  # sized by altitude only
    sat = bundled.spacecraft("resurs-p4").element_set().satrec()
    assert orbit.altitude_km is not None
    assert sat.a * EARTH_RADIUS_KM - EARTH_RADIUS_KM == pytest.approx(orbit.altitude_km, abs=1e-6)


def test_non_sun_synchronous_orbit_keeps_its_inclination_and_raan(bundled: Consortium) -> None:
    iss = bundled.spacecraft("iss")
    elements = iss.element_set()
    assert elements.inclination_deg == pytest.approx(51.64, abs=1e-9)
    assert elements.raan_deg == 30.13
    assert elements.source == "nominal"
    assert (elements.arg_perigee_deg + elements.mean_anomaly_deg) % 360.0 == pytest.approx(351.5)


def test_j2_first_guess_is_within_a_few_hundredths_of_the_sgp4_solution() -> None:
    orbit = Orbit(
        sun_synchronous=True,
        epoch=datetime(2026, 5, 30, tzinfo=UTC),
        source="test",
        altitude_km=786.0,
        ltan_hours=22.5,
    )
    solved = solve_nominal_orbit(orbit)
    first = sun_synchronous_inclination_deg(EARTH_RADIUS_KM + 786.0)
    assert 0.0 < solved.inclination_deg - first < 0.05
    assert solved.node_rate_deg_per_day == pytest.approx(MEAN_SUN_RATE_DEG_PER_DAY, abs=1e-9)


@pytest.mark.parametrize(
    "when",
    [
        datetime(2020, 1, 1, tzinfo=UTC),
        datetime(2024, 3, 20, 3, 6, tzinfo=UTC),
        datetime(2026, 5, 30, tzinfo=UTC),
        datetime(2026, 11, 3, 12, 30, tzinfo=UTC),
        datetime(2030, 12, 31, 23, 0, tzinfo=UTC),
    ],
)
def test_almanac_sun_right_ascension_matches_de421(sky: tuple[Any, Any], when: datetime) -> None:
    ts, eph = sky
    t = ts.from_datetime(when)
    ra, _, _ = eph["earth"].at(t).observe(eph["sun"]).apparent().radec(epoch="date")
    difference = (sun_right_ascension_deg(when) - ra._degrees + 180.0) % 360.0 - 180.0
    assert abs(difference) < SUN_RA_TOLERANCE_DEG


def test_raan_and_local_time_of_the_node_are_inverse() -> None:
    when = datetime(2026, 5, 30, 7, 45, tzinfo=UTC)
    for ltan in (0.0, 6.0, 10.5, 18.0, 22.5, 23.99):
        assert ltan_from_raan_hours(raan_from_ltan_deg(ltan, when), when) == pytest.approx(
            ltan, abs=1e-9
        )
