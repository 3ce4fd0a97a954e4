"""Requests over HTTP: who submits for whom, who sees what, idempotent re-posts,
409s, transactional failures and the error for every bad input."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from registry_world import (
    PARTNERS,
    REQUESTS,
    VIEWERS,
    WINDOW,
    RegistryWorld,
    build_registry_world,
    request_doc,
)


@pytest.fixture(scope="module")
def world(module_database_url: str) -> Iterator[RegistryWorld]:
    for world in build_registry_world(module_database_url):
        for spec in REQUESTS:
            response = world.post("/requests", spec["partner"], json=request_doc(spec))
            assert response.status_code == 201, response.text
            world.requests.append(spec)
        yield world


def _ids(world: RegistryWorld, label: str, limit: int = 1) -> tuple[list[str], int]:
    """Every request id ``label`` sees, following ``next`` pages of ``limit``."""
    url, ids, totals = f"/requests?limit={limit}", [], set()
    for _ in range(50):
        page = world.get(url, label).json()
        ids.extend(r["id"] for r in page["items"])
        totals.add(page["total"])
        if page["next"] is None:
            assert len(totals) == 1
            return ids, totals.pop()
        url = page["next"].removeprefix("http://testserver")
    raise AssertionError("paging did not end")


@pytest.mark.parametrize("label", PARTNERS)
def test_a_partner_sees_exactly_its_own_requests_on_every_page(
    world: RegistryWorld, label: str
) -> None:
    own = sorted(r["id"] for r in world.requests if r["partner"] == label)
    ids, total = _ids(world, label)
    assert sorted(ids) == own and total == len(own)
    for spec in world.requests:
        response = world.get(f"/requests/{spec['id']}", label)
        if spec["partner"] == label:
            assert response.status_code == 200
            assert response.json()["target"] == {
                "lat": float(spec["target"]["lat"]),
                "lon": float(spec["target"]["lon"]),
            }
        else:  # hidden answers like missing, with the same text
            assert response.status_code == 404
            assert response.json() == {
                "code": "not_found",
                "description": f"request {spec['id']!r} not found",
            }


def test_the_coordinator_sees_every_request_and_filters_by_partner(world: RegistryWorld) -> None:
    ids, _ = _ids(world, "admin", limit=2)
    assert sorted(ids) == sorted(r["id"] for r in world.requests)
    esa = world.get("/requests?partner=esa", "admin").json()
    assert sorted(r["id"] for r in esa["items"]) == ["esa-po-delta", "esa-rhine"]
    # a partner's filter cannot widen its view
    nasa_asks_esa = world.get("/requests?partner=esa", "nasa").json()
    assert nasa_asks_esa["items"] == [] and nasa_asks_esa["total"] == 0


def test_anonymous_callers_get_no_request_data(world: RegistryWorld) -> None:
    for url in ["/requests", *(f"/requests/{r['id']}" for r in world.requests)]:
        response = world.get(url, "anonymous")
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"
    response = world.post("/requests", "anonymous", json=request_doc(REQUESTS[0]))
    assert response.status_code == 401


def test_a_stored_request_reads_back_with_its_fields(world: RegistryWorld) -> None:
    body = world.get("/requests/nasa-iowa", "nasa").json()
    assert body == {
        "id": "nasa-iowa",
        "partner": "nasa",
        "target": {"lat": 42.0, "lon": -93.5},
        "window": {"start": "2026-06-01T00:00:00.000Z", "end": "2026-06-01T06:00:00.000Z"},
        "requirements": {"kinds": []},
        "value": 3.0,
        "urgency": "routine",
        "status": "submitted",
        "submitted_by": "nasa",
        "created_at": "2026-06-01T00:00:00Z",
    }


def test_re_posting_a_request_is_harmless_and_a_changed_one_is_a_409(world: RegistryWorld) -> None:
    spec = REQUESTS[0]
    again = world.post("/requests", "esa", json=request_doc(spec))
    assert again.status_code == 200
    changed = world.post("/requests", "esa", json={**request_doc(spec), "value": 99})
    assert changed.status_code == 409
    assert changed.json() == {
        "code": "conflict",
        "description": "request 'esa-po-delta' exists already with different content; "
        "choose another id",
    }
    # another partner re-using the id learns nothing about whose it is
    stolen = world.post("/requests", "nasa", json={**request_doc(spec), "partner": "nasa"})
    assert stolen.status_code == 409
    assert world.get("/requests/esa-po-delta", "esa").json()["value"] == 5.0


def test_the_coordinator_submits_for_a_named_partner(world: RegistryWorld) -> None:
    body = {**request_doc(REQUESTS[0]), "id": "csa-by-coordinator", "partner": "csa"}
    response = world.post("/requests", "admin", json=body)
    assert response.status_code == 201
    world.requests.append({"id": body["id"], "partner": "csa", "target": body["target"]})
    assert response.json()["submitted_by"] == "coordinator"
    assert world.get("/requests/csa-by-coordinator", "csa").status_code == 200


def _doc(**changes: Any) -> dict[str, Any]:
    doc = {"id": "x1", "target": {"lat": 10.0, "lon": 20.0}, "window": dict(WINDOW)}
    doc.update(changes)
    return doc


BAD_REQUESTS = [
    ("a partner submitting for another", "esa", _doc(partner="nasa"), 403,
     "request.partner: a partner submits for itself ('esa'), not for 'nasa'"),
    ("coordinator naming nobody", "admin", _doc(), 400,
     "request.partner: the coordinator must name the requesting partner"),
    ("coordinator naming a stranger", "admin", _doc(partner="acme"), 400,
     "unknown partner 'acme'; known partners: asi, cnes, csa, dlr, esa, isro, jaxa, nasa, "
     "roscosmos, usgs"),
    ("window ending before it starts", "esa",
     _doc(window={"start": "2026-06-02T00:00:00Z", "end": "2026-06-01T00:00:00Z"}), 400,
     "request.window.end: must be after the start 2026-06-02T00:00:00.000Z, got "
     "2026-06-01T00:00:00.000Z"),
    ("unparsable time", "esa", _doc(window={"start": "soon", "end": "2026-06-01T00:00:00Z"}),
     400, "request.window.start: must be an ISO 8601 time such as 2026-06-01T00:00:00Z, got "
     "'soon'"),
    ("latitude out of range", "esa", _doc(target={"lat": 95.0, "lon": 0.0}), 400,
     "request.target.lat: must be <= 90, got 95"),
    ("GeoJSON ring not closed", "esa",
     _doc(target={"area": {"type": "Polygon",
                           "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}}), 400,
     "request.target.area.coordinates[0]: ring is not closed: the first position [0, 0] "
     "differs from the last [0, 1]; repeat the first position at the end (RFC 7946 section "
     "3.1.6)"),
    ("GeoJSON of the wrong type", "esa",
     _doc(target={"area": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}), 400,
     "request.target.area.type: expected a Polygon, MultiPolygon, Feature or "
     "FeatureCollection, found 'LineString'"),
    ("unknown field", "esa", _doc(colour="red"), 400,
     "request.colour: unknown key 'colour'; known keys: id, partner, requirements, "
     "revisit_every, revisit_every_s, target, urgency, value, window"),
    ("id with a slash", "esa", _doc(id="a/b"), 400,
     "request.id: must not contain '/' (it is part of the URL), got 'a/b'"),
    ("not an object", "esa", ["x"], 400, "request: expected a JSON object, found an array"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("reason", "label", "body", "status", "description"),
    BAD_REQUESTS,
    ids=[case[0] for case in BAD_REQUESTS],
)
def test_a_bad_request_is_a_4xx_naming_the_field_and_stores_nothing(
    world: RegistryWorld, reason: str, label: str, body: Any, status: int, description: str
) -> None:
    before = _ids(world, "admin", limit=1000)
    response = world.post("/requests", label, json=body)
    assert response.status_code == status, (reason, response.text)
    assert set(response.json()) == {"code", "description"}
    assert response.json()["description"] == description
    assert _ids(world, "admin", limit=1000) == before


@pytest.mark.parametrize("label", VIEWERS)
def test_request_lists_are_paged_within_bounds(world: RegistryWorld, label: str) -> None:
    response = world.get("/requests?limit=1001", label)
    expected = 401 if label == "anonymous" else 400
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/requests?partner=esa&partner=nasa", "partner"),
        ("/requests?limit=1&limit=2", "limit"),
        ("/assets?owner=esa&owner=nasa&owner=jaxa", "owner"),
    ],
)
def test_a_one_value_query_parameter_given_twice_is_refused(
    world: RegistryWorld, url: str, name: str
) -> None:
    # The framework would keep the last value and answer as if it were the only one.
    response = world.get(url, "admin")
    count = url.count(f"{name}=")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_input",
        "description": f"{name}: given {count} times; give it once",
    }
