"""Ground-station contacts: when each satellite is above each station's mask.

For every satellite: one SGP4 propagation on a grid whose step follows its orbit
(:func:`~spacepool.access.geometry.grid_step_s`); that one ephemeris serves every
station. Per satellite-station pair, ``sin(elevation) - sin(mask)`` and its analytic
time derivative are sampled on the grid, and :func:`~spacepool.access.events.find_intervals`
finds the intervals above the mask — threshold crossings *and* elevation maxima, so a
grazing pass whose peak falls between two samples is still found. Roots are first
located on a cubic Hermite interpolation of the ITRS positions (no SGP4 calls), then
polished with one exact SGP4 evaluation and a Newton step.

A conservative pre-filter skips the (pair, sample) entries that cannot be near a
pass: the geocentric angle between station and satellite is compared with the largest
angle at which the satellite could be above the mask, widened by how far the
satellite can move in one step (its largest sampled angular rate).

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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from itertools import groupby
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spacepool.access.events import (
    HermiteTable,
    Intervals,
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
from spacepool.orbits.parallel import map_chunks
from spacepool.orbits.propagate import Propagator
from spacepool.orbits.timebase import TimeBase, check_window, format_time, parse_time
from spacepool.orbits.validity import AgeWarning, check_age

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

Progress = Callable[[int, int], None]
"""``progress(satellites_done, satellites_total)``, called after each chunk."""

# Root tolerance on the interpolated function before the exact Newton polish (s).
DEFAULT_TOLERANCE_S = 1e-4
# Maxima whose tangent-line bound is below the mask by more than this (in sine of
# elevation, about 1.7 deg) are not refined; see events.find_intervals. The bound is
# exact for a concave elevation curve; this margin covers steps that straddle an
# inflection point (checked against a 1-second brute-force scan in the tests).
PEAK_MARGIN_SIN = 0.03
# Sentinel for (pair, sample) entries the pre-filter proves far below the mask.
_FAR_BELOW = -2.0
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
        parts: Sequence[_Part],
    ) -> ContactTable:
        """Join chunk results and sort by AOS, station name, satellite name, NORAD id."""
        if parts:
            cols = [np.concatenate(c) for c in zip(*parts, strict=True)]
        else:
            cols = [np.zeros(0, np.int64)] * 2 + [np.zeros(0)] * 4 + [np.zeros(0, bool)] * 2
            cols += [np.zeros(0)] * 3
        sat, site = cols[0], cols[1]
        site_rank = _rank([s.name for s in sites])
        sat_rank = _rank([(e.name, e.norad_id) for e in elements])
        order = np.lexsort((sat_rank[sat], site_rank[site], cols[2]))
        c = [col[order] for col in cols]
        return cls(t0, elements, sites, c[0].astype(np.int64), c[1].astype(np.int64),
                   c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10])  # fmt: skip


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
        return ContactResult(ContactTable.concatenate(t_start, elements, sites, []), (), warnings)

    tasks = list(_tasks(elements, sites, t_start, t_end, tolerance_s))
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


def _tasks(
    elements: tuple[ElementSet, ...],
    sites: tuple[Site, ...],
    start: datetime,
    end: datetime,
    tolerance_s: float,
) -> Iterator[_Task]:
    """Chunks of satellites sharing a grid step, sized for bounded memory."""
    span_s = (end - start).total_seconds()
    steps = [grid_step_s(e) for e in elements]
    order = sorted(range(len(elements)), key=lambda i: steps[i])
    for step, group in groupby(order, key=lambda i: steps[i]):
        members = list(group)
        samples = int(span_s / step) + 2
        per_chunk = max(1, _CHUNK_ENTRIES // (samples * len(sites)))
        for k in range(0, len(members), per_chunk):
            index = np.array(members[k : k + per_chunk], dtype=np.int64)
            chunk = tuple(elements[i] for i in index)
            yield index, chunk, sites, start, end, step, span_s, tolerance_s


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

    hermite = HermiteTable(seconds, r, v)
    pair_sat, pair_site, value, rate = _sample_pairs(r, v, frames, step_s, hermite)
    if pair_sat.size == 0:
        return _empty_part(), failures

    def evaluate(row: IntArray, at_s: FloatArray) -> tuple[FloatArray, FloatArray]:
        rk, vk = hermite.states(pair_sat[row], at_s)
        return elevation_function(rk, vk, frames, pair_site[row])

    def exact(row: IntArray, at_s: FloatArray) -> tuple[FloatArray, FloatArray]:
        rk, vk, _ = propagator.at(pair_sat[row], at_s)
        return elevation_function(rk, vk, frames, pair_site[row])

    found = find_intervals(
        seconds,
        value,
        rate,
        evaluate,
        exact=exact,
        tolerance_s=tolerance_s,
        peak_margin=PEAK_MARGIN_SIN,
    )
    if len(found) == 0:
        return _empty_part(), failures
    sat = pair_sat[found.row]
    site = pair_site[found.row]
    peak_s = found.peak_s
    # Peak elevation: the function is sin(el) - sin(mask); invert for constant masks.
    sin_peak = found.peak_value + frames.sin_mask[site]
    has_table = np.array([t is not None for t in frames.tables], dtype=bool)
    table_rows = np.flatnonzero(has_table[site])
    if table_rows.size:
        # With an azimuth-dependent mask the margin's peak is not the elevation's:
        # search the elevation itself within each interval.
        peak_s, sin_peak = _elevation_peaks(
            hermite, seconds, r, v, frames, propagator, pair_sat, pair_site, found,
            table_rows, peak_s, sin_peak, tolerance_s,
        )  # fmt: skip

    # Azimuths from the interpolated positions (1e-4 deg; no extra SGP4 calls).
    times = np.concatenate((found.start_s, peak_s, found.end_s))
    rk, _ = hermite.states(np.tile(sat, 3), times)
    azimuth = _azimuth_deg(rk, frames, np.tile(site, 3)).reshape(3, -1)
    part: _Part = (
        sat, site, found.start_s, peak_s, found.end_s, sin_elevation_to_deg(sin_peak),
        found.truncated_start, found.truncated_end, azimuth[0], azimuth[1], azimuth[2],
    )  # fmt: skip
    return part, failures


def _empty_part() -> _Part:
    i = np.zeros(0, dtype=np.int64)
    f = np.zeros(0)
    b = np.zeros(0, dtype=bool)
    return i, i, f, f, f, f, b, b, f, f, f


def _sample_pairs(
    r: FloatArray, v: FloatArray, frames: SiteFrames, step_s: float, hermite: HermiteTable
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Rows (satellite, site) that may see a pass, with their sampled function.

    ``r``, ``v``: ``(S, 3, N)``. Returns ``pair_sat (R,)``, ``pair_site (R,)``,
    ``value (R, N)``, ``rate (R, N)``; entries the pre-filter proves far below the mask
    hold ``-2`` (below any mask) and rate ``0``; SGP4 failures stay NaN.
    """
    n_sat, _, n = r.shape
    radius = np.sqrt(np.einsum("scn,scn->sn", r, r))  # (S, N)
    speed = np.sqrt(np.einsum("scn,scn->sn", v, v))
    with np.errstate(invalid="ignore"):
        omega = _RATE_FACTOR * np.nanmax(np.where(radius > 0, speed / radius, np.nan), axis=1)
        r_max = np.nanmax(radius, axis=1) + _RADIUS_MARGIN_KM
    failed_sat = ~np.isfinite(omega)
    omega = np.where(failed_sat, 0.0, omega)
    r_max = np.where(np.isfinite(r_max), r_max, 0.0)
    # Computed samples: the satellite can be above the mask within one step of them.
    # A pass (even a grazing one) inside a step makes both of its ends computed, so
    # every step that matters has true values at both ends; the others hold the
    # sentinel and, being provably below the mask, yield no event.
    cos_vis = visibility_cos_central_angle(frames, r_max, omega * step_s)  # (S, P)
    site_unit = frames.position_km / np.linalg.norm(frames.position_km, axis=1)[:, None]
    cos_theta = np.matmul(site_unit, r)  # (S, P, N), still scaled by |r|
    with np.errstate(invalid="ignore"):
        computed = cos_theta >= cos_vis[:, :, None] * radius[:, None, :]
    pair_sat, pair_site = np.nonzero(computed.any(axis=2))
    n_rows = pair_sat.size
    if n_rows == 0:
        empty = np.zeros((0, n))
        return pair_sat.astype(np.int64), pair_site.astype(np.int64), empty, empty
    row_of = np.full((n_sat, len(frames)), -1, dtype=np.int64)
    row_of[pair_sat, pair_site] = np.arange(n_rows)
    value = np.full((n_rows, n), _FAR_BELOW)
    rate = np.zeros((n_rows, n))
    sel_s, sel_p, sel_k = np.nonzero(computed)
    rows = row_of[sel_s, sel_p]
    if sel_s.size > 0.5 * n_rows * n:
        # Dense enough: evaluate whole rows at once (matmul form), then blank the rest.
        val, der = elevation_function(r, v, frames)  # (S, P, N)
        value = val[pair_sat, pair_site]
        rate = der[pair_sat, pair_site]
        far = ~computed[pair_sat, pair_site]
        value[far] = _FAR_BELOW
        rate[far] = 0.0
    else:
        rk, vk = hermite.samples(sel_s, sel_k)
        val, der = elevation_function(rk, vk, frames, sel_p.astype(np.int64))
        value[rows, sel_k] = val
        rate[rows, sel_k] = der
    if failed_sat.any() or not np.isfinite(radius).all():
        bad = ~np.isfinite(radius[pair_sat])  # (R, N): failed samples stay invalid
        value[bad] = np.nan
        rate[bad] = np.nan
    return pair_sat.astype(np.int64), pair_site.astype(np.int64), value, rate


