"""Walk every operation in /openapi.json and check it against its declared role.

Every operation must declare ``x-spacepool-access``. ``public`` operations are
called as anonymous and as ``csa`` (a partner that owns nothing and is named
nowhere) with path ids pointing at an item neither may see: an answer carrying
items must hold only items the caller may see, and the hidden item itself must be
a 404. ``partner`` operations must refuse anonymous callers (401) and must not let
``csa`` change another partner's item; ``coordinator`` operations must refuse
anonymous (401) and partners (403). No call may change the database unless it is
the caller's own right. A new operation is covered as soon as it is declared.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from stac_world import BEFORE, World, build_world

from datastore_factory import collection_doc, item_doc
from spacepool.catalog.access import can_view

HIDDEN = ("eo", "nasa-owner-plain")  # only nasa (and the coordinator) may see it


@pytest.fixture(scope="module")
def world(module_database_url: str) -> Iterator[World]:
    yield from build_world(module_database_url)


def _operations(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    spec = world.client.get("/openapi.json").json()
    return [
        (method.upper(), path, operation)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    ]


def _url(path: str) -> str:
    return path.replace("{collection_id}", HIDDEN[0]).replace("{item_id}", HIDDEN[1])


def _body(method: str, path: str) -> dict[str, Any] | None:
    if method in ("GET", "DELETE"):
        return None
    if path.endswith("/search"):
        return {"limit": 100}
    if "/items" in path:
        return item_doc(HIDDEN[1], access="open")
    return collection_doc(HIDDEN[0])


def _state(world: World) -> str:
    response = world.client.get("/stac/search?limit=10000", headers=world.headers("admin"))
    collections = world.client.get("/stac/collections").json()["collections"]
    return json.dumps([response.json()["features"], collections], sort_keys=True)


def _visible_items_in(payload: Any) -> list[tuple[str, str]]:
    if isinstance(payload, dict) and payload.get("type") == "Feature":
        return [(payload["collection"], payload["id"])]
    if isinstance(payload, dict) and isinstance(payload.get("features"), list):
        return [(f["collection"], f["id"]) for f in payload["features"]]
    return []


def test_every_operation_declares_a_known_role(world: World) -> None:
    operations = _operations(world)
    assert len(operations) >= 16
    roles = {(m, p): op.get("x-spacepool-access") for m, p, op in operations}
    assert set(roles.values()) <= {"public", "partner", "coordinator"}, roles
    assert all(op.get("security") for _, _, op in operations)


def test_no_operation_gives_data_or_changes_to_the_wrong_role(world: World) -> None:
    world.clock.now = BEFORE
    specs = {(s.collection, s.id): s for s in world.items}
    checked = 0
    for method, path, operation in _operations(world):
        role = operation["x-spacepool-access"]
        url, body = _url(path), _body(method, path)
        for label in ("anonymous", "csa"):
            before = _state(world)
            response = world.client.request(method, url, json=body, headers=world.headers(label))
            where = f"{method} {path} as {label}"
            assert response.status_code < 500, where
            if role == "public":
                assert method in ("GET", "POST"), f"{where}: a public operation that writes"
                assert response.status_code in (200, 404), where
                for key in _visible_items_in(response.json()):
                    assert can_view(world.viewer(label), specs[key].access, world.clock.now), (
                        where,
                        key,
                    )
                if "{item_id}" in path:
                    assert response.status_code == 404, where
            elif label == "anonymous":
                assert response.status_code == 401, where
            elif role == "coordinator":
                assert response.status_code == 403, where
            else:
                assert role == "partner", where
                if path == "/audit/reads":
                    assert all(r["owner"] == "csa" for r in response.json()["reads"]), where
                elif method in ("PUT", "DELETE"):
                    assert response.status_code == 404, where
                else:  # POST of an item whose id exists under another owner
                    assert response.status_code == 409, where
            assert _state(world) == before, f"{where} changed the database"
            checked += 1
    assert checked == 2 * len(_operations(world))
