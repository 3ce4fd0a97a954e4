"""Sensor geometry: the Earth-satellite-target triangle and the line of sight.

Two kinds of functions. On a spherical Earth, the textbook relations between
off-nadir angle, elevation, Earth central angle and range (Wertz, Space Mission
Analysis and Design, 3rd ed., sec. 5.2), used to turn a swath width into an off-nadir
half-angle and to size footprints. On the WGS84 ellipsoid, vectorised line-of-sight
quantities for many satellite states and ground points at once, which the imaging
search evaluates: ``tan^2`` of the off-nadir angle with its rate, the elevation, the
point of a straight boundary piece nearest nadir, the geocentric nadir point.

Shapes: component axis first, ``(3, M)``; outputs ``(M,)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spacepool.access.geometry import MU_WGS72_KM3_S2
from spacepool.errors import GeometryError
from spacepool.orbits.elements import ElementSet
from spacepool.orbits.frames import WGS84_A_KM, WGS84_E2, itrs_to_geodetic

FloatArray = NDArray[np.float64]

# WGS84 polar radius b = a sqrt(1 - e^2), km (NIMA TR8350.2, table 3.1 / 3.3).
WGS84_B_KM = WGS84_A_KM * math.sqrt(1.0 - WGS84_E2)


# --- on a spherical Earth ------------------------------------------------------------


@dataclass(frozen=True)
class LookGeometry:
    """One line of sight from a satellite at ``altitude_km`` over a spherical Earth.

    ``off_nadir_deg`` (nadir angle ``eta``), ``elevation_deg`` (``epsilon``, of the
    satellite seen from the ground point), ``central_angle_deg`` (``lambda``, Earth
    central angle between the sub-satellite point and the ground point),
    ``ground_range_km`` (``R * lambda``) and ``slant_range_km`` (``D``).
    """

    altitude_km: float
    off_nadir_deg: float
    elevation_deg: float
    central_angle_deg: float
    ground_range_km: float
    slant_range_km: float


def look_geometry(
    altitude_km: float,
    *,
    off_nadir_deg: float | None = None,
    elevation_deg: float | None = None,
    ground_range_km: float | None = None,
    radius_km: float = WGS84_A_KM,
) -> LookGeometry:
    """Solve the Earth-satellite-target triangle from one of its angles or the range.

    Spherical Earth of ``radius_km``; Wertz, Space Mission Analysis and Design, 3rd ed.,
    sec. 5.2: ``sin(rho) = R / (R + h)`` (angular radius of the Earth),
    ``sin(eta) = sin(rho) cos(epsilon)``, ``lambda = 90 deg - eta - epsilon``,
    ``D = R sin(lambda) / sin(eta)`` (law of sines; ``D = h`` at nadir). Give exactly
    one of ``off_nadir_deg``, ``elevation_deg`` or ``ground_range_km``; raises
    :class:`~spacepool.errors.GeometryError` for a line of sight that misses the Earth.
    """
    given = [x is not None for x in (off_nadir_deg, elevation_deg, ground_range_km)]
    if sum(given) != 1:
        raise GeometryError("give exactly one of off_nadir_deg, elevation_deg, ground_range_km")
    if not (altitude_km > 0.0 and math.isfinite(altitude_km)):
        raise GeometryError(f"altitude must be above 0 km, found {altitude_km:g}")
    r = radius_km + altitude_km
    sin_rho = radius_km / r
    rho = math.asin(sin_rho)
    if off_nadir_deg is not None:
        eta = math.radians(off_nadir_deg)
        if rho < eta <= rho * (1.0 + 1e-12):  # the limb itself, up to rounding
            eta = rho
        if not 0.0 <= eta <= rho:
            raise GeometryError(
                f"off-nadir angle {off_nadir_deg:g} deg misses the Earth: it must be between "
                f"0 and {math.degrees(rho):.4f} deg (the Earth's angular radius) at "
                f"{altitude_km:g} km"
            )
        cos_eps = math.sin(eta) / sin_rho
        eps = math.acos(min(1.0, cos_eps))
        lam = math.pi / 2.0 - eta - eps
    elif elevation_deg is not None:
        eps = math.radians(elevation_deg)
        if not 0.0 <= eps <= math.pi / 2.0:
            raise GeometryError(f"elevation must be between 0 and 90 deg, found {elevation_deg:g}")
        eta = math.asin(sin_rho * math.cos(eps))
        lam = math.pi / 2.0 - eta - eps
    else:
        assert ground_range_km is not None
        lam = ground_range_km / radius_km
        lam_max = math.acos(sin_rho)  # horizon: epsilon = 0
        if lam_max < lam <= lam_max * (1.0 + 1e-12):  # the horizon itself, up to rounding
            lam = lam_max
        if not 0.0 <= lam <= lam_max:
            raise GeometryError(
                f"ground range {ground_range_km:g} km is beyond the horizon "
                f"({lam_max * radius_km:.1f} km) at {altitude_km:g} km"
            )
        # tan(eta) = sin(rho) sin(lambda) / (1 - sin(rho) cos(lambda)) (Wertz eq. 5-27).
        eta = math.atan2(sin_rho * math.sin(lam), 1.0 - sin_rho * math.cos(lam))
        eps = math.pi / 2.0 - eta - lam
    slant = altitude_km if eta == 0.0 else radius_km * math.sin(lam) / math.sin(eta)
    return LookGeometry(
        altitude_km=altitude_km,
        off_nadir_deg=math.degrees(eta),
        elevation_deg=math.degrees(eps),
        central_angle_deg=math.degrees(lam),
        ground_range_km=lam * radius_km,
        slant_range_km=slant,
    )


def swath_half_angle_deg(swath_km: float, altitude_km: float) -> float:
    """Off-nadir half-angle (deg) of a nadir-pointing swath ``swath_km`` wide at
    ``altitude_km`` (spherical Earth, see :func:`look_geometry`)."""
    return look_geometry(altitude_km, ground_range_km=swath_km / 2.0).off_nadir_deg


def mean_altitude_km(element: ElementSet) -> float:
    """Mean altitude above the WGS84 equatorial radius, from the mean motion
    (two-body semi-major axis ``a = (mu / n^2)^(1/3)``, WGS72 ``mu`` as SGP4 uses)."""
    n_rad_s = element.mean_motion_rev_per_day * 2.0 * math.pi / 86400.0
    return float((MU_WGS72_KM3_S2 / n_rad_s**2) ** (1.0 / 3.0) - WGS84_A_KM)


# --- sensors ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sensor:
    """How a satellite images: give ``max_off_nadir_deg`` (agile pointing, or the half
    field of view) or ``swath_km`` (fixed nadir-pointing push-broom), not both.

    ``min_off_nadir_deg``: smallest usable off-nadir angle (side-looking radar);
    ``min_sun_elevation_deg``: lowest Sun elevation at the target (optical), ``None``
    for no constraint; ``name``: the instrument, reported with each opportunity.
    """

    max_off_nadir_deg: float | None = None
    swath_km: float | None = None
    min_off_nadir_deg: float = 0.0
    min_sun_elevation_deg: float | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if (self.max_off_nadir_deg is None) == (self.swath_km is None):
            raise GeometryError(
                "sensor: give either a maximum off-nadir angle (agile) or a swath width "
                "(fixed nadir-pointing), exactly one of them"
            )
        if self.max_off_nadir_deg is not None and not 0.0 < self.max_off_nadir_deg < 90.0:
            raise GeometryError(
                f"sensor: maximum off-nadir angle must be above 0 and below 90 degrees, "
                f"found {self.max_off_nadir_deg:g}"
            )
        if self.swath_km is not None and not 0.0 < self.swath_km <= 20_000.0:
            raise GeometryError(
                f"sensor: swath must be above 0 and at most 20000 km, found {self.swath_km:g}"
            )
        if not 0.0 <= self.min_off_nadir_deg < 90.0 or (
            self.max_off_nadir_deg is not None and self.min_off_nadir_deg >= self.max_off_nadir_deg
        ):
            raise GeometryError(
                f"sensor: minimum off-nadir angle must be at least 0 and below the maximum, "
                f"found {self.min_off_nadir_deg:g}"
            )
        sun = self.min_sun_elevation_deg
        if sun is not None and not -90.0 <= sun <= 90.0:
            raise GeometryError(
                f"sensor: minimum sun elevation must be between -90 and 90 degrees, found {sun:g}"
            )

    def half_angle_deg(self, element: ElementSet) -> float:
        """The off-nadir half-angle used for ``element``'s satellite."""
        if self.max_off_nadir_deg is not None:
            return self.max_off_nadir_deg
        assert self.swath_km is not None
        altitude = max(mean_altitude_km(element), 1.0)
        return look_geometry(
            altitude, ground_range_km=min(self.swath_km / 2.0, _horizon_km(altitude))
        ).off_nadir_deg

    @classmethod
    def from_instrument(cls, instrument: Any, max_off_nadir_deg: float | None = None) -> Sensor:
        """A sensor from a consortium ``Instrument`` (its off-nadir range, Sun limit and
        id); ``max_off_nadir_deg`` overrides the instrument's maximum."""
        max_off = float(
            instrument.max_off_nadir_deg if max_off_nadir_deg is None else max_off_nadir_deg
        )
        min_off = float(getattr(instrument, "min_off_nadir_deg", 0.0) or 0.0)
        return cls(
            max_off_nadir_deg=max_off,
            min_off_nadir_deg=min_off if min_off < max_off else 0.0,
            min_sun_elevation_deg=instrument.min_sun_elevation_deg,
            name=str(instrument.id),
        )


