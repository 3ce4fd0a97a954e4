"""Statements run on the driver connection (spacepool.store.prepared) give exactly
the rows SQLAlchemy's execute gives, and are used only where they may be."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import shapely
from sqlalchemy import event, func, literal_column, select
from sqlalchemy.exc import DBAPIError

from conftest import fresh_database
from datastore_factory import NOW, collection_doc, item_doc
from spacepool.catalog.access import Viewer
from spacepool.catalog.items import parse_item
from spacepool.store import Store
from spacepool.store.collections import create_collection
from spacepool.store.items import create_items
from spacepool.store.models import Item
from spacepool.store.partners import add_partner
from spacepool.store.prepared import fetch_all, prepare
from spacepool.store.search import (
    SPATIAL_BATCH_ROWS,
    ItemQuery,
    SortKey,
    _boxes,
    _search,
    _statement,
)

PARTNERS = ("esa", "nasa", "jaxa")
VIEWERS = [Viewer.anonymous(), Viewer.partner("nasa"), Viewer.partner("esa"), Viewer.admin()]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    # PostgreSQL only: on SQLite every statement takes execute.
    for database_url in fresh_database("postgresql", tmp_path):
        yield from _filled_store(database_url)


def _filled_store(database_url: str) -> Iterator[Store]:
    store = Store(database_url)
    with store.transaction() as session:
        for partner in PARTNERS:
            add_partner(session, partner, partner.upper(), now=NOW)
        create_collection(session, collection_doc("eo"), now=NOW)
        docs = []
        for n in range(60):
            policy = ("open", "consortium", "owner", "partners")[n % 4]
            docs.append(
                item_doc(
                    f"i{n:03d}",
                    lon=float(n % 12),
                    lat=float(n // 12),
                    size_deg=0.5,
                    when=NOW - timedelta(hours=n + 1),
                    access=policy,
                    shared_with=["nasa"] if policy == "partners" else None,
                    embargo_until=NOW - timedelta(days=1) if n % 5 == 0 else None,
                )
            )
        create_items(
            session, [parse_item(d, collection="eo") for d in docs], Viewer.partner("esa"), now=NOW
        )
    yield store
    store.close()


def _queries() -> list[ItemQuery]:
    after = SortKey(NOW - timedelta(hours=20, minutes=30), "eo", "i019")
    return [
        ItemQuery(limit=10),
        ItemQuery(area=shapely.box(1.0, 0.0, 6.0, 3.0), limit=10),
        ItemQuery(area=shapely.box(1.0, 0.0, 6.0, 3.0), start=NOW - timedelta(hours=30), limit=5),
        ItemQuery(end=NOW - timedelta(hours=10), after=after, limit=10),
    ]


@pytest.mark.parametrize("viewer", VIEWERS, ids=str)
def test_rows_through_the_driver_equal_the_rows_of_execute(store: Store, viewer: Viewer) -> None:
    compared = 0
    with store.transaction(read_only=True) as session:
        connection = session.connection()
        for query in _queries():
            search = _search(viewer, NOW, query, "postgresql")
            exact = query.area is not None
            # the statement the search runs (over boxes: the classified candidates)
            boxes = _boxes(search, query) if exact else 0
            stmt = _statement(search, exact, query.after is not None, boxes)
            params: dict[str, Any] = {
                **search.params,
                "sp_limit": SPATIAL_BATCH_ROWS,
                "sp_whole": query.limit + 1,
            }
            assert prepare(stmt, connection.dialect) is not None
            expected = connection.execute(stmt, params).all()
            got = fetch_all(connection, stmt, params)
            assert [tuple(row) for row in got] == [tuple(row) for row in expected]
            assert [row._fields for row in got[:1]] == [tuple(row._fields) for row in expected[:1]]
            for row in got:
                assert row.datetime_start.utcoffset() == timedelta(0)
                assert row.datetime_start.tzinfo is UTC  # as UTCDateTime gives it
            compared += len(expected)
    assert compared > 40  # the queries match rows for every viewer


def test_an_expanding_in_is_not_prepared_and_still_answers(store: Store) -> None:
    stmt = select(Item.item_id).where(Item.item_id.in_(["i001", "i002"])).order_by(Item.item_id)
    with store.transaction(read_only=True) as session:
        connection = session.connection()
        assert prepare(stmt, connection.dialect) is None
        assert [row.item_id for row in fetch_all(connection, stmt, {})] == ["i001", "i002"]


def test_statements_go_through_execute_while_someone_listens(store: Store) -> None:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    stmt = select(Item.item_id).where(Item.access == "open").order_by(Item.item_id).limit(3)
    with store.transaction(read_only=True) as session:
        connection = session.connection()
        quiet = fetch_all(connection, stmt, {})
        assert seen == []
        event.listen(store.engine, "before_cursor_execute", record)
        try:
            watched = fetch_all(connection, stmt, {})
        finally:
            event.remove(store.engine, "before_cursor_execute", record)
    assert len(seen) == 1 and "FROM items" in seen[0]
    assert (
        [tuple(r) for r in watched]
        == [tuple(r) for r in quiet]
        == [("i000",), ("i004",), ("i008",)]
    )


# A statement PostgreSQL refuses at execution: a division by zero in every row.
_FAILING = select((Item.pk / literal_column("0")).label("x")).order_by(Item.pk).limit(1)


def test_a_refused_read_raises_sqlalchemys_error_as_execute_would(store: Store) -> None:
    with pytest.raises(DBAPIError) as failure, store.transaction(read_only=True) as session:
        fetch_all(session.connection(), _FAILING, {})
    assert isinstance(failure.value.orig, psycopg.errors.DivisionByZero)
    # The connection went back to the pool unharmed.
    with store.transaction(read_only=True) as session:
        assert fetch_all(session.connection(), select(func.count()).select_from(Item), {})


def test_a_refused_statement_in_a_transaction_reports_its_own_error(store: Store) -> None:
    with pytest.raises(DBAPIError) as failure, store.transaction() as session:
        fetch_all(session.connection(), _FAILING, {})
    assert isinstance(failure.value.orig, psycopg.errors.DivisionByZero)
    assert "division by zero" in str(failure.value)


@pytest.mark.parametrize("read_only", [True, False], ids=["read", "write"])
def test_a_lost_connection_is_invalidated_and_the_next_one_works(
    store: Store, read_only: bool
) -> None:
    count = select(func.count()).select_from(Item)
    with pytest.raises(DBAPIError) as failure, store.transaction(read_only=read_only) as session:
        connection = session.connection()
        backend = connection.exec_driver_sql("select pg_backend_pid()").scalar()
        with store.engine.connect() as other:
            other.exec_driver_sql(f"select pg_terminate_backend({backend})")
        fetch_all(connection, count, {})
    assert failure.value.connection_invalidated
    with store.transaction(read_only=read_only) as session:
        assert fetch_all(session.connection(), count, {})[0][0] == 60
