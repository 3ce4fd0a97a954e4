"""The engine demo: runs offline, writes its files, and its numbers agree with each other."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from spacepool.cli import app


def test_demo_writes_a_consistent_summary_and_a_plot(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--hours", "12"])
    assert result.exit_code == 0, result.output
    assert "hours to first image" in result.stdout
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert (out / "ground-tracks.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    assert summary["spacecraft"] == 31 and summary["stations"] == 20
    assert summary["contacts"]["count"] == sum(summary["contacts"]["per_station"].values())
    assert summary["imaging_opportunities"]["count"] == sum(
        summary["imaging_opportunities"]["per_partner"].values()
    )
    assert summary["failures"] == [] and summary["age_warnings"] == []
    # The pool is never later than any partner alone, and never misses a site a
    # partner reaches.
    for target in {r["target"] for r in summary["revisit"]}:
        rows = {r["group"]: r for r in summary["revisit"] if r["target"] == target}
        pool = rows.pop("pool")["time_to_first_access_s"]
        alone = [r["time_to_first_access_s"] for r in rows.values()]
        reached = [t for t in alone if t is not None]
        if reached:
            assert pool is not None and pool <= min(reached)


def test_demo_rejects_a_bad_start_time_with_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path), "--start", "soon"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: start: expected an ISO 8601 time such as 2026-05-31T06:00:00Z, found 'soon'"
    )
    assert not (tmp_path / "summary.json").exists()
