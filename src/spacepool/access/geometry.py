"""Visibility geometry seen from ground sites: elevation, azimuth, masks, grid steps.

Elevation is measured above the geodetic horizon: the plane normal to the WGS84
ellipsoid at the site (``frames.up_vector``). Azimuth is measured from north,
clockwise (eastwards), in ``[0, 360)``. Positions are ITRS kilometres.

The contact search works with ``sin(elevation) - sin(mask)`` instead of
``elevation - mask``: same sign, same extrema, no ``arcsin`` in the hot path, and a
smooth derivative through the zenith. Its time derivative comes analytically from the
ITRS velocity (``d/dt (rho . up / |rho|)``, with ``rho`` the site-to-satellite vector).

Shapes: satellites, sites, time: ``(S, P, N)``; positions ``(S, 3, N)``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from spacepool.errors import GeometryError
from spacepool.orbits.elements import ElementSet
from spacepool.orbits.frames import WGS84_A_KM, geodetic_to_itrs, up_vector

FloatArray = NDArray[np.float64]

# Earth rotation rate, rad/s (IERS Conventions 2010, table 1.1: 7.292115e-5).
EARTH_ROTATION_RAD_S = 7.292115e-5
# Earth's gravitational parameter for SGP4, km^3/s^2 (WGS72, as SGP4 uses; Vallado
# et al. 2006, AIAA 2006-6753, "getgravconst").
MU_WGS72_KM3_S2 = 398600.8
# Largest angle between the geodetic and the geocentric vertical on WGS84: 0.1924 deg
# at 45 deg latitude (from the WGS84 flattening: f * sin(2 lat) in radians, first
# order; NIMA TR8350.2). Used to keep the central-angle pre-filter conservative.
MAX_VERTICAL_DEFLECTION_DEG = 0.2

# Grid step: this fraction of the time the satellite takes to sweep one radian of
# geocentric angle relative to the Earth at perigee (1 / (omega_perigee + omega_earth)).
# For a 500 km orbit that is 0.3 * 848 s = 254 s (240 s after rounding down), about 24
# samples per orbit: at most one elevation extremum per step, and the exact Newton
# polish of every root makes the timing accuracy independent of the step (measured
# against a 1-ms brute-force reference: docs/access.md).
STEP_FRACTION_OF_PERIGEE_TIME = 0.3
# Allowed steps (seconds): satellites with the same step share one propagation grid.
STEP_CHOICES_S: tuple[float, ...] = (30.0, 60.0, 90.0, 120.0, 180.0, 240.0, 360.0, 480.0, 600.0)


@runtime_checkable
class StationLike(Protocol):
    """Anything with a WGS84 position and an elevation mask (e.g. ``GroundStation``).

    Read-only members, so frozen dataclasses satisfy it.
    """

    @property
    def name(self) -> str: ...
    @property
    def latitude_deg(self) -> float: ...
    @property
    def longitude_deg(self) -> float: ...
    @property
    def altitude_m(self) -> float: ...
    @property
    def min_elevation_deg(self) -> float: ...

    def elevation_mask_deg(self, azimuth_deg: ArrayLike) -> NDArray[np.float64]: ...


@dataclass(frozen=True)
class Site:
    """A ground site: WGS84 position and elevation mask.

    ``min_elevation_deg`` is the constant mask; ``azimuth_mask`` optionally adds
    ``(azimuth_deg, elevation_deg)`` points (terrain, buildings), interpolated linearly
    in azimuth with wrap-around at 360 deg. The mask in force is the larger of the two
    (the same rule as :class:`spacepool.consortium.GroundStation`).
    """

    name: str
    latitude_deg: float
    longitude_deg: float
    altitude_m: float = 0.0
    min_elevation_deg: float = 0.0
    azimuth_mask: tuple[tuple[float, float], ...] = field(default=())

    def __post_init__(self) -> None:
        _check_position(self.latitude_deg, self.longitude_deg, self.altitude_m, self.name)
        if not -90.0 < self.min_elevation_deg < 90.0:
            raise GeometryError(
                f"site {self.name!r}: elevation mask must be between -90 and 90 degrees, "
                f"found {self.min_elevation_deg:g}"
            )
        for az, el in self.azimuth_mask:
            if not (math.isfinite(az) and math.isfinite(el) and -90.0 < el < 90.0):
                raise GeometryError(
                    f"site {self.name!r}: azimuth mask points must be (azimuth_deg, "
                    f"elevation_deg) with -90 < elevation < 90, found ({az:g}, {el:g})"
                )

    @property
    def has_azimuth_mask(self) -> bool:
        return bool(self.azimuth_mask)

    def elevation_mask_deg(self, azimuth_deg: ArrayLike) -> NDArray[np.float64]:
        """Minimum usable elevation at each azimuth; same shape as ``azimuth_deg``."""
        azimuth = np.asarray(azimuth_deg, dtype=np.float64)
        floor = np.full(azimuth.shape, self.min_elevation_deg)
        if not self.azimuth_mask:
            return floor
        points = np.array(sorted(self.azimuth_mask), dtype=np.float64).T  # (2, K)
        table = np.interp(np.mod(azimuth, 360.0), points[0], points[1], period=360.0)
        result: NDArray[np.float64] = np.maximum(floor, table)
        return result

    def with_mask(self, min_elevation_deg: float) -> Site:
        """The same site with a constant mask (any azimuth table dropped)."""
        return Site(self.name, self.latitude_deg, self.longitude_deg, self.altitude_m,
                    min_elevation_deg)  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "latitude_deg": self.latitude_deg,
            "longitude_deg": self.longitude_deg,
            "altitude_m": self.altitude_m,
            "min_elevation_deg": self.min_elevation_deg,
        }
        if self.azimuth_mask:
            data["azimuth_mask"] = [[az, el] for az, el in self.azimuth_mask]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Site:
        return cls(
            name=str(data["name"]),
            latitude_deg=float(data["latitude_deg"]),
            longitude_deg=float(data["longitude_deg"]),
            altitude_m=float(data.get("altitude_m", 0.0)),
            min_elevation_deg=float(data.get("min_elevation_deg", 0.0)),
            azimuth_mask=tuple((float(az), float(el)) for az, el in data.get("azimuth_mask", ())),
        )

    @classmethod
    def from_station(cls, station: StationLike) -> Site:
        """Convert a consortium ``GroundStation`` (or any :class:`StationLike`)."""
        mask = tuple(getattr(station, "azimuth_mask", ()) or ())
        return cls(
            name=station.name,
            latitude_deg=float(station.latitude_deg),
            longitude_deg=float(station.longitude_deg),
            altitude_m=float(station.altitude_m),
            min_elevation_deg=float(station.min_elevation_deg),
            azimuth_mask=tuple((float(az), float(el)) for az, el in mask),
        )


def _check_position(lat: float, lon: float, alt_m: float, name: str) -> None:
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise GeometryError(
            f"site {name!r}: latitude must be between -90 and 90 degrees, found {lat:g}"
        )
    if not (math.isfinite(lon) and -180.0 <= lon <= 360.0):
        raise GeometryError(
            f"site {name!r}: longitude must be between -180 and 360 degrees, found {lon:g}"
        )
    if not (math.isfinite(alt_m) and -500.0 <= alt_m <= 100_000.0):
        raise GeometryError(
            f"site {name!r}: altitude must be between -500 and 100000 m, found {alt_m:g}"
        )


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_COORDS = re.compile(rf"\s*({_NUMBER})\s*,\s*({_NUMBER})\s*(?:,\s*({_NUMBER})\s*)?")


def looks_like_coordinates(text: str) -> bool:
    """True when ``text`` starts like ``LAT,LON`` (a number, then a comma)."""
    return re.match(rf"\s*{_NUMBER}\s*,", text) is not None


def parse_site(text: str, *, min_elevation_deg: float = 0.0) -> Site:
    """``"LAT,LON"`` or ``"LAT,LON,ALT_M"`` (degrees, degrees, metres) -> :class:`Site`.

    Raises :class:`~spacepool.errors.GeometryError` saying what was expected.
    """
    match = _COORDS.fullmatch(text)
    if match is None:
        raise GeometryError(
            f"station: expected LAT,LON or LAT,LON,ALT_M in degrees and metres "
            f"(e.g. 78.23,15.39,500), found {text!r}"
        )
    lat, lon = float(match[1]), float(match[2])
    alt = float(match[3]) if match[3] is not None else 0.0
    name = f"{lat:g},{lon:g}" + (f",{alt:g}" if match[3] is not None else "")
    return Site(name, lat, lon, alt, min_elevation_deg)


def as_site(station: Site | StationLike, min_elevation_deg: float | None = None) -> Site:
    """A :class:`Site` from a site or a station; a given ``min_elevation_deg`` replaces
    the station's whole mask (constant and azimuth table)."""
    site = station if isinstance(station, Site) else Site.from_station(station)
    return site if min_elevation_deg is None else site.with_mask(min_elevation_deg)


