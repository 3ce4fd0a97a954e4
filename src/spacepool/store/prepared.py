"""Hot statements executed on the driver's connection, compiled once.

SQLAlchemy's execution of a cached statement still does per-call work in Python:
the execution context, the bound values of every literal in the statement
(``construct_params``), a cursor wrapper, a Result with its Row objects and a type
processor call per value. On the catalogue search (benchmarks/bench_store.py) that
came to about a tenth of the server's CPU per request. :class:`Prepared` does that
work once per statement: the SQL text, the values of the statement's own literals,
the bind and result processors of its typed columns, and a row type; a call then
passes the caller's values to the driver (psycopg, which prepares the statement on
the server after a few calls) and builds plain named tuples.

Only for PostgreSQL, only for statements built once and reused (the search's
statements per query shape, see :mod:`spacepool.store.search`; the audit record
insert), and only for
statements without "expanding" ``IN`` parameters, whose SQL depends on the number
of values, and only when nothing watches SQLAlchemy's statements (echo, cursor
events). :func:`fetch_all` falls back to ``Connection.execute`` for the rest.
A statement the driver refuses ends as it would through execute: the same
SQLAlchemy exception, a lost connection invalidated (:func:`_after_failure`).
"""

from __future__ import annotations

import contextlib
import functools
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Insert, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

Processor = Callable[[Any], Any]
Statement = Select[Any] | Insert


@dataclass(frozen=True)
class Prepared:
    """A SELECT compiled for one dialect, ready to run on a driver connection."""

    sql: str
    # Values of the statement's own bound literals (already processed).
    literals: Mapping[str, Any]
    # Bind processors of the parameters callers give, by name.
    binds: Mapping[str, Processor]
    # Result columns that need a processor: (position, processor).
    results: tuple[tuple[int, Processor], ...]
    row: Any  # the named-tuple type of a result row

    @contextlib.contextmanager
    def _executed(self, connection: Connection, values: Mapping[str, Any]) -> Iterator[Any]:
        params = dict(self.literals)
        binds = self.binds
        for name, value in values.items():
            process = binds.get(name)
            params[name] = value if process is None or value is None else process(value)
        driver = connection.connection.driver_connection
        assert driver is not None
        dbapi = connection.dialect.loaded_dbapi
        # Results in binary: numbers and times need no text formatting on the
        # server and no parsing here (psycopg's loaders give the same values).
        with driver.cursor(binary=True) as cursor:
            try:
                cursor.execute(self.sql, params, prepare=True)
            except dbapi.Error as exc:
                raise _Failed(exc, self.sql, params, bool(driver.autocommit)) from exc
            yield cursor

    def run(self, connection: Connection, values: Mapping[str, Any]) -> None:
        """Execute with the callers' ``values``; no rows are read."""
        with self._executed(connection, values):
            pass

    def fetch_all(self, connection: Connection, values: Mapping[str, Any]) -> list[Any]:
        """Rows of the statement with the callers' ``values`` (names of its
        parameters; others are ignored) on ``connection``'s driver connection, in
        the connection's current transaction state."""
        with self._executed(connection, values) as cursor:
            records = cursor.fetchall()
        make = self.row._make
        if not self.results:
            return [make(record) for record in records]
        rows = []
        for record in records:
            fields = list(record)
            for position, process in self.results:
                value = fields[position]
                if value is not None:
                    fields[position] = process(value)
            rows.append(make(fields))
        return rows


def prepare(statement: Statement, dialect: Dialect) -> Prepared | None:
    """``statement`` (a SELECT, or a statement that returns no rows) compiled for
    ``dialect``; None when it cannot run this way (an expanding ``IN``, positional
    parameters, unnamed or repeated result columns)."""
    compiled = statement.compile(dialect=dialect)
    if compiled.positional or compiled.post_compile_params or compiled.literal_execute_params:
        return None
    literals: dict[str, Any] = {}
    binds: dict[str, Processor] = {}
    for name, bind in compiled.binds.items():
        process = bind.type.bind_processor(dialect)
        if process is not None:
            binds[name] = process
        if not bind.required and bind.callable is None:
            value = bind.value
            literals[name] = value if process is None or value is None else process(value)
    selected = list(statement.selected_columns) if isinstance(statement, Select) else []
    names = [column.key for column in selected]
    if not all(names) or len(set(names)) < len(names):
        return None  # rows are read by column name
    results = []
    for position, column in enumerate(selected):
        process = column.type.result_processor(dialect, None)
        if process is not None:
            results.append((position, process))
    row = namedtuple("Row", [str(name) for name in names])  # type: ignore[misc]
    return Prepared(compiled.string, literals, binds, tuple(results), row)


@functools.lru_cache(maxsize=1024)
def _prepared(statement: Statement, dialect: Dialect) -> Prepared | None:
    return prepare(statement, dialect)


def _driver_path(connection: Connection, statement: Statement) -> Prepared | None:
    """The prepared form of ``statement`` when it may take the driver path (see the
    module text), else None."""
    dialect = connection.dialect
    # What listens to SQLAlchemy's statements (echo, cursor events: tracing, the
    # tests' statement counts) sees them all: then every statement takes execute.
    watched = bool(connection.dispatch.before_cursor_execute) or bool(connection.engine.echo)
    if dialect.name != "postgresql" or watched:
        return None
    return _prepared(statement, dialect)


class _Failed(Exception):
    """The driver refused a statement (see :func:`_after_failure`)."""

    def __init__(self, error: Any, sql: str, params: Any, autocommit: bool) -> None:
        super().__init__(str(error))
        self.error, self.sql, self.params, self.autocommit = error, sql, params, autocommit


def _after_failure(connection: Connection, failed: _Failed) -> None:
    """What follows a driver error, so that callers see what SQLAlchemy's execute
    would have shown them. Outside a transaction (the reads' autocommit), nothing
    is spoiled: the caller runs the statement again through execute, which meets
    the same error and handles it its own way (a lost connection invalidates the
    pool's connections of its age). Inside one, the transaction is aborted and a
    second try would only report that: the error is raised as SQLAlchemy's
    (``DBAPIError.instance``), and a lost connection is invalidated."""
    if failed.autocommit:
        return
    dialect = connection.dialect
    lost = dialect.is_disconnect(failed.error, connection.connection.dbapi_connection, None)
    if lost:
        connection.invalidate(failed.error)
    raise DBAPIError.instance(
        failed.sql,
        failed.params,
        failed.error,
        dialect.loaded_dbapi.Error,
        connection_invalidated=lost,
        dialect=dialect,
    ) from failed.error


def execute(connection: Connection, statement: Statement, values: Mapping[str, Any]) -> None:
    """Run ``statement`` (built once and reused; no rows wanted) with ``values``."""
    prepared = _driver_path(connection, statement)
    if prepared is not None:
        try:
            prepared.run(connection, values)
            return
        except _Failed as failed:
            _after_failure(connection, failed)
    connection.execute(statement, dict(values))


def fetch_all(
    connection: Connection, statement: Select[Any], values: Mapping[str, Any]
) -> Sequence[Any]:
    """All rows of ``statement`` (built once and reused: it is a cache key) with
    ``values``: through :class:`Prepared` on PostgreSQL, else ``execute``."""
    prepared = _driver_path(connection, statement)
    if prepared is not None:
        try:
            return prepared.fetch_all(connection, values)
        except _Failed as failed:
            _after_failure(connection, failed)
    return connection.execute(statement, dict(values)).all()
