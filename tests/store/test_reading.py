"""``Store.reading``: the catalogue's read connection reads what is committed, holds
no write lock on SQLite, and hands its pooled connection back as it found it (a
read's autocommit must never leak into a later write transaction)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from datastore_factory import NOW
from spacepool.errors import ConflictError
from spacepool.store import Store
from spacepool.store.models import Partner
from spacepool.store.partners import add_partner


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url)
    with store.transaction() as session:
        add_partner(session, "esa", "ESA", now=NOW)
    yield store
    store.close()


def _partners(store: Store) -> int:
    with store.reading() as connection:
        return int(connection.scalar(select(func.count()).select_from(Partner)) or 0)


def test_reading_sees_what_is_committed(store: Store) -> None:
    assert _partners(store) == 1
    with store.transaction() as session:
        add_partner(session, "nasa", "NASA", now=NOW)
    assert _partners(store) == 2


def test_a_write_commits_while_a_read_is_open(store: Store) -> None:
    # SQLite: a deferred read transaction takes no write lock, so a writer does not
    # wait for it (it would wait the whole busy timeout and fail otherwise).
    with store.reading() as connection:
        assert connection.scalar(select(func.count()).select_from(Partner)) == 1
        with store.transaction() as session:
            add_partner(session, "jaxa", "JAXA", now=NOW)
    assert _partners(store) == 2


def test_a_failed_write_after_reads_still_changes_nothing(store: Store) -> None:
    # The same pooled connections serve reads (autocommit on PostgreSQL) and
    # writes: a write transaction after many reads must still be one transaction.
    for _ in range(2 * store.engine.pool.size()):  # type: ignore[attr-defined]
        _partners(store)
    with pytest.raises(ConflictError), store.transaction() as session:
        add_partner(session, "cnes", "CNES", now=NOW)
        session.flush()
        add_partner(session, "esa", "ESA again", now=NOW)  # duplicate id
        session.flush()
    assert _partners(store) == 1
    with store.reading() as connection:
        names = list(connection.scalars(select(Partner.id)))
    assert names == ["esa"]


def test_an_error_inside_a_read_is_raised_and_the_next_read_works(store: Store) -> None:
    with pytest.raises(ZeroDivisionError), store.reading() as connection:
        connection.scalar(select(func.count()).select_from(Partner))
        raise ZeroDivisionError
    assert _partners(store) == 1
