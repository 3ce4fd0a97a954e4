"""Item search index on PostgreSQL: one GiST index over the footprint's bounding
box and the time range, the two filters of a bbox + datetime search.

The B-tree indexes of 0001 serve one range condition each (a B-tree orders by its
first column only), so a bbox + datetime search walked a large share of the table;
GiST indexes both boxes and ranges and answers the overlap test (``&&``) on both
at once. PostgreSQL's own ``box`` and ``tstzrange`` types carry GiST operator
classes in core: no extension is needed. SQLite has no GiST; it keeps the B-trees.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The expressions spacepool.store.search puts in its search conditions; PostgreSQL
# uses an expression index only for the same expressions.
BOX = "box(point(minx, miny), point(maxx, maxy))"
SPAN = "tstzrange(datetime_start, datetime_end, '[]')"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index(
        "ix_items_search", "items", [sa.text(BOX), sa.text(SPAN)], postgresql_using="gist"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_items_search", table_name="items")
