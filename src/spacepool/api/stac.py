"""The STAC API over the spacepool store, built on stac-fastapi.

stac-fastapi supplies the routes, landing page, conformance and request models;
:class:`CoreClient` and :class:`TransactionsClient` supply the data, always through
:mod:`spacepool.store`, whose every item query carries the access filter. The
request models here replace stac-fastapi's so that every bad parameter (bbox,
intersects, datetime, limit, token) gets one of spacepool's messages.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, cast
from urllib.parse import unquote_plus

import attr
import orjson
import shapely
from fastapi import Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from stac_fastapi.api.routes import create_async_endpoint
from stac_fastapi.extensions import TransactionExtension
from stac_fastapi.extensions.transaction.client import BaseTransactionsClient
from stac_fastapi.extensions.transaction.request import (
    PartialCollection,
    PartialItem,
    PatchOperation,
)
from stac_fastapi.extensions.transaction.transaction import PostItem
from stac_fastapi.types import stac
from stac_fastapi.types.core import BaseCoreClient
from stac_fastapi.types.requests import get_base_url
from stac_fastapi.types.search import APIRequest, BaseSearchPostRequest
from stac_pydantic import Collection as CollectionModel
from stac_pydantic import Item as ItemModel
from stac_pydantic import ItemCollection as ItemCollectionModel
from stac_pydantic.shared import MimeTypes

from spacepool.api.auth import store_of, viewer_of
from spacepool.api.stac_filter import (
    FilterCrsQuery,
    FilterLangQuery,
    FilterPostFields,
    FilterQuery,
    item_filter,
)
from spacepool.catalog.access import Viewer, is_public
from spacepool.catalog.items import (
    NewItem,
    StoredItem,
    check_id,
    format_rfc3339,
    item_document,
    parse_geometry,
    parse_item,
    parse_rfc3339,
)
from spacepool.errors import GeometryError, InputError, TimeRangeError, UnknownNameError
from spacepool.store.audit import record_reads
from spacepool.store.collections import (
    create_collection,
    delete_collection,
    get_collection,
    known_collection_ids,
    list_collections,
    require_collection,
    update_collection,
)
from spacepool.store.items import create_items, delete_item, get_item, update_item
from spacepool.store.models import Collection
from spacepool.store.search import ItemPage, ItemQuery, SortKey, search_items

# Page size: STAC API item-search declares minimum 1, maximum 10000, default 10, and
# says a larger value must be answered with the maximum, not an error (the `limit`
# parameter of the STAC API / OGC API - Features OpenAPI fragments).
DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
LIMIT_TEXT = f"Items per page, at least 1; values above {MAX_LIMIT} give {MAX_LIMIT}."
# Upper bound on ids / collections named in one search.
MAX_LIST_LENGTH = 1_000

Clock = Callable[[], datetime]


# --- request models ------------------------------------------------------------------


@attr.s
class SearchGetRequest(APIRequest):
    """GET /search parameters, as text; parsed by :func:`_query` with spacepool's errors."""

    collections: Annotated[str | None, Query(description="Comma-separated collection ids.")] = (
        attr.ib(default=None)
    )
    ids: Annotated[str | None, Query(description="Comma-separated item ids.")] = attr.ib(
        default=None
    )
    bbox: Annotated[
        str | None,
        Query(
            description="minlon,minlat,maxlon,maxlat in degrees (WGS84); minlon > maxlon "
            "crosses the antimeridian. Mutually exclusive with intersects."
        ),
    ] = attr.ib(default=None)
    intersects: Annotated[
        str | None, Query(description="A GeoJSON geometry (URL-encoded JSON).")
    ] = attr.ib(default=None)
    datetime: Annotated[
        str | None,
        Query(description="RFC 3339 instant or interval start/end; '..' or empty = open."),
    ] = attr.ib(default=None)
    limit: Annotated[int, Query(ge=1, description=LIMIT_TEXT)] = attr.ib(default=DEFAULT_LIMIT)
    token: Annotated[str | None, Query(description="Paging token from a 'next' link.")] = attr.ib(
        default=None
    )
    filter_expr: FilterQuery = attr.ib(default=None)
    filter_lang: FilterLangQuery = attr.ib(default=None)
    filter_crs: FilterCrsQuery = attr.ib(default=None)