# --- many sites at once -------------------------------------------------------------


@dataclass(frozen=True)
class SiteFrames:
    """Local frames of ``P`` sites, for vectorised look angles.

    ``position_km``, ``up``, ``east``, ``north``: ``(P, 3)`` (ITRS); ``sin_mask``:
    ``(P,)`` sine of the constant mask; ``table``: per site the sorted
    ``(azimuth_deg, elevation_deg)`` mask table as ``(2, K)``, or ``None``.
    """

    sites: tuple[Site, ...]
    position_km: FloatArray
    up: FloatArray
    east: FloatArray
    north: FloatArray
    sin_mask: FloatArray
    tables: tuple[FloatArray | None, ...]

    @classmethod
    def of(cls, sites: Sequence[Site]) -> SiteFrames:
        lat = np.array([s.latitude_deg for s in sites], dtype=np.float64)
        lon = np.array([s.longitude_deg for s in sites], dtype=np.float64)
        alt_km = np.array([s.altitude_m for s in sites], dtype=np.float64) / 1000.0
        position = geodetic_to_itrs(lat, lon, alt_km).T.reshape(len(sites), 3)
        up = up_vector(lat, lon).T.reshape(len(sites), 3)
        lon_r = np.radians(lon)
        east = np.stack((-np.sin(lon_r), np.cos(lon_r), np.zeros_like(lon_r)), axis=1)
        north = np.cross(up, east)
        tables: list[FloatArray | None] = []
        for s in sites:
            tables.append(np.array(sorted(s.azimuth_mask), dtype=np.float64).T
                          if s.azimuth_mask else None)  # fmt: skip
        sin_mask = np.sin(np.radians([s.min_elevation_deg for s in sites]))
        return cls(tuple(sites), position, up, east, north, np.asarray(sin_mask, np.float64),
                   tuple(tables))  # fmt: skip

    def __len__(self) -> int:
        return len(self.sites)

    @property
    def any_azimuth_mask(self) -> bool:
        return any(t is not None for t in self.tables)


