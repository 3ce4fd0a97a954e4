"""Plan records, files and charts; the public names of the package."""

from __future__ import annotations

import doctest
import json
import re
from pathlib import Path

import pytest
from planning_factory import cand, demand, instance

import spacepool.planning
from spacepool.errors import ScenarioError
from spacepool.planning import Plan, plan_from_candidates, write_plan
from spacepool.planning.gantt import gantt_png, plan_html


def small_plan() -> Plan:
    inst = instance(
        [demand("r1", "esa", 2.0), demand("r2", "nasa", 1.0), demand("r3", "nasa", 1.0)],
        [cand("c1", "r1", 100.0, value=2.0), cand("c2", "r2", 105.0), cand("c3", "r3", 500.0)],
        entitlements={"esa": 0.5, "nasa": 0.5},
    )
    return plan_from_candidates(inst, time_limit_s=2.0)


def test_plan_round_trips_through_json() -> None:
    plan = small_plan()
    data = json.loads(json.dumps(plan.to_dict()))
    assert Plan.from_dict(data) == plan
    assert data["acquisitions"][0]["start"] == "2026-06-01T00:01:40.000Z"
    assert data["unserved"] == [
        {
            "demand": "r2",
            "request": "r2",
            "partner": "nasa",
            "reason": "conflict",
            "message": "conflict with c1 (r1 of esa on s1/i1) (overlap or transition time)",
            "related": ["c1"],
        }
    ]


def test_write_plan_writes_json_html_and_png(tmp_path: Path) -> None:
    plan = small_plan()
    written = write_plan(plan, tmp_path / "out", formats=("json", "html", "png"))
    assert [p.name for p in written] == ["plan.json", "plan.html", "plan.png"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "plan.html",
        "plan.json",
        "plan.png",
    ]
    assert Plan.from_dict(json.loads((tmp_path / "out" / "plan.json").read_text())) == plan


def test_a_failure_while_rendering_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(plan: Plan) -> bytes:
        raise RuntimeError("renderer failed")

    monkeypatch.setattr("spacepool.planning.gantt.gantt_png", broken)
    with pytest.raises(RuntimeError):
        write_plan(small_plan(), tmp_path / "out", formats=("json", "html", "png"))
    assert not (tmp_path / "out").exists()
    with pytest.raises(ScenarioError) as caught:
        write_plan(small_plan(), tmp_path / "out", formats=("json", "pdf"))
    assert str(caught.value) == "formats: must be among json, html, png, got 'pdf'"
    assert not (tmp_path / "out").exists()


def test_gantt_png_is_a_png_and_the_html_report_is_self_contained() -> None:
    plan = small_plan()
    assert gantt_png(plan)[:8] == b"\x89PNG\r\n\x1a\n"
    page = plan_html(plan)
    assert "<svg" in page
    # only references inside the page (the SVG's own "#id" links)
    assert all(link.startswith("#") for link in re.findall(r'(?:href|src)="([^"]*)"', page))
    for tag in ("<script", "<link", "@import", "<img"):
        assert tag not in page
    for text in ("conflict with c1", "fairness", "esa", "dl-k-s1"):
        assert text in page


def test_every_bar_of_the_gantt_chart_is_visible_and_starts_at_its_time() -> None:
    from spacepool.planning.gantt import MIN_BAR_SHARE, _figure

    plan = small_plan()
    axes = _figure(plan).axes[0]
    bars = [path.get_extents() for bars in axes.collections for path in bars.get_paths()]
    starts_h = sorted(x.start_s / 3600.0 for x in (*plan.acquisitions, *plan.downlinks))
    assert sorted(bar.x0 for bar in bars) == pytest.approx(starts_h, abs=1e-9)
    horizon_h = plan.horizon_s / 3600.0
    assert min(bar.width for bar in bars) >= MIN_BAR_SHARE * horizon_h * (1 - 1e-9)
    # a bar longer than the minimum keeps its true length
    longest = max(x.end_s - x.start_s for x in (*plan.acquisitions, *plan.downlinks))
    if longest > MIN_BAR_SHARE * plan.horizon_s:
        assert max(bar.width for bar in bars) == pytest.approx(longest / 3600.0)


def test_the_package_exports_its_documented_names() -> None:
    assert spacepool.planning.__all__ == [
        "FAIRNESS_MODES",
        "REASONS",
        "SOLVERS",
        "URGENCIES",
        "Acquisition",
        "AreaTarget",
        "Block",
        "Candidate",
        "Demand",
        "Downlink",
        "Instance",
        "OwnerBlock",
        "PartnerAccount",
        "Plan",
        "PointTarget",
        "Request",
        "Requirements",
        "Satellite",
        "Scenario",
        "SpacecraftPlanning",
        "Stage",
        "StationContact",
        "Unserved",
        "load_scenario",
        "plan_from_candidates",
        "write_plan",
    ]
    for name in spacepool.planning.__all__:
        assert hasattr(spacepool.planning, name)


def test_the_package_docstring_example_runs() -> None:
    result = doctest.testmod(spacepool.planning, raise_on_error=False)
    assert result.attempted > 0
    assert result.failed == 0


def test_unknown_solver_is_refused() -> None:
    with pytest.raises(ScenarioError) as caught:
        plan_from_candidates(instance([], []), solver="gurobi")
    assert str(caught.value) == "solver: must be one of cpsat, heuristic, got 'gurobi'"


def test_the_python_example_in_the_planning_docs_runs(tmp_path: Path) -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "planning.md"
    blocks = re.findall(r"```python\n(.*?)```", docs.read_text("utf-8"), flags=re.DOTALL)
    assert blocks
    for block in blocks:
        exec(compile(block, str(docs), "exec"), {})
