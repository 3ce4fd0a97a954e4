"""Element sets with their history: every upload is kept; the current set of a
satellite is its newest by epoch.

Each row keeps the OMM fields (:meth:`ElementSet.to_omm_dict`, from which the
element set is rebuilt exactly) and, when the upload was a TLE or the elements fit
one, the two TLE lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from spacepool.catalog.items import format_rfc3339 as format_time
from spacepool.errors import ConflictError
from spacepool.orbits.elements import ElementSet
from spacepool.store.models import ElementSetRecord
from spacepool.store.paging import page_rows


@dataclass(frozen=True)
class Stored:
    """One element set of an upload and whether it was new (``False``: the same set
    was stored before, so nothing changed)."""

    record: ElementSetRecord
    created: bool


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    # The name is a label, not part of the elements: a TLE file and an OMM feed may
    # spell one satellite differently.
    return {k: v for k, v in a.items() if k != "OBJECT_NAME"} == {
        k: v for k, v in b.items() if k != "OBJECT_NAME"
    }


def add_element_sets(
    session: Session,
    elements: Sequence[ElementSet],
    *,
    fmt: str,
    uploaded_by: str,
    now: datetime,
    keep: bool = False,
) -> list[Stored]:
    """Store ``elements`` (``fmt``: ``tle`` or ``omm``, how they arrived).

    A set whose NORAD id and epoch are stored already is idempotent when its
    elements are the same, a :class:`ConflictError` otherwise (nothing is written
    then: the caller's transaction rolls back). With ``keep`` the stored set stays
    and the new one is skipped instead (the consortium loader never replaces an
    uploaded set by a nominal one).
    """
    out: list[Stored] = []
    for element in elements:
        omm: dict[str, Any] = dict(element.to_omm_dict())
        existing = session.scalar(
            select(ElementSetRecord).where(
                ElementSetRecord.norad_id == element.norad_id,
                ElementSetRecord.epoch == element.epoch,
            )
        )
        if existing is not None:
            if keep or (existing.omm is not None and _same(existing.omm, omm)):
                out.append(Stored(existing, False))
                continue
            raise ConflictError(
                f"element set of NORAD {element.norad_id} at epoch "
                f"{format_time(element.epoch)} exists already with different elements; "
                "a new set needs a new epoch",
                kind="element set",
                name=f"{element.norad_id}@{format_time(element.epoch)}",
            )
        line1, line2 = element.line1, element.line2
        if line1 is None or line2 is None:
            try:
                line1, line2 = element.to_tle_lines()
            except ValueError:  # e.g. a NORAD id beyond Alpha-5: OMM only
                line1 = line2 = None
        record = ElementSetRecord(
            norad_id=element.norad_id,
            epoch=element.epoch,
            name=element.name or str(element.norad_id),
            format=fmt,
            line1=line1,
            line2=line2,
            omm=omm,
            source=element.source,
            uploaded_by=uploaded_by,
            uploaded_at=now,
        )
        session.add(record)
        session.flush()
        out.append(Stored(record, True))
    return out


def _newest_epochs(norad_ids: Sequence[int] | None) -> Any:
    query = select(
        ElementSetRecord.norad_id, func.max(ElementSetRecord.epoch).label("epoch")
    ).group_by(ElementSetRecord.norad_id)
    if norad_ids:
        query = query.where(ElementSetRecord.norad_id.in_(list(norad_ids)))
    return query.subquery()


def current_element_sets(
    session: Session,
    *,
    norad_ids: Sequence[int] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[ElementSetRecord], int]:
    """The newest set (by epoch) of each satellite, ordered by NORAD id; only those of
    ``norad_ids`` when given. Returns a page and the number of satellites."""
    newest = _newest_epochs(norad_ids)
    total = session.scalar(select(func.count()).select_from(newest)) or 0
    query = (
        select(ElementSetRecord)
        .join(
            newest,
            (ElementSetRecord.norad_id == newest.c.norad_id)
            & (ElementSetRecord.epoch == newest.c.epoch),
        )
        .order_by(ElementSetRecord.norad_id)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query)), total


def newest_element_sets(session: Session, norad_ids: Sequence[int]) -> dict[int, ElementSet]:
    """The newest stored set (by epoch) of each of ``norad_ids`` that has one, by
    NORAD id: a partner's upload newer than the loader's nominal set wins."""
    if not norad_ids:
        return {}
    records, _ = current_element_sets(session, norad_ids=norad_ids)
    return {r.norad_id: to_element_set(r) for r in records}


def element_sets_at(
    session: Session, keys: Sequence[tuple[int, datetime]]
) -> dict[int, ElementSet]:
    """The stored sets with these (NORAD id, epoch) keys, by NORAD id; keys that match
    no stored set are left out."""
    if not keys:
        return {}
    match = or_(
        *(
            (ElementSetRecord.norad_id == norad_id) & (ElementSetRecord.epoch == epoch)
            for norad_id, epoch in keys
        )
    )
    return {
        r.norad_id: to_element_set(r)
        for r in session.scalars(select(ElementSetRecord).where(match))
    }


def element_set_history(
    session: Session, norad_id: int, *, limit: int, offset: int
) -> tuple[list[ElementSetRecord], int]:
    """Every stored set of one satellite, newest epoch first."""
    statement = (
        select(ElementSetRecord)
        .where(ElementSetRecord.norad_id == norad_id)
        .order_by(ElementSetRecord.epoch.desc())
    )
    return page_rows(session, statement, limit=limit, offset=offset)


def to_element_set(record: ElementSetRecord) -> ElementSet:
    """The stored elements as an :class:`ElementSet` (exact: rebuilt from the OMM
    fields)."""
    assert record.omm is not None  # every row written by add_element_sets has them
    element = ElementSet.from_omm_dict(
        record.omm, origin=record.source, source=f"element set {record.pk}"
    )
    return element


def element_set_to_dict(record: ElementSetRecord) -> dict[str, Any]:
    """The HTTP form: NORAD id, name, epoch, format uploaded, TLE lines (or null),
    OMM fields, source, uploader and upload time."""
    return {
        "norad_id": record.norad_id,
        "name": record.name,
        "epoch": format_time(record.epoch),
        "format": record.format,
        "line1": record.line1,
        "line2": record.line2,
        "omm": record.omm,
        "source": record.source,
        "uploaded_by": record.uploaded_by,
        "uploaded_at": format_time(record.uploaded_at),
    }
