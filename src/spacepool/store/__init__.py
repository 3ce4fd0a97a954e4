"""The database: schema, migrations and repositories; the only package that imports
the database driver.

Repositories are plain functions taking a :class:`sqlalchemy.orm.Session`; use
``with Store(url).transaction() as session:`` so that a failure rolls back all of
its writes.
"""

from __future__ import annotations

# The activation tables live in their own module; importing it here registers them on
# the shared declarative base wherever the store is used (migrations, schema tests).
from spacepool.store import activation_models as _activation_models  # noqa: F401
from spacepool.store.access import visible_items
from spacepool.store.db import (
    DATABASE_URL_VARIABLE,
    Store,
    database_url,
    make_engine,
    upgrade_database,
)

__all__ = [
    "DATABASE_URL_VARIABLE",
    "Store",
    "database_url",
    "make_engine",
    "upgrade_database",
    "visible_items",
]
