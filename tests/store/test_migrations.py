"""The shipped Alembic migrations build exactly the ORM schema, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from spacepool.store import Store, make_engine, upgrade_database
from spacepool.store.migrations import include_name
from spacepool.store.models import Base


# ix_items_search (revision 0004) exists on PostgreSQL only, where it is compared;
# on SQLite alembic says it cannot reflect expression indexes and skips it.
@pytest.mark.filterwarnings(
    "ignore:autogenerate skipping metadata-specified expression-based index 'ix_items_search"
)
def test_migrations_build_the_model_schema_with_no_difference(database_url: str) -> None:
    upgrade_database(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"include_name": include_name})
            differences = compare_metadata(context, Base.metadata)
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert differences == []
    assert version == "0006"
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


REGISTRY_TABLES = {"agreements", "entitlements", "assets", "element_sets", "requests", "plans"}


def _alembic(url: str, action: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from spacepool.store.db import MIGRATIONS

    engine = make_engine(url)
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            getattr(command, action)(config, revision)
    finally:
        engine.dispose()


def _schema(url: str) -> tuple[set[str], set[str]]:
    engine = make_engine(url)
    try:
        inspector = inspect(engine)
        tables = set(inspector.get_table_names())
        partner_columns = {c["name"] for c in inspector.get_columns("partners")}
    finally:
        engine.dispose()
    return tables, partner_columns


def test_the_registry_revision_downgrades_to_0001_and_upgrades_again(database_url: str) -> None:
    upgrade_database(database_url, revision="0002")
    store = Store(database_url, migrate=False)
    with store.transaction() as session:
        session.execute(
            text(
                "INSERT INTO partners (id, name, created_at, country, source) "
                "VALUES ('esa', 'ESA', CURRENT_TIMESTAMP, 'FR', 'x')"
            )
        )
    store.close()
    _alembic(database_url, "downgrade", "0001")
    tables, columns = _schema(database_url)
    assert not tables & REGISTRY_TABLES
    assert columns == {"id", "name", "created_at"}
    _alembic(database_url, "upgrade", "0002")
    tables, columns = _schema(database_url)
    assert tables >= REGISTRY_TABLES
    assert columns == {"id", "name", "created_at", "country", "source"}
    store = Store(database_url, migrate=False)
    with store.transaction() as session:
        kept = session.execute(text("SELECT id, name, country FROM partners")).all()
    store.close()
    assert [tuple(row) for row in kept] == [("esa", "ESA", None)]  # the partner survives
