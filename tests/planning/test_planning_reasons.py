"""Every unserved demand gets a named reason and a message naming what was in the way."""

from __future__ import annotations

from planning_factory import cand, demand, instance

from spacepool.planning import (
    Block,
    Satellite,
    StationContact,
    plan_from_candidates,
)
from spacepool.planning.prepare import Prepared
from spacepool.planning.reasons import diagnose
from spacepool.planning.schedule import Schedule


def test_each_kind_of_reason_is_named_with_its_message() -> None:
    contacts = [
        StationContact("k1", "s1", "ks", 1000.0, 1100.0, 100.0),
        StationContact("k2", "s2", "shared", 1000.0, 1010.0, 10.0),
        StationContact("k3", "s3", "shared", 1000.0, 1010.0, 10.0),
    ]
    satellites = [
        Satellite("s1", memory_mbit=150.0),
        Satellite("s2", memory_mbit=1e6),
        Satellite("s3", memory_mbit=1e6),
    ]
    inst = instance(
        [
            demand("nothing"),
            demand("blocked"),
            demand("too-late"),
            demand("big", value=5.0),
            demand("small", value=1.0),
            demand("wins", value=4.0),
            demand("loses", value=1.0),
            demand("station-a", value=2.0),
            demand("station-b", value=1.0),
            demand("flood", partner="asi", value=1.0, urgency="activation"),
            demand("farm", value=3.0),
        ],
        [
            cand("c-blocked", "blocked", 50.0, instrument="i2"),
            cand("c-late", "too-late", 1500.0, instrument="i3"),
            cand("c-big", "big", 100.0, volume_mbit=100.0),
            cand("c-small", "small", 200.0, volume_mbit=100.0),
            cand("c-wins", "wins", 300.0, value=4.0, volume_mbit=1.0),
            cand("c-loses", "loses", 305.0, value=1.0, volume_mbit=1.0),
            cand("c-sta", "station-a", 100.0, satellite="s2", value=2.0),
            cand("c-stb", "station-b", 100.0, satellite="s3", value=1.0),
            cand("c-flood", "flood", 600.0, satellite="s2", instrument="j", volume_mbit=0.0),
            cand("c-farm", "farm", 605.0, satellite="s2", instrument="j", volume_mbit=0.0),
        ],
        satellites=satellites,
        contacts=contacts,
        blocks=[Block("maint", "esa", 0.0, 70.0, satellite="s1", instrument="i2")],
    )
    plan = plan_from_candidates(inst, time_limit_s=3.0)
    assert plan.status == "optimal"
    reasons = {u.demand: (u.reason, u.message, u.related) for u in plan.unserved}
    assert reasons == {
        "nothing": (
            "no_opportunity",
            "no opportunity: no instrument can serve nothing within its window and requirements",
            (),
        ),
        "blocked": (
            "blocked_by_owner",
            "blocked by owner: every opportunity of blocked falls in a block (maint: esa blocks "
            "instrument s1/i2 2026-06-01T00:00:00Z-2026-06-01T00:01:10Z)",
            ("maint",),
        ),
        "too-late": (
            "no_downlink",
            "no downlink: no contact of s1 after its opportunities (c-late) can take 100 Mbit "
            "before the horizon ends",
            (),
        ),
        "small": (
            "memory",
            "memory: s1's memory (150 Mbit) stays too full until the downlinks after c-small",
            (),
        ),
        "loses": (
            "conflict",
            "conflict with c-wins (wins of esa on s1/i1) (overlap or transition time)",
            ("c-wins",),
        ),
        "station-b": (
            "no_downlink",
            "no downlink: the contacts after its opportunities are taken by downlinks dl-k2 "
            "(s2 at shared)",
            ("dl-k2",),
        ),
        "farm": (
            "outranked_by_activation",
            "outranked by activation: its opportunities are taken by c-flood (flood of asi on "
            "s2/j)",
            ("c-flood",),
        ),
    }


def test_a_demand_that_still_fits_is_time_limit_unless_optimality_is_proven() -> None:
    inst = instance([demand("r1")], [cand("c1", "r1", 100.0)])
    empty = Schedule(Prepared(inst))
    (unproven,) = diagnose(empty, proven=False)
    assert (unproven.reason, unproven.message) == (
        "time_limit",
        "time limit: opportunity c1 still fits; the solver stopped before proving the plan optimal",
    )
    (proven,) = diagnose(empty, proven=True)
    assert proven.reason == "not_selected"
