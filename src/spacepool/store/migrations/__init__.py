"""Alembic migrations of the store (run by :func:`spacepool.store.upgrade_database`)."""

from __future__ import annotations

from typing import Any

# Tables a migration creates outside the ORM model: SQLite's R*Tree index of items
# (revision 0005) and the shadow tables the R*Tree module keeps for it. Schema
# comparisons (autogenerate) leave them alone.
INDEX_TABLES = frozenset(
    {"items_rtree", "items_rtree_node", "items_rtree_parent", "items_rtree_rowid"}
)


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's ``include_name`` hook: everything but :data:`INDEX_TABLES`."""
    return not (type_ == "table" and name in INDEX_TABLES)
