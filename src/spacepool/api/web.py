"""The dashboard: its pages, scripts and styles under ``/ui/``, and ``/`` leading there.

Scripts, styles and the vendored map library and basemap are plain files in
``spacepool/web/static`` (no build step), so nothing is fetched from elsewhere. The
pages share one layout, ``spacepool/web/templates/layout.html`` (head, header,
navigation, sign-in dialog); each page is a fragment in
``spacepool/web/templates/pages/`` holding its settings and the content of its
``<main>``. The pages are rendered once, when this module is imported (the app
starts), and served from memory with an ETag and Last-Modified as the files are;
see :func:`render_page`.

Every answer carries a Content-Security-Policy that allows this server only (plus
the origin of the optional tile server), so a page that tried to load from a CDN
would fail in the browser, not silently work online.

``GET /ui/session`` tells a page who its stored key belongs to and the map
settings. Settings (environment):

- ``SPACEPOOL_TILE_URL``: a raster tile URL template (``https://host/{z}/{x}/{y}.png``)
  drawn under the countries for online use; unset (the default) = offline basemap.
- ``SPACEPOOL_TILE_ATTRIBUTION``: the attribution text the tile provider requires.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from string import Template
from typing import Annotated, Any, Final
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response

from spacepool import __version__
from spacepool.api.auth import viewer_of
from spacepool.errors import InputError, NotFoundError, SpacepoolError

router = APIRouter(tags=["Dashboard"], include_in_schema=False)

WEB_ROOT: Final = Path(__file__).resolve().parents[1] / "web"
STATIC_ROOT: Final = WEB_ROOT / "static"
LAYOUT: Final = WEB_ROOT / "templates" / "layout.html"
PAGES_ROOT: Final = WEB_ROOT / "templates" / "pages"
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


# --- pages: one layout, a fragment per page -----------------------------------------

# A fragment starts with its settings, one "name: value" a line, in an HTML comment.
FRAGMENT: Final = re.compile(r"<!--\n(?P<settings>.*?)\n-->\n(?P<content>.*)", re.DOTALL)
SETTING: Final = re.compile(r"(?P<name>[a-z-]+):\s*(?P<value>.*\S)")
REQUIRED_SETTINGS: Final = frozenset({"title", "module"})
OPTIONAL_SETTINGS: Final = frozenset({"styles", "scripts", "main-class"})
# A layout line holding only a placeholder takes a block of lines, each indented as
# the placeholder is; an empty block drops the line.
BLOCK_LINE: Final = re.compile(r"(?P<indent>[ ]*)\$(?P<name>[a-z_]+)\n?")


@dataclass(frozen=True)
class Page:
    """A rendered page, as served: its bytes and validators."""

    name: str
    body: bytes
    etag: str
    last_modified: str


def _settings(name: str, fragment: str) -> tuple[dict[str, str], str]:
    """The settings and the ``<main>`` content of the fragment ``name``."""
    match = FRAGMENT.fullmatch(fragment)
    if match is None:
        raise SpacepoolError(
            f"dashboard page {name}: expected its settings first, in a comment from a line "
            "'<!--' to a line '-->' (title: ..., module: js/....js), then its content"
        )
    settings: dict[str, str] = {}
    for line in match.group("settings").splitlines():
        setting = SETTING.fullmatch(line.strip())
        if setting is None:
            raise SpacepoolError(
                f"dashboard page {name}: expected a setting 'name: value', got {line!r}"
            )
        key = setting.group("name")
        if key not in REQUIRED_SETTINGS | OPTIONAL_SETTINGS:
            known = ", ".join(sorted(REQUIRED_SETTINGS | OPTIONAL_SETTINGS))
            raise SpacepoolError(f"dashboard page {name}: unknown setting {key!r} (known: {known})")
        settings[key] = setting.group("value")
    missing = sorted(REQUIRED_SETTINGS - settings.keys())
    if missing:
        raise SpacepoolError(f"dashboard page {name}: missing setting {', '.join(missing)}")
    return settings, match.group("content")


def _mark_current(layout: str, name: str) -> str:
    """The layout with its navigation link to ``name`` marked as the current page."""
    link = f'<a href="{name}">'
    if layout.count(link) != 1:
        raise SpacepoolError(
            f"dashboard page {name}: the layout's navigation should link to it once "
            f"({link}...</a>), found {layout.count(link)} links"
        )
    return layout.replace(link, f'<a href="{name}" aria-current="page">')


def _fill(layout: str, fields: Mapping[str, str], blocks: Mapping[str, str]) -> str:
    """``layout`` with ``$name`` placeholders filled: a line holding only a block's
    placeholder takes the block's lines, indented alike (none: the line goes); any
    other ``$name`` takes a field's value (``string.Template``, ``$$`` for a dollar)."""
    out: list[str] = []
    for number, line in enumerate(layout.splitlines(keepends=True), start=1):
        block = BLOCK_LINE.fullmatch(line)
        if block is not None and block.group("name") in blocks:
            text = blocks[block.group("name")]
            if text:
                ended = text if text.endswith("\n") else text + "\n"
                out.append(textwrap.indent(ended, block.group("indent")))
            continue
        try:
            out.append(Template(line).substitute(fields))
        except (KeyError, ValueError) as error:
            known = ", ".join(f"${k}" for k in sorted({*fields, *blocks}))
            raise SpacepoolError(
                f"dashboard layout line {number}: unknown or malformed placeholder "
                f"({error}) in {line.strip()!r}; the layout knows {known}"
            ) from None
    return "".join(out)


