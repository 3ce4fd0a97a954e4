"""Activations in the database: records, visibility, events with their outbox
entries, products, and the archive lookup for pre/post pairs.

Every state change goes through :func:`record_event`, which adds the event *and* its
notification (an :class:`~spacepool.store.activation_models.OutboxEntry`) in the
caller's transaction: either both are stored or neither, so a crash between the
change and the webhook call never loses a notification (the dispatcher sends what
is pending when it next runs).

Visibility of an activation follows its access policy, with the requesting partner
as owner (:func:`visible_activations`, the SQL form of
:func:`spacepool.catalog.access.can_view`): a hidden activation does not exist for
the caller (404, not counted in lists).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import shapely
from sqlalchemy import ColumnElement, and_, exists, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from spacepool._reading import format_time
from spacepool.activation.execution import COLLECTION, Product
from spacepool.activation.model import ACTIVATION, Activation
from spacepool.activation.tasking import ARCHIVE_MAX_AGE_DAYS, ArchiveImage
from spacepool.activation.workflow import ActivationPlan, record_execution
from spacepool.catalog.access import AccessPolicy, ItemAccess, Viewer, can_view
from spacepool.catalog.items import parse_item, parse_rfc3339
from spacepool.errors import ConflictError, NotFoundError, UnknownNameError
from spacepool.store.activation_models import (
    ActivationEvent,
    ActivationProduct,
    ActivationRecord,
    ActivationShare,
    OutboxEntry,
)
from spacepool.store.collections import create_collection
from spacepool.store.items import create_item
from spacepool.store.models import Collection
from spacepool.store.paging import page_rows
from spacepool.store.search import ItemQuery, search_items

if TYPE_CHECKING:
    from spacepool.consortium import Consortium

# Archive candidates examined per lookup (newest first).
ARCHIVE_SEARCH_LIMIT: Final = 200

COLLECTION_DOCUMENT: Final[dict[str, Any]] = {
    "type": "Collection",
    "stac_version": "1.0.0",
    "id": COLLECTION,
    "title": "Disaster activation products",
    "description": (
        "Products acquired for disaster-response activations (International Charter "
        "model): one item per acquisition, with the activation's access policy and "
        "links to the activation and its plan."
    ),
    "license": "various",
    "extent": {
        "spatial": {"bbox": [[-180.0, -90.0, 180.0, 90.0]]},
        "temporal": {"interval": [["2000-01-01T00:00:00Z", None]]},
    },
    "links": [],
}


# --- visibility ----------------------------------------------------------------------


def visible_activations(viewer: Viewer, now: datetime) -> ColumnElement[bool]:
    """SQL condition on :class:`ActivationRecord`: the activations ``viewer`` may see."""
    if viewer.kind == "admin":
        return true()
    public = or_(
        ActivationRecord.access == AccessPolicy.OPEN.value,
        and_(ActivationRecord.embargo_until.is_not(None), ActivationRecord.embargo_until <= now),
    )
    if viewer.kind == "anonymous" or viewer.partner_id is None:
        return public
    partner = viewer.partner_id
    named = exists().where(
        ActivationShare.activation_id == ActivationRecord.id,
        ActivationShare.partner_id == partner,
    )
    return or_(
        public,
        ActivationRecord.access == AccessPolicy.CONSORTIUM.value,
        ActivationRecord.owner_id == partner,
        and_(ActivationRecord.access == AccessPolicy.PARTNERS.value, named),
    )


def activation_access(activation: Activation) -> ItemAccess:
    """The activation's access as a catalogue :class:`ItemAccess` (owner: the
    requester, ``""`` when the coordinator raised it)."""
    return ItemAccess(
        owner=activation.partner or "",
        policy=AccessPolicy(activation.access.policy),
        shared_with=frozenset(activation.access.shared_with),
        embargo_until=activation.access.embargo_until,
    )


def may_view(viewer: Viewer, activation: Activation, now: datetime) -> bool:
    """The Python form of :func:`visible_activations`."""
    return can_view(viewer, activation_access(activation), now)


# --- records -------------------------------------------------------------------------


def save_activation(session: Session, result: ActivationPlan, *, now: datetime) -> ActivationRecord:
    """Store a planned activation with its events ``received``, ``validated`` and
    ``planned`` (and their outbox entries), in the caller's transaction;
    :class:`ConflictError` when the id is taken."""
    activation = result.activation
    if session.get(ActivationRecord, activation.id) is not None:
        raise ConflictError(
            f"activation {activation.id!r} exists already; give another id or leave it out",
            kind="activation",
            name=activation.id,
        )
    record = ActivationRecord(
        id=activation.id,
        owner_id=activation.partner,
        disaster_type=activation.disaster_type,
        name=activation.name,
        state="planned",
        event_time=activation.event_time,
        horizon_start=activation.start,
        horizon_end=activation.end,
        received_at=result.chain.received,
        access=activation.access.policy,
        embargo_until=activation.access.embargo_until,
        document=result.to_dict(),
        cooperation=None,
        created_at=now,
        updated_at=now,
        shares=[ActivationShare(partner_id=p) for p in activation.access.shared_with],
    )
    session.add(record)
    session.flush()
    chain = result.chain
    record_event(session, record, "received", at=chain.received, now=now,
                 data={"type": activation.disaster_type, "partner": activation.partner})  # fmt: skip
    assert chain.validated is not None and chain.planned is not None
    record_event(session, record, "validated", at=chain.validated, now=now, data={})
    plan = result.plan
    record_event(
        session,
        record,
        "planned",
        at=chain.planned,
        now=now,
        data={
            "status": plan.status,
            "acquisitions": len(plan.acquisitions),
            "first_acquisition_planned": _t(chain.first_acquisition_planned),
            "first_delivery_planned": _t(chain.first_delivery_planned),
            "compute_seconds": round(result.compute_seconds, 3),
        },
    )
    return record


def _t(when: datetime | None) -> str | None:
    return None if when is None else format_time(when, dialect=ACTIVATION)


def record_event(
    session: Session,
    record: ActivationRecord,
    kind: str,
    *,
    at: datetime,
    now: datetime,
    data: dict[str, Any],
) -> ActivationEvent:
    """Add a state change and its notification, in the caller's transaction."""
    seq = 1 + int(
        session.scalar(
            select(func.coalesce(func.max(ActivationEvent.seq), 0)).where(
                ActivationEvent.activation_id == record.id
            )
        )
        or 0
    )
    event = ActivationEvent(
        activation_id=record.id,
        seq=seq,
        kind=kind,
        state=record.state,
        at=at,
        recorded_at=now,
        data=data,
    )
    session.add(event)
    session.flush()
    session.add(
        OutboxEntry(
            event_id=event.id,
            activation_id=record.id,
            payload=event_document(event),
            status="pending",
            attempts=0,
            created_at=now,
            next_attempt_at=now,
        )
    )
    session.flush()
    return event


