"""Item search: the access-filtered, paged reads of the catalogue.

Every search puts the access filter (:func:`spacepool.store.access.visible_items_for`)
in its ``WHERE`` clause, first; filters, the spatial test, counting and the paging key
all work on that filtered set.

Order: newest first, by ``(datetime_start, collection_id, item_id)`` descending.
The paging key is that triple of the last item returned, so it names only an item
the viewer has seen, and never a row number (which would tell how many hidden
items exist).

A search's SQL depends on its shape (which filters, how many boxes, the viewer's
scope), not on its values: statements are built once per shape with bound
parameters and run through :mod:`spacepool.store.prepared`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Float,
    Integer,
    Select,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    column,
    func,
    literal_column,
    not_,
    null,
    or_,
    select,
    table,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from spacepool.catalog.access import AccessPolicy, ItemAccess, Viewer
from spacepool.catalog.items import StoredItem
from spacepool.errors import InputError
from spacepool.store.access import ViewerScope, viewer_scope, visible_items_for
from spacepool.store.cql2 import ItemFilter
from spacepool.store.db import connection_of
from spacepool.store.models import SEARCH_SLICE_S, SLICED_BOX_SQL, Item, ItemShare
from spacepool.store.prepared import fetch_all
from spacepool.store.types import UTCDateTime

# Rows fetched per round while filtering candidates by exact geometry.
SPATIAL_BATCH_ROWS = 500
# A query geometry with more parts than this is prefiltered by its overall envelope.
MAX_ENVELOPE_PARTS = 64


@dataclass(frozen=True)
class SortKey:
    """Position in the result order: the last item of a page."""

    datetime_start: datetime
    collection: str
    item_id: str


@dataclass(frozen=True)
class ItemQuery:
    """Search filters; ``None`` means no filter on that field.

    ``area`` is a shapely geometry in longitude/latitude degrees (a bbox query
    arrives as a box, or two boxes when it crosses the antimeridian); an item
    matches when its geometry intersects it. ``start``/``end`` bound an interval
    (either may be open) that the item's time range must overlap. ``filter`` is a
    CQL2 filter (:mod:`spacepool.store.cql2`): its SQL condition joins the others
    and its exact spatial tests join the ``area`` test.
    """

    collections: tuple[str, ...] | None = None
    ids: tuple[str, ...] | None = None
    area: BaseGeometry | None = None
    start: datetime | None = None
    end: datetime | None = None
    limit: int = 10
    after: SortKey | None = None
    filter: ItemFilter | None = None


@dataclass(frozen=True)
class ItemPage:
    """One page: its items, the key of the next page (``None`` on the last page) and
    the number of items the viewer may see that match the filters."""

    items: list[StoredItem]
    next: SortKey | None
    number_matched: int


def _shares_text(dialect: str, pk: Any = Item.pk) -> ColumnElement[Any]:
    """The partners an item is shared with, as the text of one JSON array per row (a
    correlated aggregate on the item key ``pk``, so a page's items and their shares
    come in one statement). PostgreSQL's ``json_agg`` gives NULL over no rows,
    SQLite's ``json_group_array`` gives ``[]``."""
    aggregate = func.json_agg if dialect == "postgresql" else func.json_group_array
    return cast(
        select(aggregate(ItemShare.partner_id)).where(ItemShare.item_pk == pk).scalar_subquery(),
        Text,
    ).label("shares")


@functools.cache
def _search_columns(dialect: str) -> tuple[Any, ...]:
    """What a search fetches per candidate: the sort key, the geometry, and the rest
    of the item with its JSON documents as text, so that only the rows that make
    the page are decoded (:func:`_stored_text`). Built once per dialect (SQLAlchemy
    expressions are immutable)."""
    return (
        Item.datetime_start,
        Item.collection_id,
        Item.item_id,
        Item.geometry,
        *(
            cast(column, Text).label(column.key)
            for column in (Item.properties, Item.assets, Item.links, Item.stac_extensions)
        ),
        Item.minx,
        Item.miny,
        Item.maxx,
        Item.maxy,
        Item.owner_id,
        Item.access,
        Item.embargo_until,
        _shares_text(dialect),
    )


