"""Tables of disaster activations (revision 0003), on the same declarative base as
:mod:`spacepool.store.models`.

* ``activations``: one row per activation; the requester (``owner_id``, ``NULL`` when
  the coordinator raised it), its access policy and embargo as columns for the
  visibility filter, the state, and the whole record as JSON (``document``: the
  activation, its requests, plan and chain timestamps; ``cooperation``: the value of
  cooperation once computed).
* ``activation_shares``: the partners named in a ``partners`` policy.
* ``activation_events``: every state change, numbered per activation.
* ``activation_products``: the products published for an activation (each also a
  catalogue item).
* ``notification_outbox``: one JSON entry per event, written in the transaction
  that changes the state, sent by the webhook dispatcher
  (:mod:`spacepool.activation.notify`) and marked delivered, never deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spacepool.store.models import ID_LENGTH, Base
from spacepool.store.types import JSONDocument, UTCDateTime

ACTIVATION_STATES = ("planned", "in_progress", "completed")
OUTBOX_STATUSES = ("pending", "delivered")


class ActivationRecord(Base):
    """A disaster activation (see the module docstring)."""

    __tablename__ = "activations"
    __table_args__ = (
        CheckConstraint(
            "access IN ('open', 'consortium', 'owner', 'partners')", name="access_policy"
        ),
        CheckConstraint(
            "state IN ('planned', 'in_progress', 'completed')", name="activation_state"
        ),
        CheckConstraint("horizon_end > horizon_start", name="horizon_order"),
        Index("ix_activations_sort", "received_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    owner_id: Mapped[str | None] = mapped_column(
        ForeignKey("partners.id", ondelete="RESTRICT"), index=True
    )
    disaster_type: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))
    event_time: Mapped[datetime] = mapped_column(UTCDateTime())
    horizon_start: Mapped[datetime] = mapped_column(UTCDateTime())
    horizon_end: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    access: Mapped[str] = mapped_column(String(16))
    embargo_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    cooperation: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    shares: Mapped[list[ActivationShare]] = relationship(
        back_populates="activation", cascade="all, delete-orphan", passive_deletes=True
    )


class ActivationShare(Base):
    """One partner named in an activation's ``partners`` policy."""

    __tablename__ = "activation_shares"

    activation_id: Mapped[str] = mapped_column(
        ForeignKey("activations.id", ondelete="CASCADE"), primary_key=True
    )
    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    activation: Mapped[ActivationRecord] = relationship(back_populates="shares")


class ActivationEvent(Base):
    """A state change: ``kind`` (received, validated, planned, acquisition_reported,
    product_published, completed), ``seq`` numbering the activation's events from 1,
    ``at`` the time on the activation's timeline, ``recorded_at`` the wall clock."""

    __tablename__ = "activation_events"
    __table_args__ = (UniqueConstraint("activation_id", "seq", name="uq_activation_events_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    activation_id: Mapped[str] = mapped_column(
        ForeignKey("activations.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict[str, Any]] = mapped_column(JSONDocument)


class ActivationProduct(Base):
    """A product of an activation; ``document`` is the product record, and the
    catalogue item ``collection_id``/``item_id`` carries it with its access policy."""

    __tablename__ = "activation_products"
    __table_args__ = (
        UniqueConstraint("collection_id", "item_id", name="uq_activation_products_item"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    activation_id: Mapped[str] = mapped_column(
        ForeignKey("activations.id", ondelete="CASCADE"), index=True
    )
    collection_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    item_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    owner_id: Mapped[str] = mapped_column(ForeignKey("partners.id", ondelete="RESTRICT"))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxEntry(Base):
    """One notification to send: ``payload`` is the JSON body. ``attempts`` counts
    failed and successful sends; ``next_attempt_at`` is when a pending entry is due."""

    __tablename__ = "notification_outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered')", name="outbox_status"),
        Index("ix_notification_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("activation_events.id", ondelete="CASCADE"), unique=True
    )
    activation_id: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)


__all__ = [
    "ACTIVATION_STATES",
    "OUTBOX_STATUSES",
    "ActivationEvent",
    "ActivationProduct",
    "ActivationRecord",
    "ActivationShare",
    "OutboxEntry",
]