@attr.s
class ItemsGetRequest(APIRequest):
    """GET /collections/{collection_id}/items parameters."""

    collection_id: Annotated[str, Path(description="Collection id.")] = attr.ib()
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat.")] = attr.ib(
        default=None
    )
    datetime: Annotated[str | None, Query(description="RFC 3339 instant or interval.")] = attr.ib(
        default=None
    )
    limit: Annotated[int, Query(ge=1, description=LIMIT_TEXT)] = attr.ib(default=DEFAULT_LIMIT)
    token: Annotated[str | None, Query(description="Paging token from a 'next' link.")] = attr.ib(
        default=None
    )
    filter_expr: FilterQuery = attr.ib(default=None)
    filter_lang: FilterLangQuery = attr.ib(default=None)
    filter_crs: FilterCrsQuery = attr.ib(default=None)


class SearchPostRequest(BaseSearchPostRequest, FilterPostFields):
    """POST /search body: STAC item-search plus a paging token and a CQL2 filter."""

    limit: int | None = Field(DEFAULT_LIMIT, ge=1, description=LIMIT_TEXT)
    token: str | None = None


# --- parsing ---------------------------------------------------------------------------


def parse_bbox(values: list[float] | tuple[float, ...]) -> BaseGeometry:
    """A STAC bbox (4 or 6 numbers, degrees) -> a box, or two boxes when it crosses
    the antimeridian (minlon > maxlon, STAC API item-search)."""
    if len(values) == 6:
        values = (values[0], values[1], values[3], values[4])
    if len(values) != 4:
        raise GeometryError(f"bbox: expected 4 (or 6) numbers, got {len(values)}")
    minx, miny, maxx, maxy = (float(v) for v in values)
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise GeometryError("bbox: numbers must be finite")
    if not (
        -180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90
    ):
        raise GeometryError(
            "bbox: longitudes must be in [-180, 180] and latitudes in [-90, 90] degrees; "
            f"got {minx:g},{miny:g},{maxx:g},{maxy:g}"
        )
    if miny > maxy:
        raise GeometryError(f"bbox: minimum latitude {miny:g} is above maximum latitude {maxy:g}")
    if minx > maxx:
        return shapely.MultiPolygon(
            [shapely.box(minx, miny, 180.0, maxy), shapely.box(-180.0, miny, maxx, maxy)]
        )
    return shapely.box(minx, miny, maxx, maxy)


def _bbox_text(text: str) -> BaseGeometry:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise GeometryError(
            f"bbox: expected comma-separated numbers minlon,minlat,maxlon,maxlat; got {text!r}"
        ) from None
    return parse_bbox(values)


def parse_interval(text: str) -> tuple[datetime | None, datetime | None]:
    """``instant`` | ``start/end`` with ``..`` or empty for an open end (RFC 3339)."""
    parts = text.split("/")
    if len(parts) > 2 or text.strip() == "":
        raise TimeRangeError(
            f"datetime: expected an RFC 3339 instant or 'start/end' (open end: '..'); got {text!r}"
        )
    if len(parts) == 1:
        moment = parse_rfc3339(parts[0], field_name="datetime")
        return moment, moment
    start = None if parts[0] in ("", "..") else parse_rfc3339(parts[0], field_name="datetime start")
    end = None if parts[1] in ("", "..") else parse_rfc3339(parts[1], field_name="datetime end")
    if start is None and end is None:
        raise TimeRangeError("datetime: an interval needs at least one closed end; got {text!r}")
    if start is not None and end is not None and start > end:
        raise TimeRangeError(f"datetime: start {parts[0]} is after end {parts[1]}")
    return start, end


def encode_token(key: SortKey) -> str:
    raw = orjson.dumps([format_rfc3339(key.datetime_start), key.collection, key.item_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> SortKey:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        when, collection, item_id = json.loads(raw)
        return SortKey(parse_rfc3339(when, field_name="token"), str(collection), str(item_id))
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, InputError):
        raise InputError(
            "token: not a paging token from this server; follow the 'next' link as given"
        ) from None


def _id_list(values: list[str] | None, field: str) -> tuple[str, ...] | None:
    if values is None:
        return None
    if len(values) > MAX_LIST_LENGTH:
        raise InputError(f"{field}: at most {MAX_LIST_LENGTH} ids, got {len(values)}")
    return tuple(check_id(v, field_name=field) for v in values)


def _split(text: str | None) -> list[str] | None:
    if text is None or text == "":
        return None
    return [part.strip() for part in text.split(",")]


# --- the clients -----------------------------------------------------------------------


class GeoJSONPage(Response):
    """An item page as ``application/geo+json``, encoded once by orjson: the page is
    plain JSON data already, so FastAPI's generic encoding pass (``jsonable_encoder``
    then ``json.dumps``) would only walk it again. orjson refuses integers beyond
    64 bits, which a stored property may hold; those pages take the standard
    library's encoder, as JSONResponse would."""

    media_type = "application/geo+json"

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content)
        except orjson.JSONEncodeError:
            return json.dumps(
                content, ensure_ascii=False, allow_nan=False, separators=(",", ":")
            ).encode("utf-8")


