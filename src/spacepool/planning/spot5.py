"""The SPOT5 daily photograph scheduling benchmark: the exact solver, and the import
surface of the benchmark's reader, types and heuristic.

The 21 instances of Bensana, Lemaître & Verfaillie, "Earth Observation Satellite
Management", Constraints 4(3):293-299, 1999, are the public yardstick for the
planning solvers. The file format, its reader and the result type are in
:mod:`spacepool.planning.spot5_format`, the CP-SAT model pieces in
:mod:`spacepool.planning.spot5_model`, the heuristic in
:mod:`spacepool.planning.spot5_heuristic`; every public name is importable from here.

Decomposition. Photos that share no constraint do not interact except through the
recorder, so the instance is cut into the connected components of its constraint
graph:

* a component that uses no recorder capacity is an independent problem, solved on
  its own (CP-SAT on the whole instance is much slower: the bound of one component
  is proven only once the search has settled all others);
* components that use capacity are coupled only by it. When the weights split into
  two separable levels (the high weights are multiples of ``g`` and all low weights
  together sum to less than ``g``; in SPOT5, 1000/2000 against 1..5), the optimum
  maximises the high part first: stage 1 solves the high photos alone (low photos
  removed: an unselected photo never violates a constraint), with a core-based
  CP-SAT portfolio that usually proves this bound in seconds; a proven stage 1 is
  re-solved for the same points with the fewest recorder units, the room the low
  part needs. Stage 2 solves all coupled photos with the high part kept at its
  stage-1 value and maximises the low part, starting from the stage-1 solution;
  when CP-SAT does not prove it within its share of the time, a time-window
  large-neighbourhood search uses the rest.
* in stage 2, every coupled component but the largest enters through its capacity
  frontier (best weight per recorder budget, computed exactly and combined by
  max-plus convolution): the model holds the largest component, the components
  whose frontier is not proven within a short time, and one budget variable.

Measured results and the reasons behind each choice: docs/spot5.md.

Every sub-result carries its bound, so the reported bound and status stay exact:
``OPTIMAL`` means the value meets that bound.
"""

from __future__ import annotations

import itertools
import logging
import math
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from ortools.sat.python import cp_model

from spacepool.planning.spot5_format import (
    CAPACITY_MODES,
    KNOWN_VALUES,
    LITERAL_SCALE,
    PAPER_NAMES,
    RECORDER_UNIT,
    STATUSES,
    CapacityMode,
    Spot5Constraint,
    Spot5Instance,
    Spot5Photo,
    Spot5Result,
    capacity_terms,
    paper_name,
    parse_spot5,
    read_spot5,
    relative_gap,
)
from spacepool.planning.spot5_heuristic import heuristic_spot5
from spacepool.planning.spot5_model import (
    MIN_SOLVE_S,
    Clock,
    ConflictGraph,
    Frontier,
    Lit,
    PhotoModel,
    Solved,
    clique_cover,
    component_frontier,
    max_plus,
    run_cpsat,
    separable_levels,
)

_log = logging.getLogger(__name__)

