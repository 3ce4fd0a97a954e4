"""``number_matched`` of a search page: taken from the page's own rows when they were
all the candidates, from a count query otherwise, and the same number either way."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import shapely
from sqlalchemy import event

import spacepool.store.search as search_module
from datastore_factory import NOW, collection_doc, item_doc
from spacepool.catalog.access import Viewer
from spacepool.catalog.items import parse_item
from spacepool.store import Store
from spacepool.store.collections import create_collection
from spacepool.store.items import create_items
from spacepool.store.partners import add_partner
from spacepool.store.search import ItemQuery, count_items, search_items

ESA = Viewer.partner("esa")
# Points on a 6 x 5 grid of 2-degree steps from (0, 0); the triangle below holds
# those with lon + lat <= 8 degrees: its envelope (the SQL prefilter) holds them all.
GRID_LON_DEG = [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
GRID_LAT_DEG = [0.0, 2.0, 4.0, 6.0, 8.0]
TRIANGLE = shapely.Polygon([(0.0, 0.0), (8.0, 0.0), (0.0, 8.0)])
IN_TRIANGLE = sum(1 for x in GRID_LON_DEG for y in GRID_LAT_DEG if x + y <= 8.0)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url)
    with store.transaction() as session:
        add_partner(session, "esa", "European Space Agency", now=NOW)
        create_collection(session, collection_doc("eo"), now=NOW)
        docs = [
            item_doc(f"p{n:02d}", lon=x, lat=y, when=NOW - timedelta(hours=n + 1))
            for n, (x, y) in enumerate((x, y) for x in GRID_LON_DEG for y in GRID_LAT_DEG)
        ]
        create_items(session, [parse_item(d, collection="eo") for d in docs], ESA, now=NOW)
    yield store
    store.close()


def _statements(store: Store) -> list[str]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", record)
    return seen


@pytest.mark.parametrize("batch_rows", [4, 500], ids=["several-rounds", "one-round"])
@pytest.mark.parametrize("limit", [1, 3, 100])
def test_every_page_reports_the_exact_match_count(
    store: Store, monkeypatch: pytest.MonkeyPatch, batch_rows: int, limit: int
) -> None:
    assert IN_TRIANGLE == 15  # 6 + 5 + 4 grid points (lat 0 .. 8, 0 .. 6, ...) in the corner
    monkeypatch.setattr(search_module, "SPATIAL_BATCH_ROWS", batch_rows)
    after = None
    seen: list[str] = []
    for _ in range(IN_TRIANGLE + 1):
        with store.transaction(read_only=True) as session:
            page = search_items(
                session, ESA, NOW, ItemQuery(area=TRIANGLE, limit=limit, after=after)
            )
        assert page.number_matched == IN_TRIANGLE
        seen.extend(item.id for item in page.items)
        after = page.next
        if after is None:
            break
    assert len(seen) == len(set(seen)) == IN_TRIANGLE


def test_a_first_page_holding_every_candidate_runs_no_count_query(store: Store) -> None:
    statements = _statements(store)
    with store.transaction(read_only=True) as session:
        page = search_items(session, ESA, NOW, ItemQuery(area=TRIANGLE, limit=100))
    assert (len(page.items), page.number_matched) == (IN_TRIANGLE, IN_TRIANGLE)
    assert not any("count(" in s.lower() for s in statements)
    assert not any(s.lower().startswith("select items.geometry \n") for s in statements)


def test_a_page_without_area_that_is_not_the_whole_set_counts_in_sql(store: Store) -> None:
    statements = _statements(store)
    with store.transaction(read_only=True) as session:
        page = search_items(session, ESA, NOW, ItemQuery(limit=2))
    total = len(GRID_LON_DEG) * len(GRID_LAT_DEG)
    assert (len(page.items), page.number_matched) == (2, total)
    assert sum("count(" in s.lower() for s in statements) == 1


# Squares of side 1 degree every 0.75 degrees from -3 to 3: inside the boxes below,
# across their edges, and outside; and a triangle whose bounds overlap the box
# (0, 0)-(2, 2) in its corner while the triangle stays out of it (its long side,
# lon + lat = 4.5, passes the corner (2, 2) at a distance).
SQUARE_STARTS_DEG = [-3.0 + 0.75 * k for k in range(9)]
CORNER_TRIANGLE = shapely.Polygon([(1.5, 3.0), (3.0, 3.0), (3.0, 1.5)])
COUNT_AREAS = {
    "box": shapely.box(0.0, 0.0, 2.0, 2.0),
    "two boxes": shapely.MultiPolygon(
        [shapely.box(-3.0, -3.0, -1.0, -1.0), shapely.box(1.0, 1.0, 3.0, 3.0)]
    ),
    "triangle": shapely.Polygon([(0.0, 0.0), (3.0, 0.0), (0.0, 3.0)]),
}


@pytest.fixture
def squares(database_url: str) -> Iterator[tuple[Store, list[shapely.Geometry]]]:
    store = Store(database_url)
    footprints = [
        shapely.box(x, y, x + 1.0, y + 1.0) for x in SQUARE_STARTS_DEG for y in SQUARE_STARTS_DEG
    ]
    footprints.append(CORNER_TRIANGLE)
    docs = []
    for n, footprint in enumerate(footprints):
        doc = item_doc(f"s{n:03d}", when=NOW - timedelta(minutes=n + 1))
        doc["geometry"] = shapely.geometry.mapping(footprint)
        doc["bbox"] = list(footprint.bounds)
        docs.append(doc)
    with store.transaction() as session:
        add_partner(session, "esa", "European Space Agency", now=NOW)
        create_collection(session, collection_doc("eo"), now=NOW)
        create_items(session, [parse_item(d, collection="eo") for d in docs], ESA, now=NOW)
    yield store, footprints
    store.close()


@pytest.mark.parametrize("name", COUNT_AREAS)
def test_a_count_over_boxes_reads_only_the_edge_rows_and_stays_exact(
    squares: tuple[Store, list[shapely.Geometry]], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    store, footprints = squares
    area = COUNT_AREAS[name]
    expected = sum(1 for footprint in footprints if footprint.intersects(area))
    assert 0 < expected < len(footprints)
    # The corner triangle's bounds overlap the box but the triangle does not.
    assert CORNER_TRIANGLE.envelope.intersects(COUNT_AREAS["box"])
    assert not CORNER_TRIANGLE.intersects(COUNT_AREAS["box"])
    monkeypatch.setattr(search_module, "SPATIAL_BATCH_ROWS", 4)  # the page cannot hold all
    statements = _statements(store)
    with store.reading() as connection:
        page = search_items(connection, ESA, NOW, ItemQuery(area=area, limit=2))
    assert page.number_matched == expected
    with store.reading() as connection:
        assert count_items(connection, ESA, NOW, ItemQuery(area=area)) == expected
    row_reads = [s for s in statements if "count(" not in s.lower()]
    edge_only = [s for s in row_reads if "NOT (" in s]
    if name == "triangle":  # not boxes: every candidate is read and tested
        assert not edge_only
    else:
        assert edge_only


@pytest.mark.parametrize("name", ["box", "two boxes"])
def test_a_first_page_over_boxes_reads_the_page_the_edge_rows_and_the_last_candidate(
    squares: tuple[Store, list[shapely.Geometry]], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    store, footprints = squares
    area = COUNT_AREAS[name]
    boxes = [part.bounds for part in shapely.get_parts(area)]

    def overlaps(bounds: tuple[float, ...], box: tuple[float, ...]) -> bool:
        return (
            bounds[0] <= box[2]
            and bounds[2] >= box[0]
            and bounds[1] <= box[3]
            and (bounds[3] >= box[1])
        )

    def within(bounds: tuple[float, ...], box: tuple[float, ...]) -> bool:
        return (
            bounds[0] >= box[0]
            and bounds[1] >= box[1]
            and bounds[2] <= box[2]
            and (bounds[3] <= box[3])
        )

    # Candidates (bounds overlap a box), newest first: item n is n + 1 minutes old.
    candidates = [n for n, f in enumerate(footprints) if any(overlaps(f.bounds, b) for b in boxes)]
    inside = [n for n in candidates if any(within(footprints[n].bounds, b) for b in boxes)]
    edge = [n for n in candidates if n not in inside]
    limit = 1
    # What the page and its count need: the first limit + 1 inside rows (one more
    # tells whether there is a next page), every edge row, and the last candidate.
    needed = set(inside[: limit + 1]) | set(edge) | {candidates[-1]}
    assert len(inside) > limit + 2 and edge  # inside rows are left out, edge rows tested
    assert len(needed) < len(candidates)
    matching = [n for n in candidates if footprints[n].intersects(area)]

    returned: list[int] = []
    fetch = search_module.fetch_all

    def counted(*args: Any) -> Any:
        rows = fetch(*args)
        returned.append(len(rows))
        return rows

    monkeypatch.setattr(search_module, "fetch_all", counted)
    statements = _statements(store)
    with store.reading() as connection:
        page = search_items(connection, ESA, NOW, ItemQuery(area=area, limit=limit))
    assert [item.id for item in page.items] == [f"s{n:03d}" for n in matching[:limit]]
    assert page.number_matched == len(matching)
    assert returned == [len(needed)]  # one statement, and only those rows
    assert not any(s.lower().startswith("select count(") for s in statements)  # no count query


# Broader than a tenth of the globe (search.SPATIAL_INDEX_MAX_AREA_DEG2), its edges
# across the squares.
BROAD_BOX = shapely.box(0.5, 0.5, 120.0, 80.0)


@pytest.mark.parametrize("with_time", [False, True], ids=["box", "box-and-time"])
def test_a_broad_box_finds_the_same_items_by_either_plan(
    squares: tuple[Store, list[shapely.Geometry]], with_time: bool
) -> None:
    store, footprints = squares
    envelope = BROAD_BOX.bounds
    assert (envelope[2] - envelope[0]) * (envelope[3] - envelope[1]) > (
        search_module.SPATIAL_INDEX_MAX_AREA_DEG2
    )
    start = NOW - timedelta(minutes=70) if with_time else None
    expected = [
        f"s{n:03d}"
        for n, footprint in enumerate(footprints)
        if footprint.intersects(BROAD_BOX) and (start is None or n + 1 <= 70)
    ]
    assert 0 < len(expected) < len(footprints)
    statements = _statements(store)
    seen: list[str] = []
    after = None
    while True:
        with store.reading() as connection:
            page = search_items(
                connection, ESA, NOW, ItemQuery(area=BROAD_BOX, start=start, limit=7, after=after)
            )
        assert page.number_matched == len(expected)
        seen.extend(item.id for item in page.items)
        after = page.next
        if after is None:
            break
    assert seen == expected  # newest first: the ids follow the item times
    if store.engine.dialect.name == "postgresql":
        # the box goes to the GiST index only with a time range
        assert any("box(" in s for s in statements) == with_time
