"""Bad inputs get a 4xx in the one error shape; writes are owner-only and atomic."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import pystac
import pytest
from stac_world import World, build_world

from datastore_factory import item_doc
from spacepool.api.errors import NUL_MESSAGE, STORED_NUL_MESSAGE


@pytest.fixture(scope="module")
def world(module_database_url: str) -> Iterator[World]:
    yield from build_world(module_database_url)


def _snapshot(world: World) -> list:
    """Every item as the coordinator sees it: the database's whole item state."""
    response = world.client.get("/stac/search?limit=10000", headers=world.headers("admin"))
    assert response.status_code == 200
    return sorted(json.dumps(f, sort_keys=True) for f in response.json()["features"])


BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}

# (reason, method, url, JSON body, who, status, code, description or None when the
# text comes from a library and only its presence is checked)
BAD_INPUTS = [
    (
        "bbox with 3 numbers",
        "GET",
        "/stac/search?bbox=1,2,3",
        None,
        "anonymous",
        400,
        "invalid_geometry",
        "bbox: expected 4 (or 6) numbers, got 3",
    ),
    (
        "bbox not numbers",
        "GET",
        "/stac/search?bbox=a,b,c,d",
        None,
        "anonymous",
        400,
        "invalid_geometry",
        "bbox: expected comma-separated numbers minlon,minlat,maxlon,maxlat; got 'a,b,c,d'",
    ),
    (
        "bbox latitude upside down",
        "GET",
        "/stac/search?bbox=0,10,1,5",
        None,
        "anonymous",
        400,
        "invalid_geometry",
        "bbox: minimum latitude 10 is above maximum latitude 5",
    ),
    (
        "bbox outside the globe",
        "GET",
        "/stac/search?bbox=-200,0,10,10",
        None,
        "anonymous",
        400,
        "invalid_geometry",
        "bbox: longitudes must be in [-180, 180] and latitudes in [-90, 90] degrees; got -200,0,10,10",
    ),
    (
        "bbox and intersects together",
        "GET",
        "/stac/search?bbox=0,0,1,1&intersects="
        + quote(json.dumps({"type": "Point", "coordinates": [0, 0]})),
        None,
        "anonymous",
        400,
        "invalid_input",
        "bbox and intersects are mutually exclusive; give one of them",
    ),
    (
        "intersects not JSON",
        "GET",
        "/stac/search?intersects=%7Bnope",
        None,
        "anonymous",
        400,
        "invalid_geometry",
        None,
    ),
    (
        "intersects self-crossing polygon",
        "GET",
        "/stac/search?intersects=" + quote(json.dumps(BOWTIE)),
        None,
        "anonymous",
        400,
        "invalid_geometry",
        "intersects: invalid geometry: Self-intersection[0.5 0.5]",
    ),
    (
        "intersects unknown type (POST)",
        "POST",
        "/stac/search",
        {"intersects": {"type": "Circle", "coordinates": [0, 0]}},
        "anonymous",
        400,
        "invalid_request",
        None,
    ),
    (
        "bbox upside down (POST)",
        "POST",
        "/stac/search",
        {"bbox": [0, 10, 1, 5]},
        "anonymous",
        400,
        "invalid_request",
        None,
    ),
    (
        "datetime not RFC 3339",
        "GET",
        "/stac/search?datetime=yesterday",
        None,
        "anonymous",
        400,
        "invalid_time_range",
        "datetime: expected an RFC 3339 date-time with a time zone, e.g. 2024-05-01T10:30:00Z; got 'yesterday'",
    ),
    (
        "datetime without zone",
        "GET",
        "/stac/search?datetime=2026-01-01T00:00:00",
        None,
        "anonymous",
        400,
        "invalid_time_range",
        "datetime: expected an RFC 3339 date-time with a time zone, e.g. 2024-05-01T10:30:00Z; got '2026-01-01T00:00:00'",
    ),
    (
        "datetime interval reversed",
        "GET",
        "/stac/search?datetime=2026-02-01T00:00:00Z/2026-01-01T00:00:00Z",
        None,
        "anonymous",
        400,
        "invalid_time_range",
        "datetime: start 2026-02-01T00:00:00Z is after end 2026-01-01T00:00:00Z",
    ),
    (
        "datetime both ends open",
        "GET",
        "/stac/search?datetime=../..",
        None,
        "anonymous",
        400,
        "invalid_time_range",
        None,
    ),
    (
        "datetime reversed (POST)",
        "POST",
        "/stac/search",
        {"datetime": "2026-02-01T00:00:00Z/2026-01-01T00:00:00Z"},
        "anonymous",
        400,
        "invalid_request",
        None,
    ),
    (
        "limit zero",
        "GET",
        "/stac/search?limit=0",
        None,
        "anonymous",
        400,
        "invalid_request",
        "query.limit: Input should be greater than or equal to 1",
    ),
    (
        "limit negative (POST)",
        "POST",
        "/stac/search",
        {"limit": -1},
        "anonymous",
        400,
        "invalid_request",
        "body.limit: Input should be greater than or equal to 1",
    ),
    (
        "limit not a number",
        "GET",
        "/stac/collections/eo/items?limit=ten",
        None,
        "anonymous",
        400,
        "invalid_request",
        None,
    ),
    (
        "forged paging token",
        "GET",
        "/stac/search?token=bm90LWEtdG9rZW4",
        None,
        "anonymous",
        400,
        "invalid_input",
        "token: not a paging token from this server; follow the 'next' link as given",
    ),
    (
        "unknown collection in the path",
        "GET",
        "/stac/collections/nope/items",
        None,
        "anonymous",
        404,
        "not_found",
        "collection 'nope' not found",
    ),
    (
        "unknown collection",
        "GET",
        "/stac/collections/nope",
        None,
        "esa",
        404,
        "not_found",
        "collection 'nope' not found",
    ),
    (
        "unknown collection in a search",
        "GET",
        "/stac/search?collections=nope",
        None,
        "anonymous",
        400,
        "unknown_name",
        "unknown collection 'nope'; known collections: eo, sar",
    ),
    (
        "unknown route",
        "GET",
        "/stac/nothing-here",
        None,
        "anonymous",
        404,
        "not_found",
        "Not Found",
    ),
    (
        "wrong method",
        "PATCH",
        "/stac/search",
        {},
        "anonymous",
        405,
        "method_not_allowed",
        "Method Not Allowed",
    ),
    (
        "bad API key",
        "GET",
        "/stac/search",
        None,
        "bad key",
        401,
        "unauthenticated",
        "invalid API key: unknown or revoked",
    ),
    (
        "not a bearer header",
        "GET",
        "/stac/search",
        None,
        "basic",
        401,
        "unauthenticated",
        "invalid Authorization header: expected 'Bearer <key>' with a key from 'spacepool keys create'",
    ),
    (
        "anonymous write",
        "POST",
        "/stac/collections/eo/items",
        item_doc("x"),
        "anonymous",
        401,
        "unauthenticated",
        "this endpoint needs an API key (partner or coordinator): send 'Authorization: Bearer <key>'",
    ),
    (
        "partner makes a collection",
        "POST",
        "/stac/collections",
        {"id": "mine"},
        "esa",
        403,
        "permission_denied",
        "this endpoint is for the consortium coordinator; your key belongs to partner 'esa'",
    ),
    (
        "item claims another owner",
        "POST",
        "/stac/collections/eo/items",
        item_doc("x", owner="nasa"),
        "esa",
        403,
        "permission_denied",
        "item.properties.spacepool:owner: items you write belong to 'esa' (from your API key); got 'nasa'",
    ),
    (
        "item posted twice with other content",
        "POST",
        "/stac/collections/eo/items",
        item_doc("esa-open-plain", access="owner"),
        "esa",
        409,
        "conflict",
        "item eo/esa-open-plain exists already with different content; use PUT on your own item to replace it",
    ),
    (
        "item with an unknown policy",
        "POST",
        "/stac/collections/eo/items",
        item_doc("x", access="friends"),
        "esa",
        400,
        "invalid_input",
        "item.properties.spacepool:access: expected one of open, consortium, owner, partners; got 'friends'",
    ),
    (
        "item shared with a stranger",
        "POST",
        "/stac/collections/eo/items",
        item_doc("x", access="partners", shared_with=["acme"]),
        "esa",
        400,
        "unknown_name",
        "unknown partner 'acme'; known partners: csa, esa, jaxa, nasa",
    ),
    (
        "share list on a non-partners policy",
        "POST",
        "/stac/collections/eo/items",
        item_doc("x", access="consortium", shared_with=["nasa"]),
        "esa",
        400,
        "invalid_input",
        "item.properties.spacepool:shared_with: only used with spacepool:access 'partners'; this item's policy is 'consortium'",
    ),
    (
        "item geometry out of range",
        "POST",
        "/stac/collections/eo/items",
        item_doc("x", lon=500),
        "esa",
        400,
        "invalid_geometry",
        "item.geometry: coordinates must be longitude in [-180, 180] and latitude in [-90, 90] degrees (WGS84, RFC 7946); got bounds (500, 45, 500, 45)",
    ),
    (
        "item without datetime",
        "POST",
        "/stac/collections/eo/items",
        {**item_doc("x"), "properties": {"spacepool:access": "open", "datetime": None}},
        "esa",
        400,
        None,
        None,
    ),
    (
        "item into an unknown collection",
        "POST",
        "/stac/collections/nope/items",
        item_doc("x"),
        "esa",
        404,
        "not_found",
        "collection 'nope' not found",
    ),
    (
        "item body for another collection",
        "POST",
        "/stac/collections/eo/items",
        {**item_doc("x"), "collection": "sar"},
        "esa",
        400,
        "invalid_input",
        "item.collection: the item says 'sar' but is posted to collection 'eo'; remove the field or make them agree",
    ),
    (
        "put someone else's open item",
        "PUT",
        "/stac/collections/eo/items/nasa-open-plain",
        item_doc("nasa-open-plain"),
        "esa",
        403,
        "permission_denied",
        "item eo/nasa-open-plain belongs to 'nasa'; partners may change only their own items",
    ),
    (
        "put someone else's hidden item",
        "PUT",
        "/stac/collections/eo/items/nasa-owner-plain",
        item_doc("nasa-owner-plain"),
        "esa",
        404,
        "not_found",
        "item 'eo/nasa-owner-plain' not found",
    ),
    (
        "delete someone else's open item",
        "DELETE",
        "/stac/collections/eo/items/nasa-open-plain",
        None,
        "esa",
        403,
        "permission_denied",
        "item eo/nasa-open-plain belongs to 'nasa'; partners may change only their own items",
    ),
    (
        "delete someone else's hidden item",
        "DELETE",
        "/stac/collections/eo/items/nasa-owner-plain",
        None,
        "jaxa",
        404,
        "not_found",
        "item 'eo/nasa-owner-plain' not found",
    ),
    (
        "put with a different id in the body",
        "PUT",
        "/stac/collections/eo/items/esa-open-plain",
        item_doc("other"),
        "esa",
        400,
        "invalid_input",
        "item.id: the body says 'other' but the URL names 'esa-open-plain'; ids cannot be changed",
    ),
    (
        "delete a collection that holds items",
        "DELETE",
        "/stac/collections/eo",
        None,
        "admin",
        409,
        "conflict",
        "collection 'eo' still holds items; delete them first",
    ),
    (
        "a search parameter given twice",
        "GET",
        "/stac/search?ids=a&ids=b&ids=c",
        None,
        "nasa",
        400,
        "invalid_input",
        "ids: given 3 times; give it once (several ids or collections: one comma-separated value)",
    ),
    (
        "a collection-items parameter given twice",
        "GET",
        "/stac/collections/eo/items?limit=2&limit=3",
        None,
        "anonymous",
        400,
        "invalid_input",
        "limit: given 2 times; give it once (several ids or collections: one comma-separated value)",
    ),
    # A NUL character (PostgreSQL text cannot hold one) in a filter, a search
    # parameter, a path id or a write's URL: refused before any route runs.
    *(
        (
            f"NUL character in {where}",
            method,
            url,
            body,
            who,
            400,
            "invalid_request",
            NUL_MESSAGE,
        )
        for where, method, url, body, who in [
            ("an owner filter", "GET", "/assets?owner=%05%00x", None, "esa"),
            ("a search parameter", "GET", "/stac/search?ids=a%00b", None, "anonymous"),
            ("a search collection", "GET", "/stac/search?collections=eo%00", None, "nasa"),
            ("an item id", "GET", "/stac/collections/eo/items/a%00b", None, "admin"),
            ("a partner id", "GET", "/partners/esa%00", None, "admin"),
            ("a deleted item's id", "DELETE", "/stac/collections/eo/items/x%00", None, "esa"),
        ]
    ),
]