def _horizon_km(altitude_km: float) -> float:
    return WGS84_A_KM * math.acos(WGS84_A_KM / (WGS84_A_KM + altitude_km)) * 0.999999


# --- lines of sight on the ellipsoid -----------------------------------------------------


def off_nadir_tan2(
    r: FloatArray, v: FloatArray, q: FloatArray, up: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """``tan^2`` of the off-nadir angle of ground points ``q`` seen from satellites
    ``r`` and its time derivative for fixed ``q`` (``v``: satellite ITRS velocity);
    the sine of the satellite's elevation above each point's horizon (``up``) and its
    derivative. All inputs ``(3, M)``; outputs ``(M,)``, rates per second.

    With ``a = -r_hat . rho`` (``rho = q - r``, the line of sight), the component of the
    line of sight along the nadir direction, ``tan^2(eta) = |rho|^2 / a^2 - 1``.
    """
    rr2 = np.einsum("cm,cm->m", r, r)
    rr = np.sqrt(rr2)
    rq = np.einsum("cm,cm->m", r, q)
    rho = q - r
    rho2 = np.einsum("cm,cm->m", rho, rho)
    a = (rr2 - rq) / rr
    t2 = rho2 / (a * a) - 1.0
    rv = np.einsum("cm,cm->m", r, v)
    vq = np.einsum("cm,cm->m", v, q)
    a_dot = (2.0 * rv - vq) / rr - (rr2 - rq) * rv / (rr2 * rr)
    rho_v = np.einsum("cm,cm->m", rho, v)
    # d/dt (|rho|^2 / a^2) with d(rho)/dt = -v for a fixed ground point.
    rate = 2.0 * (-rho_v * a - rho2 * a_dot) / (a * a * a)
    dist = np.sqrt(rho2)
    sin_el = -np.einsum("cm,cm->m", rho, up) / dist
    # d/dt of (r - q).up / |r - q|, as for a ground station.
    sin_rate = (np.einsum("cm,cm->m", v, up) + sin_el * rho_v / dist) / dist
    return np.maximum(t2, 0.0), rate, sin_el, sin_rate


def closest_on_pieces(
    r: FloatArray, a: FloatArray, e: FloatArray, up_a: FloatArray, up_b: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Point of each straight piece ``a + tau e`` (``0 <= tau <= 1``) with the smallest
    off-nadir angle from ``r``, and its (interpolated) up vector; ``(3, M)`` each.

    Maximising ``cos(eta) = d.w / |w|`` with ``d = -r_hat``, ``w = w0 + tau e``,
    ``w0 = a - r``: the derivative's numerator
    ``(d.e)|w|^2 - (d.w)(w.e)`` is linear in ``tau`` (the quadratic terms cancel),
    giving ``tau* = [(d.w0)(w0.e) - (d.e)|w0|^2] / [(d.e)(w0.e) - (d.w0)|e|^2]``.
    """
    d = -r / np.sqrt(np.einsum("cm,cm->m", r, r))
    w0 = a - r
    dw0 = np.einsum("cm,cm->m", d, w0)
    de = np.einsum("cm,cm->m", d, e)
    w0e = np.einsum("cm,cm->m", w0, e)
    w0w0 = np.einsum("cm,cm->m", w0, w0)
    ee = np.einsum("cm,cm->m", e, e)
    num = dw0 * w0e - de * w0w0
    den = de * w0e - dw0 * ee
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = np.where(den != 0.0, num / den, 0.0)
    tau = np.clip(np.nan_to_num(tau, nan=0.0), 0.0, 1.0)
    q = a + tau * e
    up = up_a + tau * (up_b - up_a)
    return q, up / np.sqrt(np.einsum("cm,cm->m", up, up))


def geocentric_nadir_deg(r_itrs_km: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Geodetic (latitude, longitude) of the point where the line from the satellite
    to the Earth's centre meets the WGS84 ellipsoid; ``r``: ``(3, K)``."""
    r = np.asarray(r_itrs_km, dtype=np.float64)
    unit = r / np.sqrt(np.einsum("ck,ck->k", r, r))
    # Ellipsoid radius along the unit vector: x^2/a^2 + y^2/a^2 + z^2/b^2 = 1.
    scale = 1.0 / np.sqrt(
        (unit[0] ** 2 + unit[1] ** 2) / WGS84_A_KM**2 + unit[2] ** 2 / WGS84_B_KM**2
    )
    lat, lon, _ = itrs_to_geodetic(unit * scale)
    return lat, lon


__all__ = [
    "WGS84_B_KM",
    "LookGeometry",
    "Sensor",
    "closest_on_pieces",
    "geocentric_nadir_deg",
    "look_geometry",
    "mean_altitude_km",
    "off_nadir_tan2",
    "swath_half_angle_deg",
]