def _now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock()


def _audit_with_read(request: Request) -> bool:
    """Whether the audit records go into the reading transaction itself. PostgreSQL:
    yes, so a read that logs costs no second transaction. SQLite has one writer at
    a time, and its read transactions do not take the write lock; there the records
    get a write transaction of their own (:func:`_audit`), taken only when there is
    something to log."""
    return store_of(request).engine.dialect.name != "sqlite"


def _audit(
    request: Request,
    viewer: Viewer,
    items: list[StoredItem],
    now: datetime,
    endpoint: str,
    session: Session | Connection | None = None,
) -> None:
    """Log the reads of non-public items by anyone but their owner, in ``session``
    (the reading transaction) or else in a write transaction of its own; either way
    the records commit before the answer leaves: an answer whose reads could not be
    logged is never sent. Reads that log nothing take no write lock."""
    if session is not None:
        record_reads(session, viewer, items, now=now, endpoint=endpoint)
        return
    logged = [
        item
        for item in items
        if not is_public(item.access, now) and item.access.owner != viewer.partner_id
    ]
    if logged:
        with store_of(request).transaction() as write_session:
            record_reads(write_session, viewer, logged, now=now, endpoint=endpoint)


@attr.s
class CoreClient(BaseCoreClient):
    """Read side of the STAC API."""

    def _links_for_item(self, base: str, item: StoredItem) -> list[dict[str, Any]]:
        collection = f"{base}collections/{item.collection}"
        return [
            {
                "rel": "self",
                "type": "application/geo+json",
                "href": f"{collection}/items/{item.id}",
            },
            {"rel": "parent", "type": "application/json", "href": collection},
            {"rel": "collection", "type": "application/json", "href": collection},
            {"rel": "root", "type": "application/json", "href": base},
        ]

    def _item(self, base: str, item: StoredItem) -> dict[str, Any]:
        document = item_document(item)
        document["links"] = self._links_for_item(base, item) + document["links"]
        return document

    def _collection(self, base: str, row: Collection) -> dict[str, Any]:
        document = dict(row.document)
        href = f"{base}collections/{row.id}"
        document["links"] = [
            {"rel": "self", "type": "application/json", "href": href},
            {"rel": "parent", "type": "application/json", "href": base},
            {"rel": "root", "type": "application/json", "href": base},
            {"rel": "items", "type": "application/geo+json", "href": f"{href}/items"},
            *document.get("links", []),
        ]
        return document

    def _page(
        self,
        request: Request,
        query: ItemQuery,
        endpoint: str,
        next_link: Callable[[str], dict[str, Any]],
        *,
        collection_id: str | None = None,
    ) -> dict[str, Any]:
        viewer = viewer_of(request)
        now = _now(request)
        base = get_base_url(request)
        in_read = _audit_with_read(request)
        with store_of(request).reading() as connection:
            if collection_id is not None:
                require_collection(connection, collection_id)
            if query.collections is not None:
                known = set(known_collection_ids(connection))
                for name in query.collections:
                    if name not in known:
                        raise UnknownNameError("collection", name, sorted(known))
            page: ItemPage = search_items(connection, viewer, now, query)
            if in_read:
                _audit(request, viewer, page.items, now, endpoint, connection)
        if not in_read:
            _audit(request, viewer, page.items, now, endpoint)
        links: list[dict[str, Any]] = [
            {"rel": "self", "type": "application/geo+json", "href": str(request.url)},
            {"rel": "root", "type": "application/json", "href": base},
        ]
        if collection_id is not None:
            collection_href = f"{base}collections/{collection_id}"
            links.append({"rel": "collection", "type": "application/json", "href": collection_href})
        if page.next is not None:
            links.append(next_link(encode_token(page.next)))
        return {
            "type": "FeatureCollection",
            "features": [self._item(base, item) for item in page.items],
            "links": links,
            "numberMatched": page.number_matched,
            "numberReturned": len(page.items),
        }

    @staticmethod
    def _get_next(request: Request) -> Callable[[str], dict[str, Any]]:
        def link(token: str) -> dict[str, Any]:
            # The request's URL with its query as sent, less any token parameter,
            # plus the new token (base64url: nothing to escape). An HTTP request URL
            # has no fragment. Cheaper than decoding and encoding every parameter.
            query = request.scope["query_string"].decode("latin-1")
            kept = [
                part
                for part in query.split("&")
                if part and unquote_plus(part.partition("=")[0]) != "token"
            ]
            kept.append(f"token={token}")
            href = f"{str(request.url).partition('?')[0]}?{'&'.join(kept)}"
            return {"rel": "next", "type": "application/geo+json", "method": "GET", "href": href}

        return link

    def all_collections(self, **kwargs: Any) -> stac.Collections:
        request: Request = kwargs["request"]
        viewer_of(request)
        base = get_base_url(request)
        with store_of(request).transaction(read_only=True) as session:
            rows = list_collections(session)
            collections = [self._collection(base, row) for row in rows]
        return cast(
            stac.Collections,
            {
                "collections": collections,
                "links": [
                    {"rel": "root", "type": "application/json", "href": base},
                    {"rel": "self", "type": "application/json", "href": f"{base}collections"},
                ],
            },
        )

    def get_collection(self, collection_id: str, **kwargs: Any) -> stac.Collection:
        request: Request = kwargs["request"]
        viewer_of(request)
        with store_of(request).transaction(read_only=True) as session:
            row = get_collection(session, collection_id)
            return cast(stac.Collection, self._collection(get_base_url(request), row))

    def item_collection(  # type: ignore[override]
        self,
        collection_id: str,
        bbox: str | None = None,
        datetime: str | None = None,
        limit: int = DEFAULT_LIMIT,
        token: str | None = None,
        filter_expr: str | None = None,
        filter_lang: str | None = None,
        filter_crs: str | None = None,
        **kwargs: Any,
    ) -> GeoJSONPage:
        request: Request = kwargs["request"]
        _given_once(request)
        start, end = (None, None) if datetime is None else parse_interval(datetime)
        query = ItemQuery(
            collections=(collection_id,),
            filter=item_filter(filter_expr, filter_lang, filter_crs, default="cql2-text"),
            area=None if bbox is None else _bbox_text(bbox),
            start=start,
            end=end,
            limit=min(limit, MAX_LIMIT),
            after=None if token is None else decode_token(token),
        )
        result = self._page(
            request, query, "collection_items", self._get_next(request), collection_id=collection_id
        )
        return GeoJSONPage(result)

    def get_item(self, item_id: str, collection_id: str, **kwargs: Any) -> stac.Item:
        request: Request = kwargs["request"]
        viewer = viewer_of(request)
        now = _now(request)
        in_read = _audit_with_read(request)
        with store_of(request).transaction(read_only=True) as session:
            item = get_item(session, viewer, now, collection_id, item_id)
            if in_read:
                _audit(request, viewer, [item], now, "item", session)
        if not in_read:
            _audit(request, viewer, [item], now, "item")
        return cast(stac.Item, self._item(get_base_url(request), item))

    def get_search(  # type: ignore[override]
        self,
        collections: str | None = None,
        ids: str | None = None,
        bbox: str | None = None,
        intersects: str | None = None,
        datetime: str | None = None,
        limit: int = DEFAULT_LIMIT,
        token: str | None = None,
        filter_expr: str | None = None,
        filter_lang: str | None = None,
        filter_crs: str | None = None,
        **kwargs: Any,
    ) -> GeoJSONPage:
        request: Request = kwargs["request"]
        _given_once(request)
        if bbox is not None and intersects is not None:
            raise InputError("bbox and intersects are mutually exclusive; give one of them")
        area = None
        if bbox is not None:
            area = _bbox_text(bbox)
        elif intersects is not None:
            try:
                geometry = json.loads(intersects)
            except ValueError as exc:
                raise GeometryError(f"intersects: not JSON: {exc}") from None
            area = parse_geometry(geometry, field_name="intersects")
        start, end = (None, None) if datetime is None else parse_interval(datetime)
        query = ItemQuery(
            collections=_id_list(_split(collections), "collections"),
            ids=_id_list(_split(ids), "ids"),
            filter=item_filter(filter_expr, filter_lang, filter_crs, default="cql2-text"),
            area=area,
            start=start,
            end=end,
            limit=min(limit, MAX_LIMIT),
            after=None if token is None else decode_token(token),
        )
        return GeoJSONPage(self._page(request, query, "search", self._get_next(request)))

    def post_search(  # type: ignore[override]
        self,
        search_request: SearchPostRequest,  # type: ignore[override]
        **kwargs: Any,
    ) -> GeoJSONPage:
        request: Request = kwargs["request"]
        area = None
        if search_request.bbox is not None:
            area = parse_bbox(list(search_request.bbox))
        elif search_request.intersects is not None:
            area = parse_geometry(
                search_request.intersects.model_dump(mode="json", exclude_none=True),
                field_name="intersects",
            )
        start, end = (
            (None, None)
            if search_request.datetime is None
            else parse_interval(search_request.datetime)
        )
        query = ItemQuery(
            collections=_id_list(search_request.collections, "collections"),
            ids=_id_list(search_request.ids, "ids"),
            filter=item_filter(
                search_request.filter_expr,
                search_request.filter_lang,
                search_request.filter_crs,
                default="cql2-json",
            ),
            area=area,
            start=start,
            end=end,
            limit=min(search_request.limit or DEFAULT_LIMIT, MAX_LIMIT),
            after=None if search_request.token is None else decode_token(search_request.token),
        )
        body = search_request.model_dump(mode="json", exclude_none=True, by_alias=True)

        def next_link(token: str) -> dict[str, Any]:
            return {
                "rel": "next",
                "type": "application/geo+json",
                "method": "POST",
                "href": f"{get_base_url(request)}search",
                "body": {**body, "token": token},
                "merge": False,
            }

        return GeoJSONPage(self._page(request, query, "search", next_link))


