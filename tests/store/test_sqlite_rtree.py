"""SQLite's R*Tree index of items (revision 0005): kept in step with the items by
triggers, and a search through it finds exactly what the plain comparisons find."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import shapely
from sqlalchemy import text

from datastore_factory import NOW, collection_doc, item_doc
from spacepool.catalog.access import Viewer
from spacepool.catalog.items import parse_item
from spacepool.store import Store
from spacepool.store.collections import create_collection
from spacepool.store.items import create_item, create_items, delete_item, update_item
from spacepool.store.partners import add_partner
from spacepool.store.search import ItemQuery, _shape_of, _sqlite_filters, search_items

ESA = Viewer.partner("esa")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'rtree.sqlite'}")
    with store.transaction() as session:
        add_partner(session, "esa", "European Space Agency", now=NOW)
        create_collection(session, collection_doc("eo"), now=NOW)
    yield store
    store.close()


def _index(store: Store) -> dict[int, tuple[float, ...]]:
    with store.transaction(read_only=True) as session:
        rows = session.execute(text("SELECT * FROM items_rtree")).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def _bounds(store: Store) -> dict[int, tuple[float, float, float, float]]:
    with store.transaction(read_only=True) as session:
        rows = session.execute(text("SELECT pk, minx, maxx, miny, maxy FROM items")).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def _contains(index: tuple[float, ...], exact: tuple[float, float, float, float]) -> bool:
    minx, maxx, miny, maxy = exact
    return index[0] <= minx and index[1] >= maxx and index[2] <= miny and index[3] >= maxy


def test_triggers_keep_the_index_in_step_with_inserts_updates_and_deletes(store: Store) -> None:
    with store.transaction() as session:
        create_item(
            session, parse_item(item_doc("a", lon=10.0, lat=45.0), collection="eo"), ESA, now=NOW
        )
        create_items(
            session,
            [
                parse_item(
                    item_doc(f"b{i}", lon=-170.0 + i, lat=-60.0, size_deg=0.5), collection="eo"
                )
                for i in range(5)
            ],
            ESA,
            now=NOW,
        )
    assert _index(store).keys() == _bounds(store).keys() and len(_bounds(store)) == 6
    # The index holds 32-bit floats rounded outward: each box contains the exact one.
    assert all(_contains(_index(store)[pk], b) for pk, b in _bounds(store).items())

    with store.transaction() as session:
        update_item(
            session,
            parse_item(item_doc("a", lon=120.0, lat=-30.0, size_deg=2.0), collection="eo"),
            ESA,
            now=NOW,
        )
        delete_item(session, ESA, NOW, "eo", "b0")
    assert _index(store).keys() == _bounds(store).keys() and len(_bounds(store)) == 5
    assert all(_contains(_index(store)[pk], b) for pk, b in _bounds(store).items())


def test_a_search_through_the_index_matches_the_plain_comparisons(store: Store) -> None:
    # Items on a grid and over ten days; queries whose edges fall exactly on item
    # edges and times, where a wrong rounding would drop an item.
    docs = [
        item_doc(
            f"g{x}_{y}_{d}",
            lon=float(x),
            lat=float(y),
            size_deg=1.0,
            when=NOW - timedelta(days=d, seconds=0.25),
        )
        for x in range(-5, 5, 2)
        for y in range(40, 50, 3)
        for d in range(0, 10, 3)
    ]
    with store.transaction() as session:
        create_items(session, [parse_item(doc, collection="eo") for doc in docs], ESA, now=NOW)
    queries = [
        ItemQuery(area=shapely.box(-3.0, 40.0, 1.0, 44.0), limit=1000),
        ItemQuery(area=shapely.Point(0.0, 44.0), limit=1000),  # a corner of one square
        ItemQuery(start=NOW - timedelta(days=3, seconds=0.25), end=NOW, limit=1000),
        ItemQuery(
            start=NOW - timedelta(days=6, seconds=0.25),
            end=NOW - timedelta(days=6, seconds=0.25),
            limit=1000,
        ),
        ItemQuery(
            area=shapely.box(0.5, 43.5, 4.0, 50.0),
            start=NOW - timedelta(days=5),
            end=NOW - timedelta(days=2),
            limit=1000,
        ),
    ]
    for query in queries:
        with store.transaction(read_only=True) as session:
            found = {item.id for item in search_items(session, ESA, NOW, query).items}
            expected = {
                doc["id"]
                for doc in docs
                if (
                    query.area is None
                    or shapely.geometry.shape(doc["geometry"]).intersects(query.area)
                )
                and (
                    query.start is None
                    or parse_item(doc, collection="eo").datetime_end >= query.start
                )
                and (
                    query.end is None
                    or parse_item(doc, collection="eo").datetime_start <= query.end
                )
            }
        assert found == expected, query
        assert expected, "each query must match something"


def test_the_index_is_used_only_for_a_search_box_of_at_most_a_tenth_of_the_globe() -> None:
    def lookups(query: ItemQuery) -> int:
        shape, _ = _shape_of(ESA, query, "sqlite")
        return len(_sqlite_filters(shape))

    assert lookups(ItemQuery(limit=10)) == 0
    assert lookups(ItemQuery(start=NOW, end=NOW, limit=10)) == 0
    assert lookups(ItemQuery(area=shapely.box(0, 0, 1, 1), limit=10)) == 1
    assert lookups(ItemQuery(area=shapely.box(0, 0, 80, 81), limit=10)) == 1
    assert lookups(ItemQuery(area=shapely.box(0, 0, 80, 82), limit=10)) == 0
