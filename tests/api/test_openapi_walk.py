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

# The registry, request and plan routes: path values point at data csa may not see
# (nasa's request, a plan without csa's work) or at public records; the engine routes
# get a valid query; POST bodies are what csa might try.
HIDDEN_REQUEST = "nasa-walk-secret"
WALK_PLAN = "walk-plan"
_WINDOW = {"start": "2026-06-01T00:00:00Z", "end": "2026-06-01T03:00:00Z"}
PATH_VALUES = {
    "{partner_id}": "nasa",
    "{agreement_id}": "eo-pool",
    "{kind}": "station",
    "{asset_id}": "kiruna",
    "{norad_id}": "25544",
    "{request_id}": HIDDEN_REQUEST,
    "{plan_id}": WALK_PLAN,
    "{activation_id}": "walk-hidden-activation",  # exists for nobody: 404 to all
}
_PASSES_QUERY = f"?station=kiruna&start={_WINDOW['start']}&end={_WINDOW['end']}"
QUERIES = {"/passes": _PASSES_QUERY, "/passes.csv": _PASSES_QUERY, "/passes.ics": _PASSES_QUERY}
_NASA_REQUEST = {
    "id": HIDDEN_REQUEST,
    "target": {"lat": 42.0, "lon": -93.5},
    "window": _WINDOW,
    "value": 3,
}
_ISS_TLE = (
    "ISS (ZARYA)\n"
    "1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927\n"
    "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537\n"
)
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/partners"): {"id": "walker", "name": "Walker"},
    ("POST", "/element-sets"): {"format": "tle", "text": _ISS_TLE},  # nasa's ISS
    ("POST", "/requests"): _NASA_REQUEST,  # nasa's request id, claimed by csa
    ("POST", "/plans"): {**_WINDOW, "solver": "heuristic", "time_limit_s": 1},
    ("POST", "/access"): {"target": {"lat": 45.0, "lon": 11.0}, **_WINDOW},
    # csa raising an activation for nasa; reporting an acquisition to a hidden one
    ("POST", "/activations"): {
        "aoi": {"type": "Point", "coordinates": [11.0, 45.0]},
        "radius_km": 10,
        "type": "flood",
        "event_time": _WINDOW["start"],
        "partner": "nasa",
        "horizon_hours": 1,
    },
    ("POST", "/activations/{activation_id}/acquisitions"): {
        "satellite": "csg-1",
        "instrument": "csg-sar",
        "start": "2026-06-01T01:00:00Z",
        "end": "2026-06-01T01:00:10Z",
    },
}
# What csa gets from partner operations that are not about STAC items.
OUTSIDER_STATUS = {
    ("GET", "/requests"): 200,
    ("GET", "/requests/{request_id}"): 404,
    ("POST", "/requests"): 409,
    ("POST", "/element-sets"): 403,
    ("GET", "/plans"): 200,
    ("GET", "/plans/{plan_id}"): 200,
    ("POST", "/activations"): 403,
    ("POST", "/activations/{activation_id}/acquisitions"): 404,
}


@pytest.fixture(scope="module")
def world(module_database_url: str) -> Iterator[World]:
    for world in build_world(module_database_url):
        _add_registry(world)
        yield world


def _add_registry(world: World) -> None:
    """The bundled consortium, one nasa request and a plan over it."""
    from spacepool.consortium import load_consortium
    from spacepool.store.registry import load_consortium_into

    load_consortium_into(world.client.app.state.store, load_consortium(), now=BEFORE)
    for url, label, body in (
        ("/requests", "nasa", _NASA_REQUEST),
        ("/plans", "admin", {**BODIES[("POST", "/plans")], "id": WALK_PLAN}),
    ):
        response = world.client.post(url, json=body, headers=world.headers(label))
        assert response.status_code == 201, response.text


def _registry_leaks(path: str, payload: Any) -> list[str]:
    """Another partner's request in what csa received."""
    text = json.dumps(payload)
    problems = [f"{path}: mentions {HIDDEN_REQUEST}"] if HIDDEN_REQUEST in text else []
    if path == "/requests":
        problems += [f"{path}: {r['id']}" for r in payload["items"] if r["partner"] != "csa"]
    if path == "/plans/{plan_id}":
        plan = payload["plan"]
        problems += [
            f"{path}: {a['candidate']}"
            for a in [*plan["acquisitions"], *plan["unserved"]]
            if a["partner"] != "csa"
        ]
    return problems


def _operations(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    spec = world.client.get("/openapi.json").json()
    return [
        (method.upper(), path, operation)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    ]


def _url(path: str) -> str:
    url = path.replace("{collection_id}", HIDDEN[0]).replace("{item_id}", HIDDEN[1])
    for name, value in PATH_VALUES.items():
        url = url.replace(name, value)
    return url + QUERIES.get(path, "")


def _body(method: str, path: str) -> dict[str, Any] | None:
    if method in ("GET", "DELETE"):
        return None
    if (method, path) in BODIES:
        return dict(BODIES[(method, path)])
    if path.endswith("/search"):
        return {"limit": 100}
    if "/items" in path:
        return item_doc(HIDDEN[1], access="open")
    return collection_doc(HIDDEN[0])


REGISTRY_LISTS = ("/partners", "/requests", "/plans", "/element-sets", "/activations")


def _state(world: World) -> str:
    response = world.client.get("/stac/search?limit=10000", headers=world.headers("admin"))
    collections = world.client.get("/stac/collections").json()["collections"]
    # The registry routes only ever add records: their counts show any change.
    registry = [
        world.client.get(f"{url}?limit=1", headers=world.headers("admin")).json()["total"]
        for url in REGISTRY_LISTS
    ]
    return json.dumps([response.json()["features"], collections, registry], sort_keys=True)


def _json(response: Any) -> Any:
    """The JSON body, or None for other media (CSV, iCalendar, HTML exports)."""
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.json()
    return None


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
                for key in _visible_items_in(_json(response)):
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
                elif (method, path) in OUTSIDER_STATUS:
                    assert response.status_code == OUTSIDER_STATUS[(method, path)], where
                    if response.status_code == 200:
                        assert _registry_leaks(path, response.json()) == [], where
                elif method in ("PUT", "DELETE"):
                    assert response.status_code == 404, where
                else:  # POST of an item whose id exists under another owner
                    assert response.status_code == 409, where
            assert _state(world) == before, f"{where} changed the database"
            checked += 1
    assert checked == 2 * len(_operations(world))
