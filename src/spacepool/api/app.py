"""The FastAPI application: STAC API at ``/stac``, audit log, OpenAPI, docs.

:data:`ROUTE_ACCESS` declares who may call every route. :func:`create_app` attaches
the matching auth dependency to each route, writes the declaration into the OpenAPI
document (``x-spacepool-access``), and refuses to start if a route is missing from
the table: no endpoint can appear without a declared role. The same table, with
each route's path and parameters, decides which error answers the document
declares (:func:`declare_error_responses`).
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from stac_fastapi.api.app import StacApi
from stac_fastapi.api.routes import add_route_dependencies
from stac_fastapi.types.config import ApiSettings
from starlette.routing import BaseRoute

from spacepool import __version__
from spacepool.api.activations import router as activations_router
from spacepool.api.audit import router as audit_router
from spacepool.api.auth import current_viewer, require_admin, require_partner
from spacepool.api.common import single_values
from spacepool.api.engine_queries import router as engine_queries_router
from spacepool.api.errors import ERROR_SCHEMA, RejectNulCharacters, install_error_handlers
from spacepool.api.fast_search import ENABLED_STATE as FAST_SEARCH_ENABLED
from spacepool.api.fast_search import SEARCH_PATH, SearchFastPath
from spacepool.api.fleet import router as fleet_router
from spacepool.api.plans import router as plans_router
from spacepool.api.registry import router as registry_router
from spacepool.api.requests import router as requests_router
from spacepool.api.stac import (
    CoreClient,
    ItemsAndCollectionsTransactions,
    ItemsGetRequest,
    SearchGetRequest,
    SearchPostRequest,
    TransactionsClient,
)
from spacepool.api.stac_filter import filter_extension
from spacepool.api.web import router as web_router
from spacepool.store import Store

STAC_PREFIX = "/stac"

PUBLIC = "public"
"""Anyone, anonymous included; data in the answer is filtered by each item's policy."""
PARTNER = "partner"
"""A partner or coordinator key; anonymous callers get 401."""
COORDINATOR = "coordinator"
"""A coordinator (admin) key; anonymous callers get 401, partners 403."""

ACCESS_TEXT = {
    PUBLIC: "Anyone; items are filtered by their access policy and embargo.",
    PARTNER: "Partner or coordinator API key. Partners act only on their own items.",
    COORDINATOR: "Coordinator (admin) API key only.",
}

_ITEM = f"{STAC_PREFIX}/collections/{{collection_id}}/items/{{item_id}}"
_ITEMS = f"{STAC_PREFIX}/collections/{{collection_id}}/items"
_COLLECTION = f"{STAC_PREFIX}/collections/{{collection_id}}"

ROUTE_ACCESS: dict[tuple[str, str], str] = {
    ("GET", f"{STAC_PREFIX}/"): PUBLIC,
    ("GET", f"{STAC_PREFIX}/conformance"): PUBLIC,
    ("GET", f"{STAC_PREFIX}/collections"): PUBLIC,
    ("GET", _COLLECTION): PUBLIC,
    ("GET", _ITEMS): PUBLIC,
    ("GET", _ITEM): PUBLIC,
    ("GET", f"{STAC_PREFIX}/search"): PUBLIC,
    ("POST", f"{STAC_PREFIX}/search"): PUBLIC,
    ("GET", f"{STAC_PREFIX}/queryables"): PUBLIC,
    ("GET", f"{_COLLECTION}/queryables"): PUBLIC,
    ("GET", f"{STAC_PREFIX}/_mgmt/ping"): PUBLIC,
    ("GET", f"{STAC_PREFIX}/_mgmt/health"): PUBLIC,
    ("POST", _ITEMS): PARTNER,
    ("PUT", _ITEM): PARTNER,
    ("DELETE", _ITEM): PARTNER,
    ("POST", f"{STAC_PREFIX}/collections"): COORDINATOR,
    ("PUT", _COLLECTION): COORDINATOR,
    ("DELETE", _COLLECTION): COORDINATOR,
    ("GET", "/audit/reads"): PARTNER,
    # activations (api/activations.py): visibility of each follows its access policy
    ("POST", "/activations"): PARTNER,
    ("GET", "/activations"): PUBLIC,
    ("GET", "/activations/{activation_id}"): PUBLIC,
    ("GET", "/activations/{activation_id}/summary"): PUBLIC,
    ("GET", "/activations/{activation_id}/plan"): PUBLIC,
    ("GET", "/activations/{activation_id}/events"): PUBLIC,
    ("POST", "/activations/{activation_id}/acquisitions"): PARTNER,
    # registry, requests, plans, engine queries (api/registry.py, requests.py, plans.py,
    # engine_queries.py)
    ("GET", "/partners"): PUBLIC,
    ("GET", "/partners/{partner_id}"): PUBLIC,
    ("POST", "/partners"): COORDINATOR,
    ("GET", "/agreements"): PUBLIC,
    ("GET", "/agreements/{agreement_id}"): PUBLIC,
    ("GET", "/assets"): PUBLIC,
    ("GET", "/assets/{kind}/{asset_id}"): PUBLIC,
    ("POST", "/element-sets"): PARTNER,
    ("GET", "/element-sets"): PUBLIC,
    ("GET", "/element-sets/{norad_id}/history"): PUBLIC,
    ("POST", "/requests"): PARTNER,
    ("GET", "/requests"): PARTNER,
    ("GET", "/requests/{request_id}"): PARTNER,
    ("POST", "/plans"): COORDINATOR,
    ("GET", "/plans"): PARTNER,
    ("GET", "/plans/{plan_id}"): PARTNER,
    ("GET", "/passes"): PUBLIC,
    ("GET", "/passes.csv"): PUBLIC,
    ("GET", "/passes.ics"): PUBLIC,
    ("POST", "/access"): PUBLIC,
    # dashboard (api/fleet.py, api/web.py)
    ("GET", "/fleet/tracks"): PUBLIC,
    ("GET", "/"): PUBLIC,
    ("GET", "/ui/session"): PUBLIC,
    ("GET", "/ui/{path:path}"): PUBLIC,
}

