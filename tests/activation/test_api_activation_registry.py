"""``POST /activations`` plans with the registry, on SQLite and PostgreSQL: its
partners, spacecraft, stations and agreements, each spacecraft on its newest stored
element set, so a live activation months after the bundled consortium's nominal
epoch is planned once partners upload current elements; an empty registry falls back
to the bundled consortium and the activation says so."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import shapely.geometry
from activation_factory import ROMAGNA, consortium
from fastapi.testclient import TestClient

from spacepool.api import create_app
from spacepool.store import Store
from spacepool.store.keys import create_api_key
from spacepool.store.registry import load_consortium_into, registry_consortium

# Six months after the bundled consortium's epoch (2026-05-30): its nominal
# elements are far beyond their 14-day validity here.
NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
LOADED = datetime(2026, 11, 1, tzinfo=UTC)
FRESH_EPOCH = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
FRESH = "2026-11-25T00:00:00.000Z"
EVENT = "2026-11-26T00:00:00Z"


@dataclass
class World:
    client: TestClient
    store: Store
    keys: dict[str, str]

    def post(self, body: dict[str, object], who: str = "esa") -> tuple[int, dict[str, object]]:
        response = self.client.post(
            "/activations", json=body, headers={"Authorization": f"Bearer {self.keys[who]}"}
        )
        return response.status_code, response.json()


def fresh_tles() -> str:
    """Every pooled spacecraft's nominal elements moved to :data:`FRESH_EPOCH`, as
    three-line TLE text (what a partner uploads from its flight dynamics)."""
    lines = []
    for element in consortium().element_sets():
        moved = replace(element, epoch=FRESH_EPOCH, line1=None, line2=None)
        line1, line2 = moved.to_tle_lines()
        lines += [element.name, line1, line2]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def world(module_database_url: str) -> Iterator[World]:
    app = create_app(module_database_url, clock=lambda: NOW)
    store: Store = app.state.store
    load_consortium_into(store, consortium(), now=LOADED)
    with store.transaction() as session:
        keys = {
            "esa": create_api_key(session, partner_id="esa", admin=False, now=LOADED).key,
            "admin": create_api_key(session, partner_id=None, admin=True, now=LOADED).key,
        }
    with TestClient(app) as client:
        upload = client.post(
            "/element-sets",
            content=fresh_tles(),
            headers={"Authorization": f"Bearer {keys['admin']}", "Content-Type": "text/plain"},
        )
        assert upload.status_code == 201, upload.text
        yield World(client, store, keys)


def test_the_registry_reads_back_its_agreements_with_their_entitlements(world: World) -> None:
    with world.store.transaction() as session:
        rebuilt = registry_consortium(session, epoch=NOW)
    bundled = {a.id: a for a in consortium().agreements}
    assert sorted(a.id for a in rebuilt.agreements) == sorted(bundled)
    for agreement in rebuilt.agreements:
        loaded = bundled[agreement.id]
        # PostgreSQL's JSONB keeps no key order, so a fixed-share table may come back
        # with its members in another order: compare what does not depend on it.
        assert (agreement.name, agreement.kind, agreement.pool, agreement.basis) == (
            loaded.name,
            loaded.kind,
            loaded.pool,
            loaded.basis,
        )
        assert agreement.entitlements() == pytest.approx(loaded.entitlements(), abs=1e-12)


def test_a_live_activation_is_planned_on_the_uploaded_elements(world: World) -> None:
    body = {"aoi": ROMAGNA, "type": "flood", "event_time": EVENT, "horizon_hours": 6,
            "id": "live-1"}  # fmt: skip
    status, answer = world.post(body)
    assert status == 201, answer
    assert answer["warnings"] == []
    fleet = consortium().fleet
    # The registry lists its spacecraft by id.
    assert answer["elements"] == [
        {"satellite": sc.id, "norad_id": sc.norad_id, "epoch": FRESH, "source": "tle"}
        for sc in sorted(fleet, key=lambda sc: sc.id)
    ]
    plan = world.client.get(
        "/activations/live-1/plan", headers={"Authorization": f"Bearer {world.keys['esa']}"}
    ).json()
    assert plan["acquisitions"], "a 6-h flood activation over Romagna finds acquisitions"
    assert all(a["start"] >= "2026-11-26T00:00:00" for a in plan["acquisitions"])
    # The explicit charge comes from the registry's Earth-observation agreement.
    shares = consortium().agreement("eo-pool").entitlements()
    charged = {a["partner"]: a["entitlement"] for a in plan["accounts"]}
    assert charged == pytest.approx({p: shares.get(p, 0.0) for p in charged}, abs=1e-9)
    summary = world.client.get(
        "/activations/live-1/summary", headers={"Authorization": f"Bearer {world.keys['esa']}"}
    ).json()
    assert summary["elements"] == answer["elements"] and summary["warnings"] == []
    assert summary["value_of_cooperation"]["pool"]["acquisitions"] >= 1
    # A reported acquisition's footprint is computed on the elements the plan used:
    # it covers the flooded area (nominal elements six months stale would not).
    first = plan["acquisitions"][0]
    report = {key: first[key] for key in ("satellite", "instrument", "start", "end")}
    made = world.client.post(
        "/activations/live-1/acquisitions",
        json=report,
        headers={"Authorization": f"Bearer {world.keys['admin']}"},
    )
    assert made.status_code == 201, made.text
    strip = shapely.geometry.shape(made.json()["product"]["footprint"])
    assert strip.intersects(shapely.geometry.shape(ROMAGNA))


def test_an_activation_only_stale_elements_could_serve_is_refused_naming_the_field(
    world: World,
) -> None:
    # August: 102 days before the uploaded epoch, 77 after the nominal one.
    body = {"aoi": ROMAGNA, "type": "flood", "event_time": "2026-08-15T00:00:00Z",
            "horizon_hours": 6}  # fmt: skip
    status, answer = world.post(body)
    assert (status, answer) == (
        400,
        {
            "code": "invalid_activation",
            "description": "event_time: outside the validity of the consortium's elements: "
            "ALOS-2 (39766): elements used 102.0 days before their epoch "
            "2026-11-25T00:00:00Z (limit 14 days); positions may be off by tens of km: load "
            "newer elements",
        },
    )


def test_an_empty_registry_falls_back_to_the_bundled_consortium_with_a_warning(
    tmp_path: Path,
) -> None:
    june = datetime(2026, 6, 1, 12, tzinfo=UTC)
    app = create_app(f"sqlite:///{tmp_path / 'db.sqlite'}", clock=lambda: june)
    with app.state.store.transaction() as session:
        key = create_api_key(session, partner_id=None, admin=True, now=june).key
    body = {"aoi": ROMAGNA, "type": "flood", "event_time": "2026-06-01T03:00:00Z",
            "horizon_hours": 6}  # fmt: skip
    with TestClient(app) as client:
        response = client.post(
            "/activations", json=body, headers={"Authorization": f"Bearer {key}"}
        )
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["warnings"] == [
        "the registry holds no spacecraft: planned with the "
        f"{consortium().name!r} consortium on its nominal element sets; run 'spacepool "
        "consortium load' and upload current element sets (POST /element-sets)"
    ]
    assert {e["source"] for e in answer["elements"]} == {"nominal"}
    assert {e["epoch"] for e in answer["elements"]} == {"2026-05-30T00:00:00.000Z"}
