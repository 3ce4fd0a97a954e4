"""Revisit and coverage statistics of targets over a period, per partner and pooled.

**Accesses.** The opportunities of a group of satellites (one partner's, or the whole
pool's) over one target are clipped to the period and merged where they overlap or
touch: an *access* is one stretch of time in which at least one satellite of the group
can image the target.

**Gaps and revisit.** A *gap* is a stretch of the period without access: between two
consecutive accesses, and also from the period start to the first access and from the
last access to the period end (edge gaps, counted whenever they are longer than zero).
Counting the edge gaps makes the statistics of a short period pessimistic rather than
optimistic: a group that sees a target once, an hour into a week, has a maximum revisit
of nearly the week, not zero. ``max_revisit_s`` is the longest gap, ``mean_revisit_s``
the mean gap; a period without any access is one gap (the whole period).
``time_to_first_access_s`` is from the period start to the start of the first access
(0 when one is under way at the start; ``None`` when there is none).

Two consequences used as tests: the pool's time to first access is never later than
any partner's, and adding a partner's opportunities to another's never lengthens the
longest gap (a union of accesses can only shorten or split gaps).

**Areas.** Coverage of an area is measured on a grid of points inside it
(:meth:`spacepool.access.areas.AreaTarget.sample_points`): rows of constant latitude
``spacing_km`` apart, points ``spacing_km`` apart along each row, so every point stands
for the same ground area and "percent of points" is "percent of area" to the grid's
resolution. The default spacing gives about :data:`DEFAULT_AREA_POINTS` points:
``sqrt(area / 400)``, at least :data:`MIN_SPACING_KM`; a grid of 400 points resolves
coverage to 0.25 % of the area. Coverage over time is cumulative: the fraction of
points imaged at least once by each time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spacepool.access.areas import AreaTarget, PointTarget
from spacepool.access.imaging import (
    Opportunity,
    OpportunityResult,
    Progress,
    Sensor,
    find_opportunities,
)
from spacepool.orbits.elements import ElementSet
from spacepool.orbits.timebase import check_window, format_time, parse_time

FloatArray = NDArray[np.float64]

POOL = "pool"
"""The group name of the union of every partner's satellites."""
UNASSIGNED = "unassigned"
"""The group of satellites the partner mapping does not name."""
DEFAULT_AREA_POINTS = 400
MIN_SPACING_KM = 1.0


# --- one set of intervals -----------------------------------------------------------------


def merge_intervals(
    start_s: FloatArray, end_s: FloatArray, period_s: float
) -> tuple[FloatArray, FloatArray]:
    """Clip intervals to ``[0, period_s]`` and merge those that overlap or touch.

    Inputs ``(M,)`` in seconds from the period start; returns the merged starts and
    ends, sorted, ``(K,)`` each. No Python loop: sort by start, then a running maximum
    of the ends tells where a new access begins.
    """
    s = np.clip(np.asarray(start_s, dtype=np.float64), 0.0, period_s)
    e = np.clip(np.asarray(end_s, dtype=np.float64), 0.0, period_s)
    keep = e >= s
    s, e = s[keep], e[keep]
    if s.size == 0:
        return np.zeros(0), np.zeros(0)
    order = np.argsort(s, kind="stable")
    s, e = s[order], e[order]
    reach = np.maximum.accumulate(e)
    begins = np.r_[True, s[1:] > reach[:-1]]
    first = np.flatnonzero(begins)
    last = np.r_[first[1:] - 1, s.size - 1]
    return s[first], reach[last]


@dataclass(frozen=True)
class RevisitStats:
    """Access statistics of one target for one group over a period (seconds).

    ``group``: a partner id, :data:`POOL` or :data:`UNASSIGNED`. ``accesses``: number of
    merged accesses; ``accessed_s``: their total length. See the module docstring for
    ``time_to_first_access_s``, ``mean_revisit_s`` and ``max_revisit_s`` (``gaps``
    lists every gap, edge gaps included, in time order).
    """

    target: str
    group: str
    start: datetime
    end: datetime
    accesses: int
    accessed_s: float
    time_to_first_access_s: float | None
    mean_revisit_s: float
    max_revisit_s: float
    gaps_s: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        first = self.time_to_first_access_s
        return {
            "target": self.target,
            "group": self.group,
            "start": format_time(self.start),
            "end": format_time(self.end),
            "accesses": self.accesses,
            "accessed_s": round(self.accessed_s, 3),
            "time_to_first_access_s": None if first is None else round(first, 3),
            "mean_revisit_s": round(self.mean_revisit_s, 3),
            "max_revisit_s": round(self.max_revisit_s, 3),
        }