def _loads(text: str) -> Any:
    """JSON text to Python: orjson, or the standard library's decoder for what orjson
    refuses (integers beyond 64 bits, which a stored property may hold)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _stored_text(row: Row[Any]) -> StoredItem:
    """A :class:`StoredItem` from a row of :func:`_search_columns`."""
    return StoredItem(
        id=row.item_id,
        collection=row.collection_id,
        geometry=_loads(row.geometry),
        bbox=(row.minx, row.miny, row.maxx, row.maxy),
        properties=_loads(row.properties),
        access=ItemAccess(
            owner=row.owner_id,
            policy=AccessPolicy(row.access),
            shared_with=frozenset(_loads(row.shares or "[]")),
            embargo_until=row.embargo_until,
        ),
        assets=_loads(row.assets),
        links=_loads(row.links),
        stac_extensions=_loads(row.stac_extensions),
    )


def _key(row: Any) -> SortKey:
    return SortKey(row.datetime_start, row.collection_id, row.item_id)


def _order(columns: Any) -> tuple[Any, ...]:
    """The result order, newest first, over ``columns`` (the item table, or a subquery's
    columns of the same names)."""
    return (columns.datetime_start.desc(), columns.collection_id.desc(), columns.item_id.desc())


_ORDER = _order(Item)


@dataclass(frozen=True)
class _Area:
    """A query area's parts, worked out once per search. ``envelopes``: the boxes
    the SQL looks up (each part's bounds, or the whole area's when it has one part
    or more than :data:`MAX_ENVELOPE_PARTS`); ``boxes``: the parts' bounds
    ``(min_lon, min_lat, max_lon, max_lat)`` (degrees, shape ``(K, 4)``) when every
    part is a rectangle on the axes (a bbox search, two boxes across the
    antimeridian), else None (see :func:`_in_area`)."""

    geometry: BaseGeometry
    envelopes: list[tuple[float, float, float, float]]
    boxes: np.ndarray | None


def _area(area: BaseGeometry) -> _Area:
    parts = shapely.get_parts(area)
    if len(parts) > MAX_ENVELOPE_PARTS:
        return _Area(area, [tuple(float(v) for v in area.bounds)], None)  # type: ignore[list-item]
    bounds = np.asarray(shapely.bounds(parts), dtype=float)
    if len(parts) > 1:
        envelopes = [(float(a), float(b), float(c), float(d)) for a, b, c, d in bounds]
    else:
        envelopes = [tuple(float(v) for v in area.bounds)]  # type: ignore[list-item]
    rectangles = bool(np.all(shapely.equals(parts, shapely.box(*bounds.T))))
    return _Area(area, envelopes, bounds if rectangles else None)


# --- search statements -------------------------------------------------------------
#
# A search's SQL depends on the query's shape (which filters it has, how many boxes
# its area makes, the viewer's kind), not on its values. Each shape's conditions
# and statements are built once, with named bound parameters, and every search of
# that shape only supplies the values (:func:`_search_params`): building the
# expressions anew took about 1 ms a search, a quarter of its time in Python
# (measured on bench_store's search). A CQL2 filter's condition carries its own
# values; statements with one are built per search.


def _param(name: str, type_: Any) -> BindParameter[Any]:
    return bindparam(f"sp_{name}", type_=type_)


_NOW = _param("now", UTCDateTime())
_PARTNER = _param("partner", String())
_START = _param("start", UTCDateTime())
_END = _param("end", UTCDateTime())
_COLLECTIONS: BindParameter[Any] = bindparam("sp_collections", expanding=True)
_IDS: BindParameter[Any] = bindparam("sp_ids", expanding=True)
_LIMIT = _param("limit", Integer())
_PKS: BindParameter[Any] = bindparam("sp_pks", expanding=True)
_WHOLE = _param("whole", Integer())
_AFTER_TIME = _param("after_time", UTCDateTime())
_AFTER_COLLECTION = _param("after_collection", String())
_AFTER_ID = _param("after_id", String())
_TMIN = _param("tmin_s", Float())
_TMAX = _param("tmax_s", Float())


@functools.cache
def _envelope_params(index: int) -> tuple[BindParameter[Any], ...]:
    """The bound parameters of the area's ``index``-th box: min/max lon, lat."""
    return tuple(_param(f"{edge}_{index}", Float()) for edge in ("minx", "miny", "maxx", "maxy"))


# After this paging key in the descending result order.
_AFTER = or_(
    Item.datetime_start < _AFTER_TIME,
    and_(Item.datetime_start == _AFTER_TIME, Item.collection_id < _AFTER_COLLECTION),
    and_(
        Item.datetime_start == _AFTER_TIME,
        Item.collection_id == _AFTER_COLLECTION,
        Item.item_id < _AFTER_ID,
    ),
)


@dataclass(frozen=True)
class _Shape:
    """What a search's SQL depends on. ``boxes``: how many boxes the area's
    envelope makes (0: no area); ``indexed``: the boxes are small enough to be looked
    up in the spatial index (:data:`SPATIAL_INDEX_MAX_AREA_DEG2`)."""

    dialect: str
    scope: ViewerScope
    boxes: int
    start: bool
    end: bool
    collections: bool
    ids: bool
    indexed: bool
    slices: int = 0  # PostgreSQL: the time slices looked up (see _time_slices)


