"""API keys: made once, shown once, stored as a SHA-256 digest.

A key is ``sp_<prefix>_<secret>``: ``prefix`` (8 characters) is stored in clear so a
coordinator can tell keys apart; ``secret`` is 32 random bytes (256 bits,
``secrets.token_urlsafe``). With that much entropy a plain SHA-256 digest cannot be
reversed by guessing, so a slow password hash (argon2, bcrypt) would add cost to
every request without adding safety; see OWASP's Password Storage Cheat Sheet, which
targets low-entropy human passwords.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from spacepool.catalog.access import Viewer
from spacepool.errors import AuthenticationError
from spacepool.store.models import ApiKey
from spacepool.store.partners import get_partner

KEY_PREFIX = "sp"
PREFIX_LENGTH = 8
SECRET_BYTES = 32


def key_digest(key: str) -> str:
    """Hex SHA-256 of the whole key text."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewKey:
    """A key just made: ``key`` is the only copy of the secret."""

    id: int
    key: str
    prefix: str
    partner_id: str | None
    is_admin: bool


def create_api_key(
    session: Session, *, partner_id: str | None, admin: bool, now: datetime
) -> NewKey:
    """Make a key for ``partner_id`` (must exist) or, with ``admin``, a coordinator key."""
    if admin == (partner_id is not None):
        raise ValueError("give a partner id or admin=True, not both or neither")
    if partner_id is not None:
        get_partner(session, partner_id)
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    row = ApiKey(
        prefix=prefix,
        digest=key_digest(key),
        partner_id=partner_id,
        is_admin=admin,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return NewKey(row.id, key, prefix, partner_id, admin)


def authenticate(session: Session, key: str) -> Viewer:
    """The viewer a key stands for; :class:`AuthenticationError` when the key is
    malformed, unknown or revoked (one message for all three)."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != PREFIX_LENGTH:
        raise AuthenticationError(
            "invalid API key: expected 'Authorization: Bearer sp_<prefix>_<secret>' "
            "as printed by 'spacepool keys create'"
        )
    row = session.scalars(select(ApiKey).where(ApiKey.digest == key_digest(key))).one_or_none()
    if row is None or row.revoked_at is not None or row.prefix != parts[1]:
        raise AuthenticationError("invalid API key: unknown or revoked")
    if row.is_admin:
        return Viewer.admin(key_id=row.id)
    assert row.partner_id is not None  # the table's check constraint guarantees it
    return Viewer.partner(row.partner_id, key_id=row.id)
