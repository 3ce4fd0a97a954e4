"""The shipped Alembic migrations build exactly the ORM schema, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from spacepool.store import Store, make_engine, upgrade_database
from spacepool.store.models import Base


def test_migrations_build_the_model_schema_with_no_difference(database_url: str) -> None:
    upgrade_database(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            differences = compare_metadata(context, Base.metadata)
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert differences == []
    assert version == "0001"
    assert {"partners", "api_keys", "collections", "items", "item_shares", "audit_log"} <= tables


def test_upgrading_twice_is_harmless(database_url: str) -> None:
    upgrade_database(database_url)
    upgrade_database(database_url)
    store = Store(database_url)
    store.close()


def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    store = Store(url)
    try:
        with store.engine.connect() as connection:
            journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
            foreign_keys = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    finally:
        store.close()
    assert (journal, foreign_keys) == ("wal", 1)