def _index_fits(envelopes: Sequence[tuple[float, float, float, float]]) -> bool:
    """Whether the boxes are small enough for a lookup in the spatial index (see
    :data:`SPATIAL_INDEX_MAX_AREA_DEG2`)."""
    area = sum((maxx - minx) * (maxy - miny) for minx, miny, maxx, maxy in envelopes)
    return area <= SPATIAL_INDEX_MAX_AREA_DEG2


def _shape_of(viewer: Viewer, query: ItemQuery, dialect: str) -> tuple[_Shape, _Area | None]:
    """The query's shape, and its area's parts (None without an area)."""
    area = None if query.area is None else _area(query.area)
    envelopes = [] if area is None else area.envelopes
    shape = _Shape(
        dialect=dialect,
        scope=viewer_scope(viewer),
        boxes=len(envelopes),
        start=query.start is not None,
        end=query.end is not None,
        collections=query.collections is not None,
        ids=query.ids is not None,
        indexed=bool(envelopes) and _index_fits(envelopes),
        slices=len(_time_slices(query)) if envelopes and dialect == "postgresql" else 0,
    )
    return shape, area


# Most time slices a search looks up in ``ix_items_search_sliced``; a longer time
# range uses ``ix_items_search``. Each slice is one more index descent and bitmap, and
# past a few slices that costs more than the pages it spares: on bench_store's
# million items (in process, 300 searches each, ad-hoc script), 10 x 10 degrees
# gained up to 90 days (4 slices: 3.8 against 4.3 ms) and lost at 365 days (13
# slices: 29.9 against 19.9 ms); 3 x 3 degrees gained at 30 days, broke even at 55
# and lost at 90 days (1.5 against 1.0 ms).
MAX_SEARCH_SLICES = 3
_SLICE = timedelta(seconds=SEARCH_SLICE_S)


