"""The database schema as typed SQLAlchemy 2 ORM classes.

The Alembic revisions in ``migrations/versions`` create exactly this schema; a test
compares the two. Tables for the planning side (agreements, assets, element sets,
requests, plans, activations) join later and refer to ``partners.id`` the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from spacepool.store.types import JSONDocument, UTCDateTime

# Deterministic constraint names, so later migrations can address them on both
# databases (SQLite batch mode needs names to drop or alter constraints).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID_LENGTH = 256
POLICIES = ("open", "consortium", "owner", "partners")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Partner(Base):
    """A consortium member (``esa``, ``nasa``, ...)."""

    __tablename__ = "partners"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    country: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(Text)


class ApiKey(Base):
    """An API key: only its SHA-256 digest and a short prefix are stored.

    A key belongs to a partner (``partner_id``) or is a coordinator key
    (``is_admin``, no partner); never both.
    """

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint(
            "(is_admin AND partner_id IS NULL) OR (NOT is_admin AND partner_id IS NOT NULL)",
            name="role",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    partner_id: Mapped[str | None] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Collection(Base):
    """A STAC collection; ``document`` holds the collection JSON as posted."""

    __tablename__ = "collections"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# The expressions of the PostgreSQL search indexes (revisions 0004 and 0006), which
# spacepool.store.search repeats in its conditions: PostgreSQL uses an expression
# index only for the same expression. A slice is a whole SEARCH_SLICE_S period since
# 1970 (exact: numeric seconds); slice k shifts the footprint's box east by 360 k
# degrees, into a band of longitude of its own. Written as PostgreSQL prints them
# back (pg_get_indexdef, pretty), so that Alembic's comparison finds them equal.
SEARCH_SLICE_S = 2_592_000  # 30 days
SEARCH_SPAN_SQL = "tstzrange(datetime_start, datetime_end, '[]')"
_SLICE_SQL = (
    "floor(EXTRACT(epoch FROM {} - '1970-01-01 00:00:00+00'::timestamp with time zone)"
    f" / {SEARCH_SLICE_S}::numeric)::double precision"
)
SLICED_BOX_SQL = (
    f"box(point(minx + 360::double precision * {_SLICE_SQL.format('datetime_start')}, miny), "
    f"point(maxx + 360::double precision * {_SLICE_SQL.format('datetime_end')}, maxy))"
)


class Item(Base):
    """A STAC item with its owner, access policy and embargo as columns.

    ``geometry`` is GeoJSON text; ``minx .. maxy`` its bounding box in degrees
    (longitude, latitude) for the bbox prefilter; ``datetime_start`` and
    ``datetime_end`` are the item's ``datetime`` (both equal) or its
    ``start_datetime`` / ``end_datetime``.
    """

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("collection_id", "item_id", name="uq_items_collection_item"),
        CheckConstraint(
            "access IN ('open', 'consortium', 'owner', 'partners')", name="access_policy"
        ),
        CheckConstraint("datetime_end >= datetime_start", name="time_order"),
        CheckConstraint("minx <= maxx AND miny <= maxy", name="bbox_order"),
        Index("ix_items_sort", "datetime_start", "collection_id", "item_id"),
        Index("ix_items_bbox", "minx", "maxx", "miny", "maxy"),
        Index("ix_items_owner_id", "owner_id"),
        Index("ix_items_embargo_until", "embargo_until"),
        # PostgreSQL only (revision 0004): GiST over the footprint's box and the time
        # range, the expressions of spacepool.store.search's conditions.
        Index(
            "ix_items_search",
            text("box(point(minx, miny), point(maxx, maxy))"),
            text(SEARCH_SPAN_SQL),
            postgresql_using="gist",
        ).ddl_if(dialect="postgresql"),
        # PostgreSQL only (revision 0006): the same by place within 30-day slices of
        # time, for searches with both ends of a time range.
        Index(
            "ix_items_search_sliced",
            text(SLICED_BOX_SQL),
            text(SEARCH_SPAN_SQL),
            postgresql_using="gist",
        ).ddl_if(dialect="postgresql"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    collection_id: Mapped[str] = mapped_column(ForeignKey("collections.id", ondelete="RESTRICT"))
    item_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    geometry: Mapped[str] = mapped_column(Text)
    minx: Mapped[float] = mapped_column(Float)
    miny: Mapped[float] = mapped_column(Float)
    maxx: Mapped[float] = mapped_column(Float)
    maxy: Mapped[float] = mapped_column(Float)
    datetime_start: Mapped[datetime] = mapped_column(UTCDateTime())
    datetime_end: Mapped[datetime] = mapped_column(UTCDateTime())
    properties: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    assets: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    stac_extensions: Mapped[list[str]] = mapped_column(JSONDocument)
    owner_id: Mapped[str] = mapped_column(ForeignKey("partners.id", ondelete="RESTRICT"))
    access: Mapped[str] = mapped_column(String(16))
    embargo_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    shares: Mapped[list[ItemShare]] = relationship(
        back_populates="item", cascade="all, delete-orphan", passive_deletes=True
    )


class ItemShare(Base):
    """One partner named in an item's ``partners`` policy (``spacepool:shared_with``)."""

    __tablename__ = "item_shares"

    item_pk: Mapped[int] = mapped_column(
        ForeignKey("items.pk", ondelete="CASCADE"), primary_key=True
    )
    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    item: Mapped[Item] = relationship(back_populates="shares")