def _elevation_peaks(
    hermite: HermiteTable,
    seconds: FloatArray,
    r: FloatArray,
    v: FloatArray,
    frames: SiteFrames,
    propagator: Propagator,
    pair_sat: IntArray,
    pair_site: IntArray,
    found: Intervals,
    table_rows: IntArray,
    peak_s: FloatArray,
    sin_peak: FloatArray,
    tolerance_s: float,
) -> tuple[FloatArray, FloatArray]:
    """TCA and sin(max elevation) for intervals at sites with an azimuth table."""
    plain = SiteFrames.of([s.with_mask(0.0) for s in frames.sites])
    rows = np.unique(found.row[table_rows])
    sub_of = {int(row): i for i, row in enumerate(rows)}
    n = seconds.size
    value = np.empty((rows.size, n))
    rate = np.empty((rows.size, n))
    for i, row in enumerate(rows):
        s, p = int(pair_sat[row]), int(pair_site[row])
        val, der = elevation_function(r[s : s + 1], v[s : s + 1], plain)
        value[i], rate[i] = val[0, p], der[0, p]

    def evaluate(sub: IntArray, at_s: FloatArray) -> tuple[FloatArray, FloatArray]:
        rk, vk = hermite.states(pair_sat[rows[sub]], at_s)
        return elevation_function(rk, vk, plain, pair_site[rows[sub]])

    def exact(sub: IntArray, at_s: FloatArray) -> tuple[FloatArray, FloatArray]:
        rk, vk, _ = propagator.at(pair_sat[rows[sub]], at_s)
        return elevation_function(rk, vk, plain, pair_site[rows[sub]])

    sub_row = np.array([sub_of[int(x)] for x in found.row[table_rows]], dtype=np.int64)
    t_peak, v_peak = peaks_within(
        seconds, value, rate, evaluate, sub_row,
        found.start_s[table_rows], found.end_s[table_rows],
        exact=exact, tolerance_s=tolerance_s,
    )  # fmt: skip
    peak_s = peak_s.copy()
    sin_peak = sin_peak.copy()
    peak_s[table_rows] = t_peak
    sin_peak[table_rows] = v_peak  # plain frames have mask 0: the value is sin(el)
    return peak_s, sin_peak


def _azimuth_deg(r_itrs_km: FloatArray, frames: SiteFrames, site: IntArray) -> FloatArray:
    """Azimuth (deg, from north clockwise) of positions ``(3, K)`` from ``site[k]``."""
    rho = r_itrs_km - frames.position_km[site].T
    e = np.einsum("ck,ck->k", frames.east[site].T, rho)
    n = np.einsum("ck,ck->k", frames.north[site].T, rho)
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
