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
import threading
import time
from collections.abc import Callable
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
# Seconds a process trusts a key it has verified before looking it up again: a key
# revoked in the database (``revoked_at`` set) is refused at most this long after.
KEY_CACHE_TTL_S = 5.0
# Keys remembered at once per process; beyond this the cache starts over.
KEY_CACHE_ENTRIES = 10_000


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


class KeyCache:
    """Viewers of keys verified in the last ``ttl_s`` seconds, by key digest.

    Only keys that :func:`authenticate` accepted are remembered; an unknown,
    malformed or revoked key is looked up every time, and a new key works at once.
    Revocation takes effect within ``ttl_s``. Safe to share between threads.
    """

    def __init__(
        self,
        ttl_s: float = KEY_CACHE_TTL_S,
        max_entries: int = KEY_CACHE_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[float, Viewer]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Viewer | None:
        """The viewer of ``key`` if it was verified less than ``ttl_s`` ago."""
        entry = self._entries.get(key_digest(key))
        if entry is None or self._clock() - entry[0] >= self.ttl_s:
            return None
        return entry[1]

    def put(self, key: str, viewer: Viewer) -> None:
        """Remember that ``key`` was just verified as ``viewer``."""
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key_digest(key)] = (self._clock(), viewer)