# Operations that name records by id in their body, not only in the path: a 404 when
# one does not exist (or the caller may not see it).
BODY_REFERENCES: frozenset[tuple[str, str]] = frozenset(
    {
        ("POST", "/plans"),  # 'requests' and 'agreement'
    }
)
# Writes that store a record under a caller-chosen or derived id: a 409 when one
# with different content exists, or when a concurrent write wins the race (see
# spacepool.api.errors). The POST routes missing here only read.
CONFLICTING_WRITES: frozenset[tuple[str, str]] = frozenset(
    {
        ("POST", _ITEMS),
        ("PUT", _ITEM),
        ("POST", f"{STAC_PREFIX}/collections"),
        ("PUT", _COLLECTION),
        ("POST", "/activations"),
        ("POST", "/activations/{activation_id}/acquisitions"),
        ("POST", "/partners"),
        ("POST", "/element-sets"),
        ("POST", "/requests"),
        ("POST", "/plans"),
    }
)

# Creates that answer an identical re-post with 200 and the stored record (their
# route declares only the 201): the OpenAPI document gets the 200 as well.
IDEMPOTENT_CREATES: frozenset[tuple[str, str]] = frozenset(
    {
        ("POST", f"{STAC_PREFIX}/collections"),
        ("POST", "/partners"),
        ("POST", "/element-sets"),
        ("POST", "/requests"),
        ("POST", "/activations/{activation_id}/acquisitions"),
    }
)

