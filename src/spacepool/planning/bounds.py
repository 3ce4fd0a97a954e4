"""Upper bounds on the value a plan can deliver, for judging a plan on instances too
large for the exact model.

* :func:`~spacepool.planning.heuristic.value_bound`: every demand served by its best
  deliverable candidate (the LP relaxation that keeps only "at most one candidate
  per demand").
* :func:`conflict_bound`: the optimum of a relaxation that keeps, besides "at most
  one candidate per demand", every group of candidates of which one instrument can
  acquire at most one (overlap or transition time, whatever their starts in their
  windows). It drops memory, downlinks, and the transitions that only bite among
  three or more acquisitions of an agile instrument (a run of slews). Any plan
  satisfies it, so its optimum bounds the plan's total value. It splits into independent parts: a demand none of whose candidates
  meets a conflict contributes its best value; the demands linked by conflicts form
  components, each solved by CP-SAT, whose proven bound is used (so the result is a
  bound even when a component is not solved to optimality in time).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from spacepool.planning.prepare import VALUE_SCALE, Prepared

# Smallest time given to one component's CP-SAT call (s).
_MIN_SOLVE_S = 0.05
# A value times VALUE_SCALE within this of an integer is that integer (float noise
# such as 7.2 * 1000 = 7200.000000000001), so rounding up does not add a unit.
_FLOAT_SLACK = 1e-6


@dataclass(frozen=True)
class Bound:
    """An upper bound of the total value (``value``); ``proven``: every component
    was solved to optimality, so ``value`` is the relaxation's optimum;
    ``components``: the parts that needed CP-SAT; ``conflicts``: the groups of
    candidates of which at most one can be acquired (:func:`conflict_cliques`)."""

    value: float
    proven: bool
    components: int
    conflicts: int
    time_s: float


def conflict_cliques(prep: Prepared) -> list[list[int]]:
    """Groups of usable candidates of one instrument (not in one strip) of which at
    most one can be acquired, whatever their starts within their windows; every
    such pair lies in some group.

    An instrument whose candidates all have a fixed start and whose transition time
    does not depend on pointing gives the maximal cliques of its intervals
    ``[start, end + transition)`` (a sweep in time order); otherwise each group is
    one pair.
    """
    usable = {i for members in prep.usable for i in members}
    cliques: list[list[int]] = []
    for k, all_members in enumerate(prep.instrument_candidates):
        members = sorted(
            (i for i in all_members if i in usable), key=lambda i: prep.candidates[i].earliest
        )
        if len(members) < 2:
            continue
        if _one_strip(prep, k, members):
            continue  # one swath strip: any two may overlap
        if _fixed_intervals(prep, k, members):
            cliques += _interval_cliques(prep, members, prep.transition(members[0], members[1]))
        else:
            cliques += [list(pair) for pair in _pairs(prep, k, members)]
    return cliques


def _one_strip(prep: Prepared, k: int, members: list[int]) -> bool:
    strip = prep.instrument_strip[k]
    return strip is not None and all(prep.candidates[i].candidate.strip == strip for i in members)


def _fixed_intervals(prep: Prepared, k: int, members: list[int]) -> bool:
    """Fixed starts, no strips and a transition that does not depend on pointing."""
    satellite = prep.instance.satellites[prep.candidates[members[0]].satellite]
    return satellite.slew_rate_deg_s is None and all(
        prep.candidates[i].earliest == prep.candidates[i].latest
        and prep.candidates[i].candidate.strip is None
        for i in members
    )


def _interval_cliques(prep: Prepared, members: list[int], transition: int) -> list[list[int]]:
    """Maximal cliques of the intervals ``[start, start + size + transition)``."""
    events = []
    for i in members:
        pc = prep.candidates[i]
        events.append((pc.earliest, 1, i))
        events.append((pc.earliest + pc.size + transition, 0, i))
    events.sort()  # at equal ticks the ends (0) first: touching intervals do not meet
    active: set[int] = set()
    cliques: list[list[int]] = []
    grew = False
    for _, starts, i in events:
        if starts:
            active.add(i)
            grew = True
            continue
        if grew and len(active) > 1:
            cliques.append(sorted(active))
        grew = False
        active.discard(i)
    return cliques


def _pairs(prep: Prepared, k: int, members: list[int]) -> list[tuple[int, int]]:
    """The pairs of ``members`` that no order lets both into the plan."""
    return [
        (i, j)
        for i, j in prep.close_pairs(k, members)
        if not prep.fits_before(i, j) and not prep.fits_before(j, i)
    ]


def conflict_bound(
    prep: Prepared, *, time_limit_s: float = 10.0, workers: int = 2, seed: int = 0
) -> Bound:
    """The bound of the conflict relaxation (module text) within ``time_limit_s``."""
    began = time.perf_counter()
    deadline = began + time_limit_s
    cliques = conflict_cliques(prep)
    parent = list(range(len(prep.usable)))

    def root(d: int) -> int:
        while parent[d] != d:
            parent[d] = parent[parent[d]]
            d = parent[d]
        return d

    for clique in cliques:
        first = root(prep.candidates[clique[0]].demand)
        for i in clique[1:]:
            other = root(prep.candidates[i].demand)
            if other != first:
                parent[other] = first
    in_conflict = {prep.candidates[i].demand for clique in cliques for i in clique}
    components: dict[int, list[int]] = defaultdict(list)
    free = 0.0
    for d, members in enumerate(prep.usable):
        if not members:
            continue
        if d in in_conflict:  # only such demands were joined into components
            components[root(d)].append(d)
        else:
            free += max(prep.candidates[i].candidate.value for i in members)
    parts = list(components.values())
    by_part: dict[int, list[list[int]]] = defaultdict(list)
    for clique in cliques:
        by_part[root(prep.candidates[clique[0]].demand)].append(clique)
    total_int = 0
    proven = True
    weight_left = sum(len(p) for p in parts)
    for demands in sorted(parts, key=len):
        share = (deadline - time.perf_counter()) * len(demands) / max(1, weight_left)
        weight_left -= len(demands)
        head = root(demands[0])
        value, optimal = _solve_part(
            prep, demands, by_part[head], max(_MIN_SOLVE_S, share), workers, seed
        )
        total_int += value
        proven = proven and optimal
    return Bound(
        value=free + total_int / VALUE_SCALE,
        proven=proven,
        components=len(parts),
        conflicts=len(cliques),
        time_s=time.perf_counter() - began,
    )


def _solve_part(
    prep: Prepared,
    demands: list[int],
    cliques: list[list[int]],
    time_limit_s: float,
    workers: int,
    seed: int,
) -> tuple[int, bool]:
    """Bound (in thousandths, rounded up) of one component, and whether it is its
    proven optimum."""
    model = cp_model.CpModel()
    x: dict[int, cp_model.IntVar] = {}
    # values rounded up (past float noise): the bound in thousandths is >= the real one
    weight = {
        i: math.ceil(prep.candidates[i].candidate.value * VALUE_SCALE - _FLOAT_SLACK)
        for d in demands
        for i in prep.usable[d]
    }
    for d in demands:
        chosen = [x.setdefault(i, model.new_bool_var(f"x{i}")) for i in prep.usable[d]]
        model.add_at_most_one(chosen)
    for clique in cliques:
        model.add_at_most_one(x[i] for i in clique)
    model.maximize(sum(weight[i] * var for i, var in x.items()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    code = solver.solve(model)
    trivial = sum(max(weight[i] for i in prep.usable[d]) for d in demands)
    if code == cp_model.OPTIMAL:
        return round(solver.objective_value), True
    if code == cp_model.FEASIBLE:
        return min(trivial, math.floor(solver.best_objective_bound + 1e-6)), False
    return trivial, False


__all__ = ["Bound", "conflict_bound", "conflict_cliques"]
