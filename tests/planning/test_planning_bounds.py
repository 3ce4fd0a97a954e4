"""Upper bounds of the delivered value: the conflict relaxation's groups, and that
the bounds bound."""

from __future__ import annotations

import pytest
from planning_factory import cand, demand, instance
from test_planning_random import random_instance

from spacepool.planning import Satellite, plan_from_candidates
from spacepool.planning.bounds import conflict_bound, conflict_cliques
from spacepool.planning.heuristic import value_bound
from spacepool.planning.prepare import Prepared


def ids(prep: Prepared, groups: list[list[int]]) -> list[list[str]]:
    return sorted(sorted(prep.candidates[i].candidate.id for i in g) for g in groups)


def test_fixed_acquisitions_give_the_maximal_cliques_of_their_intervals() -> None:
    # a [0, 10) meets b [5, 15); b meets c [12, 22); a and c do not meet; d is alone
    inst = instance(
        [demand("a"), demand("b"), demand("c"), demand("d")],
        [
            cand("ca", "a", 0.0),
            cand("cb", "b", 5.0),
            cand("cc", "c", 12.0),
            cand("cd", "d", 100.0),
        ],
    )
    prep = Prepared(inst)
    assert ids(prep, conflict_cliques(prep)) == [["ca", "cb"], ["cb", "cc"]]
    bound = conflict_bound(prep, time_limit_s=2.0)
    # a, c and d fit together; b meets both a and c
    assert (bound.value, bound.proven, bound.components) == (3.0, True, 1)
    assert value_bound(prep) == 4.0


def test_a_transition_time_widens_the_intervals_and_a_strip_removes_them() -> None:
    demands = [demand("a"), demand("b"), demand("c")]
    near = [cand("ca", "a", 0.0), cand("cb", "b", 14.0), cand("cc", "c", 40.0)]
    settle = [Satellite("s1", memory_mbit=1e6, transition_fixed_s=5.0)]
    prep = Prepared(instance(demands, near, satellites=settle))
    # a ends at 10 (+1 tick), b needs 5 s more: they meet; c is 16 s after b's end
    assert ids(prep, conflict_cliques(prep)) == [["ca", "cb"]]
    strip = [cand(c.id, c.demand, c.earliest_start_s, strip="pass-1") for c in near]
    prep = Prepared(instance(demands, strip, satellites=settle))
    assert conflict_cliques(prep) == []
    assert conflict_bound(prep, time_limit_s=2.0).value == 3.0


def test_agile_windows_conflict_only_when_no_order_fits() -> None:
    agile = [Satellite("s1", memory_mbit=1e6, transition_fixed_s=2.0, slew_rate_deg_s=1.0)]
    demands = [demand("a"), demand("b"), demand("c")]
    candidates = [
        cand("ca", "a", 0.0, latest_s=5.0, look_deg=0.0),
        # 30 deg away: 2 + 30 s of manoeuvre; cannot follow a (ends by 15) before 40
        cand("cb", "b", 20.0, latest_s=25.0, look_deg=30.0),
        # same look as a: can follow it after 2 s
        cand("cc", "c", 12.0, latest_s=20.0, look_deg=0.0),
    ]
    prep = Prepared(instance(demands, candidates, satellites=agile))
    assert ids(prep, conflict_cliques(prep)) == [["ca", "cb"], ["cb", "cc"]]


@pytest.mark.parametrize("seed", range(6))
def test_the_bounds_bound_the_proven_optimum(seed: int) -> None:
    inst = random_instance(seed)
    exact = plan_from_candidates(inst, solver="cpsat", time_limit_s=5.0, seed=seed)
    assert exact.status == "optimal"
    prep = Prepared(inst)
    bound = conflict_bound(prep, time_limit_s=2.0, workers=1)
    assert bound.proven
    assert exact.objective <= bound.value + 1e-9
    assert bound.value <= value_bound(prep) + 1e-9
