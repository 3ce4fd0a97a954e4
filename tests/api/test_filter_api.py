"""The Filter extension over HTTP: CQL2 ``filter`` on GET and POST /stac/search and
on collection items, queryables, conformance, and errors.

The access-leak cases page through every answer with a small ``limit`` for each
viewer (anonymous, the coordinator, four partners) before and after the embargo,
and compare with the pure predicate ``can_view`` and the filter's meaning written
in Python: no hidden item, no missing visible one, ``numberMatched`` exact on
every page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import shapely
from stac_world import (
    AFTER,
    BEFORE,
    MOMENTS,
    VIEWERS,
    Spec,
    World,
    build_world,
    check_pages,
    expected_visible,
    follow_pages,
)

from spacepool.catalog.access import AccessPolicy
from spacepool.store.cql2 import CONFORMANCE_CLASSES, queryables_document


@pytest.fixture(scope="module")
def world(module_database_url: str) -> Iterator[World]:
    yield from build_world(module_database_url)


T0 = "2026-01-05T00:00:00Z"
T1 = "2026-01-15T00:00:00Z"
TRIANGLE_WKT = "POLYGON((-21 -11, 10 -11, -21 20, -21 -11))"
TRIANGLE = shapely.from_wkt(TRIANGLE_WKT)


def _square(spec: Spec) -> shapely.Polygon:
    return shapely.box(spec.lon, spec.lat, spec.lon + 0.5, spec.lat + 0.5)


def _between(spec: Spec, start: str, end: str) -> bool:
    from spacepool.catalog.items import parse_rfc3339

    return parse_rfc3339(start, field_name="t") <= spec.when <= parse_rfc3339(end, field_name="t")


# CQL2 text -> the same filter as a predicate on an item of the world
FILTERS: dict[str, Callable[[Spec], bool]] = {
    "spacepool:owner = 'nasa'": lambda s: s.access.owner == "nasa",
    "spacepool:owner = 'esa' AND spacepool:access = 'partners'": lambda s: (
        s.access.owner == "esa" and s.access.policy is AccessPolicy.PARTNERS
    ),
    "NOT (spacepool:owner = 'esa')": lambda s: s.access.owner != "esa",
    "spacepool:access IN ('owner', 'partners') OR id LIKE 'jaxa%'": lambda s: (
        s.access.policy in (AccessPolicy.OWNER, AccessPolicy.PARTNERS) or s.id.startswith("jaxa")
    ),
    "spacepool:embargo_until IS NULL": lambda s: s.access.embargo_until is None,
    f"T_INTERSECTS(datetime, INTERVAL('{T0}', '{T1}'))": lambda s: _between(s, T0, T1),
    f"S_INTERSECTS(geometry, {TRIANGLE_WKT}) AND collection = 'eo'": lambda s: (
        s.collection == "eo" and _square(s).intersects(TRIANGLE)
    ),
    "S_INTERSECTS(geometry, BBOX(-20, -10, -15, -5)) OR S_INTERSECTS(geometry, POINT(0 0.2))": (
        lambda s: (
            _square(s).intersects(shapely.box(-20, -10, -15, -5))
            or _square(s).intersects(shapely.Point(0, 0.2))
        )
    ),
    "platform = 'sentinel-2a'": lambda s: True,
    "platform = 'landsat-9'": lambda s: False,
}


def _json(text: str) -> dict:
    import cql2

    document: dict = cql2.parse_text(text).to_json()
    return document


@pytest.mark.parametrize("moment", list(MOMENTS))
@pytest.mark.parametrize("label", VIEWERS)
def test_filtered_search_shows_exactly_the_visible_matching_items(
    world: World, label: str, moment: str
) -> None:
    world.clock.now = MOMENTS[moment]
    for text, keep in FILTERS.items():
        expected = expected_visible(world, label, keep)
        seen, pages = follow_pages(
            world, label, "GET", f"/stac/search?limit=3&filter={quote(text)}"
        )
        check_pages(world, label, expected, seen, pages)
        body = {"filter": _json(text), "limit": 2}
        seen, pages = follow_pages(world, label, "POST", "/stac/search", body)
        check_pages(world, label, expected, seen, pages)
        body = {"filter": text, "filter-lang": "cql2-text", "limit": 4}
        seen, pages = follow_pages(world, label, "POST", "/stac/search", body)
        check_pages(world, label, expected, seen, pages)


@pytest.mark.parametrize("moment", list(MOMENTS))
@pytest.mark.parametrize("label", VIEWERS)
def test_filtered_collection_items_show_exactly_the_visible_matching_items(
    world: World, label: str, moment: str
) -> None:
    world.clock.now = MOMENTS[moment]
    for collection in ("eo", "sar"):
        for text in ("spacepool:owner = 'nasa'", "NOT (spacepool:owner = 'esa')"):
            keep = FILTERS[text]
            expected = expected_visible(
                world, label, lambda s, c=collection, k=keep: s.collection == c and k(s)
            )
            url = f"/stac/collections/{collection}/items?limit=2&filter={quote(text)}"
            seen, pages = follow_pages(world, label, "GET", url)
            check_pages(world, label, expected, seen, pages)


@pytest.mark.parametrize(("label", "moment"), [("nasa", BEFORE), ("nasa", AFTER), ("csa", BEFORE)])
def test_a_partner_filtering_on_another_owner_sees_only_what_it_may(
    world: World, label: str, moment: object
) -> None:
    """esa shares its 'partners' items with nasa; csa is named nowhere."""
    world.clock.now = moment  # type: ignore[assignment]
    seen, pages = follow_pages(
        world, label, "GET", "/stac/search?limit=5&filter=" + quote("spacepool:owner = 'esa'")
    )
    ids = {item_id for _, item_id in seen}
    expected = {"esa-open-plain", "esa-open-embargo", "esa-consortium-plain",
                "esa-consortium-embargo"}  # fmt: skip
    if label == "nasa":
        expected |= {"esa-partners-plain", "esa-partners-embargo"}
    if moment == AFTER:
        expected |= {"esa-owner-embargo", "esa-partners-embargo"}
    assert ids == expected
    assert pages[0]["numberMatched"] == len(expected)


def test_anonymous_filter_on_a_hidden_property_value_finds_nothing_hidden(world: World) -> None:
    world.clock.now = BEFORE
    text = "spacepool:access = 'owner'"
    response = world.client.get(f"/stac/search?filter={quote(text)}")
    assert response.status_code == 200
    assert response.json()["features"] == []
    assert response.json()["numberMatched"] == 0


def test_next_links_carry_the_filter(world: World) -> None:
    world.clock.now = BEFORE
    text = "spacepool:owner = 'jaxa'"
    page = world.client.get(
        f"/stac/search?limit=1&filter={quote(text)}", headers=world.headers("admin")
    ).json()
    (link,) = [link for link in page["links"] if link["rel"] == "next"]
    assert "filter=spacepool%3Aowner" in link["href"]
    page = world.client.post(
        "/stac/search", json={"limit": 1, "filter": _json(text)}, headers=world.headers("admin")
    ).json()
    (link,) = [link for link in page["links"] if link["rel"] == "next"]
    assert link["body"]["filter"] == _json(text)


def test_a_next_link_keeps_the_query_as_sent_and_replaces_only_the_token(world: World) -> None:
    world.clock.now = BEFORE
    first = world.client.get(
        "/stac/search?limit=1&bbox=-180,-90,180,90", headers=world.headers("admin")
    )
    (link,) = [link for link in first.json()["links"] if link["rel"] == "next"]
    path, _, query = link["href"].partition("?")
    assert path.endswith("/stac/search")
    token = query.split("&")[-1].removeprefix("token=")
    assert query == f"limit=1&bbox=-180,-90,180,90&token={token}"
    # A token given with its name percent-encoded is a token too: it is replaced,
    # not kept beside the new one.
    second = world.client.get(
        f"/stac/search?limit=1&tok%65n={token}&bbox=-180,-90,180,90",
        headers=world.headers("admin"),
    )
    assert second.status_code == 200, second.text
    (link,) = [link for link in second.json()["links"] if link["rel"] == "next"]
    query = link["href"].partition("?")[2]
    assert query.startswith("limit=1&bbox=-180,-90,180,90&token=")
    assert query.count("token=") == 1 and "tok%65n" not in query
    assert first.json()["features"][0]["id"] != second.json()["features"][0]["id"]


def test_get_filter_in_cql2_json(world: World) -> None:
    world.clock.now = BEFORE
    document = json.dumps(_json("spacepool:owner = 'jaxa' AND spacepool:access = 'open'"))
    response = world.client.get(f"/stac/search?filter-lang=cql2-json&filter={quote(document)}")
    assert response.status_code == 200, response.text
    assert {f["id"] for f in response.json()["features"]} == {
        "jaxa-open-plain",
        "jaxa-open-embargo",
    }


# (method, URL or body, the whole error description)
BAD_REQUESTS = [
    (
        "GET",
        "/stac/search?filter=" + quote("CASEI(platform) = 'x'"),
        "filter: =: functions and arithmetic ('casei') are not supported as operands; "
        "compare a property with a literal",
    ),
    (
        "GET",
        "/stac/search?filter-lang=cql2-json&filter=" + quote("{bad"),
        "filter: CQL2 JSON that is not JSON: Expecting property name enclosed in double "
        "quotes: line 1 column 2 (char 1)",
    ),
    (
        "GET",
        "/stac/collections/eo/items?filter=" + quote("gsd + 1 > 3"),
        "filter: >: functions and arithmetic ('+') are not supported as operands; "
        "compare a property with a literal",
    ),
    (
        "POST",
        {"filter": {"op": "myfunc", "args": [{"property": "platform"}, 3]}},
        "filter: operator 'myfunc' is not supported; supported: and, or, not, =, <>, <, <=, "
        ">, >=, like, between, in, isNull, a_containedby, a_contains, a_equals, a_overlaps, "
        "s_contains, s_crosses, s_disjoint, s_equals, s_intersects, s_overlaps, s_touches, "
        "s_within, anyinteracts, t_after, t_before, t_contains, t_disjoint, t_during, "
        "t_equals, t_finishedby, t_finishes, t_intersects, t_meets, t_metby, "
        "t_overlappedby, t_overlaps, t_startedby, t_starts",
    ),
    (
        "POST",
        {"filter": "id = 'x'", "filter-lang": "cql2-json"},
        "filter: CQL2 JSON that is not JSON: Expecting value: line 1 column 1 (char 0)",
    ),
    (
        "POST",
        {"filter": {"op": "=", "args": [{"property": "id"}, "x"]}, "filter-crs": "EPSG:4326"},
        "filter-crs: only http://www.opengis.net/def/crs/OGC/1.3/CRS84 is supported; "
        "got 'EPSG:4326'",
    ),
]


@pytest.mark.parametrize(("method", "target", "message"), BAD_REQUESTS)
def test_bad_filter_is_a_400_with_the_error_shape(
    world: World, method: str, target: object, message: str
) -> None:
    if method == "GET":
        response = world.client.get(str(target))
    else:
        response = world.client.post("/stac/search", json=target)
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_filter", "description": message}


def test_queryables_are_served_for_the_catalogue_and_each_collection(world: World) -> None:
    response = world.client.get("/stac/queryables")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/schema+json"
    assert response.json() == queryables_document("http://testserver/stac/queryables")
    response = world.client.get("/stac/collections/eo/queryables")
    assert response.status_code == 200
    assert response.json()["$id"] == "http://testserver/stac/collections/eo/queryables"
    response = world.client.get("/stac/collections/nothing/queryables")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_conformance_lists_the_filter_classes(world: World) -> None:
    classes = set(world.client.get("/stac/conformance").json()["conformsTo"])
    assert set(CONFORMANCE_CLASSES) <= classes
    assert "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison" not in classes


def _doc_section() -> str:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "data-service.md").read_text()
    return doc.split("## Filter (CQL2)", 1)[1].split("\n## ", 1)[0]


def test_the_documented_filters_run_as_text_and_as_json(world: World) -> None:
    world.clock.now = BEFORE
    block = re.search(r"```cql2\n(.*?)```", _doc_section(), re.S)
    assert block is not None
    lines = block.group(1).strip().splitlines()
    assert len(lines) == 8
    for text in lines:
        got = world.client.get(
            f"/stac/search?limit=100&filter={quote(text)}", headers=world.headers("admin")
        )
        assert got.status_code == 200, (text, got.text)
        posted = world.client.post(
            "/stac/search",
            json={"limit": 100, "filter": _json(text)},
            headers=world.headers("admin"),
        )
        assert posted.status_code == 200, (text, posted.text)
        ids = [f["id"] for f in got.json()["features"]]
        assert ids == [f["id"] for f in posted.json()["features"]], text


def test_the_documented_curl_examples_answer_as_described(world: World) -> None:
    """Both curl lines are the first filter of the list; anonymous sees esa's open
    items (every item of the world is a sentinel-2a acquisition)."""
    world.clock.now = BEFORE
    section = _doc_section()
    url = re.search(r"curl -s 'localhost:8000(/stac/search\?filter=[^']+)'", section)
    body = re.search(r"-d '(\{.*\})'", section)
    first = re.search(r"```cql2\n(.*?)\n", section)
    assert url is not None and body is not None and first is not None
    assert json.loads(body.group(1))["filter"] == _json(first.group(1))
    expected = {s.id for s in world.items if s.access.owner == "esa"
                and s.access.policy is AccessPolicy.OPEN}  # fmt: skip
    got = world.client.get(url.group(1)).json()
    posted = world.client.post("/stac/search", json=json.loads(body.group(1))).json()
    assert {f["id"] for f in got["features"]} == expected
    assert {f["id"] for f in posted["features"]} == expected
