"""STAC collections. Collections are catalogue metadata, public to every viewer;
what they contain is filtered item by item (:mod:`spacepool.store.search`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, exists, select
from sqlalchemy.orm import Session

from spacepool.catalog.items import INFERRED_LINK_RELS, check_id
from spacepool.errors import ConflictError, InputError, NotFoundError
from spacepool.store.models import Collection, Item


def _clean(document: dict[str, Any]) -> dict[str, Any]:
    links = document.get("links") or []
    if not isinstance(links, list):
        raise InputError("collection.links: expected a list of link objects")
    kept = [
        link
        for link in links
        if isinstance(link, dict) and link.get("rel") not in INFERRED_LINK_RELS
    ]
    return {**document, "links": kept}


def create_collection(
    session: Session, document: dict[str, Any], *, now: datetime
) -> tuple[Collection, bool]:
    """Store a collection document; returns ``(row, created)``. Posting the same
    document again changes nothing; a different one under a taken id is a
    :class:`ConflictError`."""
    collection_id = check_id(document.get("id"), field_name="collection.id")
    cleaned = _clean(document)
    existing = session.get(Collection, collection_id)
    if existing is not None:
        if existing.document == cleaned:
            return existing, False
        raise ConflictError(
            f"collection {collection_id!r} exists already with different content; "
            "use PUT to replace it",
            kind="collection",
            name=collection_id,
        )
    row = Collection(id=collection_id, document=cleaned, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    return row, True


def get_collection(session: Session, collection_id: str) -> Collection:
    row = session.get(Collection, collection_id)
    if row is None:
        raise NotFoundError("collection", collection_id)
    return row


def list_collections(session: Session) -> list[Collection]:
    return list(session.scalars(select(Collection).order_by(Collection.id)))


def require_collection(source: Session | Connection, collection_id: str) -> None:
    """Raise :class:`NotFoundError` unless the collection exists (reads no document)."""
    found = source.scalar(select(Collection.id).where(Collection.id == collection_id))
    if found is None:
        raise NotFoundError("collection", collection_id)


def known_collection_ids(source: Session | Connection) -> list[str]:
    return list(source.scalars(select(Collection.id).order_by(Collection.id)))


def update_collection(
    session: Session, collection_id: str, document: dict[str, Any], *, now: datetime
) -> Collection:
    row = get_collection(session, collection_id)
    if document.get("id") != collection_id:
        raise InputError(
            f"collection.id: the body says {document.get('id')!r} but the URL names "
            f"{collection_id!r}; ids cannot be changed"
        )
    row.document = _clean(document)
    row.updated_at = now
    session.flush()
    return row


def delete_collection(session: Session, collection_id: str) -> None:
    """Delete an empty collection; :class:`ConflictError` while it holds items."""
    row = get_collection(session, collection_id)
    if session.scalar(select(exists().where(Item.collection_id == collection_id))):
        raise ConflictError(
            f"collection {collection_id!r} still holds items; delete them first",
            kind="collection",
            name=collection_id,
        )
    session.delete(row)
    session.flush()