def interval_statistics(
    start_s: FloatArray, end_s: FloatArray, period_s: float
) -> tuple[int, float, float | None, tuple[float, ...]]:
    """``(accesses, accessed_s, time_to_first_access_s, gaps_s)`` of intervals given in
    seconds from the period start (see the module docstring)."""
    s, e = merge_intervals(start_s, end_s, period_s)
    if s.size == 0:
        return 0, 0.0, None, (float(period_s),)
    bounds_start = np.r_[0.0, e]
    bounds_end = np.r_[s, period_s]
    gaps = bounds_end - bounds_start
    gaps = gaps[gaps > 0.0]
    return int(s.size), float(np.sum(e - s)), float(s[0]), tuple(float(g) for g in gaps)


def revisit_statistics(
    opportunities: Iterable[Opportunity],
    start: datetime | str,
    end: datetime | str,
    *,
    partner_of: Mapping[int | str, str] | Callable[[Opportunity], str | None] | None = None,
    targets: Sequence[str] | None = None,
    partners: Sequence[str] | None = None,
) -> tuple[RevisitStats, ...]:
    """Statistics per target: for each partner and for the pool (all opportunities).

    ``partner_of`` maps a satellite (NORAD id, or name) to its partner, or is a function
    of the opportunity; satellites it does not name form the group
    :data:`UNASSIGNED`. ``targets`` lists targets to report even without
    opportunities; ``partners`` likewise lists partners to report (default: those
    appearing). Rows come per target (in order of first appearance, or of
    ``targets``), partners sorted, the pool last.
    """
    t0 = parse_time(start, field="start")
    t1 = parse_time(end, field="end")
    check_window(t0, t1)
    period = (t1 - t0).total_seconds()
    opps = list(opportunities)
    lookup = _partner_lookup(partner_of)
    names = list(targets or [])
    for o in opps:
        if o.target not in names:
            names.append(o.target)
    groups_seen = {g for g in (lookup(o) for o in opps) if g is not None} if lookup else set()
    if lookup is not None and any(lookup(o) is None for o in opps):
        groups_seen.add(UNASSIGNED)
    group_names = sorted(set(partners or ()) | groups_seen) if lookup is not None else []
    begin = np.array([(o.start - t0).total_seconds() for o in opps])
    finish = np.array([(o.end - t0).total_seconds() for o in opps])
    target_of = np.array([o.target for o in opps], dtype=object)
    group_of = np.array([(lookup(o) or UNASSIGNED) if lookup else POOL for o in opps], dtype=object)
    out = []
    for name in names:
        on_target = target_of == name
        for group in [*group_names, POOL]:
            sel = on_target if group == POOL else on_target & (group_of == group)
            n, accessed, first, gaps = interval_statistics(begin[sel], finish[sel], period)
            out.append(
                RevisitStats(
                    target=name,
                    group=group,
                    start=t0,
                    end=t1,
                    accesses=n,
                    accessed_s=accessed,
                    time_to_first_access_s=first,
                    mean_revisit_s=float(np.mean(gaps)) if gaps else 0.0,
                    max_revisit_s=max(gaps) if gaps else 0.0,
                    gaps_s=gaps,
                )
            )
    return tuple(out)


def _partner_lookup(
    partner_of: Mapping[int | str, str] | Callable[[Opportunity], str | None] | None,
) -> Callable[[Opportunity], str | None] | None:
    if partner_of is None:
        return None
    if callable(partner_of) and not isinstance(partner_of, Mapping):
        return partner_of
    mapping: Mapping[int | str, str] = partner_of

    def lookup(o: Opportunity) -> str | None:
        found = mapping.get(o.norad_id)
        return found if found is not None else mapping.get(o.satellite)

    return lookup


# --- areas: a grid of points --------------------------------------------------------------


@dataclass(frozen=True)
class AreaCoverage:
    """Coverage of an area sampled on a grid of ``P`` points, per group.

    ``latitude_deg``, ``longitude_deg``: ``(P,)``; ``spacing_km``: the grid spacing.
    ``first_access_s[group]``: ``(P,)`` seconds from the period start to each point's
    first access (NaN: never). ``times_s``: ``(N,)`` sample times of the coverage
    curve; ``covered_fraction[group]``: ``(N,)`` fraction of points accessed at least
    once by each time. ``revisit[group]``: each point's longest gap ``(P,)``.
    """

    area: str
    start: datetime
    end: datetime
    spacing_km: float
    latitude_deg: FloatArray
    longitude_deg: FloatArray
    groups: tuple[str, ...]
    first_access_s: Mapping[str, FloatArray]
    max_revisit_s: Mapping[str, FloatArray]
    times_s: FloatArray
    covered_fraction: Mapping[str, FloatArray]

    def final_fraction(self, group: str = POOL) -> float:
        """Fraction of the area accessed at least once in the period."""
        return float(np.mean(np.isfinite(self.first_access_s[group])))

    def time_to_fraction_s(self, fraction: float, group: str = POOL) -> float | None:
        """Seconds until ``fraction`` of the area was accessed at least once (``None``:
        never in the period)."""
        first = np.sort(self.first_access_s[group])
        k = max(0, math.ceil(fraction * first.size) - 1)
        if first.size == 0 or not np.isfinite(first[k]):
            return None
        return float(first[k])

    def to_dict(self) -> dict[str, Any]:
        groups = {}
        for g in self.groups:
            t50, t90, t100 = (self.time_to_fraction_s(f, g) for f in (0.5, 0.9, 1.0))
            revisit = self.max_revisit_s[g]
            groups[g] = {
                "covered_fraction": round(self.final_fraction(g), 6),
                "time_to_50_percent_s": None if t50 is None else round(t50, 3),
                "time_to_90_percent_s": None if t90 is None else round(t90, 3),
                "time_to_100_percent_s": None if t100 is None else round(t100, 3),
                "mean_max_revisit_s": round(float(np.mean(revisit)), 3),
                "worst_max_revisit_s": round(float(np.max(revisit)), 3),
            }
        return {
            "area": self.area,
            "start": format_time(self.start),
            "end": format_time(self.end),
            "spacing_km": round(self.spacing_km, 3),
            "points": int(self.latitude_deg.size),
            "groups": groups,
        }