def look_angles(r_itrs_km: FloatArray, frames: SiteFrames) -> tuple[FloatArray, FloatArray]:
    """Elevation and azimuth (degrees) of positions ``(S, 3, N)`` from every site.

    Returns two ``(S, P, N)`` arrays; azimuth in ``[0, 360)`` from north, clockwise.
    """
    r = np.asarray(r_itrs_km, dtype=np.float64)
    rho = r[:, None, :, :] - frames.position_km[None, :, :, None]  # (S, P, 3, N)
    z = np.einsum("pc,spcn->spn", frames.up, rho)
    e = np.einsum("pc,spcn->spn", frames.east, rho)
    n = np.einsum("pc,spcn->spn", frames.north, rho)
    elevation = np.degrees(np.arctan2(z, np.hypot(e, n)))
    azimuth = np.mod(np.degrees(np.arctan2(e, n)), 360.0)
    return elevation, azimuth


def elevation_function(
    r_itrs_km: FloatArray,
    v_itrs_km_s: FloatArray,
    frames: SiteFrames,
    site_index: NDArray[np.int64] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """``sin(elevation) - sin(mask)`` and its time derivative (1/s).

    Two forms: ``r``, ``v`` of shape ``(S, 3, N)`` with ``site_index=None`` give
    ``(S, P, N)`` arrays (every satellite against every site); ``r``, ``v`` of shape
    ``(3, K)`` with ``site_index`` ``(K,)`` give ``(K,)`` arrays (sample ``k`` against
    site ``site_index[k]``), as event refinement needs.
    """
    if site_index is None:
        r = np.asarray(r_itrs_km, dtype=np.float64)
        v = np.asarray(v_itrs_km_s, dtype=np.float64)
        up, pos = frames.up, frames.position_km
        # rho = r - p: every dot product from small matmuls, no (S, P, 3, N) temporary.
        z = np.matmul(up, r)  # (S, P, N)
        z -= np.einsum("pc,pc->p", up, pos)[:, None]
        zdot = np.matmul(up, v)
        rr = np.einsum("scn,scn->sn", r, r)[:, None, :]
        rp = np.matmul(pos, r)
        rho2 = rr - 2.0 * rp + np.einsum("pc,pc->p", pos, pos)[:, None]
        rv = np.einsum("scn,scn->sn", r, v)[:, None, :]
        rhov = rv - np.matmul(pos, v)
        inv = 1.0 / np.sqrt(rho2)
        sin_el = z * inv
        rate = (zdot - sin_el * rhov * inv) * inv
        sin_mask = frames.sin_mask[None, :, None]
        value = sin_el - sin_mask
        if frames.any_azimuth_mask:
            for p, table in enumerate(frames.tables):
                if table is None:
                    continue
                val, der = _table_mask_terms(r - pos[p][None, :, None], v, frames, p, table)
                value[:, p, :] = sin_el[:, p, :] - val
                rate[:, p, :] -= der
        return value, rate
    idx = np.asarray(site_index, dtype=np.int64)
    r = np.asarray(r_itrs_km, dtype=np.float64)
    v = np.asarray(v_itrs_km_s, dtype=np.float64)
    # Gathers along the last axis give contiguous (3, K) arrays (fancy indexing on
    # (P, 3) and transposing would not; einsum is several times slower on those).
    rho = r - np.take(frames.position_km.T, idx, axis=1)  # (3, K)
    up = np.take(frames.up.T, idx, axis=1)
    z = np.einsum("ck,ck->k", up, rho)
    zdot = np.einsum("ck,ck->k", up, v)
    rho2 = np.einsum("ck,ck->k", rho, rho)
    rhov = np.einsum("ck,ck->k", rho, v)
    inv = 1.0 / np.sqrt(rho2)
    sin_el = z * inv
    rate = (zdot - sin_el * rhov * inv) * inv
    value = sin_el - frames.sin_mask[idx]
    if frames.any_azimuth_mask:
        for p, table in enumerate(frames.tables):
            if table is None:
                continue
            sel = np.flatnonzero(idx == p)
            if sel.size == 0:
                continue
            val, der = _table_mask_terms(rho[:, sel][None], v[:, sel][None], frames, p, table)
            value[sel] = sin_el[sel] - val[0]
            rate[sel] -= der[0]
    return value, rate


def _table_mask_terms(
    rho: FloatArray,
    v: FloatArray,
    frames: SiteFrames,
    p: int,
    table: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """``sin(mask(az))`` and its time derivative for site ``p`` with a mask table.

    ``rho``: site-to-satellite vectors ``(S, 3, N)``. The mask is piecewise
    linear in azimuth, so its derivative is the segment slope times the azimuth rate
    (``d az/dt = (n e' - e n') / (e^2 + n^2)``).
    """
    east, north = frames.east[p], frames.north[p]
    e = np.einsum("c,scn->sn", east, rho)
    n = np.einsum("c,scn->sn", north, rho)
    edot = np.einsum("c,scn->sn", east, v)
    ndot = np.einsum("c,scn->sn", north, v)
    az = np.mod(np.degrees(np.arctan2(e, n)), 360.0)
    # Periodic table: append the first point + 360 so every azimuth has a segment.
    az_pts = np.concatenate(([table[0, -1] - 360.0], table[0], [table[0, 0] + 360.0]))
    el_pts = np.concatenate((table[1, -1:], table[1], table[1, :1]))
    seg = np.clip(np.searchsorted(az_pts, az, side="right") - 1, 0, az_pts.size - 2)
    width = az_pts[seg + 1] - az_pts[seg]
    slope = np.where(
        width > 0, (el_pts[seg + 1] - el_pts[seg]) / np.where(width > 0, width, 1.0), 0.0
    )
    mask = el_pts[seg] + slope * (az - az_pts[seg])
    floor = frames.sites[p].min_elevation_deg
    use_table = mask > floor
    mask = np.where(use_table, mask, floor)
    h2 = e * e + n * n
    az_rate_deg = np.degrees((n * edot - e * ndot) / np.where(h2 > 0, h2, 1.0))
    mask_rad = np.radians(mask)
    d_mask_rad = np.radians(np.where(use_table, slope, 0.0) * az_rate_deg)
    return np.sin(mask_rad), np.cos(mask_rad) * d_mask_rad


def sin_elevation_to_deg(value: FloatArray | float) -> FloatArray:
    """Degrees from a sine of elevation (clipped to [-1, 1])."""
    return np.degrees(np.arcsin(np.clip(np.asarray(value, dtype=np.float64), -1.0, 1.0)))


# --- grid step and pre-filter ----------------------------------------------------------


def perigee_angular_rate_rad_s(element: ElementSet) -> float:
    """Geocentric angular rate at perigee (rad/s) from the mean elements (two-body)."""
    n_rad_s = element.mean_motion_rev_per_day * 2.0 * math.pi / 86400.0
    e = min(max(element.eccentricity, 0.0), 0.99)
    # Angular momentum h = n a^2 sqrt(1 - e^2); at perigee r = a (1 - e):
    # omega_p = h / r_p^2 = n sqrt(1 - e^2) / (1 - e)^2 (Vallado, Fundamentals, 4th ed., ch. 2).
    return n_rad_s * math.sqrt(1.0 - e * e) / (1.0 - e) ** 2


def grid_step_s(element: ElementSet) -> float:
    """Sampling step for ``element``: see :data:`STEP_FRACTION_OF_PERIGEE_TIME`.

    Rounded down to one of :data:`STEP_CHOICES_S` so satellites share grids.
    """
    rate = perigee_angular_rate_rad_s(element) + EARTH_ROTATION_RAD_S
    wanted = STEP_FRACTION_OF_PERIGEE_TIME / rate
    fitting = [s for s in STEP_CHOICES_S if s <= wanted]
    return fitting[-1] if fitting else STEP_CHOICES_S[0]


def visibility_cos_central_angle(
    frames: SiteFrames, r_max_km: FloatArray, margin_rad: FloatArray
) -> FloatArray:
    """Cosine of the largest geocentric angle between site and satellite at which the
    satellite can be above the mask, widened by ``margin_rad``; shape ``(S, P)``.

    ``r_max_km``: ``(S,)`` an upper bound of each satellite's geocentric distance;
    ``margin_rad``: ``(S,)``. Spherical geometry about the site's geocentric radius
    ``R``: a satellite at distance ``r`` seen at elevation ``e`` lies at central angle
    ``arccos(R cos e / r) - e`` (Vallado, Fundamentals, 4th ed., sec. 11.2 "ground
    visibility"); the mask is lowered by the largest geodetic/geocentric vertical
    deflection so the bound holds on the ellipsoid. The azimuth table is ignored
    (only the lowest mask matters for a bound).
    """
    low_mask_deg = np.array(
        [min(s.min_elevation_deg, *(el for _, el in s.azimuth_mask)) if s.azimuth_mask
         else s.min_elevation_deg for s in frames.sites]
    ) - MAX_VERTICAL_DEFLECTION_DEG  # fmt: skip
    eps = np.radians(np.clip(low_mask_deg, -89.0, 89.0))[None, :]
    radius = np.linalg.norm(frames.position_km, axis=1)[None, :]
    r = np.asarray(r_max_km, dtype=np.float64)[:, None]
    ratio = np.clip(radius * np.cos(eps) / np.maximum(r, radius), -1.0, 1.0)
    angle = np.arccos(ratio) - eps + np.asarray(margin_rad, dtype=np.float64)[:, None]
    result: FloatArray = np.cos(np.clip(angle, 0.0, math.pi))
    return result


__all__ = [
    "EARTH_ROTATION_RAD_S",
    "STEP_CHOICES_S",
    "STEP_FRACTION_OF_PERIGEE_TIME",
    "WGS84_A_KM",
    "Site",
    "SiteFrames",
    "StationLike",
    "as_site",
    "elevation_function",
    "grid_step_s",
    "look_angles",
    "looks_like_coordinates",
    "parse_site",
    "perigee_angular_rate_rad_s",
    "sin_elevation_to_deg",
    "visibility_cos_central_angle",
]
