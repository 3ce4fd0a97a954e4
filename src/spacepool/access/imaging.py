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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from spacepool.access.areas import PointTarget
from spacepool.access.events import (
    HermiteTable,
    find_intervals,
    grid_seconds,
    peaks_within,
)
from spacepool.access.footprints import covered_fractions, covered_parts
from spacepool.access.geometry import EARTH_ROTATION_RAD_S, MU_WGS72_KM3_S2, STEP_CHOICES_S
from spacepool.access.sensors import (
    WGS84_B_KM,
    LookGeometry,
    Sensor,
    geocentric_nadir_deg,
    look_geometry,
    mean_altitude_km,
    swath_half_angle_deg,
)
from spacepool.access.suntrack import SunTrack
from spacepool.access.target_arrays import PREFILTER_MARGIN_RAD, Target, TargetArrays
from spacepool.access.windows import Windows, concat, merge_rows
from spacepool.errors import GeometryError, PropagationError
from spacepool.orbits.elements import ElementSet
from spacepool.orbits.frames import WGS84_A_KM, sunlit
from spacepool.orbits.parallel import Progress, map_chunks, step_chunks
from spacepool.orbits.propagate import Propagator
from spacepool.orbits.timebase import TimeBase, check_window, format_time, parse_time
from spacepool.orbits.validity import AgeWarning, check_age

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

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
# Margins of the distance pre-filter (see also target_arrays.PREFILTER_MARGIN_RAD).
_RADIUS_MARGIN_KM = 50.0
_RATE_FACTOR = 1.1
# Areas with more boundary points than this are searched block by block, in blocks of
# this many consecutive points (see Blocks).
_PRUNE_MIN = 64
_BLOCK = 16
_PRUNE_RELATIVE = 0.05
_PRUNE_MARGIN_RAD = math.radians(0.2)
# Areas: cell and sub-step of the second search (s), safety factor on the curvature
# bound, and the most samples and cells per best-time search.
_CELL_S = 10.0
_SUB_STEP_S = 1.0
_CURVATURE_SAFETY = 2.0
_MAX_PEAK_SAMPLES = 2000
_MAX_PEAK_CELLS = 8
# Aim for chunks of about this many (pair, sample) entries: bounded memory.
_CHUNK_ENTRIES = 3_000_000


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
            # From the printed (millisecond) times, so the record round-trips exactly.
            "duration_s": round((_ms(self.end) - _ms(self.start)).total_seconds(), 3),
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


