"""Hand-made instances whose optimum is known, solved by both solvers; every plan
passes the independent checker."""

from __future__ import annotations

import pytest
from planning_checker import check_plan
from planning_factory import big_contact, cand, demand, instance

from spacepool.planning import (
    Block,
    Instance,
    Plan,
    Satellite,
    StationContact,
    plan_from_candidates,
)

SOLVERS = ["cpsat", "heuristic"]


def solve(inst: Instance, solver: str) -> Plan:
    plan = plan_from_candidates(inst, solver=solver, time_limit_s=3.0, seed=1)
    assert check_plan(inst, plan) == []
    if solver == "cpsat":
        assert plan.status == "optimal"
        assert plan.gap == 0.0
    return plan


def chosen(plan: Plan) -> list[str]:
    return sorted(a.candidate for a in plan.acquisitions)


@pytest.mark.parametrize("solver", SOLVERS)
def test_of_two_overlapping_candidates_the_more_valuable_is_taken(solver: str) -> None:
    inst = instance(
        [demand("r1", value=5.0), demand("r2", value=3.0), demand("r3", value=4.0)],
        [
            cand("c1", "r1", 100.0, value=5.0),
            cand("c2", "r2", 105.0, value=3.0),
            cand("c3", "r3", 200.0, value=4.0),
        ],
    )
    plan = solve(inst, solver)
    assert chosen(plan) == ["c1", "c3"]
    assert plan.objective == 9.0
    assert plan.reason("r2") is not None and plan.reason("r2").reason == "conflict"


