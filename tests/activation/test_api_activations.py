"""The activation routes over HTTP, on SQLite and PostgreSQL: raising, reading under
each access policy without leaks (four partners, the coordinator and anonymous),
reporting acquisitions, and the one error shape for bad input with nothing written."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from activation_factory import EVENT, ROMAGNA, consortium, planned
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from spacepool.activation.model import AccessSpec
from spacepool.api import create_app
from spacepool.catalog.access import Viewer
from spacepool.store import Store
from spacepool.store.activation_models import ActivationEvent, ActivationRecord, OutboxEntry
from spacepool.store.activations import may_view, save_activation
from spacepool.store.keys import create_api_key
from spacepool.store.partners import add_partner

# After the 6-h horizons below, so that reported acquisitions have happened.
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
KEYED = ["asi", "esa", "nasa", "jaxa", "csa"]
VIEWERS = ["anonymous", "admin", *KEYED]


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    client: TestClient
    store: Store
    keys: dict[str, str]
    saved: list[Any]
    clock: Clock

    def headers(self, who: str) -> dict[str, str]:
        return {} if who == "anonymous" else {"Authorization": f"Bearer {self.keys[who]}"}

    def get(self, path: str, who: str) -> Any:
        return self.client.get(path, headers=self.headers(who))


def viewer(who: str) -> Viewer:
    if who == "anonymous":
        return Viewer.anonymous()
    return Viewer.admin() if who == "admin" else Viewer.partner(who)


@pytest.fixture(scope="module")
def world(module_database_url: str) -> Iterator[World]:
    clock = Clock()
    app = create_app(module_database_url, clock=clock)
    store: Store = app.state.store
    keys: dict[str, str] = {}
    with store.transaction() as session:
        for partner in consortium().partners:
            add_partner(session, partner.id, partner.name, now=NOW)
        for partner in KEYED:
            keys[partner] = create_api_key(session, partner_id=partner, admin=False, now=NOW).key
        keys["admin"] = create_api_key(session, partner_id=None, admin=True, now=NOW).key
    # One planned activation stored under every (requester, policy, embargo): the
    # matrix needs many records, not many plans.
    base = planned(6.0)
    saved = []
    past, future = NOW - timedelta(hours=1), NOW + timedelta(hours=1)
    rules = [("open", None), ("consortium", None), ("owner", None), ("owner", past),
             ("owner", future), ("partners", None), ("partners", future)]  # fmt: skip
    for n, (owner, (policy, embargo)) in enumerate(itertools.product([None, "esa"], rules)):
        shared = ("jaxa",) if policy == "partners" else ()
        activation = replace(
            base.activation,
            id=f"m-{n:02d}",
            partner=owner,
            access=AccessSpec(policy, shared, embargo),
        )
        with store.transaction() as session:
            save_activation(session, replace(base, activation=activation), now=NOW)
        saved.append(activation)
    with TestClient(app) as client:
        yield World(client, store, keys, saved, clock)


def test_raising_an_activation_plans_it_and_stores_its_events(world: World) -> None:
    body = {"aoi": ROMAGNA, "type": "flood", "event_time": EVENT, "horizon_hours": 6,
            "access": "owner", "id": "raised-1"}  # fmt: skip
    response = world.client.post("/activations", json=body, headers=world.headers("asi"))
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["id"] == "raised-1" and answer["partner"] == "asi"
    assert answer["state"] == "planned"
    assert answer["plan"]["status"] == "optimal" and answer["plan"]["acquisitions"] >= 1
    assert answer["chain"]["received"] == NOW.isoformat().replace("+00:00", ".000Z")
    assert [t["role"] for t in answer["tasking"]] == ["primary", "secondary"]
    assert world.get("/activations/raised-1", "asi").status_code == 200
    assert world.get("/activations/raised-1", "nasa").status_code == 404
    events = world.get("/activations/raised-1/events", "asi").json()
    assert [e["kind"] for e in events["items"]] == ["received", "validated", "planned"]
    assert events["total"] == 3 and events["next"] is None
    plan = world.get("/activations/raised-1/plan", "admin").json()
    assert plan["acquisitions"] and {a["urgency"] for a in plan["acquisitions"]} == {"activation"}


def counts(world: World) -> list[int]:
    with world.store.transaction() as session:
        return [
            int(session.scalar(select(func.count()).select_from(t)) or 0)
            for t in (ActivationRecord, ActivationEvent, OutboxEntry)
        ]


# (case, body changes, who, status, code, description)
BAD = [
    ("self-intersecting area", {"aoi": {"type": "Polygon", "coordinates": [[[12.0, 44.0], [12.5, 44.5], [12.5, 44.0], [12.0, 44.5], [12.0, 44.0]]]}},
     "esa", 400, "invalid_activation",
     "aoi.coordinates: invalid polygon: Self-intersection[12.25 44.25]; fix the rings so that "
     "their edges do not cross"),
    ("unknown type", {"type": "meteor"}, "esa", 400, "invalid_activation",
     "type: unknown disaster type 'meteor'; known types: flood, fire, earthquake, cyclone, "
     "storm, hurricane, typhoon, volcano, landslide, oil_spill, tsunami, ice, snow, explosion, "
     "industrial_accident"),
    ("beyond element validity", {"event_time": "2026-11-26T00:00:00Z"}, "esa", 400,
     "invalid_activation",
     "event_time: outside the validity of the consortium's elements: Sentinel-1A (39634): "
     "elements used 180.0 days after their epoch 2026-05-30T00:00:00Z (limit 14 days); "
     "positions may be off by tens of km: load newer elements"),
    ("a partner raising for another", {"partner": "nasa"}, "esa", 403, "permission_denied",
     "partner: your key belongs to 'esa'; a partner raises activations for itself, got 'nasa'"),
    ("coordinator naming an unknown partner", {"partner": "nsa"}, "admin", 400,
     "invalid_activation",
     "partner: unknown partner 'nsa'; known partners: asi, cnes, csa, dlr, esa, isro, jaxa, "
     "nasa, roscosmos, usgs"),
    ("anonymous", {}, "anonymous", 401, "unauthenticated",
     "this endpoint needs an API key (partner or coordinator): send 'Authorization: Bearer "
     "<key>'"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "changes", "who", "status", "code", "description"), BAD,
                         ids=[b[0] for b in BAD])  # fmt: skip
def test_bad_activations_get_one_error_shape_and_write_nothing(
    world: World, case: str, changes: dict, who: str, status: int, code: str, description: str
) -> None:
    before = counts(world)
    body = {"aoi": ROMAGNA, "type": "flood", "event_time": EVENT, "horizon_hours": 6, **changes}
    response = world.client.post("/activations", json=body, headers=world.headers(who))
    assert (response.status_code, response.json()) == (
        status,
        {"code": code, "description": description},
    )
    assert counts(world) == before


def test_a_taken_id_is_a_conflict_and_writes_nothing(world: World) -> None:
    before = counts(world)
    body = {"aoi": ROMAGNA, "type": "flood", "event_time": EVENT, "horizon_hours": 2,
            "id": world.saved[0].id}  # fmt: skip
    response = world.client.post("/activations", json=body, headers=world.headers("admin"))
    assert (response.status_code, response.json()) == (
        409,
        {
            "code": "conflict",
            "description": f"activation {world.saved[0].id!r} exists already; give another id "
            "or leave it out",
        },
    )
    assert counts(world) == before


def test_a_body_that_is_not_an_object_is_a_400(world: World) -> None:
    response = world.client.post("/activations", json=[1, 2], headers=world.headers("esa"))
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_input",
        "description": "activation: expected a JSON object, found an array",
    }


@pytest.mark.parametrize("who", VIEWERS)
def test_no_viewer_sees_or_counts_an_activation_its_policy_hides(world: World, who: str) -> None:
    matrix = {a.id for a in world.saved}
    expected = {a.id for a in world.saved if may_view(viewer(who), a, NOW)}
    seen: list[str] = []
    url: str | None = "/activations?limit=7"
    totals = set()
    while url:
        page = world.client.get(url, headers=world.headers(who)).json()
        totals.add(page["total"])
        seen.extend(item["id"] for item in page["items"])
        url = page["next"]
    # Other tests may add activations of their own; the matrix ones must match exactly.
    assert sorted(i for i in seen if i in matrix) == sorted(expected)
    assert len(seen) == len(set(seen)) and len(totals) == 1
    assert totals.pop() == len(seen)
    for activation in world.saved:
        for suffix in ("", "/plan", "/events"):
            response = world.get(f"/activations/{activation.id}{suffix}", who)
            if activation.id in expected:
                assert response.status_code == 200, (who, activation.id, suffix)
            else:
                assert (response.status_code, response.json()) == (
                    404,
                    {"code": "not_found", "description": f"activation '{activation.id}' not found"},
                )
    hidden = world.get("/activations/no-such-activation", who)
    assert hidden.json()["description"] == "activation 'no-such-activation' not found"


def test_the_summary_has_the_demo_fields_and_hides_like_the_rest(world: World) -> None:
    owner_only = next(
        a for a in world.saved
        if a.partner == "esa" and a.access.policy == "owner" and a.access.embargo_until is None
    )  # fmt: skip
    assert world.get(f"/activations/{owner_only.id}/summary", "nasa").status_code == 404
    summary = world.get(f"/activations/{owner_only.id}/summary", "esa").json()
    for key in ("activation_id", "area", "event_time", "planned_at", "compute_seconds",
                "first_acquisition", "first_delivery_time", "hours_to_first_acquisition",
                "acquisitions", "products_published", "accounting"):  # fmt: skip
        assert key in summary, key
    assert set(summary["hours_to_first_acquisition"]) == {"pool"} | {
        p.id for p in consortium().partners
    }


def test_reported_acquisitions_publish_products_once_for_their_owner(world: World) -> None:
    base = planned(6.0)
    first = base.plan.acquisitions[0]
    assert first.satellite == "csg-1"  # an ASI radar
    report = {"satellite": first.satellite, "instrument": first.instrument,
              "start": first.start.isoformat(), "end": first.end.isoformat(),
              "request": first.request, "plan_acquisition": first.candidate}  # fmt: skip
    target = next(a for a in world.saved if a.access.policy == "consortium" and a.partner == "esa"
                  and a.access.embargo_until is None)  # fmt: skip
    path = f"/activations/{target.id}/acquisitions"
    refused = world.client.post(path, json=report, headers=world.headers("esa"))
    assert refused.status_code == 403
    assert refused.json()["description"] == (
        "csg-1/csg-sar belongs to 'asi'; a partner reports only its own acquisitions "
        "(your key: 'esa')"
    )
    made = world.client.post(path, json=report, headers=world.headers("asi"))
    assert made.status_code == 201, made.text
    item_path = made.json()["item"]
    again = world.client.post(path, json=report, headers=world.headers("asi"))
    assert again.status_code == 200 and again.json()["item"] == item_path
    item = world.get(item_path, "csa").json()
    assert item["properties"]["spacepool:owner"] == "asi"
    assert item["properties"]["spacepool:activation"] == target.id
    assert world.get(item_path, "anonymous").status_code == 404
    kinds = [
        e["kind"] for e in world.get(f"/activations/{target.id}/events", "esa").json()["items"]
    ]
    done = len(base.plan.acquisitions) == 1
    assert kinds[3:] == ["acquisition_reported", "product_published"] + ["completed"] * done
    state = world.get(f"/activations/{target.id}", "esa").json()
    assert state["state"] == ("completed" if done else "in_progress")
    assert state["chain"]["first_acquisition_actual"] == report["start"].replace("+00:00", "Z")


def test_a_report_of_a_future_acquisition_is_refused(world: World) -> None:
    target = world.saved[0]
    report = {"satellite": "csg-1", "instrument": "csg-sar", "start": "2026-06-01T05:30:00Z",
              "end": "2026-06-01T05:30:10Z"}  # fmt: skip
    world.clock.now = datetime(2026, 6, 1, 5, tzinfo=UTC)
    try:
        response = world.client.post(
            f"/activations/{target.id}/acquisitions", json=report, headers=world.headers("admin")
        )
    finally:
        world.clock.now = NOW
    assert (response.status_code, response.json()) == (
        400,
        {
            "code": "invalid_activation",
            "description": "end: the acquisition ends at 2026-06-01T05:30:10.000Z, after now "
            "(2026-06-01T05:00:00.000Z); report acquisitions once made",
        },
    )


def test_a_report_outside_the_horizon_is_refused(world: World) -> None:
    report = {"satellite": "csg-1", "instrument": "csg-sar", "start": "2026-06-01T10:00:00Z",
              "end": "2026-06-01T10:00:10Z"}  # fmt: skip
    response = world.client.post(
        f"/activations/{world.saved[0].id}/acquisitions",
        json=report,
        headers=world.headers("admin"),
    )
    assert (response.status_code, response.json()["description"]) == (
        400,
        "start: the acquisition 2026-06-01T10:00:00.000Z .. 2026-06-01T10:00:10.000Z lies outside "
        "the activation's horizon 2026-06-01T03:00:00.000Z .. 2026-06-01T09:00:00.000Z",
    )
