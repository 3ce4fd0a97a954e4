"""One error shape for every HTTP error: ``{"code": ..., "description": ...}``.

:data:`STATUS_BY_ERROR` maps spacepool's exceptions (and the framework's) to HTTP
statuses; the most specific class in an exception's MRO wins. Request validation
errors become 400 (the STAC API convention) with each problem named by its
location. Anything unexpected is a 500 with a generic text: a 5xx is a bug.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from stac_fastapi.types import errors as stac_errors
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from spacepool.errors import (
    AuthenticationError,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    SpacepoolError,
)

log = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[Exception], int] = {
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    InputError: 400,  # every other user mistake: bad bbox, geometry, time, token, ...
    SpacepoolError: 500,
    # raised by stac-fastapi itself
    stac_errors.NotFoundError: 404,
    stac_errors.ConflictError: 409,
    stac_errors.InvalidQueryParameter: 400,
    stac_errors.ForeignKeyError: 400,
    stac_errors.DatabaseError: 500,
}

# Codes for errors the framework raises with only a status (routing, methods).
CODE_BY_STATUS = {
    400: "invalid_request",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
}


ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "description": "The body of every error answer (4xx and 5xx).",
    "properties": {
        "code": {
            "type": "string",
            "description": "Stable machine-readable code, e.g. 'not_found', 'invalid_request'.",
        },
        "description": {"type": "string", "description": "What went wrong, for people."},
    },
    "required": ["code", "description"],
    "additionalProperties": False,
}
"""JSON Schema of :func:`error_body`; the OpenAPI document's ``Error`` component."""


def status_for(exc: Exception) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def error_body(code: str, description: str) -> dict[str, str]:
    return {"code": code, "description": description}


def _response(status: int, code: str, description: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(error_body(code, description), status_code=status, headers=headers)


async def _spacepool_error(_request: Request, exc: Exception) -> JSONResponse:
    status = status_for(exc)
    if status >= 500:
        log.exception("internal error", exc_info=exc)
        return _response(status, "internal_error", "internal server error")
    code = getattr(exc, "code", None) or CODE_BY_STATUS.get(status, "invalid_request")
    return _response(status, str(code), str(exc))


def describe_validation_errors(errors: Any) -> str:
    """``body.bbox: Value error, ...; query.limit: ...`` from pydantic's error list."""
    parts = []
    for error in errors:
        location = ".".join(str(part) for part in error.get("loc", ()))
        parts.append(f"{location}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return _response(400, "invalid_request", describe_validation_errors(exc.errors()))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = CODE_BY_STATUS.get(exc.status_code, "http_error")
    response = _response(exc.status_code, code, str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _integrity_error(_request: Request, exc: Exception) -> JSONResponse:
    # Reached only when two requests race: each checked that its id was free (or
    # its references existed) and the database refused the second at commit. A
    # retry gets the ordinary answer (200 for an identical re-post, else a 409).
    log.info("integrity error from a concurrent write: %s", exc)
    return _response(
        409,
        "conflict",
        "the request conflicts with a change made at the same time by another request; retry it",
    )


# psycopg's own refusal, before anything is sent: PostgreSQL text cannot hold NUL.
_DRIVER_NUL_TEXT = "cannot contain NUL"
STORED_NUL_MESSAGE = (
    "a value of the request holds a NUL character (\\u0000), which the database "
    "cannot store; no identifier, name or parameter may contain one"
)


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    # A NUL character in any value a route hands to PostgreSQL (a body's name, a
    # query's filter) ends here; the transaction has rolled back. Every other data
    # error is unexpected.
    if isinstance(exc, DataError) and _DRIVER_NUL_TEXT in str(exc.orig):
        return _response(400, CODE_BY_STATUS[400], STORED_NUL_MESSAGE)
    return await _unexpected(request, exc)


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return _response(500, "internal_error", "internal server error")


NUL_MESSAGE = (
    "the request's path or query string holds a NUL character (%00); "
    "no identifier or parameter may contain one"
)


class RejectNulCharacters:
    """ASGI middleware: a request whose path or query string holds a NUL character
    gets 400 before any route sees it. PostgreSQL text cannot hold NUL, so such a
    value would otherwise fail in the database driver (a 500) wherever a route
    passes it on (an owner filter, an id, a search parameter); no valid identifier
    or parameter contains one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope["path"]
            or b"%00" in scope["query_string"]
            or b"\x00" in scope["query_string"]
        ):
            await _response(400, CODE_BY_STATUS[400], NUL_MESSAGE)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers; call after every router and library has added its own,
    so these win."""
    for cls in STATUS_BY_ERROR:
        app.add_exception_handler(cls, _spacepool_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