class AuditRead(Base):
    """One read of a non-public item by someone other than its owner.

    Item fields are copied, not referenced: the record outlives the item.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_owner_at", "owner_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    viewer: Mapped[str] = mapped_column(String(64))
    api_key_id: Mapped[int | None] = mapped_column(Integer)
    owner_id: Mapped[str] = mapped_column(String(64))
    collection_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    item_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    endpoint: Mapped[str] = mapped_column(String(64))


# --- registry (revision 0002) --------------------------------------------------------

ASSET_KINDS = ("spacecraft", "station", "facility")
REQUEST_STATUSES = ("submitted", "withdrawn")


class AgreementRecord(Base):
    """An agreement; ``document`` is :meth:`spacepool.consortium.Agreement.to_dict`.

    Its entitlements are rows of :class:`Entitlement` whose shares sum to 1 (checked
    by :mod:`spacepool.store.agreements` before writing).
    """

    __tablename__ = "agreements"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    pool: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    entitlements: Mapped[list[Entitlement]] = relationship(
        back_populates="agreement",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Entitlement.partner_id",
    )


class Entitlement(Base):
    """One partner's share (0..1) of an agreement's pool."""

    __tablename__ = "entitlements"
    __table_args__ = (CheckConstraint("share >= 0 AND share <= 1", name="share_range"),)

    agreement_id: Mapped[str] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True
    )
    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    share: Mapped[float] = mapped_column(Float)

    agreement: Mapped[AgreementRecord] = relationship(back_populates="entitlements")


class AssetRecord(Base):
    """A contributed asset: ``kind`` is ``spacecraft`` (with its instruments in the
    document), ``station`` or ``facility``; ``document`` is the consortium record's
    ``to_dict``. ``norad_id`` is set for spacecraft only, and unique."""

    __tablename__ = "assets"
    __table_args__ = (
        CheckConstraint("kind IN ('spacecraft', 'station', 'facility')", name="asset_kind"),
        CheckConstraint("(kind = 'spacecraft') = (norad_id IS NOT NULL)", name="norad_id_kind"),
    )

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    norad_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ElementSetRecord(Base):
    """One element set as uploaded: two TLE lines (``format = 'tle'``) or the OMM
    fields (``format = 'omm'``). Every upload is kept; the current one for a NORAD id
    is the newest by ``epoch``."""

    __tablename__ = "element_sets"
    __table_args__ = (
        UniqueConstraint("norad_id", "epoch", name="uq_element_sets_norad_epoch"),
        CheckConstraint(
            "(format = 'tle' AND line1 IS NOT NULL AND line2 IS NOT NULL) "
            "OR (format = 'omm' AND omm IS NOT NULL)",
            name="format_content",
        ),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    norad_id: Mapped[int] = mapped_column(Integer)
    epoch: Mapped[datetime] = mapped_column(UTCDateTime())
    name: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(8))
    line1: Mapped[str | None] = mapped_column(String(80))
    line2: Mapped[str | None] = mapped_column(String(80))
    omm: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    source: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RequestRecord(Base):
    """A partner's request; ``document`` is
    :meth:`spacepool.planning.requests.Request.to_dict` (the scenario file's request
    fields). ``window_start`` / ``window_end`` copy its window for range queries."""

    __tablename__ = "requests"
    __table_args__ = (
        CheckConstraint("status IN ('submitted', 'withdrawn')", name="request_status"),
        CheckConstraint("window_end > window_start", name="window_order"),
        Index("ix_requests_window", "window_start", "window_end"),
    )

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    submitted_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PlanRecord(Base):
    """A plan run over stored requests; ``document`` is
    :meth:`spacepool.planning.plan.Plan.to_dict` (what ``plan.json`` holds)."""

    __tablename__ = "plans"
    __table_args__ = (CheckConstraint("window_end > window_start", name="window_order"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    solver: Mapped[str] = mapped_column(String(16))
    fairness: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    objective: Mapped[float] = mapped_column(Float)
    bound: Mapped[float | None] = mapped_column(Float)
    gap: Mapped[float | None] = mapped_column(Float)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
