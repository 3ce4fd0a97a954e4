"""The registry as a whole: import a consortium into the database, and read the
database back as a :class:`~spacepool.consortium.Consortium` for the engine.

:func:`load_consortium_into` is idempotent: partners, assets and agreements are
inserted or brought up to date with the consortium (never deleted), and each
spacecraft's nominal element set is stored once. Loading the same consortium twice
changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from spacepool.consortium import Agreement, Consortium, Partner
from spacepool.store.agreements import put_agreement
from spacepool.store.assets import KIND_OF, Asset, all_spacecraft, put_asset, station_of
from spacepool.store.db import Store
from spacepool.store.element_sets import add_element_sets
from spacepool.store.models import AgreementRecord, AssetRecord
from spacepool.store.models import Partner as PartnerRecord
from spacepool.store.paging import page_rows
from spacepool.store.partners import check_partner_id

LOADER = "consortium"
"""``uploaded_by`` of the nominal element sets the loader stores."""


@dataclass
class LoadSummary:
    """What a load did, per kind of record: ``created`` and ``updated`` counts
    (``unchanged`` for the rest)."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, outcome: str) -> None:
        table = {"created": self.created, "updated": self.updated}.get(outcome, self.unchanged)
        table[kind] = table.get(kind, 0) + 1

    def to_dict(self) -> dict[str, dict[str, int]]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def load_consortium_into(
    store: Store, consortium: Consortium, *, now: datetime | None = None
) -> LoadSummary:
    """Import ``consortium`` (partners, assets, agreements, nominal element sets) into
    ``store`` in one transaction; see the module docstring."""
    when = now or datetime.now(UTC)
    with store.transaction() as session:
        return load_into_session(session, consortium, now=when)


def load_into_session(session: Session, consortium: Consortium, *, now: datetime) -> LoadSummary:
    """:func:`load_consortium_into` within the caller's transaction."""
    summary = LoadSummary()
    for partner in consortium.partners:
        summary.count("partners", _put_partner(session, partner, now=now))
    assets: list[Asset] = [*consortium.fleet, *consortium.stations, *consortium.facilities]
    for asset in assets:
        existed = session.get(AssetRecord, (_kind(asset), asset.id)) is not None
        changed = put_asset(session, asset, now=now)
        summary.count("assets", "unchanged" if not changed else "updated" if existed else "created")
    for agreement in consortium.agreements:
        existed = session.get(AgreementRecord, agreement.id) is not None
        changed = put_agreement(session, agreement, now=now)
        summary.count(
            "agreements", "unchanged" if not changed else "updated" if existed else "created"
        )
    stored = add_element_sets(
        session, consortium.element_sets(), fmt="omm", uploaded_by=LOADER, now=now, keep=True
    )
    for item in stored:
        summary.count("element_sets", "created" if item.created else "unchanged")
    return summary


def _kind(asset: object) -> str:
    return KIND_OF[type(asset)]


def _put_partner(session: Session, partner: Partner, *, now: datetime) -> str:
    check_partner_id(partner.id)
    record = session.get(PartnerRecord, partner.id)
    if record is None:
        session.add(
            PartnerRecord(
                id=partner.id,
                name=partner.name,
                country=partner.country,
                source=partner.source,
                created_at=now,
            )
        )
        session.flush()
        return "created"
    if (record.name, record.country, record.source) == (
        partner.name,
        partner.country,
        partner.source,
    ):
        return "unchanged"
    record.name, record.country, record.source = partner.name, partner.country, partner.source
    session.flush()
    return "updated"


def registry_is_empty(session: Session) -> bool:
    """True when no asset is registered (``spacepool consortium load`` not run)."""
    return session.scalar(select(AssetRecord.id).limit(1)) is None


def registry_consortium(session: Session, *, epoch: datetime) -> Consortium:
    """The registered partners, spacecraft, stations and agreements as a consortium
    for the engine (facilities are not needed there and stay empty)."""
    partners = tuple(
        Partner(id=p.id, name=p.name, country=p.country or "", source=p.source or "")
        for p in session.scalars(select(PartnerRecord).order_by(PartnerRecord.id))
    )
    stations = tuple(
        station_of(r)
        for r in session.scalars(
            select(AssetRecord).where(AssetRecord.kind == "station").order_by(AssetRecord.id)
        )
    )
    return Consortium(
        name="registry",
        epoch=epoch,
        source="spacepool registry",
        partners=partners,
        fleet=tuple(all_spacecraft(session)),
        stations=stations,
        facilities=(),
        agreements=tuple(
            agreement_of(r)
            for r in session.scalars(select(AgreementRecord).order_by(AgreementRecord.id))
        ),
    )


def agreement_of(record: AgreementRecord) -> Agreement:
    """The stored agreement as the engine's :class:`Agreement`, with the contribution
    values in force when it was stored (value-weighted pools), so its entitlements
    are the stored ones."""
    document = {
        k: v for k, v in record.document.items() if k not in ("contributions", "entitlements")
    }
    agreement = Agreement.from_dict(document, path=f"agreements.{record.id}")
    contributions = record.document.get("contributions")
    if contributions:
        values = tuple(float(contributions[m]) for m in agreement.members)
        agreement = replace(agreement, contributions=values)
    return agreement


def list_partner_records(
    session: Session, *, limit: int, offset: int
) -> tuple[list[PartnerRecord], int]:
    """A page of partners by id, and how many there are."""
    statement = select(PartnerRecord).order_by(PartnerRecord.id)
    return page_rows(session, statement, limit=limit, offset=offset)
