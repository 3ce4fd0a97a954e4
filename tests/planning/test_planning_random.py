"""Random small instances: both solvers give feasible plans, and the heuristic never
beats a proven optimum."""

from __future__ import annotations

import random

import pytest
from planning_checker import check_plan
from planning_factory import T0

from spacepool.planning import (
    Block,
    Candidate,
    Demand,
    Instance,
    Satellite,
    StationContact,
    plan_from_candidates,
)


def random_instance(seed: int, fairness: str = "none") -> Instance:
    rng = random.Random(seed)
    partners = ["esa", "nasa", "jaxa"]
    satellites = [
        Satellite(
            f"s{k}",
            memory_mbit=rng.choice([300.0, 500.0, 2000.0]),
            initial_memory_mbit=rng.choice([0.0, 50.0]),
            transition_fixed_s=rng.uniform(0.0, 8.0),
            slew_rate_deg_s=rng.choice([None, 1.5, 3.0]),
        )
        for k in range(2)
    ]
    demands = []
    candidates = []
    for d in range(rng.randint(8, 12)):
        urgency = rng.choices(["routine", "urgent", "activation"], [8, 1, 1])[0]
        demand = Demand(f"r{d}", f"r{d}", rng.choice(partners), rng.randint(1, 9), urgency)
        demands.append(demand)
        for k in range(rng.choice([0, 1, 2, 2, 3])):
            sat = rng.choice(satellites).id
            start = rng.uniform(0.0, 700.0)
            flexible = rng.random() < 0.5
            candidates.append(
                Candidate(
                    id=f"c{d}_{k}",
                    demand=demand.id,
                    satellite=sat,
                    instrument=rng.choice(["a", "b"]),
                    earliest_start_s=start,
                    latest_start_s=start + (rng.uniform(0.0, 120.0) if flexible else 0.0),
                    duration_s=rng.uniform(5.0, 30.0),
                    value=demand.value * rng.choice([1.0, 0.8]),
                    volume_mbit=rng.uniform(20.0, 200.0),
                    off_nadir_deg=rng.uniform(0.0, 30.0),
                    pointing_deg=rng.uniform(-30.0, 30.0),
                    strip=rng.choice([None, None, f"strip-{sat}"]),
                )
            )
    contacts = []
    for sat in satellites:
        for k in range(rng.randint(1, 3)):
            start = rng.uniform(300.0, 3000.0)
            contacts.append(
                StationContact(
                    f"{sat.id}-k{k}",
                    sat.id,
                    rng.choice(["kiruna", "svalbard"]),
                    start,
                    start + rng.uniform(20.0, 300.0),
                    rng.choice([5.0, 20.0]),
                )
            )
    blocks = []
    if rng.random() < 0.5:
        start = rng.uniform(0.0, 700.0)
        blocks.append(Block("b0", "esa", start, start + 200.0, satellite="s0"))
    return Instance(
        start=T0,
        horizon_s=3600.0,
        demands=tuple(demands),
        candidates=tuple(candidates),
        satellites=tuple(satellites),
        contacts=tuple(contacts),
        blocks=tuple(blocks),
        entitlements={"esa": 0.5, "nasa": 0.3, "jaxa": 0.2},
        fairness=fairness,
    )


def _by_class(plan: object) -> tuple[float, float, float]:
    values = {"activation": 0.0, "urgent": 0.0, "routine": 0.0}
    for a in plan.acquisitions:  # type: ignore[attr-defined]
        values[a.urgency] += a.value
    return values["activation"], values["urgent"], round(sum(values.values()), 9)


@pytest.mark.parametrize("seed", range(8))
def test_heuristic_never_beats_the_proven_optimum_and_both_are_feasible(seed: int) -> None:
    inst = random_instance(seed)
    exact = plan_from_candidates(inst, solver="cpsat", time_limit_s=5.0, seed=seed)
    fast = plan_from_candidates(inst, solver="heuristic", time_limit_s=1.0, seed=seed)
    assert check_plan(inst, exact) == []
    assert check_plan(inst, fast) == []
    assert exact.status == "optimal"
    # lexicographic: activation value, urgent value, then the total
    assert _by_class(fast) <= _by_class(exact)
    assert fast.bound is not None and fast.objective <= fast.bound + 1e-9


@pytest.mark.parametrize("fairness", ["proportional", "leximin"])
@pytest.mark.parametrize("seed", range(3))
def test_fair_plans_on_random_instances_are_feasible(fairness: str, seed: int) -> None:
    inst = random_instance(100 + seed, fairness)
    for solver in ("cpsat", "heuristic"):
        plan = plan_from_candidates(inst, solver=solver, time_limit_s=3.0, seed=seed)
        assert check_plan(inst, plan) == [], solver
        assert plan.fairness == fairness
