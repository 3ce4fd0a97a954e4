"""Small helpers shared by the registry, request, plan and engine-query routers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Request
from pydantic import Field

from spacepool.catalog.access import Viewer
from spacepool.errors import InputError


def now_of(request: Request) -> datetime:
    """The app's clock (tests fix it)."""
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


def author(viewer: Viewer) -> str:
    """Who wrote a record: the partner id, or ``coordinator``."""
    return viewer.partner_id if viewer.partner_id is not None else "coordinator"


def json_object(body: object, what: str) -> dict[str, object]:
    """``body`` as a JSON object, or :class:`InputError` saying what was expected."""
    if not isinstance(body, dict):
        kind = "an array" if isinstance(body, list) else type(body).__name__
        raise InputError(f"{what}: expected a JSON object, found {kind}")
    return body


NoradId = Annotated[int, Field(ge=1, le=999_999_999)]
"""A NORAD catalogue number (query parameters, bodies)."""
