"""Imaging opportunities: when a satellite's sensor can see a point or an area.

Geometry (WGS84 positions, ITRS kilometres):

* **Off-nadir angle** ``eta``: at the satellite ``r``, between the direction to the
  Earth's centre ``-r`` and the line of sight ``rho = p - r`` to the target ``p``.
* **Visible**: the satellite is above the target's geodetic horizon,
  ``(r - p) . up(p) >= 0``. For a point on the ellipsoid this is exactly "the target
  is above the satellite's horizon": the ellipsoid is convex, so its tangent plane at
  ``p`` separates the points that see ``p`` from those that do not.
* **Agile sensor** (``max_off_nadir_deg``): a visible target is accessible while
  ``eta <= max_off_nadir``. **Push-broom sensor** (``swath_km`` ``W``, fixed
  nadir-pointing): while the target's ground distance from the track is within
  ``W / 2``; the swath is turned into the equivalent off-nadir half-angle once per
  satellite, on a sphere of radius ``R`` (WGS84 equatorial) at the satellite's mean
  altitude ``h`` (from the mean motion): central angle ``lambda = W / (2 R)`` and
  ``tan(eta) = R sin(lambda) / (R + h - R cos(lambda))`` (Wertz, Space Mission Analysis
  and Design, 3rd ed., sec. 5.2, eqs. 5-26 to 5-28). A field of view is an angle, so
  the same half-angle gives a slightly wider swath where the satellite is higher.
  Then the window is the time the target spends within the circle of radius ``W/2``
  about nadir, ``best_time`` (closest approach) the moment its scan line passes over
  the target, and a window exists exactly when the target falls in the swath.
* An optional ``min_off_nadir_deg`` (side-looking radar) removes the inner cone
  ``eta < min_off_nadir``; both sides of the track are allowed.
* **Optical sensors** (``min_sun_elevation_deg``): the Sun must be at least that high
  above the target's geodetic horizon (the area's centre for an area); windows are cut
  where it is not. ``sun_elevation_deg`` and the satellite's ``sunlit`` flag are given
  at ``best_time``.

The search function of a (sensor, target) pair is ``F = tan^2(eta_max) - tan^2(eta)``,
``>= 0`` inside the window, largest at the smallest off-nadir angle. It is used instead
of ``eta`` because, for a satellite passing over a flat Earth in a straight line,
``tan^2(eta)`` is exactly quadratic in time: ``F`` stays concave over long grid steps,
which the event search's tangent-line screen for hidden maxima relies on
(:func:`spacepool.access.events.find_intervals`). Its time derivative is analytic.
Invisible targets get a value far below zero, so a window also ends at the horizon
when ``max_off_nadir`` reaches past it.

**Areas.** A polygon is accessible when some point of it is: the smallest off-nadir
angle over the polygon is found exactly (to the boundary densification, 10 km pieces)
as the minimum over its boundary vertices and, for each boundary piece, the closest
point of that straight piece in angle (closed form below), unless the geocentric nadir
point lies inside the polygon, where it is zero. Inside, ``F`` continues as
``tan^2(eta_max) + tan^2(eta_boundary)``, so it is continuous at the boundary and
largest where the nadir is deepest in the area: that moment is the area's
``best_time``. Because the set of directions within a cone of half-angle below 90
degrees is convex, the largest off-nadir angle over a piece is at one of its ends, so
the inner cone of a side-looking sensor is tested on the vertices.

Time: one SGP4 grid propagation per satellite serves every target and sensor; roots
are located on a cubic Hermite interpolation of the grid states and polished with
exact SGP4 evaluations (see :mod:`spacepool.access.events`). Shapes follow the
engine's rule: rows first, time last.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from multiprocessing import get_context
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from spacepool.access.areas import AreaTarget, PointTarget, destination
from spacepool.access.events import (
    HermiteTable,
    find_intervals,
    grid_seconds,
    peaks_within,
)
from spacepool.access.geometry import EARTH_ROTATION_RAD_S, MU_WGS72_KM3_S2, STEP_CHOICES_S
from spacepool.errors import GeometryError, PropagationError
from spacepool.orbits.elements import ElementSet
from spacepool.orbits.frames import (
    WGS84_A_KM,
    WGS84_E2,
    geodetic_to_itrs,
    itrs_to_geodetic,
    sun_itrs_km,
    sunlit,
    up_vector,
)
from spacepool.orbits.propagate import Propagator
from spacepool.orbits.timebase import TimeBase, check_window, format_time, parse_time
from spacepool.orbits.validity import AgeWarning, check_age

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

Target = PointTarget | AreaTarget
Progress = Callable[[int, int], None]
"""``progress(satellites_done, satellites_total)``, called after each chunk."""

# WGS84 polar radius b = a (1 - f), km (NIMA TR8350.2, table 3.1 / 3.3).
WGS84_B_KM = WGS84_A_KM * math.sqrt(1.0 - WGS84_E2)
# Root tolerance on the interpolated function before the exact polish (s).
DEFAULT_TOLERANCE_S = 1e-4
# Grid step: this fraction of the time the ground track takes to move one (perigee)
# altitude. Over that stretch tan^2(off-nadir) is close to quadratic (exactly so for a
# flat Earth), so the tangent-line screen of hidden maxima holds; checked against a
# 1-second brute-force scan including grazing geometry in the tests.
STEP_FRACTION_OF_ALTITUDE_TIME = 1.0
# Hidden maxima whose tangent-line bound is below zero by less than this (in units of
# tan^2 of the off-nadir angle) are refined anyway: covers the departure from a
# quadratic over one step (measured below 0.01 for the steps chosen).
PEAK_MARGIN_TAN2 = 0.05
# Value given to (pair, sample) entries provably far from any window, and to the
# off-nadir function where the target is hidden: far below any window, with rate 0.
_FAR_BELOW = -1.0e3
# Best times are searched this far (s) inside each window's ends.
_END_NUDGE_S = 1e-3
# Inside an area, the boundary's tan^2 term is capped here (off-nadir 84 deg) so that
# the value stays bounded where the whole boundary is below the horizon.
_INSIDE_CAP_TAN2 = 100.0
# Margins of the distance pre-filter: the largest geodetic/geocentric vertical
# deflection on WGS84 (0.19 deg) rounded up, plus the chord sag of 10 km boundary pieces.
_PREFILTER_MARGIN_RAD = math.radians(0.25)
_RADIUS_MARGIN_KM = 50.0
_RATE_FACTOR = 1.1
# Areas with more boundary points than this are searched block by block, in blocks of
# this many consecutive points (see _Blocks).
_PRUNE_MIN = 64
_BLOCK = 16
_PRUNE_RELATIVE = 0.05
_PRUNE_MARGIN_RAD = math.radians(0.2)
# Aim for chunks of about this many (pair, sample) entries: bounded memory.
_CHUNK_ENTRIES = 3_000_000
# Sun track: Hermite nodes this far apart (s); the frames module interpolates the
# DE421 Sun on the same 10-minute nodes, so node values are exact.
_SUN_STEP_S = 600.0
# Footprint outlines: sample the track at most this far apart (s) and draw circles
# with this many vertices.
_FOOTPRINT_STEP_S = 10.0
_FOOTPRINT_MAX_SAMPLES = 400
_CIRCLE_VERTICES = 72


# --- sensor geometry on a spherical Earth ----------------------------------------------


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
        max_off = float(max_off_nadir_deg or instrument.max_off_nadir_deg)
        min_off = float(getattr(instrument, "min_off_nadir_deg", 0.0) or 0.0)
        return cls(
            max_off_nadir_deg=max_off,
            min_off_nadir_deg=min_off if min_off < max_off else 0.0,
            min_sun_elevation_deg=instrument.min_sun_elevation_deg,
            name=str(instrument.id),
        )


def _horizon_km(altitude_km: float) -> float:
    return WGS84_A_KM * math.acos(WGS84_A_KM / (WGS84_A_KM + altitude_km)) * 0.999999


# --- results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Opportunity:
    """One window in which a satellite's sensor can image a target.

    Times are aware UTC datetimes: ``start`` / ``end`` (or the search period's edge
    when ``truncated_start`` / ``truncated_end``), ``best_time`` (smallest off-nadir
    angle; for an area, the nadir deepest inside it). ``min_off_nadir_deg`` at
    ``best_time`` (0 when the nadir is over the area); ``sun_elevation_deg`` at the
    target (an area's centre) and ``sunlit`` (the satellite in sunlight) at
    ``best_time``. For areas: ``covered_fraction`` of the area inside the window's
    footprint and the ``covered`` part itself (shapely, unwrapped lon/lat degrees);
    ``None`` for points or when not computed.
    """

    satellite: str
    norad_id: int
    target: str
    start: datetime
    end: datetime
    best_time: datetime
    min_off_nadir_deg: float
    sun_elevation_deg: float
    sunlit: bool
    covered_fraction: float | None = None
    covered: BaseGeometry | None = field(default=None, compare=False, repr=False)
    instrument: str = ""
    element_age_days: float = 0.0
    truncated_start: bool = False
    truncated_end: bool = False

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        """The CLI/HTTP JSON object: the contract keys first, then extras."""
        data: dict[str, Any] = {
            "satellite": self.satellite,
            "norad_id": self.norad_id,
            "target": self.target,
            "start": format_time(self.start),
            "end": format_time(self.end),
            "best_time": format_time(self.best_time),
            "min_off_nadir_deg": round(self.min_off_nadir_deg, 4),
            "sun_elevation_deg": round(self.sun_elevation_deg, 3),
            "sunlit": self.sunlit,
            "duration_s": round(self.duration_s, 3),
            "element_age_days": round(self.element_age_days, 3),
            "truncated_start": self.truncated_start,
            "truncated_end": self.truncated_end,
        }
        if self.instrument:
            data["instrument"] = self.instrument
        if self.covered_fraction is not None:
            data["covered_fraction"] = round(self.covered_fraction, 6)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Opportunity:
        fraction = data.get("covered_fraction")
        return cls(
            satellite=str(data["satellite"]),
            norad_id=int(data["norad_id"]),
            target=str(data["target"]),
            start=parse_time(data["start"], field="start"),
            end=parse_time(data["end"], field="end"),
            best_time=parse_time(data["best_time"], field="best_time"),
            min_off_nadir_deg=float(data["min_off_nadir_deg"]),
            sun_elevation_deg=float(data["sun_elevation_deg"]),
            sunlit=bool(data.get("sunlit", False)),
            covered_fraction=None if fraction is None else float(fraction),
            instrument=str(data.get("instrument", "")),
            element_age_days=float(data.get("element_age_days", 0.0)),
            truncated_start=bool(data.get("truncated_start", False)),
            truncated_end=bool(data.get("truncated_end", False)),
        )


@dataclass(frozen=True)
class OpportunityResult:
    """Opportunities sorted by start (then target, satellite), plus what went wrong.

    ``failures``: one :class:`~spacepool.errors.PropagationError` per satellite SGP4
    could not propagate somewhere in the period (its windows before the failure are
    kept, the one cut by it marked truncated). ``age_warnings``: element sets used too
    far from their epoch.
    """

    opportunities: tuple[Opportunity, ...]
    failures: tuple[PropagationError, ...] = ()
    age_warnings: tuple[AgeWarning, ...] = ()

    def __len__(self) -> int:
        return len(self.opportunities)

    def __iter__(self) -> Iterator[Opportunity]:
        return iter(self.opportunities)


# --- targets as arrays --------------------------------------------------------------------


@dataclass(frozen=True)
class _Targets:
    """Targets flattened for vectorised evaluation.

    Candidate vertices ``(3, C)`` grouped by target (``v_start``/``v_count`` ``(T,)``);
    boundary pieces ``(3, G)`` from ``seg_a`` to ``seg_a + seg_e``, grouped likewise.
    ``centre``: ``(T, 3)`` unit vectors; ``cap_rad``: ``(T,)``; ``ref_pos``/``ref_up``:
    ``(3, T)`` the point where the Sun is evaluated.
    """

    names: tuple[str, ...]
    areas: tuple[AreaTarget | None, ...]
    v_pos: FloatArray
    v_up: FloatArray
    v_start: IntArray
    v_count: IntArray
    seg_a: FloatArray
    seg_e: FloatArray
    seg_up_a: FloatArray
    seg_up_b: FloatArray
    s_start: IntArray
    s_count: IntArray
    centre: FloatArray
    cap_rad: FloatArray
    ref_pos: FloatArray
    ref_up: FloatArray
    blocks: _Blocks

    @classmethod
    def of(cls, targets: Sequence[Target], spacing_km: float) -> _Targets:
        v_pos, v_up, s_a, s_b, s_ua, s_ub = [], [], [], [], [], []
        v_count, s_count, centre, cap, ref_lat, ref_lon, ref_h = [], [], [], [], [], [], []
        areas: list[AreaTarget | None] = []
        for target in targets:
            if isinstance(target, PointTarget):
                lat = np.array([target.latitude_deg])
                lon = np.array([target.longitude_deg])
                pos = geodetic_to_itrs(lat, lon, target.altitude_m / 1000.0)
                v_pos.append(pos)
                v_up.append(up_vector(lat, lon))
                v_count.append(1)
                s_count.append(0)
                centre.append(pos[:, 0] / np.linalg.norm(pos[:, 0]))
                cap.append(0.0)
                ref_lat.append(target.latitude_deg)
                ref_lon.append(target.longitude_deg)
                ref_h.append(target.altitude_m / 1000.0)
                areas.append(None)
                continue
            rings = target.boundary_rings(spacing_km)
            pos_list, up_list = [], []
            for ring in rings:
                pos_list.append(geodetic_to_itrs(ring[1], ring[0]))
                up_list.append(up_vector(ring[1], ring[0]))
            # Vertices: every ring point except each ring's repeated last one.
            v_pos.append(np.concatenate([p[:, :-1] for p in pos_list], axis=1))
            v_up.append(np.concatenate([u[:, :-1] for u in up_list], axis=1))
            v_count.append(sum(p.shape[1] - 1 for p in pos_list))
            s_a.append(np.concatenate([p[:, :-1] for p in pos_list], axis=1))
            s_b.append(np.concatenate([p[:, 1:] for p in pos_list], axis=1))
            s_ua.append(np.concatenate([u[:, :-1] for u in up_list], axis=1))
            s_ub.append(np.concatenate([u[:, 1:] for u in up_list], axis=1))
            s_count.append(sum(p.shape[1] - 1 for p in pos_list))
            lat0, lon0 = target.centre_deg
            c = geodetic_to_itrs(np.array([lat0]), np.array([lon0]))[:, 0]
            centre.append(c / np.linalg.norm(c))
            # The cap is measured on the sphere; widen it by the geodetic/geocentric
            # latitude difference so it bounds geocentric directions too.
            cap.append(math.radians(target.cap_radius_deg) + _PREFILTER_MARGIN_RAD)
            ref_lat.append(lat0)
            ref_lon.append(lon0)
            ref_h.append(0.0)
            areas.append(target)
        empty = np.zeros((3, 0))
        seg_a = np.concatenate(s_a, axis=1) if s_a else empty
        seg_b = np.concatenate(s_b, axis=1) if s_b else empty
        vc = np.array(v_count, dtype=np.int64)
        sc = np.array(s_count, dtype=np.int64)
        lat_r, lon_r = np.array(ref_lat), np.array(ref_lon)
        starts = np.cumsum(vc) - vc
        return cls(
            blocks=_Blocks.of(np.concatenate(v_pos, axis=1), seg_b, starts, vc, sc),
            names=tuple(_target_name(t) for t in targets),
            areas=tuple(areas),
            v_pos=np.concatenate(v_pos, axis=1),
            v_up=np.concatenate(v_up, axis=1),
            v_start=np.cumsum(vc) - vc,
            v_count=vc,
            seg_a=seg_a,
            seg_e=seg_b - seg_a,
            seg_up_a=np.concatenate(s_ua, axis=1) if s_ua else empty,
            seg_up_b=np.concatenate(s_ub, axis=1) if s_ub else empty,
            s_start=np.cumsum(sc) - sc,
            s_count=sc,
            centre=np.array(centre).reshape(len(targets), 3),
            cap_rad=np.array(cap, dtype=np.float64),
            ref_pos=geodetic_to_itrs(lat_r, lon_r, np.array(ref_h)).reshape(3, -1),
            ref_up=up_vector(lat_r, lon_r).reshape(3, -1),
        )

    def __len__(self) -> int:
        return len(self.names)

    # -- evaluation -----------------------------------------------------------------------

    def near(
        self,
        r: FloatArray,
        v: FloatArray,
        target: IntArray,
        tan2_max: FloatArray,
        kappa: FloatArray,
    ) -> _Near:
        """The search and the off-nadir functions of each entry; see :class:`_Near`.

        ``r``, ``v``: ``(3, K)`` satellite states; ``target``, ``tan2_max`` and
        ``kappa`` (the weight of the visibility term): ``(K,)``.
        """
        k = target.size
        pieces = []
        for ent, local in self.blocks.candidates(r, target):
            t = target[ent]
            cand = self.v_start[t] + local
            rk, vk = r[:, ent], v[:, ent]
            pieces.append(_candidates(rk, vk, self.v_pos[:, cand], self.v_up[:, cand],
                                      tan2_max[ent], kappa[ent], ent))  # fmt: skip
            has = self.s_count[t] > 0
            if has.any():
                ent, local, t, rk, vk = ent[has], local[has], t[has], rk[:, has], vk[:, has]
                seg = self.s_start[t] + local
                q, up = _closest_on_pieces(
                    rk, self.seg_a[:, seg], self.seg_e[:, seg],
                    self.seg_up_a[:, seg], self.seg_up_b[:, seg],
                )  # fmt: skip
                pieces.append(_candidates(rk, vk, q, up, tan2_max[ent], kappa[ent], ent))
        inside = np.zeros(k, dtype=bool)
        area = np.flatnonzero(self.s_count[target] > 0)
        if area.size:
            inside[area] = self._inside(r[:, area], target[area])
        return _Near.combine(pieces, k, inside)

    def far(self, r: FloatArray, v: FloatArray, target: IntArray) -> tuple[FloatArray, FloatArray]:
        """Largest ``tan^2(eta)`` over each target's vertices and its rate (``inf``
        where any vertex is hidden); ``(K,)`` each."""
        ent, cand = _expand(self.v_start[target], self.v_count[target])
        t2, rate, sin_el, _ = _tan2(r[:, ent], v[:, ent], self.v_pos[:, cand], self.v_up[:, cand])
        t2 = np.where(sin_el >= 0.0, t2, np.inf)
        worst, arg = _group_min(-t2, ent, target.size)
        return -worst, np.where(arg >= 0, rate[np.maximum(arg, 0)], 0.0)

    def _inside(self, r: FloatArray, target: IntArray) -> BoolArray:
        """Whether the geocentric nadir point of ``r`` (3, K) lies inside area ``target``."""
        out = np.zeros(target.size, dtype=bool)
        lat, lon = geocentric_nadir_deg(r)
        for t in np.unique(target):
            area = self.areas[int(t)]
            if area is None:
                continue
            sel = np.flatnonzero(target == t)
            out[sel] = area.contains(lon[sel], lat[sel])
        return out


@dataclass(frozen=True)
class _Blocks:
    """Boundary points of large areas in blocks of :data:`_BLOCK` consecutive
    candidates, each with a bounding cap, to skip the far side of a long boundary.

    ``centre`` ``(3, B)`` unit vectors and ``radius`` ``(B,)`` (rad) bound the block's
    vertices and piece ends; ``lo``/``size`` ``(B,)``: the block's candidates, as
    indices local to its target; ``first``/``count`` ``(T,)``: each target's blocks
    (``count`` 0: the target is small and always evaluated whole).
    """

    centre: FloatArray
    radius: FloatArray
    lo: IntArray
    size: IntArray
    first: IntArray
    count: IntArray
    candidates_per_target: IntArray

    @classmethod
    def of(
        cls, v_pos: FloatArray, seg_end: FloatArray, v_start: IntArray, v_count: IntArray,
        s_count: IntArray,
    ) -> _Blocks:  # fmt: skip
        n_blocks = np.where(v_count > _PRUNE_MIN, -(-v_count // _BLOCK), 0)
        first = np.cumsum(n_blocks) - n_blocks
        owner, j = _expand_count(n_blocks)
        lo = j * _BLOCK
        size = np.minimum(_BLOCK, v_count[owner] - lo)
        ent, local = _expand(lo, size)
        unit = v_pos[:, v_start[owner][ent] + local]
        unit = unit / np.sqrt(np.einsum("ck,ck->k", unit, unit))
        seg_start = np.cumsum(s_count) - s_count
        ends = seg_end[:, seg_start[owner][ent] + local] if seg_end.shape[1] else unit
        ends = ends / np.sqrt(np.einsum("ck,ck->k", ends, ends))
        total = np.zeros((3, owner.size))
        np.add.at(total.T, ent, unit.T + ends.T)
        centre = total / np.sqrt(np.einsum("ck,ck->k", total, total))
        cos_unit = np.einsum("ck,ck->k", unit, centre[:, ent])
        cos_ends = np.einsum("ck,ck->k", ends, centre[:, ent])
        worst = np.full(owner.size, 1.0)
        np.minimum.at(worst, ent, np.minimum(cos_unit, cos_ends))
        radius = np.arccos(np.clip(worst, -1.0, 1.0)) + 1e-6
        return cls(centre, radius, lo, size, first, n_blocks, v_count)

    def candidates(self, r: FloatArray, target: IntArray) -> list[tuple[IntArray, IntArray]]:
        """``(entry, local candidate index)`` lists, each sorted by entry: whole targets
        where not blocked, else the blocks that may hold the point nearest to nadir.

        A block is skipped when even its nearest possible point is farther from the
        satellite's direction (geocentric angle) than the farthest point of the best
        block, by a margin covering the ellipsoid: the off-nadir angle grows with this
        angle and with the point's radius, which varies by 0.34 % (a to b), worth at
        most about 3 % of the angle for the orbits concerned; 5 % and 0.2 deg are used.
        """
        out = []
        blocked = self.count[target] > 0
        whole = np.flatnonzero(~blocked)
        if whole.size:
            ent, local = _expand(np.zeros(whole.size, np.int64),
                                 self.candidates_per_target[target[whole]])  # fmt: skip
            out.append((whole[ent], local))
        part = np.flatnonzero(blocked)
        if part.size:
            ent, blk = _expand(self.first[target[part]], self.count[target[part]])
            r_unit = r[:, part] / np.sqrt(np.einsum("ck,ck->k", r[:, part], r[:, part]))
            cos_c = np.einsum("ck,ck->k", r_unit[:, ent], self.centre[:, blk])
            angle = np.arccos(np.clip(cos_c, -1.0, 1.0))
            best_far, _ = _group_min(angle + self.radius[blk], ent, part.size)
            limit = best_far * (1.0 + _PRUNE_RELATIVE) + _PRUNE_MARGIN_RAD
            keep = angle - self.radius[blk] <= limit[ent]
            ent, blk = ent[keep], blk[keep]
            owner, local = _expand(self.lo[blk], self.size[blk])
            out.append((part[ent[owner]], local))
        return out


def _target_name(target: Target) -> str:
    return target.name


def _expand(start: IntArray, count: IntArray) -> tuple[IntArray, IntArray]:
    """Ragged expansion: entry ``k`` repeated ``count[k]`` times with candidate indices
    ``start[k] .. start[k] + count[k] - 1``."""
    ent = np.repeat(np.arange(count.size), count)
    first = np.cumsum(count) - count
    cand = start[ent] + (np.arange(ent.size) - first[ent])
    return ent, cand


def _group_min(values: FloatArray, group: IntArray, n: int) -> tuple[FloatArray, IntArray]:
    """Minimum of ``values`` per group (``group`` sorted ascending) and the index of
    the first minimum; ``inf`` and ``-1`` for empty groups. ``(n,)`` each."""
    out = np.full(n, np.inf)
    arg = np.full(n, -1, dtype=np.int64)
    if values.size == 0:
        return out, arg
    counts = np.bincount(group, minlength=n)
    present = counts > 0
    starts = np.cumsum(counts) - counts
    out[present] = np.minimum.reduceat(values, starts[present])
    finite = np.isfinite(out)
    hit = np.flatnonzero((values == out[group]) & finite[group])
    groups, first = np.unique(group[hit], return_index=True)
    arg[groups] = hit[first]
    return out, arg


def _tan2(
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


def _candidates(
    r: FloatArray,
    v: FloatArray,
    q: FloatArray,
    up: FloatArray,
    tan2_max: FloatArray,
    kappa: FloatArray,
    entry: IntArray,
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per candidate point: ``(entry, search value, its rate, tan^2 where visible
    (else inf), its rate)``; see :class:`_Near`."""
    t2, rate, sin_el, sin_rate = _tan2(r, v, q, up)
    cone = tan2_max - t2
    horizon = kappa * sin_el
    use_cone = cone <= horizon
    value = np.where(use_cone, cone, horizon)
    value_rate = np.where(use_cone, -rate, kappa * sin_rate)
    return entry, value, value_rate, np.where(sin_el >= 0.0, t2, np.inf), rate


