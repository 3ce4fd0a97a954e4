"""``GET /audit/reads``: who read your non-public items, and when."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from spacepool.api.auth import store_of, viewer_of
from spacepool.store.audit import list_reads

router = APIRouter(tags=["Audit"])

MAX_READS = 1_000
# Largest offset accepted: keeps the value inside every database's integer range
# (SQLite and PostgreSQL BIGINT hold up to 2**63 - 1).
MAX_OFFSET = 2**31 - 1


@router.get("/audit/reads", summary="Reads of your non-public items")
def audit_reads(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_READS)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    """Reads of the caller's items that were not public at the time, newest first
    (the coordinator sees all reads)."""
    viewer = viewer_of(request)
    with store_of(request).transaction() as session:
        reads = list_reads(session, viewer, limit=limit, offset=offset)
    return {"reads": [r.to_dict() for r in reads], "limit": limit, "offset": offset}
