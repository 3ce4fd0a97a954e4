"""The dashboard's files, without a browser: every reference resolves to a shipped
file, nothing points outside the server, vendored files are unchanged, and the pages
keep the habits that make them usable (labels, navigation, a skip link)."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from spacepool.api.web import STATIC_ROOT

PAGES = sorted(STATIC_ROOT.glob("*.html"))
SCRIPTS = sorted((STATIC_ROOT / "js").glob("*.js"))
OWN_FILES = sorted(
    p
    for p in STATIC_ROOT.rglob("*")
    if p.is_file() and "vendor" not in p.relative_to(STATIC_ROOT).parts
)
# Namespace names are identifiers that happen to look like URLs; nothing is fetched.
NAMESPACES = {"http://www.w3.org/2000/svg"}
URL = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s"'`)]*""")


class References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.references: list[tuple[str, str]] = []  # (tag.attribute, value)
        self.ids: set[str] = set()
        self.labelled: set[str] = set()
        self.controls: list[tuple[str, dict[str, str | None]]] = []
        self.nav: list[tuple[str, str | None]] = []
        self._in_nav = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name in ("src", "href"):
            if a.get(name):
                self.references.append((f"{tag}.{name}", str(a[name])))
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "label" and a.get("for"):
            self.labelled.add(str(a["for"]))
        if tag in ("input", "select", "textarea"):
            self.controls.append((tag, a))
        if tag == "nav":
            self._in_nav = True
        if tag == "a" and self._in_nav:
            self.nav.append((str(a["href"]), a.get("aria-current")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._in_nav = False


def parse(page: Path) -> References:
    parser = References()
    parser.feed(page.read_text("utf-8"))
    return parser


def test_the_six_pages_are_shipped() -> None:
    assert [p.name for p in PAGES] == [
        "activations.html",
        "catalogue.html",
        "fleet.html",
        "index.html",
        "passes.html",
        "plans.html",
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_file_a_page_references_exists(page: Path) -> None:
    for where, value in parse(page).references:
        if value.startswith("#"):
            continue
        assert not URL.match(value), f"{page.name} {where}={value} points outside the server"
        target = (page.parent / value.split("?")[0]).resolve()
        assert target.is_file(), f"{page.name} {where}={value}: no such file"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_module_a_script_imports_exists(script: Path) -> None:
    text = script.read_text("utf-8")
    imports = re.findall(r"""\bfrom\s+"([^"]+)"|\bimport\s*\(\s*"([^"]+)"\s*\)""", text)
    for static, dynamic in imports:
        target = static or dynamic
        assert target.startswith("./"), f"{script.name} imports {target!r}: only local modules"
        assert (script.parent / target).is_file(), f"{script.name} imports missing {target}"
    for base in re.findall(r"""new URL\("([^"]+/)", import\.meta\.url\)""", text):
        folder = (script.parent / base).resolve()
        assert folder.is_dir(), f"{script.name}: {base} is not a folder of the dashboard"


def test_the_basemap_files_the_map_asks_for_exist() -> None:
    text = (STATIC_ROOT / "js" / "map.js").read_text("utf-8")
    names = set(re.findall(r'"(countries-\d+m)"', text))
    assert names == {"countries-110m", "countries-50m"}
    for name in names:
        assert (STATIC_ROOT / "vendor" / "world-atlas" / f"{name}.json").is_file()


@pytest.mark.parametrize("path", OWN_FILES, ids=lambda p: str(p.relative_to(STATIC_ROOT)))
def test_no_dashboard_file_references_an_external_url(path: Path) -> None:
    found = {m.group(0) for m in URL.finditer(path.read_text("utf-8"))} - NAMESPACES
    assert found == set()


def test_vendored_files_are_the_ones_in_the_manifest() -> None:
    vendor = STATIC_ROOT / "vendor"
    listed = {}
    for line in (vendor / "MANIFEST.txt").read_text("utf-8").splitlines():
        match = re.fullmatch(r"([0-9a-f]{64})  \./(.+)", line)
        if match:
            listed[match.group(2)] = match.group(1)
    present = {
        str(p.relative_to(vendor))
        for p in vendor.rglob("*")
        if p.is_file() and p.name != "MANIFEST.txt"
    }
    assert set(listed) == present
    for name, digest in listed.items():
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_form_control_has_a_label(page: Path) -> None:
    parsed = parse(page)
    for tag, attrs in parsed.controls:
        if attrs.get("type") in ("hidden", "submit", "button"):
            continue
        named = attrs.get("id") in parsed.labelled or attrs.get("aria-label")
        assert named, f"{page.name}: <{tag} id={attrs.get('id')!r}> has no label"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_page_has_the_same_navigation_and_marks_itself(page: Path) -> None:
    parsed = parse(page)
    assert [href for href, _ in parsed.nav] == [
        "index.html",
        "fleet.html",
        "activations.html",
        "plans.html",
        "catalogue.html",
        "passes.html",
    ]
    assert [href for href, current in parsed.nav if current == "page"] == [page.name]
    assert {"main", "page-status", "who", "sign-in", "sign-out", "login-dialog"} <= parsed.ids
    assert ("a.href", "#main") in parsed.references  # the skip link
    assert '<html lang="en">' in page.read_text("utf-8")
