"""The dashboard's files, without a browser: every page is its fragment in the one
layout, every reference resolves to a shipped file, nothing points outside the
server, vendored files are unchanged, and the pages keep the habits that make them
usable (labels, navigation, a skip link)."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from spacepool.api.web import LAYOUT, PAGES, PAGES_ROOT, STATIC_ROOT, render_page, render_pages
from spacepool.errors import SpacepoolError

PAGE_NAMES = sorted(PAGES)
SCRIPTS = sorted((STATIC_ROOT / "js").glob("*.js"))
OWN_FILES = sorted(
    p
    for p in STATIC_ROOT.rglob("*")
    if p.is_file() and "vendor" not in p.relative_to(STATIC_ROOT).parts
) + sorted(p for p in LAYOUT.parent.rglob("*") if p.is_file())
NAVIGATION = [
    "index.html",
    "fleet.html",
    "activations.html",
    "plans.html",
    "catalogue.html",
    "passes.html",
]
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


def text_of(name: str) -> str:
    return PAGES[name].body.decode("utf-8")


def parse(name: str) -> References:
    parser = References()
    parser.feed(text_of(name))
    return parser


def test_the_six_pages_are_shipped_as_fragments_of_the_layout() -> None:
    assert [p.name for p in sorted(PAGES_ROOT.glob("*.html"))] == PAGE_NAMES
    # A page file among the static ones would be served as it is, without the layout.
    assert sorted(STATIC_ROOT.rglob("*.html")) == []
    assert PAGE_NAMES == [
        "activations.html",
        "catalogue.html",
        "fleet.html",
        "index.html",
        "passes.html",
        "plans.html",
    ]


@pytest.mark.parametrize("page", PAGE_NAMES)
def test_every_file_a_page_references_exists(page: str) -> None:
    for where, value in parse(page).references:
        if value.startswith("#"):
            continue
        assert not URL.match(value), f"{page} {where}={value} points outside the server"
        if value in PAGES:
            continue
        target = (STATIC_ROOT / value.split("?")[0]).resolve()
        assert target.is_file(), f"{page} {where}={value}: no such file"


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


@pytest.mark.parametrize("path", OWN_FILES, ids=lambda p: str(p.relative_to(STATIC_ROOT.parent)))
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


@pytest.mark.parametrize("page", PAGE_NAMES)
def test_every_form_control_has_a_label(page: str) -> None:
    parsed = parse(page)
    for tag, attrs in parsed.controls:
        if attrs.get("type") in ("hidden", "submit", "button"):
            continue
        named = attrs.get("id") in parsed.labelled or attrs.get("aria-label")
        assert named, f"{page}: <{tag} id={attrs.get('id')!r}> has no label"


@pytest.mark.parametrize("page", PAGE_NAMES)
def test_every_page_has_the_same_navigation_and_marks_itself(page: str) -> None:
    parsed = parse(page)
    assert [href for href, _ in parsed.nav] == NAVIGATION
    assert [href for href, current in parsed.nav if current == "page"] == [page]
    assert {"main", "page-status", "who", "sign-in", "sign-out", "login-dialog"} <= parsed.ids
    assert ("a.href", "#main") in parsed.references  # the skip link
    assert text_of(page).startswith('<!doctype html>\n<html lang="en">\n')


# --- the layout ------------------------------------------------------------------------


def frame_of(page: str) -> str:
    """The page without its own parts (title, head scripts, main's class and content)
    and without its navigation mark: what the layout gives every page."""
    text = text_of(page).replace(f'<a href="{page}" aria-current="page">', f'<a href="{page}">')
    text = re.sub(r"<title>.*</title>", "<title/>", text)
    text = re.sub(r'  <link rel="stylesheet" href="vendor/[^"]+">\n', "", text)
    text = re.sub(r"  <script [^>]*></script>\n", "", text)
    return re.sub(
        r'<main id="main"[^>]*>\n    <div id="page-status"></div>\n.*  </main>',
        "<main/>",
        text,
        flags=re.DOTALL,
    )


def test_every_page_is_framed_by_the_same_layout() -> None:
    frames = {page: frame_of(page) for page in PAGE_NAMES}
    assert "<main/>" in frames["index.html"]
    assert "</header>" in frames["index.html"] and "</dialog>" in frames["index.html"]
    assert {page: frame == frames["index.html"] for page, frame in frames.items()} == dict.fromkeys(
        PAGE_NAMES, True
    )


@pytest.mark.parametrize("page", PAGE_NAMES)
def test_every_page_has_its_title_module_and_content_in_the_layout(page: str) -> None:
    text = text_of(page)
    assert re.search(r"<title>[A-Z][a-z ]+ · spacepool</title>", text)
    assert text.count('<script type="module" src="js/') == 1
    assert "$" not in text  # every placeholder of the layout was filled
    assert text.count("<h1") == 1
    # Map pages load Leaflet's style sheet before the dashboard's (which overrides it)
    # and its scripts after.
    if "leaflet" in text:
        assert text.index("leaflet.css") < text.index("dashboard.css") < text.index("leaflet.js")


LAYOUT_TEXT = LAYOUT.read_text("utf-8")
GOOD_SETTINGS = "<!--\ntitle: Test\nmodule: js/test.js\n-->\n"


def test_a_fragment_is_rendered_into_the_layout_with_its_settings() -> None:
    fragment = (
        "<!--\ntitle: Fleet & more\nstyles: a.css b.css\nscripts: a.js\n"
        "module: js/fleet.js\nmain-class: wide\n-->\n<h1>Hello</h1>\n\n<p>$5 <b>x</b></p>\n"
    )
    text = render_page("plans.html", fragment, LAYOUT_TEXT)
    assert "<title>Fleet &amp; more · spacepool</title>" in text
    assert (
        '  <link rel="stylesheet" href="a.css">\n  <link rel="stylesheet" href="b.css">\n'
        '  <link rel="stylesheet" href="css/dashboard.css">\n'
        '  <script defer src="a.js"></script>\n'
        '  <script type="module" src="js/fleet.js"></script>\n</head>\n'
    ) in text
    assert (
        '<main id="main" class="wide" aria-busy="true">\n'
        '    <div id="page-status"></div>\n'
        "    <h1>Hello</h1>\n\n    <p>$5 <b>x</b></p>\n  </main>\n"
    ) in text
    assert '<li><a href="plans.html" aria-current="page">Plans</a></li>' in text
    assert text.count("aria-current") == 1
    bare = render_page("plans.html", GOOD_SETTINGS + "<h1>Hi</h1>\n", LAYOUT_TEXT)
    assert '<main id="main" aria-busy="true">' in bare
    unended = render_page("plans.html", GOOD_SETTINGS + "<h1>Hi</h1>", LAYOUT_TEXT)
    assert "    <h1>Hi</h1>\n  </main>\n" in unended
    assert (
        '  <link rel="icon" href="favicon.svg" type="image/svg+xml">\n  <link rel="stylesheet" href="css/dashboard.css">\n  <script type="module"'
        in bare
    )


BAD_FRAGMENTS = [
    (
        "index.html",
        "<h1>No settings</h1>\n",
        "dashboard page index.html: expected its settings first, in a comment from a line "
        "'<!--' to a line '-->' (title: ..., module: js/....js), then its content",
        "no settings comment",
    ),
    (
        "index.html",
        "<!--\ntitle Consortium\nmodule: js/consortium.js\n-->\n",
        "dashboard page index.html: expected a setting 'name: value', got 'title Consortium'",
        "a setting without its colon",
    ),
    (
        "index.html",
        "<!--\ntitle: Consortium\nscript: js/consortium.js\n-->\n",
        "dashboard page index.html: unknown setting 'script' "
        "(known: main-class, module, scripts, styles, title)",
        "a misspelt setting",
    ),
    (
        "index.html",
        "<!--\nmodule: js/consortium.js\n-->\n",
        "dashboard page index.html: missing setting title",
        "no title",
    ),
    (
        "help.html",
        GOOD_SETTINGS,
        "dashboard page help.html: the layout's navigation should link to it once "
        '(<a href="help.html">...</a>), found 0 links',
        "a page the navigation does not list",
    ),
]


@pytest.mark.parametrize(
    ("name", "fragment", "expected", "reason"), BAD_FRAGMENTS, ids=[b[3] for b in BAD_FRAGMENTS]
)
def test_a_fragment_that_does_not_fit_is_named_at_start(
    name: str, fragment: str, expected: str, reason: str
) -> None:
    with pytest.raises(SpacepoolError) as raised:
        render_page(name, fragment, LAYOUT_TEXT)
    assert str(raised.value) == expected, reason


def test_a_layout_placeholder_without_a_value_is_named(tmp_path: Path) -> None:
    layout = tmp_path / "layout.html"
    layout.write_text(LAYOUT_TEXT.replace("<title>$title", "<title>$heading"), "utf-8")
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "index.html").write_text(GOOD_SETTINGS + "<h1>Hi</h1>\n", "utf-8")
    with pytest.raises(SpacepoolError) as raised:
        render_pages(pages, layout)
    assert str(raised.value) == (
        "dashboard layout line 6: unknown or malformed placeholder ('heading') in "
        "'<title>$heading · spacepool</title>'; the layout knows $content, $main_class, "
        "$module, $scripts, $styles, $title"
    )
