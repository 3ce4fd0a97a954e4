"""The fast solver: greedy insertion, then ruin-and-recreate local search.

Same rules as the exact model (it works on the same tick view, so any plan it finds
is also a solution of the CP-SAT model) and the same result type.

* **Greedy**: activations first, then urgent demands, then routine ones. Within a
  class, demands go by value density (best candidate value per second of
  acquisition); in the fairness modes the next routine demand comes from the
  partner that is currently worst off (lowest ``received / target`` or normalised
  satisfaction). Each demand takes its first candidate that fits
  (:meth:`~spacepool.planning.schedule.Schedule.try_insert`: earliest start, the
  downlink that frees memory first).
* **Local search** (ruin and recreate, Schrimpf et al. 2000, "Record breaking
  optimization results using the ruin and recreate principle", J. Comput. Phys.
  159): remove some acquisitions (at random, around one acquisition on one
  satellite, or from the best-off partner), refill greedily with noisy priorities,
  keep the result when it is not worse in the lexicographic order
  (activations, urgent, fairness, total). Stops at the time limit.
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from collections.abc import Mapping

from spacepool.planning.assemble import assemble_plan, received_values
from spacepool.planning.fairness import (
    fair_partners,
    leximin_key,
    normalised_satisfaction,
    proportional_score,
    water_fill,
)
from spacepool.planning.model import Instance
from spacepool.planning.plan import Plan, Stage
from spacepool.planning.prepare import TICK_S, Prepared
from spacepool.planning.schedule import Schedule

_CLASS_ORDER = ("activation", "urgent", "routine")
# Relative noise on demand priorities when refilling (diversifies the search).
_NOISE = 0.3
# Cap on local-search iterations (the time limit usually stops it first).
_MAX_ITERATIONS = 100_000
# Stop after this many iterations without a better plan (at least), or 20 per demand.
_PATIENCE = 200
# Most acquisitions one random or fairness ruin removes: on large plans a ruin of a
# fifth of everything is a restart, not a neighbourhood.
_MAX_RUIN = 40


class FairnessRule:
    """What the greedy and the comparison of plans need to know about fairness."""

    def __init__(
        self,
        instance: Instance,
        ideals: Mapping[str, float] | None = None,
        best_total: float | None = None,
        mode: str | None = None,
    ) -> None:
        self.mode = instance.fairness if mode is None else mode
        self.entitlements = dict(instance.entitlements)
        self.partners = fair_partners(instance)
        self.ideals = dict(ideals or {})
        self.best_total = best_total
        self.targets: dict[str, float] = {}
        if self.mode == "proportional" and best_total is not None:
            self.targets = water_fill(best_total, self.entitlements, self.ideals)

    def utility(self, partner: str, received: float) -> float:
        """How well off a partner is (lower goes first in the greedy)."""
        if self.mode == "proportional":
            target = self.targets.get(partner, 0.0)
            return received / target if target > 0 else math.inf
        ideal = self.ideals.get(partner, 0.0)
        share = self.entitlements.get(partner, 0.0)
        return received / ideal / share if ideal > 0 and share > 0 else math.inf

    def key(self, schedule: Schedule) -> tuple[object, ...]:
        """Lexicographic quality: activations, urgent, fairness, total."""
        prep = schedule.prep
        per_class: dict[str, float] = defaultdict(float)
        for i in schedule.start:
            pc = prep.candidates[i]
            per_class[pc.urgency] += pc.candidate.value
        total = round(math.fsum(per_class.values()), 9)
        head = (round(per_class["activation"], 9), round(per_class["urgent"], 9))
        if self.mode == "none" or not self.partners:
            return (*head, total)
        received, _ = received_values(schedule)
        if self.mode == "proportional":
            return (*head, round(proportional_score(received, self.targets), 9), total)
        utilities = normalised_satisfaction(received, self.ideals, self.entitlements, self.partners)
        return (*head, leximin_key(utilities), total)


def _candidate_order(prep: Prepared, d: int, rng: random.Random | None) -> list[int]:
    def key(i: int) -> tuple[float, int]:
        pc = prep.candidates[i]
        noise = 1.0 + (rng.uniform(-_NOISE, _NOISE) if rng is not None else 0.0)
        return (-pc.candidate.value * noise, pc.earliest)

    return sorted(prep.usable[d], key=key)


def _try_demand(schedule: Schedule, d: int, rng: random.Random | None) -> bool:
    for i in _candidate_order(schedule.prep, d, rng):
        outcome = schedule.try_insert(i)
        if outcome.ok:
            schedule.insert(i, outcome)
            return True
    return False


def fill(
    schedule: Schedule,
    fairness: FairnessRule,
    *,
    rng: random.Random | None = None,
    demands: list[int] | None = None,
    deadline: float | None = None,
) -> None:
    """Greedily add unserved demands (all, or ``demands``) to ``schedule``."""
    prep = schedule.prep
    inst = prep.instance
    pool = list(range(len(inst.demands))) if demands is None else demands
    density = prep.density

    def priority(d: int) -> float:
        noise = 1.0 + (rng.uniform(-_NOISE, _NOISE) if rng is not None else 0.0)
        return density[d] * noise

    for urgency in _CLASS_ORDER:
        todo = [
            d
            for d in pool
            if inst.demands[d].urgency == urgency and d not in schedule.served and density[d] > 0
        ]
        todo.sort(key=lambda d: (-priority(d), d))
        if urgency != "routine" or fairness.mode == "none" or not fairness.partners:
            for d in todo:
                if deadline is not None and time.perf_counter() > deadline:
                    return
                _try_demand(schedule, d, rng)
            continue
        _fill_fairly(schedule, fairness, todo, rng, deadline)


def _fill_fairly(
    schedule: Schedule,
    fairness: FairnessRule,
    todo: list[int],
    rng: random.Random | None,
    deadline: float | None,
) -> None:
    inst = schedule.prep.instance
    queues: dict[str, list[int]] = defaultdict(list)
    for d in todo:
        queues[inst.demands[d].partner].append(d)
    received, _ = received_values(schedule)
    fair = [p for p in fairness.partners if queues.get(p)]
    while fair:
        if deadline is not None and time.perf_counter() > deadline:
            return
        partner = min(
            fair,
            key=lambda p: (fairness.utility(p, received.get(p, 0.0)), -fairness.entitlements[p]),
        )
        d = queues[partner].pop(0)
        if _try_demand(schedule, d, rng):
            i = schedule.served[d]
            received[partner] = (
                received.get(partner, 0.0) + schedule.prep.candidates[i].candidate.value
            )
        if not queues[partner]:
            fair.remove(partner)
    rest = [d for p, ds in queues.items() if p not in fairness.partners for d in ds]
    for d in sorted(rest, key=lambda d: todo.index(d)):
        _try_demand(schedule, d, rng)


def greedy(prep: Prepared, fairness: FairnessRule | None = None) -> Schedule:
    """The deterministic greedy schedule."""
    schedule = Schedule(prep)
    fill(schedule, fairness or FairnessRule(prep.instance))
    return schedule


def estimate_fairness_inputs(prep: Prepared) -> tuple[dict[str, float], float]:
    """Greedy estimates of each fair partner's ideal (served alone after the
    activations and urgent demands) and of the best total."""
    inst = prep.instance
    none = FairnessRule(inst, mode="none")
    base = Schedule(prep)
    fill(base, none, demands=[d for d, x in enumerate(inst.demands) if x.urgency != "routine"])
    ideals: dict[str, float] = {}
    for partner in fair_partners(inst):
        alone = base.copy()
        mine = [
            d for d, x in enumerate(inst.demands) if x.partner == partner and x.urgency == "routine"
        ]
        fill(alone, none, demands=mine)
        ideals[partner] = received_values(alone)[0].get(partner, 0.0)
    total = greedy(prep, none)
    return ideals, math.fsum(received_values(total)[0].values())


def _ruin(schedule: Schedule, fairness: FairnessRule, rng: random.Random) -> set[int]:
    """Remove some acquisitions; return the satellites they were on."""
    chosen = sorted(schedule.start)
    if not chosen:
        return set()
    prep = schedule.prep
    move = rng.random()
    if move < 0.4:
        count = rng.randint(1, max(1, min(len(chosen) // 5, _MAX_RUIN)))
        victims = rng.sample(chosen, min(count, len(chosen)))
    elif move < 0.8 or fairness.mode == "none":
        pivot = rng.choice(chosen)
        satellite = prep.candidates[pivot].satellite
        width = rng.uniform(60.0, 900.0) / TICK_S
        centre = schedule.start[pivot]
        victims = [
            i
            for i in schedule.by_satellite.get(satellite, ())
            if abs(schedule.start[i] - centre) <= width
        ]
    else:
        received, _ = received_values(schedule)
        rich = max(
            fairness.partners or [prep.candidates[chosen[0]].partner],
            key=lambda p: fairness.utility(p, received.get(p, 0.0)),
        )
        theirs = [i for i in chosen if prep.candidates[i].partner == rich]
        count = min(max(1, len(theirs) // 3), _MAX_RUIN)
        victims = rng.sample(theirs, count) if theirs else []
    touched = {prep.candidates[i].satellite for i in victims}
    for i in victims:
        schedule.remove(i)
    return touched


def local_search(
    prep: Prepared,
    fairness: FairnessRule,
    *,
    deadline: float,
    seed: int = 0,
    max_iterations: int = _MAX_ITERATIONS,
) -> tuple[Schedule, int]:
    """The greedy schedule improved by ruin and recreate until ``deadline``
    (``time.perf_counter()`` seconds), stagnation or ``max_iterations``; returns the
    best schedule and the number of iterations."""
    instance = prep.instance
    rng = random.Random(seed)
    best = greedy(prep, fairness)
    best_key = fairness.key(best)
    current, current_key = best, best_key
    iterations = since_best = 0
    patience = max(_PATIENCE, 20 * len(instance.demands))
    servable = [d for d in range(len(instance.demands)) if prep.usable[d]]
    # the demands that can use each satellite: a refill after a ruin tries those of
    # the satellites it touched (elsewhere nothing has changed)
    on_satellite: list[list[int]] = [[] for _ in instance.satellites]
    for d in servable:
        for k in sorted({prep.candidates[i].satellite for i in prep.usable[d]}):
            on_satellite[k].append(d)
    while (
        iterations < max_iterations
        and since_best < patience
        and time.perf_counter() < deadline
        and best.start
        and any(d not in best.served for d in servable)
    ):
        iterations += 1
        since_best += 1
        trial = current.copy()
        touched = _ruin(trial, fairness, rng)
        pool = sorted({d for k in touched for d in on_satellite[k] if d not in trial.served})
        fill(trial, fairness, rng=rng, demands=pool, deadline=deadline)
        key = fairness.key(trial)
        if key >= current_key:
            current, current_key = trial, key
            if key > best_key:
                best, best_key = trial, key
                since_best = 0
    fill(best, fairness)  # a refill cut short by the deadline leaves room: use it
    return best, iterations


def solve_heuristic(
    instance: Instance,
    *,
    time_limit_s: float = 5.0,
    seed: int = 0,
    max_iterations: int = _MAX_ITERATIONS,
) -> Plan:
    """Plan ``instance`` with greedy + ruin-and-recreate within ``time_limit_s``."""
    began = time.perf_counter()
    prep = Prepared(instance)
    ideals: dict[str, float] | None = None
    best_total: float | None = None
    if instance.fairness != "none":
        ideals, best_total = estimate_fairness_inputs(prep)
    fairness = FairnessRule(instance, ideals, best_total)
    best, iterations = local_search(
        prep,
        fairness,
        deadline=began + time_limit_s,
        seed=seed,
        max_iterations=max_iterations,
    )
    bound = value_bound(prep)
    elapsed = time.perf_counter() - began
    objective = math.fsum(prep.candidates[i].candidate.value for i in best.start)
    stage = Stage("greedy + local search", "feasible", objective, bound, elapsed)
    return assemble_plan(
        best,
        solver="heuristic",
        status="feasible",
        bound=bound,
        stages=(stage,),
        proven=False,
        solve_time_s=elapsed,
        ideals=ideals,
        best_total=best_total,
        note=f"{iterations} local-search iterations",
    )


def value_bound(prep: Prepared) -> float:
    """Sum over demands of the best value of a candidate that is not blocked and has
    a downlink: no plan can deliver more. (It is the optimum of the LP relaxation
    that keeps only "at most one candidate per demand".)"""
    return math.fsum(
        max((prep.candidates[i].candidate.value for i in members), default=0.0)
        for members in prep.usable
    )