# Part of the remaining time given to stage 1 (high weights) and to the CP-SAT run
# of stage 2; when that does not prove its optimum, a time-window search uses the
# rest. Measured on 1401-1407, 1506 (and 1504, which stage 2 must prove in 10 s);
# with 25 % for stage 1, 1403 once ended at 172 high points instead of 174.
_STAGE1_SHARE: Final = 0.4
_STAGE2_SHARE: Final = 0.35
# ... but at least this long (s): 1504 proves stage 2 in 2-4 s (up to 8 s under load).
_STAGE2_MIN_S: Final = 10.0
# Time-window search: the photos in a window of consecutive ids are freed, the
# others fixed; each window gets _WINDOW_S of CP-SAT. The window starts at
# _WINDOW_PHOTOS photos and adapts: it grows by _WINDOW_STEP when CP-SAT proves the
# window's optimum, shrinks when it does not (within [_WINDOW_MIN, _WINDOW_MAX]).
_WINDOW_PHOTOS: Final = 250
_WINDOW_MIN: Final = 50
_WINDOW_MAX: Final = 500
_WINDOW_STEP: Final = 1.1
# 2 s: with 1 s, most windows ended unproven on a loaded machine and the search
# stalled 2-3 below the best-known values of 1405 and 1407 (measured).
_WINDOW_S: Final = 2.0
# Capacity frontiers of the small coupled components (see _split_frontiers): at most
# _FRONTIER_SHARE of the time left and _FRONTIER_MAX_S in all, _FRONTIER_PART_S per
# component; only when the budget has at most _FRONTIER_MAX_BUDGET steps.
_FRONTIER_SHARE: Final = 0.1
_FRONTIER_MAX_S: Final = 5.0
_FRONTIER_PART_S: Final = 2.0
_FRONTIER_MAX_BUDGET: Final = 2000
# Fewest recorder units for the stage-1 optimum (see _fewest_units): at most this
# part of the time left and this long (s). Measured on 1405/1407 (docs/spot5.md):
# 137-140 units found in 7 runs, proven in 2 (2.6 and 4.4 s), the others stopped
# by the limit (7-8 s of 60).
_FEWEST_UNITS_SHARE: Final = 0.15
_FEWEST_UNITS_MAX_S: Final = 10.0
# Smallest part of the remaining time an independent component may use.
_INDEPENDENT_SHARE: Final = 0.15


# --- exact solver ---------------------------------------------------------------------


def solve_spot5(
    instance: Spot5Instance,
    *,
    time_limit_s: float = 60.0,
    capacity_mode: CapacityMode = "units",
    workers: int = 2,
    seed: int = 0,
    hint: Mapping[int, int] | None = None,
) -> Spot5Result:
    """Solve ``instance`` with CP-SAT within ``time_limit_s`` (wall clock, all
    stages), with ``workers`` threads and a fixed ``seed``. ``hint`` (photo id ->
    value, e.g. from :func:`heuristic_spot5`) seeds the search. See the module text
    for the model and the decomposition."""
    clock = Clock(time_limit_s)
    use, capacity, note = capacity_terms(instance, capacity_mode)
    graph = ConflictGraph(instance)
    given = dict(hint or {})
    parts = graph.components()

    def uses_capacity(part: Sequence[int]) -> bool:
        return capacity is not None and any(
            use.get((p, v), 0) > 0 for p in part for v in graph.photos[p].values
        )

    coupled = [part for part in parts if uses_capacity(part)]
    independent = [part for part in parts if not uses_capacity(part)]
    selected: dict[int, int] = {}
    bound = 0

    # Independent components, smallest first; each may use a share of the time in
    # proportion to its size (the coupled block counting three times its size), and
    # at least _INDEPENDENT_SHARE of what is left. Most need a fraction of it.
    weight_left = sum(len(part) for part in independent) + 3 * sum(len(p) for p in coupled)
    for part in sorted(independent, key=len):
        share = clock.left() * max(len(part) / max(1, weight_left), _INDEPENDENT_SHARE)
        weight_left -= len(part)
        solved = _solve_part(graph, part, use, None, share, workers, seed, given)
        selected.update(solved.selected)
        bound += solved.bound

    if coupled:
        assert capacity is not None
        solved = _solve_coupled(graph, coupled, use, capacity, clock, workers, seed, given)
        selected.update(solved.selected)
        bound += solved.bound

    value = sum(graph.photos[p].weight for p in selected)
    bound = max(bound, value)
    # The bound is a proven upper bound: meeting it proves the value optimal.
    status = "OPTIMAL" if value == bound else "FEASIBLE"
    return Spot5Result(
        instance=instance.name,
        value=value,
        status=status,
        bound=bound,
        selected=dict(sorted(selected.items())),
        wall_s=clock.elapsed(),
        capacity_mode=capacity_mode,
        capacity_note=note,
        gap=relative_gap(value, bound),
    )