def default_spacing_km(area: AreaTarget) -> float:
    """Grid spacing giving about :data:`DEFAULT_AREA_POINTS` points in ``area``."""
    return max(MIN_SPACING_KM, math.sqrt(area.area_km2 / DEFAULT_AREA_POINTS))


def area_coverage(
    satellites: Sequence[ElementSet],
    area: AreaTarget,
    start: datetime | str,
    end: datetime | str,
    *,
    max_off_nadir_deg: float | None = None,
    swath_km: float | None = None,
    min_sun_elevation_deg: float | None = None,
    sensors: Sequence[Sequence[Sensor]] | None = None,
    partner_of: Mapping[int | str, str] | None = None,
    spacing_km: float | None = None,
    curve_step_s: float = 3600.0,
    progress: Progress | None = None,
) -> AreaCoverage:
    """Coverage of ``area`` on a grid of points (see the module docstring), for each
    partner (``partner_of``: NORAD id or name -> partner) and the pool."""
    t0 = parse_time(start, field="start")
    t1 = parse_time(end, field="end")
    check_window(t0, t1)
    spacing = default_spacing_km(area) if spacing_km is None else spacing_km
    lat, lon = area.sample_points(spacing)
    points = [PointTarget(f"{area.name}#{i}", float(a), float(b))
              for i, (a, b) in enumerate(zip(lat, lon, strict=True))]  # fmt: skip
    result: OpportunityResult = find_opportunities(
        satellites, points, t0, t1,
        max_off_nadir_deg=max_off_nadir_deg, swath_km=swath_km,
        min_sun_elevation_deg=min_sun_elevation_deg, sensors=sensors,
        progress=progress, covered_geometry=False,
    )  # fmt: skip
    period = (t1 - t0).total_seconds()
    index = {p.name: i for i, p in enumerate(points)}
    stats = revisit_statistics(result.opportunities, t0, t1, partner_of=partner_of,
                               targets=[p.name for p in points])  # fmt: skip
    groups = tuple(dict.fromkeys(s.group for s in stats))
    first = {g: np.full(lat.size, np.nan) for g in groups}
    revisit = {g: np.full(lat.size, period) for g in groups}
    for s in stats:
        i = index[s.target]
        if s.time_to_first_access_s is not None:
            first[s.group][i] = s.time_to_first_access_s
        revisit[s.group][i] = s.max_revisit_s
    times = np.arange(0.0, period, curve_step_s)
    times = np.append(times, period) if times.size == 0 or times[-1] < period else times
    curve = {
        g: np.mean(np.nan_to_num(first[g], nan=np.inf)[None, :] <= times[:, None], axis=1)
        for g in groups
    }
    return AreaCoverage(
        area=area.name, start=t0, end=t1, spacing_km=spacing,
        latitude_deg=lat, longitude_deg=lon, groups=groups,
        first_access_s=first, max_revisit_s=revisit, times_s=times, covered_fraction=curve,
    )  # fmt: skip


def coverage_timeline(coverage: AreaCoverage, group: str = POOL) -> list[tuple[datetime, float]]:
    """``(time, cumulative covered fraction)`` pairs of a group's coverage curve."""
    return [
        (coverage.start + timedelta(seconds=float(t)), float(f))
        for t, f in zip(coverage.times_s, coverage.covered_fraction[group], strict=True)
    ]


__all__ = [
    "DEFAULT_AREA_POINTS",
    "MIN_SPACING_KM",
    "POOL",
    "UNASSIGNED",
    "AreaCoverage",
    "RevisitStats",
    "area_coverage",
    "coverage_timeline",
    "default_spacing_km",
    "interval_statistics",
    "merge_intervals",
    "revisit_statistics",
]
