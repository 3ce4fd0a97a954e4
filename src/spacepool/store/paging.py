"""One page of a list query and the length of the whole list.

Every list repository answers ``(rows, total)``: the rows of ``limit`` and
``offset`` (the API's :mod:`spacepool.api.pagination`) and how many rows the whole
query has, so the caller can tell whether a next page exists.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


def page_rows(
    session: Session, statement: Select[T], *, limit: int | None, offset: int
) -> tuple[list[T], int]:
    """The rows of ``statement`` (a one-entity ``select`` with its ``where`` and
    ``order_by``) from ``offset`` on, at most ``limit`` of them (all with ``None``),
    and the number of rows the statement has without ``limit`` and ``offset``.

    The count runs over the statement as a subquery without its ordering, so it
    counts exactly what the page is cut from (the same filters and joins)."""
    counted = statement.order_by(None).subquery()
    total = session.scalar(select(func.count()).select_from(counted)) or 0
    rows = session.scalars(statement.limit(limit).offset(offset))
    return list(rows), int(total)


__all__ = ["page_rows"]