def event_document(event: ActivationEvent) -> dict[str, Any]:
    """An event as JSON (the webhook body and ``GET /activations/{id}/events``)."""
    return {
        "event_id": event.id,
        "activation": event.activation_id,
        "seq": event.seq,
        "kind": event.kind,
        "state": event.state,
        "at": _t(event.at),
        "recorded_at": _t(event.recorded_at),
        "data": event.data,
    }


def get_activation(
    session: Session, viewer: Viewer, now: datetime, activation_id: str
) -> ActivationRecord:
    """The record, or :class:`NotFoundError` when it does not exist *or* is hidden."""
    row = session.scalars(
        select(ActivationRecord)
        .where(ActivationRecord.id == activation_id, visible_activations(viewer, now))
        .options(selectinload(ActivationRecord.shares))
    ).one_or_none()
    if row is None:
        raise NotFoundError("activation", activation_id)
    return row


def list_activations(
    session: Session, viewer: Viewer, now: datetime, *, limit: int, offset: int
) -> tuple[list[ActivationRecord], int]:
    """A page of the activations ``viewer`` may see, newest received first, and how
    many there are for this viewer."""
    statement = (
        select(ActivationRecord)
        .where(visible_activations(viewer, now))
        .order_by(ActivationRecord.received_at.desc(), ActivationRecord.id.desc())
    )
    return page_rows(session, statement, limit=limit, offset=offset)


def list_events(
    session: Session, record: ActivationRecord, *, limit: int, offset: int
) -> tuple[list[ActivationEvent], int]:
    statement = (
        select(ActivationEvent)
        .where(ActivationEvent.activation_id == record.id)
        .order_by(ActivationEvent.seq)
    )
    return page_rows(session, statement, limit=limit, offset=offset)


