"""The registry: agreements and entitlements, assets, element sets with history,
requests and plans; partners gain their country and source.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Own column types, as in 0001: a revision keeps meaning the same schema.
TIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("partners") as batch:
        batch.add_column(sa.Column("country", sa.String(100), nullable=True))
        batch.add_column(sa.Column("source", sa.Text(), nullable=True))

    op.create_table(
        "agreements",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("pool", sa.String(64), nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
    )
    op.create_table(
        "entitlements",
        sa.Column("agreement_id", sa.String(64), nullable=False),
        sa.Column("partner_id", sa.String(64), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.CheckConstraint("share >= 0 AND share <= 1", name=op.f("ck_entitlements_share_range")),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_entitlements_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_entitlements_partner_id_partners"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("agreement_id", "partner_id", name=op.f("pk_entitlements")),
    )
    op.create_index(op.f("ix_entitlements_partner_id"), "entitlements", ["partner_id"])

    op.create_table(
        "assets",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("owner_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("norad_id", sa.Integer(), nullable=True),
        sa.Column("document", JSON, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.CheckConstraint(
            "kind IN ('spacecraft', 'station', 'facility')", name=op.f("ck_assets_asset_kind")
        ),
        sa.CheckConstraint(
            "(kind = 'spacecraft') = (norad_id IS NOT NULL)", name=op.f("ck_assets_norad_id_kind")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["partners.id"],
            name=op.f("fk_assets_owner_id_partners"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("kind", "id", name=op.f("pk_assets")),
        sa.UniqueConstraint("norad_id", name=op.f("uq_assets_norad_id")),
    )
    op.create_index(op.f("ix_assets_owner_id"), "assets", ["owner_id"])

    op.create_table(
        "element_sets",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("norad_id", sa.Integer(), nullable=False),
        sa.Column("epoch", TIME, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("line1", sa.String(80), nullable=True),
        sa.Column("line2", sa.String(80), nullable=True),
        sa.Column("omm", JSON, nullable=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        sa.Column("uploaded_at", TIME, nullable=False),
        sa.CheckConstraint(
            "(format = 'tle' AND line1 IS NOT NULL AND line2 IS NOT NULL) "
            "OR (format = 'omm' AND omm IS NOT NULL)",
            name=op.f("ck_element_sets_format_content"),
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_element_sets")),
        sa.UniqueConstraint("norad_id", "epoch", name="uq_element_sets_norad_epoch"),
    )

    op.create_table(
        "requests",
        sa.Column("id", sa.String(256), nullable=False),
        sa.Column("partner_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("window_start", TIME, nullable=False),
        sa.Column("window_end", TIME, nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.Column("submitted_by", sa.String(64), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.CheckConstraint(
            "status IN ('submitted', 'withdrawn')", name=op.f("ck_requests_request_status")
        ),
        sa.CheckConstraint("window_end > window_start", name=op.f("ck_requests_window_order")),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_requests_partner_id_partners"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requests")),
    )
    op.create_index(op.f("ix_requests_partner_id"), "requests", ["partner_id"])
    op.create_index("ix_requests_window", "requests", ["window_start", "window_end"])

    op.create_table(
        "plans",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("solver", sa.String(16), nullable=False),
        sa.Column("fairness", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("objective", sa.Float(), nullable=False),
        sa.Column("bound", sa.Float(), nullable=True),
        sa.Column("gap", sa.Float(), nullable=True),
        sa.Column("window_start", TIME, nullable=False),
        sa.Column("window_end", TIME, nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.CheckConstraint("window_end > window_start", name=op.f("ck_plans_window_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
    )
    op.create_index(op.f("ix_plans_created_at"), "plans", ["created_at"])


def downgrade() -> None:
    op.drop_table("plans")
    op.drop_index("ix_requests_window", table_name="requests")
    op.drop_table("requests")
    op.drop_table("element_sets")
    op.drop_table("assets")
    op.drop_table("entitlements")
    op.drop_table("agreements")
    with op.batch_alter_table("partners") as batch:
        batch.drop_column("source")
        batch.drop_column("country")
