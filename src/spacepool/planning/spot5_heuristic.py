"""A fast SPOT5 heuristic: greedy by weight per recorder unit, then local search.

Same instances and result type as the exact solver (:mod:`spacepool.planning.spot5`);
its ``bound`` is the trivial sum of all weights.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Mapping

from spacepool.planning.spot5_format import (
    CapacityMode,
    Spot5Instance,
    Spot5Result,
    capacity_terms,
    relative_gap,
)
from spacepool.planning.spot5_model import Clock, ConflictGraph, Lit


def heuristic_spot5(
    instance: Spot5Instance,
    *,
    time_limit_s: float = 5.0,
    capacity_mode: CapacityMode = "units",
    seed: int = 0,
) -> Spot5Result:
    """A fast feasible solution: greedy by weight per recorder unit, then a local
    search (remove a few random photos and their conflicting neighbours' blockers,
    re-insert greedily in random order; keep the result when it is no worse) until
    ``time_limit_s``. ``bound`` is the trivial sum of all weights."""
    clock = Clock(time_limit_s)
    use, capacity, note = capacity_terms(instance, capacity_mode)
    search = _LocalSearch(instance, use, capacity, random.Random(seed))
    search.greedy(sorted(search.order, key=search.priority))
    best = dict(search.selected)
    best_value = search.value
    bound = sum(p.weight for p in instance.photos)
    while clock.left() > 0 and best_value < bound:
        search.perturb()
        if search.value >= best_value:
            best, best_value = dict(search.selected), search.value
        else:
            search.restore(best)
    return Spot5Result(
        instance=instance.name,
        value=best_value,
        status="OPTIMAL" if best_value == bound else "FEASIBLE",
        bound=bound,
        selected=dict(sorted(best.items())),
        wall_s=clock.elapsed(),
        capacity_mode=capacity_mode,
        capacity_note=note,
        gap=relative_gap(best_value, bound),
    )


class _LocalSearch:
    def __init__(
        self,
        instance: Spot5Instance,
        use: Mapping[Lit, int],
        capacity: int | None,
        rng: random.Random,
    ) -> None:
        self.graph = ConflictGraph(instance)
        self.use = use
        self.capacity = capacity
        self.rng = rng
        self.order = [p.id for p in instance.photos]
        self.ternary: dict[Lit, list[tuple[Lit, Lit]]] = defaultdict(list)
        for a, b, c in self.graph.ternary:
            self.ternary[a].append((b, c))
            self.ternary[b].append((a, c))
            self.ternary[c].append((a, b))
        self.selected: dict[int, int] = {}
        self.value = 0
        self.units = 0

    def priority(self, p: int) -> tuple[float, int]:
        photo = self.graph.photos[p]
        cheapest = min(self.use.get((p, v), 0) for v in photo.values)
        return (-photo.weight / (1 + cheapest), p)

    def _fits(self, p: int, v: int) -> bool:
        if self.capacity is not None and self.units + self.use.get((p, v), 0) > self.capacity:
            return False
        chosen = self.selected
        for q, w in self.graph.adjacent[(p, v)]:
            if chosen.get(q) == w:
                return False
        return not any(
            chosen.get(b[0]) == b[1] and chosen.get(c[0]) == c[1] for b, c in self.ternary[(p, v)]
        )

    def _add(self, p: int, v: int) -> None:
        self.selected[p] = v
        self.value += self.graph.photos[p].weight
        self.units += self.use.get((p, v), 0)

    def _remove(self, p: int) -> None:
        v = self.selected.pop(p)
        self.value -= self.graph.photos[p].weight
        self.units -= self.use.get((p, v), 0)

    def greedy(self, order: Iterable[int]) -> None:
        for p in order:
            if p in self.selected:
                continue
            photo = self.graph.photos[p]
            values = sorted(photo.values, key=lambda v: (self.use.get((p, v), 0), v))
            if len(values) > 1:
                self.rng.shuffle(values)
                values.sort(key=lambda v: self.use.get((p, v), 0))
            for v in values:
                if self._fits(p, v):
                    self._add(p, v)
                    break

    def perturb(self) -> None:
        """Force one unselected photo in (dropping what blocks it), then refill."""
        free = [p for p in self.order if p not in self.selected]
        if not free:
            return
        p = self.rng.choice(free)
        v = self.rng.choice(self.graph.photos[p].values)
        for q, w in self.graph.adjacent[(p, v)]:
            if self.selected.get(q) == w:
                self._remove(q)
        for b, c in self.ternary[(p, v)]:
            if self.selected.get(b[0]) == b[1] and self.selected.get(c[0]) == c[1]:
                self._remove(self.rng.choice((b[0], c[0])))
        while self.capacity is not None and self.units + self.use.get((p, v), 0) > self.capacity:
            taken = [q for q in self.selected if self.use.get((q, self.selected[q]), 0) > 0]
            if not taken:
                return
            self._remove(self.rng.choice(taken))
        self._add(p, v)
        rest = [q for q in self.order if q not in self.selected]
        self.rng.shuffle(rest)
        rest.sort(key=self.priority)
        self.greedy(rest)

    def restore(self, selection: Mapping[int, int]) -> None:
        for p in list(self.selected):
            self._remove(p)
        for p, v in selection.items():
            self._add(p, v)


__all__ = ["heuristic_spot5"]
