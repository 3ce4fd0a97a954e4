"""The bundled consortium in a fresh database behind the API, with API keys for
four partners and the coordinator, and optionally requests of three partners and a
plan over them: the world of the registry, request, plan and passes tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from spacepool.api import create_app
from spacepool.consortium import load_consortium
from spacepool.store import Store
from spacepool.store.keys import create_api_key
from spacepool.store.registry import load_consortium_into

NOW = datetime(2026, 6, 1, tzinfo=UTC)
PARTNERS = ["esa", "nasa", "jaxa", "csa"]  # csa submits nothing
VIEWERS = ["anonymous", "admin", *PARTNERS]
# Six hours: long enough for every request below to be served, short enough that a
# plan over the whole fleet takes well under a second.
WINDOW = {"start": "2026-06-01T00:00:00Z", "end": "2026-06-01T06:00:00Z"}

# Requests of three partners; the targets are far apart so that each can be served.
REQUESTS: list[dict[str, Any]] = [
    {"id": "esa-po-delta", "partner": "esa", "target": {"lat": 45.0, "lon": 12.3}, "value": 5},
    {"id": "esa-rhine", "partner": "esa", "target": {"lat": 51.9, "lon": 6.1}, "value": 2},
    {"id": "nasa-iowa", "partner": "nasa", "target": {"lat": 42.0, "lon": -93.5}, "value": 3},
    {"id": "jaxa-kanto", "partner": "jaxa", "target": {"lat": 35.7, "lon": 139.7}, "value": 4},
]
PLAN_ID = "day-one"


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class RegistryWorld:
    client: TestClient
    store: Store
    keys: dict[str, str]
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)

    def headers(self, label: str) -> dict[str, str]:
        return {} if label == "anonymous" else {"Authorization": f"Bearer {self.keys[label]}"}

    def get(self, url: str, label: str) -> Any:
        return self.client.get(url, headers=self.headers(label))

    def post(self, url: str, label: str, **kwargs: Any) -> Any:
        headers = {**kwargs.pop("headers", {}), **self.headers(label)}
        return self.client.post(url, headers=headers, **kwargs)

    def owner_of(self, request_id: str) -> str:
        return next(r["partner"] for r in self.requests if r["id"] == request_id)


def request_doc(spec: dict[str, Any]) -> dict[str, Any]:
    return {**spec, "window": dict(WINDOW)}


def build_registry_world(database_url: str, *, with_plan: bool = False) -> Iterator[RegistryWorld]:
    app = create_app(database_url, clock=Clock())
    store: Store = app.state.store
    load_consortium_into(store, load_consortium(), now=NOW)
    keys: dict[str, str] = {}
    with store.transaction() as session:
        for partner in PARTNERS:
            keys[partner] = create_api_key(session, partner_id=partner, admin=False, now=NOW).key
        keys["admin"] = create_api_key(session, partner_id=None, admin=True, now=NOW).key
    client = TestClient(app)
    world = RegistryWorld(client, store, keys, database_url)
    if with_plan:
        for spec in REQUESTS:
            response = world.post("/requests", spec["partner"], json=request_doc(spec))
            assert response.status_code == 201, response.text
            world.requests.append(spec)
        response = world.post(
            "/plans",
            "admin",
            json={**WINDOW, "id": PLAN_ID, "solver": "heuristic", "time_limit_s": 2},
        )
        assert response.status_code == 201, response.text
    try:
        yield world
    finally:
        client.close()
        store.close()
