"""The exact solver: one OR-Tools CP-SAT model, optimised in lexicographic stages.

Model (ticks, kilobits, thousandths of value: :mod:`spacepool.planning.prepare`):

* ``x[i]``: candidate ``i`` is acquired *and delivered*; an optional fixed-size
  interval at ``s[i]`` (domain: its unblocked start ticks). At most one candidate
  per demand.
* Instrument: ``NoOverlap`` of its intervals (when it has no push-broom strips),
  plus, for each pair whose windows are closer than the largest transition time, a
  disjunction "i then transition then j, or the reverse". Pairs whose windows fix
  the order (or are far apart) need nothing; pairs in one strip may overlap.
* Downlinks: ``a[i, p]`` assigns ``i`` to contact piece ``p`` (its first
  :data:`~spacepool.planning.prepare.MAX_DOWNLINK_CHOICES` eligible pieces);
  ``sum_p a[i, p] = x[i]``. A used piece has an optional interval
  ``[ds[p], de[p]]`` inside the piece, starting after the end of every acquisition
  assigned to it and lasting at least the sum of their downlink times
  (``volume / rate``). ``NoOverlap`` of the downlink intervals per station (one
  satellite at a time) and per satellite (one transmitter).
* Memory: an acquisition holds ``volume[i]`` from ``s[i]`` until the end of the
  downlink it is assigned to (``a[i, p] => freed[i] = de[p]``); ``Cumulative`` per
  satellite with its free memory as capacity.

Objectives, solved in order, each fixing its achieved value as a constraint for the
next (lexicographic optimisation by successive solves): activation value, urgent
value, then the fairness mode (:mod:`spacepool.planning.fairness`) — ``none``: the
total; ``proportional``: each fair partner's ideal, the best total, the smallest
``min(received / target, 1)``, the total; ``leximin``: each fair partner's ideal,
the leximin steps of Bouveret & Lemaître (2009, "Computing leximin-optimal solutions
in constraint networks", Artif. Intell. 173, algorithm "AtLeast"), the total. Each
stage gets an equal part of the remaining time; a stage that proves nothing in time
fixes the best value known. A heuristic plan (:mod:`spacepool.planning.heuristic`)
seeds every stage as a complete hint; a stage replaces the plan only when it improves
its own objective, so the result is never worse than the seed.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from ortools.sat.python import cp_model

from spacepool.planning.assemble import assemble_plan
from spacepool.planning.fairness import fair_partners, water_fill
from spacepool.planning.heuristic import (
    FairnessRule,
    estimate_fairness_inputs,
    local_search,
    value_bound,
)
from spacepool.planning.model import Instance
from spacepool.planning.plan import Plan, Stage
from spacepool.planning.prepare import TICK_S, VALUE_SCALE, Prepared
from spacepool.planning.schedule import Schedule

# Resolution of the fairness ratios (received / target, normalised satisfaction).
RATIO_SCALE = 1000
# Part of the time limit given to the heuristic that seeds the search.
SEED_FRACTION = 0.25
# Time kept at the end of the limit for CP-SAT's overrun and assembling the plan (s).
END_MARGIN_S = 0.5
_STATUS = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
    cp_model.MODEL_INVALID: "model_invalid",
    cp_model.UNKNOWN: "unknown",
}

LinearExpr = Any  # cp_model.LinearExprT; ortools ships no type stubs


class _Model:
    """The CP-SAT model of a prepared instance and its value expressions."""

    def __init__(self, prep: Prepared) -> None:
        self.prep = prep
        self.model = cp_model.CpModel()
        self.x: dict[int, Any] = {}
        self.s: dict[int, Any] = {}
        self.a: dict[tuple[int, int], Any] = {}
        self.y: dict[int, Any] = {}
        self.ds: dict[int, Any] = {}
        self.de: dict[int, Any] = {}
        self.freed: dict[int, Any] = {}
        self.held: dict[int, Any] = {}
        self.length: dict[int, Any] = {}
        self.order: dict[tuple[int, int], Any] = {}
        # variables added by the stages, with how to compute them from a schedule
        self.derived: list[Callable[[Schedule], list[tuple[Any, int]]]] = []
        self._acquisitions()
        self._instruments()
        self._downlinks()

    # --- constraints ---------------------------------------------------------------

    def _acquisitions(self) -> None:
        m = self.model
        self.interval: dict[int, Any] = {}
        for pc in self.prep.candidates:
            if not pc.windows or not pc.pieces:
                continue
            i = pc.index
            domain = cp_model.Domain.from_intervals([[lo, hi] for lo, hi in pc.windows])
            self.s[i] = m.new_int_var_from_domain(domain, f"s{i}")
            self.x[i] = m.new_bool_var(f"x{i}")
            self.interval[i] = m.new_optional_fixed_size_interval_var(
                self.s[i], pc.size, self.x[i], f"acq{i}"
            )
        for members in self.prep.demand_candidates:
            chosen = [self.x[i] for i in members if i in self.x]
            if len(chosen) > 1:
                m.add_at_most_one(chosen)

    def _instruments(self) -> None:
        prep, m = self.prep, self.model
        for k, all_members in enumerate(prep.instrument_candidates):
            members = [i for i in all_members if i in self.x]
            if len(members) < 2:
                continue
            strips = any(prep.candidates[i].candidate.strip is not None for i in members)
            if not strips:
                m.add_no_overlap([self.interval[i] for i in members])
            satellite = prep.instance.satellites[prep.candidates[members[0]].satellite]
            if (
                not strips
                and satellite.transition_fixed_s == 0
                and satellite.slew_rate_deg_s is None
            ):
                continue
            members.sort(key=lambda i: prep.candidates[i].earliest)
            for i, j in prep.close_pairs(k, members):
                self._separate(i, j)

    def _separate(self, i: int, j: int) -> None:
        prep, m = self.prep, self.model
        pi, pj = prep.candidates[i], prep.candidates[j]
        tij, tji = prep.transition(i, j), prep.transition(j, i)
        if pi.latest + pi.size + tij <= pj.earliest or pj.latest + pj.size + tji <= pi.earliest:
            return  # the windows already order them with room to spare
        i_first = pi.earliest + pi.size + tij <= pj.latest  # as Prepared.fits_before,
        j_first = pj.earliest + pj.size + tji <= pi.latest  # with the transitions at hand
        both = [self.x[i], self.x[j]]
        if not i_first and not j_first:
            m.add_bool_or([self.x[i].Not(), self.x[j].Not()])
        elif i_first and not j_first:
            m.add(self.s[j] >= self.s[i] + pi.size + tij).only_enforce_if(both)
        elif j_first and not i_first:
            m.add(self.s[i] >= self.s[j] + pj.size + tji).only_enforce_if(both)
        else:
            order = m.new_bool_var(f"o{i}_{j}")
            self.order[i, j] = order
            m.add(self.s[j] >= self.s[i] + pi.size + tij).only_enforce_if([order, *both])
            m.add(self.s[i] >= self.s[j] + pj.size + tji).only_enforce_if([order.Not(), *both])

    def _downlinks(self) -> None:
        prep, m = self.prep, self.model
        horizon = math.ceil(prep.instance.horizon_s / TICK_S) + 1
        assigned: dict[int, list[int]] = defaultdict(list)
        for i in self.x:
            pc = prep.candidates[i]
            for p, _ in pc.pieces:
                self.a[i, p] = m.new_bool_var(f"a{i}_{p}")
                assigned[p].append(i)
            m.add(sum(self.a[i, p] for p, _ in pc.pieces) == self.x[i])
        by_station: dict[str, list[Any]] = defaultdict(list)
        by_satellite: dict[int, list[Any]] = defaultdict(list)
        for p, members in assigned.items():
            piece = prep.pieces[p]
            self.y[p] = m.new_bool_var(f"y{p}")
            self.ds[p] = m.new_int_var(piece.start, piece.end, f"ds{p}")
            self.de[p] = m.new_int_var(piece.start, piece.end, f"de{p}")
            length = m.new_int_var(0, piece.end - piece.start, f"dl{p}")
            self.length[p] = length
            interval = m.new_optional_interval_var(
                self.ds[p], length, self.de[p], self.y[p], f"down{p}"
            )
            by_station[piece.station].append(interval)
            by_satellite[piece.satellite].append(interval)
            links = [self.a[i, p] for i in members]
            m.add_bool_or(links).only_enforce_if(self.y[p])
            for i in members:
                pc = prep.candidates[i]
                m.add_implication(self.a[i, p], self.y[p])
                m.add(self.ds[p] >= self.s[i] + pc.size).only_enforce_if(self.a[i, p])
            m.add(length >= sum(prep.candidates[i].need(p) * self.a[i, p] for i in members))
        for intervals in (*by_station.values(), *by_satellite.values()):
            if len(intervals) > 1:
                m.add_no_overlap(intervals)
        for sat, members in enumerate(prep.satellite_candidates):
            members = [i for i in members if i in self.x]
            volume = sum(prep.candidates[i].volume_kbit for i in members)
            if volume <= prep.capacity_kbit[sat]:
                continue  # memory can never fill up
            intervals, demands = [], []
            for i in members:
                # the data is held until the end of the downlink it is assigned to
                freed = m.new_int_var(0, horizon, f"f{i}")
                self.freed[i] = freed
                for p, _ in prep.candidates[i].pieces:
                    m.add(freed == self.de[p]).only_enforce_if(self.a[i, p])
                held = m.new_int_var(0, horizon, f"h{i}")
                self.held[i] = held
                intervals.append(
                    m.new_optional_interval_var(self.s[i], held, freed, self.x[i], f"mem{i}")
                )
                demands.append(prep.candidates[i].volume_kbit)
            m.add_cumulative(intervals, demands, prep.capacity_kbit[sat])

    # --- value expressions -----------------------------------------------------------

    def value(self, *, urgency: str | None = None, partner: str | None = None) -> LinearExpr:
        """Sum of ``value_int * x`` over candidates of one class and / or partner;
        ``partner`` counts routine and urgent demands only."""
        terms = []
        for i, var in self.x.items():
            pc = self.prep.candidates[i]
            if urgency is not None and pc.urgency != urgency:
                continue
            if partner is not None and (pc.partner != partner or pc.urgency == "activation"):
                continue
            if pc.value_int:
                terms.append(pc.value_int * var)
        return sum(terms)

    def has(self, *, urgency: str | None = None, partner: str | None = None) -> bool:
        for i in self.x:
            pc = self.prep.candidates[i]
            if urgency is not None and pc.urgency != urgency:
                continue
            if partner is not None and (pc.partner != partner or pc.urgency == "activation"):
                continue
            if pc.value_int:
                return True
        return False

    def ratio(self, partner: str, unit: float) -> _Ratio:
        """``received(partner) / unit`` in :data:`RATIO_SCALE` steps, kept exact: the
        received value in thousandths (the same integers as the total) compared with
        the unit in thousandths, ``level * unit_int <= RATIO_SCALE * received_int``.
        Rounding each candidate's ratio instead lets a stage "improve" a level that
        only the rounding raised, and pay for it in total value."""
        coefficients: dict[int, int] = {}
        for i in self.x:
            pc = self.prep.candidates[i]
            if pc.partner != partner or pc.urgency == "activation":
                continue
            if pc.value_int:
                coefficients[i] = pc.value_int
        return _Ratio(self, coefficients, max(1, round(unit * VALUE_SCALE)))

    # --- hints and solutions -------------------------------------------------------

    def hint(self, schedule: Schedule) -> None:
        """Hint every variable with the values of ``schedule`` (a complete hint lets
        CP-SAT start from it at once)."""
        m = self.model
        m.clear_hints()  # type: ignore[no-untyped-call]
        for var, value in self.values(schedule):
            m.add_hint(var, value)

    def values(self, schedule: Schedule) -> list[tuple[Any, int]]:
        """Every model variable's value in ``schedule``."""
        prep = self.prep
        out: list[tuple[Any, int]] = []
        for i, var in self.x.items():
            chosen = i in schedule.start
            start = schedule.start[i] if chosen else prep.candidates[i].earliest
            out += [(var, int(chosen)), (self.s[i], start)]
            if i in self.freed:
                freed = schedule.downlink[schedule.piece_of[i]][1] if chosen else start
                out += [(self.freed[i], freed), (self.held[i], freed - start)]
        for (i, p), var in self.a.items():
            out.append((var, int(schedule.piece_of.get(i) == p)))
        for p, var in self.y.items():
            piece = prep.pieces[p]
            ds, de = schedule.downlink.get(p, (piece.start, piece.start))
            out += [(var, int(p in schedule.downlink)), (self.ds[p], ds), (self.de[p], de)]
            out.append((self.length[p], de - ds))
        for (i, j), var in self.order.items():
            first = i not in schedule.start or j not in schedule.start
            out.append((var, int(first or schedule.start[i] <= schedule.start[j])))
        for derive in self.derived:
            out += derive(schedule)
        return out

    def value_of(
        self, schedule: Schedule, *, urgency: str | None = None, partner: str | None = None
    ) -> int:
        """:meth:`value` evaluated in ``schedule``."""
        total = 0
        for i in schedule.start:
            pc = self.prep.candidates[i]
            if urgency is not None and pc.urgency != urgency:
                continue
            if partner is not None and (pc.partner != partner or pc.urgency == "activation"):
                continue
            total += pc.value_int
        return total

    def schedule(self, solver: cp_model.CpSolver) -> Schedule:
        schedule = Schedule(self.prep)
        for i, var in self.x.items():
            if not solver.boolean_value(var):
                continue
            piece = next(
                p for p, _ in self.prep.candidates[i].pieces if solver.boolean_value(self.a[i, p])
            )
            schedule.place(
                i,
                solver.value(self.s[i]),
                piece,
                solver.value(self.ds[piece]),
                solver.value(self.de[piece]),
            )
        return schedule


