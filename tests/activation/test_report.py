"""The activation report: one self-contained, well-formed, accessible HTML page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import numpy as np
import pytest

from spacepool.activation.cooperation import Comparison, Potential, coalitions
from spacepool.activation.report import (
    GroundTrack,
    MapFrame,
    ReportData,
    TimelineBar,
    chart_svg,
    render_report,
    write_chart,
    write_report,
)
from spacepool.errors import InputError

T0 = datetime(2026, 5, 31, tzinfo=UTC)
H = 3600.0
EVIL = '<script>alert("x")</script>'
VALENCIA = {
    "type": "Polygon",
    "coordinates": [[[-1.2, 38.9], [0.2, 38.9], [0.2, 39.9], [-1.2, 39.9], [-1.2, 38.9]]],
}
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class Page(HTMLParser):
    """Collects elements (tag, attributes) and checks that every element is closed in
    order (html.parser itself accepts anything)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag: str, cls: str | None = None) -> list[dict[str, str | None]]:
        return [
            a
            for t, a in self.elements
            if t == tag and (cls is None or cls in (a.get("class") or "").split())
        ]


def parse(page: str) -> Page:
    parser = Page()
    parser.feed(page)
    parser.close()
    assert parser.errors == []
    assert parser.stack == []
    return parser


def comparison(partners=("esa", "jaxa", EVIL), area=VALENCIA) -> Comparison:
    """esa images at 2 h and 10 h, jaxa at 5 h, the evil partner never."""
    found = Potential.of(
        T0,
        T0 + timedelta(hours=24),
        partners,
        [
            ("S1A", "esa", 2 * H, 2 * H + 60, "c-sar"),
            ("S1A", "esa", 10 * H, 10 * H + 60, "c-sar"),
            ("ALOS-4", "jaxa", 5 * H, 5 * H + 90, "palsar-3"),
        ],
        [
            ("S1A", "Kiruna", "esa", 2.5 * H, 2.5 * H + 500),
            ("ALOS-4", "Katsuura", "jaxa", 6 * H, 6 * H + 400),
        ],
    )
    pool, alone, without = coalitions(found)
    return Comparison(
        dict(area), found.start, found.end, pool, alone, without, area_name="Valencia"
    )


def footprint(partner: str, lon0: float) -> dict:
    ring = [[lon0, 39.0], [lon0 + 0.3, 39.0], [lon0 + 0.3, 39.8], [lon0, 39.8], [lon0, 39.0]]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {
            "satellite": "S1A",
            "partner": partner,
            "instrument": "c-sar",
            "start": "2026-05-31T02:00:00.000Z",
            "end": "2026-05-31T02:01:00.000Z",
        },
    }


def track(partner: str, lon: np.ndarray, lat: np.ndarray) -> GroundTrack:
    times = tuple(T0 + timedelta(seconds=20.0 * i) for i in range(lon.size))
    return GroundTrack("S1A", partner, times, tuple(lat.tolist()), tuple(lon.tolist()))


def report_data(**changes) -> ReportData:
    data = {
        "title": "Flood in Valencia",
        "summary": {
            "activation_id": "act-0007",
            "event_time": "2026-05-31T01:00:00.000Z",
            "planned_at": "2026-05-31T01:05:00.000Z",
            "compute_seconds": 1.234,
            "first_acquisition": {
                "time": "2026-05-31T02:00:00.000Z",
                "partner": "esa",
                "satellite": "S1A",
                "instrument": "c-sar",
            },
            "first_delivery_time": "2026-05-31T02:38:20.000Z",
            "hours_to_first_acquisition": {"pool": 1.0, "esa": 1.0, "jaxa": 4.0, EVIL: None},
            "acquisitions": 3,
            "products_published": 2,
        },
        "area": VALENCIA,
        "footprints": [footprint("esa", -1.1), footprint("jaxa", -0.6), footprint(EVIL, -0.2)],
        "ground_tracks": [track("esa", np.linspace(-3.0, 1.0, 40), np.linspace(35.0, 44.0, 40))],
        "timeline": [
            TimelineBar(
                "S1A",
                "acquisition",
                T0 + timedelta(hours=2),
                T0 + timedelta(hours=2, minutes=1),
                "esa",
                "S1A c-sar",
            ),
            TimelineBar(
                "Kiruna",
                "downlink",
                T0 + timedelta(hours=2.5),
                T0 + timedelta(hours=2.64),
                "esa",
                "S1A to Kiruna",
            ),
            TimelineBar(
                EVIL, "acquisition", T0 + timedelta(hours=7), T0 + timedelta(hours=7.1), EVIL, EVIL
            ),
        ],
        "comparison": comparison(),
    }
    data.update(changes)
    return ReportData(**data)


@pytest.fixture(scope="module")
def page() -> str:
    return render_report(report_data())


def test_report_is_well_formed_html_with_the_sections(page):
    parsed = parse(page)
    assert page.startswith("<!DOCTYPE html>")
    assert [a for t, a in parsed.elements if t == "html"] == [{"lang": "en"}]
    assert len(parsed.all("h1")) == 1
    headings = re.findall(r"<h2[^>]*>([^<]+)</h2>", page)
    assert headings == ["Key numbers", "Map", "Timeline", "Value of cooperation", "Summary data"]


def test_report_links_to_nothing_outside(page):
    parsed = parse(page)
    for _, attrs in parsed.elements:
        for name in ("src", "href", "xlink:href", "action", "data"):
            value = attrs.get(name) or ""
            assert not re.match(r"\s*(https?:)?//", value), (name, value)
    # Not even the SVG namespace: inline SVG in HTML needs none, so no URL appears at all.
    assert "http" not in page
    assert "<script" not in page
    assert "@import" not in page and "url(" not in page.replace("url(#map-clip)", "")
    assert parsed.all("link") == [] and parsed.all("img") == []


