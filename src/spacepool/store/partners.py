"""Partners: the consortium's members."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from spacepool.errors import ConflictError, InputError, UnknownNameError
from spacepool.store.models import Partner

_PARTNER_ID = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


def check_partner_id(partner_id: str) -> str:
    if not _PARTNER_ID.match(partner_id):
        raise InputError(
            f"partner id {partner_id!r}: expected a lower-case letter followed by up to 63 "
            "lower-case letters, digits, '-' or '_' (e.g. esa, nasa, jaxa)"
        )
    return partner_id


def add_partner(session: Session, partner_id: str, name: str, *, now: datetime) -> Partner:
    """Register a partner; :class:`ConflictError` when the id is taken."""
    check_partner_id(partner_id)
    if not name.strip():
        raise InputError("partner name: must not be empty")
    if session.get(Partner, partner_id) is not None:
        raise ConflictError(
            f"partner {partner_id!r} exists already", kind="partner", name=partner_id
        )
    partner = Partner(id=partner_id, name=name.strip(), created_at=now)
    session.add(partner)
    session.flush()
    return partner


def list_partners(session: Session) -> list[Partner]:
    return list(session.scalars(select(Partner).order_by(Partner.id)))


def get_partner(session: Session, partner_id: str) -> Partner:
    """The partner, or :class:`UnknownNameError` listing the partners that exist."""
    partner = session.get(Partner, partner_id)
    if partner is None:
        known = list(session.scalars(select(Partner.id)))
        raise UnknownNameError("partner", partner_id, known)
    return partner


def require_partners(session: Session, partner_ids: frozenset[str]) -> None:
    """:class:`UnknownNameError` for the first id in ``partner_ids`` not registered."""
    if not partner_ids:
        return
    found = set(session.scalars(select(Partner.id).where(Partner.id.in_(partner_ids))))
    missing = sorted(partner_ids - found)
    if missing:
        known = list(session.scalars(select(Partner.id)))
        raise UnknownNameError("partner", missing[0], known)
