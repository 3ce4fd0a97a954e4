"""Disaster activations: activations, their shares, events and products, and the
notification outbox.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Own column types, as in 0001: a revision keeps meaning the same schema.
TIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "activations",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("owner_id", sa.String(64), nullable=True),
        sa.Column("disaster_type", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("event_time", TIME, nullable=False),
        sa.Column("horizon_start", TIME, nullable=False),
        sa.Column("horizon_end", TIME, nullable=False),
        sa.Column("received_at", TIME, nullable=False),
        sa.Column("access", sa.String(16), nullable=False),
        sa.Column("embargo_until", TIME, nullable=True),
        sa.Column("document", JSON, nullable=False),
        sa.Column("cooperation", JSON, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.CheckConstraint(
            "access IN ('open', 'consortium', 'owner', 'partners')",
            name=op.f("ck_activations_access_policy"),
        ),
        sa.CheckConstraint(
            "state IN ('planned', 'in_progress', 'completed')",
            name=op.f("ck_activations_activation_state"),
        ),
        sa.CheckConstraint(
            "horizon_end > horizon_start", name=op.f("ck_activations_horizon_order")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["partners.id"],
            name=op.f("fk_activations_owner_id_partners"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activations")),
    )
    op.create_index(op.f("ix_activations_owner_id"), "activations", ["owner_id"])
    op.create_index("ix_activations_sort", "activations", ["received_at", "id"])

    op.create_table(
        "activation_shares",
        sa.Column("activation_id", sa.String(128), nullable=False),
        sa.Column("partner_id", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["activation_id"],
            ["activations.id"],
            name=op.f("fk_activation_shares_activation_id_activations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_activation_shares_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("activation_id", "partner_id", name=op.f("pk_activation_shares")),
    )
    op.create_index(op.f("ix_activation_shares_partner_id"), "activation_shares", ["partner_id"])

    op.create_table(
        "activation_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("activation_id", sa.String(128), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("recorded_at", TIME, nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["activation_id"],
            ["activations.id"],
            name=op.f("fk_activation_events_activation_id_activations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activation_events")),
        sa.UniqueConstraint("activation_id", "seq", name="uq_activation_events_seq"),
    )
    op.create_index(
        op.f("ix_activation_events_activation_id"), "activation_events", ["activation_id"]
    )

    op.create_table(
        "activation_products",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("activation_id", sa.String(128), nullable=False),
        sa.Column("collection_id", sa.String(256), nullable=False),
        sa.Column("item_id", sa.String(256), nullable=False),
        sa.Column("owner_id", sa.String(64), nullable=False),
        sa.Column("acquired_at", TIME, nullable=False),
        sa.Column("published_at", TIME, nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["activation_id"],
            ["activations.id"],
            name=op.f("fk_activation_products_activation_id_activations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["partners.id"],
            name=op.f("fk_activation_products_owner_id_partners"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activation_products")),
        sa.UniqueConstraint("collection_id", "item_id", name="uq_activation_products_item"),
    )
    op.create_index(
        op.f("ix_activation_products_activation_id"), "activation_products", ["activation_id"]
    )

    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("activation_id", sa.String(128), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("next_attempt_at", TIME, nullable=False),
        sa.Column("last_attempt_at", TIME, nullable=True),
        sa.Column("delivered_at", TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered')", name=op.f("ck_notification_outbox_outbox_status")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["activation_events.id"],
            name=op.f("fk_notification_outbox_event_id_activation_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_notification_outbox_event_id")),
    )
    op.create_index(
        "ix_notification_outbox_due", "notification_outbox", ["status", "next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_table("notification_outbox")
    op.drop_table("activation_products")
    op.drop_table("activation_events")
    op.drop_table("activation_shares")
    op.drop_index("ix_activations_sort", table_name="activations")
    op.drop_table("activations")