def test_every_name_is_escaped(page):
    assert EVIL not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    parsed = parse(page)
    assert parsed.all("script") == []
    assert EVIL in "".join(parsed.text)  # shown to the reader as text


def test_map_has_the_area_one_path_per_footprint_and_the_tracks(page):
    parsed = parse(page)
    assert len(parsed.all("path", "area")) == 1
    footprints = parsed.all("path", "footprint")
    assert [f["data-partner"] for f in footprints] == ["esa", "jaxa", EVIL]
    assert all(f["d"].startswith("M") and f["d"].endswith("Z") for f in footprints)
    assert len(parsed.all("polyline", "track")) == 1
    assert parsed.all("path", "country")  # Spain at least
    assert "Spain" in page


def test_timeline_has_one_bar_per_entry_and_the_event_marker(page):
    parsed = parse(page)
    assert len(parsed.all("rect", "bar-acquisition")) == 2
    assert len(parsed.all("rect", "bar-downlink")) == 1
    assert len(parsed.all("g", "marker")) == 2  # the event and the first acquisition
    assert ">event</text>" in page


def test_cooperation_table_and_one_bar_per_coalition_that_images(page):
    parsed = parse(page)
    # pool, esa and jaxa image the area; the third partner never does: no bar, words.
    bars = parsed.all("rect", "bar")
    assert [b["data-name"] for b in bars] == ["pool", "esa", "jaxa"]
    assert len(parsed.all("text", "no-bar")) == 1
    assert len(parsed.all("th", None)) > 0
    scopes = [a.get("scope") for t, a in parsed.elements if t == "th"]
    assert scopes.count("col") == 8
    assert scopes.count("row") == 1 + 3 + 3  # the pool, each alone, each without
    assert "Adds most: <strong>esa</strong>" in page


def test_svgs_are_labelled_for_screen_readers(page):
    parsed = parse(page)
    svgs = parsed.all("svg")
    assert len(svgs) == 3
    for svg in svgs:
        assert svg["role"] == "img"
        ids = (svg.get("aria-labelledby") or "").split()
        assert len(ids) == 2 and all(f'id="{i}"' in page for i in ids)


def test_key_numbers_come_from_the_summary(page):
    assert "act-0007" in page
    # First acquisition 1.0 h and first delivery 1.6 h after the event at 01:00.
    assert '<span class="value">1.0 h</span>' in page
    assert '<span class="value">1.6 h</span>' in page
    assert "by S1A, esa, c-sar" in page


def test_point_area_and_empty_timeline_still_render():
    point = {"type": "Point", "coordinates": [-0.38, 39.47]}
    page = render_report(
        report_data(
            area=point,
            timeline=[],
            footprints=[],
            ground_tracks=[],
            comparison=comparison(area=point),
        )
    )
    parsed = parse(page)
    assert len(parsed.all("circle", "area")) == 1
    assert "No acquisition or downlink to show." in page


def test_map_window_keeps_the_area_and_its_proportions():
    frame = MapFrame.around((-1.2, 38.9, 0.2, 39.9))
    assert frame.west < -1.2 and frame.east > 0.2 and frame.south < 38.9 and frame.north > 39.9
    x, y = frame.xy(np.array([frame.west, frame.east]), np.array([frame.north, frame.south]))
    assert x.tolist() == pytest.approx([0.0, frame.width_px])
    assert y.tolist() == pytest.approx([0.0, frame.height_px])
    assert frame.width_px <= 960.0 + 1e-9 and frame.height_px <= 640.0 + 1e-9


def test_area_across_the_antimeridian_is_drawn_in_one_piece():
    fiji = {
        "type": "Polygon",
        "coordinates": [
            [[177.0, -19.0], [-179.0, -19.0], [-179.0, -16.0], [177.0, -16.0], [177.0, -19.0]]
        ],
    }
    crossing = track(
        "esa",
        np.r_[np.linspace(178.0, 180.0, 10), np.linspace(-179.8, -178.0, 10)],
        np.linspace(-20.0, -15.0, 20),
    )
    data = report_data(
        area=fiji, footprints=[], ground_tracks=[crossing], comparison=comparison(area=fiji)
    )
    parsed = parse(render_report(data))
    (svg,) = [a for a in parsed.all("svg", "map")]
    width = float(svg["width"])
    (area,) = parsed.all("path", "area")
    xs = [float(v) for v in re.findall(r"[ML]\s*(-?[\d.]+),", area["d"])]
    assert min(xs) > 0.0 and max(xs) < width  # not split across the map's edges
    (line,) = parsed.all("polyline", "track")
    px = [float(p.split(",")[0]) for p in line["points"].split()]
    assert len(px) == 20 and max(np.diff(px)) < width / 4  # one line, no jump


def test_write_report_writes_utf8(tmp_path):
    path = write_report(report_data(), tmp_path / "out" / "report.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_chart_as_standalone_svg_is_xml_with_one_bar_per_coalition(tmp_path):
    path = write_chart(comparison(), tmp_path / "chart.svg")
    root = ET.parse(path).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    assert len([r for r in root.iter(f"{ns}rect") if r.get("class") == "bar"]) == 3
    assert EVIL not in chart_svg(comparison())


def test_chart_as_png(tmp_path):
    path = write_chart(comparison(), tmp_path / "chart.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_chart_with_another_suffix_is_refused(tmp_path):
    with pytest.raises(InputError) as info:
        write_chart(comparison(), tmp_path / "chart.pdf")
    assert (
        str(info.value) == "chart: expected a file name ending in .png or .svg, found 'chart.pdf'"
    )
