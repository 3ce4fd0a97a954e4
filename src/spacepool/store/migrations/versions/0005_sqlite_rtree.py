"""Item search index on SQLite: an R*Tree over the footprint's bounding box and the
time range, kept by triggers.

SQLite has no GiST (revision 0004 is PostgreSQL's); its B-trees order by one column,
so a bbox + datetime search with the page's ORDER BY walked ``ix_items_sort`` through
most of the table (bench_store, 100,000 items: p50 136 ms a search). The R*Tree
module, built into SQLite, indexes boxes in up to five dimensions: here longitude,
latitude and time (seconds since 1970), so one lookup finds the few candidates
(p50 6.5 ms a search over HTTP). It stores 32-bit floats rounded outward, so it is a superset filter: the search
keeps its exact column comparisons. No-op on PostgreSQL.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Seconds since 1970-01-01 of a stored UTC datetime text (julian day 2440587.5).
_SECONDS = "(julianday({}) - 2440587.5) * 86400.0"
_ROW = (
    "{p}.pk, {p}.minx, {p}.maxx, {p}.miny, {p}.maxy, "
    + _SECONDS.format("{p}.datetime_start")
    + ", "
    + _SECONDS.format("{p}.datetime_end")
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE VIRTUAL TABLE items_rtree USING rtree(pk, minx, maxx, miny, maxy, tmin, tmax)"
    )
    op.execute(f"INSERT INTO items_rtree SELECT {_ROW.format(p='items')} FROM items")
    op.execute(
        "CREATE TRIGGER items_rtree_insert AFTER INSERT ON items BEGIN "
        f"INSERT INTO items_rtree VALUES ({_ROW.format(p='new')}); END"
    )
    op.execute(
        "CREATE TRIGGER items_rtree_update AFTER UPDATE OF "
        "minx, maxx, miny, maxy, datetime_start, datetime_end ON items BEGIN "
        "DELETE FROM items_rtree WHERE pk = old.pk; "
        f"INSERT INTO items_rtree VALUES ({_ROW.format(p='new')}); END"
    )
    op.execute(
        "CREATE TRIGGER items_rtree_delete AFTER DELETE ON items BEGIN "
        "DELETE FROM items_rtree WHERE pk = old.pk; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("items_rtree_insert", "items_rtree_update", "items_rtree_delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS items_rtree")
