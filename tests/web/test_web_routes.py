"""The dashboard's routes: ``/``, ``/ui/...`` (pages rendered from the layout, files) and
``/ui/session``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from spacepool.api import create_app
from spacepool.api.web import PAGES, STATIC_ROOT, TILE_URL_VARIABLE
from spacepool.store.keys import create_api_key
from spacepool.store.partners import add_partner

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("web-routes")
    app = create_app(f"sqlite:///{folder / 'db.sqlite'}", clock=lambda: NOW)
    with app.state.store.transaction() as session:
        add_partner(session, "esa", "ESA", now=NOW)
        keys = {
            "esa": create_api_key(session, partner_id="esa", admin=False, now=NOW).key,
            "admin": create_api_key(session, partner_id=None, admin=True, now=NOW).key,
        }
    with TestClient(app) as client:
        yield client, keys


def test_the_root_leads_to_the_dashboard(world: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = world
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "ui/"
    page = client.get("/")
    assert page.url.path == "/ui/"
    assert page.content == PAGES["index.html"].body


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_page_is_served_from_the_layout_with_one_current_link_and_the_policy(
    world: tuple[TestClient, dict[str, str]], name: str
) -> None:
    client, _ = world
    response = client.get(f"/ui/{name}")
    assert response.status_code == 200
    assert response.content == PAGES[name].body
    nav = re.search(r"<nav [^>]*>(.*?)</nav>", response.text, re.DOTALL)
    assert nav is not None
    # Every page, once (their order: test_dashboard_files.py).
    assert sorted(re.findall(r'<a href="([a-z]+\.html)"', nav.group(1))) == sorted(PAGES)
    assert re.findall(r'<a href="([a-z]+\.html)" aria-current="page">', response.text) == [name]
    headers = response.headers
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["content-length"] == str(len(PAGES[name].body))
    assert headers["cache-control"] == "no-cache"
    assert headers["content-security-policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["etag"] == PAGES[name].etag
    assert re.fullmatch(r'"[0-9a-f]{32}"', headers["etag"])
    assert re.fullmatch(
        r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", headers["last-modified"]
    )


def test_the_folder_and_its_index_are_the_same_page(
    world: tuple[TestClient, dict[str, str]],
) -> None:
    client, _ = world
    folder, index = client.get("/ui/"), client.get("/ui/index.html")
    assert folder.content == index.content == PAGES["index.html"].body
    assert folder.headers["etag"] == index.headers["etag"]


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("js/fleet.js", "text/javascript; charset=utf-8"),
        ("css/dashboard.css", "text/css; charset=utf-8"),
        ("vendor/world-atlas/countries-110m.json", "application/json"),
        ("vendor/leaflet/images/marker-icon.png", "image/png"),
        ("favicon.svg", "image/svg+xml"),
    ],
)
def test_files_are_served_with_their_type_and_a_same_origin_policy(
    world: tuple[TestClient, dict[str, str]], path: str, media_type: str
) -> None:
    client, _ = world
    response = client.get(f"/ui/{path}")
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.content == (STATIC_ROOT / path).read_bytes()
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    expected_cache = "public, max-age=86400" if path.startswith("vendor/") else "no-cache"
    assert response.headers["cache-control"] == expected_cache


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/ui/%2e%2e/api/web.py", "climbs out of the folder (encoded dots)"),
        ("/ui/vendor/%2e%2e/%2e%2e/api/web.py", "climbs out from a subfolder"),
        ("/ui/nothing.html", "no such page"),
        ("/ui/js/", "a folder without index.html"),
        ("/ui/vendor/leaflet/LICENSE", "a file type the dashboard does not serve"),
    ],
)
def test_anything_else_under_ui_is_not_found(
    world: tuple[TestClient, dict[str, str]], path: str, reason: str
) -> None:
    client, _ = world
    response = client.get(path)
    assert response.status_code == 404, reason
    name = path.removeprefix("/ui/").replace("%2e", ".")
    assert response.json() == {
        "code": "not_found",
        "description": f"dashboard file {name!r} not found",
    }


@pytest.mark.parametrize(
    ("label", "viewer"),
    [
        ("anonymous", {"kind": "anonymous", "partner": None, "label": "anonymous"}),
        ("esa", {"kind": "partner", "partner": "esa", "label": "esa"}),
        ("admin", {"kind": "admin", "partner": None, "label": "admin"}),
    ],
)
def test_the_session_says_who_the_key_belongs_to(
    world: tuple[TestClient, dict[str, str]], label: str, viewer: dict[str, str | None]
) -> None:
    client, keys = world
    headers = {} if label == "anonymous" else {"Authorization": f"Bearer {keys[label]}"}
    answer = client.get("/ui/session", headers=headers).json()
    assert answer["viewer"] == viewer
    assert answer["tile_url"] is None  # offline basemap unless configured
    assert client.get("/ui/session", headers=headers).headers["cache-control"] == "no-store"


def test_a_wrong_key_is_refused_not_taken_for_anonymous(
    world: tuple[TestClient, dict[str, str]],
) -> None:
    client, _ = world
    response = client.get("/ui/session", headers={"Authorization": "Bearer sp_wrong_key"})
    assert response.status_code == 401


def test_a_tile_url_is_offered_and_allowed_by_the_policy(
    world: tuple[TestClient, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = world
    monkeypatch.setenv(TILE_URL_VARIABLE, "https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    monkeypatch.setenv("SPACEPOOL_TILE_ATTRIBUTION", "© Example tiles")
    answer = client.get("/ui/session").json()
    assert answer["tile_url"] == "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    assert answer["tile_attribution"] == "© Example tiles"
    policy = client.get("/ui/fleet.html").headers["content-security-policy"]
    assert "img-src 'self' data: https://*.tiles.example.org;" in policy
    assert "connect-src 'self'" in policy


def test_a_malformed_tile_url_is_named(
    world: tuple[TestClient, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = world
    monkeypatch.setenv(TILE_URL_VARIABLE, "tiles.example.org/{z}/{x}/{y}.png")
    response = client.get("/ui/session")
    assert response.status_code == 400
    assert response.json()["description"] == (
        "SPACEPOOL_TILE_URL: expected an http(s) URL template such as "
        "https://tiles.example.org/{z}/{x}/{y}.png, got 'tiles.example.org/{z}/{x}/{y}.png'"
    )


def test_the_dashboard_routes_stay_out_of_the_api_document(
    world: tuple[TestClient, dict[str, str]],
) -> None:
    client, _ = world
    paths = client.get("/openapi.json").json()["paths"]
    assert "/fleet/tracks" in paths
    assert paths["/fleet/tracks"]["get"]["x-spacepool-access"] == "public"
    assert not {"/", "/ui/session", "/ui/{path}", "/ui/{path:path}"} & set(paths)