def _ms(when: datetime) -> datetime:
    """``when`` truncated to the millisecond, as :func:`format_time` prints it."""
    return when.replace(microsecond=when.microsecond // 1000 * 1000)


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
    covered_shapes: bool = True,
) -> OpportunityResult:
    """Every imaging window of every satellite over every target in ``[start, end]``.

    ``satellites``: element sets or a :class:`~spacepool.orbits.propagate.Propagator`.
    ``targets``: :class:`~spacepool.access.areas.PointTarget` and
    :class:`~spacepool.access.areas.AreaTarget` objects. One sensor for every satellite
    from ``max_off_nadir_deg`` or ``swath_km`` (and ``min_sun_elevation_deg``), or per
    satellite a list of :class:`Sensor` (``sensors[i]`` for satellite ``i``; an empty
    list skips it). ``covered_geometry``: compute each area opportunity's covered part
    and fraction; with ``covered_shapes=False`` the fraction only (``covered`` stays
    ``None``; the same fractions, faster). ``workers > 1`` spreads satellite chunks over processes. Raises
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

    geometry = TargetArrays.of(targets, boundary_spacing_km)
    tasks = list(
        _tasks(elements, per_sat, geometry, t_start, t_end, tolerance_s, covered_geometry,
               workers, covered_shapes)
    )  # fmt: skip
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

    for task, result in zip(tasks, map_chunks(_chunk, tasks, workers=workers), strict=True):
        collect(result, len(task[0]))
    sat_rank = {e.norad_id: i for i, e in enumerate(elements)}
    found.sort(key=lambda o: (o.start, o.target, o.satellite, sat_rank.get(o.norad_id, 0),
                              o.instrument))  # fmt: skip
    failures.sort(key=lambda f: f.satellite)
    return OpportunityResult(tuple(found), tuple(failures), warnings)


_Task = tuple[
    tuple[ElementSet, ...], tuple[tuple[Sensor, ...], ...], TargetArrays, datetime, datetime,
    float, float, bool, Any, bool,
]  # fmt: skip


def _tasks(
    elements: tuple[ElementSet, ...],
    per_sat: tuple[tuple[Sensor, ...], ...],
    geometry: TargetArrays,
    start: datetime,
    end: datetime,
    tolerance_s: float,
    covered: bool,
    workers: int = 1,
    shapes: bool = True,
) -> Iterator[_Task]:
    """Chunks of satellites sharing a grid step, sized for bounded memory (and, with
    several workers, at least one per worker); all share one Sun track (evaluating the
    Sun's ITRS position is costly: nutation at every node)."""
    span_s = (end - start).total_seconds()
    sun = _sun_track(start, end)
    n_targets = len(geometry)
    chunks = step_chunks(
        [imaging_step_s(e) for e in elements],
        (i for i in range(len(elements)) if per_sat[i]),
        lambda i, step: len(per_sat[i]) * (int(span_s / step) + 2) * n_targets,
        _CHUNK_ENTRIES,
        workers=workers,
    )
    for step, chunk in chunks:
        yield (
            tuple(elements[i] for i in chunk), tuple(per_sat[i] for i in chunk),
            geometry, start, end, step, tolerance_s, covered, sun, shapes,
        )  # fmt: skip


@lru_cache(maxsize=4)
def _sun_track(start: datetime, end: datetime) -> SunTrack:
    """The Sun track of a period, kept for the next searches of the same period: a
    caller that splits its search into many calls over one period (the planning
    build: one call per group of requests) pays for the Sun once, not at every call."""
    return SunTrack(TimeBase.around(start, end), (end - start).total_seconds())


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
        geometry: TargetArrays,
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

        ``search`` is :attr:`Near.search` (inside an area, the depth term); ``pure`` is
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
        outputs = func(rows, row, *self.hermite.samples(sat, k))  # contiguous (3, K)
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
            omega = _RATE_FACTOR * np.fmax.reduce(
                np.where(radius > 0, speed / radius, np.nan), axis=1
            )
            r_max = np.fmax.reduce(radius, axis=1) + _RADIUS_MARGIN_KM
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
            + (omega[q_sat] * self.step + PREFILTER_MARGIN_RAD)[:, None]
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
    geometry: TargetArrays,
    start: datetime,
    end: datetime,
    step: float,
    tolerance_s: float,
    covered: bool,
    sun: SunTrack,
    shapes: bool = True,
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
    win = Windows(found.row, found.start_s, found.end_s, found.truncated_start,
                   found.truncated_end)  # fmt: skip
    win = _area_steps(ch, rows, value, rate, win, tolerance_s)
    del value, rate

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
    lo, hi = win.start_s + nudge, win.end_s - nudge
    p_eval, p_exact = ch.functions(rows, ch.outer, first=2)
    peak_s, peak_v = peaks_within(
        ch.seconds, pure, pure_rate, p_eval, win.row, lo, hi, exact=p_exact,
        tolerance_s=tolerance_s,
    )  # fmt: skip
    # An area's off-nadir function may have several maxima within one grid step (a
    # concave outline): search its windows again on a 1-second grid.
    area = np.flatnonzero(geometry.s_count[rows.target[win.row]] > 0)
    if area.size:
        peak_s[area], peak_v[area] = _area_peaks(ch, rows, win.row[area], lo[area], hi[area],
                                                 tolerance_s)  # fmt: skip
    return _opportunities(ch, rows, win, peak_s, peak_v, sun, covered, shapes), ch.failures


def _subgrid(
    ch: _Chunk,
    rows: _Rows,
    row: IntArray,
    t0: FloatArray,
    span: FloatArray,
    samples: int,
    first: int,
) -> tuple[FloatArray, FloatArray, FloatArray, Evaluate, Evaluate]:
    """Output ``first`` of :meth:`_Chunk.outer` on ``samples`` points across each of the
    stretches ``[t0, t0 + span]`` of rows ``row`` (``(M,)`` each), in the unit variable
    ``u`` (``t = t0 + u * span``): ``(u (samples,), value (M, samples), rate d/du,
    evaluate, exact)``, the evaluators taking ``(stretch index, u)``."""
    u = np.linspace(0.0, 1.0, samples)
    m = row.size

    def at(k: IntArray, uu: FloatArray, exact: bool) -> tuple[FloatArray, FloatArray]:
        t = t0[k] + uu * span[k]
        sat = rows.sat[row[k]]
        if exact:
            r, v, _ = ch.propagator.at(sat, t)
        else:
            r, v = ch.hermite.states(sat, t)
        out = ch.outer(rows, row[k], r, v)
        return out[first], out[first + 1] * span[k]

    k = np.repeat(np.arange(m), samples)
    value, rate = at(k, np.tile(u, m), False)
    return (
        u, value.reshape(m, samples), rate.reshape(m, samples),
        lambda kk, uu: at(kk, uu, False), lambda kk, uu: at(kk, uu, True),
    )  # fmt: skip


def _area_steps(
    ch: _Chunk,
    rows: _Rows,
    value: FloatArray,
    rate: FloatArray,
    win: Windows,
    tolerance_s: float,
) -> Windows:
    """Search again, on finer steps, the grid steps of area rows that may hide a window.

    An area's search function is the largest of its boundary points' functions, each
    close to a concave quadratic in time: it may rise and fall several times within one
    step, which the event search (one extremum per step) cannot see. Each point's
    function bends down at most by ``a`` (``F'' >= -a``), so over a step of length ``h``
    ``F`` exceeds its chord by at most ``a h^2 / 8``. ``a`` is bounded by
    :data:`_CURVATURE_SAFETY` times ``2 v^2 / h_sat^2`` (the flat-Earth curvature of
    ``tan^2`` of the off-nadir angle; ``v`` the satellite's ground-relative speed,
    ``h_sat`` its height, both at their worst over the period): the curvature measured
    on real and made-up orbits was at most 0.93 of that up to 60 deg off nadir.

    Steps that may hold a window (``max(F) + a h^2 / 8 >= 0``, unless both samples are
    inside a window) are sampled every :data:`_CELL_S`; cells between two samples inside
    a window count as inside; the cells that may still hold a window's end or a hidden
    one are searched on :data:`_SUB_STEP_S` sub-steps by the event search, where the
    bound leaves at most 3e-5 unseen (in tan^2 units: 0.001 deg of off-nadir angle).
    Steps with both samples inside a window are searched again only when the sampled
    derivative turns from falling to rising (a possible gap); a gap shorter than a step
    that the derivative does not show is not found (two windows are then reported as one).
    """
    area_rows = np.flatnonzero(ch.geometry.s_count[rows.target] > 0)
    if area_rows.size == 0:
        return win
    bend = _bend(ch)
    h = np.diff(ch.seconds)
    v = value[area_rows]
    d = rate[area_rows]
    valid = np.isfinite(v[:, :-1]) & np.isfinite(v[:, 1:])
    valid &= (v[:, :-1] > _FAR_BELOW) & (v[:, 1:] > _FAR_BELOW)
    flagged = valid & _may_hide(v[:, :-1], v[:, 1:], d[:, :-1], d[:, 1:],
                                bend[rows.sat[area_rows]][:, None] * h[None, :] ** 2 / 8.0)  # fmt: skip
    fr, fk = np.nonzero(flagged)
    if fr.size == 0:
        return win
    # Cells of about _CELL_S across each flagged step.
    row = area_rows[fr]
    cells = math.ceil(float(h.max()) / _CELL_S)
    u, cv, cd, _, _ = _subgrid(ch, rows, row, ch.seconds[fk], h[fk], cells + 1, 0)
    cell_h = h[fk] / cells  # (M,)
    c0, c1, d0, d1 = cv[:, :-1], cv[:, 1:], cd[:, :-1], cd[:, 1:]  # rates per unit u
    scale = h[fk][:, None]
    inside = (c0 >= 0.0) & (c1 >= 0.0) & ~((d0 < 0.0) & (d1 > 0.0))
    deeper = _may_hide(c0, c1, d0 / scale, d1 / scale,
                       bend[rows.sat[row]][:, None] * cell_h[:, None] ** 2 / 8.0)  # fmt: skip
    ir, ic = np.nonzero(inside)
    t_cell = ch.seconds[fk][:, None] + u[None, :] * h[fk][:, None]  # (M, cells + 1)
    parts = [Windows(row[ir], t_cell[ir, ic], t_cell[ir, ic + 1], np.zeros(ir.size, bool),
                      np.zeros(ir.size, bool))]  # fmt: skip
    sr, sc = np.nonzero(deeper)
    if sr.size:
        sub_row = row[sr]
        samples = math.ceil(float(cell_h.max()) / _SUB_STEP_S) + 1
        su, sv, sd, ev, ex = _subgrid(ch, rows, sub_row, t_cell[sr, sc], cell_h[sr], samples, 0)
        sub = find_intervals(su, sv, sd, ev, exact=ex,
                             tolerance_s=tolerance_s / float(cell_h.max()),
                             peak_margin=PEAK_MARGIN_TAN2)  # fmt: skip
        base = t_cell[sr, sc][sub.row]
        span = cell_h[sr][sub.row]
        parts.append(Windows(sub_row[sub.row], base + sub.start_s * span, base + sub.end_s * span,
                              np.zeros(len(sub), bool), np.zeros(len(sub), bool)))  # fmt: skip
    extra = parts[0] if len(parts) == 1 else concat(parts[0], parts[1])
    return merge_rows(win, extra)


def _may_hide(
    f0: FloatArray, f1: FloatArray, d0: FloatArray, d1: FloatArray, bulge: FloatArray
) -> BoolArray:
    """Steps (samples ``f0``, ``f1``, rates ``d0``, ``d1``) that may hold a window end or
    a hidden window: the chord plus the largest bulge reaches zero, and the step is not
    inside a window without a sign of a gap (a falling-then-rising derivative)."""
    both_in = (f0 >= 0.0) & (f1 >= 0.0)
    gap = both_in & (d0 < 0.0) & (d1 > 0.0)
    result: BoolArray = ((np.maximum(f0, f1) + bulge >= 0.0) & ~both_in) | gap
    return result


def _area_peaks(
    ch: _Chunk,
    rows: _Rows,
    row: IntArray,
    lo: FloatArray,
    hi: FloatArray,
    tolerance_s: float,
) -> tuple[FloatArray, FloatArray]:
    """Best times of area windows ``[lo, hi]`` of rows ``row`` (``(M,)`` each).

    The off-nadir function is sampled every :data:`_CELL_S`; outside the area it bends
    down at most as fast as the search function (see :func:`_area_steps`), so only the
    cells whose chord plus the largest bulge reaches the best sample can hold the
    maximum. Those are searched on :data:`_SUB_STEP_S` sub-steps, each maximum refined,
    and the largest kept.
    """
    span = np.maximum(hi - lo, 0.0)
    n1 = int(min(_MAX_PEAK_SAMPLES, max(3, math.ceil(float(span.max()) / _CELL_S) + 1)))
    u, cv, _, _, _ = _subgrid(ch, rows, row, lo, span, n1, 2)
    cell = span / (n1 - 1)
    best = np.max(cv, axis=1)
    bulge = _bend(ch)[rows.sat[row]] * cell**2 / 8.0
    top = np.maximum(cv[:, :-1], cv[:, 1:])
    cand = top + bulge[:, None] >= best[:, None]
    # At most _MAX_PEAK_CELLS cells per window, the highest first: the bound admits
    # more only in long windows of high or eccentric orbits, where the function is
    # smooth over a cell and the highest samples are next to the maximum.
    rank = np.argsort(np.argsort(-np.where(cand, top, -np.inf), axis=1), axis=1)
    cr, cc = np.nonzero(cand & (rank < _MAX_PEAK_CELLS))
    n2 = int(max(3, math.ceil(float(cell.max()) / _SUB_STEP_S) + 1))
    base = lo[cr] + u[cc] * span[cr]
    su, sv, sd, ev, ex = _subgrid(ch, rows, row[cr], base, cell[cr], n2, 2)
    k = np.arange(cr.size)
    scale = max(float(cell.max()), 1e-9)
    t_pk, v_pk = peaks_within(su, sv, sd, ev, k, np.zeros(k.size), np.ones(k.size), exact=ex,
                              tolerance_s=tolerance_s / scale)  # fmt: skip
    t_abs = base + t_pk * cell[cr]
    order = np.lexsort((-v_pk, cr))
    first = order[np.r_[True, np.diff(cr[order]) != 0]]
    peak_s = lo.copy()
    peak_v = np.full(row.size, -np.inf)
    peak_s[cr[first]] = t_abs[first]
    peak_v[cr[first]] = v_pk[first]
    return peak_s, peak_v


def _bend(ch: _Chunk) -> FloatArray:
    """Per satellite, the bound ``a`` on how fast a point's search function bends down
    (1/s^2): :data:`_CURVATURE_SAFETY` times ``2 v^2 / h_sat^2`` at its worst."""
    radius = np.sqrt(np.einsum("scn,scn->sn", ch.r, ch.r))
    speed2 = np.einsum("scn,scn->sn", ch.v, ch.v)
    with np.errstate(invalid="ignore", divide="ignore"):
        bend = np.fmax.reduce(2.0 * speed2 / np.maximum(radius - WGS84_B_KM, 1.0) ** 2, axis=1)
    result: FloatArray = _CURVATURE_SAFETY * np.where(np.isfinite(bend), bend, 0.0)
    return result


def _opportunities(
    ch: _Chunk,
    rows: _Rows,
    win: Windows,
    peak_s: FloatArray,
    peak_v: FloatArray,
    sun: SunTrack,
    covered: bool,
    with_shapes: bool = True,
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
    # A side-looking sensor cannot look nearer nadir than its minimum: over an area
    # whose nearest point is inside the blind cone, the best usable angle is that minimum.
    inner = np.array([ch.sensors[int(q)].min_off_nadir_deg for q in sensor])
    off_nadir = np.maximum(off_nadir, inner)
    r_best, _, _ = ch.propagator.at(sat, peak_s)
    sun_best, _ = sun.at(peak_s)
    sin_sun, _ = sun.elevation(geometry.ref_pos[:, target], geometry.ref_up[:, target], peak_s)
    sun_el = np.degrees(np.arcsin(np.clip(sin_sun, -1.0, 1.0)))
    lit = sunlit(r_best, sun_best)
    fractions: list[float | None] = [None] * len(win)
    shapes: list[BaseGeometry | None] = [None] * len(win)
    if covered:
        area_idx = np.flatnonzero([geometry.areas[int(t)] is not None for t in target])
        arguments = (
            ch.hermite, sat[area_idx], win.start_s[area_idx], win.end_s[area_idx],
            ch.half_angle_deg[sensor[area_idx]],
            np.array([ch.sensors[int(q)].swath_km is not None for q in sensor[area_idx]]),
            [a for a in (geometry.areas[int(t)] for t in target[area_idx]) if a is not None],
        )  # fmt: skip
        if with_shapes:
            parts = covered_parts(*arguments)
            for m, (frac, shape) in zip(area_idx.tolist(), parts, strict=True):
                fractions[m], shapes[m] = frac, shape
        else:
            for m, frac in zip(area_idx.tolist(), covered_fractions(*arguments), strict=True):
                fractions[m] = frac
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
    "Progress",
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