def _time_slices(query: ItemQuery) -> range:
    """The time slices (whole :data:`SEARCH_SLICE_S` periods since 1970, as the
    index computes them: :data:`spacepool.store.models.SLICED_BOX_SQL`) that the
    query's time range overlaps; empty without both ends or with more than
    :data:`MAX_SEARCH_SLICES`. Exact: timedelta arithmetic in microseconds."""
    if query.start is None or query.end is None or query.end < query.start:
        return range(0)
    slices = range((query.start - _EPOCH) // _SLICE, (query.end - _EPOCH) // _SLICE + 1)
    return slices if len(slices) <= MAX_SEARCH_SLICES else range(0)


@functools.cache
def _slice_params(envelope: int, index: int) -> tuple[BindParameter[Any], BindParameter[Any]]:
    """The bound min/max longitude of the area's ``envelope``-th box shifted into the
    band of the search's ``index``-th time slice."""
    return (
        _param(f"slice_minx_{envelope}_{index}", Float()),
        _param(f"slice_maxx_{envelope}_{index}", Float()),
    )


def _search_params(
    viewer: Viewer,
    now: datetime,
    query: ItemQuery,
    envelopes: Sequence[Any],
    slices: range = range(0),
) -> dict[str, Any]:
    """The values of a shape's bound parameters for this search (``slices``: the
    time slices its shape looks up, see :func:`_time_slices`)."""
    params: dict[str, Any] = {_NOW.key: now, _PARTNER.key: viewer.partner_id}
    if query.start is not None:
        params[_START.key] = query.start
        params[_TMAX.key] = (query.start - _EPOCH).total_seconds() - _RTREE_SLACK_S
    if query.end is not None:
        params[_END.key] = query.end
        params[_TMIN.key] = (query.end - _EPOCH).total_seconds() + _RTREE_SLACK_S
    if query.collections is not None:
        params[_COLLECTIONS.key] = list(query.collections)
    if query.ids is not None:
        params[_IDS.key] = list(query.ids)
    for index, envelope in enumerate(envelopes):
        for param, value in zip(_envelope_params(index), envelope, strict=True):
            params[param.key] = value
    if slices:
        for index, envelope in enumerate(envelopes):
            minx, _, maxx, _ = envelope
            for position, k in enumerate(slices):
                low, high = _slice_params(index, position)
                params[low.key] = minx + 360.0 * k
                params[high.key] = maxx + 360.0 * k
    if query.after is not None:
        params[_AFTER_TIME.key] = query.after.datetime_start
        params[_AFTER_COLLECTION.key] = query.after.collection
        params[_AFTER_ID.key] = query.after.item_id
    return params


def _box(minx: Any, miny: Any, maxx: Any, maxy: Any) -> ColumnElement[Any]:
    return func.box(func.point(minx, miny), func.point(maxx, maxy))


def _span(start: Any, end: Any) -> ColumnElement[Any]:
    return func.tstzrange(start, end, literal_column("'[]'"))


def _postgres_filters(shape: _Shape) -> list[ColumnElement[bool]]:
    """The bbox and time filters again as overlaps (``&&``) of PostgreSQL ``box``
    and ``tstzrange`` values: the expressions of the GiST index ``ix_items_search``
    (revision 0004), so the planner can use it. Each is implied by the portable
    column comparisons it accompanies, so results do not change."""
    conditions: list[ColumnElement[bool]] = []
    if shape.start or shape.end:
        span = _span(_START if shape.start else null(), _END if shape.end else null())
        conditions.append(_span(Item.datetime_start, Item.datetime_end).op("&&")(span))
    # The box goes to the index when it is small or a time range narrows the
    # lookup. A broad box alone matches most items: then the page walks the sort
    # order's index and stops early, which the planner only chooses without the
    # box overlap (whose selectivity it cannot estimate). bench_store's million
    # items, timed in process by an ad-hoc script: a whole-globe box 0.55-0.75 s
    # against 2.7-2.8 s; 90 x 80 degrees with a 30-day range 0.12-0.13 s only with
    # the box in the index.
    if shape.slices:
        # Both ends of a time range: the box in each time slice's band of longitude,
        # the expression of ix_items_search_sliced (revision 0006). Implied by the
        # column comparisons: an item that overlaps the range in time has an instant
        # in one of its slices, where its shifted box covers its own; adding the same
        # 360 k to both sides of a comparison keeps its outcome in floating point.
        sliced: ColumnElement[Any] = literal_column(SLICED_BOX_SQL)
        conditions.append(
            or_(
                *(
                    sliced.op("&&")(_box(low, _envelope_params(i)[1], high, _envelope_params(i)[3]))
                    for i in range(shape.boxes)
                    for low, high in (_slice_params(i, j) for j in range(shape.slices))
                )
            )
        )
    elif shape.boxes and (shape.indexed or shape.start or shape.end):
        footprint = _box(Item.minx, Item.miny, Item.maxx, Item.maxy)
        conditions.append(_any_box(shape.boxes, lambda *edges: footprint.op("&&")(_box(*edges))))
    return conditions


# SQLite's R*Tree over the footprint's box and the time range (revision 0005), kept
# by triggers; times in seconds since 1970.
_RTREE = table(
    "items_rtree",
    column("pk"),
    column("minx"),
    column("maxx"),
    column("miny"),
    column("maxy"),
    column("tmin"),
    column("tmax"),
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Widening of the R*Tree's time test (s): the index computes seconds from the stored
# text through julianday(), Python from the datetime; a second covers their rounding.
_RTREE_SLACK_S = 1.0
# Largest search box (square degrees of longitude x latitude) looked up through the
# spatial index (SQLite's R*Tree; on PostgreSQL, the GiST index when no time range
# is given: see _postgres_filters): a tenth of the globe's 360 x 180. For broader
# boxes most items are candidates, and walking the page's sort order with an early stop beats collecting
# every candidate and sorting them (bench_store's 10 x 10 degree searches at 100,000
# items: p50 136 ms before the index, 6.5 ms through it; see docs/data-service.md).
SPATIAL_INDEX_MAX_AREA_DEG2 = 6_480.0


def _any_box(
    count: int, test: Callable[[Any, Any, Any, Any], ColumnElement[bool]]
) -> ColumnElement[bool]:
    """``test`` (given a box's min/max lon, lat parameters) of any of the area's
    first ``count`` boxes."""
    return or_(*(test(*_envelope_params(index)) for index in range(count)))


def _overlaps_any(boxes: Any, count: int) -> ColumnElement[bool]:
    """Rows whose box (``boxes.minx`` .. ``boxes.maxy``: the item columns or the
    R*Tree's) overlaps one of the area's first ``count`` boxes."""
    return _any_box(
        count,
        lambda minx, miny, maxx, maxy: and_(
            boxes.minx <= maxx, boxes.maxx >= minx, boxes.miny <= maxy, boxes.maxy >= miny
        ),
    )


def _sqlite_filters(shape: _Shape) -> list[ColumnElement[bool]]:
    """The bbox and time filters again as one R*Tree lookup (``pk IN (...)``), so
    SQLite finds the few candidates by index instead of walking the sort order; only
    for a search box of at most :data:`SPATIAL_INDEX_MAX_AREA_DEG2`.
    The R*Tree stores its bounds rounded outward, so this only narrows the rows the
    exact column comparisons then test: results do not change."""
    if not shape.indexed:
        return []
    terms: list[ColumnElement[bool]] = []
    if shape.start:
        terms.append(_RTREE.c.tmax >= _TMAX)
    if shape.end:
        terms.append(_RTREE.c.tmin <= _TMIN)
    terms.append(_overlaps_any(_RTREE.c, shape.boxes))
    return [Item.pk.in_(select(_RTREE.c.pk).where(*terms))]


@functools.cache
def _access_filter(scope: ViewerScope) -> ColumnElement[bool]:
    """The access rule for viewers of ``scope``, "now" and the partner id bound."""
    return visible_items_for(scope, _NOW, _PARTNER)


@functools.lru_cache(maxsize=256)
def _shape_filters(shape: _Shape) -> tuple[ColumnElement[bool], ...]:
    """The conditions of a shape, the access filter first."""
    conditions = [_access_filter(shape.scope)]
    if shape.dialect == "postgresql":
        conditions.extend(_postgres_filters(shape))
    elif shape.dialect == "sqlite":
        conditions.extend(_sqlite_filters(shape))
    if shape.collections:
        conditions.append(Item.collection_id.in_(_COLLECTIONS))
    if shape.ids:
        conditions.append(Item.item_id.in_(_IDS))
    if shape.start:
        conditions.append(Item.datetime_end >= _START)
    if shape.end:
        conditions.append(Item.datetime_start <= _END)
    if shape.boxes:
        conditions.append(_overlaps_any(Item, shape.boxes))
    return tuple(conditions)


@dataclass(frozen=True)
class _Search:
    """One search's conditions (the access filter first), and the values of their
    bound parameters."""

    conditions: tuple[ColumnElement[bool], ...]
    params: dict[str, Any]
    shape: _Shape
    filtered: bool  # a CQL2 filter's condition is among the conditions
    area: _Area | None


def _search(viewer: Viewer, now: datetime, query: ItemQuery, dialect: str) -> _Search:
    shape, area = _shape_of(viewer, query, dialect)
    conditions = _shape_filters(shape)
    if query.filter is not None:  # beside the access filter, in the same WHERE
        conditions = (conditions[0], query.filter.where, *conditions[1:])
    return _Search(
        conditions,
        _search_params(
            viewer,
            now,
            query,
            [] if area is None else area.envelopes,
            _time_slices(query) if shape.slices else range(0),
        ),
        shape,
        query.filter is not None,
        area,
    )


@functools.lru_cache(maxsize=512)
def _shape_statement(shape: _Shape, exact: bool, after: bool, boxes: int) -> Select[Any]:
    """A shape's candidate statement (see :func:`_matching_rows`)."""
    return _candidate_statement(_shape_filters(shape), shape.dialect, exact, after, boxes)


def _candidate_statement(
    conditions: Sequence[ColumnElement[bool]],
    dialect: str,
    exact: bool,
    after: bool,
    boxes: int = 0,
) -> Select[Any]:
    """Candidates meeting ``conditions`` (after the paging key ``_AFTER`` when
    ``after``), in result order, at most ``_LIMIT``. Without a geometry test to
    follow, whole rows (:func:`_search_columns`). With one (``exact``), the first
    ``_WHOLE`` rows whole and the others with only what the test and the order need
    (:data:`_CANDIDATE_COLUMNS`, the access columns, NULL documents), with a
    ``whole`` flag: PostgreSQL turns every JSON document it returns into text, and
    for a few hundred candidates that had cost more than the rest of the search
    (EXPLAIN ANALYZE of bench_store's search: 5 ms against 0.5 ms). The page is
    almost always among the first rows; a page row that is not whole is fetched by
    key (:func:`_complete`).

    ``boxes`` > 0: the area is that many boxes (:attr:`_Area.boxes`) and nothing
    else tests geometry, so a candidate whose bounds lie within a box meets the
    area for certain (:func:`_in_area`). Then the database sorts the candidates
    out itself and returns only those the page and the count can need
    (:func:`_classified`)."""
    if exact and boxes:
        return _classified(conditions, dialect, after, boxes)
    if not exact:
        stmt = select(*_search_columns(dialect)).where(*conditions)
        if after:
            stmt = stmt.where(_AFTER)
        return stmt.order_by(*_ORDER).limit(_LIMIT)
    rows = _candidates(conditions, after)
    whole = func.row_number().over(order_by=_order(rows.c)) <= _WHOLE
    return select(
        *(rows.c[column.key] for column in _PLAIN),
        *_documents_if(whole, rows, dialect),
        whole.label("whole"),
    ).order_by(*_order(rows.c))


def _candidates(conditions: Sequence[ColumnElement[bool]], after: bool, *extra: Any) -> Any:
    """The subquery of the candidates meeting ``conditions`` (after the paging key
    ``_AFTER`` when ``after``), in result order, at most ``_LIMIT``: their
    :data:`_PLAIN` columns, their documents and the ``extra`` columns."""
    inner = select(*_PLAIN, *_DOCUMENTS, *extra).where(*conditions)
    if after:
        inner = inner.where(_AFTER)
    return inner.order_by(*_ORDER).limit(_LIMIT).subquery("candidates")


def _documents_if(whole: ColumnElement[bool], rows: Any, dialect: str) -> tuple[Any, ...]:
    """The documents of ``rows`` (a subquery of :func:`_candidates`) as text, and their
    shares (:func:`_shares_text`), where ``whole`` holds; NULL elsewhere."""

    def if_whole(value: Any, name: str) -> Any:
        return case((whole, value), else_=null()).label(name)

    return (
        *(if_whole(cast(rows.c[column.key], Text), column.key) for column in _DOCUMENTS),
        if_whole(_shares_text(dialect, rows.c.pk), "shares"),
    )


def _classified(
    conditions: Sequence[ColumnElement[bool]], dialect: str, after: bool, boxes: int
) -> Select[Any]:
    """The candidates of :func:`_candidate_statement` when the area is ``boxes``
    boxes, sorted out in the database: each is marked ``inside`` when its bounds lie
    within a box (it meets the area) and the statement returns

    - every candidate that is not inside (on a box's edge: its geometry decides),
    - the first ``_WHOLE`` inside candidates (no later one can make the page),
    - the last candidate (its key is where the next fetch starts),

    each with ``page_row`` (false for the last candidate alone: not among the first
    two kinds), ``position`` (from 1, in the order) and ``inside_so_far`` (how many
    inside candidates up to this one): on the last row, the number of candidates
    fetched (at most ``_LIMIT``) and how many of them are inside. Those are all the
    page, its next key and the match count need: the rows that are surely in the
    area beyond the page are counted, not read one by one. bench_store's search
    has some 46 candidates, of which the page needs 11 and about 5 lie on an edge.

    The window functions share one window (the candidates' order, which the
    subquery already gives), so PostgreSQL computes them in one pass with no sort
    of its own."""
    rows = _candidates(conditions, after, _within_any(boxes).label("inside"))
    order = _order(rows.c)
    # With the default frame (up to the current row and its peers; the order's key is
    # unique, so no row has peers) the sum is a running count.
    ranked = select(
        rows,
        func.row_number().over(order_by=order).label("position"),
        func.sum(case((rows.c.inside, 1), else_=0)).over(order_by=order).label("inside_so_far"),
        func.lead(rows.c.pk).over(order_by=order).label("next_pk"),
    ).subquery("ranked")
    whole = ranked.c.position <= _WHOLE
    page_row = or_(not_(ranked.c.inside), ranked.c.inside_so_far <= _WHOLE)
    return (
        select(
            *(ranked.c[column.key] for column in _PLAIN),
            *_documents_if(whole, ranked, dialect),
            whole.label("whole"),
            ranked.c.inside,
            page_row.label("page_row"),
            ranked.c.position,
            cast(ranked.c.inside_so_far, Integer).label("inside_so_far"),
        )
        .where(or_(page_row, ranked.c.next_pk.is_(None)))
        .order_by(*_order(ranked.c))
    )


def _boxes(search: _Search, query: ItemQuery) -> int:
    """How many boxes the area is, when the database can sort candidates by them
    (see :func:`_candidate_statement`); 0 otherwise."""
    area = search.area
    if area is None or area.boxes is None or _spatial_filter(query):
        return 0
    return len(area.envelopes)


def _statement(search: _Search, exact: bool, after: bool, boxes: int = 0) -> Select[Any]:
    if search.filtered:
        return _candidate_statement(search.conditions, search.shape.dialect, exact, after, boxes)
    return _shape_statement(search.shape, exact, after, boxes)


def _intersecting(geometries: Sequence[str], area: BaseGeometry) -> np.ndarray:
    shapes = shapely.from_geojson(np.asarray(geometries, dtype=object))
    return np.asarray(shapely.intersects(shapes, area), dtype=bool)


def _in_area(rows: Sequence[Any], area: _Area) -> np.ndarray:
    """Which of ``rows`` (rows that start with :data:`_CANDIDATE_COLUMNS`; shape
    ``(N,)``) intersect ``area``.

    A footprint lies within its bounds (stored from the geometry itself), so a row
    whose bounds lie within one of the area's boxes intersects it: only the rows on
    a box's edge need their geometry parsed and tested exactly."""
    boxes = area.boxes
    if boxes is None or not rows:
        return _intersecting([row[_GEOMETRY_AT] for row in rows], area.geometry)
    # By position: a Row's attribute lookup by name costs several times more.
    bounds = np.array([row[_BOUNDS_AT] for row in rows], dtype=float)
    inside = np.zeros(len(rows), dtype=bool)
    for minx, miny, maxx, maxy in boxes:
        inside |= (
            (bounds[:, 0] >= minx)
            & (bounds[:, 1] >= miny)
            & (bounds[:, 2] <= maxx)
            & (bounds[:, 3] <= maxy)
        )
    _test_edges(rows, inside, area.geometry)
    return inside


def _test_edges(rows: Sequence[Any], inside: np.ndarray, area: BaseGeometry) -> np.ndarray:
    """Test the geometry of the ``rows`` not marked in ``inside`` (shape ``(N,)``,
    updated in place) against ``area``; returns their positions."""
    edge = np.flatnonzero(~inside)
    if len(edge):
        inside[edge] = _intersecting([rows[int(k)][_GEOMETRY_AT] for k in edge], area)
    return edge


def _exact(query: ItemQuery) -> bool:
    """Whether rows passing the SQL conditions still need a geometry test."""
    return query.area is not None or _spatial_filter(query)


def _spatial_filter(query: ItemQuery) -> bool:
    """Whether the query's CQL2 filter has spatial tests (done here, on geometry)."""
    return query.filter is not None and bool(query.filter.spatial)


def _keep(rows: Sequence[Any], search: _Search, query: ItemQuery) -> np.ndarray:
    """Which of ``rows`` (rows that start with :data:`_CANDIDATE_COLUMNS`; shape
    ``(N,)``) meet ``query.area`` (``search.area``) and the filter's spatial tests."""
    area = search.area
    keep = np.ones(len(rows), dtype=bool) if area is None else _in_area(rows, area)
    if query.filter is not None and _spatial_filter(query):
        keep &= query.filter.matches_geometry([row[_GEOMETRY_AT] for row in rows])
    return keep


@dataclass
class _Scan:
    """What :func:`_matching_rows` saw: ``exhausted`` is set when it fetched every
    candidate from the start of the order (no paging key) in its first round, and
    ``matched`` then counts those that meet the area: the whole match count."""

    exhausted: bool = False
    matched: int = 0


def _matching_rows(
    connection: Connection,
    search: _Search,
    query: ItemQuery,
    want: int,
    scan: _Scan | None = None,
) -> list[Row[Any]]:
    """Rows meeting the ``search``'s conditions, in result order after
    ``query.after``, whose geometry meets ``query.area`` and the filter's spatial
    tests (:func:`_keep`); at most ``want``. With a geometry test (:func:`_exact`)
    only the first ``want`` rows of each fetch are whole (see
    :func:`_candidate_statement`); when the area is boxes, each fetch returns only
    the candidates the page and the count can need (:func:`_classified`)."""
    exact = _exact(query)
    boxes = _boxes(search, query) if exact else 0
    params = dict(search.params)
    cursor = query.after
    found: list[Row[Any]] = []
    batch = max(want, SPATIAL_BATCH_ROWS) if exact else want
    params[_LIMIT.key] = batch
    params[_WHOLE.key] = want
    first_round = True
    while len(found) < want:
        stmt = _statement(search, exact, cursor is not None, boxes)
        if search.filtered:  # a statement of this search alone
            rows: Sequence[Any] = connection.execute(stmt, params).all()
        else:  # a statement of the query's shape, reused (see spacepool.store.prepared)
            rows = fetch_all(connection, stmt, params)
        if boxes:
            keep, fetched, matched = _sorted_out(rows, search)
        else:
            keep = _keep(rows, search, query) if exact else np.ones(len(rows), dtype=bool)
            fetched, matched = len(rows), int(keep.sum())
        if scan is not None and first_round and cursor is None and fetched < batch:
            scan.exhausted = True
            scan.matched = matched
        first_round = False
        found.extend(row for row, ok in zip(rows, keep, strict=True) if ok)
        if fetched < batch:
            break
        cursor = _key(rows[-1])
        params[_AFTER_TIME.key] = cursor.datetime_start
        params[_AFTER_COLLECTION.key] = cursor.collection
        params[_AFTER_ID.key] = cursor.item_id
    return found[:want]


def _sorted_out(rows: Sequence[Any], search: _Search) -> tuple[np.ndarray, int, int]:
    """For rows of :func:`_classified`: which of them are page candidates that meet
    the area (shape ``(N,)``; the database marked those surely inside, the others'
    geometry is tested here), how many candidates were fetched, and how many of
    those meet the area."""
    if not rows:
        return np.zeros(0, dtype=bool), 0, 0
    assert search.area is not None
    keep = np.array([row.inside for row in rows], dtype=bool)
    edge = _test_edges(rows, keep, search.area.geometry)
    last = rows[-1]  # the last candidate (see _classified)
    matched = last.inside_so_far + int(keep[edge].sum())
    keep &= np.array([row.page_row for row in rows], dtype=bool)
    return keep, last.position, matched


# What a candidate row needs for the geometry test and the order (see
# _candidate_statement).
_CANDIDATE_COLUMNS = (
    Item.pk,
    Item.datetime_start,
    Item.collection_id,
    Item.item_id,
    Item.geometry,
    Item.minx,
    Item.miny,
    Item.maxx,
    Item.maxy,
)
_CANDIDATE_KEYS = [column.key for column in _CANDIDATE_COLUMNS]
# Where the footprint and its bounds sit in a candidate row.
_GEOMETRY_AT = _CANDIDATE_KEYS.index("geometry")
_BOUNDS_AT = slice(_CANDIDATE_KEYS.index("minx"), _CANDIDATE_KEYS.index("maxy") + 1)
# The documents a whole row adds, and what every candidate row has (the candidate
# columns first, so the positions above hold).
_DOCUMENTS = (Item.properties, Item.assets, Item.links, Item.stac_extensions)
_PLAIN = (*_CANDIDATE_COLUMNS, Item.owner_id, Item.access, Item.embargo_until)


@functools.lru_cache(maxsize=8)
def _whole_statement(dialect: str, scope: ViewerScope) -> Select[Any]:
    """Whole rows (:func:`_search_columns`) by key (``_PKS``), with the access filter."""
    return select(Item.pk, *_search_columns(dialect)).where(
        _access_filter(scope), Item.pk.in_(_PKS)
    )


def _complete(connection: Connection, search: _Search, page: Sequence[Row[Any]]) -> list[Row[Any]]:
    """``page`` with its rows that are not whole (see :func:`_candidate_statement`)
    fetched whole by key; one whose item is gone or now hidden is left out. The
    access filter is applied again: a read outside a transaction (PostgreSQL reads
    commit per statement) may see an item whose policy changed since the candidates
    were read, and must not show it."""
    stmt = _whole_statement(search.shape.dialect, search.shape.scope)
    params = {**search.params, _PKS.key: [row.pk for row in page if not row.whole]}
    fetched = {row.pk: row for row in connection.execute(stmt, params).all()}
    return [row if row.whole else fetched[row.pk] for row in page if row.whole or row.pk in fetched]


def _within_any(count: int) -> ColumnElement[bool]:
    """Rows whose bounds lie within one of the area's first ``count`` boxes (see
    :func:`_in_area`)."""
    return _any_box(
        count,
        lambda minx, miny, maxx, maxy: and_(
            Item.minx >= minx, Item.miny >= miny, Item.maxx <= maxx, Item.maxy <= maxy
        ),
    )


def _count(connection: Connection, search: _Search, query: ItemQuery) -> int:
    """How many items meet the search, paging aside.

    Without a geometry test, one SQL count. With one, the candidates' geometry is
    tested here; when the area is made of boxes and the filter has no spatial test,
    the candidates whose bounds lie within a box are counted in SQL instead (they
    intersect it: :func:`_in_area`) and only the others, on a box's edge, are read:
    a whole-globe box over 490,000 visible items took 5.5 s when every candidate was
    read (bench_store's million items, timed in process by an ad-hoc script)."""
    if not _exact(query):
        stmt = select(func.count()).select_from(Item).where(*search.conditions)
        return int(connection.execute(stmt, search.params).scalar() or 0)
    total = 0
    edge: tuple[ColumnElement[bool], ...] = ()
    boxes = _boxes(search, query)
    if boxes:
        within = _within_any(boxes)
        inside = select(func.count()).select_from(Item).where(*search.conditions, within)
        total += int(connection.execute(inside, search.params).scalar() or 0)
        edge = (not_(within),)
    candidates = select(*_CANDIDATE_COLUMNS).where(*search.conditions, *edge)
    rows = connection.execute(candidates, search.params).yield_per(SPATIAL_BATCH_ROWS)
    for chunk in rows.partitions():
        total += int(_keep(chunk, search, query).sum())
    return total


def count_items(
    source: Session | Connection, viewer: Viewer, now: datetime, query: ItemQuery
) -> int:
    """How many items ``viewer`` may see that match the filters (paging ignored)."""
    connection = connection_of(source)
    return _count(connection, _search(viewer, now, query, connection.dialect.name), query)


def search_items(
    source: Session | Connection, viewer: Viewer, now: datetime, query: ItemQuery
) -> ItemPage:
    """One page of the items ``viewer`` may see at ``now`` that match ``query``.

    The filters are built once for the page and the count. When the page query saw
    every candidate (first page, fewer rows than one fetch), the count comes from
    those rows and no count query runs."""
    if query.limit < 1:
        raise InputError(f"limit: expected a positive number of items, got {query.limit}")
    connection = connection_of(source)
    search = _search(viewer, now, query, connection.dialect.name)
    scan = _Scan()
    rows = _matching_rows(connection, search, query, query.limit + 1, scan)
    page = rows[: query.limit]
    next_key = _key(page[-1]) if len(rows) > query.limit else None
    matched = scan.matched if scan.exhausted else _count(connection, search, query)
    if _exact(query) and not all(row.whole for row in page):
        page = _complete(connection, search, page)
    return ItemPage([_stored_text(row) for row in page], next_key, matched)
