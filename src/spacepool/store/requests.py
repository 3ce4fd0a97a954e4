"""Partners' requests (what they need observed), as the planning scenario's request
fields (:meth:`spacepool.planning.requests.Request.to_dict`).

A partner sees only its own requests; the coordinator sees all. A request hidden
from the caller answers like a missing one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import false, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from spacepool.catalog.access import Viewer
from spacepool.catalog.items import format_rfc3339
from spacepool.errors import ConflictError, NotFoundError
from spacepool.planning.requests import Request
from spacepool.store.models import RequestRecord
from spacepool.store.paging import page_rows
from spacepool.store.partners import require_partners


def add_request(
    session: Session, request: Request, *, submitted_by: str, now: datetime
) -> tuple[RequestRecord, bool]:
    """Store ``request``; returns the record and whether it is new.

    Re-posting a request with the same id and the same fields returns the stored one
    (idempotent); the same id with other fields, or another partner's id, is a
    :class:`ConflictError` that does not say whose it is.
    """
    require_partners(session, frozenset({request.partner}))
    document = request.to_dict()
    existing = session.get(RequestRecord, request.id)
    if existing is not None:
        if existing.partner_id == request.partner and existing.document == document:
            return existing, False
        raise ConflictError(
            f"request {request.id!r} exists already with different content; choose another id",
            kind="request",
            name=request.id,
        )
    record = RequestRecord(
        id=request.id,
        partner_id=request.partner,
        status="submitted",
        window_start=request.start,
        window_end=request.end,
        document=document,
        submitted_by=submitted_by,
        created_at=now,
    )
    session.add(record)
    session.flush()
    return record, True


def _visible(viewer: Viewer) -> Select[RequestRecord]:
    query = select(RequestRecord)
    if viewer.kind == "admin":
        return query
    if viewer.kind == "partner":
        return query.where(RequestRecord.partner_id == viewer.partner_id)
    return query.where(false())  # anonymous callers see no requests


def list_requests(
    session: Session,
    viewer: Viewer,
    *,
    partner: str | None = None,
    limit: int,
    offset: int,
) -> tuple[list[RequestRecord], int]:
    """The requests ``viewer`` may see (newest first), optionally of one partner."""
    query = _visible(viewer)
    if partner is not None:
        query = query.where(RequestRecord.partner_id == partner)
    statement = query.order_by(RequestRecord.created_at.desc(), RequestRecord.id)
    return page_rows(session, statement, limit=limit, offset=offset)


def get_request(session: Session, viewer: Viewer, request_id: str) -> RequestRecord:
    record = session.scalar(_visible(viewer).where(RequestRecord.id == request_id))
    if record is None:
        raise NotFoundError("request", request_id)
    return record


def requests_for_plan(
    session: Session,
    start: datetime,
    end: datetime,
    request_ids: Sequence[str] | None = None,
) -> list[Request]:
    """The submitted requests whose window lies within ``[start, end]``, or those of
    ``request_ids`` when given (an unknown id is a :class:`NotFoundError`; the planner
    checks their windows)."""
    query = select(RequestRecord).where(RequestRecord.status == "submitted")
    if not request_ids:
        query = query.where(RequestRecord.window_start >= start, RequestRecord.window_end <= end)
        return [to_request(r) for r in session.scalars(query.order_by(RequestRecord.id))]
    wanted = list(dict.fromkeys(request_ids))
    rows = {r.id: r for r in session.scalars(query.where(RequestRecord.id.in_(wanted)))}
    for request_id in wanted:
        if request_id not in rows:
            raise NotFoundError("request", request_id)
    return [to_request(rows[r]) for r in wanted]


def to_request(record: RequestRecord) -> Request:
    return Request.from_dict(record.document, path=f"request {record.id}")


def request_to_dict(record: RequestRecord) -> dict[str, Any]:
    """The HTTP form: the request's fields plus status, submitter and time."""
    return {
        **record.document,
        "status": record.status,
        "submitted_by": record.submitted_by,
        "created_at": format_rfc3339(record.created_at),
    }