def render_page(name: str, fragment: str, layout: str) -> str:
    """The page ``name`` (``fleet.html``): the fragment's content in the layout.

    The fragment starts with its settings, then holds the content of ``<main>``
    (without ``<div id="page-status">``, which the layout has)::

        <!--
        title: Fleet map                    (the <title>, before " · spacepool")
        styles: vendor/leaflet/leaflet.css  (style sheets before the dashboard's)
        scripts: vendor/leaflet/leaflet.js  (classic scripts, deferred)
        module: js/fleet.js                 (the page's module)
        main-class: wide                    (class of <main>)
        -->
        <h1 class="sr-only">Fleet map</h1>
        ...

    ``styles`` and ``scripts`` list paths separated by spaces, in order. The layout's
    navigation link to ``name`` gets ``aria-current="page"``. A fragment or layout
    that does not fit raises :class:`SpacepoolError` naming the page or line.
    """
    settings, content = _settings(name, fragment)

    def attribute(value: str) -> str:
        return html.escape(value, quote=True)

    styles = "".join(
        f'<link rel="stylesheet" href="{attribute(href)}">\n'
        for href in settings.get("styles", "").split()
    )
    scripts = "".join(
        f'<script defer src="{attribute(src)}"></script>\n'
        for src in settings.get("scripts", "").split()
    )
    main_class = settings.get("main-class")
    fields = {
        "title": html.escape(settings["title"], quote=False),
        "module": attribute(settings["module"]),
        "main_class": f' class="{attribute(main_class)}"' if main_class else "",
    }
    blocks = {"styles": styles, "scripts": scripts, "content": content}
    return _fill(_mark_current(layout, name), fields, blocks)


def render_pages(pages_root: Path = PAGES_ROOT, layout: Path = LAYOUT) -> dict[str, Page]:
    """Every page of ``pages_root`` rendered in ``layout``, by file name."""
    layout_text = layout.read_text("utf-8")
    pages: dict[str, Page] = {}
    for fragment in sorted(pages_root.glob("*.html")):
        body = render_page(fragment.name, fragment.read_text("utf-8"), layout_text).encode()
        newest = max(fragment.stat().st_mtime, layout.stat().st_mtime)
        pages[fragment.name] = Page(
            name=fragment.name,
            body=body,
            etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"',
            last_modified=formatdate(newest, usegmt=True),
        )
    return pages


PAGES: Final = render_pages()


def page_of(relative: str) -> Page | None:
    """The rendered page named by the URL path ``relative`` (a folder means its
    ``index.html``), or ``None`` when it names no page."""
    name = relative or "index.html"
    if name.endswith("/"):
        name += "index.html"
    root = STATIC_ROOT.resolve()
    candidate = (root / name).resolve()
    if candidate.parent != root:
        return None
    return PAGES.get(candidate.name)


# --- files -------------------------------------------------------------------------


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
) -> Response:
    """A page, script, style sheet or vendored asset of the dashboard."""
    viewer_of(request)
    page = page_of(path)
    if page is not None:
        headers = _headers(PAGE_CACHE)
        headers["ETag"] = page.etag
        headers["Last-Modified"] = page.last_modified
        return Response(page.body, media_type=MEDIA_TYPES[".html"], headers=headers)
    file = static_file(path)
    cache = VENDOR_CACHE if path.startswith("vendor/") else PAGE_CACHE
    return FileResponse(file, media_type=MEDIA_TYPES[file.suffix], headers=_headers(cache))
