"""The FastAPI application: STAC API at ``/stac``, audit log, OpenAPI, docs.

:data:`ROUTE_ACCESS` declares who may call every route. :func:`create_app` attaches
the matching auth dependency to each route, writes the declaration into the OpenAPI
document (``x-spacepool-access``), and refuses to start if a route is missing from
the table: no endpoint can appear without a declared role.
"""

from __future__ import annotations

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
from spacepool.api.engine_queries import router as engine_queries_router
from spacepool.api.errors import install_error_handlers
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
            ItemsAndCollectionsTransactions(client=TransactionsClient(core), settings=settings)
        ],
        search_get_request_model=SearchGetRequest,
        search_post_request_model=SearchPostRequest,
        items_get_request_model=ItemsGetRequest,
        middlewares=[],
        exceptions={},
    )
    app.include_router(audit_router)
    app.include_router(activations_router)
    app.include_router(registry_router)
    app.include_router(requests_router)
    app.include_router(plans_router)
    app.include_router(engine_queries_router)
    app.include_router(fleet_router)
    app.include_router(web_router)
    _declare_access(app)
    install_error_handlers(app)
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
    missing = set(ROUTE_ACCESS) - seen
    if missing:
        raise RuntimeError(f"ROUTE_ACCESS names routes that do not exist: {sorted(missing)}")

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
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.openapi()
