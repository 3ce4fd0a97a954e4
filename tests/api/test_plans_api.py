"""Plans over HTTP: the coordinator runs one over the stored requests and the
registry; each partner sees its own acquisitions and the aggregate shares, never
another partner's work; bad inputs are 4xx and store nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from registry_world import (
    PARTNERS,
    PLAN_ID,
    REQUESTS,
    WINDOW,
    RegistryWorld,
    build_registry_world,
    request_doc,
)

from spacepool.consortium import load_consortium
from spacepool.orbits.tle import dump_tle


@pytest.fixture(scope="module")
def world(module_database_url: str) -> Iterator[RegistryWorld]:
    yield from build_registry_world(module_database_url, with_plan=True)


def _plan(world: RegistryWorld, label: str) -> dict[str, Any]:
    response = world.get(f"/plans/{PLAN_ID}", label)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_plan_serves_the_stored_requests_with_the_registry_s_assets(
    world: RegistryWorld,
) -> None:
    plan = _plan(world, "admin")
    assert plan["created_by"] == "coordinator" and plan["solver"] == "heuristic"
    document = plan["plan"]
    fleet = {sc.id for sc in load_consortium().fleet}
    by_id = {r["id"]: r for r in REQUESTS}
    assert document["acquisitions"], document["message"]
    for acquisition in document["acquisitions"]:
        assert acquisition["satellite"] in fleet
        assert by_id[acquisition["request"]]["partner"] == acquisition["partner"]
        assert WINDOW["start"] <= acquisition["start"][:19] + "Z" <= WINDOW["end"]
    served = {a["request"] for a in document["acquisitions"]}
    unserved = {u["request"] for u in document["unserved"]}
    assert served | unserved == set(by_id) and not served & unserved
    assert {a["partner"] for a in document["accounts"]} == {"esa", "nasa", "jaxa"}
    assert (plan["objective"], plan["status"]) == (document["objective"], document["status"])


@pytest.mark.parametrize("label", PARTNERS)
def test_a_partner_sees_its_own_acquisitions_and_every_share_but_no_foreign_work(
    world: RegistryWorld, label: str
) -> None:
    full = _plan(world, "admin")["plan"]
    seen = _plan(world, label)
    document = seen["plan"]
    assert [a for a in full["acquisitions"] if a["partner"] == label] == document["acquisitions"]
    assert all(u["partner"] == label for u in document["unserved"])
    assert document["accounts"] == full["accounts"]  # the aggregate shares
    own_candidates = {a["candidate"] for a in document["acquisitions"]}
    for downlink in document["downlinks"]:
        assert set(downlink["acquisitions"]) <= own_candidates
    text = json.dumps(seen)
    for spec in REQUESTS:
        if spec["partner"] != label:
            assert spec["id"] not in text, (label, spec["id"])
            assert f"{spec['target']['lon']:g}" not in text  # nor its target


def test_anonymous_callers_get_no_plan_data(world: RegistryWorld) -> None:
    for url in ("/plans", f"/plans/{PLAN_ID}"):
        response = world.get(url, "anonymous")
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"


@pytest.mark.parametrize("label", [*PARTNERS, "admin"])
def test_plan_lists_hold_summaries_only(world: RegistryWorld, label: str) -> None:
    page = world.get("/plans?limit=1", label).json()
    assert page["items"][0].keys() == {
        "id", "created_at", "created_by", "solver", "fairness", "status", "objective",
        "bound", "gap", "start", "end",
    }  # fmt: skip
    assert page["total"] >= 1
    text = json.dumps(page)
    assert all(spec["id"] not in text for spec in REQUESTS)


def test_fairness_uses_the_named_agreement_s_entitlements(world: RegistryWorld) -> None:
    response = world.post(
        "/plans",
        "admin",
        json={
            **WINDOW,
            "solver": "heuristic",
            "time_limit_s": 1,
            "fairness": "proportional",
            "agreement": "eo-pool",
            "requests": ["esa-po-delta", "nasa-iowa"],
        },
    )
    assert response.status_code == 201, response.text
    accounts = {a["partner"]: a for a in response.json()["plan"]["accounts"]}
    shares = load_consortium().agreement("eo-pool").entitlements()
    for partner, share in shares.items():
        assert accounts[partner]["entitlement"] == pytest.approx(share, abs=1e-12)
    served = {a["request"] for a in response.json()["plan"]["acquisitions"]}
    assert served <= {"esa-po-delta", "nasa-iowa"}


def _count(world: RegistryWorld) -> int:
    return int(world.get("/plans", "admin").json()["total"])


BAD_PLANS = [
    ("time limit above the cap", {"time_limit_s": 61}, 400,
     "body.time_limit_s: Input should be less than or equal to 60"),
    ("zero time limit", {"time_limit_s": 0}, 400, "body.time_limit_s: Input should be greater than 0"),
    ("unknown solver", {"solver": "gurobi"}, 400, "body.solver: Input should be 'cpsat' or 'heuristic'"),
    ("window longer than a week", {"end": "2026-06-09T00:00:00Z"}, 400,
     "plan window of 8 days is longer than the 7 days allowed; plan shorter windows"),
    ("end before start", {"end": "2026-05-31T00:00:00Z"}, 400,
     "empty time window: start 2026-06-01T00:00:00.000Z is not before end "
     "2026-05-31T00:00:00.000Z; give an end after the start"),
    ("unparsable start", {"start": "tomorrow"}, 400,
     "start: expected an ISO 8601 time such as 2026-05-31T06:00:00Z, found 'tomorrow'"),
    ("fairness without entitlements", {"fairness": "leximin"}, 400,
     "fairness 'leximin' needs entitlements: give 'agreement' (see GET /agreements)"),
    ("unknown agreement", {"agreement": "nope"}, 404, "agreement 'nope' not found"),
    ("unknown request", {"requests": ["esa-po-delta", "ghost"]}, 404, "request 'ghost' not found"),
    ("request outside the window",
     {"start": "2026-06-01T03:00:00Z", "requests": ["esa-po-delta"]}, 400,
     "requests.esa-po-delta: window 2026-06-01T00:00:00Z .. 2026-06-01T06:00:00Z is not inside "
     "the plan window"),
    ("no request in the window", {"start": "2026-06-03T00:00:00Z", "end": "2026-06-04T00:00:00Z"},
     400, "no submitted request has its window inside 2026-06-03T00:00:00Z .. "
     "2026-06-04T00:00:00Z; submit requests first (POST /requests)"),
    ("plan id taken", {"id": PLAN_ID}, 409, "plan 'day-one' exists already; choose another id"),
    ("bad plan id", {"id": "Day One"}, 400,
     "body.id: String should match pattern '^[a-z0-9][a-z0-9._-]{0,63}$'"),
    ("unknown field", {"colour": "red"}, 400, "body.colour: Extra inputs are not permitted"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("reason", "changes", "status", "description"), BAD_PLANS, ids=[c[0] for c in BAD_PLANS]
)
def test_a_bad_plan_request_is_a_4xx_and_stores_no_plan(
    world: RegistryWorld, reason: str, changes: dict[str, Any], status: int, description: str
) -> None:
    before = _count(world)
    body = {**WINDOW, "solver": "heuristic", "time_limit_s": 1, **changes}
    response = world.post("/plans", "admin", json=body)
    assert response.status_code == status, (reason, response.text)
    assert response.json()["description"] == description
    assert _count(world) == before


@pytest.mark.parametrize(("label", "status"), [("anonymous", 401), ("esa", 403), ("csa", 403)])
def test_only_the_coordinator_runs_plans(world: RegistryWorld, label: str, status: int) -> None:
    before = _count(world)
    response = world.post("/plans", label, json={**WINDOW, "solver": "heuristic"})
    assert response.status_code == status
    assert _count(world) == before


def test_a_plan_uses_the_newest_uploaded_elements(tmp_path: Path) -> None:
    # An uploaded ISS set newer than the nominal one is the one planned with: used
    # 19 days from its epoch it is stale, and the plan says so instead of running.
    iss = load_consortium().spacecraft(25544).element_set()
    newer = replace(iss, epoch=iss.epoch + timedelta(days=21), source="tle")
    # (planning logic, not storage: SQLite alone suffices)
    for world in build_registry_world(f"sqlite:///{tmp_path / 'db.sqlite'}"):
        upload = world.post(
            "/element-sets",
            "nasa",
            content=dump_tle([newer]),
            headers={"Content-Type": "text/plain"},
        )
        assert upload.status_code == 201, upload.text
        spec = REQUESTS[0]
        assert world.post("/requests", "esa", json=request_doc(spec)).status_code == 201
        response = world.post("/plans", "admin", json={**WINDOW, "solver": "heuristic"})
        assert response.status_code == 400
        assert response.json()["description"] == (
            "ISS (ZARYA) (25544): elements used 19.0 days before their epoch 2026-06-20T00:00:00Z "
            "(limit 14 days); positions may be off by tens of km: load newer elements"
        )
