"""Look angles, masks and sites used by the contact search."""

from __future__ import annotations

import numpy as np
import pytest

from spacepool.access.geometry import (
    Site,
    SiteFrames,
    elevation_function,
    look_angles,
    sin_elevation_to_deg,
)
from spacepool.errors import GeometryError

ONE_MICRODEGREE = 1e-6


def test_look_angles_equal_skyfield_altaz():
    from skyfield.api import load, wgs84
    from skyfield.toposlib import ITRSPosition
    from skyfield.units import Distance

    ts = load.timescale(builtin=True)
    t = ts.utc(2026, 5, 31)
    site = Site("Matera", 40.649, 16.704, 536.0)
    rng = np.random.default_rng(1)
    r = rng.normal(size=(1, 3, 20)) * 4000.0 + np.array([[[4700.0], [1400.0], [4500.0]]])
    el, az = look_angles(r, SiteFrames.of([site]))
    topos = wgs84.latlon(site.latitude_deg, site.longitude_deg, site.altitude_m)
    for k in range(20):
        target = ITRSPosition(Distance(km=r[0, :, k]))
        alt, azimuth, _ = (target - topos).at(t).altaz()
        assert el[0, 0, k] == pytest.approx(alt.degrees, abs=ONE_MICRODEGREE)
        assert az[0, 0, k] == pytest.approx(azimuth.degrees, abs=ONE_MICRODEGREE)


def test_elevation_function_is_sine_of_elevation_minus_sine_of_mask_with_its_rate():
    site = Site("S", 10.0, 20.0, 0.0, 7.5)
    frames = SiteFrames.of([site])
    t = np.linspace(0.0, 600.0, 61)
    # A straight-line fly-by, positions and velocities in km, km/s.
    p0, vel = np.array([7000.0, 1000.0, 2000.0]), np.array([-1.0, 6.0, 3.0])
    r = (p0[:, None] + vel[:, None] * t)[None]
    v = np.broadcast_to(vel[:, None], r.shape[1:])[None]
    value, rate = elevation_function(r, v, frames)
    el, _ = look_angles(r, frames)
    np.testing.assert_allclose(value, np.sin(np.radians(el)) - np.sin(np.radians(7.5)), atol=1e-12)
    h = 1e-3  # central difference, error ~ h**2 f''' / 6

    def at(dt):
        return elevation_function(r + vel[None, :, None] * dt, v, frames)[0][0, 0]

    numeric = (at(h) - at(-h)) / (2 * h)
    np.testing.assert_allclose(rate[0, 0], numeric, rtol=1e-6, atol=1e-11)
    # The per-sample form gives the same numbers.
    v2, r2 = elevation_function(r[0], v[0], frames, np.zeros(t.size, dtype=np.int64))
    np.testing.assert_allclose(v2, value[0, 0], atol=1e-14)
    np.testing.assert_allclose(r2, rate[0, 0], atol=1e-14)
    assert sin_elevation_to_deg(np.sin(np.radians(33.0))) == pytest.approx(33.0)


def test_azimuth_mask_interpolates_and_wraps_at_north():
    site = Site("S", 0.0, 0.0, 0.0, 2.0, ((350.0, 10.0), (10.0, 20.0), (180.0, 0.0)))
    np.testing.assert_allclose(site.elevation_mask_deg([0.0, 355.0, 95.0, 270.0]),
                               [15.0, 12.5, 10.0, 10.0 * 90.0 / 170.0])  # fmt: skip


BAD_SITES = [
    # (arguments, message, reason)
    ((95.0, 10.0), "site 'x': latitude must be between -90 and 90 degrees, found 95", "pole"),
    ((10.0, -200.0), "site 'x': longitude must be between -180 and 360 degrees, found -200",
     "longitude"),
    ((10.0, 10.0, 1e6), "site 'x': altitude must be between -500 and 100000 m, found 1e+06",
     "altitude in space"),
    ((10.0, 10.0, 0.0, 95.0), "site 'x': elevation mask must be between -90 and 90 degrees, "
     "found 95", "mask above the zenith"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message", "reason"), BAD_SITES, ids=[b[-1] for b in BAD_SITES])
def test_bad_sites_are_rejected_with_the_field_named(args, message, reason):
    with pytest.raises(GeometryError) as info:
        Site("x", *args)
    assert str(info.value) == message


def test_site_dict_round_trip_and_station_conversion():
    site = Site("S", 1.5, 2.5, 30.0, 4.0, ((0.0, 5.0), (180.0, 6.0)))
    assert Site.from_dict(site.to_dict()) == site
    from spacepool.consortium import load_consortium

    station = load_consortium().station("mcmurdo")
    converted = Site.from_station(station)
    az = np.arange(0.0, 360.0, 7.5)
    np.testing.assert_allclose(converted.elevation_mask_deg(az), station.elevation_mask_deg(az))