class _Ratio:
    """A partner's received value over a unit, in :data:`RATIO_SCALE` steps: the
    largest integer ``level`` with ``level * unit_int <= RATIO_SCALE * received_int``
    (both in thousandths of value)."""

    def __init__(self, model: _Model, coefficients: dict[int, int], unit_int: int) -> None:
        self.coefficients = coefficients
        self.unit_int = unit_int
        self.received = sum(c * model.x[i] for i, c in coefficients.items())

    def at_least(self, level: Any) -> Any:
        """The linear constraint ``ratio >= level``, to add to the model."""
        return RATIO_SCALE * self.received >= self.unit_int * level

    def top(self) -> int:
        """The largest level: every candidate delivered."""
        return RATIO_SCALE * sum(self.coefficients.values()) // self.unit_int

    def of(self, schedule: Schedule) -> int:
        """The level reached by ``schedule``, rounded down as the constraint does."""
        received = sum(c for i, c in self.coefficients.items() if i in schedule.start)
        return RATIO_SCALE * received // self.unit_int


Evaluate = Callable[[Schedule], int]


class _Stages:
    """Successive solves of one model. ``best`` is the current plan (at first the
    heuristic seed); a stage replaces it only when it does better on its objective,
    so the result is never worse than the seed in the lexicographic order."""

    def __init__(
        self,
        model: _Model,
        seed_schedule: Schedule,
        deadline: float,
        count: int,
        workers: int,
        seed: int,
    ) -> None:
        self.model = model
        self.seed_schedule = seed_schedule
        self.best = seed_schedule
        # the objectives of the plan-changing stages, in order: the lexicographic key
        self.order: list[Evaluate] = []
        self.deadline = deadline
        self.remaining = max(count, 1)
        self.workers = workers
        self.seed = seed
        self.stages: list[Stage] = []
        self.proven = True
        self.last_bound: float | None = None
        model.hint(seed_schedule)

    def maximise(
        self,
        name: str,
        objective: LinearExpr,
        evaluate: Evaluate,
        scale: float,
        *,
        auxiliary: bool = False,
    ) -> int:
        """Maximise ``objective`` (``evaluate`` computes it for a schedule); return
        the best value known (from CP-SAT or the current plan). An ``auxiliary``
        stage (a partner's ideal, the best total) informs the fairness targets but
        does not change the plan. Stage values are recorded divided by ``scale``."""
        if not auxiliary:
            self.order.append(evaluate)
        m = self.model.model
        m.maximize(objective)
        solver = cp_model.CpSolver()
        budget = max(0.05, (self.deadline - time.perf_counter()) / self.remaining)
        self.remaining = max(1, self.remaining - 1)
        solver.parameters.max_time_in_seconds = budget
        solver.parameters.num_workers = self.workers
        solver.parameters.random_seed = self.seed
        # Probing costs seconds of presolve on large models at every stage and adds
        # little here (measured: 1.2 s -> 0.45 s of presolve on 750 candidates).
        solver.parameters.cp_model_probing_level = 0
        began = time.perf_counter()
        code = solver.solve(m)
        elapsed = time.perf_counter() - began
        status = _STATUS.get(code, "unknown")
        current = evaluate(self.best)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            self.proven = False
            self.last_bound = None
            self.stages.append(Stage(name, status, current / scale, None, elapsed))
            return current
        if code != cp_model.OPTIMAL:
            self.proven = False
        found = round(solver.objective_value)
        bound = solver.best_objective_bound
        self.last_bound = bound / scale
        self.stages.append(Stage(name, status, max(found, current) / scale, bound / scale, elapsed))
        if found > current and not auxiliary:
            self.best = self.model.schedule(solver)
            self.model.hint(self.best)
        return max(found, current)

    def result(self) -> Schedule:
        """The better of the last plan and the seed in the lexicographic order of the
        stages (then the exact total value): the stages only ever replace the plan
        with a better one, and this keeps that promise whatever a stage did."""

        def key(schedule: Schedule) -> tuple[float, ...]:
            total = math.fsum(self.model.prep.candidates[i].candidate.value for i in schedule.start)
            return (*(evaluate(schedule) for evaluate in self.order), total)

        return self.best if key(self.best) >= key(self.seed_schedule) else self.seed_schedule


