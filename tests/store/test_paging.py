"""``page_rows``: one page of a list query and the length of the whole list
(SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from spacepool.store import Store
from spacepool.store.models import Partner
from spacepool.store.paging import page_rows
from spacepool.store.partners import add_partner

NOW = datetime(2026, 6, 1, tzinfo=UTC)
IDS = ["p1", "p2", "p3", "p4", "p5", "q1", "q2"]


@pytest.fixture(scope="module")
def store(module_database_url: str) -> Iterator[Store]:
    store = Store(module_database_url)
    with store.transaction() as session:
        for partner_id in IDS:
            add_partner(session, partner_id, partner_id.upper(), now=NOW)
    yield store
    store.close()


# (limit, offset): the ids on the page, newest id first, and why
PAGES = [
    (2, 0, ["p5", "p4"], "first page"),
    (2, 4, ["p1"], "last page is short"),
    (2, 5, [], "offset past the end: empty page, total still counted"),
    (10, 0, ["p5", "p4", "p3", "p2", "p1"], "limit above the total"),
    (None, 1, ["p4", "p3", "p2", "p1"], "no limit: everything after the offset"),
]


@pytest.mark.parametrize(
    ("limit", "offset", "expected", "reason"), PAGES, ids=[reason for *_, reason in PAGES]
)
def test_page_rows_cuts_the_ordered_query_and_counts_all_its_filtered_rows(
    store: Store, limit: int | None, offset: int, expected: list[str], reason: str
) -> None:
    statement = select(Partner).where(Partner.id.like("p%")).order_by(Partner.id.desc())
    with store.transaction(read_only=True) as session:
        rows, total = page_rows(session, statement, limit=limit, offset=offset)
        ids = [row.id for row in rows]
    assert (ids, total) == (expected, 5), reason
