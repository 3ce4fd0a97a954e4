"""The CP-SAT model pieces of the SPOT5 solver (:mod:`spacepool.planning.spot5`).

A Boolean ``x[p, v]`` per photo and value. Binary forbidden pairs and "one value per
photo" are edges of a conflict graph over these literals (:class:`ConflictGraph`); a
greedy clique cover (:func:`clique_cover`) turns them into ``AddAtMostOne`` over
maximal cliques, which makes the LP relaxation far tighter than one clause per pair.
Each ternary forbidden tuple is a clause ``not a or not b or not c`` (dropped when a
binary conflict among its literals already forbids it). Capacity is one linear
constraint (:class:`PhotoModel`). :func:`run_cpsat` solves one model with the
parameters every stage shares.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from ortools.sat.python import cp_model

from spacepool.planning.spot5_format import Spot5Instance

_log = logging.getLogger("spacepool.planning.spot5")

# Smallest time given to any single CP-SAT call (s): below it CP-SAT's own start-up
# dominates.
MIN_SOLVE_S: Final = 0.05

Lit = tuple[int, int]  # (photo id, value)


class ConflictGraph:
    """Literal conflict graph and ternary clauses of an instance."""

    def __init__(self, instance: Spot5Instance) -> None:
        self.photos = {p.id: p for p in instance.photos}
        self.adjacent: dict[Lit, set[Lit]] = defaultdict(set)
        self.ternary: list[tuple[Lit, Lit, Lit]] = []
        self.neighbours: dict[int, set[int]] = defaultdict(set)  # photo level
        for photo in instance.photos:
            for i, a in enumerate(photo.values):
                for b in photo.values[i + 1 :]:
                    self._edge((photo.id, a), (photo.id, b))
        for constraint in instance.constraints:
            ids = constraint.photo_ids
            for i, a in enumerate(ids):
                for b in ids[i + 1 :]:
                    self.neighbours[a].add(b)
                    self.neighbours[b].add(a)
            for combination in constraint.forbidden:
                lits = tuple(zip(ids, combination, strict=True))
                if len(lits) == 2:
                    self._edge(lits[0], lits[1])
                else:
                    self.ternary.append((lits[0], lits[1], lits[2]))

    def _edge(self, a: Lit, b: Lit) -> None:
        self.adjacent[a].add(b)
        self.adjacent[b].add(a)

    def components(self) -> list[list[int]]:
        """Photo ids of each connected component of the constraint graph, largest
        first (ties by smallest id)."""
        seen: set[int] = set()
        parts: list[list[int]] = []
        for start in self.photos:
            if start in seen:
                continue
            stack, part = [start], []
            seen.add(start)
            while stack:
                p = stack.pop()
                part.append(p)
                for q in self.neighbours[p]:
                    if q not in seen:
                        seen.add(q)
                        stack.append(q)
            parts.append(sorted(part))
        parts.sort(key=lambda part: (-len(part), part[0]))
        return parts


def clique_cover(adjacent: Mapping[Lit, set[Lit]], nodes: Iterable[Lit]) -> list[list[Lit]]:
    """Greedy cover of every edge among ``nodes`` by maximal cliques.

    Starting from the node of highest degree with an uncovered edge, a clique grows
    by the common neighbour that covers most uncovered edges (ties: the one keeping
    most candidates); cliques of size 2 remain only where no triangle exists.
    """
    keep = set(nodes)
    adj = {n: adjacent.get(n, set()) & keep for n in keep}
    uncovered = {n: set(adj[n]) for n in keep}
    order = sorted(keep, key=lambda n: (-len(adj[n]), n))
    cliques: list[list[Lit]] = []
    for start in order:
        while uncovered[start]:
            first = max(uncovered[start], key=lambda n: (len(adj[n]), n))
            clique = [start, first]
            candidates = adj[start] & adj[first]
            while candidates:
                best = max(
                    candidates,
                    key=lambda c: (
                        sum(1 for m in clique if m in uncovered[c]),
                        len(adj[c] & candidates),
                        c,
                    ),
                )
                clique.append(best)
                candidates &= adj[best]
            for i, a in enumerate(clique):
                for b in clique[i + 1 :]:
                    uncovered[a].discard(b)
                    uncovered[b].discard(a)
            cliques.append(clique)
    return cliques


class PhotoModel:
    """CP-SAT model of a set of photos (a sub-instance): literals, constraints, and
    the weight and recorder-use expressions."""

    def __init__(
        self,
        graph: ConflictGraph,
        photo_ids: Sequence[int],
        use: Mapping[Lit, int],
        capacity: int | None,
        *,
        weight_of: Mapping[int, int] | None = None,
    ) -> None:
        self.model = cp_model.CpModel()
        self.graph = graph
        self.photo_ids = list(photo_ids)
        members = set(photo_ids)
        self.x: dict[Lit, Any] = {}
        for p in self.photo_ids:
            for v in graph.photos[p].values:
                self.x[p, v] = self.model.new_bool_var(f"x_{p}_{v}")
        for p in self.photo_ids:
            self.model.add_at_most_one(self.x[p, v] for v in graph.photos[p].values)
        for clique in clique_cover(graph.adjacent, self.x):
            self.model.add_at_most_one(self.x[lit] for lit in clique)
        for a, b, c in graph.ternary:
            if a[0] in members and b[0] in members and c[0] in members:
                adj = graph.adjacent
                if b in adj[a] or c in adj[a] or c in adj[b]:
                    continue  # already forbidden by a binary conflict
                self.model.add_bool_or([~self.x[a], ~self.x[b], ~self.x[c]])
        weights = (
            weight_of if weight_of is not None else {p: graph.photos[p].weight for p in members}
        )
        self.weight = sum(
            weights[p] * self.x[p, v] for p in self.photo_ids for v in graph.photos[p].values
        )
        used = [(use.get(lit, 0), var) for lit, var in self.x.items()]
        self.units = sum(u * var for u, var in used if u > 0)
        self.has_units = any(u > 0 for u, _ in used)
        if capacity is not None and self.has_units:
            self.model.add(self.units <= capacity)

    def hint(self, selected: Mapping[int, int]) -> None:
        for (p, v), var in self.x.items():
            self.model.add_hint(var, 1 if selected.get(p) == v else 0)

    def selection(self, solver: cp_model.CpSolver) -> dict[int, int]:
        return {p: v for (p, v), var in self.x.items() if solver.boolean_value(var)}


@dataclass
class Solved:
    """Result of one CP-SAT call."""

    status: str
    value: int
    bound: int
    selected: dict[int, int]


def run_cpsat(
    model: cp_model.CpModel,
    extract: Any,
    time_limit_s: float,
    workers: int,
    seed: int,
    *,
    trivial: int,
    core_portfolio: bool = False,
) -> tuple[Solved, cp_model.CpSolver]:
    """Solve; ``trivial`` is a valid upper bound used when CP-SAT ends without a
    solution (its own bound is then meaningless)."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(MIN_SOLVE_S, time_limit_s)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    # CP-SAT 9.15's at-most-one/linear inclusion presolve can certify a wrong optimum
    # (OR-Tools issue #5293); on SPOT5 it also left a bound one unit open (measured:
    # a 47-photo component of 1504 limited to 14 photos, proven in 0.02 s without
    # it, not in 5 s with it). Turning it off costs nothing measurable here.
    solver.parameters.presolve_inclusion_work_limit = 0
    if core_portfolio and workers >= 2:
        # Two full-problem workers: CP-SAT then runs its core-based (MaxSAT-style)
        # search beside the LP-based one. It proves the high-weight stage of
        # 1401-1407 in seconds where the default pair does not close it in minutes,
        # and the single-orbit components 2-5 times faster (measured). Stage 2 keeps
        # the default pair: there the search for solutions needs the LNS workers.
        solver.parameters.num_full_subsolvers = 2
    code = solver.solve(model)
    name = solver.status_name(code)
    _log.debug(
        "cp-sat %s in %.2f s (limit %.2f s): objective %s, bound %s",
        name,
        solver.wall_time,
        time_limit_s,
        solver.objective_value,
        solver.best_objective_bound,
    )
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        value = round(solver.objective_value)
        bound = math.floor(solver.best_objective_bound + 1e-6)
        return Solved(name, value, max(bound, value), extract(solver)), solver
    return Solved(name, 0, trivial, {}), solver


