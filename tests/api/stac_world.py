"""A small consortium catalogue for API tests: four partners, a coordinator, two
collections and one item for every (owner, policy, embargo) combination."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from datastore_factory import collection_doc, item_doc
from spacepool.api import create_app
from spacepool.catalog.access import AccessPolicy, ItemAccess, Viewer, can_view
from spacepool.store import Store
from spacepool.store.keys import create_api_key
from spacepool.store.partners import add_partner

EMBARGO_END = datetime(2026, 6, 1, tzinfo=UTC)
BEFORE = EMBARGO_END - timedelta(hours=1)
AFTER = EMBARGO_END + timedelta(hours=1)
PARTNERS = ["esa", "nasa", "jaxa", "csa"]  # csa owns nothing and is named nowhere
OWNERS = ["esa", "nasa", "jaxa"]
COLLECTIONS = ["eo", "sar"]


@dataclass
class Clock:
    now: datetime = BEFORE

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Spec:
    collection: str
    id: str
    access: ItemAccess
    lon: float
    lat: float
    when: datetime


@dataclass
class World:
    client: TestClient
    clock: Clock
    keys: dict[str, str]  # viewer label -> API key
    items: list[Spec] = field(default_factory=list)
    url: str = ""

    def headers(self, label: str) -> dict[str, str]:
        return {} if label == "anonymous" else {"Authorization": f"Bearer {self.keys[label]}"}

    def viewer(self, label: str) -> Viewer:
        if label == "anonymous":
            return Viewer.anonymous()
        if label == "admin":
            return Viewer.admin()
        return Viewer.partner(label)


VIEWERS = ["anonymous", "admin", *PARTNERS]


def build_world(database_url: str) -> Iterator[World]:
    clock = Clock()
    app = create_app(database_url, clock=clock)
    store: Store = app.state.store
    keys: dict[str, str] = {}
    with store.transaction() as session:
        for partner in PARTNERS:
            add_partner(session, partner, partner.upper(), now=BEFORE)
            keys[partner] = create_api_key(session, partner_id=partner, admin=False, now=BEFORE).key
        keys["admin"] = create_api_key(session, partner_id=None, admin=True, now=BEFORE).key
    client = TestClient(app)
    world = World(client, clock, keys, url=database_url)
    for collection in COLLECTIONS:
        response = client.post(
            "/stac/collections", json=collection_doc(collection), headers=world.headers("admin")
        )
        assert response.status_code == 201, response.text
    n = 0
    for owner_index, owner in enumerate(OWNERS):
        for policy in AccessPolicy:
            for embargo in (None, EMBARGO_END):
                shared = [OWNERS[(owner_index + 1) % 3]] if policy is AccessPolicy.PARTNERS else []
                collection = COLLECTIONS[n % 2]
                item_id = f"{owner}-{policy.value}-{'embargo' if embargo else 'plain'}"
                lon, lat = -20.0 + 2.0 * n, -10.0 + 1.0 * n
                when = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=n)
                doc = item_doc(
                    item_id,
                    lon=lon,
                    lat=lat,
                    size_deg=0.5,
                    when=when,
                    access=policy.value,
                    shared_with=shared,
                    embargo_until=embargo,
                    platform="sentinel-2a",
                )
                response = client.post(
                    f"/stac/collections/{collection}/items", json=doc, headers=world.headers(owner)
                )
                assert response.status_code == 201, response.text
                world.items.append(
                    Spec(
                        collection,
                        item_id,
                        ItemAccess(owner, policy, frozenset(shared), embargo),
                        lon,
                        lat,
                        when,
                    )
                )
                n += 1
    try:
        yield world
    finally:
        client.close()
        store.close()


def follow_pages(
    world: World, label: str, method: str, url: str, body: dict[str, Any] | None = None
) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """All features over all pages (following ``next`` links); returns the
    ``(collection, id)`` pairs and every page's JSON."""
    seen: list[tuple[str, str]] = []
    pages: list[dict[str, Any]] = []
    for _ in range(200):
        if method == "GET":
            response = world.client.get(url, headers=world.headers(label))
        else:
            response = world.client.post(url, json=body, headers=world.headers(label))
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        seen.extend((f["collection"], f["id"]) for f in page["features"])
        nexts = [link for link in page["links"] if link["rel"] == "next"]
        if not nexts:
            return seen, pages
        method = nexts[0].get("method", "GET")
        url = nexts[0]["href"]
        body = nexts[0].get("body")
    raise AssertionError("paging did not end")


MOMENTS = {"before embargo": BEFORE, "after embargo": AFTER}


def expected_visible(
    world: World, label: str, keep: Callable[[Spec], bool]
) -> set[tuple[str, str]]:
    """(collection, id) of the items ``label`` may see now and ``keep`` selects: the
    answer computed from the pure policy function, not from the store."""
    viewer = world.viewer(label)
    return {
        (s.collection, s.id)
        for s in world.items
        if can_view(viewer, s.access, world.clock.now) and keep(s)
    }


def check_pages(
    world: World, label: str, expected: set[tuple[str, str]], seen: list[Any], pages: list[Any]
) -> None:
    """No hidden item, no visible item missing, none twice, and exact counts."""
    leaked = set(seen) - expected
    blocked = expected - set(seen)
    assert not leaked, f"{label} at {world.clock.now} saw hidden items {sorted(leaked)}"
    assert not blocked, f"{label} at {world.clock.now} missed visible items {sorted(blocked)}"
    assert len(seen) == len(set(seen)), "an item came on two pages"
    assert {page["numberMatched"] for page in pages} == {len(expected)}
    assert sum(page["numberReturned"] for page in pages) == len(expected)
