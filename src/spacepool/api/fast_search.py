"""GET /stac/search without the framework's per-request machinery.

Item search is the catalogue's busiest call, and on it FastAPI's request handling
(dependency resolution, parameter validation, two hops to the thread pool: the
auth dependency's and the endpoint's) cost about as much CPU as the search itself
(profiled on benchmarks/bench_store.py's search). :class:`SearchFastPath` is a
plain ASGI middleware that answers an ordinary GET /stac/search in one thread-pool
hop (at most :data:`SEARCH_THREADS` at once per process) with the same code the
route uses (:meth:`CoreClient.get_search`, the same key cache and key lookup), and
hands every other request to the application untouched.

"Ordinary" is decided before any work that shows: only GET on the exact path, only
the route's own parameters, each at most once, ``limit`` as plain digits, and
either no Authorization header or a well-formed ``Bearer`` one. Any error on the
way (a bad parameter, an unknown key, an unknown collection) also hands the
request to the application, which answers it the usual way (its error handlers,
its messages); nothing has been sent by then, and nothing written: the audit
records of a search are written only with its answer. The route stays what the
OpenAPI document describes; ``tests/api/test_fast_search.py`` holds the two paths'
answers equal, byte for byte, for every viewer and many queries.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Final
from weakref import WeakKeyDictionary

from anyio import CapacityLimiter, to_thread
from fastapi.security.utils import get_authorization_scheme_param
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from spacepool.api.auth import store_of, viewer_for_key
from spacepool.catalog.access import Viewer
from spacepool.errors import InputError

if TYPE_CHECKING:
    from spacepool.api.stac import CoreClient

SEARCH_PATH: Final = "/stac/search"
# Query parameter -> keyword of CoreClient.get_search (the route's parameters).
_PARAMETERS: Final = {
    "collections": "collections",
    "ids": "ids",
    "bbox": "bbox",
    "intersects": "intersects",
    "datetime": "datetime",
    "limit": "limit",
    "token": "token",
    "filter": "filter_expr",
    "filter-lang": "filter_lang",
    "filter-crs": "filter_crs",
}
# A longer limit is not plain: the application parses and answers it.
_LIMIT_DIGITS: Final = 6
# app.state attribute that turns the fast path off (the tests compare both paths).
ENABLED_STATE: Final = "search_fast_path"
# Searches answered at once per process; the others wait their turn in order. A
# search is mostly Python holding the GIL (2-3 ms) and a shorter wait on the
# database. One thread: the other process and PostgreSQL use the CPU during that
# wait, and more threads per process only contend for the GIL. bench_store,
# PostgreSQL, 1,000,000 items, 2 processes, 20 clients, interleaved runs (3, 1, 3,
# 1 threads): p99 92, 70, 122, 83 ms anonymous at 382, 439, 305, 403 searches/s;
# 105, 88, 119, 94 ms partner at 313, 331, 302, 300/s. (Against the shared pool
# of 40 threads, 3 had been better: 86-94 against 141-149 ms.) Other routes keep
# the shared pool.
SEARCH_THREADS: Final = 1


class SearchFastPath:
    """ASGI middleware: answers ordinary GET /stac/search requests itself with
    ``client`` (the application's STAC client; see the module text); passes
    everything else to ``app``."""

    def __init__(self, app: ASGIApp, client: CoreClient) -> None:
        self.app = app
        self.client = client
        # One limiter per event loop (a limiter belongs to the loop it is made in).
        self._limiters: WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = (
            WeakKeyDictionary()
        )

    def _limiter(self) -> CapacityLimiter:
        loop = asyncio.get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:
            limiter = self._limiters.setdefault(loop, CapacityLimiter(SEARCH_THREADS))
        return limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"] == SEARCH_PATH
            and getattr(scope["app"].state, ENABLED_STATE, False)
        ):
            answer = await to_thread.run_sync(_answer, self.client, scope, limiter=self._limiter())
            if answer is not None:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [
                            (b"content-length", str(len(answer)).encode()),
                            (b"content-type", b"application/geo+json"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": answer})
                return
        await self.app(scope, receive, send)


def _arguments(request: Request) -> dict[str, Any] | None:
    """The search's keyword arguments, or None when the query is not ordinary."""
    arguments: dict[str, Any] = {}
    for name, value in request.query_params.multi_items():
        keyword = _PARAMETERS.get(name)
        if keyword is None or keyword in arguments:
            return None
        arguments[keyword] = value
    limit = arguments.get("limit")
    if limit is not None:
        if not (limit.isascii() and limit.isdigit() and len(limit) <= _LIMIT_DIGITS):
            return None
        arguments["limit"] = int(limit)
        if arguments["limit"] < 1:
            return None
    return arguments


def _viewer(request: Request) -> Viewer | None:
    """The caller, as the route's auth dependency would resolve it; None when the
    header is not a well-formed Bearer key (the application then answers)."""
    header = request.headers.get("authorization")
    if header is None:
        return Viewer.anonymous()
    scheme, key = get_authorization_scheme_param(header)
    if scheme.lower() != "bearer" or not key:
        return None
    return viewer_for_key(store_of(request), key)


def _answer(client: CoreClient, scope: Scope) -> bytes | None:
    """The search's answer body, or None to let the application answer."""
    request = Request(scope)
    arguments = _arguments(request)
    if arguments is None:
        return None
    try:
        viewer = _viewer(request)
        if viewer is None:
            return None
        request.state.viewer = viewer
        page = client.get_search(request=request, **arguments)
    except InputError:  # a user's mistake: the application answers it, its own way
        return None
    return bytes(page.body)
