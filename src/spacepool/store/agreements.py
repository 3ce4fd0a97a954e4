"""Agreements and their entitlements (each partner's share of a pool)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from spacepool.consortium import Agreement
from spacepool.consortium.model import ENTITLEMENT_TOLERANCE
from spacepool.errors import ConsortiumDataError, NotFoundError
from spacepool.store.models import AgreementRecord, Entitlement
from spacepool.store.paging import page_rows
from spacepool.store.partners import require_partners


def check_shares(shares: Mapping[str, float], agreement_id: str) -> None:
    """Shares in [0, 1] summing to 1 within :data:`ENTITLEMENT_TOLERANCE`, else
    :class:`ConsortiumDataError` naming the agreement."""
    field = f"agreements.{agreement_id}.entitlements"
    if not shares:
        raise ConsortiumDataError("must name at least one partner", field=field)
    for partner, share in shares.items():
        if not (math.isfinite(share) and 0.0 <= share <= 1.0):
            raise ConsortiumDataError(
                f"must be in [0, 1], got {share!r}", field=f"{field}.{partner}"
            )
    total = math.fsum(shares.values())
    if abs(total - 1.0) > ENTITLEMENT_TOLERANCE:
        raise ConsortiumDataError(
            f"must sum to 1 (within {ENTITLEMENT_TOLERANCE:g}), got {total!r}", field=field
        )


def agreement_document(agreement: Agreement) -> dict[str, Any]:
    """What is stored: ``to_dict()`` plus the derived contributions (value-weighted
    pools) and entitlements."""
    data = agreement.to_dict()
    if agreement.contributions:
        data["contributions"] = dict(zip(agreement.members, agreement.contributions, strict=True))
    data["entitlements"] = agreement.entitlements()
    return data


def put_agreement(session: Session, agreement: Agreement, *, now: datetime) -> bool:
    """Insert or update ``agreement`` and its entitlement rows; True when something
    changed. Every member must be a registered partner."""
    shares = agreement.entitlements()
    check_shares(shares, agreement.id)
    require_partners(session, frozenset(shares))
    document = agreement_document(agreement)
    record = session.get(AgreementRecord, agreement.id)
    if record is None:
        record = AgreementRecord(
            id=agreement.id,
            name=agreement.name,
            kind=agreement.kind,
            pool=agreement.pool,
            document=document,
            created_at=now,
            updated_at=now,
        )
        record.entitlements = [
            Entitlement(partner_id=p, share=s) for p, s in sorted(shares.items())
        ]
        session.add(record)
        session.flush()
        return True
    stored = {e.partner_id: e.share for e in record.entitlements}
    if record.document == document and stored == shares:
        return False
    record.name, record.kind, record.pool = agreement.name, agreement.kind, agreement.pool
    record.document = document
    record.updated_at = now
    record.entitlements = [Entitlement(partner_id=p, share=s) for p, s in sorted(shares.items())]
    session.flush()
    return True


def list_agreements(
    session: Session, *, limit: int, offset: int
) -> tuple[list[AgreementRecord], int]:
    """A page of agreements by id, and how many there are."""
    statement = (
        select(AgreementRecord)
        .options(selectinload(AgreementRecord.entitlements))
        .order_by(AgreementRecord.id)
    )
    return page_rows(session, statement, limit=limit, offset=offset)


def get_agreement(session: Session, agreement_id: str) -> AgreementRecord:
    record = session.get(AgreementRecord, agreement_id)
    if record is None:
        raise NotFoundError("agreement", agreement_id)
    return record


def entitlements_of(session: Session, partner_ids: list[str]) -> dict[str, dict[str, float]]:
    """``{partner: {agreement: share}}`` for the given partners."""
    out: dict[str, dict[str, float]] = {p: {} for p in partner_ids}
    rows = session.execute(
        select(Entitlement.partner_id, Entitlement.agreement_id, Entitlement.share)
        .where(Entitlement.partner_id.in_(partner_ids))
        .order_by(Entitlement.agreement_id)
    )
    for partner, agreement, share in rows:
        out[partner][agreement] = share
    return out


def agreement_to_dict(record: AgreementRecord) -> dict[str, Any]:
    """The HTTP form: id, name, kind, pool, entitlements ``{partner: share}`` and the
    agreement's own fields (source, basis, members, notes ...)."""
    data = dict(record.document)
    data.update(
        id=record.id,
        name=record.name,
        kind=record.kind,
        pool=record.pool,
        entitlements={e.partner_id: e.share for e in record.entitlements},
    )
    return data
