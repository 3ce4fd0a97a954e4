"""Who is calling: ``Authorization: Bearer <key>``; no header means anonymous.

:func:`current_viewer` resolves the key once per request and keeps the viewer in
``request.state.viewer``; :func:`require_partner` and :func:`require_admin` add a
role requirement on top. Every route gets exactly one of the three (see
:data:`spacepool.api.app.ROUTE_ACCESS`).

A key verified in the last :data:`~spacepool.store.keys.KEY_CACHE_TTL_S` seconds
is not looked up again (one :class:`~spacepool.store.keys.KeyCache` per store), so
a revocation takes effect within that time. The dependencies are coroutines: only
a key lookup leaves the event loop, for a worker thread (the database call blocks).
"""

from __future__ import annotations

from typing import Annotated
from weakref import WeakKeyDictionary

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from spacepool.catalog.access import Viewer
from spacepool.errors import AuthenticationError, PermissionDeniedError
from spacepool.store import Store
from spacepool.store.keys import KeyCache, authenticate

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An API key from `spacepool keys create`; without one you are anonymous.",
)


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


_key_caches: WeakKeyDictionary[Store, KeyCache] = WeakKeyDictionary()


def key_cache(store: Store) -> KeyCache:
    """The cache of verified keys for ``store`` (made on first use)."""
    cache = _key_caches.get(store)
    if cache is None:
        cache = _key_caches.setdefault(store, KeyCache())
    return cache


def viewer_for_key(store: Store, key: str) -> Viewer:
    """The viewer of ``key``: from the store's key cache, else looked up in the
    database (blocks: call it off the event loop) and remembered."""
    cache = key_cache(store)
    viewer = cache.get(key)
    if viewer is None:
        with store.transaction(read_only=True) as session:
            viewer = authenticate(session, key)
        cache.put(key, viewer)
    return viewer


async def current_viewer(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> Viewer:
    cached = getattr(request.state, "viewer", None)
    if isinstance(cached, Viewer):
        return cached
    if request.headers.get("authorization") is None:
        viewer = Viewer.anonymous()
    elif credentials is None:
        raise AuthenticationError(
            "invalid Authorization header: expected 'Bearer <key>' with a key from "
            "'spacepool keys create'"
        )
    else:
        store = store_of(request)
        key = credentials.credentials
        # Only a key not in the cache leaves the event loop.
        remembered = key_cache(store).get(key)
        if remembered is None:
            viewer = await run_in_threadpool(viewer_for_key, store, key)
        else:
            viewer = remembered
    request.state.viewer = viewer
    return viewer


async def require_partner(viewer: Annotated[Viewer, Depends(current_viewer)]) -> Viewer:
    if viewer.kind == "anonymous":
        raise AuthenticationError(
            "this endpoint needs an API key (partner or coordinator): "
            "send 'Authorization: Bearer <key>'"
        )
    return viewer


async def require_admin(viewer: Annotated[Viewer, Depends(current_viewer)]) -> Viewer:
    if viewer.kind == "anonymous":
        raise AuthenticationError(
            "this endpoint needs a coordinator API key: send 'Authorization: Bearer <key>'"
        )
    if viewer.kind != "admin":
        raise PermissionDeniedError(
            f"this endpoint is for the consortium coordinator; your key belongs to partner "
            f"{viewer.label!r}",
            required="coordinator",
        )
    return viewer


def viewer_of(request: Request) -> Viewer:
    """The viewer resolved by the route's auth dependency. Fails loudly if a route
    lacks one, rather than guessing a role."""
    viewer = getattr(request.state, "viewer", None)
    if not isinstance(viewer, Viewer):
        raise RuntimeError(f"route {request.url.path} has no auth dependency")
    return viewer
