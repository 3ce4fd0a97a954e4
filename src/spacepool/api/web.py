"""The dashboard: static pages under ``/ui/``, and ``/`` leading there.

The pages are plain HTML, CSS and JavaScript modules in ``spacepool/web/static``
(no build step); the map library and basemap are vendored beside them, so nothing
is fetched from elsewhere. Every answer carries a Content-Security-Policy that
allows this server only (plus the origin of the optional tile server), so a page
that tried to load from a CDN would fail in the browser, not silently work online.

``GET /ui/session`` tells a page who its stored key belongs to and the map
settings. Settings (environment):

- ``SPACEPOOL_TILE_URL``: a raster tile URL template (``https://host/{z}/{x}/{y}.png``)
  drawn under the countries for online use; unset (the default) = offline basemap.
- ``SPACEPOOL_TILE_ATTRIBUTION``: the attribution text the tile provider requires.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Final
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse

from spacepool import __version__
from spacepool.api.auth import viewer_of
from spacepool.errors import InputError, NotFoundError

router = APIRouter(tags=["Dashboard"], include_in_schema=False)

STATIC_ROOT: Final = Path(__file__).resolve().parents[1] / "web" / "static"
TILE_URL_VARIABLE: Final = "SPACEPOOL_TILE_URL"
TILE_ATTRIBUTION_VARIABLE: Final = "SPACEPOOL_TILE_ATTRIBUTION"

# Explicit types: the platform's mimetypes table varies (some map .js to text/plain,
# which browsers refuse for module scripts).
MEDIA_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}
# Vendored files change only with a new pinned version; pages and scripts of the
# dashboard are revalidated on every load so an upgrade shows at once.
VENDOR_CACHE: Final = "public, max-age=86400"
PAGE_CACHE: Final = "no-cache"


def tile_url() -> str | None:
    """The configured tile URL template, or ``None`` (offline basemap only)."""
    value = os.environ.get(TILE_URL_VARIABLE, "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(
            f"{TILE_URL_VARIABLE}: expected an http(s) URL template such as "
            f"https://tiles.example.org/{{z}}/{{x}}/{{y}}.png, got {value!r}"
        )
    return value


def content_security_policy(tiles: str | None) -> str:
    """This server only; images also from the tile server's origin when one is set."""
    images = "'self' data:"
    if tiles is not None:
        parts = urlsplit(tiles)
        images += f" {parts.scheme}://{parts.netloc.replace('{s}', '*')}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src {images}; connect-src 'self'; font-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _headers(cache: str) -> dict[str, str]:
    return {
        "Cache-Control": cache,
        "Content-Security-Policy": content_security_policy(tile_url()),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


def static_file(relative: str) -> Path:
    """The file under :data:`STATIC_ROOT` named by the URL path ``relative``
    (a folder means its ``index.html``); :class:`NotFoundError` for anything else,
    including paths that climb out of the folder."""
    name = relative or "index.html"
    if name.endswith("/"):
        name += "index.html"
    root = STATIC_ROOT.resolve()
    candidate = (root / name).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        raise NotFoundError("dashboard file", relative)
    if candidate.suffix not in MEDIA_TYPES:
        raise NotFoundError("dashboard file", relative)
    return candidate


@router.get("/")
def home(request: Request) -> RedirectResponse:
    """The dashboard's first page."""
    viewer_of(request)
    return RedirectResponse("ui/", status_code=307)


@router.get("/ui/session")
def session(request: Request) -> JSONResponse:
    """Who the request's key belongs to, and the map settings."""
    viewer = viewer_of(request)
    body: dict[str, Any] = {
        "viewer": {"kind": viewer.kind, "partner": viewer.partner_id, "label": viewer.label},
        "tile_url": tile_url(),
        "tile_attribution": os.environ.get(TILE_ATTRIBUTION_VARIABLE, "").strip() or None,
        "version": __version__,
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/ui/{path:path}")
def ui_file(
    request: Request, path: Annotated[str, PathParam(description="A dashboard file.")]
) -> FileResponse:
    """A page, script, style sheet or vendored asset of the dashboard."""
    viewer_of(request)
    file = static_file(path)
    cache = VENDOR_CACHE if path.startswith("vendor/") else PAGE_CACHE
    return FileResponse(file, media_type=MEDIA_TYPES[file.suffix], headers=_headers(cache))
