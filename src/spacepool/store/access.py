"""The access policy as one SQL filter, used by every query that reads items.

:func:`visible_items` is the only place the rule is written for the database;
search, single-item reads, collection item listings, counts and paging all add it
to their ``WHERE`` clause, so a hidden item is never fetched, counted or used as a
paging key. :func:`spacepool.catalog.access.can_view` states the same rule in
Python; the tests hold the two equal.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, true

from spacepool.catalog.access import AccessPolicy, Viewer
from spacepool.store.models import Item, ItemShare


def public_items(now: datetime | ColumnElement[Any]) -> ColumnElement[bool]:
    """Items anyone may see at ``now``: ``open``, or past their embargo."""
    return or_(
        Item.access == AccessPolicy.OPEN.value,
        and_(Item.embargo_until.is_not(None), Item.embargo_until <= now),
    )


def visible_items(
    viewer: Viewer,
    now: datetime | ColumnElement[Any],
    *,
    partner: ColumnElement[Any] | None = None,
) -> ColumnElement[bool]:
    """SQL condition on :class:`~spacepool.store.models.Item`: true for the items
    ``viewer`` may see at ``now`` (timezone-aware).

    ``now`` may be a bound parameter, and ``partner`` one standing for the viewer's
    partner id: a statement built once then serves every viewer of the same kind
    (:mod:`spacepool.store.items` keeps such statements); the rule is the same."""
    if viewer.kind == "admin":
        return true()
    if viewer.kind == "anonymous" or viewer.partner_id is None:
        return public_items(now)
    who: Any = viewer.partner_id if partner is None else partner
    named = exists().where(ItemShare.item_pk == Item.pk, ItemShare.partner_id == who)
    return or_(
        public_items(now),
        Item.access == AccessPolicy.CONSORTIUM.value,
        Item.owner_id == who,
        and_(Item.access == AccessPolicy.PARTNERS.value, named),
    )