def _given_once(request: Request) -> None:
    """Refuse a query parameter given more than once: every parameter of the item
    searches is one value (lists are comma-separated, as STAC API specifies), and
    the framework would silently keep only the last."""
    seen: set[str] = set()
    for name, _value in request.query_params.multi_items():
        if name in seen:
            count = len(request.query_params.getlist(name))
            raise InputError(
                f"{name}: given {count} times; give it once "
                "(several ids or collections: one comma-separated value)"
            )
        seen.add(name)


def _writer(request: Request) -> Viewer:
    return viewer_of(request)


def _body(value: Any, expected: str) -> Any:
    """The parsed request body; stac-fastapi passes None for a JSON ``null`` body."""
    if value is None:
        raise InputError(f"body: expected {expected}, got null")
    return value


@attr.s
class TransactionsClient(BaseTransactionsClient):
    """Write side: partners add, replace and delete their own items; the coordinator
    manages collections (and may write any item on a partner's behalf)."""

    core: CoreClient = attr.ib()

    def create_item(
        self, collection_id: str, item: ItemModel | ItemCollectionModel, **kwargs: Any
    ) -> Response:
        request: Request = kwargs["request"]
        item = _body(item, "a STAC Item or a FeatureCollection of items")
        viewer = _writer(request)
        now = _now(request)
        documents = (
            [f.model_dump(mode="json", by_alias=True, exclude_unset=True) for f in item.features]
            if isinstance(item, ItemCollectionModel)
            else [item.model_dump(mode="json", by_alias=True, exclude_unset=True)]
        )
        if not documents:
            raise InputError("features: a FeatureCollection to add needs at least one item")
        base = get_base_url(request)
        news: list[NewItem] = []
        for n, document in enumerate(documents):
            try:
                news.append(parse_item(document, collection=collection_id))
            except (GeometryError, TimeRangeError, InputError) as exc:
                if len(documents) == 1:
                    raise
                # parse_item raises only these three, each built from a message
                raise type(exc)(f"features[{n}]: {exc}") from None
        with store_of(request).transaction() as session:  # all items or none
            results = create_items(session, news, viewer, now=now)
        if isinstance(item, ItemCollectionModel):
            features = [self.core._item(base, stored) for stored, _ in results]
            return GeoJSONPage({"type": "FeatureCollection", "features": features}, status_code=201)
        stored, created = results[0]
        return JSONResponse(self.core._item(base, stored), status_code=201 if created else 200)

    def update_item(
        self, collection_id: str, item_id: str, item: ItemModel, **kwargs: Any
    ) -> stac.Item:
        request: Request = kwargs["request"]
        item = _body(item, "a STAC Item")
        document = item.model_dump(mode="json", by_alias=True, exclude_unset=True)
        if document.get("id") != item_id:
            raise InputError(
                f"item.id: the body says {document.get('id')!r} but the URL names {item_id!r}; "
                "ids cannot be changed"
            )
        new = parse_item(document, collection=collection_id)
        with store_of(request).transaction() as session:
            stored = update_item(session, new, _writer(request), now=_now(request))
        return cast(stac.Item, self.core._item(get_base_url(request), stored))

    def delete_item(self, item_id: str, collection_id: str, **kwargs: Any) -> None:
        request: Request = kwargs["request"]
        with store_of(request).transaction() as session:
            delete_item(session, _writer(request), _now(request), collection_id, item_id)

    def create_collection(self, collection: CollectionModel, **kwargs: Any) -> JSONResponse:
        request: Request = kwargs["request"]
        collection = _body(collection, "a STAC Collection")
        document = collection.model_dump(mode="json", by_alias=True, exclude_unset=True)
        with store_of(request).transaction() as session:
            row, created = create_collection(session, document, now=_now(request))
            body = self.core._collection(get_base_url(request), row)
        return JSONResponse(body, status_code=201 if created else 200)

    def update_collection(
        self, collection_id: str, collection: CollectionModel, **kwargs: Any
    ) -> stac.Collection:
        request: Request = kwargs["request"]
        collection = _body(collection, "a STAC Collection")
        document = collection.model_dump(mode="json", by_alias=True, exclude_unset=True)
        with store_of(request).transaction() as session:
            row = update_collection(session, collection_id, document, now=_now(request))
            return cast(stac.Collection, self.core._collection(get_base_url(request), row))

    def delete_collection(self, collection_id: str, **kwargs: Any) -> None:
        request: Request = kwargs["request"]
        with store_of(request).transaction() as session:
            delete_collection(session, collection_id)

    # PATCH is not offered (see ItemsAndCollectionsTransactions.register); these are
    # never routed.
    def patch_item(
        self,
        collection_id: str,
        item_id: str,
        patch: PartialItem | list[PatchOperation],
        **kwargs: Any,
    ) -> None:
        raise NotImplementedError

    def patch_collection(
        self, collection_id: str, patch: PartialCollection | list[PatchOperation], **kwargs: Any
    ) -> None:
        raise NotImplementedError


