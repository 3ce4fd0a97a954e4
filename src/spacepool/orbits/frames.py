"""Reference frames: TEME -> ITRS, WGS84 geodetic, and the Sun.

TEME -> ITRS follows Vallado, Crawford, Hujsak & Kelso, "Revisiting Spacetrack
Report #3" (AIAA 2006-6753), section "Coordinate frames": rotate by the
Greenwich mean sidereal time of IAU-82 (Skyfield's ``theta_GMST1982``) about z,
which takes TEME to the pseudo Earth-fixed frame; polar motion (below 15 m at
the surface) is neglected, as Skyfield does when no polar-motion table is loaded.
Skyfield's own TEME frame reduces to the same rotation, so positions agree with
``EarthSatellite.at(t).frame_xyz(itrs)`` to well under a millimetre.

Arrays: component axis before the time axis, ``(..., 3, N)``.
"""

from __future__ import annotations

import atexit
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from skyfield.sgp4lib import theta_GMST1982

from spacepool.orbits.timebase import TimeBase, timescale

FloatArray = NDArray[np.float64]

# WGS84 ellipsoid (NIMA TR8350.2, 3rd ed., table 3.1).
WGS84_A_KM = 6378.137
WGS84_INV_F = 298.257223563
WGS84_F = 1.0 / WGS84_INV_F
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
# Mean equatorial radius used for the Earth-shadow test (same source).
EARTH_RADIUS_KM = WGS84_A_KM
# Mean radius of the Sun's photosphere, IAU 2015 Resolution B3 nominal value.
SUN_RADIUS_KM = 695_700.0


