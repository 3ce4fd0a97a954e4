"""Partners, API keys, collections, items with access policy, item shares, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Revisions keep their own column types instead of importing the models' ones, so
# that they keep meaning the same schema when the models move on.
TIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("partner_id", sa.String(64), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("revoked_at", TIME, nullable=True),
        sa.CheckConstraint(
            "(is_admin AND partner_id IS NULL) OR (NOT is_admin AND partner_id IS NOT NULL)",
            name=op.f("ck_api_keys_role"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_api_keys_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("digest", name=op.f("uq_api_keys_digest")),
    )
    op.create_index(op.f("ix_api_keys_partner_id"), "api_keys", ["partner_id"])
    op.create_index(op.f("ix_api_keys_prefix"), "api_keys", ["prefix"])
    op.create_table(
        "collections",
        sa.Column("id", sa.String(256), nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collections")),
    )
    op.create_table(
        "items",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("collection_id", sa.String(256), nullable=False),
        sa.Column("item_id", sa.String(256), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("minx", sa.Float(), nullable=False),
        sa.Column("miny", sa.Float(), nullable=False),
        sa.Column("maxx", sa.Float(), nullable=False),
        sa.Column("maxy", sa.Float(), nullable=False),
        sa.Column("datetime_start", TIME, nullable=False),
        sa.Column("datetime_end", TIME, nullable=False),
        sa.Column("properties", JSON, nullable=False),
        sa.Column("assets", JSON, nullable=False),
        sa.Column("links", JSON, nullable=False),
        sa.Column("stac_extensions", JSON, nullable=False),
        sa.Column("owner_id", sa.String(64), nullable=False),
        sa.Column("access", sa.String(16), nullable=False),
        sa.Column("embargo_until", TIME, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.CheckConstraint(
            "access IN ('open', 'consortium', 'owner', 'partners')",
            name=op.f("ck_items_access_policy"),
        ),
        sa.CheckConstraint("datetime_end >= datetime_start", name=op.f("ck_items_time_order")),
        sa.CheckConstraint("minx <= maxx AND miny <= maxy", name=op.f("ck_items_bbox_order")),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_items_collection_id_collections"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["partners.id"],
            name=op.f("fk_items_owner_id_partners"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_items")),
        sa.UniqueConstraint("collection_id", "item_id", name="uq_items_collection_item"),
    )
    op.create_index("ix_items_bbox", "items", ["minx", "maxx", "miny", "maxy"])
    op.create_index("ix_items_embargo_until", "items", ["embargo_until"])
    op.create_index("ix_items_owner_id", "items", ["owner_id"])
    op.create_index("ix_items_sort", "items", ["datetime_start", "collection_id", "item_id"])
    op.create_table(
        "item_shares",
        sa.Column("item_pk", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_pk"],
            ["items.pk"],
            name=op.f("fk_item_shares_item_pk_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_item_shares_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_pk", "partner_id", name=op.f("pk_item_shares")),
    )
    op.create_index(op.f("ix_item_shares_partner_id"), "item_shares", ["partner_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("viewer", sa.String(64), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.String(64), nullable=False),
        sa.Column("collection_id", sa.String(256), nullable=False),
        sa.Column("item_id", sa.String(256), nullable=False),
        sa.Column("endpoint", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_owner_at", "audit_log", ["owner_id", "at"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("item_shares")
    op.drop_table("items")
    op.drop_table("collections")
    op.drop_table("api_keys")
    op.drop_table("partners")
