"""Pagination shared by every list route.

Query ``limit`` (1..1000, default 100) and ``offset`` (0..2**31 - 1, default 0); the
answer is
``{"items": [...], "total": n, "limit": l, "offset": k, "next": url | null}`` where
``next`` is this request's URL with ``offset`` moved on by ``limit``, or ``null`` on
the last page. Usage::

    @router.get("/things", response_model=Page[Thing])
    def list_things(request: Request, paging: Annotated[PageParams, Depends(page_params)]):
        rows, total = repository.list_things(session, limit=paging.limit, offset=paging.offset)
        return page(request, paging, [to_json(r) for r in rows], total)

An out-of-range ``limit`` or ``offset`` is a 400 in the one error shape (FastAPI's
validation handler, see :mod:`spacepool.api.errors`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final, Generic, TypeVar

from fastapi import Query, Request
from pydantic import BaseModel, Field

LIMIT_DEFAULT: Final = 100
LIMIT_MAX: Final = 1000
OFFSET_MAX: Final = 2**31 - 1
"""Largest ``offset``: beyond any list, and within every database's integer range."""

T = TypeVar("T")


@dataclass(frozen=True)
class PageParams:
    """The validated ``limit`` and ``offset`` of a list request."""

    limit: int = LIMIT_DEFAULT
    offset: int = 0


def page_params(
    limit: Annotated[
        int, Query(ge=1, le=LIMIT_MAX, description=f"Page size, 1..{LIMIT_MAX}.")
    ] = LIMIT_DEFAULT,
    offset: Annotated[
        int, Query(ge=0, le=OFFSET_MAX, description="Number of entries to skip.")
    ] = 0,
) -> PageParams:
    """FastAPI dependency: ``Depends(page_params)``."""
    return PageParams(limit=limit, offset=offset)


class Page(BaseModel, Generic[T]):
    """One page of a list (the response model of every list route)."""

    items: list[T]
    total: int = Field(ge=0, description="Entries in the whole list, for this caller.")
    limit: int
    offset: int
    next: str | None = Field(description="URL of the next page, null on the last one.")


def next_url(request: Request, params: PageParams, total: int) -> str | None:
    """This request's URL with ``offset`` moved on by ``limit``; ``None`` at the end."""
    following = params.offset + params.limit
    if following >= total:
        return None
    return str(request.url.include_query_params(limit=params.limit, offset=following))


def page(request: Request, params: PageParams, items: Sequence[Any], total: int) -> dict[str, Any]:
    """The page envelope for ``items`` (already cut to ``params``) out of ``total``."""
    return {
        "items": list(items),
        "total": total,
        "limit": params.limit,
        "offset": params.offset,
        "next": next_url(request, params, total),
    }