@pytest.mark.parametrize("solver", SOLVERS)
def test_slewing_between_far_apart_look_angles_takes_time(solver: str) -> None:
    agile = Satellite("s1", memory_mbit=1e6, transition_fixed_s=2.0, slew_rate_deg_s=1.0)
    # 10 s acquisitions 15 s apart: 5 s of gap. Same look angle: 2 s needed, both fit.
    near = instance(
        [demand("r1"), demand("r2")],
        [cand("c1", "r1", 100.0, look_deg=10.0), cand("c2", "r2", 115.0, look_deg=10.0)],
        satellites=[agile],
    )
    assert chosen(solve(near, solver)) == ["c1", "c2"]
    # From -20 to +20 degrees: 2 + 40 s needed, only one fits.
    far = instance(
        [demand("r1", value=1.0), demand("r2", value=2.0)],
        [
            cand("c1", "r1", 100.0, look_deg=-20.0, value=1.0),
            cand("c2", "r2", 115.0, look_deg=20.0, value=2.0),
        ],
        satellites=[agile],
    )
    assert chosen(solve(far, solver)) == ["c2"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_flexible_window_moves_the_start_past_the_transition(solver: str) -> None:
    agile = Satellite("s1", memory_mbit=1e6, transition_fixed_s=5.0, slew_rate_deg_s=2.0)
    inst = instance(
        [demand("r1"), demand("r2")],
        [
            cand("c1", "r1", 100.0, look_deg=0.0),
            cand("c2", "r2", 100.0, latest_s=200.0, look_deg=10.0),
        ],
        satellites=[agile],
    )
    plan = solve(inst, solver)
    assert chosen(plan) == ["c1", "c2"]
    c2 = next(a for a in plan.acquisitions if a.candidate == "c2")
    # 100 + 10 s acquisition + 5 s settle + 10 deg / 2 deg/s slew
    assert c2.start_s >= 120.0 - 1e-6


@pytest.mark.parametrize("solver", SOLVERS)
def test_targets_in_one_push_broom_strip_share_the_acquisition(solver: str) -> None:
    strip = instance(
        [demand("r1"), demand("r2")],
        [cand("c1", "r1", 100.0, strip="pass-1"), cand("c2", "r2", 104.0, strip="pass-1")],
    )
    assert chosen(solve(strip, solver)) == ["c1", "c2"]
    no_strip = instance(
        [demand("r1"), demand("r2", value=2.0)],
        [cand("c1", "r1", 100.0), cand("c2", "r2", 104.0, value=2.0)],
    )
    assert chosen(solve(no_strip, solver)) == ["c2"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_memory_that_holds_two_acquisitions_forces_a_choice(solver: str) -> None:
    small = Satellite("s1", memory_mbit=250.0)
    inst = instance(
        [demand("r1", value=3.0), demand("r2", value=2.0), demand("r3", value=1.0)],
        [
            cand("c1", "r1", 100.0, value=3.0),
            cand("c2", "r2", 200.0, value=2.0),
            cand("c3", "r3", 300.0, value=1.0),
        ],
        satellites=[small],
    )
    plan = solve(inst, solver)
    assert chosen(plan) == ["c1", "c2"]
    assert plan.reason("r3") is not None and plan.reason("r3").reason == "memory"


@pytest.mark.parametrize("solver", SOLVERS)
def test_memory_is_freed_by_a_downlink_between_acquisitions(solver: str) -> None:
    small = Satellite("s1", memory_mbit=150.0)
    contacts = [
        StationContact("early", "s1", "ks", 500.0, 600.0, 100.0),
        StationContact("late", "s1", "ks", 3000.0, 3100.0, 100.0),
    ]
    inst = instance(
        [demand("r1"), demand("r2")],
        [cand("c1", "r1", 100.0), cand("c2", "r2", 1000.0)],
        satellites=[small],
        contacts=contacts,
    )
    plan = solve(inst, solver)
    assert chosen(plan) == ["c1", "c2"]
    assert {a.candidate: a.downlink for a in plan.acquisitions} == {
        "c1": "dl-early",
        "c2": "dl-late",
    }


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_downlink_that_can_take_only_one_acquisition(solver: str) -> None:
    # 10 s at 10 Mbit/s = 100 Mbit; each acquisition makes 80 Mbit.
    contact = StationContact("short", "s1", "ks", 1000.0, 1010.0, 10.0)
    inst = instance(
        [demand("r1", value=1.0), demand("r2", value=2.0)],
        [
            cand("c1", "r1", 100.0, volume_mbit=80.0, value=1.0),
            cand("c2", "r2", 200.0, volume_mbit=80.0, value=2.0),
        ],
        contacts=[contact],
    )
    plan = solve(inst, solver)
    assert chosen(plan) == ["c2"]
    assert plan.reason("r1") is not None and plan.reason("r1").reason == "no_downlink"
    assert plan.downlinks[0].end_s - plan.downlinks[0].start_s >= 8.0 - 1e-6


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_station_serves_one_satellite_at_a_time(solver: str) -> None:
    # Both satellites see the station at once for 15 s; each needs 10 s.
    contacts = [
        StationContact("k1", "s1", "ks", 1000.0, 1015.0, 10.0),
        StationContact("k2", "s2", "ks", 1000.0, 1015.0, 10.0),
    ]
    demands = [demand("r1", value=1.0), demand("r2", value=2.0)]
    cands = [
        cand("c1", "r1", 100.0, value=1.0),
        cand("c2", "r2", 100.0, satellite="s2", value=2.0),
    ]
    plan = solve(instance(demands, cands, contacts=contacts), solver)
    assert chosen(plan) == ["c2"]
    assert plan.reason("r1") is not None and plan.reason("r1").reason == "no_downlink"
    assert plan.reason("r1").related == ("dl-k2",)
    # 20 s of shared contact: both fit, one after the other.
    longer = [StationContact(c.id, c.satellite, "ks", 1000.0, 1020.0, 10.0) for c in contacts]
    plan = solve(instance(demands, cands, contacts=longer), solver)
    assert chosen(plan) == ["c1", "c2"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_an_owner_block_moves_or_removes_acquisitions_and_downlinks(solver: str) -> None:
    blocks = [
        Block("b-sat", "esa", 90.0, 150.0, satellite="s1", reason="manoeuvre"),
        Block("b-station", "esa", 3000.0, 3300.0, station="st-s1"),
    ]
    inst = instance(
        [demand("r1"), demand("r2")],
        [cand("c1", "r1", 100.0), cand("c2", "r2", 100.0, latest_s=400.0)],
        blocks=blocks,
    )
    plan = solve(inst, solver)
    assert chosen(plan) == ["c2"]
    (acq,) = plan.acquisitions
    assert acq.start_s >= 150.0 - 1e-6
    assert plan.downlinks[0].start_s >= 3300.0 - 1e-6
    reason = plan.reason("r1")
    assert reason is not None and reason.reason == "blocked_by_owner"
    assert reason.message == (
        "blocked by owner: every opportunity of r1 falls in a block (b-sat: esa blocks "
        "satellite s1 2026-06-01T00:01:30Z-2026-06-01T00:02:30Z: manoeuvre)"
    )


@pytest.mark.parametrize("solver", SOLVERS)
def test_an_activation_takes_precedence_and_is_charged_by_entitlement(solver: str) -> None:
    inst = instance(
        [demand("flood", "asi", 1.0, "activation"), demand("crops", "esa", 10.0)],
        [cand("a1", "flood", 100.0, value=1.0), cand("r1", "crops", 105.0, value=10.0)],
        entitlements={"esa": 0.75, "asi": 0.25},
    )
    plan = solve(inst, solver)
    assert chosen(plan) == ["a1"]
    assert plan.activation_value == 1.0
    reason = plan.reason("crops")
    assert reason is not None and reason.reason == "outranked_by_activation"
    assert reason.related == ("a1",)
    assert plan.account("esa").activation_charge == pytest.approx(0.75)
    assert plan.account("asi").activation_charge == pytest.approx(0.25)
    assert plan.account("asi").activation_value == 1.0
    assert plan.account("asi").received_value == 0.0


@pytest.mark.parametrize("solver", SOLVERS)
def test_urgent_work_goes_before_more_valuable_routine_work(solver: str) -> None:
    inst = instance(
        [demand("u", "jaxa", 1.0, "urgent"), demand("r", "esa", 10.0)],
        [cand("cu", "u", 100.0, value=1.0), cand("cr", "r", 105.0, value=10.0)],
    )
    plan = solve(inst, solver)
    assert chosen(plan) == ["cu"]
    assert plan.account("jaxa").received_value == 1.0
    assert plan.reason("r") is not None and plan.reason("r").reason == "conflict"


@pytest.mark.parametrize("solver", SOLVERS)
def test_nothing_to_acquire_gives_an_empty_plan_with_reasons(solver: str) -> None:
    inst = instance([demand("r1")], [])
    plan = solve(inst, solver)
    assert plan.acquisitions == () and plan.objective == 0.0
    assert plan.reason("r1") is not None and plan.reason("r1").reason == "no_opportunity"


def test_candidates_beyond_the_contacts_are_never_planned() -> None:
    inst = instance(
        [demand("r1")],
        [cand("c1", "r1", 3585.0)],
        contacts=[big_contact()],
    )
    plan = solve(inst, "cpsat")
    assert plan.acquisitions == ()
    assert plan.reason("r1") is not None
    assert plan.reason("r1").message == (
        "no downlink: no contact of s1 after its opportunities (c1) can take 100 Mbit before "
        "the horizon ends"
    )