# --- capacity frontiers -----------------------------------------------------------


@dataclass(frozen=True)
class Frontier:
    """Best weight of a set of photos for every recorder budget ``b = 0..budget``:
    ``values[b]`` is the best weight using at most ``b`` (scaled) units, reached by
    the selection ``steps[index[b]]``. ``values`` is non-decreasing; a new step
    starts only where the best weight grows."""

    values: tuple[int, ...]
    index: tuple[int, ...]
    steps: tuple[dict[int, int], ...]

    @property
    def budget(self) -> int:
        return len(self.values) - 1

    def selection(self, budget: int) -> dict[int, int]:
        return self.steps[self.index[min(budget, self.budget)]]


def component_frontier(
    graph: ConflictGraph,
    part: Sequence[int],
    use: Mapping[Lit, int],
    scale: int,
    budget: int,
    clock: Clock,
    time_limit_s: float,
    workers: int,
    seed: int,
) -> Frontier | None:
    """The exact :class:`Frontier` of the photos ``part`` (recorder use ``use``, in
    multiples of ``scale``) up to ``budget`` units, or ``None`` when a solve is not
    proven within ``time_limit_s`` (the caller then keeps these photos in its own
    model).

    Parametric, from the top budget down: the best selection within ``b`` units
    uses ``c <= b`` of them, so the frontier is flat on ``[c, b]``; go on with
    ``b = c - 1``. Before each CP-SAT solve, two cheap bounds are compared: any
    subset of the last selection is feasible (an unselected photo violates
    nothing), so the best subset within ``b`` units (a small knapsack) is a lower
    bound; the knapsack over all photos without their conflicts is an upper bound.
    When they meet, the subset is optimal and no solve is needed (on SPOT5's
    components of weight-1, one-unit photos, every step)."""
    deadline = clock.elapsed() + time_limit_s
    cost = {p: {v: use.get((p, v), 0) // scale for v in graph.photos[p].values} for p in part}
    weight = {p: graph.photos[p].weight for p in part}
    top = min(budget, sum(max(cost[p].values()) for p in part))
    items = [(min(cost[p].values()), weight[p]) for p in part]
    upper = _knapsack(items, budget)[0]
    model = PhotoModel(graph, part, use, None)
    units = sum(cost[p][v] * model.x[p, v] for p in part for v in graph.photos[p].values)
    cap = model.model.new_int_var(0, top, "budget")
    model.model.add(units <= cap)
    model.model.maximize(model.weight)
    domain = model.model.proto.variables[cap.index].domain
    found: list[tuple[int, int, dict[int, int]]] = []  # (first budget, weight, selection)
    last: dict[int, int] | None = None
    b = top
    while b >= 0:
        chosen: dict[int, int] | None = None
        if last is not None:
            kept = sorted(last.items())
            best, keep = _knapsack([(cost[p][v], weight[p]) for p, v in kept], b)
            if best[b] >= upper[b]:
                chosen = {p: v for i, (p, v) in enumerate(kept) if keep(b, i)}
        if chosen is None:
            left = deadline - clock.elapsed()
            if left <= 0:
                return None
            domain[1] = b
            if last is not None:
                model.model.clear_hints()  # type: ignore[no-untyped-call]
                model.hint(last)
            solved, _ = run_cpsat(
                model.model, model.selection, left, workers, seed, trivial=0, core_portfolio=True
            )
            if solved.status != "OPTIMAL":
                return None
            chosen = solved.selected
        total = sum(weight[p] for p in chosen)
        # The fewest units that keep this weight within the chosen photos.
        kept = sorted(chosen.items())
        used = sum(cost[p][v] for p, v in kept)
        best, keep = _knapsack([(cost[p][v], weight[p]) for p, v in kept], used)
        fewest = int(np.argmax(best >= total))
        chosen = {p: v for i, (p, v) in enumerate(kept) if keep(fewest, i)}
        used = sum(cost[p][v] for p, v in chosen.items())
        found.append((used, total, chosen))
        last = chosen
        if total == 0:
            break
        b = used - 1
    values = [0] * (budget + 1)
    index = [0] * (budget + 1)
    found.reverse()  # by budget, increasing
    for step, (first, _, _) in enumerate(found):
        for budget_b in range(first, budget + 1):
            values[budget_b] = found[step][1]
            index[budget_b] = step
    return Frontier(tuple(values), tuple(index), tuple(chosen for _, _, chosen in found))


def _knapsack(
    items: Sequence[tuple[int, int]], budget: int
) -> tuple[Any, Callable[[int, int], bool]]:
    """0/1 knapsack over ``items`` (units, weight): ``best[b]``, the largest weight
    within ``b`` units for ``b = 0..budget`` (shape ``(budget + 1,)``), and
    ``keep(b, i)``: whether item ``i`` belongs to one such best set for budget ``b``
    (for one ``b`` at a time, walking the items in order). Exact dynamic programme,
    one numpy pass per item."""
    best = np.zeros(budget + 1, dtype=np.int64)
    took = np.zeros((len(items), budget + 1), dtype=bool)
    for i, (units, w) in enumerate(items):
        if units == 0:
            best = best + w
            took[i] = True
            continue
        if units > budget:
            continue
        candidate = best[:-units] + w
        better = candidate > best[units:]
        took[i, units:] = better
        best = best.copy()
        best[units:] = np.where(better, candidate, best[units:])
    chosen: dict[int, set[int]] = {}

    def keep(b: int, i: int) -> bool:
        if b not in chosen:
            members, room = set(), b
            for j in range(len(items) - 1, -1, -1):
                if took[j, room]:
                    members.add(j)
                    room -= items[j][0]
            chosen[b] = members
        return i in chosen[b]

    return best, keep


def max_plus(frontiers: Sequence[Frontier], budget: int) -> tuple[Any, list[Any]]:
    """Max-plus convolution of ``frontiers``: ``total[b]``, the best summed weight
    of all of them within ``b`` units (``b = 0..budget``), and per frontier the
    budget it gets in that optimum (``share[k][b]``; arrays of shape
    ``(budget + 1,)``). Exact: it enumerates every split of every budget."""
    total = np.zeros(budget + 1, dtype=np.int64)
    spent = np.arange(budget + 1)
    splits: list[Any] = []
    for frontier in frontiers:
        f = np.asarray(frontier.values[: budget + 1], dtype=np.int64)
        f = np.concatenate([f, np.full(budget + 1 - len(f), f[-1], dtype=np.int64)])
        # candidate[b, j] = total[b - j] + f[j] for j <= b
        j = spent[None, :]
        rest = spent[:, None] - j
        candidate = np.where(rest >= 0, total[np.clip(rest, 0, None)] + f[j], -1)
        best = candidate.argmax(axis=1)
        splits.append(best)
        total = candidate[spent, best]
    # Walk back from the last frontier: share[k][b] for the overall budget b.
    shares: list[Any] = [None] * len(frontiers)
    remaining = spent.copy()
    for k in range(len(frontiers) - 1, -1, -1):
        shares[k] = splits[k][remaining]
        remaining = remaining - shares[k]
    return total, shares


def separable_levels(weights: Sequence[int]) -> tuple[int, int] | None:
    """``(threshold, g)`` such that every weight >= threshold is a multiple of ``g``
    and all weights below it sum to less than ``g`` (so the optimum maximises the
    high part first), with the lowest such threshold; ``None`` when there is none."""
    distinct = sorted(set(weights))
    for threshold in distinct[1:]:
        high = [w for w in distinct if w >= threshold]
        g = math.gcd(*high)
        low_total = sum(w for w in weights if w < threshold)
        if low_total < g:
            return threshold, g
    return None


class Clock:
    def __init__(self, time_limit_s: float) -> None:
        self.start = time.perf_counter()
        self.deadline = self.start + time_limit_s

    def left(self) -> float:
        return max(0.0, self.deadline - time.perf_counter())

    def elapsed(self) -> float:
        return time.perf_counter() - self.start


__all__ = [
    "MIN_SOLVE_S",
    "Clock",
    "ConflictGraph",
    "Frontier",
    "Lit",
    "PhotoModel",
    "Solved",
    "clique_cover",
    "component_frontier",
    "max_plus",
    "run_cpsat",
    "separable_levels",
]