def solve_cpsat(
    instance: Instance,
    *,
    time_limit_s: float = 10.0,
    workers: int = 2,
    seed: int = 0,
) -> Plan:
    """Plan ``instance`` exactly with CP-SAT within ``time_limit_s`` (all stages)."""
    began = time.perf_counter()
    prep = Prepared(instance)
    # A heuristic plan seeds the search (complete hint) and is the fallback. On small
    # instances it stops early (stagnation); on large ones CP-SAT's own search improves
    # slowly on a good plan, so a part of the time is better spent here. It runs before
    # the model is built: building takes seconds on large instances (13 s for 9,430
    # candidates), which would otherwise eat the seed's share of the time.
    estimates: dict[str, float] = {}
    estimated_total: float | None = None
    if instance.fairness != "none":
        estimates, estimated_total = estimate_fairness_inputs(prep)
    seed_schedule, _ = local_search(
        prep,
        FairnessRule(instance, estimates, estimated_total),
        deadline=began + SEED_FRACTION * time_limit_s,
        seed=seed,
    )
    model = _Model(prep)
    if not model.x:  # nothing can be acquired and delivered: the empty plan is optimal
        return assemble_plan(
            seed_schedule,
            solver="cpsat",
            status="optimal",
            bound=0.0,
            stages=(),
            proven=True,
            solve_time_s=time.perf_counter() - began,
        )
    partners = fair_partners(instance) if instance.fairness != "none" else []
    partners = [p for p in partners if model.has(partner=p)]
    precedence = [u for u in ("activation", "urgent") if model.has(urgency=u)]
    count = (
        len(precedence)
        + {
            "none": 1,
            "proportional": len(partners) + 3,
            "leximin": 2 * len(partners) + 1,
        }[instance.fairness]
    )
    # CP-SAT overruns its own limit a little (presolve), and the plan is assembled
    # after the last stage: keep a margin so the whole call stays near the limit.
    deadline = began + time_limit_s - min(END_MARGIN_S, 0.1 * time_limit_s)
    stages = _Stages(model, seed_schedule, deadline, count, workers, seed)
    m = model.model
    for urgency in precedence:
        expr = model.value(urgency=urgency)
        reached = stages.maximise(
            f"{urgency} value",
            expr,
            partial(model.value_of, urgency=urgency),
            VALUE_SCALE,
        )
        m.add(expr >= reached)
    ideals: dict[str, float] | None = None
    best_total: float | None = None
    if instance.fairness != "none":
        ideals = {p: 0.0 for p in fair_partners(instance)}
        for p in partners:
            reached = stages.maximise(
                f"ideal of {p}",
                model.value(partner=p),
                partial(model.value_of, partner=p),
                VALUE_SCALE,
                auxiliary=True,
            )
            ideals[p] = max(reached / VALUE_SCALE, estimates.get(p, 0.0))
    if instance.fairness == "proportional":
        assert ideals is not None
        requesting = _requesting(instance)
        reached = stages.maximise(
            "best total",
            sum(model.value(partner=p) for p in requesting),
            lambda s: sum(model.value_of(s, partner=p) for p in requesting),
            VALUE_SCALE,
            auxiliary=True,
        )
        best_total = max(reached / VALUE_SCALE, estimated_total or 0.0)
        targets = water_fill(best_total, instance.entitlements, ideals)
        _proportional(model, stages, targets)
    elif instance.fairness == "leximin":
        assert ideals is not None
        _leximin(model, stages, instance, ideals, partners)
    stages.maximise("total value", model.value(), model.value_of, VALUE_SCALE)
    status = "optimal" if stages.proven else "feasible"
    bound = stages.last_bound
    if bound is not None:
        bound = min(bound, value_bound(prep))  # the simple bound can be tighter early on
    return assemble_plan(
        stages.result(),
        solver="cpsat",
        status=status,
        bound=bound,
        stages=stages.stages,
        proven=stages.proven,
        solve_time_s=time.perf_counter() - began,
        ideals=ideals,
        best_total=best_total,
    )


