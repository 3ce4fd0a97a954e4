"""From scenario files to plans with the access engine, and the ``spacepool plan``
command."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
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


BAD_FILES = [
    # (replacement in the flood example, message after "error: <file>: ", reason)
    (
        ("dlr = 0.3", "dlr = 0.2"),
        "entitlements: must sum to 1 (within 1e-09), got 0.9 (esa 0.4, asi 0.3, dlr 0.2)",
        "entitlements do not sum to 1",
    ),
    (
        ('partner = "dlr"\ntarget', 'partner = "bsa"\ntarget'),
        "requests[2].partner: unknown partner 'bsa'; known partners: asi, cnes, csa, dlr, esa, "
        "isro, jaxa, nasa, roscosmos, usgs",
        "unknown partner",
    ),
    (
        ('satellite = "terrasar-x"', 'satellite = "terrasar-y"'),
        "blocked[0].satellite: unknown spacecraft 'terrasar-y'; known spacecrafts: alos-2, "
        "alos-4, aqua, csg-1, csg-2, enmap, eos-04, gcom-c, iss, landsat-8, landsat-9, nisar, "
        "pleiades-1a, pleiades-1b, prisma, rcm-1, rcm-2, rcm-3, resourcesat-2a, resurs-p4, "
        "resurs-p5, sentinel-1a, sentinel-1c, sentinel-2a, sentinel-2b, sentinel-2c, "
        "sentinel-3a, sentinel-3b, tandem-x, terra ...",
        "unknown asset",
    ),
    (
        (
            "[[[10.5, 44.8], [12.2, 44.8], [12.2, 45.3], [10.5, 45.3], [10.5, 44.8]]]",
            "[[[10.0, 44.0], [12.0, 45.0], [12.0, 44.0], [10.0, 45.0], [10.0, 44.0]]]",
        ),
        "requests[0].target.area.coordinates: invalid polygon: Self-intersection[11 44.5]; "
        "fix the rings so that their edges do not cross",
        "invalid area",
    ),
    (
        ("end = 2026-06-02T00:00:00Z\n\n", "end = 2026-06-20T00:00:00Z\n\n"),
        "horizon.end: outside the validity of the consortium's elements: Sentinel-1A (39634): "
        "elements used 21.0 days after their epoch 2026-05-30T00:00:00Z (limit 14 days); "
        "positions may be off by tens of km: load newer elements",
        "horizon beyond the elements' validity",
    ),
]


@pytest.mark.parametrize(
    ("change", "message", "reason"), BAD_FILES, ids=[case[-1] for case in BAD_FILES]
)
def test_spacepool_plan_refuses_a_bad_file_in_one_line_and_leaves_the_out_dir_untouched(
    tmp_path: Path, change: tuple[str, str], message: str, reason: str
) -> None:
    text = FLOOD.read_text("utf-8")
    assert change[0] in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(*change, 1), "utf-8")
    out = tmp_path / "out"
    out.mkdir()
    old = out / "plan.json"
    old.write_text('{"an": "earlier plan"}\n', "utf-8")
    before = [(p.name, p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(out.iterdir())]
    result = CliRunner().invoke(app, ["plan", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    # Rich wraps the line at the terminal width: compare the words
    assert " ".join(result.stderr.split()) == " ".join(f"error: {bad}: {message}".split())
    assert result.stdout == ""
    after = [(p.name, p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(out.iterdir())]
    assert after == before
    fresh = tmp_path / "fresh"
    result = CliRunner().invoke(app, ["plan", str(bad), "--out", str(fresh)])
    assert result.exit_code == 2
    assert not fresh.exists()


def test_spacepool_plan_refuses_bad_options_before_planning(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["plan", str(FLOOD), "--solver", "gurobi"])
    assert result.exit_code == 2
    assert "expected one of cpsat, heuristic, got 'gurobi'" in result.stderr
    taken = tmp_path / "taken"
    taken.write_text("a file, not a folder", "utf-8")
    result = CliRunner().invoke(app, ["plan", str(FLOOD), "--out", str(taken)])
    assert result.exit_code == 2
    assert "is a file, not a folder" in " ".join(result.stderr.split())
    assert taken.read_text("utf-8") == "a file, not a folder"


SHARED_TLE = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "tle"
ONE_DAY = {
    "consortium": "bundled",
    "horizon": {"start": "2026-06-01T00:00:00Z", "end": "2026-06-02T00:00:00Z"},
    "requests": [
        {
            "id": "verona",
            "partner": "esa",
            "target": {"lat": 45.44, "lon": 10.99},
            "window": {"start": "2026-06-01T00:00:00Z", "end": "2026-06-02T00:00:00Z"},
            "requirements": {"kinds": ["optical"], "max_resolution_m": 10},
        }
    ],
}


def test_old_and_failing_element_sets_become_warnings_of_the_instance_and_the_plan() -> None:
    tle = SHARED_TLE / "celestrak_active_2026-05-07.tle"
    if not tle.is_file():
        pytest.skip(f"shared element sets not found: {tle}")
    from dataclasses import replace
    from datetime import UTC, datetime

    from spacepool.orbits.tle import load_tle
    from spacepool.planning import Scenario

    scenario = Scenario.from_dict(ONE_DAY)
    old = next(e for e in load_tle(tle).elements if e.norad_id == 42063)  # Sentinel-2B
    # Sentinel-2A made to re-enter: SGP4 stops it with error 6 about 9 h into the day
    nominal = scenario.consortium.spacecraft("sentinel-2a").element_set()
    falling = replace(
        nominal,
        epoch=datetime(2026, 6, 1, tzinfo=UTC),
        mean_motion_rev_per_day=16.4,
        bstar=0.5,
    )
    instance = build_instance(scenario, elements={42063: old, 40697: falling})
    assert instance.warnings == (
        "element age: SENTINEL-2B (42063): elements used 25.3 days after their epoch "
        "2026-05-07T17:13:52Z (limit 14 days); positions may be off by tens of km: load "
        "newer elements",
        "propagation: Sentinel-2A (40697): SGP4 error 6 (mean motion has decayed below the "
        "Earth's surface (satellite has decayed)); its opportunities and contacts after the "
        "failure are missing",
    )
    assert Instance.from_dict(instance.to_dict()) == instance
    plan = plan_from_candidates(instance, solver="heuristic", time_limit_s=1.0)
    assert plan.warnings == instance.warnings
    assert plan.to_dict()["warnings"] == list(instance.warnings)
    assert Plan.from_dict(plan.to_dict()) == plan
    # the nominal elements give no warning
    assert build_instance(scenario).warnings == ()


def test_spacepool_plan_prints_the_warnings_and_writes_them_in_the_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    import spacepool.planning.build as build

    real = build.plan_scenario

    def warned(*args: object, **kwargs: object) -> Plan:
        return replace(real(*args, **kwargs), warnings=("element age: an example",))  # type: ignore[arg-type]

    monkeypatch.setattr(build, "plan_scenario", warned)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["plan", str(FLOOD), "--solver", "heuristic", "--time-limit", "1", "--format", "json",
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr == "warning: element age: an example\n"
    assert json.loads(result.stdout)["warnings"] == ["element age: an example"]
    assert json.loads((out / "plan.json").read_text("utf-8"))["warnings"] == [
        "element age: an example"
    ]
    assert "element age: an example" in (out / "plan.html").read_text("utf-8")


def test_the_fraction_only_search_of_the_build_gives_the_full_search_s_fractions() -> None:
    from spacepool.access.imaging import find_opportunities
    from spacepool.planning.requests import AreaTarget

    scenario = load_scenario(FLOOD)
    areas = [
        r.target.to_access(r.id) for r in scenario.requests if isinstance(r.target, AreaTarget)
    ]
    elements = [sc.element_set() for sc in scenario.consortium.fleet]

    def search(shapes: bool) -> list[object]:
        found = find_opportunities(
            elements,
            areas,
            scenario.start,
            scenario.end,
            max_off_nadir_deg=30.0,
            covered_shapes=shapes,
        )
        return list(found)

    full, fast = search(True), search(False)
    assert areas and len(full) > 3
    assert all(o.covered is not None for o in full)  # type: ignore[attr-defined]
    assert all(o.covered is None for o in fast)  # type: ignore[attr-defined]
    assert any(0.0 < o.covered_fraction < 1.0 for o in full)  # type: ignore[attr-defined]
    # Opportunity equality leaves the covered part out and compares the fraction exactly
    assert fast == full
