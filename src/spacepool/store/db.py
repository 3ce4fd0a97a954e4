"""Engines, sessions and migrations.

``SPACEPOOL_DATABASE_URL`` chooses the database: an SQLite file by default
(``spacepool.sqlite`` in the working directory), PostgreSQL with
``postgresql+psycopg://user:password@host:port/dbname``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from spacepool.errors import InputError

DATABASE_URL_VARIABLE = "SPACEPOOL_DATABASE_URL"
DEFAULT_SQLITE_FILE = "spacepool.sqlite"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# Milliseconds a transaction waits for SQLite's write lock before failing.
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Execution option naming how an SQLite transaction begins: "IMMEDIATE" (the default:
# takes the write lock at BEGIN) or "DEFERRED" (read-only transactions).
SQLITE_BEGIN_OPTION = "spacepool_sqlite_begin"
# PostgreSQL connections kept open between requests, and how many more may open under
# a burst. The API serves up to 40 requests at once (anyio's default thread limit);
# with SQLAlchemy's defaults (5 kept, 10 more) a steady 20 concurrent requests would
# close and reopen a connection (a new server process) on most of them.
POSTGRES_POOL_SIZE = 20
POSTGRES_MAX_OVERFLOW = 20


def database_url(url: str | None = None) -> str:
    """``url``, else ``$SPACEPOOL_DATABASE_URL``, else the SQLite file in the working
    directory (absolute, so a later ``chdir`` does not move the database)."""
    if url:
        return url
    from_env = os.environ.get(DATABASE_URL_VARIABLE)
    if from_env:
        return from_env
    return "sqlite:///" + str(Path.cwd() / DEFAULT_SQLITE_FILE)


def make_engine(url: str) -> Engine:
    """An engine for ``url``. SQLite connections get WAL mode, foreign keys and a busy
    timeout; a typo in the URL is an :class:`InputError` naming the variable."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError for unparsable URLs
        raise InputError(
            f"{DATABASE_URL_VARIABLE}: cannot read database URL {url!r}: {exc}; expected "
            "e.g. sqlite:///spacepool.sqlite or postgresql+psycopg://user:pw@host/db"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise InputError(
            f"{DATABASE_URL_VARIABLE}: unsupported database {backend!r} in {url!r}; "
            "use sqlite:///FILE or postgresql+psycopg://..."
        )
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise InputError(
                f"{DATABASE_URL_VARIABLE}: an SQLite database must be a file "
                f"(sqlite:///path/to/file.sqlite), got {url!r}"
            )
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    # No pre-ping: it costs a round trip before every transaction. A connection that
    # died (server restart) fails its statement instead; SQLAlchemy then recognises
    # the disconnect and discards every pooled connection of that age, so only the
    # requests in flight at that moment fail ("Dealing with Disconnects",
    # optimistic handling, in SQLAlchemy's pooling documentation).
    # Sessions in UTC: psycopg then gives timestamptz values with the tzinfo
    # datetime.UTC itself, which UTCDateTime passes through as they are (another
    # zone, even "Etc/UTC", costs a conversion per value read). Options the URL
    # sets itself are left to it.
    connect_args = {} if "options" in parsed.query else {"options": "-c timezone=UTC"}
    return create_engine(
        url,
        pool_size=POSTGRES_POOL_SIZE,
        max_overflow=POSTGRES_MAX_OVERFLOW,
        connect_args=connect_args,
    )


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when transactions begin (the
    # driver's own implicit BEGIN skips SELECTs, so a read-then-write would not
    # be one transaction); see SQLAlchemy's SQLite dialect docs, "Serializable
    # isolation / Savepoints / Transactional DDL".
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL: readers do not block the writer and a crash keeps every committed
    # transaction; synchronous stays at SQLite's default (FULL).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    # BEGIN IMMEDIATE unless the transaction declared itself read-only. A deferred
    # transaction that reads and then writes must upgrade its lock, and SQLite
    # answers SQLITE_BUSY at once, without waiting, when another writer got there
    # first (WAL mode cannot upgrade a stale snapshot): concurrent writers would
    # fail with "database is locked". Taking the lock at BEGIN makes them queue
    # (busy timeout) instead. See SQLite's "Transaction" documentation (BEGIN
    # IMMEDIATE) and "Write-Ahead Logging" (section 2.2, concurrency).
    mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
    connection.exec_driver_sql(f"BEGIN {'DEFERRED' if mode == 'DEFERRED' else 'IMMEDIATE'}")


def upgrade_database(url: str | None = None, *, revision: str = "head") -> None:
    """Bring the database at ``url`` (default: :func:`database_url`) to ``revision``
    with the Alembic migrations shipped in the package."""
    from alembic import command
    from alembic.config import Config

    engine = make_engine(database_url(url))
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


class Store:
    """One database: its engine and a session factory.

    ``with store.transaction() as session:`` commits on success and rolls back on
    any exception, so a failed request changes nothing. Pass ``read_only=True`` for
    a transaction that only reads: on SQLite it then does not take the write lock,
    so such transactions run side by side (a write in one fails). On PostgreSQL each
    statement of a ``read_only`` transaction commits by itself (autocommit), which
    spares the BEGIN and COMMIT round trips and gives up nothing: at PostgreSQL's
    READ COMMITTED level every statement takes its own snapshot anyway. A write
    there (the audit records of a search page, one multi-row INSERT: see
    :mod:`spacepool.store.audit`) is atomic and committed when the statement
    returns.
    """

    def __init__(self, url: str | None = None, *, migrate: bool = True) -> None:
        self.url = database_url(url)
        if migrate:
            upgrade_database(self.url)
        self.engine = make_engine(self.url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_options: dict[str, Any] = (
            {SQLITE_BEGIN_OPTION: "DEFERRED"}
            if self.engine.dialect.name == "sqlite"
            else {"isolation_level": "AUTOCOMMIT"}
        )

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Session]:
        with self.sessions() as session, session.begin():
            if read_only:
                session.connection(execution_options=self._read_options)
            yield session

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads that need no ORM objects (the catalogue's item
        searches): what ``transaction(read_only=True)`` gives, without the ORM
        session's own work (its set-up and bookkeeping: 130 against 40 microseconds
        of CPU per read, 3,000 reads in process). PostgreSQL: autocommit, each
        statement its own; SQLite: one deferred transaction, committed at the end
        (rolled back on an exception)."""
        with self.engine.connect() as connection:
            reader = connection.execution_options(**self._read_options)
            if self.engine.dialect.name == "sqlite":
                with reader.begin():
                    yield reader
            else:
                yield reader

    def close(self) -> None:
        self.engine.dispose()


def connection_of(source: Session | Connection) -> Connection:
    """The connection ``source`` runs its statements on (a session's, in its
    transaction)."""
    return source if isinstance(source, Connection) else source.connection()