@attr.s
class ItemsAndCollectionsTransactions(TransactionExtension):
    """The Transactions extension without PATCH: POST, PUT and DELETE of items and
    collections. (Partial updates would need JSON Patch semantics checked against the
    access columns; a full PUT covers the need.)"""

    def register(self, app: Any) -> None:
        self.router.prefix = app.state.router_prefix
        self._register_create_item()
        self.register_update_item()  # type: ignore[no-untyped-call]
        self.register_delete_item()  # type: ignore[no-untyped-call]
        self.register_create_collection()  # type: ignore[no-untyped-call]
        self.register_update_collection()  # type: ignore[no-untyped-call]
        self.register_delete_collection()  # type: ignore[no-untyped-call]
        app.include_router(self.router, tags=["Transaction Extension"])

    def _register_create_item(self) -> None:
        """stac-fastapi's POST items route, with the answers it really gives declared:
        201 with the item or, for a posted FeatureCollection, the stored items; 200
        with the stored item for an identical re-post."""
        geojson: dict[str, Any] = {"content": {MimeTypes.geojson.value: {}}}
        self.router.add_api_route(
            name="Create Item",
            path="/collections/{collection_id}/items",
            status_code=201,
            response_model=None,
            responses={
                200: {**geojson, "model": ItemModel, "description": "Identical re-post"},
                201: {**geojson, "model": ItemModel | ItemCollectionModel},
            },
            response_class=self.response_class,
            methods=["POST"],
            endpoint=create_async_endpoint(self.client.create_item, PostItem),
            dependencies=self.route_dependencies,
        )