def teme_to_itrs(
    r_teme_km: FloatArray,
    v_teme_km_s: FloatArray,
    jd_ut1_whole: FloatArray,
    jd_ut1_fraction: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Rotate TEME states to ITRS (Earth-fixed).

    ``r_teme_km`` and ``v_teme_km_s`` have shape ``(..., 3, N)``; the Julian
    dates have shape ``(N,)``. Returns ``(r_itrs_km, v_itrs_km_s)`` of the same
    shape. Velocity includes the Earth-rotation term ``-omega x r``.
    """
    theta, theta_dot = theta_GMST1982(jd_ut1_whole, jd_ut1_fraction)
    c = np.cos(theta)
    s = np.sin(theta)
    omega = theta_dot / 86400.0  # rad/s; theta_dot is radians per day
    x, y, z = r_teme_km[..., 0, :], r_teme_km[..., 1, :], r_teme_km[..., 2, :]
    vx, vy, vz = v_teme_km_s[..., 0, :], v_teme_km_s[..., 1, :], v_teme_km_s[..., 2, :]
    xr = c * x + s * y
    yr = -s * x + c * y
    vxr = c * vx + s * vy + omega * yr
    vyr = -s * vx + c * vy - omega * xr
    r = np.stack((xr, yr, z), axis=-2)
    v = np.stack((vxr, vyr, vz), axis=-2)
    return r, v


def itrs_to_geodetic(r_itrs_km: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """WGS84 geodetic latitude, longitude (degrees) and height (km).

    ``r_itrs_km`` has shape ``(..., 3, N)``; outputs have shape ``(..., N)``.
    Latitude by fixed-point iteration on the reduced form (as Skyfield's
    ``wgs84.subpoint``); three iterations converge below 1e-9 deg for LEO to GEO.
    """
    x, y, z = r_itrs_km[..., 0, :], r_itrs_km[..., 1, :], r_itrs_km[..., 2, :]
    lon = np.arctan2(y, x)
    p = np.hypot(x, y)
    lat = np.arctan2(z, p * (1.0 - WGS84_E2))
    for _ in range(3):
        sin_lat = np.sin(lat)
        n = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * sin_lat * sin_lat)
        lat = np.arctan2(z + n * WGS84_E2 * sin_lat, p)
    sin_lat = np.sin(lat)
    cos_lat = np.cos(lat)
    n = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * sin_lat * sin_lat)
    # Height: robust form valid at all latitudes (Bowring 1985).
    height = p * cos_lat + z * sin_lat - WGS84_A_KM**2 / n
    return np.degrees(lat), np.degrees(lon), height


def geodetic_to_itrs(
    latitude_deg: FloatArray | float,
    longitude_deg: FloatArray | float,
    height_km: FloatArray | float = 0.0,
) -> FloatArray:
    """ITRS position (km) of WGS84 geodetic points; shape ``(3,) + broadcast shape``."""
    lat = np.radians(np.asarray(latitude_deg, dtype=np.float64))
    lon = np.radians(np.asarray(longitude_deg, dtype=np.float64))
    h = np.asarray(height_km, dtype=np.float64)
    sin_lat = np.sin(lat)
    n = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * sin_lat * sin_lat)
    x = (n + h) * np.cos(lat) * np.cos(lon)
    y = (n + h) * np.cos(lat) * np.sin(lon)
    z = (n * (1.0 - WGS84_E2) + h) * sin_lat
    return np.stack(np.broadcast_arrays(x, y, z))


def up_vector(latitude_deg: FloatArray | float, longitude_deg: FloatArray | float) -> FloatArray:
    """Unit normal to the WGS84 ellipsoid (geodetic zenith); shape ``(3,) + shape``."""
    lat = np.radians(np.asarray(latitude_deg, dtype=np.float64))
    lon = np.radians(np.asarray(longitude_deg, dtype=np.float64))
    return np.stack(
        np.broadcast_arrays(np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat))
    )


def skyfield_data_dir() -> Path:
    """The folder of data files shipped by the ``skyfield-data`` package.

    Found from the module's location rather than ``get_skyfield_data_path()``,
    which warns about the age of ``finals2000A.all`` — a file the engine does not
    use (UT1 comes from Skyfield's own bundled IERS table; see timebase.py).
    """
    import skyfield_data

    return Path(skyfield_data.__file__).resolve().parent / "data"


@lru_cache(maxsize=1)
def load_de421() -> Any:
    """JPL DE421 (1900-2050) from the skyfield-data package; never downloads."""
    from skyfield.api import Loader

    path = skyfield_data_dir() / "de421.bsp"
    if not path.exists():  # pragma: no cover - broken installation
        raise FileNotFoundError(f"{path} is missing; reinstall the skyfield-data package")
    kernel = Loader(str(path.parent), verbose=False)("de421.bsp")
    # The kernel keeps its file open for the life of the process; close it at exit
    # so the interpreter does not warn about an unclosed file.
    atexit.register(kernel.close)
    return kernel


def sun_itrs_km(timebase: TimeBase, seconds: FloatArray) -> FloatArray:
    """Geocentric apparent-geometry Sun position in ITRS (km), shape ``(3, N)``.

    Evaluated exactly with Skyfield + DE421 on a 10-minute grid covering
    ``seconds`` and interpolated with cubic Hermite splines between nodes;
    the Sun moves 0.04 deg per 10 min in ITRS-relative ecliptic longitude but
    the dominant motion is Earth rotation (2.5 deg per 10 min), which the
    interpolation follows to about 1e-8 of the distance, i.e. 0.003 arcsec
    in direction (checked in tests against direct evaluation).
    """
    from skyfield.framelib import itrs

    s = np.asarray(seconds, dtype=np.float64)
    if s.size == 0:
        return np.zeros((3, 0))
    step = 600.0
    lo = np.floor(s.min() / step) * step - step
    hi = np.ceil(s.max() / step) * step + step
    nodes = np.arange(lo, hi + step / 2, step)
    eph = load_de421()
    ts = timescale()
    t0 = timebase.t0
    t = ts.utc(
        t0.year, t0.month, t0.day, t0.hour, t0.minute, t0.second + t0.microsecond * 1e-6 + nodes
    )
    sun = (eph["sun"] - eph["earth"]).at(t)
    r_au, v_au_day = sun.frame_xyz_and_velocity(itrs)
    au_km = 149_597_870.700  # IAU 2012 Resolution B2
    r = np.asarray(r_au.au) * au_km
    v = np.asarray(v_au_day.au_per_d) * au_km / 86400.0
    return _hermite(nodes, r, v, s)


def _hermite(nodes: FloatArray, r: FloatArray, v: FloatArray, s: FloatArray) -> FloatArray:
    """Cubic Hermite interpolation of ``(3, M)`` samples with derivatives at ``s``."""
    step = nodes[1] - nodes[0]
    i = np.clip(((s - nodes[0]) // step).astype(np.int64), 0, nodes.size - 2)
    u = (s - nodes[i]) / step
    h00 = 2 * u**3 - 3 * u**2 + 1
    h10 = u**3 - 2 * u**2 + u
    h01 = -2 * u**3 + 3 * u**2
    h11 = u**3 - u**2
    result: FloatArray = (
        h00 * r[:, i] + h10 * step * v[:, i] + h01 * r[:, i + 1] + h11 * step * v[:, i + 1]
    )
    return result


def sunlit(r_itrs_km: FloatArray, sun_itrs_km_: FloatArray) -> NDArray[np.bool_]:
    """True where a satellite is in sunlight (cylindrical-plus-penumbra test).

    Conical shadow model: in sunlight unless the Earth (spherical, equatorial
    radius) hides more than half of the Sun's disc, i.e. the apparent
    angular separation of Earth and Sun centres is below the Earth's angular
    radius (Montenbruck & Gill, Satellite Orbits, sec. 3.4.2, simplified to the
    half-disc criterion). ``r_itrs_km``: ``(..., 3, N)``; ``sun_itrs_km_``: ``(3, N)``.
    """
    to_sun = sun_itrs_km_ - r_itrs_km
    d_sun = np.linalg.norm(to_sun, axis=-2)
    d_earth = np.linalg.norm(r_itrs_km, axis=-2)
    cos_sep = np.sum(to_sun * (-r_itrs_km), axis=-2) / (d_sun * d_earth)
    sep = np.arccos(np.clip(cos_sep, -1.0, 1.0))
    earth_ang = np.arcsin(np.clip(EARTH_RADIUS_KM / d_earth, -1.0, 1.0))
    result: NDArray[np.bool_] = sep >= earth_ang
    return result
