"""The main job end to end (on a short horizon): it runs offline, writes its files, and
its numbers agree with each other."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import shapely
from typer.testing import CliRunner

from spacepool._reading import parse_time
from spacepool.activation.model import ACTIVATION
from spacepool.cli import app
from spacepool.consortium import load_consortium
from spacepool.demo import DEMO_AREA, DEMO_EVENT_TIME

HORIZON_HOURS = 12.0


def t(text: str) -> datetime:
    return parse_time(text, "time", dialect=ACTIVATION)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(
        app, ["demo", "--out", str(out), "--horizon-hours", str(HORIZON_HOURS)]
    )
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    return result, out, summary


def test_demo_prints_a_short_summary_and_writes_its_files(demo: tuple) -> None:
    result, out, summary = demo
    assert result.exit_code == 0, result.output
    assert "hours to first acquisition: the pool vs each partner alone" in result.stdout
    assert f"activation {summary['activation_id']}" in result.stdout
    written = {"report.html", "spacepool.sqlite", "summary.json"}
    sqlite_sidecars = {"spacepool.sqlite-wal", "spacepool.sqlite-shm"}
    assert written <= {p.name for p in out.iterdir()} <= written | sqlite_sidecars
    page = (out / "report.html").read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    # Self-contained: nothing is fetched from elsewhere.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)


def test_summary_has_every_field_of_the_main_job(demo: tuple) -> None:
    _, _, summary = demo
    partners = [p.id for p in load_consortium().partners]
    assert summary["activation_id"] == "romagna-flood-demo"
    assert summary["area"] == DEMO_AREA
    assert summary["event_time"] == "2026-06-01T03:00:00.000Z" == DEMO_EVENT_TIME[:-1] + ".000Z"
    assert t(summary["planned_at"]) > t(summary["event_time"])
    assert summary["compute_seconds"] > 0.0
    assert set(summary["first_acquisition"]) >= {"time", "partner", "satellite", "instrument"}
    assert summary["first_delivery_time"] is not None
    assert list(summary["hours_to_first_acquisition"]) == ["pool", *partners]
    assert summary["acquisitions"] >= 1
    assert summary["products_published"] == summary["acquisitions"]
    assert [row["partner"] for row in summary["accounting"]] == sorted(partners)


def test_the_pool_is_never_later_than_any_partner_alone(demo: tuple) -> None:
    _, _, summary = demo
    hours = dict(summary["hours_to_first_acquisition"])
    pool = hours.pop("pool")
    reached = [h for h in hours.values() if h is not None]
    assert reached, "some partner reaches the Romagna plain within 12 h"
    assert pool is not None and pool <= min(reached)
    assert pool == min(reached)  # the pool's first is some partner's first


def test_every_product_lies_over_the_area_inside_the_horizon(demo: tuple) -> None:
    _, _, summary = demo
    area = shapely.geometry.shape(summary["area"])
    start, end = t(summary["horizon"]["start"]), t(summary["horizon"]["end"])
    assert end - start == timedelta(hours=HORIZON_HOURS)
    assert summary["products"]
    for product in summary["products"]:
        assert shapely.geometry.shape(product["footprint"]).intersects(area), product["id"]
        assert start <= t(product["start"]) < t(product["end"]) <= end
        assert t(product["end"]) <= t(product["delivered"]) <= t(product["published"])
    first = min(summary["products"], key=lambda p: p["start"])
    assert summary["first_acquisition"]["time"] == first["start"]
    assert summary["first_acquisition"]["satellite"] == first["satellite"]
    assert summary["first_delivery_time"] == min(p["delivered"] for p in summary["products"])


def test_every_acquisition_has_a_downlink_before_its_delivery(demo: tuple) -> None:
    _, _, summary = demo
    assert len(summary["schedule"]) == summary["acquisitions"]
    for row in summary["schedule"]:
        downlink = row["downlink"]
        assert downlink is not None, row
        assert t(row["end"]) <= t(downlink["start"]) < t(downlink["end"]) <= t(row["delivered"])
        assert downlink["station_owner"] in {p["partner"] for p in summary["accounting"]}


def test_the_charge_adds_up_to_the_value_delivered(demo: tuple) -> None:
    _, _, summary = demo
    rows = summary["accounting"]
    delivered = sum(r["value_delivered"] for r in rows)
    assert sum(r["activation_charge"] for r in rows) == pytest.approx(delivered, abs=1e-4)
    assert sum(r["products_published"] for r in rows) == summary["products_published"]


def test_demo_products_are_in_the_embedded_catalogue(demo: tuple) -> None:
    from spacepool.catalog.access import Viewer
    from spacepool.store import Store
    from spacepool.store.search import ItemQuery, search_items

    _, out, summary = demo
    store = Store(f"sqlite:///{out / 'spacepool.sqlite'}")
    try:
        with store.transaction() as session:
            now = t(summary["event_time"])
            page = search_items(
                session,
                Viewer.partner("csa"),
                now,
                ItemQuery(collections=("activations",), limit=100),
            )
            hidden = search_items(
                session, Viewer.anonymous(), now, ItemQuery(collections=("activations",), limit=100)
            )
    finally:
        store.close()
    assert sorted(i.id for i in page.items) == sorted(p["id"] for p in summary["products"])
    assert hidden.number_matched == 0  # consortium policy, embargoed for a week


def test_demo_rejects_a_bad_horizon_with_one_line_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--horizon-hours", "0"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: horizon_hours: must be >= 1, got 0"
    assert not out.exists()
