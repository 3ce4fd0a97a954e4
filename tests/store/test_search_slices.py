"""PostgreSQL searches with both ends of a time range look up ``ix_items_search_sliced``
(revision 0006: the footprint's box shifted into one band of longitude per 30-day
slice of time) and find exactly the items a brute-force filter finds: at slice
boundaries to the microsecond, for items whose time spans several slices, before
1970, and across the antimeridian."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import shapely

from conftest import fresh_database
from datastore_factory import NOW, collection_doc, item_doc
from spacepool.catalog.access import Viewer
from spacepool.catalog.items import format_rfc3339, parse_item
from spacepool.store import Store
from spacepool.store.collections import create_collection
from spacepool.store.items import create_items
from spacepool.store.models import SEARCH_SLICE_S
from spacepool.store.partners import add_partner
from spacepool.store.search import (
    MAX_SEARCH_SLICES,
    SPATIAL_BATCH_ROWS,
    ItemQuery,
    _search,
    _shape_of,
    _statement,
    search_items,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SLICE = timedelta(seconds=SEARCH_SLICE_S)
US = timedelta(microseconds=1)
ADMIN = Viewer.admin()
# A slice boundary near NOW, one before 1970, and times around both.
BOUNDARY = EPOCH + SLICE * ((NOW - EPOCH) // SLICE)
OLD_BOUNDARY = EPOCH - 60 * SLICE
TIMES = [
    t + delta
    for t in (BOUNDARY, OLD_BOUNDARY)
    for delta in (-SLICE, -US, timedelta(0), US, SLICE / 2, SLICE, 3 * SLICE + US)
]
# (lon, lat, side) of footprints: inside the search boxes, on their edges, across the
# antimeridian's sides, far away.
PLACES = [(10.0, 10.0, 1.0), (19.5, 10.0, 1.0), (30.0, 10.0, 0.0), (179.5, -5.0, 0.4)]
PLACES += [(-180.0, -5.0, 0.5), (-100.0, 40.0, 2.0)]


def _doc(n: int, lon: float, lat: float, side: float, start: datetime, end: datetime) -> Any:
    doc = item_doc(f"t{n:04d}", lon=lon, lat=lat, size_deg=side, when=start)
    if end != start:
        doc["properties"]["datetime"] = None
        doc["properties"]["start_datetime"] = format_rfc3339(start)
        doc["properties"]["end_datetime"] = format_rfc3339(end)
    return doc


def _items() -> list[tuple[str, shapely.Geometry, datetime, datetime]]:
    items = []
    for lon, lat, side in PLACES:
        footprint = (
            shapely.box(lon, lat, lon + side, lat + side) if side else shapely.Point(lon, lat)
        )
        for start in TIMES:
            for span in (timedelta(0), 2 * SLICE + US):  # an instant; three slices
                items.append((f"t{len(items):04d}", footprint, start, start + span))
    return items


ITEMS = _items()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    tmp_path: Path = tmp_path_factory.mktemp("slices")
    for database_url in fresh_database("postgresql", tmp_path):
        store = Store(database_url)
        docs = []
        for n, (_id, footprint, start, end) in enumerate(ITEMS):
            x0, y0, x1, _y1 = footprint.bounds
            docs.append(_doc(n, x0, y0, x1 - x0, start, end))
        with store.transaction() as session:
            add_partner(session, "esa", "European Space Agency", now=NOW)
            create_collection(session, collection_doc("eo"), now=NOW)
            items = [parse_item(d, collection="eo") for d in docs]
            create_items(session, items, Viewer.partner("esa"), now=NOW)
        yield store
        store.close()


AREAS = {
    "box": shapely.box(10.0, 5.0, 20.0, 15.0),
    "across the antimeridian": shapely.MultiPolygon(
        [shapely.box(179.0, -10.0, 180.0, 0.0), shapely.box(-180.0, -10.0, -179.0, 0.0)]
    ),
}
WINDOWS = {
    "at a boundary": (BOUNDARY, BOUNDARY),
    "ending a microsecond before it": (BOUNDARY - SLICE, BOUNDARY - US),
    "starting at it": (BOUNDARY, BOUNDARY + SLICE / 3),
    "over two slices": (BOUNDARY - SLICE / 2, BOUNDARY + SLICE / 2),
    "over three slices": (BOUNDARY - SLICE - US, BOUNDARY + SLICE / 2),
    "over five slices": (BOUNDARY - 2 * SLICE, BOUNDARY + 2 * SLICE + US),
    "before 1970": (OLD_BOUNDARY - US, OLD_BOUNDARY + US),
    "longer than the sliced lookups": (OLD_BOUNDARY, BOUNDARY),
}


def _expected(area: shapely.Geometry, start: datetime, end: datetime) -> list[str]:
    found = [
        (item_start, item_id)
        for item_id, footprint, item_start, item_end in ITEMS
        if footprint.intersects(area) and item_start <= end and item_end >= start
    ]
    return [item_id for _start, item_id in sorted(found, reverse=True)]


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("area_name", AREAS)
def test_a_bounded_time_search_finds_what_a_brute_force_filter_finds(
    store: Store, area_name: str, window: str
) -> None:
    area = AREAS[area_name]
    start, end = WINDOWS[window]
    expected = _expected(area, start, end)
    shape, _area = _shape_of(ADMIN, ItemQuery(area=area, start=start, end=end), "postgresql")
    slices = (end - EPOCH) // SLICE - (start - EPOCH) // SLICE + 1
    assert shape.slices == (slices if slices <= MAX_SEARCH_SLICES else 0)
    seen: list[str] = []
    after = None
    while True:
        with store.reading() as connection:
            page = search_items(
                connection,
                ADMIN,
                NOW,
                ItemQuery(area=area, start=start, end=end, limit=4, after=after),
            )
        assert page.number_matched == len(expected)
        seen.extend(item.id for item in page.items)
        after = page.next
        if after is None:
            break
    assert seen == expected
    assert expected or window == "longer than the sliced lookups"


def test_the_search_statement_uses_the_sliced_index(store: Store) -> None:
    query = ItemQuery(area=AREAS["box"], start=BOUNDARY - SLICE / 2, end=BOUNDARY + SLICE / 2)
    search = _search(ADMIN, NOW, query, "postgresql")
    assert search.shape.slices == 2
    stmt = _statement(search, exact=True, after=False, boxes=1)
    with store.reading() as connection:
        compiled = stmt.compile(dialect=connection.dialect)
        params = compiled.construct_params(
            {**search.params, "sp_limit": SPATIAL_BATCH_ROWS, "sp_whole": 11}
        )
        # A small table: forbid the sequential scan so that the plan shows which
        # index the conditions can use.
        connection.exec_driver_sql("SET enable_seqscan = off")
        plan = "\n".join(connection.exec_driver_sql(f"EXPLAIN {compiled}", params).scalars().all())
        connection.exec_driver_sql("RESET enable_seqscan")
    assert "ix_items_search_sliced" in plan