def _solve_part(
    graph: ConflictGraph,
    part: Sequence[int],
    use: Mapping[Lit, int],
    capacity: int | None,
    time_limit_s: float,
    workers: int,
    seed: int,
    hint: Mapping[int, int],
) -> Solved:
    model = PhotoModel(graph, part, use, capacity)
    model.model.maximize(model.weight)
    if hint:
        model.hint(hint)
    trivial = sum(graph.photos[p].weight for p in part)
    solved, _ = run_cpsat(
        model.model,
        model.selection,
        time_limit_s,
        workers,
        seed,
        trivial=trivial,
        core_portfolio=True,
    )
    return solved


def _solve_coupled(
    graph: ConflictGraph,
    parts: Sequence[Sequence[int]],
    use: Mapping[Lit, int],
    capacity: int,
    clock: Clock,
    workers: int,
    seed: int,
    hint: Mapping[int, int],
) -> Solved:
    """The components that share the recorder (see the module text)."""
    photos = [p for part in parts for p in part]
    weights = [graph.photos[p].weight for p in photos]
    levels = separable_levels(weights)
    if levels is None:
        model = PhotoModel(graph, photos, use, capacity)
        if hint:
            model.hint(hint)
        model.model.maximize(model.weight)
        solved, _ = run_cpsat(
            model.model, model.selection, clock.left(), workers, seed, trivial=sum(weights)
        )
        return solved

    # Stage 1: the high photos alone (an unselected photo violates nothing).
    threshold, g = levels
    high = [p for p in photos if graph.photos[p].weight >= threshold]
    low = [p for p in photos if graph.photos[p].weight < threshold]
    low_total = sum(graph.photos[p].weight for p in low)
    m1 = PhotoModel(
        graph, high, use, capacity, weight_of={p: graph.photos[p].weight // g for p in high}
    )
    m1.model.maximize(m1.weight)
    if hint:
        m1.hint(hint)
    stage1, _ = run_cpsat(
        m1.model,
        m1.selection,
        clock.left() * _STAGE1_SHARE,
        workers,
        seed,
        trivial=sum(graph.photos[p].weight // g for p in high),
        core_portfolio=True,
    )
    _log.debug("stage 1: %s %d (bound %d)", stage1.status, stage1.value, stage1.bound)
    scale = math.gcd(*(u for u in use.values() if u > 0))
    if stage1.status == "OPTIMAL" and capacity // scale <= _FRONTIER_MAX_BUDGET:
        stage1 = _fewest_units(graph, high, use, capacity, scale, g, stage1, clock, workers, seed)

    # Stage 2: everything, the high part kept at its best value, the low part maximised.
    # The small components enter through their exact capacity frontiers (see
    # _split_frontiers); the model holds the rest and one budget variable.
    kept, frontiers = _split_frontiers(graph, parts, use, scale, capacity, clock, workers, seed)
    model = PhotoModel(graph, kept, use, capacity)
    kept_set = set(kept)
    high_part = sum(
        (graph.photos[p].weight // g) * model.x[p, v]
        for p in high
        if p in kept_set
        for v in graph.photos[p].values
    )
    low_part = sum(
        graph.photos[p].weight * model.x[p, v]
        for p in low
        if p in kept_set
        for v in graph.photos[p].values
    )
    extract = model.selection
    spare: Any = None
    if frontiers:
        top = capacity // scale
        total, shares = max_plus(frontiers, top)
        # The low weights together stay below g, so each budget's best weight splits
        # into its high part (multiples of g) and its low part.
        spare = model.model.new_int_var(0, top, "spare")
        model.model.add(model.units + scale * spare <= capacity)
        high_more = model.model.new_int_var(0, int(total[-1]) // g, "frontier_high")
        low_more = model.model.new_int_var(0, int(total[-1]), "frontier_low")
        model.model.add_element(spare, [int(t) // g for t in total], high_more)
        model.model.add_element(spare, [int(t) % g for t in total], low_more)
        # The element constraint alone relaxes to nothing in the LP; the upper
        # concave hull of the frontier is a valid cut that gives it its slope.
        for (b1, t1), (b2, t2) in itertools.pairwise(_upper_hull(total)):
            model.model.add(
                (b2 - b1) * (g * high_more + low_more) <= (b2 - b1) * t1 + (t2 - t1) * (spare - b1)
            )
        high_part = high_part + high_more
        low_part = low_part + low_more

        def extract(solver: cp_model.CpSolver) -> dict[int, int]:
            chosen = model.selection(solver)
            b = solver.value(spare)
            for frontier, share in zip(frontiers, shares, strict=True):
                chosen.update(frontier.selection(int(share[b])))
            return chosen

    # When stage 1 is not proven (1401, 1403 within 60 s), its value is still the
    # best high part known: stage 2 keeps at least that and maximises the whole
    # weight (g x high + low; the low weights sum to less than g, so this is the
    # order of the two levels), so that it and the window search may still find
    # the high photo stage 1 missed (on 1401 stage 1 ends at 172 or 174 high points
    # within 24 s depending on the seed). After a proven stage 1 the high part is
    # at its maximum and only the low part is left. The bound stays sound.
    model.model.add(high_part >= stage1.value)
    proven_high = stage1.status == "OPTIMAL"
    objective = low_part if proven_high else g * high_part + low_part
    model.model.maximize(objective)
    model.hint(stage1.selected)
    if spare is not None:
        hinted = sum(use.get((p, v), 0) for p, v in stage1.selected.items() if p in kept_set)
        model.model.add_hint(spare, (capacity - hinted) // scale)
    trivial = low_total if proven_high else g * stage1.bound + low_total
    stage2, _ = run_cpsat(
        model.model,
        extract,
        max(clock.left() * _STAGE2_SHARE, min(clock.left(), _STAGE2_MIN_S)),
        workers,
        seed,
        trivial=trivial,
    )
    selected = stage2.selected if stage2.selected or not stage1.selected else stage1.selected
    if stage2.status != "OPTIMAL" and clock.left() > MIN_SOLVE_S and stage2.selected:
        # Wrapping windows only where the model holds more than one component
        # (see _draw_window).
        several = sum(1 for part in parts if part[0] in kept_set) > 1
        selected = _window_search(
            model, extract, objective, stage2, sorted(kept), clock, workers, seed, several
        )
    value = sum(graph.photos[p].weight for p in selected)
    if proven_high:
        # The optimum has the largest high part (the low part sums to less than g),
        # and stage 2 covers every solution with that high part: the frontiers are
        # exact, and with the high part at its maximum each small component takes
        # the lexicographically best selection of its budget.
        bound = stage1.value * g + (stage2.bound if stage2.selected else low_total)
        proven = stage2.status == "OPTIMAL"
    else:
        bound = stage1.bound * g + low_total
        proven = False
    return Solved("OPTIMAL" if proven else "FEASIBLE", value, max(bound, value), selected)


def _fewest_units(
    graph: ConflictGraph,
    high: Sequence[int],
    use: Mapping[Lit, int],
    capacity: int,
    scale: int,
    g: int,
    stage1: Solved,
    clock: Clock,
    workers: int,
    seed: int,
) -> Solved:
    """``stage1`` (a proven optimum of the high photos ``high``, in points of ``g``)
    with its selection replaced by one of the same points that uses as few recorder
    units (multiples of ``scale``) as CP-SAT finds in its time; value, bound and
    status stay those of ``stage1``.

    Stage 2 starts from this selection, and the units it leaves free are what the
    low part is made of: on 1407 every run that reached the best-known value held
    the largest component's 150 high points in 111 units; runs with 112-114 ended
    below it (docs/spot5.md). Minimising the units under a "points >= optimum"
    constraint stalls (141 -> 140 in 15 s); one lexicographic objective, each point
    worth more than every possible unit count, goes much further with the
    core-based workers (137 units, proven in 2-10 s in separate runs)."""
    top = capacity // scale
    model = PhotoModel(
        graph, high, use, capacity, weight_of={p: graph.photos[p].weight // g for p in high}
    )
    # At most top units (the capacity constraint), so one point outweighs them all.
    units = sum((use.get(lit, 0) // scale) * var for lit, var in model.x.items())
    model.model.maximize((top + 1) * model.weight - units)
    model.hint(stage1.selected)
    solved, _ = run_cpsat(
        model.model,
        model.selection,
        min(_FEWEST_UNITS_MAX_S, clock.left() * _FEWEST_UNITS_SHARE),
        workers,
        seed,
        trivial=0,
        core_portfolio=True,
    )
    points = sum(graph.photos[p].weight // g for p in solved.selected)
    _log.debug("fewest units: %s, %d points", solved.status, points)
    if not solved.selected or points < stage1.value:
        return stage1
    return Solved(stage1.status, stage1.value, stage1.bound, solved.selected)


def _upper_hull(values: Any) -> list[tuple[int, int]]:
    """Vertices ``(b, values[b])`` of the upper concave hull of ``values`` (shape
    ``(n,)``), by increasing ``b`` (Andrew's monotone chain, upper half)."""
    hull: list[tuple[int, int]] = []
    for b, t in enumerate(int(t) for t in values):
        while len(hull) >= 2:
            (b1, t1), (b2, t2) = hull[-2], hull[-1]
            # Drop the middle vertex when it lies on or below the chord.
            if (t2 - t1) * (b - b1) <= (t - t1) * (b2 - b1):
                hull.pop()
            else:
                break
        hull.append((b, t))
    return hull


def _split_frontiers(
    graph: ConflictGraph,
    parts: Sequence[Sequence[int]],
    use: Mapping[Lit, int],
    scale: int,
    capacity: int,
    clock: Clock,
    workers: int,
    seed: int,
) -> tuple[list[int], list[Frontier]]:
    """Photos kept in the stage-2 model, and the exact capacity frontiers of the
    other coupled components.

    The coupled components share only the recorder, so the best weight of all but
    the largest is the max-plus convolution of their frontiers (best weight per
    budget), and stage 2 needs only the largest component plus one budget variable.
    A component whose frontier is not proven within its time stays in the model,
    as does everything when the budget in units of ``scale`` is too fine to
    enumerate (the literal capacity convention)."""
    ordered = sorted(parts, key=len)
    largest = ordered.pop()
    kept = list(largest)
    top = capacity // scale
    if top > _FRONTIER_MAX_BUDGET or not ordered:
        return sorted(p for part in parts for p in part), []
    frontiers: list[Frontier] = []
    budget_s = min(_FRONTIER_MAX_S, clock.left() * _FRONTIER_SHARE)
    spend_until = clock.elapsed() + budget_s
    for part in ordered:
        left = spend_until - clock.elapsed()
        frontier = None
        if left > MIN_SOLVE_S:
            frontier = component_frontier(
                graph, part, use, scale, top, clock, min(left, _FRONTIER_PART_S), workers, seed
            )
        if frontier is None:
            kept.extend(part)
        else:
            frontiers.append(frontier)
    _log.debug(
        "frontiers: %d components, %d photos kept in the model",
        len(frontiers),
        len(kept),
    )
    return sorted(kept), frontiers


def _window_search(
    model: PhotoModel,
    extract: Callable[[cp_model.CpSolver], dict[int, int]],
    objective: Any,
    start: Solved,
    order: Sequence[int],
    clock: Clock,
    workers: int,
    seed: int,
    wrap: bool = False,
) -> dict[int, int]:
    """Improve the stage-2 solution ``start`` of ``model`` (objective ``objective``)
    until the deadline; with ``wrap``, every other window wraps around the end of
    ``order``.

    Photo ids follow the time of the images, and constraints link photos close in
    time, so a neighbourhood is a window of consecutive ids among ``order`` (the
    photos of the model, see :func:`_draw_window`): the photos outside it are
    fixed, the window is re-optimised by CP-SAT with the objective at least the
    current value; an equal value is accepted too (it moves the search along a
    plateau). CP-SAT's own
    neighbourhoods are random sets of variables or constraints; on 1405 this search
    took stage 2 from 137 to 142 in 24 s where CP-SAT alone stayed at 134-141 in
    30-55 s (measured).
    """
    rng = random.Random(seed)
    current, value = dict(start.selected), start.value
    width = float(_WINDOW_PHOTOS)
    rounds = 0
    while clock.left() > MIN_SOLVE_S:
        rounds += 1
        window = _draw_window(order, round(width), rng, wrap=wrap and rounds % 2 == 0)
        sub = model.model.clone()
        sub.clear_hints()  # type: ignore[no-untyped-call]
        for (p, v), var in model.x.items():
            chosen = 1 if current.get(p) == v else 0
            if p in window:
                sub.add_hint(var, chosen)
            else:
                sub.add(var == chosen)
        sub.add(objective >= value)
        solved, _ = run_cpsat(
            sub,
            extract,
            min(_WINDOW_S, clock.left()),
            workers,
            seed + rounds,
            trivial=value,
        )
        if solved.selected and solved.value >= value:
            current, value = solved.selected, solved.value
        grow = _WINDOW_STEP if solved.status == "OPTIMAL" else 1 / _WINDOW_STEP
        width = min(_WINDOW_MAX, max(_WINDOW_MIN, width * grow))
    _log.debug("window search: %d windows, value %d, width %.0f", rounds, value, width)
    return current


def _draw_window(order: Sequence[int], size: int, rng: random.Random, *, wrap: bool) -> set[int]:
    """``size`` consecutive photos of ``order`` from a uniformly drawn start.

    With ``wrap``, the start is any photo and the window wraps around the end of
    ``order``, so that every photo is freed in the same share ``size / len(order)``
    of these windows. Without it the window stays inside ``order`` (start drawn from
    ``0..len(order) - size``), which frees the photos near either end far less
    often: with 561 photos in windows of 250 (1405's stage 2), the first and the
    last photo in 1 window of 312, the middle ones in 250 of 312.

    When the stage-2 model holds more than one component, the window search
    alternates the two; otherwise it keeps to inner windows. From the same stage-2
    starts of 1405 (two components, 561 photos; start 135-138), 25 s of inner
    windows alone reached 142 (the best-known value) from 1 of 4 starts, wrapping
    windows alone from 4 of 4. On 1401 (the 379-photo component alone) wrapping
    windows were slower in 2 of 3 starts (22 s against 6 s), and in full 60 s runs
    with them 1401 met its best-known value in 2 of 6 runs, with inner windows only
    in 21 of 22 (docs/spot5.md)."""
    n = len(order)
    size = min(n, size)
    if not wrap:
        first = rng.randrange(0, n - size + 1)
        return set(order[first : first + size])
    first = rng.randrange(n)
    return {order[(first + i) % n] for i in range(size)}


__all__ = [
    "CAPACITY_MODES",
    "KNOWN_VALUES",
    "LITERAL_SCALE",
    "PAPER_NAMES",
    "RECORDER_UNIT",
    "STATUSES",
    "CapacityMode",
    "Spot5Constraint",
    "Spot5Instance",
    "Spot5Photo",
    "Spot5Result",
    "clique_cover",
    "heuristic_spot5",
    "paper_name",
    "parse_spot5",
    "read_spot5",
    "solve_spot5",
]
