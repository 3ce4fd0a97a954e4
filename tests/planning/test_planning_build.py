"""From scenario files to plans with the access engine, and the ``spacepool plan``
command."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from planning_checker import check_plan
from typer.testing import CliRunner

from spacepool.cli import app
from spacepool.planning import Instance, Plan, load_scenario, plan_from_candidates
from spacepool.planning.build import build_instance

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FLOOD = EXAMPLES / "flood-activation.toml"


@cache
def flood_instance() -> Instance:
    return build_instance(load_scenario(FLOOD))


def test_candidates_meet_each_request_s_requirements_and_windows() -> None:
    scenario = load_scenario(FLOOD)
    inst = flood_instance()
    consortium = scenario.consortium
    requests = {r.id: r for r in scenario.requests}
    demands = {d.id: d for d in inst.demands}
    assert [d.id for d in inst.demands] == [
        "po-flood#0",
        "po-flood#1",
        "esa-alps-snow",
        "dlr-berlin-urban",
    ]
    assert {demands[c.demand].request for c in inst.candidates} == set(requests)
    for cand in inst.candidates:
        demand = demands[cand.demand]
        request = requests[demand.request]
        instrument = consortium.spacecraft(cand.satellite).instrument(cand.instrument)
        r = request.requirements
        assert instrument.kind in r.kinds
        assert r.max_resolution_m is None or instrument.resolution_m <= r.max_resolution_m
        slot_start, slot_end = request.slot_window(demand.slot)
        assert inst.time(cand.earliest_start_s) >= slot_start - (slot_end - slot_start)
        assert inst.time(cand.latest_start_s + cand.duration_s) <= scenario.end
        assert cand.volume_mbit == instrument.data_rate_mbps * cand.duration_s
    for contact in inst.contacts:
        sc = consortium.spacecraft(contact.satellite)
        station = consortium.station(contact.station)
        assert set(sc.bands) & set(station.bands)
        assert contact.rate_mbps == min(sc.downlink_rate_mbps, station.downlink_rate_mbps)
    (block,) = inst.blocks
    assert (block.satellite, block.start_s, block.end_s) == ("terrasar-x", 36000.0, 50400.0)


def test_a_revisit_period_only_gets_opportunities_of_that_period() -> None:
    inst = flood_instance()
    for cand in inst.candidates:
        if cand.demand == "po-flood#0":
            assert cand.earliest_start_s < 12 * 3600.0
        if cand.demand == "po-flood#1":
            assert cand.latest_start_s >= 12 * 3600.0 - 30.0


def test_the_flood_scenario_plans_feasibly_with_both_solvers() -> None:
    inst = flood_instance()
    for solver in ("cpsat", "heuristic"):
        plan = plan_from_candidates(inst, solver=solver, time_limit_s=3.0)
        assert check_plan(inst, plan) == [], solver
        # the activation's two periods come first and are charged by entitlement
        assert {a.demand for a in plan.acquisitions} >= {"po-flood#0", "po-flood#1"}
        assert plan.account("esa").activation_charge == 0.4 * plan.activation_value


def test_spacepool_plan_prints_json_and_writes_the_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "plan",
            str(FLOOD),
            "--solver",
            "heuristic",
            "--time-limit",
            "2",
            "--format",
            "json",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    plan = Plan.from_dict(json.loads(result.stdout))
    assert plan.solver == "heuristic" and plan.fairness == "leximin"
    assert all(a.start.tzinfo is not None for a in plan.acquisitions)
    assert json.loads(result.stdout)["acquisitions"][0]["start"].endswith("Z")
    assert sorted(p.name for p in out.iterdir()) == ["plan.html", "plan.json", "plan.png"]


def test_spacepool_plan_refuses_bad_input_with_one_line_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(FLOOD.read_text("utf-8").replace("dlr = 0.3", "dlr = 0.2"), "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["plan", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    # Rich wraps the line at the terminal width: compare the words
    assert " ".join(result.stderr.split()) == (
        "error: entitlements: must sum to 1 (within 1e-09), got 0.9 (esa 0.4, asi 0.3, dlr 0.2)"
    )
    assert not out.exists()
    result = CliRunner().invoke(app, ["plan", str(FLOOD), "--solver", "gurobi"])
    assert result.exit_code == 2
    assert "expected one of cpsat, heuristic, got 'gurobi'" in result.stderr
