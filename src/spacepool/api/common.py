"""Small helpers shared by the registry, request, plan and engine-query routers."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
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


def single_values(request: Request) -> None:
    """Refuse a query parameter given more than once where the route takes one value
    (the framework would silently keep the last); parameters the route declares as
    lists (``satellite``, repeatable) may repeat. A dependency of every REST router."""
    route = request.scope.get("route")
    repeatable = _list_parameters(route) if isinstance(route, APIRoute) else set()
    seen: set[str] = set()
    for name, _value in request.query_params.multi_items():
        if name in seen and name not in repeatable:
            count = len(request.query_params.getlist(name))
            raise InputError(f"{name}: given {count} times; give it once")
        seen.add(name)


def _list_parameters(route: APIRoute) -> set[str]:
    """The names of ``route``'s query parameters that take a list."""
    return _list_names(route.dependant)


def _list_names(dependant: Dependant) -> set[str]:
    names = {f.alias for f in dependant.query_params if _takes_list(f.field_info.annotation)}
    for sub in dependant.dependencies:
        names |= _list_names(sub)
    return names


def _takes_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_takes_list(arg) for arg in typing.get_args(annotation))
    return origin in (list, tuple, set, frozenset)