def activation_plan(record: ActivationRecord) -> ActivationPlan:
    return ActivationPlan.from_dict(record.document)


def products_of(session: Session, record: ActivationRecord) -> list[Product]:
    rows = session.scalars(
        select(ActivationProduct)
        .where(ActivationProduct.activation_id == record.id)
        .order_by(ActivationProduct.acquired_at, ActivationProduct.id)
    )
    return [Product.from_dict(row.document) for row in rows]


def activation_summary_row(record: ActivationRecord) -> dict[str, Any]:
    """The short form of an activation in lists."""
    document = record.document
    activation = document["activation"]
    return {
        "id": record.id,
        "name": record.name,
        "type": record.disaster_type,
        "state": record.state,
        "partner": record.owner_id,
        "event_time": activation["event_time"],
        "horizon": activation["horizon"],
        "access": activation["access"],
        "chain": document["chain"],
        "links": {
            "self": f"/activations/{record.id}",
            "summary": f"/activations/{record.id}/summary",
            "plan": f"/activations/{record.id}/plan",
            "events": f"/activations/{record.id}/events",
        },
    }


# --- products ------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """The outcome of :func:`publish_product`: the product and whether it is new."""

    product: Product
    created: bool


def publish_product(
    session: Session, record: ActivationRecord, product: Product, *, now: datetime
) -> Published:
    """Publish ``product`` as a catalogue item under the activation's policy and
    record the events ``acquisition_reported`` and ``product_published`` (and
    ``completed`` when every planned acquisition has its product), all in the
    caller's transaction. Publishing the same product again changes nothing."""
    existing = session.scalars(
        select(ActivationProduct).where(
            ActivationProduct.collection_id == COLLECTION, ActivationProduct.item_id == product.id
        )
    ).one_or_none()
    if existing is not None:
        return Published(Product.from_dict(existing.document), False)
    result = activation_plan(record)
    if session.get(Collection, COLLECTION) is None:
        create_collection(session, dict(COLLECTION_DOCUMENT), now=now)
    item = parse_item(product.to_item(result.activation), collection=COLLECTION)
    create_item(session, item, Viewer.admin(), now=now)
    session.add(
        ActivationProduct(
            activation_id=record.id,
            collection_id=COLLECTION,
            item_id=product.id,
            owner_id=product.owner,
            acquired_at=product.start,
            published_at=product.published,
            document=product.to_dict(),
            created_at=now,
        )
    )
    session.flush()
    products = products_of(session, record)
    updated = record_execution(result, products)
    planned = len(result.plan.acquisitions)
    record.state = "completed" if planned and len(products) >= planned else "in_progress"
    record.document = updated.to_dict()
    record.updated_at = now
    record_event(
        session,
        record,
        "acquisition_reported",
        at=product.start,
        now=now,
        data={
            "satellite": product.satellite,
            "instrument": product.instrument,
            "owner": product.owner,
            "start": _t(product.start),
            "end": _t(product.end),
            "delivered": _t(product.delivered),
            "plan_acquisition": product.plan_acquisition,
        },
    )
    record_event(
        session,
        record,
        "product_published",
        at=product.published,
        now=now,
        data={"item": f"/stac/collections/{COLLECTION}/items/{product.id}", "owner": product.owner},
    )
    if record.state == "completed":
        record_event(
            session, record, "completed", at=product.published, now=now,
            data={"products": len(products)},
        )  # fmt: skip
    session.flush()
    return Published(product, True)


def set_cooperation(
    session: Session, record: ActivationRecord, cooperation: dict[str, Any], *, now: datetime
) -> None:
    """Keep the value-of-cooperation comparison of an activation (computed once)."""
    record.cooperation = cooperation
    record.updated_at = now
    session.flush()


# --- archive -------------------------------------------------------------------------


