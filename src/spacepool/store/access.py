"""The access policy as one SQL filter, used by every query that reads items.

:func:`visible_items` is the only place the rule is written for the database;
search, single-item reads, collection item listings, counts and paging all add it
to their ``WHERE`` clause, so a hidden item is never fetched, counted or used as a
paging key. :func:`spacepool.catalog.access.can_view` states the same rule in
Python; the tests hold the two equal.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, exists, or_, true

from spacepool.catalog.access import AccessPolicy, Viewer
from spacepool.store.models import Item, ItemShare


def public_items(now: datetime | ColumnElement[Any]) -> ColumnElement[bool]:
    """Items anyone may see at ``now``: ``open``, or past their embargo."""
    return or_(
        Item.access == AccessPolicy.OPEN.value,
        and_(Item.embargo_until.is_not(None), Item.embargo_until <= now),
    )


ViewerScope = Literal["admin", "public", "partner"]


def viewer_scope(viewer: Viewer) -> ViewerScope:
    """Which form of the rule applies to ``viewer``: the coordinator sees all, a
    caller without a partner sees public items, a partner sees its share."""
    if viewer.kind == "admin":
        return "admin"
    if viewer.kind == "anonymous" or viewer.partner_id is None:
        return "public"
    return "partner"


def visible_items(viewer: Viewer, now: datetime) -> ColumnElement[bool]:
    """SQL condition on :class:`~spacepool.store.models.Item`: true for the items
    ``viewer`` may see at ``now`` (timezone-aware)."""
    return visible_items_for(viewer_scope(viewer), now, viewer.partner_id)


def visible_items_for(
    scope: ViewerScope, now: datetime | ColumnElement[Any], partner: Any
) -> ColumnElement[bool]:
    """:func:`visible_items` for a viewer of ``scope`` whose partner id is
    ``partner`` (unused unless ``scope`` is "partner"). ``now`` and ``partner`` may
    be bound parameters: a statement built once then serves every viewer of the
    scope (:mod:`spacepool.store.search` keeps such statements)."""
    if scope == "admin":
        return true()
    if scope == "public":
        return public_items(now)
    named = exists().where(ItemShare.item_pk == Item.pk, ItemShare.partner_id == partner)
    return or_(
        public_items(now),
        Item.access == AccessPolicy.CONSORTIUM.value,
        Item.owner_id == partner,
        and_(Item.access == AccessPolicy.PARTNERS.value, named),
    )
