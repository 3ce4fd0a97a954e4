"""A CQL2 filter in the store's search: pages, paging keys and ``numberMatched``
stay exact when the filter's spatial tests run outside SQL over several fetch
rounds, and the access filter still applies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import shapely

import spacepool.store.search as search_module
from datastore_factory import NOW, collection_doc, item_doc
from spacepool.catalog.access import Viewer, can_view
from spacepool.catalog.items import parse_item
from spacepool.store import Store
from spacepool.store.collections import create_collection
from spacepool.store.cql2 import compile_filter
from spacepool.store.items import create_items
from spacepool.store.partners import add_partner
from spacepool.store.search import ItemQuery, search_items

GRID_LON_DEG = [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
GRID_LAT_DEG = [0.0, 2.0, 4.0, 6.0, 8.0]
POLICIES = ["open", "owner", "consortium"]
TRIANGLE_WKT = "POLYGON((0 0, 8 0, 0 8, 0 0))"
TRIANGLE = shapely.from_wkt(TRIANGLE_WKT)
CORNER = shapely.box(9.0, 7.0, 11.0, 9.0)
FILTER = (
    f"(S_INTERSECTS(geometry, {TRIANGLE_WKT}) OR S_INTERSECTS(geometry, BBOX(9, 7, 11, 9))) "
    "AND gsd < 20"
)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url)
    with store.transaction() as session:
        for partner in ("esa", "nasa"):
            add_partner(session, partner, partner.upper(), now=NOW)
        create_collection(session, collection_doc("eo"), now=NOW)
        cells = [(x, y) for x in GRID_LON_DEG for y in GRID_LAT_DEG]
        for n, (x, y) in enumerate(cells):
            owner = "esa" if n % 2 else "nasa"
            doc = item_doc(
                f"p{n:02d}",
                lon=x,
                lat=y,
                when=NOW - timedelta(hours=n + 1),
                access=POLICIES[n % 3],
                gsd=5.0 * (n % 5),
            )
            create_items(
                session, [parse_item(doc, collection="eo")], Viewer.partner(owner), now=NOW
            )
    yield store
    store.close()


def _expected(store: Store, viewer: Viewer) -> set[str]:
    with store.transaction(read_only=True) as session:
        everything = search_items(session, Viewer.admin(), NOW, ItemQuery(limit=1000)).items
    return {
        item.id
        for item in everything
        if can_view(viewer, item.access, NOW)
        and item.properties["gsd"] < 20
        and (
            shapely.geometry.shape(item.geometry).intersects(TRIANGLE)
            or shapely.geometry.shape(item.geometry).intersects(CORNER)
        )
    }


@pytest.mark.parametrize("batch_rows", [4, 500], ids=["several-rounds", "one-round"])
@pytest.mark.parametrize("limit", [1, 3, 100])
@pytest.mark.parametrize("label", ["anonymous", "esa", "admin"])
def test_filtered_pages_hold_exactly_the_visible_matches(
    store: Store, monkeypatch: pytest.MonkeyPatch, batch_rows: int, limit: int, label: str
) -> None:
    monkeypatch.setattr(search_module, "SPATIAL_BATCH_ROWS", batch_rows)
    viewer = {
        "anonymous": Viewer.anonymous(),
        "esa": Viewer.partner("esa"),
        "admin": Viewer.admin(),
    }[label]
    expected = _expected(store, viewer)
    assert 3 < len(expected) < 30  # the filter, the policies and the shapes all bite
    seen: list[str] = []
    after = None
    with store.transaction(read_only=True) as session:
        for _ in range(100):
            page = search_items(
                session,
                viewer,
                NOW,
                ItemQuery(limit=limit, after=after, filter=compile_filter(FILTER)),
            )
            assert page.number_matched == len(expected)
            seen.extend(item.id for item in page.items)
            if page.next is None:
                break
            after = page.next
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))