@dataclass(frozen=True)
class _Near:
    """For each entry (a satellite state against a target), ``(K,)`` arrays:

    ``search``/``search_rate``: the function whose intervals ``>= 0`` are the windows,
    continuous in time: over the target's candidate points the largest
    ``min(tan^2(eta_max) - tan^2(eta), kappa sin(elevation))`` (the second term ends a
    window at the horizon without a jump), or, with the nadir inside an area,
    ``tan^2(eta_max) + tan^2(eta_boundary)``. ``tan2``/``tan2_rate``: the smallest
    ``tan^2(eta)`` over the visible candidates (``inf`` if none), which defines the best
    time. ``inside``: the geocentric nadir lies inside the area.
    """

    search: FloatArray
    search_rate: FloatArray
    tan2: FloatArray
    tan2_rate: FloatArray
    inside: BoolArray

    @classmethod
    def combine(
        cls,
        pieces: list[tuple[IntArray, FloatArray, FloatArray, FloatArray, FloatArray]],
        k: int,
        inside: BoolArray,
    ) -> _Near:
        search = np.full(k, -np.inf)
        search_rate = np.zeros(k)
        tan2 = np.full(k, np.inf)
        tan2_rate = np.zeros(k)
        for ent, value, value_rate, t2, t2_rate in pieces:  # ``ent`` is sorted
            neg_best, arg = _group_min(-value, ent, k)
            better = -neg_best > search
            search[better] = -neg_best[better]
            search_rate[better] = value_rate[arg[better]]
            best, arg = _group_min(t2, ent, k)
            better = best < tan2
            tan2[better] = best[better]
            tan2_rate[better] = t2_rate[arg[better]]
        return cls(search, search_rate, tan2, tan2_rate, inside)


