"""GET /stac/search answers the same with and without its fast path
(spacepool.api.fast_search): status, media type and body byte for byte, for every
viewer (and bad keys), ordinary and unusual queries, valid and invalid; ordinary
queries do take the fast path, and the others reach the route."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from stac_world import AFTER, BEFORE, VIEWERS, World, build_world

import spacepool.api.fast_search as fast_search
from spacepool.api.fast_search import ENABLED_STATE


@pytest.fixture(scope="module")
def world(module_database_url: str) -> Iterator[World]:
    yield from build_world(module_database_url)


# Ordinary: the fast path answers these itself.
ORDINARY = [
    "",
    "?limit=3",
    "?bbox=-25,-15,10,10",
    "?bbox=-25,-15,10,10&datetime=2026-01-02T00:00:00Z/2026-01-20T00:00:00Z",
    "?bbox=170,-90,-170,90",  # across the antimeridian: two boxes
    "?datetime=2026-01-05T00:00:00Z/..",
    "?datetime=../2026-01-05T00:00:00Z&limit=2",
    "?collections=eo&limit=4",
    "?collections=eo,sar&ids=esa-open-plain,nasa-owner-plain,jaxa-partners-embargo",
    '?intersects={"type":"Point","coordinates":[-19.8,-9.8]}',
    "?filter=platform%20%3D%20%27sentinel-2a%27&filter-lang=cql2-text&limit=5",
    "?bbox=-25,-15,10,10&limit=100000",  # above the maximum: the maximum
]
# Unusual or invalid: the route answers them (the fast path steps aside).
ROUTED = [
    ("?unused=1", 200),
    ("?limit=3&limit=4", 400),  # a parameter given twice
    ("?limit=%2010", 200),
    ("?limit=0", 400),
    ("?limit=-1", 400),
    ("?limit=abc", 400),
    ("?limit=1.5", 400),
    ("?bbox=1,2,3", 400),
    ("?bbox=10,10,0,0&bbox=1,1,2,2", 400),
    ("?bbox=0,0,1,1&intersects=%7B%7D", 400),
    ("?datetime=not-a-time", 400),
    ("?datetime=2026-02-01T00:00:00Z/2026-01-01T00:00:00Z", 400),
    ("?collections=nope", 400),
    ("?token=garbage", 400),
    ("?filter=platform%20%3D", 400),
]
MALFORMED_HEADERS = [
    {"Authorization": "Bearer"},
    {"Authorization": "Basic abc"},
    {"Authorization": "Bearer sp_unknown-key"},
]


def _answer(world: World, url: str, headers: dict[str, str], fast: bool) -> tuple[Any, ...]:
    setattr(world.client.app.state, ENABLED_STATE, fast)  # type: ignore[attr-defined]
    try:
        response = world.client.get(f"/stac/search{url}", headers=headers)
    finally:
        setattr(world.client.app.state, ENABLED_STATE, True)  # type: ignore[attr-defined]
    return response.status_code, response.headers.get("content-type"), response.content


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each fast-path attempt answered (True) or stepped aside (False)."""
    seen: list[bool] = []
    original = fast_search._answer

    def spy(*args: Any) -> bytes | None:
        answer = original(*args)
        seen.append(answer is not None)
        return answer

    monkeypatch.setattr(fast_search, "_answer", spy)
    return seen


@pytest.mark.parametrize("moment", [BEFORE, AFTER], ids=["before-embargo", "after-embargo"])
@pytest.mark.parametrize("label", VIEWERS)
def test_ordinary_searches_take_the_fast_path_and_answer_as_the_route_does(
    world: World, label: str, moment: Any, taken: list[bool]
) -> None:
    world.clock.now = moment
    for url in ORDINARY:
        taken.clear()
        fast = _answer(world, url, world.headers(label), fast=True)
        assert taken == [True], url
        routed = _answer(world, url, world.headers(label), fast=False)
        assert fast == routed, url
        assert fast[0] == 200, (url, fast)


@pytest.mark.parametrize("label", ["anonymous", "esa"])
def test_unusual_or_invalid_searches_reach_the_route(
    world: World, label: str, taken: list[bool]
) -> None:
    world.clock.now = BEFORE
    for url, status in ROUTED:
        taken.clear()
        fast = _answer(world, url, world.headers(label), fast=True)
        assert taken == [False], url
        assert fast == _answer(world, url, world.headers(label), fast=False), url
        assert fast[0] == status, (url, fast)


@pytest.mark.parametrize("headers", MALFORMED_HEADERS, ids=lambda h: h["Authorization"][:12])
def test_bad_keys_are_refused_by_the_route(
    world: World, headers: dict[str, str], taken: list[bool]
) -> None:
    fast = _answer(world, "?limit=2", headers, fast=True)
    assert taken == [False]
    assert fast == _answer(world, "?limit=2", headers, fast=False)
    assert fast[0] == 401


def test_paging_through_the_fast_path_matches_the_route_page_by_page(world: World) -> None:
    world.clock.now = BEFORE
    for label in ("anonymous", "nasa"):
        url: str | None = "?limit=2&bbox=-30,-20,30,20"
        pages = 0
        while url is not None:
            fast = _answer(world, url, world.headers(label), fast=True)
            assert fast == _answer(world, url, world.headers(label), fast=False)
            page = world.client.get(f"/stac/search{url}", headers=world.headers(label)).json()
            nexts = [link["href"] for link in page["links"] if link["rel"] == "next"]
            url = nexts[0].split("/stac/search", 1)[1] if nexts else None
            pages += 1
        assert pages > 2


def test_other_methods_and_paths_are_not_touched(world: World, taken: list[bool]) -> None:
    world.client.post("/stac/search", json={"limit": 1})
    world.client.get("/stac/collections/eo/items?limit=1")
    world.client.get("/stac/search/", follow_redirects=False)
    assert taken == []
