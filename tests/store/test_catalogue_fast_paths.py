"""The catalogue's fast paths give the same answers as the slow ones they replaced:
a bulk insert is a fixed number of statements whatever mix of embargoes and shares
it holds (COPY on PostgreSQL), a first search page is one statement that carries
the access filter (reading documents for the first rows only; a page made of later
rows gets them by key, still through the access filter), and a verified key is remembered for a bounded time only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import shapely
from sqlalchemy import event, update

from datastore_factory import NOW, collection_doc, item_doc
from spacepool.catalog.access import AccessPolicy, Viewer, can_view
from spacepool.catalog.items import item_document, parse_item
from spacepool.errors import AuthenticationError
from spacepool.store import Store
from spacepool.store.collections import create_collection
from spacepool.store.items import create_items, get_item
from spacepool.store.keys import KeyCache, authenticate, create_api_key
from spacepool.store.models import ApiKey
from spacepool.store.partners import add_partner
from spacepool.store.search import ItemQuery, search_items

PARTNERS = ("esa", "nasa", "jaxa")
POLICIES = [policy.value for policy in AccessPolicy]
N_ITEMS = 120


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url)
    with store.transaction() as session:
        for partner in PARTNERS:
            add_partner(session, partner, partner.upper(), now=NOW)
        create_collection(session, collection_doc("eo"), now=NOW)
    yield store
    store.close()


def _statements(store: Store) -> list[str]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(" ".join(statement.lower().split()))

    event.listen(store.engine, "before_cursor_execute", record)
    return seen


def _mixed_docs() -> list[dict[str, Any]]:
    """Items whose embargo and shares change from one to the next (a bulk insert once
    split into a statement per run of rows with the same NULL columns)."""
    docs = []
    for n in range(N_ITEMS):
        policy = POLICIES[n % len(POLICIES)]
        docs.append(
            item_doc(
                f"i{n:03d}",
                lon=float(n % 30),
                lat=float(n // 30),
                size_deg=0.5,
                when=NOW - timedelta(hours=n + 1),
                access=policy,
                shared_with=["nasa", "jaxa"][: 1 + n % 2] if policy == "partners" else None,
                embargo_until=NOW + timedelta(days=1 - 2 * (n % 2)) if n % 3 == 0 else None,
            )
        )
    return docs


def test_a_mixed_bulk_insert_is_one_statement_per_table_and_reads_back_whole(
    store: Store,
) -> None:
    news = [parse_item(doc, collection="eo") for doc in _mixed_docs()]
    statements = _statements(store)
    with store.transaction() as session:
        results = create_items(session, news, Viewer.partner("esa"), now=NOW)
    assert all(created for _, created in results)
    inserts = [s for s in statements if s.startswith("insert into items ")]
    # PostgreSQL copies the rows (COPY runs on the driver, outside these events).
    assert len(inserts) == (0 if store.engine.dialect.name == "postgresql" else 1)
    admin = Viewer.admin()
    with store.transaction(read_only=True) as session:
        for (stored, _), new in zip(results, news, strict=True):
            assert item_document(get_item(session, admin, NOW, "eo", new.id)) == item_document(
                stored
            )
    # A re-post of the same batch is accepted and changes nothing.
    with store.transaction() as session:
        again = create_items(session, news, Viewer.partner("esa"), now=NOW)
    assert not any(created for _, created in again)


@pytest.mark.parametrize("viewer", [Viewer.anonymous(), Viewer.partner("nasa")], ids=str)
def test_a_first_search_page_is_one_statement_with_the_access_filter(
    store: Store, viewer: Viewer
) -> None:
    news = [parse_item(doc, collection="eo") for doc in _mixed_docs()]
    with store.transaction() as session:
        create_items(session, news, Viewer.partner("esa"), now=NOW)
    area = shapely.box(2.0, 0.0, 12.0, 3.0)
    statements = _statements(store)
    with store.transaction(read_only=True) as session:
        page = search_items(session, viewer, NOW, ItemQuery(area=area, limit=5))
    reads = [s for s in statements if s.startswith("select")]
    assert len(reads) == 1
    assert "access" in reads[0] and "item_shares" in reads[0]
    with store.transaction(read_only=True) as session:
        everything = search_items(session, Viewer.admin(), NOW, ItemQuery(area=area, limit=500))
    expected = [item for item in everything.items if can_view(viewer, item.access, NOW)]
    assert page.number_matched == len(expected)
    assert [item_document(item) for item in page.items] == [
        item_document(item) for item in expected[:5]
    ]


def _triangle_doc(item_id: str, hours: int, access: str) -> dict[str, Any]:
    """An item whose bounds overlap the box 0..1 x 0..1 but whose footprint (the
    triangle above the line from 1.9, 0.9 to 0.95, 1.9) does not reach it."""
    doc = item_doc(item_id, when=NOW - timedelta(hours=hours), access=access)
    doc["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[1.9, 0.9], [1.9, 1.9], [0.95, 1.9], [1.9, 0.9]]],
    }
    doc["bbox"] = [0.95, 0.9, 1.9, 1.9]
    return doc


@pytest.mark.parametrize("viewer", [Viewer.anonymous(), Viewer.partner("nasa")], ids=str)
def test_a_page_behind_candidates_that_miss_the_area_comes_whole_and_filtered(
    store: Store, viewer: Viewer
) -> None:
    """The newest candidates (bounds overlap, footprint misses) push the page past
    the rows the search statement reads whole; those are fetched by key, and the
    access filter still holds for them."""
    docs = [_triangle_doc(f"miss{n:02d}", n + 1, "open") for n in range(8)]
    for n in range(6):
        policy = POLICIES[n % len(POLICIES)]
        docs.append(
            item_doc(
                f"hit{n:02d}",
                lon=0.2,
                lat=0.2,
                size_deg=0.3,
                when=NOW - timedelta(hours=20 + n),
                access=policy,
                shared_with=["nasa"] if policy == "partners" else None,
                platform="sentinel-1a",
            )
        )
    news = [parse_item(doc, collection="eo") for doc in docs]
    with store.transaction() as session:
        create_items(session, news, Viewer.partner("esa"), now=NOW)
    query = ItemQuery(area=shapely.box(0.0, 0.0, 1.0, 1.0), limit=3)
    with store.transaction(read_only=True) as session:
        page = search_items(session, viewer, NOW, query)
        admin = search_items(session, Viewer.admin(), NOW, ItemQuery(area=query.area, limit=50))
    expected = [item for item in admin.items if can_view(viewer, item.access, NOW)]
    assert all(item.id.startswith("hit") for item in admin.items)
    assert [item_document(item) for item in page.items] == [
        item_document(item) for item in expected[:3]
    ]
    assert page.number_matched == len(expected)
    assert page.items[0].properties["platform"] == "sentinel-1a"


class _Clock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def test_a_cached_key_is_refused_once_the_cache_time_has_passed_after_revocation(
    store: Store,
) -> None:
    with store.transaction() as session:
        key = create_api_key(session, partner_id="esa", admin=False, now=NOW)
    clock = _Clock()
    cache = KeyCache(ttl_s=5.0, clock=clock)
    assert cache.get(key.key) is None  # never verified: the caller looks it up
    with store.transaction(read_only=True) as session:
        viewer = authenticate(session, key.key)
    cache.put(key.key, viewer)
    with store.transaction() as session:
        session.execute(update(ApiKey).where(ApiKey.id == key.id).values(revoked_at=NOW))
    clock.now_s += 4.9
    assert cache.get(key.key) == viewer  # within the stated bound
    clock.now_s += 0.1
    assert cache.get(key.key) is None
    with store.transaction(read_only=True) as session, pytest.raises(AuthenticationError) as caught:
        authenticate(session, key.key)
    assert str(caught.value) == "invalid API key: unknown or revoked"


def test_the_key_cache_starts_over_when_full() -> None:
    clock = _Clock()
    cache = KeyCache(ttl_s=5.0, max_entries=2, clock=clock)
    viewers = {f"sp_0000000{n}_secret": Viewer.partner(f"p{n}") for n in range(3)}
    for key, viewer in viewers.items():
        cache.put(key, viewer)
    # The third put found the cache full: only that key is remembered.
    assert [cache.get(key) for key in viewers] == [None, None, Viewer.partner("p2")]