@pytest.mark.parametrize(
    ("reason", "method", "url", "body", "who", "status", "code", "description"),
    BAD_INPUTS,
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input_gets_a_4xx_in_the_error_shape_and_changes_nothing(
    world: World, reason, method, url, body, who, status, code, description
) -> None:
    headers = {
        "bad key": {"Authorization": "Bearer sp_12345678_wrong"},
        "basic": {"Authorization": "Basic dXNlcjpwYXNz"},
    }.get(who) or world.headers(who)
    before = _snapshot(world)
    response = world.client.request(method, url, json=body, headers=headers)
    assert response.status_code == status, response.text
    payload = response.json()
    assert set(payload) == {"code", "description"}, payload
    assert isinstance(payload["description"], str) and payload["description"]
    if code is not None:
        assert payload["code"] == code
    if description is not None:
        assert payload["description"] == description
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"
    assert _snapshot(world) == before


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_limit_above_the_maximum_answers_with_the_maximum_page_size(
    world: World, method: str
) -> None:
    # STAC API item-search: a limit above the advertised maximum (10000) must be
    # answered with the maximum, not an error.
    if method == "GET":
        response = world.client.get("/stac/search?limit=1000000", headers=world.headers("admin"))
    else:
        response = world.client.post(
            "/stac/search", json={"limit": 1000000}, headers=world.headers("admin")
        )
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["numberReturned"] == page["numberMatched"] > 0
    assert not [link for link in page["links"] if link["rel"] == "next"]


def test_a_bulk_post_with_one_bad_item_stores_none_of_them(world: World) -> None:
    before = _snapshot(world)
    bulk = {
        "type": "FeatureCollection",
        "features": [item_doc("bulk-1"), item_doc("bulk-2", lon=500)],
    }
    response = world.client.post(
        "/stac/collections/eo/items", json=bulk, headers=world.headers("esa")
    )
    assert response.status_code == 400
    assert response.json()["description"].startswith(
        "features[1]: item.geometry: coordinates must be"
    )
    assert _snapshot(world) == before


def test_owner_replaces_and_deletes_its_item_and_reposting_is_idempotent(world: World) -> None:
    esa = world.headers("esa")
    doc = item_doc("esa-scratch", access="owner")
    first = world.client.post("/stac/collections/eo/items", json=doc, headers=esa)
    again = world.client.post("/stac/collections/eo/items", json=doc, headers=esa)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    replaced = world.client.put(
        "/stac/collections/eo/items/esa-scratch",
        json=item_doc("esa-scratch", access="open"),
        headers=esa,
    )
    assert replaced.status_code == 200
    assert replaced.json()["properties"]["spacepool:access"] == "open"
    assert replaced.json()["properties"]["spacepool:owner"] == "esa"
    parsed = pystac.Item.from_dict(replaced.json())  # a well-formed STAC item for pystac
    assert (parsed.id, parsed.collection_id, parsed.bbox) == (
        "esa-scratch",
        "eo",
        [10.0, 45.0, 10.0, 45.0],
    )
    anonymous = world.client.get("/stac/collections/eo/items/esa-scratch")
    assert anonymous.status_code == 200
    assert (
        world.client.delete("/stac/collections/eo/items/esa-scratch", headers=esa).status_code
        == 204
    )
    assert world.client.get("/stac/collections/eo/items/esa-scratch").status_code == 404


def test_owners_see_who_read_their_non_public_items(world: World) -> None:
    got = world.client.get(
        "/stac/collections/eo/items/esa-consortium-plain", headers=world.headers("csa")
    )
    assert got.status_code == 200
    reads = world.client.get("/audit/reads", headers=world.headers("esa")).json()["reads"]
    by_csa = [read for read in reads if read["viewer"] == "csa"]
    assert [(r["collection"], r["item_id"], r["endpoint"]) for r in by_csa] == [
        ("eo", "esa-consortium-plain", "item")
    ]
    assert all(read["owner"] == "esa" for read in reads)
    nasa_reads = world.client.get("/audit/reads", headers=world.headers("nasa")).json()["reads"]
    assert all(read["owner"] == "nasa" for read in nasa_reads)
    assert world.client.get("/audit/reads").status_code == 401


def test_a_nul_character_in_a_body_value_is_a_400_where_the_database_cannot_store_it(
    world: World,
) -> None:
    body = {"id": "nul-name", "name": "Agency\u0000One"}
    response = world.client.post("/partners", json=body, headers=world.headers("admin"))
    listed = world.client.get("/partners?limit=1000", headers=world.headers("admin")).json()
    stored = [p for p in listed["items"] if p["id"] == "nul-name"]
    if world.url.startswith("postgresql"):
        # PostgreSQL text cannot hold NUL: refused, and nothing written.
        assert response.status_code == 400, response.text
        assert response.json() == {"code": "invalid_request", "description": STORED_NUL_MESSAGE}
        assert stored == []
    else:
        # SQLite stores the text as given.
        assert response.status_code == 201, response.text
        assert [p["name"] for p in stored] == ["Agency\u0000One"]
