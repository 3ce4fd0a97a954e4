"""``spacepool activate``: plans and stores an activation; a bad one prints one red
line, exits 2 and writes nothing (no output files, no database)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from activation_factory import EVENT, ROMAGNA, SQUARE
from typer.testing import CliRunner

from spacepool.catalog.access import Viewer
from spacepool.cli import app
from spacepool.store import Store
from spacepool.store.activations import get_activation, list_activations


def run(tmp_path: Path, aoi: Any, *args: str) -> Any:
    path = tmp_path / "aoi.geojson"
    path.write_text(json.dumps(aoi) if not isinstance(aoi, str) else aoi, encoding="utf-8")
    return CliRunner().invoke(app, ["activate", "--aoi", str(path), *args])


def test_activate_plans_stores_and_writes_the_summary(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite"
    out = tmp_path / "out"
    result = run(
        tmp_path, ROMAGNA, "--type", "flood", "--at", EVENT, "--partner", "asi",
        "--horizon-hours", "6", "--access", "partners", "--shared-with", "esa",
        "--database", f"sqlite:///{database}", "--out", str(out), "--format", "json",
        "--simulate",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["partner"] == "asi" and summary["type"] == "flood"
    assert summary["access"] == {
        "policy": "partners",
        "shared_with": ["esa"],
        "embargo_until": None,
    }
    assert summary["acquisitions"] >= 1
    assert summary["products_published"] == summary["acquisitions"]
    assert summary["received_at"] == "2026-06-01T03:00:00.000Z"
    assert json.loads((out / "summary.json").read_text("utf-8")) == summary
    assert json.loads((out / "plan.json").read_text("utf-8"))["status"] == "optimal"
    assert (out / "report.html").read_text("utf-8").startswith("<!DOCTYPE html>")
    store = Store(f"sqlite:///{database}")
    try:
        with store.transaction() as session:
            record = get_activation(
                session, Viewer.partner("esa"), _now(), summary["activation_id"]
            )
            assert record.state == "completed"
            _, hidden = list_activations(
                session, Viewer.partner("nasa"), _now(), limit=10, offset=0
            )
            assert hidden == 0
    finally:
        store.close()


def test_activate_prints_a_short_table(tmp_path: Path) -> None:
    result = run(
        tmp_path, {"type": "Point", "coordinates": [12.0, 44.3]}, "--radius-km", "20",
        "--type", "earthquake", "--at", "2026-06-01T10:00:00Z", "--horizon-hours", "4",
        "--database", f"sqlite:///{tmp_path / 'db.sqlite'}",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "hours to first acquisition" in result.stdout
    assert "who pays" in result.stdout


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


# (case, aoi, options, the one line on stderr)
BAD = [
    ("self-intersecting area",
     {"type": "Polygon", "coordinates": [[[12.0, 44.0], [12.5, 44.5], [12.5, 44.0], [12.0, 44.5], [12.0, 44.0]]]},
     ["--type", "flood", "--at", EVENT],
     "error: aoi.coordinates: invalid polygon: Self-intersection[12.25 44.25]; fix the rings "
     "so that their edges do not cross"),
    ("clockwise ring", {"type": "Polygon", "coordinates": [SQUARE[::-1]]},
     ["--type", "flood", "--at", EVENT],
     "error: aoi.coordinates[0]: the exterior ring runs clockwise; RFC 7946 (section 3.1.6) "
     "wants it counterclockwise, and positions as [longitude, latitude] (section 3.1.1): a "
     "ring written as [latitude, longitude] also turns clockwise. Reverse the ring, or swap "
     "the two numbers of every position"),
    ("beyond element validity", ROMAGNA, ["--type", "flood", "--at", "2027-01-01T00:00:00Z"],
     "error: event_time: outside the validity of the consortium's elements: Sentinel-1A "
     "(39634): elements used 216.0 days after their epoch 2026-05-30T00:00:00Z (limit 14 "
     "days); positions may be off by tens of km: load newer elements"),
    ("unknown type", ROMAGNA, ["--type", "meteor", "--at", EVENT],
     "error: type: unknown disaster type 'meteor'; known types: flood, fire, earthquake, "
     "cyclone, storm, hurricane, typhoon, volcano, landslide, oil_spill, tsunami, ice, snow, "
     "explosion, industrial_accident"),
    ("unknown partner", ROMAGNA, ["--type", "flood", "--at", EVENT, "--partner", "nsa"],
     "error: partner: unknown partner 'nsa'; known partners: asi, cnes, csa, dlr, esa, isro, "
     "jaxa, nasa, roscosmos, usgs"),
    ("not JSON", "{oops", ["--type", "flood", "--at", EVENT],
     "error: aoi: {aoi} is not JSON: Expecting property name enclosed in double quotes "
     "(line 1, column 2)"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "aoi", "options", "line"), BAD, ids=[b[0] for b in BAD])
def test_bad_activation_prints_one_line_and_writes_nothing(
    tmp_path: Path, case: str, aoi: Any, options: list[str], line: str
) -> None:
    database = tmp_path / "db.sqlite"
    out = tmp_path / "out"
    result = run(tmp_path, aoi, *options, "--database", f"sqlite:///{database}", "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr.strip() == line.format(aoi=tmp_path / "aoi.geojson")
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["aoi.geojson"]


def test_notify_once_keeps_undeliverable_entries_pending(tmp_path: Path) -> None:
    import socket

    database = f"sqlite:///{tmp_path / 'db.sqlite'}"
    made = run(
        tmp_path, ROMAGNA, "--type", "flood", "--at", EVENT, "--horizon-hours", "2",
        "--database", database, "--format", "json",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    with socket.socket() as probe:  # a local port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(
        app, ["notify", f"http://127.0.0.1:{port}/hook", "--once", "--database", database]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "0 delivered, 3 failed; outbox: 3 pending, 0 delivered\n"


def test_notify_refuses_a_url_that_is_not_http(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["notify", "ftp://example.org/hook", "--once"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: webhook: expected an http:// or https:// URL, got 'ftp://example.org/hook'"
    )
