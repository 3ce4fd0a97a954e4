"""Frames and the Sun against Skyfield (same DE421 ephemeris, independent code paths)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from skyfield.api import EarthSatellite, wgs84
from skyfield.framelib import itrs

from spacepool.orbits.frames import (
    geodetic_to_itrs,
    itrs_to_geodetic,
    load_de421,
    sun_itrs_km,
    sunlit,
    up_vector,
)
from spacepool.orbits.timebase import TimeBase, timescale

ONE_MM_KM = 1e-6
ONE_MICRODEGREE = 1e-6

# ISS elements (CelesTrak, 2026-05-30 snapshot format); any valid TLE serves here.
ISS_1 = "1 25544U 98067A   26150.50000000  .00010000  00000+0  18000-3 0  9998"
ISS_2 = "2 25544  51.6300 120.0000 0004000  90.0000 270.0000 15.50000000 10000"


@pytest.fixture(scope="module")
def eph():  # type: ignore[no-untyped-def]
    return load_de421()


def test_geodetic_round_trip_from_pole_to_geo_altitude() -> None:
    lat = np.array([-90.0, -45.0, 0.0, 12.5, 67.85, 89.999, 90.0])
    lon = np.array([0.0, -170.0, 179.9, 0.0, 20.96, -45.0, 10.0])
    h = np.array([0.0, 0.5, 35786.0, 700.0, 0.4, 400.0, 10.0])
    r = geodetic_to_itrs(lat, lon, h)
    lat2, lon2, h2 = itrs_to_geodetic(r)
    assert np.max(np.abs(lat2 - lat)) < ONE_MICRODEGREE
    assert np.max(np.abs(h2 - h)) < ONE_MM_KM
    # Longitude is undefined at the poles; compare elsewhere.
    away = np.abs(lat) < 89.99
    dlon = (lon2 - lon + 180.0) % 360.0 - 180.0
    assert np.max(np.abs(dlon[away])) < ONE_MICRODEGREE


def test_geodetic_matches_skyfield_wgs84() -> None:
    ts = timescale()
    sat = EarthSatellite(ISS_1, ISS_2, ts=ts)
    t = ts.utc(2026, 5, 31, 0, np.arange(0, 95, 5.0))
    pos = sat.at(t)
    r_itrs = pos.frame_xyz(itrs).km
    lat, lon, h = itrs_to_geodetic(r_itrs)
    ref = wgs84.geographic_position_of(pos)
    assert np.max(np.abs(lat - ref.latitude.degrees)) < ONE_MICRODEGREE
    assert np.max(np.abs(((lon - ref.longitude.degrees) + 180) % 360 - 180)) < ONE_MICRODEGREE
    assert np.max(np.abs(h - ref.elevation.km)) < ONE_MM_KM


def test_station_position_matches_skyfield() -> None:
    ts = timescale()
    t = ts.utc(2026, 5, 31)
    kiruna = wgs84.latlon(67.857, 20.964, elevation_m=402.0)
    ref = kiruna.at(t).frame_xyz(itrs).km
    ours = geodetic_to_itrs(67.857, 20.964, 0.402)
    assert np.max(np.abs(ours - ref)) < ONE_MM_KM
    up = up_vector(67.857, 20.964)
    assert abs(np.linalg.norm(up) - 1.0) < 1e-12


def test_sun_position_matches_direct_de421_evaluation(eph) -> None:  # type: ignore[no-untyped-def]
    start = datetime(2026, 5, 31, tzinfo=UTC)
    tb = TimeBase.around(start, datetime(2026, 6, 2, tzinfo=UTC))
    seconds = np.linspace(0.0, 2 * 86400.0, 997)  # off the 10-min interpolation nodes
    ours = sun_itrs_km(tb, seconds)
    ts = timescale()
    t = ts.utc(2026, 5, 31, 0, 0, seconds)
    ref = (eph["sun"] - eph["earth"]).at(t).frame_xyz(itrs).km
    # Interpolation error budget: 0.01 arcsec in direction (a sun-elevation error
    # of 3e-6 deg), far below anything the access engine resolves.
    cos = np.sum(ours * ref, axis=0) / (np.linalg.norm(ours, axis=0) * np.linalg.norm(ref, axis=0))
    worst_arcsec = np.degrees(np.arccos(np.clip(cos.min(), -1, 1))) * 3600.0
    assert worst_arcsec < 0.01


def test_sunlit_flag_matches_skyfield_is_sunlit(eph) -> None:  # type: ignore[no-untyped-def]
    ts = timescale()
    sat = EarthSatellite(ISS_1, ISS_2, ts=ts)
    start = datetime(2026, 5, 31, tzinfo=UTC)
    tb = TimeBase.around(start, datetime(2026, 5, 31, 6, tzinfo=UTC))
    seconds = np.arange(0.0, 6 * 3600.0, 10.0)
    t = ts.utc(2026, 5, 31, 0, 0, seconds)
    r = sat.at(t).frame_xyz(itrs).km
    ours = sunlit(r, sun_itrs_km(tb, seconds))
    ref = sat.at(t).is_sunlit(eph)
    # Both models switch within a few seconds of each other at the shadow edge
    # (Skyfield uses a cylinder-free spherical Earth test at the Sun's centre).
    disagreements = np.flatnonzero(ours != ref)
    assert ours.any() and (~ours).any(), "6 h of ISS orbit must include day and night"
    assert disagreements.size <= 8 * 2, f"{disagreements.size} samples disagree"
    edges = np.flatnonzero(np.diff(ref.astype(int)))
    for k in disagreements:
        assert np.min(np.abs(edges - k)) <= 2, "disagreement away from a shadow edge"
