"""Audit log: who read which non-public item, and when."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Insert, Integer, String, bindparam, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from spacepool.catalog.access import Viewer, is_public
from spacepool.catalog.items import StoredItem
from spacepool.errors import PermissionDeniedError
from spacepool.store.db import connection_of
from spacepool.store.models import AuditRead
from spacepool.store.prepared import execute
from spacepool.store.types import UTCDateTime

# Records per INSERT statement: 7 values each stays under SQLite's 32,766 bound
# parameters (and PostgreSQL's 65,535). A page of up to this many logged reads is
# one statement, atomic even when the statement commits by itself (PostgreSQL
# read transactions, see spacepool.store.db.Store.transaction); a larger page
# takes several, and a failure between them leaves records of reads that were
# never answered: the log may hold too much, never too little.
MAX_RECORDS_PER_STATEMENT = 4_000


def record_reads(
    session: Session | Connection,
    viewer: Viewer,
    items: Iterable[StoredItem],
    *,
    now: datetime,
    endpoint: str,
) -> int:
    """Log each item in ``items`` that is not public at ``now`` and not the viewer's
    own; returns how many records were written. Runs in ``session``: the reading
    transaction (PostgreSQL) or a write transaction of its own (SQLite)."""
    rows = [
        {
            "at": now,
            "viewer": viewer.label,
            "api_key_id": viewer.key_id,
            "owner_id": item.access.owner,
            "collection_id": item.collection,
            "item_id": item.id,
            "endpoint": endpoint,
        }
        for item in items
        if not is_public(item.access, now) and viewer.partner_id != item.access.owner
    ]
    if not rows:
        return 0
    connection = connection_of(session)
    if connection.dialect.name == "postgresql":
        # One statement whatever the number of records: the item fields as arrays.
        execute(
            connection,
            _INSERT_READS_POSTGRES,
            {
                "at": now,
                "viewer": viewer.label,
                "api_key_id": viewer.key_id,
                "endpoint": endpoint,
                "owners": [row["owner_id"] for row in rows],
                "collections": [row["collection_id"] for row in rows],
                "items": [row["item_id"] for row in rows],
            },
        )
        return len(rows)
    # One cached statement, executed with the rows as parameter sets (a multi-row
    # VALUES list would be a new statement, compiled anew, for every page length).
    for start in range(0, len(rows), MAX_RECORDS_PER_STATEMENT):
        connection.execute(_INSERT_READ, rows[start : start + MAX_RECORDS_PER_STATEMENT])
    return len(rows)


_INSERT_READ = insert(AuditRead)


def _insert_reads_postgres() -> Insert:
    """PostgreSQL: the records of one read as one ``INSERT ... SELECT`` over
    ``unnest`` of the item fields. The parameter-set form (``executemany``) runs a
    pipeline of one INSERT per record, and on bench_store's partner searches (about
    5 records a page) cost the server more CPU than the search query itself."""
    items = (
        func.unnest(
            bindparam("owners", type_=ARRAY(String())),
            bindparam("collections", type_=ARRAY(String())),
            bindparam("items", type_=ARRAY(String())),
        )
        .table_valued("owner_id", "collection_id", "item_id")
        .render_derived(name="item")
    )
    values = select(
        bindparam("at", type_=UTCDateTime()),
        bindparam("viewer", type_=String()),
        bindparam("api_key_id", type_=Integer()),
        items.c.owner_id,
        items.c.collection_id,
        items.c.item_id,
        bindparam("endpoint", type_=String()),
    )
    columns = ["at", "viewer", "api_key_id", "owner_id", "collection_id", "item_id", "endpoint"]
    return insert(AuditRead).from_select(columns, values)


_INSERT_READS_POSTGRES = _insert_reads_postgres()


@dataclass(frozen=True)
class ReadRecord:
    at: datetime
    viewer: str
    owner: str
    collection: str
    item_id: str
    endpoint: str

    def to_dict(self) -> dict[str, str]:
        from spacepool.catalog.items import format_rfc3339

        return {
            "at": format_rfc3339(self.at),
            "viewer": self.viewer,
            "owner": self.owner,
            "collection": self.collection,
            "item_id": self.item_id,
            "endpoint": self.endpoint,
        }


def list_reads(
    session: Session, viewer: Viewer, *, limit: int, offset: int = 0
) -> list[ReadRecord]:
    """Reads of the viewer's items, newest first (the coordinator: all reads)."""
    if viewer.kind == "anonymous":
        raise PermissionDeniedError(
            "the audit log needs a partner or coordinator key", required="partner"
        )
    stmt = select(AuditRead).order_by(AuditRead.at.desc(), AuditRead.id.desc())
    if viewer.kind == "partner":
        stmt = stmt.where(AuditRead.owner_id == viewer.partner_id)
    rows = session.scalars(stmt.offset(offset).limit(limit))
    return [
        ReadRecord(r.at, r.viewer, r.owner_id, r.collection_id, r.item_id, r.endpoint) for r in rows
    ]
