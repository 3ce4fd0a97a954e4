"""Who may see a catalogue item: the access policy as a pure predicate.

The database applies the same rule as an SQL filter
(:func:`spacepool.store.access.visible_items`); this module is the reference the
tests compare that filter with, so keep the two in step.

Rules (DESIGN.md, "Access policy"):

- ``open``: everyone, anonymous included;
- ``consortium``: any partner;
- ``owner``: only the owning partner;
- ``partners``: the owner and the partners named in ``shared_with``;
- from ``embargo_until`` on (``now >= embargo_until``) the item is open to all,
  whatever its policy;
- the consortium coordinator (admin) sees everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

ViewerKind = Literal["anonymous", "partner", "admin"]


class AccessPolicy(StrEnum):
    """An item's access policy (``spacepool:access``)."""

    OPEN = "open"
    CONSORTIUM = "consortium"
    OWNER = "owner"
    PARTNERS = "partners"


@dataclass(frozen=True)
class Viewer:
    """Who is asking: anonymous, a partner (by its id) or the coordinator (admin).

    ``key_id`` is the database id of the API key used, for the audit log.
    """

    kind: ViewerKind
    partner_id: str | None = None
    key_id: int | None = None

    def __post_init__(self) -> None:
        if (self.kind == "partner") != (self.partner_id is not None):
            raise ValueError("a partner viewer needs a partner_id, other viewers none")

    @classmethod
    def anonymous(cls) -> Viewer:
        return cls("anonymous")

    @classmethod
    def partner(cls, partner_id: str, key_id: int | None = None) -> Viewer:
        return cls("partner", partner_id, key_id)

    @classmethod
    def admin(cls, key_id: int | None = None) -> Viewer:
        return cls("admin", None, key_id)

    @property
    def label(self) -> str:
        """``anonymous``, ``admin`` or the partner id: for messages and the audit log."""
        return self.partner_id if self.partner_id is not None else self.kind


@dataclass(frozen=True)
class ItemAccess:
    """The access fields of one item."""

    owner: str
    policy: AccessPolicy
    shared_with: frozenset[str] = field(default_factory=frozenset)
    embargo_until: datetime | None = None


def is_public(access: ItemAccess, now: datetime) -> bool:
    """True when anyone, anonymous included, may see the item at ``now``."""
    if access.policy is AccessPolicy.OPEN:
        return True
    return access.embargo_until is not None and now >= access.embargo_until


def can_view(viewer: Viewer, access: ItemAccess, now: datetime) -> bool:
    """True when ``viewer`` may see an item with ``access`` at ``now`` (timezone-aware)."""
    if viewer.kind == "admin" or is_public(access, now):
        return True
    if viewer.kind != "partner":
        return False
    if access.policy is AccessPolicy.CONSORTIUM or viewer.partner_id == access.owner:
        return True
    return access.policy is AccessPolicy.PARTNERS and viewer.partner_id in access.shared_with
