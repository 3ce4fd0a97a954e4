"""Items: transactional writes, and reads by id through the access filter
(:func:`spacepool.store.access.visible_items`). Searches are in
:mod:`spacepool.store.search`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, selectinload

from spacepool.catalog.access import AccessPolicy, ItemAccess, Viewer
from spacepool.catalog.items import NewItem, StoredItem, item_document
from spacepool.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from spacepool.store.access import visible_items
from spacepool.store.collections import get_collection
from spacepool.store.models import Item, ItemShare
from spacepool.store.partners import get_partner, require_partners

# Ids per "IN (...)" lookup in a bulk insert (SQLite allows 32766 bound parameters).
MAX_IDS_PER_QUERY = 5_000


def _stored(row: Item) -> StoredItem:
    return StoredItem(
        id=row.item_id,
        collection=row.collection_id,
        geometry=json.loads(row.geometry),
        bbox=(row.minx, row.miny, row.maxx, row.maxy),
        properties=row.properties,
        access=ItemAccess(
            owner=row.owner_id,
            policy=AccessPolicy(row.access),
            shared_with=frozenset(share.partner_id for share in row.shares),
            embargo_until=row.embargo_until,
        ),
        assets=row.assets,
        links=row.links,
        stac_extensions=row.stac_extensions,
    )


def get_item(
    session: Session, viewer: Viewer, now: datetime, collection_id: str, item_id: str
) -> StoredItem:
    """The item, or :class:`NotFoundError` when it does not exist *or* is hidden from
    ``viewer`` (the same error, so existence does not leak)."""
    get_collection(session, collection_id)
    row = _visible_row(session, viewer, now, collection_id, item_id)
    return _stored(row)


def _visible_row(
    session: Session, viewer: Viewer, now: datetime, collection_id: str, item_id: str
) -> Item:
    row = session.scalars(
        select(Item)
        .where(
            visible_items(viewer, now),
            Item.collection_id == collection_id,
            Item.item_id == item_id,
        )
        .options(selectinload(Item.shares))
    ).one_or_none()
    if row is None:
        raise NotFoundError("item", f"{collection_id}/{item_id}")
    return row


def _owner_for(session: Session, new: NewItem, viewer: Viewer) -> str:
    """The owner of an item written by ``viewer``: a partner's own id (a different
    ``spacepool:owner`` in the body is refused); the coordinator must name one."""
    if viewer.kind == "partner":
        assert viewer.partner_id is not None
        if new.owner_claim is not None and new.owner_claim != viewer.partner_id:
            raise PermissionDeniedError(
                f"item.properties.spacepool:owner: items you write belong to "
                f"{viewer.partner_id!r} (from your API key); got {new.owner_claim!r}",
                required="owner",
            )
        return viewer.partner_id
    if viewer.kind == "admin":
        if new.owner_claim is None:
            raise InputError(
                "item.properties.spacepool:owner: required when the coordinator writes an "
                "item (name the partner that owns it)"
            )
        get_partner(session, new.owner_claim)
        return new.owner_claim
    raise PermissionDeniedError(
        "writing items needs a partner or coordinator key", required="partner"
    )


def _fill(row: Item, new: NewItem, owner: str, now: datetime) -> None:
    row.collection_id = new.collection
    row.item_id = new.id
    row.geometry = json.dumps(new.geometry, separators=(",", ":"))
    row.minx, row.miny, row.maxx, row.maxy = new.bbox
    row.datetime_start = new.datetime_start
    row.datetime_end = new.datetime_end
    row.properties = new.properties
    row.assets = new.assets
    row.links = new.links
    row.stac_extensions = new.stac_extensions
    row.owner_id = owner
    row.access = new.access.value
    row.embargo_until = new.embargo_until
    row.updated_at = now
    row.shares = [ItemShare(partner_id=p) for p in sorted(new.shared_with)]


def _as_stored(new: NewItem, owner: str) -> StoredItem:
    return StoredItem(
        id=new.id,
        collection=new.collection,
        geometry=new.geometry,
        bbox=new.bbox,
        properties=new.properties,
        access=ItemAccess(owner, new.access, new.shared_with, new.embargo_until),
        assets=new.assets,
        links=new.links,
        stac_extensions=new.stac_extensions,
    )


def create_item(
    session: Session, new: NewItem, viewer: Viewer, *, now: datetime
) -> tuple[StoredItem, bool]:
    """Insert ``new`` owned by the writer; returns ``(item, created)``.

    Posting an id that exists with the same content (same owner, policy, geometry,
    properties, ...) is accepted and changes nothing (``created`` is False), so a
    client may retry a request whose answer it lost; different content is a
    :class:`ConflictError`.
    """
    owner = _owner_for(session, new, viewer)
    get_collection(session, new.collection)
    require_partners(session, new.shared_with)
    existing = session.scalars(
        select(Item)
        .where(Item.collection_id == new.collection, Item.item_id == new.id)
        .options(selectinload(Item.shares))
    ).one_or_none()
    if existing is not None:
        stored = _stored(existing)
        if item_document(stored) == item_document(_as_stored(new, owner)):
            return stored, False
        raise ConflictError(
            f"item {new.collection}/{new.id} exists already with different content; "
            "use PUT on your own item to replace it",
            kind="item",
            name=f"{new.collection}/{new.id}",
        )
    row = Item(created_at=now)
    _fill(row, new, owner, now)
    session.add(row)
    session.flush()
    return _stored(row), True


def _row_values(new: NewItem, owner: str, now: datetime) -> dict[str, Any]:
    """One ``items`` row as a column -> value mapping (the bulk form of :func:`_fill`)."""
    minx, miny, maxx, maxy = new.bbox
    return {
        "collection_id": new.collection,
        "item_id": new.id,
        "geometry": json.dumps(new.geometry, separators=(",", ":")),
        "minx": minx,
        "miny": miny,
        "maxx": maxx,
        "maxy": maxy,
        "datetime_start": new.datetime_start,
        "datetime_end": new.datetime_end,
        "properties": new.properties,
        "assets": new.assets,
        "links": new.links,
        "stac_extensions": new.stac_extensions,
        "owner_id": owner,
        "access": new.access.value,
        "embargo_until": new.embargo_until,
        "created_at": now,
        "updated_at": now,
    }


def create_items(
    session: Session, items: Sequence[NewItem], viewer: Viewer, *, now: datetime
) -> list[tuple[StoredItem, bool]]:
    """Insert many items at once, all or none; returns ``(item, created)`` per item,
    in order.

    The same checks and answers as :func:`create_item`, item by item (owner from the
    key, collection and named partners must exist, an identical re-post is accepted
    and changes nothing, other content under a taken id is a
    :class:`ConflictError`), with a fixed number of statements per call instead of
    several per item: one lookup of the ids already taken, one multi-row insert of
    the items and one of their shares (on PostgreSQL: one COPY each).
    """
    owners = [_owner_for(session, new, viewer) for new in items]
    for collection in sorted({new.collection for new in items}):
        get_collection(session, collection)
    require_partners(session, frozenset().union(*(new.shared_with for new in items)))
    results: list[tuple[StoredItem, bool] | None] = [None] * len(items)
    wanted: dict[tuple[str, str], int] = {}
    for n, (new, owner) in enumerate(zip(items, owners, strict=True)):
        key = (new.collection, new.id)
        first = wanted.setdefault(key, n)
        if first != n:  # the same id twice in one request: a re-post of the first
            earlier = _as_stored(items[first], owners[first])
            if item_document(earlier) != item_document(_as_stored(new, owner)):
                raise _conflict(new)
            results[n] = (earlier, False)
    existing: list[Item] = []
    for collection in sorted({c for c, _ in wanted}):
        ids = [i for c, i in wanted if c == collection]
        for start in range(0, len(ids), MAX_IDS_PER_QUERY):
            existing.extend(
                session.scalars(
                    select(Item)
                    .where(
                        Item.collection_id == collection,
                        Item.item_id.in_(ids[start : start + MAX_IDS_PER_QUERY]),
                    )
                    .options(selectinload(Item.shares))
                )
            )
    for row in existing:
        n = wanted.pop((row.collection_id, row.item_id))
        stored = _stored(row)
        if item_document(stored) != item_document(_as_stored(items[n], owners[n])):
            raise _conflict(items[n])
        results[n] = (stored, False)
    fresh = sorted(wanted.values())
    if fresh:
        rows = [_row_values(items[n], owners[n], now) for n in fresh]
        shared = [sorted(items[n].shared_with) for n in fresh]
        if session.get_bind().dialect.name == "postgresql":
            _copy_rows(session, rows, shared)
        else:
            _insert_rows(session, rows, shared)
        for n in fresh:
            results[n] = (_as_stored(items[n], owners[n]), True)
    return [result for result in results if result is not None]


def _insert_rows(session: Session, rows: list[dict[str, Any]], shared: list[list[str]]) -> None:
    """SQLite: insert item rows and their shares, a few multi-row statements each.
    The keys are numbered here, after the largest in use, as SQLite would number
    them (an ``INTEGER PRIMARY KEY`` without ``AUTOINCREMENT`` takes max + 1): the
    write transaction holds SQLite's one write lock from its BEGIN IMMEDIATE, so no
    other writer can take them. Asking for the keys back instead (RETURNING in
    parameter order) makes SQLAlchemy insert row by row on SQLite."""
    first = int(session.scalar(select(func.coalesce(func.max(Item.pk), 0))) or 0) + 1
    pks = range(first, first + len(rows))
    # render_nulls: send NULL for an absent embargo instead of leaving the column
    # out, so every row has the same columns and the batch stays together
    # (SQLAlchemy splits a batch wherever the set of non-NULL columns changes:
    # "ORM Bulk INSERT Statements").
    session.execute(
        insert(Item).execution_options(render_nulls=True),
        [{"pk": pk, **row} for pk, row in zip(pks, rows, strict=True)],
    )
    shares = [
        {"item_pk": pk, "partner_id": partner}
        for pk, partners in zip(pks, shared, strict=True)
        for partner in partners
    ]
    if shares:
        session.execute(insert(ItemShare), shares)


def _copy_rows(session: Session, rows: list[dict[str, Any]], shared: list[list[str]]) -> None:
    """PostgreSQL: the same rows by ``COPY ... FROM STDIN``, in the session's
    transaction. The primary keys are drawn from the table's sequence first, so the
    shares can name their items without a RETURNING round trip. A multi-row INSERT
    of a thousand items binds 18,000 parameters, which the driver spends longer
    converting than the server spends storing them; COPY streams the values."""
    connection = session.connection()
    pks = list(
        connection.execute(
            select(func.nextval(func.pg_get_serial_sequence("items", "pk"))).select_from(
                func.generate_series(1, len(rows))
            )
        ).scalars()
    )
    columns = list(rows[0])
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        items_copy = f"COPY items (pk, {', '.join(columns)}) FROM STDIN"
        with cursor.copy(items_copy) as copy:
            for pk, row in zip(pks, rows, strict=True):
                copy.write_row((pk, *(_copy_value(row[c]) for c in columns)))
        if any(shared):
            with cursor.copy("COPY item_shares (item_pk, partner_id) FROM STDIN") as copy:
                for pk, partners in zip(pks, shared, strict=True):
                    for partner in partners:
                        copy.write_row((pk, partner))


def _copy_value(value: Any) -> Any:
    """A value as COPY takes it: JSON documents as their text (the server parses it
    into ``jsonb``), times in UTC, the rest as is."""
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value


def _conflict(new: NewItem) -> ConflictError:
    return ConflictError(
        f"item {new.collection}/{new.id} exists already with different content; "
        "use PUT on your own item to replace it",
        kind="item",
        name=f"{new.collection}/{new.id}",
    )


def _writable_row(
    session: Session, viewer: Viewer, now: datetime, collection_id: str, item_id: str
) -> Item:
    """The row ``viewer`` may change: 404 when hidden or absent, 403 when visible but
    owned by another partner."""
    if viewer.kind == "anonymous":
        raise PermissionDeniedError(
            "changing items needs a partner or coordinator key", required="partner"
        )
    get_collection(session, collection_id)
    row = _visible_row(session, viewer, now, collection_id, item_id)
    if viewer.kind == "partner" and row.owner_id != viewer.partner_id:
        raise PermissionDeniedError(
            f"item {collection_id}/{item_id} belongs to {row.owner_id!r}; partners may "
            "change only their own items",
            required="owner",
        )
    return row


def update_item(session: Session, new: NewItem, viewer: Viewer, *, now: datetime) -> StoredItem:
    """Replace an item the writer owns (the coordinator: any item). The owner stays,
    unless the coordinator names another in ``spacepool:owner``."""
    row = _writable_row(session, viewer, now, new.collection, new.id)
    if viewer.kind == "admin":
        owner = row.owner_id if new.owner_claim is None else _owner_for(session, new, viewer)
    else:
        owner = _owner_for(session, new, viewer)
    require_partners(session, new.shared_with)
    _fill(row, new, owner, now)
    session.flush()
    return _stored(row)


def delete_item(
    session: Session, viewer: Viewer, now: datetime, collection_id: str, item_id: str
) -> None:
    row = _writable_row(session, viewer, now, collection_id, item_id)
    session.delete(row)
    session.flush()
