"""Alembic environment: run with a connection handed over by
:func:`spacepool.store.db.upgrade_database` (``config.attributes["connection"]``)."""

from __future__ import annotations

from alembic import context

from spacepool.store.migrations import include_name
from spacepool.store.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable from the alembic CLI
    raise RuntimeError("run migrations through spacepool.store.upgrade_database(url)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    include_name=include_name,
    # SQLite cannot ALTER most things; batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
