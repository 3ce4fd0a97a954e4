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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

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
    "Lit",
    "PhotoModel",
    "Solved",
    "clique_cover",
    "run_cpsat",
    "separable_levels",
]