def _requesting(instance: Instance) -> list[str]:
    return sorted({d.partner for d in instance.demands if d.urgency != "activation"})


def _proportional(model: _Model, stages: _Stages, targets: dict[str, float]) -> None:
    m = model.model
    level = m.new_int_var(0, RATIO_SCALE, "proportional_level")
    ratios = []
    for partner, target in targets.items():
        if target > 0:
            ratio = model.ratio(partner, target)
            m.add(ratio.at_least(level))
            ratios.append(ratio)

    def lowest(schedule: Schedule) -> int:
        return min([RATIO_SCALE, *(r.of(schedule) for r in ratios)])

    model.derived.append(lambda s: [(level, lowest(s))])
    model.hint(stages.best)
    reached = stages.maximise("proportional level", level, lowest, RATIO_SCALE)
    m.add(level >= reached)


def _leximin(
    model: _Model,
    stages: _Stages,
    instance: Instance,
    ideals: dict[str, float],
    partners: Sequence[str],
) -> None:
    m = model.model
    utilities = {
        p: model.ratio(p, ideals[p] * instance.entitlements[p])
        for p in partners
        if ideals.get(p, 0.0) > 0 and instance.entitlements.get(p, 0.0) > 0
    }
    if not utilities:
        return
    top = max(r.top() for r in utilities.values())
    n = len(utilities)

    def reached(schedule: Schedule) -> dict[str, int]:
        return {p: r.of(schedule) for p, r in utilities.items()}

    for k in range(n):
        level = m.new_int_var(0, top, f"leximin_{k}")
        flags = {}
        for p, ratio in utilities.items():
            flags[p] = m.new_bool_var(f"leximin_{k}_{p}")
            m.add(ratio.at_least(level)).only_enforce_if(flags[p])
        m.add(sum(flags.values()) >= n - k)

        def kth(schedule: Schedule, k: int = k) -> int:
            return sorted(reached(schedule).values())[k]  # the (k+1)-th smallest

        def derive(
            schedule: Schedule, level: Any = level, flags: dict[str, Any] = flags, k: int = k
        ) -> list[tuple[Any, int]]:
            value = kth(schedule, k)
            flagged = [(flags[p], int(u >= value)) for p, u in reached(schedule).items()]
            return [(level, value), *flagged]

        model.derived.append(derive)
        model.hint(stages.best)
        found = stages.maximise(f"leximin step {k + 1}", level, kth, RATIO_SCALE)
        m.add(level >= found)