_DEPENDENCY: dict[str, Callable[..., Any]] = {
    PUBLIC: current_viewer,
    PARTNER: require_partner,
    COORDINATOR: require_admin,
}


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    database_url: str | None = None, *, clock: Callable[[], datetime] | None = None
) -> FastAPI:
    """The spacepool API over the database at ``database_url`` (default:
    ``$SPACEPOOL_DATABASE_URL``, else ``./spacepool.sqlite``), migrated to the latest
    schema. ``clock`` gives "now" for embargo decisions (tests pass a fixed one)."""
    store = Store(database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(
        title="spacepool",
        version=__version__,
        description=(
            "Shared data service of a space-agency consortium: a STAC API whose items "
            "carry their owner's access policy and embargo. Authenticate with "
            "'Authorization: Bearer <key>'; without a key you see open data only."
        ),
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.clock = clock or _utc_now

    settings = ApiSettings(
        stac_fastapi_title="spacepool catalogue",
        stac_fastapi_description="Products and findings shared by the consortium's partners.",
        stac_fastapi_landing_id="spacepool",
        stac_fastapi_version=__version__,
        openapi_url="/openapi.json",
        docs_url="/docs",
    )
    core = CoreClient(landing_page_id="spacepool")
    StacApi(
        settings=settings,
        client=core,
        app=app,
        router=APIRouter(prefix=STAC_PREFIX),
        extensions=[
            ItemsAndCollectionsTransactions(client=TransactionsClient(core), settings=settings),
            filter_extension(),
        ],
        search_get_request_model=SearchGetRequest,
        search_post_request_model=SearchPostRequest,
        items_get_request_model=ItemsGetRequest,
        middlewares=[],
        exceptions={},
    )
    # Every REST query parameter given once unless it takes a list (the STAC routes
    # check their own: spacepool.api.stac._given_once).
    once = [Depends(single_values)]
    for router in (
        audit_router,
        activations_router,
        registry_router,
        requests_router,
        plans_router,
        engine_queries_router,
        fleet_router,
    ):
        app.include_router(router, dependencies=once)
    app.include_router(web_router)
    _declare_access(app)
    install_error_handlers(app)
    # GET /stac/search answered without the framework's per-request work; the
    # route's access must stay public for that (the fast path checks no role).
    if f"{STAC_PREFIX}/search" != SEARCH_PATH or ROUTE_ACCESS[("GET", SEARCH_PATH)] != PUBLIC:
        raise RuntimeError(f"the fast path of GET {SEARCH_PATH} does not match its route")
    app.add_middleware(SearchFastPath, client=core)
    setattr(app.state, FAST_SEARCH_ENABLED, True)
    app.add_middleware(RejectNulCharacters)  # outside the fast path: before any route
    return app


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every APIRoute, including those of included routers (FastAPI keeps those as
    sub-routers whose original routes serve the requests)."""
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:
            yield from _api_routes(original.routes)
        elif isinstance(route, APIRoute):
            yield route


def _declare_access(app: FastAPI) -> None:
    """Attach each route's auth dependency from ROUTE_ACCESS and write the role into
    the OpenAPI document; fail on a route the table does not know, or a table entry
    without a route."""
    seen: set[tuple[str, str]] = set()
    for route in _api_routes(app.router.routes):
        for method in sorted(route.methods or ()):
            key = (method, route.path)
            if key not in ROUTE_ACCESS:
                raise RuntimeError(f"{method} {route.path} has no entry in ROUTE_ACCESS")
            seen.add(key)
            role = ROUTE_ACCESS[key]
            add_route_dependencies(
                [route], [{"path": route.path, "method": method}], [Depends(_DEPENDENCY[role])]
            )
    missing = (set(ROUTE_ACCESS) | BODY_REFERENCES | CONFLICTING_WRITES | IDEMPOTENT_CREATES) - seen
    if missing:
        raise RuntimeError(
            f"ROUTE_ACCESS or an error table names routes that do not exist: {sorted(missing)}"
        )

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                role = ROUTE_ACCESS[(method.upper(), path)]
                operation["x-spacepool-access"] = role
                text = operation.get("description", "").strip()
                operation["description"] = f"{text}\n\nAccess: {ACCESS_TEXT[role]}".strip()
        declare_error_responses(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.openapi()


_ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _error_response(text: str) -> dict[str, Any]:
    return {"description": text, "content": {"application/json": {"schema": _ERROR_REF}}}


def declare_error_responses(schema: dict[str, Any]) -> None:
    """Declare in ``schema`` (an OpenAPI document, changed in place) the error
    answers each operation can give, all with the one ``Error`` body of
    :mod:`spacepool.api.errors` (and the 200 of IDEMPOTENT_CREATES):

    - 400 where the operation takes parameters or a body (validation errors are
      400, not FastAPI's 422, which is removed with its schemas);
    - 401 everywhere (a malformed or unknown key is refused on every route), and
      also for anonymous callers where ROUTE_ACCESS asks for a partner or admin;
    - 403 where ROUTE_ACCESS asks for a partner (acting on another partner's
      records) or the coordinator;
    - 404 where the path holds an id, or the body names records (BODY_REFERENCES);
    - 409 for the writes in CONFLICTING_WRITES.
    """
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = copy.deepcopy(ERROR_SCHEMA)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            key = (method.upper(), path)
            role = ROUTE_ACCESS[key]
            responses: dict[str, Any] = operation.setdefault("responses", {})
            responses.pop("422", None)
            if key in IDEMPOTENT_CREATES and "200" not in responses:
                responses["200"] = {
                    **responses["201"],
                    "description": "Identical re-post: the stored record, nothing changed.",
                }
            errors: dict[str, str] = {}
            if operation.get("parameters") or "requestBody" in operation:
                errors["400"] = (
                    "Invalid request: a parameter or the body is malformed or out of range."
                )
            if role == PUBLIC:
                errors["401"] = (
                    "The Authorization header is malformed, or the key is unknown or revoked."
                )
            else:
                errors["401"] = "No API key, or the key is malformed, unknown or revoked."
                errors["403"] = (
                    "The key's role may not do this: coordinator only, or another partner's record."
                )
            if "{" in path or key in BODY_REFERENCES:
                errors["404"] = "No such record, or the caller may not see it."
            if key in CONFLICTING_WRITES:
                errors["409"] = (
                    "A record with this id exists with different content, or a concurrent "
                    "write won the race."
                )
            for status, text in errors.items():
                responses.setdefault(status, _error_response(text))
            operation["responses"] = dict(sorted(responses.items()))
    # In this order: HTTPValidationError is the only user of ValidationError.
    for unused in ("HTTPValidationError", "ValidationError"):
        if f'"#/components/schemas/{unused}"' not in json.dumps(schema):
            schemas.pop(unused, None)