def _closest_on_pieces(
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


# --- the search -----------------------------------------------------------------------------


def imaging_step_s(element: ElementSet) -> float:
    """Grid step for ``element``: see :data:`STEP_FRACTION_OF_ALTITUDE_TIME`.

    The time scale is the perigee altitude divided by the ground speed at perigee (the
    satellite's speed scaled to the ground, plus the Earth's rotation at the equator).
    Rounded down to one of the contact search's steps so satellites share grids.
    """
    n_rad_s = element.mean_motion_rev_per_day * 2.0 * math.pi / 86400.0
    a = (MU_WGS72_KM3_S2 / n_rad_s**2) ** (1.0 / 3.0)
    e = min(max(element.eccentricity, 0.0), 0.99)
    r_p = a * (1.0 - e)
    v_p = math.sqrt(MU_WGS72_KM3_S2 * (1.0 + e) / r_p)  # vis-viva at perigee
    altitude = max(r_p - WGS84_A_KM, 100.0)
    ground_speed = v_p * WGS84_A_KM / r_p + EARTH_ROTATION_RAD_S * WGS84_A_KM
    wanted = STEP_FRACTION_OF_ALTITUDE_TIME * altitude / ground_speed
    fitting = [s for s in STEP_CHOICES_S if s <= wanted]
    return fitting[-1] if fitting else STEP_CHOICES_S[0]


def find_opportunities(
    satellites: Propagator | Sequence[ElementSet],
    targets: Sequence[Target],
    start: datetime | str,
    end: datetime | str,
    *,
    max_off_nadir_deg: float | None = None,
    swath_km: float | None = None,
    min_sun_elevation_deg: float | None = None,
    sensors: Sequence[Sequence[Sensor]] | None = None,
    progress: Progress | None = None,
    max_age_days: float | None = None,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    covered_geometry: bool = True,
    boundary_spacing_km: float = 10.0,
    workers: int = 1,
) -> OpportunityResult:
    """Every imaging window of every satellite over every target in ``[start, end]``.

    ``satellites``: element sets or a :class:`~spacepool.orbits.propagate.Propagator`.
    ``targets``: :class:`~spacepool.access.areas.PointTarget` and
    :class:`~spacepool.access.areas.AreaTarget` objects. One sensor for every satellite
    from ``max_off_nadir_deg`` or ``swath_km`` (and ``min_sun_elevation_deg``), or per
    satellite a list of :class:`Sensor` (``sensors[i]`` for satellite ``i``; an empty
    list skips it). ``covered_geometry``: compute each area opportunity's covered part
    and fraction. ``workers > 1`` spreads satellite chunks over processes. Raises
    :class:`~spacepool.errors.TimeRangeError` for an empty period and
    :class:`~spacepool.errors.GeometryError` for bad sensor parameters.
    """
    t_start = parse_time(start, field="start")
    t_end = parse_time(end, field="end")
    check_window(t_start, t_end)
    elements = tuple(satellites.elements if isinstance(satellites, Propagator) else satellites)
    if sensors is None:
        one = Sensor(max_off_nadir_deg, swath_km, 0.0, min_sun_elevation_deg)
        per_sat: tuple[tuple[Sensor, ...], ...] = tuple((one,) for _ in elements)
    else:
        if len(sensors) != len(elements):
            raise GeometryError(
                f"sensors: expected one list per satellite ({len(elements)}), found {len(sensors)}"
            )
        per_sat = tuple(tuple(s) for s in sensors)
    targets = tuple(targets)
    warnings = tuple(check_age(elements, t_start, t_end, max_age_days)) if elements else ()
    if not elements or not targets or not any(per_sat):
        return OpportunityResult((), (), warnings)

    geometry = _Targets.of(targets, boundary_spacing_km)
    tasks = list(_tasks(elements, per_sat, geometry, t_start, t_end, tolerance_s, covered_geometry))
    total = len(elements)
    done = 0
    found: list[Opportunity] = []
    failures: list[PropagationError] = []

    def collect(result: tuple[list[Opportunity], list[PropagationError]], size: int) -> None:
        nonlocal done
        found.extend(result[0])
        failures.extend(result[1])
        done += size
        if progress is not None:
            progress(done, total)

    if workers > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            futures = [(pool.submit(_chunk, *task), len(task[0])) for task in tasks]
            for future, size in futures:
                collect(future.result(), size)
    else:
        for task in tasks:
            collect(_chunk(*task), len(task[0]))
    sat_rank = {e.norad_id: i for i, e in enumerate(elements)}
    found.sort(key=lambda o: (o.start, o.target, o.satellite, sat_rank.get(o.norad_id, 0),
                              o.instrument))  # fmt: skip
    failures.sort(key=lambda f: f.satellite)
    return OpportunityResult(tuple(found), tuple(failures), warnings)


_Task = tuple[
    tuple[ElementSet, ...], tuple[tuple[Sensor, ...], ...], _Targets, datetime, datetime,
    float, float, bool,
]  # fmt: skip


def _tasks(
    elements: tuple[ElementSet, ...],
    per_sat: tuple[tuple[Sensor, ...], ...],
    geometry: _Targets,
    start: datetime,
    end: datetime,
    tolerance_s: float,
    covered: bool,
) -> Iterator[_Task]:
    """Chunks of satellites sharing a grid step, sized for bounded memory."""
    span_s = (end - start).total_seconds()
    steps = [imaging_step_s(e) for e in elements]
    order = sorted(range(len(elements)), key=lambda i: steps[i])
    n_targets = len(geometry)
    for step, group in groupby(order, key=lambda i: steps[i]):
        members = [i for i in group if per_sat[i]]
        samples = int(span_s / step) + 2
        per_sensor = samples * n_targets
        k = 0
        while k < len(members):
            chunk = [members[k]]
            load = len(per_sat[members[k]]) * per_sensor
            k += 1
            while (
                k < len(members) and load + len(per_sat[members[k]]) * per_sensor <= _CHUNK_ENTRIES
            ):
                load += len(per_sat[members[k]]) * per_sensor
                chunk.append(members[k])
                k += 1
            yield (
                tuple(elements[i] for i in chunk), tuple(per_sat[i] for i in chunk),
                geometry, start, end, step, tolerance_s, covered,
            )  # fmt: skip


Evaluate = Callable[[IntArray, FloatArray], tuple[FloatArray, FloatArray]]


@dataclass(frozen=True)
class _Rows:
    """The (sensor, target) pairs of a chunk that may see a window: ``sat``, ``sensor``,
    ``target`` ``(R,)``; ``computed`` ``(R, N)``: the grid samples that matter."""

    sat: IntArray
    sensor: IntArray
    target: IntArray
    computed: BoolArray


_RowFunction = Callable[[_Rows, IntArray, FloatArray, FloatArray], tuple[FloatArray, ...]]


class _Chunk:
    """State of one chunk: grid ephemeris, interpolation and the row functions."""

    def __init__(
        self,
        elements: tuple[ElementSet, ...],
        per_sat: tuple[tuple[Sensor, ...], ...],
        geometry: _Targets,
        start: datetime,
        end: datetime,
        step: float,
        tolerance_s: float,
    ) -> None:
        self.elements = elements
        self.geometry = geometry
        self.tolerance_s = tolerance_s
        self.timebase = TimeBase.around(start, end)
        self.span_s = (end - start).total_seconds()
        self.seconds = grid_seconds(0.0, self.span_s, step)
        self.step = step
        self.propagator = Propagator(elements, self.timebase)
        eph = self.propagator.grid(self.seconds)
        self.failures = eph.failures()
        self.r, self.v = eph.r_itrs_km, eph.v_itrs_km_s
        self.hermite = HermiteTable(self.seconds, self.r, self.v)
        sensors = [(i, s) for i, group in enumerate(per_sat) for s in group]
        self.sensor_sat = np.array([i for i, _ in sensors], dtype=np.int64)
        self.sensors = tuple(s for _, s in sensors)
        half = np.array([s.half_angle_deg(elements[i]) for i, s in sensors])
        self.half_angle_deg = half
        self.tan2_max = np.tan(np.radians(half)) ** 2
        self.tan2_min = np.tan(np.radians([s.min_off_nadir_deg for _, s in sensors])) ** 2

    # -- row functions ----------------------------------------------------------------------

    def outer(
        self, rows: _Rows, row: IntArray, r: FloatArray, v: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """The search function and the off-nadir function of rows ``row`` at states
        ``r``, ``v`` ``(3, K)``: ``(search, rate, pure, rate)``, ``(K,)`` each.

        ``search`` is :attr:`_Near.search` (inside an area, the depth term); ``pure`` is
        ``tan^2(eta_max) - tan^2(eta)`` over the visible points (the same depth term
        inside an area, :data:`_FAR_BELOW` where nothing is visible): its largest value
        in a window is the best time.
        """
        t_max = self.tan2_max[rows.sensor[row]]
        near = self.geometry.near(r, v, rows.target[row], t_max, t_max + 1.0)
        capped = np.minimum(near.tan2, _INSIDE_CAP_TAN2)
        depth = t_max + capped
        depth_rate = np.where(near.tan2 < _INSIDE_CAP_TAN2, near.tan2_rate, 0.0)
        inside = near.inside
        search = np.where(inside, depth, near.search)
        search_rate = np.where(inside, depth_rate, near.search_rate)
        visible = np.isfinite(near.tan2)
        pure = np.where(inside, depth, np.where(visible, t_max - near.tan2, _FAR_BELOW))
        pure_rate = np.where(inside, depth_rate, np.where(visible, -near.tan2_rate, 0.0))
        nan = ~np.isfinite(r[0])
        return (
            np.where(nan, np.nan, search), np.where(nan, np.nan, search_rate),
            np.where(nan, np.nan, pure), np.where(nan, np.nan, pure_rate),
        )  # fmt: skip

    def inner(
        self, rows: _Rows, row: IntArray, r: FloatArray, v: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """``H``: positive while the whole target is inside the inner cone."""
        tan2, rate = self.geometry.far(r, v, rows.target[row])
        value = self.tan2_min[rows.sensor[row]] - tan2
        lost = ~np.isfinite(tan2)
        value = np.where(lost, _FAR_BELOW, value)
        d = np.where(lost, 0.0, -rate)
        nan = ~np.isfinite(r[0])
        return np.where(nan, np.nan, value), np.where(nan, np.nan, d)

    def sampled(self, rows: _Rows, func: _RowFunction) -> tuple[FloatArray, ...]:
        """``func`` on the grid for the computed entries: each of its outputs as an
        ``(R, N)`` array; entries not computed hold :data:`_FAR_BELOW` (values) and 0
        (rates), samples where SGP4 failed NaN."""
        n = self.seconds.size
        row, k = np.nonzero(rows.computed)
        sat = rows.sat[row]
        outputs = func(rows, row, self.r[sat, :, k].T, self.v[sat, :, k].T)
        bad = ~np.isfinite(self.r[rows.sat, 0, :])
        arrays = []
        for i, out in enumerate(outputs):
            full = np.full((rows.sat.size, n), _FAR_BELOW if i % 2 == 0 else 0.0)
            full[row, k] = out
            full[bad] = np.nan
            arrays.append(full)
        return tuple(arrays)

    def functions(
        self, rows: _Rows, func: _RowFunction, first: int = 0
    ) -> tuple[Evaluate, Evaluate]:
        """(interpolated, exact) evaluators of outputs ``first`` (value) and
        ``first + 1`` (rate) of ``func``, for the event search."""

        def evaluate(row: IntArray, at_s: FloatArray) -> tuple[FloatArray, FloatArray]:
            r, v = self.hermite.states(rows.sat[row], at_s)
            out = func(rows, row, r, v)
            return out[first], out[first + 1]

        def exact(row: IntArray, at_s: FloatArray) -> tuple[FloatArray, FloatArray]:
            r, v, _ = self.propagator.at(rows.sat[row], at_s)
            out = func(rows, row, r, v)
            return out[first], out[first + 1]

        return evaluate, exact

    # -- pre-filter ---------------------------------------------------------------------------

    def rows(self) -> _Rows:
        """Pairs (sensor, target) that may see a window, and the samples that matter.

        A sample is computed when the geocentric angle between the satellite and the
        target's cap is within the largest ground central angle of the sensor's cone
        (spherical Earth of the WGS84 polar radius, which makes it larger) plus the
        distance the satellite can move in one step: every step in which a window can
        begin, end or peak then has both ends computed.
        """
        r = self.r
        radius = np.sqrt(np.einsum("scn,scn->sn", r, r))
        speed = np.sqrt(np.einsum("scn,scn->sn", self.v, self.v))
        with np.errstate(invalid="ignore"):
            omega = _RATE_FACTOR * np.nanmax(np.where(radius > 0, speed / radius, np.nan), axis=1)
            r_max = np.nanmax(radius, axis=1) + _RADIUS_MARGIN_KM
        omega = np.where(np.isfinite(omega), omega, 0.0)
        r_max = np.where(np.isfinite(r_max), r_max, WGS84_B_KM + 1.0)
        q_sat = self.sensor_sat
        eta = np.radians(self.half_angle_deg)
        ratio = np.clip(r_max[q_sat] * np.sin(eta) / WGS84_B_KM, -1.0, 1.0)
        reach = np.where(
            ratio < 1.0,
            np.arcsin(ratio) - eta,
            np.arccos(np.clip(WGS84_B_KM / r_max[q_sat], -1.0, 1.0)),
        )
        reach = np.minimum(reach, np.arccos(np.clip(WGS84_B_KM / r_max[q_sat], -1.0, 1.0)))
        angle = (
            self.geometry.cap_rad[None, :]
            + reach[:, None]
            + (omega[q_sat] * self.step + _PREFILTER_MARGIN_RAD)[:, None]
        )  # (Q, T)
        cos_limit = np.cos(np.clip(angle, 0.0, math.pi))
        cos_theta = np.matmul(self.geometry.centre, r)  # (S, T, N), scaled by |r|
        with np.errstate(invalid="ignore"):
            computed = cos_theta[q_sat] >= cos_limit[:, :, None] * radius[q_sat][:, None, :]
        sensor, target = np.nonzero(computed.any(axis=2))
        return _Rows(
            sat=q_sat[sensor].astype(np.int64),
            sensor=sensor.astype(np.int64),
            target=target.astype(np.int64),
            computed=computed[sensor, target],
        )


def _chunk(
    elements: tuple[ElementSet, ...],
    per_sat: tuple[tuple[Sensor, ...], ...],
    geometry: _Targets,
    start: datetime,
    end: datetime,
    step: float,
    tolerance_s: float,
    covered: bool,
) -> tuple[list[Opportunity], list[PropagationError]]:
    """Opportunities of one chunk of satellites (a pure function: runs in a worker)."""
    ch = _Chunk(elements, per_sat, geometry, start, end, step, tolerance_s)
    rows = ch.rows()
    if rows.sat.size == 0:
        return [], ch.failures
    value, rate, pure, pure_rate = ch.sampled(rows, ch.outer)
    evaluate, exact = ch.functions(rows, ch.outer)
    found = find_intervals(
        ch.seconds, value, rate, evaluate, exact=exact,
        tolerance_s=tolerance_s, peak_margin=PEAK_MARGIN_TAN2,
    )  # fmt: skip
    del value, rate
    win = _Windows(found.row, found.start_s, found.end_s, found.truncated_start,
                   found.truncated_end)  # fmt: skip

    # Side-looking sensors: remove the times the whole target is inside the inner cone.
    inner_rows = np.flatnonzero(ch.tan2_min[rows.sensor] > 0.0)
    if inner_rows.size and len(win):
        sub = _Rows(rows.sat[inner_rows], rows.sensor[inner_rows], rows.target[inner_rows],
                    rows.computed[inner_rows])  # fmt: skip
        h_value, h_rate = ch.sampled(sub, ch.inner)
        h_eval, h_exact = ch.functions(sub, ch.inner)
        blind = find_intervals(
            ch.seconds, h_value, h_rate, h_eval, exact=h_exact,
            tolerance_s=tolerance_s, peak_margin=PEAK_MARGIN_TAN2,
        )  # fmt: skip
        win = win.subtract(inner_rows[blind.row], blind.start_s, blind.end_s, ch.span_s)

    # Optical sensors: keep the times the Sun is high enough at the target.
    sun = _SunTrack(ch.timebase, ch.span_s)
    sun_min = np.array([np.nan if s.min_sun_elevation_deg is None else s.min_sun_elevation_deg
                        for s in ch.sensors])  # fmt: skip
    if len(win) and np.isfinite(sun_min[rows.sensor[win.row]]).any():
        constrained = np.isfinite(sun_min[rows.sensor])
        keys = np.stack((rows.target[constrained], sun_min[rows.sensor[constrained]]))
        uniq, inverse = np.unique(keys, axis=1, return_inverse=True)
        sun_row = np.full(rows.sat.size, -1, dtype=np.int64)
        sun_row[constrained] = inverse.reshape(-1)
        points = uniq[0].astype(np.int64)
        day = sun.intervals(geometry.ref_pos[:, points], geometry.ref_up[:, points], uniq[1],
                            tolerance_s)  # fmt: skip
        win = win.intersect(constrained, sun_row, day, ch.span_s)

    if len(win) == 0:
        return [], ch.failures
    # Best time: the largest off-nadir function within each window. The ends are
    # moved in by a millisecond so that a window ending at the horizon is evaluated
    # where the target is visible.
    nudge = np.minimum(_END_NUDGE_S, (win.end_s - win.start_s) / 3.0)
    p_eval, p_exact = ch.functions(rows, ch.outer, first=2)
    peak_s, peak_v = peaks_within(
        ch.seconds, pure, pure_rate, p_eval, win.row, win.start_s + nudge, win.end_s - nudge,
        exact=p_exact, tolerance_s=tolerance_s,
    )  # fmt: skip
    return _opportunities(ch, rows, win, peak_s, peak_v, sun, covered), ch.failures


@dataclass(frozen=True)
class _Windows:
    """Windows as columns ``(M,)``: row, start, end and truncation flags."""

    row: IntArray
    start_s: FloatArray
    end_s: FloatArray
    truncated_start: BoolArray
    truncated_end: BoolArray

    def __len__(self) -> int:
        return int(self.row.size)

    def _take(self, idx: IntArray, start: FloatArray, end: FloatArray) -> _Windows:
        return _Windows(
            self.row[idx], start, end,
            self.truncated_start[idx] & (start == self.start_s[idx]),
            self.truncated_end[idx] & (end == self.end_s[idx]),
        )  # fmt: skip

    def intersect(
        self,
        constrained: BoolArray,
        key_of_row: IntArray,
        other: tuple[IntArray, FloatArray, FloatArray],
        span_s: float,
    ) -> _Windows:
        """Cut windows of rows with ``constrained[row]`` to ``other`` (``key``, start,
        end; disjoint per key), matched through ``key_of_row[row]``."""
        keep = ~constrained[self.row]
        idx = np.flatnonzero(~keep)
        b_key, b_start, b_end = other
        a_key = key_of_row[self.row[idx]]
        lo, count = _overlaps(a_key, self.start_s[idx], self.end_s[idx],
                              b_key, b_start, b_end, span_s)  # fmt: skip
        a, first = _expand_count(count)
        b = lo[a] + first
        start = np.maximum(self.start_s[idx][a], b_start[b])
        end = np.minimum(self.end_s[idx][a], b_end[b])
        ok = end > start
        pieces = self._take(idx[a][ok], start[ok], end[ok])
        kept = self._take(np.flatnonzero(keep), self.start_s[keep], self.end_s[keep])
        return _concat(kept, pieces)

    def subtract(
        self, b_row: IntArray, b_start: FloatArray, b_end: FloatArray, span_s: float
    ) -> _Windows:
        """Remove the intervals ``(b_row, b_start, b_end)`` (disjoint per row)."""
        order = np.lexsort((b_start, b_row))
        b_row, b_start, b_end = b_row[order], b_start[order], b_end[order]
        lo, count = _overlaps(self.row, self.start_s, self.end_s, b_row, b_start, b_end, span_s)
        # A window overlapped by c intervals leaves up to c + 1 pieces.
        a, k = _expand_count(count + 1)
        j = lo[a] + k  # the interval ending the piece (or none for the last piece)
        start = np.where(k == 0, self.start_s[a], b_end[np.maximum(j - 1, 0)])
        end = np.where(k == count[a], self.end_s[a], b_start[np.minimum(j, b_start.size - 1)])
        start = np.maximum(start, self.start_s[a])
        end = np.minimum(end, self.end_s[a])
        ok = end > start
        return self._take(a[ok], start[ok], end[ok])


def _concat(x: _Windows, y: _Windows) -> _Windows:
    out = _Windows(*(np.concatenate((p, q)) for p, q in zip(
        (x.row, x.start_s, x.end_s, x.truncated_start, x.truncated_end),
        (y.row, y.start_s, y.end_s, y.truncated_start, y.truncated_end),
        strict=True,
    )))  # fmt: skip
    order = np.lexsort((out.start_s, out.row))
    return _Windows(out.row[order], out.start_s[order], out.end_s[order],
                    out.truncated_start[order], out.truncated_end[order])  # fmt: skip


def _expand_count(count: IntArray) -> tuple[IntArray, IntArray]:
    """``(owner, k)`` with ``owner`` repeated ``count`` times and ``k = 0..count-1``."""
    owner = np.repeat(np.arange(count.size), count)
    first = np.cumsum(count) - count
    return owner, np.arange(owner.size) - first[owner]


def _overlaps(
    a_key: IntArray,
    a_start: FloatArray,
    a_end: FloatArray,
    b_key: IntArray,
    b_start: FloatArray,
    b_end: FloatArray,
    span_s: float,
) -> tuple[IntArray, IntArray]:
    """For each interval A, the first B of the same key overlapping it and how many do.

    B must be sorted by (key, start) and disjoint within a key. Keys are separated by
    offsetting times by ``key * (span + margin)``, so one ``searchsorted`` serves all
    keys; the offset times decide only the order, the returned times stay exact.
    """
    pad = span_s + 1.0e5
    b_end_k = b_key * pad + b_end
    b_start_k = b_key * pad + b_start
    lo = np.searchsorted(b_end_k, a_key * pad + a_start, side="right")
    hi = np.searchsorted(b_start_k, a_key * pad + a_end, side="left")
    return lo.astype(np.int64), np.maximum(hi - lo, 0).astype(np.int64)


class _SunTrack:
    """The Sun in ITRS over a period: Hermite interpolation of the DE421 Sun
    (:func:`spacepool.orbits.frames.sun_itrs_km`) on 10-minute nodes, with velocities."""

    def __init__(self, timebase: TimeBase, span_s: float) -> None:
        self.nodes = np.arange(-_SUN_STEP_S, span_s + 2.0 * _SUN_STEP_S, _SUN_STEP_S)
        n = self.nodes.size
        both = sun_itrs_km(timebase, np.concatenate((self.nodes, self.nodes - 1.0,
                                                     self.nodes + 1.0)))  # fmt: skip
        pos, before, after = both[:, :n], both[:, n : 2 * n], both[:, 2 * n :]
        self.table = HermiteTable(self.nodes, pos[None], ((after - before) / 2.0)[None])

    def at(self, seconds: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Sun position (km) and velocity (km/s) at ``seconds``, ``(3, K)`` each."""
        s = np.asarray(seconds, dtype=np.float64)
        return self.table.states(np.zeros(s.size, dtype=np.int64), s)

    def elevation(
        self, pos: FloatArray, up: FloatArray, seconds: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Sine of the Sun's elevation at ground points ``pos``/``up`` ``(3, K)`` at
        ``seconds`` ``(K,)``, and its time derivative (1/s)."""
        sun, sun_v = self.at(seconds)
        rel = sun - pos
        dist = np.sqrt(np.einsum("ck,ck->k", rel, rel))
        sin_el = np.einsum("ck,ck->k", rel, up) / dist
        rate = (np.einsum("ck,ck->k", sun_v, up)
                - sin_el * np.einsum("ck,ck->k", rel, sun_v) / dist) / dist  # fmt: skip
        return sin_el, rate

    def intervals(
        self, pos: FloatArray, up: FloatArray, min_deg: FloatArray, tolerance_s: float
    ) -> tuple[IntArray, FloatArray, FloatArray]:
        """When the Sun is at least ``min_deg`` high at each point ``pos`` ``(3, P)``:
        ``(point, start, end)`` sorted by point and start."""
        t = self.nodes
        p = pos.shape[1]
        sin_min = np.sin(np.radians(min_deg))

        def evaluate(row: IntArray, at_s: FloatArray) -> tuple[FloatArray, FloatArray]:
            sin_el, rate = self.elevation(pos[:, row], up[:, row], at_s)
            return sin_el - sin_min[row], rate

        row = np.repeat(np.arange(p), t.size)
        times = np.tile(t, p)
        val, der = evaluate(row, times)
        found = find_intervals(
            t, val.reshape(p, t.size), der.reshape(p, t.size), evaluate, tolerance_s=tolerance_s
        )
        return found.row, found.start_s, found.end_s


def _opportunities(
    ch: _Chunk,
    rows: _Rows,
    win: _Windows,
    peak_s: FloatArray,
    peak_v: FloatArray,
    sun: _SunTrack,
    covered: bool,
) -> list[Opportunity]:
    """Build the result objects of a chunk's final windows."""
    geometry = ch.geometry
    sensor = rows.sensor[win.row]
    target = rows.target[win.row]
    sat = rows.sat[win.row]
    t_max = ch.tan2_max[sensor]
    inside = peak_v > t_max
    tan2 = np.maximum(t_max - peak_v, 0.0)
    off_nadir = np.where(inside, 0.0, np.degrees(np.arctan(np.sqrt(tan2))))
    r_best, _, _ = ch.propagator.at(sat, peak_s)
    sun_best, _ = sun.at(peak_s)
    sin_sun, _ = sun.elevation(geometry.ref_pos[:, target], geometry.ref_up[:, target], peak_s)
    sun_el = np.degrees(np.arcsin(np.clip(sin_sun, -1.0, 1.0)))
    lit = sunlit(r_best, sun_best)
    fractions: list[float | None] = [None] * len(win)
    shapes: list[BaseGeometry | None] = [None] * len(win)
    if covered:
        is_area = np.array([geometry.areas[int(t)] is not None for t in target], dtype=bool)
        for i, frac, shape in _footprints(ch, win, np.flatnonzero(is_area), sat, sensor, target):
            fractions[i], shapes[i] = frac, shape
    t0 = ch.timebase.t0
    epoch_s = np.array([(e.epoch - t0).total_seconds() for e in ch.elements])
    age = (peak_s - epoch_s[sat]) / 86400.0
    out = []
    for i in range(len(win)):
        element = ch.elements[int(sat[i])]
        out.append(
            Opportunity(
                satellite=element.name or str(element.norad_id),
                norad_id=element.norad_id,
                target=geometry.names[int(target[i])],
                start=t0 + timedelta(seconds=float(win.start_s[i])),
                end=t0 + timedelta(seconds=float(win.end_s[i])),
                best_time=t0 + timedelta(seconds=float(peak_s[i])),
                min_off_nadir_deg=float(off_nadir[i]),
                sun_elevation_deg=float(sun_el[i]),
                sunlit=bool(lit[i]),
                covered_fraction=fractions[i],
                covered=shapes[i],
                instrument=ch.sensors[int(sensor[i])].name,
                element_age_days=float(age[i]),
                truncated_start=bool(win.truncated_start[i]),
                truncated_end=bool(win.truncated_end[i]),
            )
        )
    return out


# --- footprints ------------------------------------------------------------------------------


def _footprints(
    ch: _Chunk,
    win: _Windows,
    idx: IntArray,
    sat: IntArray,
    sensor: IntArray,
    target: IntArray,
) -> Iterator[tuple[int, float, BaseGeometry]]:
    """``(window index, covered fraction, covered part)`` for area windows ``idx``.

    The footprint during a window is swept by the sensor's ground outline: for an agile
    sensor (or a field of view) the circle of ground points within its off-nadir limit
    (on a sphere of the local Earth radius), for a push-broom the scan line across the
    track of its swath; consecutive outlines are joined by their convex hull. It is
    built in the area's equal-area plane, intersected with the area there, and brought
    back to lon/lat.
    """
    if idx.size == 0:
        return
    duration = win.end_s[idx] - win.start_s[idx]
    count = np.clip(np.ceil(duration / _FOOTPRINT_STEP_S).astype(np.int64) + 1, 2,
                    _FOOTPRINT_MAX_SAMPLES)  # fmt: skip
    owner, k = _expand_count(count)
    frac = k / (count[owner] - 1)
    times = win.start_s[idx][owner] + frac * duration[owner]
    r, v = ch.hermite.states(sat[idx][owner], times)
    lat, lon = geocentric_nadir_deg(r)
    ground = geodetic_to_itrs(lat, lon)
    radius = np.sqrt(np.einsum("ck,ck->k", ground, ground))
    dist = np.sqrt(np.einsum("ck,ck->k", r, r))
    eta = np.radians(ch.half_angle_deg[sensor[idx][owner]])
    ratio = np.clip(dist * np.sin(eta) / radius, -1.0, 1.0)
    reach = np.where(ratio < 1.0, np.arcsin(ratio) - eta, np.arccos(radius / dist))
    push_broom = np.array([ch.sensors[int(q)].swath_km is not None for q in sensor[idx]])
    # Track heading from the ground velocity (east/north components at the nadir).
    up = up_vector(lat, lon)
    lon_r = np.radians(lon)
    east = np.stack((-np.sin(lon_r), np.cos(lon_r), np.zeros_like(lon_r)))
    north = np.cross(up.T, east.T).T
    heading = np.degrees(np.arctan2(np.einsum("ck,ck->k", v, east),
                                    np.einsum("ck,ck->k", v, north)))  # fmt: skip
    starts = np.cumsum(count) - count
    for j, i in enumerate(idx):
        area = ch.geometry.areas[int(target[i])]
        assert area is not None
        sl = slice(int(starts[j]), int(starts[j] + count[j]))
        if push_broom[j]:
            outline = _scan_lines(lat[sl], lon[sl], reach[sl], heading[sl], area)
        else:
            outline = _circles(lat[sl], lon[sl], reach[sl], area)
        plane = shapely.intersection(outline, area.projected)
        fraction = float(plane.area / area.area_km2) if area.area_km2 > 0 else 0.0
        yield int(i), min(fraction, 1.0), area.from_plane(plane)


def _circles(
    lat: FloatArray, lon: FloatArray, reach_rad: FloatArray, area: AreaTarget
) -> BaseGeometry:
    """Union of the hulls of consecutive footprint circles, in the area's plane."""
    n = lat.size
    az = np.linspace(0.0, 360.0, _CIRCLE_VERTICES, endpoint=False)
    clat, clon = destination(np.repeat(lat, az.size), np.repeat(lon, az.size),
                             np.repeat(reach_rad, az.size), np.tile(az, n))  # fmt: skip
    xy = area.project(clon, clat).T.reshape(n, az.size, 2)
    pairs = np.concatenate((xy[:-1], xy[1:]), axis=1)  # (n - 1, 2 * vertices, 2)
    hulls = shapely.convex_hull(shapely.multipoints(pairs))
    return shapely.union_all(hulls)


def _scan_lines(
    lat: FloatArray,
    lon: FloatArray,
    reach_rad: FloatArray,
    heading_deg: FloatArray,
    area: AreaTarget,
) -> BaseGeometry:
    """Union of the quadrilaterals between consecutive scan lines, in the area's plane."""
    left = destination(lat, lon, reach_rad, heading_deg - 90.0)
    right = destination(lat, lon, reach_rad, heading_deg + 90.0)
    lxy = area.project(left[1], left[0]).T
    rxy = area.project(right[1], right[0]).T
    quads = np.stack((lxy[:-1], lxy[1:], rxy[1:], rxy[:-1]), axis=1)  # (n - 1, 4, 2)
    hulls = shapely.convex_hull(shapely.multipoints(quads))
    return shapely.union_all(hulls)


# --- output ------------------------------------------------------------------------------------


_CSV_COLUMNS = (
    "satellite", "norad_id", "target", "start", "end", "best_time", "min_off_nadir_deg",
    "sun_elevation_deg", "sunlit", "duration_s", "element_age_days", "truncated_start",
    "truncated_end", "instrument", "covered_fraction",
)  # fmt: skip


def opportunities_csv(opportunities: Sequence[Opportunity]) -> str:
    """CSV with a header row; columns as :meth:`Opportunity.to_dict` (empty when absent)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    for opportunity in opportunities:
        row = opportunity.to_dict()
        writer.writerow(
            ["true" if v is True else "false" if v is False else ("" if v is None else v)
             for v in (row.get(k) for k in _CSV_COLUMNS)]
        )  # fmt: skip
    return buffer.getvalue()


def opportunities_geojson(
    opportunities: Sequence[Opportunity], targets: Sequence[Target] = ()
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection: for an area opportunity its covered part (the
    footprint intersected with the area), for a point opportunity the point; the
    properties are :meth:`Opportunity.to_dict`. Longitudes are cut at the antimeridian
    (RFC 7946 section 3.1.9)."""
    from spacepool.access.areas import split_antimeridian

    points = {t.name: t for t in targets if isinstance(t, PointTarget)}
    features = []
    for o in opportunities:
        if o.covered is not None:
            geometry: dict[str, Any] | None = dict(shapely.geometry.mapping(
                split_antimeridian(o.covered)))  # fmt: skip
        elif o.target in points:
            p = points[o.target]
            lon = (p.longitude_deg + 180.0) % 360.0 - 180.0
            geometry = {"type": "Point", "coordinates": [lon, p.latitude_deg]}
        else:
            geometry = None
        features.append({"type": "Feature", "geometry": geometry, "properties": o.to_dict()})
    return {"type": "FeatureCollection", "features": features}


__all__ = [
    "DEFAULT_TOLERANCE_S",
    "LookGeometry",
    "Opportunity",
    "OpportunityResult",
    "Sensor",
    "find_opportunities",
    "geocentric_nadir_deg",
    "imaging_step_s",
    "look_geometry",
    "mean_altitude_km",
    "opportunities_csv",
    "opportunities_geojson",
    "swath_half_angle_deg",
]
