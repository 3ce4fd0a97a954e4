"""Ground-station contacts: when each satellite is above each station's mask.

For every satellite: one SGP4 propagation on a grid whose step follows its orbit
(:func:`~spacepool.access.geometry.grid_step_s`); that one ephemeris serves every
station. Per satellite-station pair, ``sin(elevation) - sin(mask)`` and its analytic
time derivative are sampled on the grid, and :func:`~spacepool.access.events.find_intervals`
finds the intervals above the mask — threshold crossings *and* elevation maxima, so a
grazing pass whose peak falls between two samples is still found. Roots are first
located on a cubic Hermite interpolation of the ITRS positions (no SGP4 calls), then
polished with one exact SGP4 evaluation and a Newton step.

A conservative pre-filter keeps only the grid steps that may hold part of a pass: the
geocentric angle between station and satellite at both ends of a step, against the
largest angle at which the satellite could be above the mask and how far the angle
can change in one step (see :func:`_candidate_runs`). Chains of such steps ("runs",
about 9 % of the (pair, sample) entries for LEO) are the rows of the event search.
Runs at stations with an azimuth-dependent mask are searched on a finer grid (see
:data:`_TABLE_STEP_S`).

Satellites are processed in chunks (``workers > 1`` spreads the chunks over
processes). Passes already under way at the window start, or still under way at its
end, are reported with ``truncated_start`` / ``truncated_end``; so are passes cut by
an SGP4 failure, which is reported once per satellite in ``failures``.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spacepool.access.events import (
    Evaluate,
    HermiteTable,
    find_intervals,
    grid_seconds,
    peaks_within,
)
from spacepool.access.geometry import (
    Site,
    SiteFrames,
    StationLike,
    as_site,
    elevation_function,
    grid_step_s,
    looks_like_coordinates,
    parse_site,
    sin_elevation_to_deg,
    visibility_cos_central_angle,
)
from spacepool.errors import PropagationError, UnknownNameError
from spacepool.orbits.elements import ElementSet
from spacepool.orbits.parallel import Progress, map_chunks, step_chunks
from spacepool.orbits.propagate import Propagator
from spacepool.orbits.timebase import TimeBase, check_window, format_time, parse_time
from spacepool.orbits.validity import AgeWarning, check_age

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# Root tolerance on the interpolated function before the exact Newton polish (s).
DEFAULT_TOLERANCE_S = 1e-4
# Maxima whose tangent-line bound is below the mask by more than this (in sine of
# elevation, about 1.7 deg) are not refined; see events.find_intervals. The bound is
# exact for a concave elevation curve; this margin covers steps that straddle an
# inflection point (checked against a 1-second brute-force scan in the tests).
PEAK_MARGIN_SIN = 0.03
# Runs of up to this many samples are searched together (see _Runs.groups).
_SHORT_RUN = 8
# An azimuth-dependent mask puts a kink in the function wherever the azimuth crosses
# a table point, so one grid step can hold several extrema (a pass dipping below a
# ridge and rising again). Runs at such sites are searched on a grid with steps of at
# most _TABLE_STEP_S for tables whose points are _TABLE_SPACING_DEG or more apart
# (proportionally shorter for denser ones, down to 1 s): near the mask a LEO satellite
# turns by well under 0.5 deg/s in azimuth, so at most one kink per finer step. Checked
# against a 1-second brute-force scan with McMurdo's mask (tests/access).
_TABLE_STEP_S = 30.0
_TABLE_SPACING_DEG = 30.0
# Margin on the sampled largest geocentric distance (km): its growth between samples.
_RADIUS_MARGIN_KM = 50.0
# Safety factor on the sampled largest angular rate (its growth between samples is
# below 1 % for the steps used; see geometry.STEP_FRACTION_OF_PERIGEE_TIME).
_RATE_FACTOR = 1.1
# Aim for chunks of about this many (pair, sample) entries: bounded memory.
_CHUNK_ENTRIES = 3_000_000


@dataclass(frozen=True)
class Contact:
    """One pass of a satellite above a station's elevation mask.

    Times are aware UTC datetimes. ``aos`` / ``los``: acquisition / loss of signal
    (crossing the mask), or the window edge when ``truncated_start`` /
    ``truncated_end``; ``tca``: time of the highest elevation (closest approach in
    elevation). Azimuths in degrees from north, clockwise. ``element_age_days``:
    days from the element epoch to ``tca`` (negative before the epoch).
    """

    satellite: str
    norad_id: int
    station: str
    aos: datetime
    tca: datetime
    los: datetime
    max_elevation_deg: float
    duration_s: float
    truncated_start: bool = False
    truncated_end: bool = False
    aos_azimuth_deg: float = math.nan
    tca_azimuth_deg: float = math.nan
    los_azimuth_deg: float = math.nan
    element_age_days: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The CLI/HTTP JSON object: the contract keys first, then extras."""
        return {
            "satellite": self.satellite,
            "norad_id": self.norad_id,
            "station": self.station,
            "aos": format_time(self.aos),
            "tca": format_time(self.tca),
            "los": format_time(self.los),
            "max_elevation_deg": round(self.max_elevation_deg, 3),
            "duration_s": round(self.duration_s, 3),
            "truncated_start": self.truncated_start,
            "truncated_end": self.truncated_end,
            "aos_azimuth_deg": round(self.aos_azimuth_deg, 2),
            "tca_azimuth_deg": round(self.tca_azimuth_deg, 2),
            "los_azimuth_deg": round(self.los_azimuth_deg, 2),
            "element_age_days": round(self.element_age_days, 3),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Contact:
        return cls(
            satellite=str(data["satellite"]),
            norad_id=int(data["norad_id"]),
            station=str(data["station"]),
            aos=parse_time(data["aos"], field="aos"),
            tca=parse_time(data["tca"], field="tca"),
            los=parse_time(data["los"], field="los"),
            max_elevation_deg=float(data["max_elevation_deg"]),
            duration_s=float(data["duration_s"]),
            truncated_start=bool(data.get("truncated_start", False)),
            truncated_end=bool(data.get("truncated_end", False)),
            aos_azimuth_deg=float(data.get("aos_azimuth_deg", math.nan)),
            tca_azimuth_deg=float(data.get("tca_azimuth_deg", math.nan)),
            los_azimuth_deg=float(data.get("los_azimuth_deg", math.nan)),
            element_age_days=float(data.get("element_age_days", 0.0)),
        )


@dataclass(frozen=True)
class ContactTable:
    """Contacts as columns, the form the engine computes (cheap for millions of rows).

    ``elements`` and ``sites`` are the satellites and stations searched; every array
    has shape ``(M,)``: ``sat_index`` / ``site_index`` point into them, times are
    seconds after ``t0`` (UTC). Rows are sorted by AOS, then station, then satellite.
    """

    t0: datetime
    elements: tuple[ElementSet, ...]
    sites: tuple[Site, ...]
    sat_index: IntArray
    site_index: IntArray
    aos_s: FloatArray
    tca_s: FloatArray
    los_s: FloatArray
    max_elevation_deg: FloatArray
    truncated_start: NDArray[np.bool_]
    truncated_end: NDArray[np.bool_]
    aos_azimuth_deg: FloatArray
    tca_azimuth_deg: FloatArray
    los_azimuth_deg: FloatArray

    def __len__(self) -> int:
        return int(self.sat_index.size)

    @property
    def element_age_days(self) -> FloatArray:
        """Days from each row's element epoch to its TCA, ``(M,)``."""
        epoch_s = np.array([(e.epoch - self.t0).total_seconds() for e in self.elements])
        age: FloatArray = (self.tca_s - epoch_s[self.sat_index]) / 86400.0
        return age

    def contacts(self) -> tuple[Contact, ...]:
        """The rows as :class:`Contact` objects (about 5 us each)."""
        names = [e.name or str(e.norad_id) for e in self.elements]
        norads = [e.norad_id for e in self.elements]
        stations = [s.name for s in self.sites]
        t0 = self.t0
        columns = zip(
            self.sat_index.tolist(), self.site_index.tolist(),
            self.aos_s.tolist(), self.tca_s.tolist(), self.los_s.tolist(),
            self.max_elevation_deg.tolist(),
            self.truncated_start.tolist(), self.truncated_end.tolist(),
            self.aos_azimuth_deg.tolist(), self.tca_azimuth_deg.tolist(),
            self.los_azimuth_deg.tolist(), self.element_age_days.tolist(),
            strict=True,
        )  # fmt: skip
        return tuple(
            Contact(
                names[i],
                norads[i],
                stations[p],
                t0 + timedelta(seconds=aos),
                t0 + timedelta(seconds=tca),
                t0 + timedelta(seconds=los),
                el,
                los - aos,
                ts,
                te,
                az0,
                az1,
                az2,
                age,
            )
            for i, p, aos, tca, los, el, ts, te, az0, az1, az2, age in columns
        )

    @classmethod
    def concatenate(
        cls,
        t0: datetime,
        elements: tuple[ElementSet, ...],
        sites: tuple[Site, ...],
        parts: list[_Part],
    ) -> ContactTable:
        """Join chunk results and sort by AOS, station name, satellite name, NORAD id.

        Empties ``parts`` as it goes: each column's pieces are released once joined,
        so the peak memory is about one copy of the table, not three.
        """
        columns: list[list[Any]] = [list(c) for c in zip(*parts, strict=True)] or [
            [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], *([np.zeros(0)] for _ in range(4)),
            [np.zeros(0, bool)], [np.zeros(0, bool)], *([np.zeros(0)] for _ in range(3)),
        ]  # fmt: skip
        parts.clear()
        site_rank = _rank([s.name for s in sites])
        sat_rank = _rank([(e.name, e.norad_id) for e in elements])
        sat = np.concatenate(columns[0]).astype(np.int64)
        site = np.concatenate(columns[1]).astype(np.int64)
        order = np.lexsort((sat_rank[sat], site_rank[site], np.concatenate(columns[2])))
        out: list[Any] = [sat[order], site[order]]
        del sat, site
        columns[0].clear()
        columns[1].clear()
        for pieces in columns[2:]:
            joined = np.concatenate(pieces)
            pieces.clear()
            out.append(joined[order])
            del joined
        return cls(t0, elements, sites, *out)


def _rank(keys: Sequence[Any]) -> IntArray:
    """Position of each key in sorted order, ``(len(keys),)``."""
    order = sorted(range(len(keys)), key=lambda i: keys[i])
    rank = np.empty(len(keys), dtype=np.int64)
    rank[order] = np.arange(len(keys))
    return rank


@dataclass(frozen=True)
class ContactResult:
    """Contacts sorted by AOS (then station, satellite), plus what went wrong.

    ``table``: the columnar form; ``contacts``: the same rows as :class:`Contact`
    objects (built on first access). ``failures``: one
    :class:`~spacepool.errors.PropagationError` per satellite that SGP4 could not
    propagate somewhere in the window (its passes before the failure are kept, the one
    cut by it marked truncated). ``age_warnings``: element sets used too far from their
    epoch (:func:`spacepool.orbits.validity.check_age`).
    """

    table: ContactTable
    failures: tuple[PropagationError, ...] = ()
    age_warnings: tuple[AgeWarning, ...] = ()

    @cached_property
    def contacts(self) -> tuple[Contact, ...]:
        return self.table.contacts()

    def __len__(self) -> int:
        return len(self.table)

    def __iter__(self) -> Iterator[Contact]:
        return iter(self.contacts)


def find_contacts(
    satellites: Propagator | Sequence[ElementSet],
    stations: Sequence[Site | StationLike],
    start: datetime | str,
    end: datetime | str,
    *,
    min_elevation_deg: float | None = None,
    progress: Progress | None = None,
    max_age_days: float | None = None,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    workers: int = 1,
) -> ContactResult:
    """Every pass of every satellite over every station between ``start`` and ``end``.

    ``satellites``: element sets, or a :class:`~spacepool.orbits.propagate.Propagator`
    (its element sets are used). ``stations``: :class:`~spacepool.access.geometry.Site`
    or consortium ``GroundStation`` objects. ``min_elevation_deg`` replaces every
    station's mask by a constant one; ``None`` keeps each station's own mask (with
    its azimuth table). ``workers > 1`` spreads satellite chunks over that many
    processes. Raises :class:`~spacepool.errors.TimeRangeError` for an empty window.
    """
    t_start = parse_time(start, field="start")
    t_end = parse_time(end, field="end")
    check_window(t_start, t_end)
    elements = tuple(satellites.elements if isinstance(satellites, Propagator) else satellites)
    sites = tuple(as_site(s, min_elevation_deg) for s in stations)
    warnings = tuple(check_age(elements, t_start, t_end, max_age_days)) if elements else ()
    if not elements or not sites:
        empty = ContactTable.concatenate(t_start, elements, sites, [])
        return ContactResult(empty, (), warnings)

    span_s = (t_end - t_start).total_seconds()
    n_sites = len(sites)
    tasks: list[_Task] = [
        (np.array(members, dtype=np.int64), tuple(elements[i] for i in members), sites,
         t_start, t_end, step, span_s, tolerance_s)
        for step, members in step_chunks(
            [grid_step_s(e) for e in elements], range(len(elements)),
            lambda _, step: (int(span_s / step) + 2) * n_sites, _CHUNK_ENTRIES,
            workers=workers,
        )
    ]  # fmt: skip
    total = len(elements)
    done = 0
    parts: list[_Part] = []
    failures: list[PropagationError] = []

    def collect(result: tuple[_Part, list[_Failure]], index: IntArray) -> None:
        nonlocal done
        part, errors = result
        parts.append((index[part[0]], *part[1:]))
        failures.extend(
            PropagationError(satellite=n, error_code=c, meaning=m) for n, c, m in errors
        )
        done += index.size
        if progress is not None:
            progress(done, total)

    results = map_chunks(_chunk_contacts, [task[1:] for task in tasks], workers=workers)
    for task, result in zip(tasks, results, strict=True):
        collect(result, task[0])
    failures.sort(key=lambda f: f.satellite)
    table = ContactTable.concatenate(t_start, elements, sites, parts)
    return ContactResult(table, tuple(failures), warnings)


# Columns of a chunk's result: sat (local index), site, aos, tca, los, max elevation,
# truncated start, truncated end, three azimuths.
_Part = tuple[
    IntArray, IntArray, FloatArray, FloatArray, FloatArray, FloatArray,
    NDArray[np.bool_], NDArray[np.bool_], FloatArray, FloatArray, FloatArray,
]  # fmt: skip
_Failure = tuple[str, int, str]  # satellite label, SGP4 error code, meaning
_Task = tuple[
    IntArray, tuple[ElementSet, ...], tuple[Site, ...], datetime, datetime, float, float, float
]


def _chunk_contacts(
    elements: tuple[ElementSet, ...],
    sites: tuple[Site, ...],
    start: datetime,
    end: datetime,
    step_s: float,
    span_s: float,
    tolerance_s: float,
) -> tuple[_Part, list[_Failure]]:
    """Contacts of satellites that share one grid step (runs in a worker process too)."""
    timebase = TimeBase.around(start, end)
    frames = SiteFrames.of(sites)
    propagator = Propagator(elements, timebase)
    seconds = grid_seconds(0.0, span_s, step_s)
    ephemeris = propagator.grid(seconds)
    r, v = ephemeris.r_itrs_km, ephemeris.v_itrs_km_s
    # Plain tuples: they cross process boundaries (the exception's keyword-only
    # constructor does not unpickle).
    failures = [(f.satellite, f.error_code, f.meaning) for f in ephemeris.failures()]
    runs = _candidate_runs(r, v, frames, step_s)
    if runs.sat.size == 0:
        return _empty_part(), failures
    search = _RunSearch(seconds, HermiteTable(seconds, r, v), propagator, frames, tolerance_s)
    parts = [search.contacts(runs.take(group)) for group in runs.groups(search.has_table)]
    return _join_parts(parts), failures


@dataclass(frozen=True)
class _Runs:
    """Stretches of consecutive grid samples where a satellite may be above a site's
    mask: satellite ``sat``, site ``site``, first sample ``first`` and sample count
    ``length``, each ``(M,)``."""

    sat: IntArray
    site: IntArray
    first: IntArray
    length: IntArray

    def take(self, index: IntArray) -> _Runs:
        return _Runs(self.sat[index], self.site[index], self.first[index], self.length[index])

    def groups(self, has_table: NDArray[np.bool_]) -> list[IntArray]:
        """Runs grouped by whether their site has an azimuth table (``has_table``,
        per site), then by length (up to 8 samples, 9 to 16, 17 to 32, ...), so that a
        group's ``(M, longest)`` sample array is at most about half padding."""
        size_class = np.ceil(np.log2(np.maximum(self.length, _SHORT_RUN) / _SHORT_RUN))
        key = size_class + 1000.0 * has_table[self.site]
        order = np.argsort(key, kind="stable")
        bounds = np.flatnonzero(np.diff(key[order])) + 1
        return list(np.split(order, bounds))


def _candidate_runs(r: FloatArray, v: FloatArray, frames: SiteFrames, step_s: float) -> _Runs:
    """The runs of samples the pre-filter cannot rule out; ``r``, ``v``: ``(S, 3, N)``.

    ``theta``: the geocentric angle between site and satellite; ``theta_vis``: the
    largest angle at which the satellite can be above the mask
    (:func:`~spacepool.access.geometry.visibility_cos_central_angle`); ``reach``: the
    most the angle can change in one step (largest sampled angular rate x 1.1, x step).
    Inside a step from ``theta_a`` to ``theta_b`` the angle stays at or above
    ``(theta_a + theta_b - reach) / 2`` (it cannot fall faster than ``reach`` per step
    from either end), so a step can hold a moment above the mask only if
    ``theta_a + theta_b <= 2 theta_vis + reach``. Runs are chains of such steps (plus
    any single sample within ``theta_vis``): every pass, grazing or not, lies inside one
    run, and a run starts and ends below the mask except at the window ends or next to
    an SGP4 failure (NaN samples, never kept), where the pass is indeed cut. Only the
    samples within ``theta_vis + reach`` (a necessary condition) are examined closely.
    """
    n = r.shape[2]
    n_sites = len(frames)
    radius = np.sqrt(np.einsum("scn,scn->sn", r, r))  # (S, N)
    speed = np.sqrt(np.einsum("scn,scn->sn", v, v))
    with np.errstate(invalid="ignore", divide="ignore"):
        omega = _RATE_FACTOR * np.fmax.reduce(np.where(radius > 0, speed / radius, np.nan), axis=1)
        r_max = np.fmax.reduce(radius, axis=1) + _RADIUS_MARGIN_KM
        direction = r / radius[:, None, :]  # unit vectors, NaN where SGP4 failed
    reach = np.where(np.isfinite(omega), omega, 0.0) * step_s  # (S,)
    r_max = np.where(np.isfinite(r_max), r_max, 0.0)
    theta_vis = np.arccos(visibility_cos_central_angle(frames, r_max, np.zeros_like(reach)))
    cos_near = np.cos(np.minimum(theta_vis + reach[:, None], math.pi))  # (S, P)
    site_unit = frames.position_km / np.linalg.norm(frames.position_km, axis=1)[:, None]
    cos_theta = np.matmul(site_unit, direction)  # (S, P, N)
    # NaN (a failed sample) compares False, so it is never kept.
    near = np.flatnonzero(np.greater_equal(cos_theta, cos_near[:, :, None]))  # (E,)
    pair = near // n
    sample = near - pair * n
    theta = np.arccos(np.clip(cos_theta.reshape(-1)[near], -1.0, 1.0))
    sat, site = np.divmod(pair, n_sites)
    vis = theta_vis.reshape(-1)[pair]  # pair = sat * n_sites + site
    # Step from entry i to entry i + 1 (same pair, next sample) that may hold a pass.
    step = (near[1:] == near[:-1] + 1) & (pair[1:] == pair[:-1])
    step &= theta[:-1] + theta[1:] <= 2.0 * vis[:-1] + reach[sat[:-1]]
    keep = theta <= vis
    keep[:-1] |= step
    keep[1:] |= step
    kept = np.flatnonzero(keep)
    if kept.size == 0:
        none = np.zeros(0, dtype=np.int64)
        return _Runs(none, none, none, none)
    linked = step[kept[:-1]] & (kept[1:] == kept[:-1] + 1)
    opens = kept[np.insert(~linked, 0, True)]
    closes = kept[np.append(~linked, True)]
    return _Runs(
        sat[opens].astype(np.int64), site[opens].astype(np.int64),
        sample[opens].astype(np.int64), (closes - opens + 1).astype(np.int64),
    )  # fmt: skip


class _RunSearch:
    """The event search over runs of one chunk: grid samples, interpolation, SGP4.

    Runs at sites with an azimuth-dependent mask are searched on a finer grid (see
    :data:`_TABLE_STEP_S`); every other run on the chunk's grid.
    """

    def __init__(
        self,
        seconds: FloatArray,
        hermite: HermiteTable,
        propagator: Propagator,
        frames: SiteFrames,
        tolerance_s: float,
    ) -> None:
        self.seconds = seconds
        self.hermite = hermite
        self.propagator = propagator
        self.frames = frames
        self.tolerance_s = tolerance_s
        self.has_table = np.array([t is not None for t in frames.tables], dtype=bool)
        self._plain: SiteFrames | None = None
        # Finer grid for azimuth-dependent masks: each step cut into ``fine`` equal parts.
        self.fine = 1
        self.fine_seconds = seconds
        if frames.any_azimuth_mask and seconds.size > 1:
            spacing = min(_table_spacing_deg(t) for t in frames.tables if t is not None)
            sub_step = max(_TABLE_STEP_S * min(1.0, spacing / _TABLE_SPACING_DEG), 1.0)
            self.fine = max(1, math.ceil(float(np.max(np.diff(seconds))) / sub_step))
            steps = np.diff(seconds)[:, None] * (np.arange(self.fine) / self.fine)[None, :]
            self.fine_seconds = np.append((seconds[:-1, None] + steps).ravel(), seconds[-1])

    @property
    def plain(self) -> SiteFrames:
        """The sites with a zero mask: ``elevation_function`` is then sin(elevation)."""
        if self._plain is None:
            self._plain = SiteFrames.of([s.with_mask(0.0) for s in self.frames.sites])
        return self._plain

    def layout(self, runs: _Runs) -> tuple[FloatArray, _Runs, bool]:
        """The grid the runs are searched on, the runs in its samples, and whether it is
        the finer one (runs at sites with an azimuth table; one kind per call)."""
        if not self.has_table[runs.site[0]] or self.fine == 1:
            return self.seconds, runs, False
        q = self.fine
        return self.fine_seconds, _Runs(runs.sat, runs.site, runs.first * q,
                                        (runs.length - 1) * q + 1), True  # fmt: skip

    def sampled(
        self, runs: _Runs, frames: SiteFrames, seconds: FloatArray, fine: bool
    ) -> tuple[FloatArray, FloatArray]:
        """The function and its rate on the runs' samples, ``(M, longest)`` each; NaN
        past each run's end. The chunk's grid samples are at hand; finer ones come
        from SGP4 (they must be exact, as every grid value must)."""
        width = int(runs.length.max())
        row, col = np.nonzero(np.arange(width)[None, :] < runs.length[:, None])
        if fine:
            rk, vk, _ = self.propagator.at(runs.sat[row], seconds[runs.first[row] + col])
        else:
            rk, vk = self.hermite.samples(runs.sat[row], runs.first[row] + col)
        val, der = elevation_function(rk, vk, frames, runs.site[row])
        value = np.full((runs.sat.size, width), np.nan)
        rate = np.full((runs.sat.size, width), np.nan)
        value[row, col] = val
        rate[row, col] = der
        return value, rate

    def functions(self, runs: _Runs, frames: SiteFrames) -> tuple[Evaluate, Evaluate]:
        """The function of each run anywhere: interpolated, and exact (SGP4)."""

        def evaluate(row: IntArray, at_s: FloatArray) -> tuple[FloatArray, FloatArray]:
            rk, vk = self.hermite.states(runs.sat[row], at_s)
            return elevation_function(rk, vk, frames, runs.site[row])

        def exact(row: IntArray, at_s: FloatArray) -> tuple[FloatArray, FloatArray]:
            rk, vk, _ = self.propagator.at(runs.sat[row], at_s)
            return elevation_function(rk, vk, frames, runs.site[row])

        return evaluate, exact

    def contacts(self, runs: _Runs) -> _Part:
        """Contacts found in ``runs`` (chunk-local satellite indices; all at sites with
        an azimuth table, or none)."""
        seconds, runs, fine = self.layout(runs)
        value, rate = self.sampled(runs, self.frames, seconds, fine)
        evaluate, exact = self.functions(runs, self.frames)
        found = find_intervals(
            seconds, value, rate, evaluate, exact=exact, tolerance_s=self.tolerance_s,
            peak_margin=PEAK_MARGIN_SIN, offset=runs.first,
        )  # fmt: skip
        if len(found) == 0:
            return _empty_part()
        sat = runs.sat[found.row]
        site = runs.site[found.row]
        peak_s = found.peak_s
        # Peak elevation: the function is sin(el) - sin(mask); invert for constant masks.
        sin_peak = found.peak_value + self.frames.sin_mask[site]
        if fine:
            # With an azimuth-dependent mask the margin's peak is not the elevation's:
            # search the elevation itself within each interval.
            used, sub_row = np.unique(found.row, return_inverse=True)
            sub = runs.take(used)
            value, rate = self.sampled(sub, self.plain, seconds, fine)
            evaluate, exact = self.functions(sub, self.plain)
            peak_s, sin_peak = peaks_within(
                seconds, value, rate, evaluate, sub_row.astype(np.int64), found.start_s,
                found.end_s, exact=exact, tolerance_s=self.tolerance_s, offset=sub.first,
            )  # fmt: skip
        # Azimuths from the interpolated positions (no extra SGP4 calls; 0.001 deg at
        # AOS and LOS, measured; at TCA less near the zenith, where azimuth swings fast),
        # but from SGP4 where the mask depends on the azimuth: there the mask at the
        # reported AOS/LOS azimuth must be the elevation reached (a ridge's slope of
        # several degrees per degree turns 0.001 deg of azimuth into 0.005 deg).
        times = np.concatenate((found.start_s, peak_s, found.end_s))
        if fine:
            rk, _, _ = self.propagator.at(np.tile(sat, 3), times)
        else:
            rk = self.hermite.positions(np.tile(sat, 3), times)
        azimuth = _azimuth_deg(rk, self.frames, np.tile(site, 3)).reshape(3, -1)
        return (
            sat, site, found.start_s, peak_s, found.end_s, sin_elevation_to_deg(sin_peak),
            found.truncated_start, found.truncated_end, azimuth[0], azimuth[1], azimuth[2],
        )  # fmt: skip


def _table_spacing_deg(table: FloatArray) -> float:
    """Smallest azimuth gap between consecutive points of a ``(2, K)`` mask table,
    counting the gap across north."""
    az = np.sort(table[0] % 360.0)
    gaps = np.diff(np.append(az, az[0] + 360.0))
    positive = gaps[gaps > 0.0]
    return float(positive.min()) if positive.size else 360.0


def _join_parts(parts: Sequence[_Part]) -> _Part:
    if len(parts) == 1:
        return parts[0]
    joined = tuple(np.concatenate(column) for column in zip(*parts, strict=True))
    return joined  # type: ignore[return-value]


def _empty_part() -> _Part:
    i = np.zeros(0, dtype=np.int64)
    f = np.zeros(0)
    b = np.zeros(0, dtype=bool)
    return i, i, f, f, f, f, b, b, f, f, f


def _azimuth_deg(r_itrs_km: FloatArray, frames: SiteFrames, site: IntArray) -> FloatArray:
    """Azimuth (deg, from north clockwise) of positions ``(3, K)`` from ``site[k]``."""
    rho = r_itrs_km - np.take(frames.position_km.T, site, axis=1)
    e = np.einsum("ck,ck->k", np.take(frames.east.T, site, axis=1), rho)
    n = np.einsum("ck,ck->k", np.take(frames.north.T, site, axis=1), rho)
    result: FloatArray = np.mod(np.degrees(np.arctan2(e, n)), 360.0)
    return result


# --- inputs and outputs of the passes command -------------------------------------


def resolve_stations(texts: Sequence[str]) -> list[Site | StationLike]:
    """Stations from ``LAT,LON[,ALT_M]`` or bundled consortium names (case-insensitive).

    Raises :class:`~spacepool.errors.GeometryError` for bad coordinates and
    :class:`~spacepool.errors.UnknownNameError` (listing the known ones) for a name
    the consortium does not have.
    """
    out: list[Site | StationLike] = []
    consortium: Any = None
    for text in texts:
        if looks_like_coordinates(text):
            out.append(parse_site(text))
            continue
        if consortium is None:
            from spacepool.consortium import load_consortium

            consortium = load_consortium()
        out.append(consortium.station(text))
    return out


def select_satellites(elements: Sequence[ElementSet], wanted: Sequence[str]) -> list[ElementSet]:
    """The element sets named by ``wanted`` (name, case-insensitive, or NORAD id), in
    the order given; all of them when ``wanted`` is empty."""
    if not wanted:
        return list(elements)
    by_name: dict[str, list[ElementSet]] = {}
    by_norad: dict[int, list[ElementSet]] = {}
    for e in elements:
        by_name.setdefault(e.name.strip().lower(), []).append(e)
        by_norad.setdefault(e.norad_id, []).append(e)
    chosen: list[ElementSet] = []
    for key in wanted:
        text = key.strip()
        found = by_norad.get(int(text), []) if text.isdigit() else by_name.get(text.lower(), [])
        if not found:
            known = sorted({e.name or str(e.norad_id) for e in elements})
            raise UnknownNameError("satellite", key, known)
        chosen.extend(e for e in found if e not in chosen)
    return chosen


def contacts_csv(contacts: Sequence[Contact]) -> str:
    """CSV with a header row; columns as :meth:`Contact.to_dict`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    for contact in contacts:
        row = contact.to_dict()
        writer.writerow(["true" if v is True else "false" if v is False else v
                         for v in (row[k] for k in _CSV_COLUMNS)])  # fmt: skip
    return buffer.getvalue()


_CSV_COLUMNS = tuple(
    Contact("", 0, "", datetime.min.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC),
            datetime.min.replace(tzinfo=UTC), 0.0, 0.0).to_dict()
)  # fmt: skip


def contacts_ics(contacts: Sequence[Contact], *, stamp: datetime | None = None) -> str:
    """An iCalendar file (RFC 5545) with one VEVENT per contact, times in UTC.

    ``UID`` is stable for a given pass (NORAD id, station, AOS to the second);
    ``DTSTAMP`` is ``stamp`` (default: now).
    """
    now = (stamp or datetime.now(UTC)).astimezone(UTC)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//spacepool//passes//EN",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]  # fmt: skip
    for c in contacts:
        station_id = re.sub(r"[^A-Za-z0-9]+", "-", c.station).strip("-").lower() or "station"
        flags = [f for f, on in (("truncated at start", c.truncated_start),
                                 ("truncated at end", c.truncated_end)) if on]  # fmt: skip
        description = (
            f"AOS {format_time(c.aos)}, TCA {format_time(c.tca)}, LOS {format_time(c.los)}; "
            f"max elevation {c.max_elevation_deg:.1f} deg; duration {c.duration_s:.0f} s; "
            f"elements {c.element_age_days:.1f} days from epoch"
            + (f"; {', '.join(flags)}" if flags else "")
        )
        lines += [
            "BEGIN:VEVENT",
            f"UID:{c.norad_id}-{station_id}-{_ics_time(c.aos)}@spacepool",
            f"DTSTAMP:{_ics_time(now)}",
            f"DTSTART:{_ics_time(c.aos)}",
            f"DTEND:{_ics_time(c.los)}",
            f"SUMMARY:{_ics_text(f'{c.satellite} over {c.station} ({c.max_elevation_deg:.0f} deg)')}",
            f"DESCRIPTION:{_ics_text(description)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_ics_fold(line) + "\r\n" for line in lines)


def _ics_time(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _ics_text(text: str) -> str:
    """Escape a TEXT value (RFC 5545 section 3.3.11)."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))  # fmt: skip


def _ics_fold(line: str) -> str:
    """Fold lines longer than 75 octets (RFC 5545 section 3.1)."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts: list[str] = []
    while data:
        limit = 75 if not parts else 74
        cut = min(limit, len(data))
        while cut < len(data) and (data[cut] & 0xC0) == 0x80:  # not inside a character
            cut -= 1
        parts.append(data[:cut].decode("utf-8"))
        data = data[cut:]
    return "\r\n ".join(parts)


__all__ = [
    "Contact",
    "ContactResult",
    "ContactTable",
    "Progress",
    "contacts_csv",
    "contacts_ics",
    "find_contacts",
    "resolve_stations",
    "select_satellites",
]