def find_archive(
    session: Session,
    activation: Activation,
    viewer: Viewer,
    now: datetime,
    consortium: Consortium,
) -> list[ArchiveImage]:
    """Catalogue items ``viewer`` may see that were taken over the activation area in
    the :data:`~spacepool.activation.tasking.ARCHIVE_MAX_AGE_DAYS` before the event,
    with their instrument kind and covered fraction of the area (filter them with
    :func:`~spacepool.activation.tasking.select_archive`).

    The kind comes from ``spacepool:instrument_kind``, else from the STAC
    ``platform`` and ``instruments`` matched with the consortium's spacecraft and
    instruments; items whose kind cannot be told are skipped.
    """
    area = activation.target()
    shape = shapely.geometry.shape(dict(activation.area))
    query = ItemQuery(
        area=shape,
        start=activation.event_time - timedelta(days=ARCHIVE_MAX_AGE_DAYS),
        end=activation.event_time,
        limit=ARCHIVE_SEARCH_LIMIT,
    )
    page = search_items(session, viewer, now, query)
    found = []
    for item in page.items:
        properties = item.properties
        when_text = properties.get("start_datetime") or properties.get("datetime")
        if not isinstance(when_text, str):
            continue
        when = parse_rfc3339(when_text, field_name="datetime")
        if when >= activation.event_time:
            continue
        kind, platform, instrument = _kind_of(properties, consortium)
        if kind is None:
            continue
        covered = area.to_plane(shapely.geometry.shape(item.geometry))
        fraction = float(shapely.intersection(covered, area.projected).area / area.area_km2)
        if not math.isfinite(fraction):
            continue
        found.append(
            ArchiveImage(
                collection=item.collection,
                item_id=item.id,
                datetime=when,
                kind=kind,
                platform=platform,
                instrument=instrument,
                covered_fraction=min(fraction, 1.0),
            )
        )
    return found


def _kind_of(properties: dict[str, Any], consortium: Consortium) -> tuple[str | None, str, str]:
    platform = str(properties.get("platform") or "")
    instruments = properties.get("instruments") or []
    instrument = str(instruments[0]) if isinstance(instruments, list) and instruments else ""
    kind = properties.get("spacepool:instrument_kind")
    if isinstance(kind, str):
        return kind, platform, instrument
    try:
        spacecraft = consortium.spacecraft(platform) if platform else None
    except UnknownNameError:
        spacecraft = None
    if spacecraft is None:
        return None, platform, instrument
    for candidate in spacecraft.instruments:
        if instrument.lower() in (candidate.id, candidate.name.lower()):
            return candidate.kind, platform, instrument
    return None, platform, instrument


# --- outbox --------------------------------------------------------------------------


@dataclass(frozen=True)
class Notification:
    """A pending outbox entry, detached from the session."""

    id: int
    payload: dict[str, Any]
    attempts: int


def due_notifications(session: Session, now: datetime, *, limit: int) -> list[Notification]:
    """Pending entries due at ``now``, oldest first."""
    rows = session.scalars(
        select(OutboxEntry)
        .where(OutboxEntry.status == "pending", OutboxEntry.next_attempt_at <= now)
        .order_by(OutboxEntry.id)
        .limit(limit)
    )
    return [Notification(r.id, dict(r.payload), r.attempts) for r in rows]


def mark_delivered(session: Session, entry_id: int, *, now: datetime) -> None:
    row = session.get(OutboxEntry, entry_id)
    if row is None or row.status == "delivered":
        return
    row.status = "delivered"
    row.attempts += 1
    row.last_attempt_at = now
    row.delivered_at = now
    row.last_error = None
    session.flush()


def mark_failed(
    session: Session, entry_id: int, *, now: datetime, error: str, next_attempt_at: datetime
) -> None:
    row = session.get(OutboxEntry, entry_id)
    if row is None or row.status == "delivered":
        return
    row.attempts += 1
    row.last_attempt_at = now
    row.next_attempt_at = next_attempt_at
    row.last_error = error[:2000]
    session.flush()


def outbox_counts(session: Session) -> dict[str, int]:
    """Entries per status."""
    rows = session.execute(
        select(OutboxEntry.status, func.count()).group_by(OutboxEntry.status)
    ).all()
    counts = {"pending": 0, "delivered": 0}
    counts.update({str(status): int(n) for status, n in rows})
    return counts


__all__ = [
    "COLLECTION_DOCUMENT",
    "Notification",
    "Published",
    "activation_access",
    "activation_plan",
    "activation_summary_row",
    "due_notifications",
    "event_document",
    "find_archive",
    "get_activation",
    "list_activations",
    "list_events",
    "mark_delivered",
    "mark_failed",
    "may_view",
    "outbox_counts",
    "products_of",
    "publish_product",
    "record_event",
    "save_activation",
    "set_cooperation",
    "visible_activations",
]
