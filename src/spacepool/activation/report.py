"""The activation report: one self-contained HTML page that opens offline.

Everything is inline: CSS in a ``<style>`` element, the map, the timeline and the chart
as SVG drawn here, no script and no external URL, so the file can be mailed, archived
or opened on a machine without a network. Sections, in reading order:

1. **Key numbers** from the activation's ``summary.json``;
2. **Map**: an equirectangular projection about the area (longitudes scaled by the
   cosine of the centre latitude, so shapes look right near the area), Natural Earth
   country outlines (:mod:`spacepool.activation.basemap`), a latitude/longitude
   graticule and a scale bar, the area, the acquisition footprints and ground tracks
   coloured by partner, and a legend;
3. **Timeline**: a Gantt chart of acquisitions and downlinks, one row per satellite or
   station, over the horizon with hour ticks and the event time marked;
4. **Value of cooperation**: the pool, each partner alone and the pool without each
   partner (:mod:`spacepool.activation.cooperation`), as a table and as a bar chart of
   hours to the first acquisition.

Accessibility: one ``h1`` and an ``h2`` per section, table header cells with scopes,
every SVG with ``role="img"``, a ``<title>`` and a description, a ``<title>`` on every
mark (shown as a tooltip), colours from the Tableau 10 palette (distinguishable for
the common colour-vision deficiencies) with text always in dark grey on light ground.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from spacepool.access.areas import AreaTarget, PointTarget
from spacepool.activation import basemap
from spacepool.activation.cooperation import CoalitionResult, Comparison, as_target
from spacepool.errors import InputError
from spacepool.orbits.timebase import format_time, parse_time

FloatArray = NDArray[np.float64]

# Tableau 10 (Tableau Software, 2016 default palette), chosen for distinguishable hues
# under the common colour-vision deficiencies; more partners cycle through it.
PALETTE: Final[tuple[str, ...]] = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
_AREA_COLOUR: Final = "#b2182b"
_EVENT_COLOUR: Final = "#b2182b"
_FIRST_COLOUR: Final = "#1a7f37"
_TEXT: Final = "#222222"
_MUTED: Final = "#555555"
# Mean Earth radius (km), IUGG: 1 degree of great circle is 111.195 km.
_KM_PER_DEG: Final = 2.0 * math.pi * 6371.0088 / 360.0
_MAP_MAX_WIDTH_PX: Final = 960.0
_MAP_MAX_HEIGHT_PX: Final = 640.0


# --- inputs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroundTrack:
    """A satellite's sub-satellite points (``lat_deg``, ``lon_deg``, one per time)."""

    satellite: str
    partner: str
    times: tuple[datetime, ...]
    lat_deg: tuple[float, ...]
    lon_deg: tuple[float, ...]


@dataclass(frozen=True)
class TimelineBar:
    """One bar of the timeline: ``kind`` is ``"acquisition"`` or ``"downlink"``; ``row``
    the satellite or station it is drawn on; ``label`` its tooltip."""

    row: str
    kind: str
    start: datetime
    end: datetime
    partner: str
    label: str


@dataclass(frozen=True)
class ReportData:
    """What the report shows. ``summary`` is the ``summary.json`` content; ``area`` a
    GeoJSON geometry; ``footprints`` GeoJSON Features whose properties hold
    ``satellite``, ``partner``, ``instrument``, ``start`` and ``end``."""

    title: str
    summary: Mapping[str, Any]
    area: Mapping[str, Any]
    footprints: Sequence[Mapping[str, Any]]
    ground_tracks: Sequence[GroundTrack]
    timeline: Sequence[TimelineBar]
    comparison: Comparison


# --- helpers -----------------------------------------------------------------------------------


def _e(text: Any) -> str:
    """Escaped for HTML text and attribute values (quotes too)."""
    return html.escape(str(text), quote=True)


def _num(value: float) -> str:
    return f"{value:.1f}"


def partner_colours(partners: Iterable[str]) -> dict[str, str]:
    """A colour per partner, in the order given (the palette cycles)."""
    out: dict[str, str] = {}
    for partner in partners:
        if partner not in out:
            out[partner] = PALETTE[len(out) % len(PALETTE)]
    return out


def _hours_text(hours: float | None) -> str:
    return "none" if hours is None else f"{hours:.1f}"


def _utc(when: datetime | None) -> str:
    if when is None:
        return "none"
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _as_time(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_time(value, field="time")
    except InputError:
        return None


# --- key numbers -----------------------------------------------------------------------------


def _card(label: str, value: str, note: str = "") -> str:
    extra = f'<span class="note">{_e(note)}</span>' if note else ""
    return f'<div class="card"><dt>{_e(label)}</dt><dd><span class="value">{_e(value)}</span>{extra}</dd></div>'


def _key_numbers(summary: Mapping[str, Any], comparison: Comparison) -> str:
    cards: list[str] = []
    event = _as_time(summary.get("event_time"))

    def since_event(when: datetime | None) -> tuple[str, str]:
        """The card value and the start of its note: hours after the event when known."""
        if when is not None and event is not None:
            return (
                f"{(when - event).total_seconds() / 3600.0:.1f} h",
                f"after the event: {_utc(when)}",
            )
        return _utc(when), ""

    hours = summary.get("hours_to_first_acquisition")
    pool_hours = hours.get("pool") if isinstance(hours, Mapping) else None
    first = summary.get("first_acquisition")
    if isinstance(first, Mapping) or pool_hours is not None:
        first = first if isinstance(first, Mapping) else {}
        when = _as_time(first.get("time"))
        by = ", ".join(
            str(first[k]) for k in ("satellite", "partner", "instrument") if first.get(k)
        )
        value, note = since_event(when)
        if (when is None or event is None) and isinstance(pool_hours, int | float):
            value = f"{float(pool_hours):.1f} h"
        note = "; ".join(x for x in (note, f"by {by}" if by else "") if x)
        cards.append(_card("First acquisition", value, note))
    if "first_delivery_time" in summary:
        value, note = since_event(_as_time(summary.get("first_delivery_time")))
        cards.append(_card("First delivery to ground", value, note))
    for key, label in (
        ("acquisitions", "Acquisitions"),
        ("products_published", "Products published"),
    ):
        if key in summary:
            cards.append(_card(label, str(summary[key])))
    alone = [
        (p, r.hours_to_first_acquisition)
        for p, r in comparison.alone.items()
        if r.hours_to_first_acquisition is not None
    ]
    pool = comparison.pool.hours_to_first_acquisition
    if alone and pool is not None:
        best_partner, best = min(alone, key=lambda x: x[1])
        gain = best - pool
        cards.append(
            _card(
                "Pool vs fastest partner alone",
                f"{gain:.1f} h sooner" if gain > 0.05 else "same time",
                f"pool {pool:.1f} h, {best_partner} alone {best:.1f} h (potential)",
            )
        )
    elif pool is not None:
        cards.append(_card("Pool first acquisition (potential)", f"{pool:.1f} h"))
    if "compute_seconds" in summary:
        cards.append(_card("Compute time", f"{float(summary['compute_seconds']):.2f} s"))
    facts = []
    for key, label in (
        ("activation_id", "Activation"),
        ("event_time", "Event time"),
        ("planned_at", "Planned at"),
    ):
        if key in summary and summary[key] is not None:
            facts.append(f"<div><dt>{_e(label)}</dt><dd>{_e(summary[key])}</dd></div>")
    facts_html = f'<dl class="facts">{"".join(facts)}</dl>' if facts else ""
    return (
        '<section aria-labelledby="key-numbers"><h2 id="key-numbers">Key numbers</h2>'
        f'<dl class="cards">{"".join(cards)}</dl>{facts_html}</section>'
    )


# --- the map ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapFrame:
    """An equirectangular map window: ``(west, south, east, north)`` degrees (``east``
    may exceed 180), ``k`` pixels per degree of latitude, longitudes scaled by
    ``cos_lat`` (the cosine of the centre latitude)."""

    west: float
    south: float
    east: float
    north: float
    k: float
    cos_lat: float

    @property
    def width_px(self) -> float:
        return (self.east - self.west) * self.cos_lat * self.k

    @property
    def height_px(self) -> float:
        return (self.north - self.south) * self.k

    @property
    def centre_lon(self) -> float:
        return (self.west + self.east) / 2.0

    def xy(self, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Pixel coordinates ``(x, y)`` of longitudes/latitudes (shapes of the input)."""
        x = (np.asarray(lon) - self.west) * self.cos_lat * self.k
        y = (self.north - np.asarray(lat)) * self.k
        return x, y

    def near(self, lon: FloatArray) -> FloatArray:
        """Longitudes moved by multiples of 360 deg to lie nearest the window centre."""
        lon = np.asarray(lon, dtype=np.float64)
        shifted: FloatArray = lon + 360.0 * np.round((self.centre_lon - lon) / 360.0)
        return shifted

    @classmethod
    def around(cls, bounds: tuple[float, float, float, float]) -> MapFrame:
        """A window about ``bounds`` (lon/lat, unwrapped) with a margin of 60 % of the
        larger extent on each side (at least 2 deg, so that the tracks of side-looking
        sensors a few hundred km away show), widened east-west to the page's
        proportions, latitudes within +-85 deg."""
        west, south, east, north = bounds
        extent = max(east - west, north - south)
        pad = max(0.6 * extent, 2.0)
        west, east = west - pad, east + pad
        south, north = max(south - pad, -85.0), min(north + pad, 85.0)
        cos_lat = max(math.cos(math.radians((south + north) / 2.0)), 0.2)
        wanted = (north - south) * _MAP_MAX_WIDTH_PX / _MAP_MAX_HEIGHT_PX / cos_lat
        if east - west < wanted:
            grow = (wanted - (east - west)) / 2.0
            west, east = west - grow, east + grow
        k = min(_MAP_MAX_WIDTH_PX / ((east - west) * cos_lat), _MAP_MAX_HEIGHT_PX / (north - south))
        return cls(west, south, east, north, k, cos_lat)


def _path(frame: MapFrame, rings: Iterable[FloatArray], *, close: bool = True) -> str:
    """An SVG path ``d`` of ``(2, K)`` lon/lat rings (each moved near the window)."""
    parts = []
    for ring in rings:
        if ring.shape[1] == 0:
            continue
        lon = ring[0] + 360.0 * round((frame.centre_lon - float(np.mean(ring[0]))) / 360.0)
        x, y = frame.xy(lon, ring[1])
        points = " L".join(f"{a:.1f},{b:.1f}" for a, b in zip(x.tolist(), y.tolist(), strict=True))
        parts.append(f"M{points}" + (" Z" if close else ""))
    return " ".join(parts)


def _nice_step(span: float, wanted: int, steps: Sequence[float]) -> float:
    for step in steps:
        if span / step <= wanted:
            return step
    return steps[-1]


_DEGREE_STEPS: Final = (0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0)
_KM_STEPS: Final = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000)


def _degrees(value: float, positive: str, negative: str) -> str:
    text = f"{abs(value):.2f}".rstrip("0").rstrip(".")
    if abs(value) in (0.0, 180.0):  # the equator, the prime meridian, the antimeridian
        return f"{text}°"
    return f"{text}°{positive if value > 0 else negative}"


def _graticule(frame: MapFrame) -> str:
    w, h = frame.width_px, frame.height_px
    step = _nice_step(max(frame.east - frame.west, frame.north - frame.south), 7, _DEGREE_STEPS)
    out = ['<g class="graticule" aria-hidden="true">']
    lon = math.ceil(frame.west / step) * step
    while lon <= frame.east + 1e-9:
        x, _ = frame.xy(np.array(lon), np.array(0.0))
        wrapped = (lon + 180.0) % 360.0 - 180.0
        out.append(f'<line x1="{float(x):.1f}" y1="0" x2="{float(x):.1f}" y2="{h:.1f}"/>')
        out.append(
            f'<text class="tick" x="{float(x) + 3:.1f}" y="{h - 4:.1f}">'
            f"{_e(_degrees(wrapped, 'E', 'W'))}</text>"
        )
        lon += step
    lat = math.ceil(frame.south / step) * step
    while lat <= frame.north + 1e-9:
        _, y = frame.xy(np.array(0.0), np.array(lat))
        out.append(f'<line x1="0" y1="{float(y):.1f}" x2="{w:.1f}" y2="{float(y):.1f}"/>')
        out.append(
            f'<text class="tick" x="3" y="{float(y) - 3:.1f}">{_e(_degrees(lat, "N", "S"))}</text>'
        )
        lat += step
    out.append("</g>")
    return "".join(out)


def _scale_bar(frame: MapFrame) -> str:
    km_per_px = _KM_PER_DEG / frame.k
    length_km: float = _KM_STEPS[0]
    for step in _KM_STEPS:  # the longest round length within a quarter of the width
        if step / km_per_px > frame.width_px / 4.0:
            break
        length_km = step
    px = length_km / km_per_px
    x0, y0 = frame.width_px - px - 20.0, frame.height_px - 24.0
    return (
        f'<g class="scale" aria-label="scale bar: {length_km:g} km">'
        f'<rect x="{x0 - 6:.1f}" y="{y0 - 16:.1f}" width="{px + 12:.1f}" height="26" rx="3"/>'
        f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x0 + px:.1f}" y2="{y0:.1f}"/>'
        f'<line x1="{x0:.1f}" y1="{y0 - 4:.1f}" x2="{x0:.1f}" y2="{y0 + 4:.1f}"/>'
        f'<line x1="{x0 + px:.1f}" y1="{y0 - 4:.1f}" x2="{x0 + px:.1f}" y2="{y0 + 4:.1f}"/>'
        f'<text x="{x0 + px / 2:.1f}" y="{y0 - 5:.1f}" text-anchor="middle">{length_km:g} km</text>'
        "</g>"
    )


def _track_segments(frame: MapFrame, track: GroundTrack) -> list[tuple[FloatArray, FloatArray]]:
    """Pieces of a ground track inside the window (with one point of margin), broken
    where the track leaves it or jumps across the antimeridian."""
    lon = frame.near(np.asarray(track.lon_deg, dtype=np.float64))
    lat = np.asarray(track.lat_deg, dtype=np.float64)
    if lon.size < 2:
        return []
    pad_lon = (frame.east - frame.west) * 0.5
    pad_lat = (frame.north - frame.south) * 0.5
    inside = (
        (lon >= frame.west - pad_lon)
        & (lon <= frame.east + pad_lon)
        & (lat >= frame.south - pad_lat)
        & (lat <= frame.north + pad_lat)
    )
    jump = np.r_[False, np.abs(np.diff(lon)) > 90.0]
    out = []
    start = None
    for i in range(lon.size + 1):
        ok = i < lon.size and bool(inside[i]) and not (start is not None and jump[i])
        if ok and start is None:
            start = i
        elif not ok and start is not None:
            if i - start >= 2:
                out.append((lon[start:i], lat[start:i]))
            start = i if i < lon.size and inside[i] else None
    return out


def _feature_rings(geometry: Mapping[str, Any] | None) -> tuple[FloatArray, ...]:
    if not geometry:
        return ()
    geom = shape(geometry)
    if geom.geom_type in ("Point", "MultiPoint"):
        return ()
    return basemap.rings(geom)


def _area_geometry(area: Mapping[str, Any]) -> BaseGeometry:
    target = as_target(area)
    if isinstance(target, PointTarget):
        return shapely.Point(target.longitude_deg, target.latitude_deg)
    assert isinstance(target, AreaTarget)
    return target.geometry


def _map(data: ReportData, colours: Mapping[str, str]) -> str:
    area = _area_geometry(data.area)
    frame = MapFrame.around(area.bounds)
    bbox = (frame.west, frame.south, frame.east, frame.north)
    resolution: basemap.Resolution = "50m" if frame.east - frame.west < 60.0 else "110m"
    w, h = frame.width_px, frame.height_px
    out = [
        f'<svg class="map" viewBox="0 0 {w:.0f} {h:.0f}" width="{w:.0f}" height="{h:.0f}" '
        'role="img" aria-labelledby="map-title map-desc">',
        '<title id="map-title">Map of the area, footprints and ground tracks</title>',
        f'<desc id="map-desc">Equirectangular map from {_e(_degrees(frame.west, "E", "W"))} to '
        f"{_e(_degrees(frame.east, 'E', 'W'))} and {_e(_degrees(frame.south, 'N', 'S'))} to "
        f"{_e(_degrees(frame.north, 'N', 'S'))}: {len(data.footprints)} footprints, "
        f"{len(data.ground_tracks)} ground tracks.</desc>",
        '<defs><clipPath id="map-clip">'
        f'<rect x="0" y="0" width="{w:.1f}" height="{h:.1f}"/></clipPath></defs>',
        f'<rect class="sea" x="0" y="0" width="{w:.1f}" height="{h:.1f}"/>',
        '<g clip-path="url(#map-clip)">',
        '<g class="countries">',
    ]
    labels = []
    window_area = (frame.east - frame.west) * (frame.north - frame.south)
    for country in basemap.countries_in(bbox, resolution):
        d = _path(frame, basemap.rings(country.geometry))
        out.append(f'<path class="country" d="{d}"><title>{_e(country.name)}</title></path>')
        if country.geometry.area > 0.04 * window_area:
            p = country.geometry.representative_point()
            x, y = frame.xy(np.array(p.x), np.array(p.y))
            labels.append(
                f'<text class="country-name" x="{float(x):.1f}" y="{float(y):.1f}" '
                f'text-anchor="middle">{_e(country.name)}</text>'
            )
    out.append("</g>")
    out.append(_graticule(frame))
    out.extend(labels)
    out.append('<g class="footprints">')
    for feature in data.footprints:
        props = feature.get("properties") or {}
        partner = str(props.get("partner", ""))
        colour = colours.get(partner, "#777777")
        tip = (
            f"{props.get('satellite', '?')} ({partner}) {props.get('instrument', '')}: "
            f"{props.get('start', '')} to {props.get('end', '')}"
        )
        d = _path(frame, _feature_rings(feature.get("geometry")))
        out.append(
            f'<path class="footprint" data-partner="{_e(partner)}" d="{d}" '
            f'fill="{colour}" stroke="{colour}"><title>{_e(tip)}</title></path>'
        )
    out.append("</g>")
    if isinstance(area, shapely.Point):
        x, y = frame.xy(frame.near(np.array(area.x)), np.array(area.y))
        out.append(
            f'<circle class="area" cx="{float(x):.1f}" cy="{float(y):.1f}" r="6">'
            "<title>the area (a point)</title></circle>"
        )
    else:
        out.append(
            f'<path class="area" d="{_path(frame, basemap.rings(area))}">'
            "<title>the area</title></path>"
        )
    out.append('<g class="tracks">')
    for track in data.ground_tracks:
        colour = colours.get(track.partner, "#777777")
        for lon, lat in _track_segments(frame, track):
            x, y = frame.xy(lon, lat)
            points = " ".join(
                f"{a:.1f},{b:.1f}" for a, b in zip(x.tolist(), y.tolist(), strict=True)
            )
            out.append(
                f'<polyline class="track" points="{points}" stroke="{colour}">'
                f"<title>{_e(track.satellite)} ({_e(track.partner)}) ground track</title>"
                "</polyline>"
            )
    out.append("</g></g>")
    out.append(_scale_bar(frame))
    out.append(f'<rect class="frame" x="0.5" y="0.5" width="{w - 1:.1f}" height="{h - 1:.1f}"/>')
    out.append("</svg>")
    present = [
        p
        for p in colours
        if any(str((f.get("properties") or {}).get("partner", "")) == p for f in data.footprints)
        or any(t.partner == p for t in data.ground_tracks)
    ]
    legend = [
        '<ul class="legend" aria-label="map legend">',
        '<li><span class="swatch area-swatch"></span>the area</li>',
    ]
    legend += [
        f'<li><span class="swatch" style="background:{colours[p]}"></span>{_e(p)}</li>'
        for p in present
    ]
    legend.append('<li><span class="line-swatch"></span>ground track (line), footprint (fill)</li>')
    legend.append("</ul>")
    note = (
        f'<p class="note">Basemap: Natural Earth 1:{resolution[:-1]} million country '
        "outlines (public domain).</p>"
    )
    return (
        '<section aria-labelledby="map-heading"><h2 id="map-heading">Map</h2>'
        f"<figure>{''.join(out)}<figcaption>{''.join(legend)}{note}</figcaption></figure></section>"
    )


# --- the timeline -------------------------------------------------------------------------------


def _hour_step(hours: float) -> int:
    for step in (1, 2, 3, 6, 12, 24, 48):
        if hours / step <= 14:
            return step
    return 96


def _timeline(data: ReportData, colours: Mapping[str, str]) -> str:
    start, end = data.comparison.start, data.comparison.end
    span = (end - start).total_seconds()
    rows = list(dict.fromkeys(b.row for b in data.timeline))
    label_w, plot_w, row_h, top = 170.0, 980.0, 20.0, 34.0
    height = top + row_h * max(len(rows), 1) + 30.0
    width = label_w + plot_w + 20.0

    def x_of(when: datetime) -> float:
        s = min(max((when - start).total_seconds(), 0.0), span)
        return label_w + plot_w * s / span

    out = [
        f'<svg class="timeline" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'height="{height:.0f}" role="img" aria-labelledby="tl-title tl-desc">',
        '<title id="tl-title">Timeline of acquisitions and downlinks</title>',
        f'<desc id="tl-desc">{sum(b.kind == "acquisition" for b in data.timeline)} acquisitions '
        f"and {sum(b.kind == 'downlink' for b in data.timeline)} downlinks on {len(rows)} rows "
        f"from {_e(_utc(start))} to {_e(_utc(end))}.</desc>",
    ]
    step = _hour_step(span / 3600.0)
    out.append('<g class="hours" aria-hidden="true">')
    hour = 0
    first_tick = start.replace(minute=0, second=0, microsecond=0)
    if first_tick < start:
        first_tick += timedelta(hours=1)
    while (tick := first_tick + timedelta(hours=hour)) <= end:
        x = x_of(tick)
        major = tick.hour % step == 0
        out.append(
            f'<line class="{"major" if major else "minor"}" x1="{x:.1f}" y1="{top - 4:.1f}" '
            f'x2="{x:.1f}" y2="{height - 26:.1f}"/>'
        )
        if major:
            text = tick.strftime("%d %b") if tick.hour == 0 else tick.strftime("%H:%M")
            out.append(
                f'<text class="tick" x="{x:.1f}" y="{top - 8:.1f}" '
                f'text-anchor="middle">{text}</text>'
            )
        hour += 1
    out.append(
        f'<text class="tick" x="{label_w:.1f}" y="{height - 8:.1f}">hours in UTC; '
        f"{_e(_utc(start))} to {_e(_utc(end))}</text>"
    )
    out.append("</g>")
    for i, row in enumerate(rows):
        y = top + i * row_h
        out.append(
            f'<text class="row-label" x="{label_w - 8:.1f}" y="{y + row_h * 0.7:.1f}" '
            f'text-anchor="end">{_e(row)}</text>'
        )
        if i % 2 == 0:
            out.append(
                f'<rect class="row-band" x="{label_w:.1f}" y="{y:.1f}" '
                f'width="{plot_w:.1f}" height="{row_h:.1f}"/>'
            )
    index = {row: i for i, row in enumerate(rows)}
    for bar in data.timeline:
        if bar.end < start or bar.start > end:
            continue
        y = top + index[bar.row] * row_h + 3.0
        x0, x1 = x_of(bar.start), x_of(bar.end)
        colour = colours.get(bar.partner, "#777777")
        kind = "downlink" if bar.kind == "downlink" else "acquisition"
        tip = f"{bar.label} ({bar.partner}, {kind}): {_utc(bar.start)} to {_utc(bar.end)}"
        out.append(
            f'<rect class="bar-{kind}" data-partner="{_e(bar.partner)}" x="{x0:.1f}" y="{y:.1f}" '
            f'width="{max(x1 - x0, 2.5):.1f}" height="{row_h - 6:.1f}" fill="{colour}" '
            f'stroke="{colour}"><title>{_e(tip)}</title></rect>'
        )
    markers = [("event", _as_time(data.summary.get("event_time")), _EVENT_COLOUR)]
    first = data.summary.get("first_acquisition")
    if isinstance(first, Mapping):
        markers.append(("first acquisition", _as_time(first.get("time")), _FIRST_COLOUR))
    for i, (name, when, colour) in enumerate(markers):
        if when is None or not start <= when <= end:
            continue
        x = x_of(when)
        # Labels on different rows, so two markers close in time stay readable.
        out.append(
            f'<g class="marker"><line x1="{x:.1f}" y1="{top - 4:.1f}" x2="{x:.1f}" '
            f'y2="{height - 26:.1f}" stroke="{colour}"/>'
            f'<text x="{x + 4:.1f}" y="{top + 12 + 14 * i:.1f}" fill="{colour}" '
            f'class="marker-label">{_e(name)}</text>'
            f"<title>{_e(name)}: {_e(_utc(when))}</title></g>"
        )
    out.append("</svg>")
    empty = "" if data.timeline else '<p class="note">No acquisition or downlink to show.</p>'
    legend = (
        '<ul class="legend" aria-label="timeline legend">'
        '<li><span class="swatch solid"></span>acquisition (filled)</li>'
        '<li><span class="swatch hollow"></span>downlink (hatched outline)</li>'
        f'<li><span class="line-swatch" style="border-color:{_EVENT_COLOUR}"></span>event</li>'
        f'<li><span class="line-swatch" style="border-color:{_FIRST_COLOUR}"></span>'
        "first acquisition</li></ul>"
    )
    return (
        '<section aria-labelledby="tl-heading"><h2 id="tl-heading">Timeline</h2>'
        f'<figure><div class="scroll">{"".join(out)}</div><figcaption>{legend}</figcaption>'
        f"</figure>{empty}</section>"
    )


# --- value of cooperation --------------------------------------------------------------------


def _row(header: str, r: CoalitionResult) -> str:
    by = r.first_acquisition_satellite or ""
    if r.first_acquisition_instrument:
        by += f" / {r.first_acquisition_instrument}"
    cells = [
        _utc(r.first_acquisition),
        _hours_text(r.hours_to_first_acquisition),
        _hours_text(r.hours_to_first_delivery),
        str(r.acquisitions),
        _hours_text(r.mean_revisit_hours),
        _hours_text(r.max_revisit_hours),
        by or "-",
    ]
    tds = "".join(f"<td>{_e(c)}</td>" for c in cells)
    return f'<tr><th scope="row">{_e(header)}</th>{tds}</tr>'


def _cooperation_table(comparison: Comparison) -> str:
    heads = [
        "coalition",
        "first acquisition",
        "hours to first acquisition",
        "hours to first delivery",
        "acquisitions (passes)",
        "mean revisit (h)",
        "max revisit (h)",
        "first by",
    ]
    thead = "".join(f'<th scope="col">{_e(h)}</th>' for h in heads)
    body = [f'<tbody class="pool">{_row("pool (all partners)", comparison.pool)}</tbody>']
    body.append(
        f'<tbody class="alone"><tr><th scope="rowgroup" colspan="{len(heads)}" '
        'class="group">each partner alone (its own satellites and ground stations)</th></tr>'
    )
    body += [_row(p, r) for p, r in comparison.alone.items()]
    body.append(
        f'</tbody><tbody class="without"><tr><th scope="rowgroup" colspan="{len(heads)}" '
        'class="group">the pool without one partner</th></tr>'
    )
    body += [_row(f"without {p}", r) for p, r in comparison.without.items()]
    body.append("</tbody>")
    caption = (
        f"Geometric potential over {_e(comparison.area_name)}, {_e(_utc(comparison.start))} "
        f"to {_e(_utc(comparison.end))}; instruments: {_e(', '.join(comparison.kinds))}. "
        "Hours from the start of the period."
    )
    return (
        f'<table class="coop"><caption>{caption}</caption><thead><tr>{thead}</tr></thead>'
        f"{''.join(body)}</table>"
    )


def _marginal_text(comparison: Comparison) -> str:
    top = comparison.adds_most
    if top is None:
        return "<p>No single partner is needed: the pool loses nothing without any one of them.</p>"
    m = next(x for x in comparison.marginal() if x.partner == top)
    bits = [f"{m.acquisitions_lost} of {comparison.pool.acquisitions} passes"]
    if m.indispensable:
        bits.append("every acquisition or delivery in the period")
    elif m.first_acquisition_delay_hours:
        bits.append(f"{m.first_acquisition_delay_hours:.1f} h on the first acquisition")
    if not m.indispensable and m.first_delivery_delay_hours:
        bits.append(f"{m.first_delivery_delay_hours:.1f} h on the first delivery")
    return f"<p>Adds most: <strong>{_e(top)}</strong>; without it the pool loses {_e(', '.join(bits))}.</p>"


def chart_svg(
    comparison: Comparison, colours: Mapping[str, str] | None = None, *, standalone: bool = False
) -> str:
    """Horizontal bars of hours to the first acquisition: the pool, then each partner
    alone; a partner that never images the area gets the words "none in the period"
    and no bar. ``standalone`` adds the XML namespace for a ``.svg`` file."""
    colours = colours or partner_colours(comparison.partners)
    entries: list[tuple[str, float | None, str]] = [
        ("pool", comparison.pool.hours_to_first_acquisition, "#333333")
    ]
    entries += [
        (p, r.hours_to_first_acquisition, colours.get(p, "#777777"))
        for p, r in comparison.alone.items()
    ]
    span_h = (comparison.end - comparison.start).total_seconds() / 3600.0
    label_w, plot_w, bar_h, top = 110.0, 560.0, 22.0, 30.0
    height = top + bar_h * len(entries) + 40.0
    width = label_w + plot_w + 110.0
    ns = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    style = f"<style>{_CHART_CSS}</style>" if standalone else ""
    out = [
        f'<svg{ns} class="chart" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'height="{height:.0f}" role="img" aria-labelledby="chart-title chart-desc">{style}',
        '<title id="chart-title">Hours to the first acquisition: the pool and each partner alone</title>',
        '<desc id="chart-desc">'
        + _e(
            "; ".join(
                f"{n}: {_hours_text(v)} h" if v is not None else f"{n}: none in the period"
                for n, v, _ in entries
            )
        )
        + "</desc>",
    ]
    step = _nice_step(span_h, 8, (1, 2, 3, 6, 12, 24, 48, 96))
    tick = 0.0
    while tick <= span_h + 1e-9:
        x = label_w + plot_w * tick / span_h
        out.append(
            f'<line class="grid" x1="{x:.1f}" y1="{top - 6:.1f}" x2="{x:.1f}" '
            f'y2="{top + bar_h * len(entries):.1f}"/>'
            f'<text class="tick" x="{x:.1f}" y="{top + bar_h * len(entries) + 16:.1f}" '
            f'text-anchor="middle">{tick:g}</text>'
        )
        tick += step
    out.append(
        f'<text class="tick" x="{label_w + plot_w / 2:.1f}" '
        f'y="{top + bar_h * len(entries) + 34:.1f}" text-anchor="middle">'
        "hours from the start of the period</text>"
    )
    for i, (name, hours, colour) in enumerate(entries):
        y = top + i * bar_h
        out.append(
            f'<text class="row-label" x="{label_w - 8:.1f}" y="{y + bar_h * 0.68:.1f}" '
            f'text-anchor="end">{_e(name)}</text>'
        )
        if hours is None:
            out.append(
                f'<text class="no-bar" x="{label_w + 4:.1f}" y="{y + bar_h * 0.68:.1f}">'
                "none in the period</text>"
            )
            continue
        w = max(plot_w * hours / span_h, 1.5)
        out.append(
            f'<rect class="bar" data-name="{_e(name)}" x="{label_w:.1f}" y="{y + 3:.1f}" '
            f'width="{w:.1f}" height="{bar_h - 6:.1f}" fill="{colour}">'
            f"<title>{_e(name)}: {hours:.2f} h</title></rect>"
            f'<text class="value" x="{label_w + w + 4:.1f}" y="{y + bar_h * 0.68:.1f}">'
            f"{hours:.1f} h</text>"
        )
    pool = comparison.pool.hours_to_first_acquisition
    if pool is not None:
        x = label_w + plot_w * pool / span_h
        out.append(
            f'<line class="pool-line" x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" '
            f'y2="{top + bar_h * len(entries):.1f}"><title>pool: {pool:.2f} h</title></line>'
        )
    out.append("</svg>")
    return "".join(out)


def _cooperation(comparison: Comparison, colours: Mapping[str, str]) -> str:
    return (
        '<section aria-labelledby="coop-heading"><h2 id="coop-heading">Value of cooperation</h2>'
        "<p>What the pooled assets can do over the area, against each partner with only its "
        "own satellites and ground stations, and the pool without each partner. Potential "
        "from the geometry (every opportunity and contact), not from the plan.</p>"
        f"{_marginal_text(comparison)}"
        f'<div class="scroll">{_cooperation_table(comparison)}</div>'
        f'<h3>Hours to the first acquisition</h3><figure><div class="scroll">'
        f"{chart_svg(comparison, colours)}</div></figure></section>"
    )


# --- the page ----------------------------------------------------------------------------------


_CHART_CSS: Final = (
    "text{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:12px;fill:#222}"
    ".grid{stroke:#ddd}.tick{fill:#555;font-size:11px}.no-bar{fill:#555;font-style:italic}"
    ".pool-line{stroke:#333;stroke-dasharray:4 3}.value{fill:#222}"
)

_CSS: Final = f"""
:root{{color-scheme:light}}
body{{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:{_TEXT};
background:#fafafa;margin:0 auto;max-width:1240px;padding:1rem 1.5rem 3rem;line-height:1.45}}
h1{{font-size:1.6rem;margin:.4rem 0}}h2{{font-size:1.25rem;margin:2rem 0 .6rem;
border-bottom:2px solid #ddd;padding-bottom:.2rem}}h3{{font-size:1.05rem}}
.sub{{color:{_MUTED};margin:0}}
.cards{{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:.7rem;margin:0}}
.card{{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.6rem .8rem}}
.card dt{{color:{_MUTED};font-size:.85rem}}.card dd{{margin:0}}
.card .value{{display:block;font-size:1.5rem;font-weight:600}}
.card .note,.note{{color:{_MUTED};font-size:.85rem}}
.facts{{display:flex;flex-wrap:wrap;gap:.4rem 1.6rem;margin:.8rem 0 0}}
.facts dt{{color:{_MUTED};font-size:.85rem}}.facts dd{{margin:0;font-family:ui-monospace,monospace}}
figure{{margin:0}}.scroll{{overflow-x:auto}}
svg text{{font-family:inherit;font-size:12px;fill:{_TEXT}}}
.map .sea{{fill:#dcebf5}}.map .country{{fill:#f2efe6;stroke:#8c8c8c;stroke-width:.7}}
.map .country-name{{fill:#7a7a7a;font-size:13px;letter-spacing:.05em}}
.map .graticule line{{stroke:#5b7a99;stroke-opacity:.35;stroke-width:.6}}
.map .graticule .tick{{fill:#3d566e;font-size:11px}}
.map .footprint{{fill-opacity:.12;stroke-width:1.2;stroke-opacity:.9}}
.map .area{{fill:{_AREA_COLOUR};fill-opacity:.08;stroke:{_AREA_COLOUR};stroke-width:2.5}}
.map .track{{fill:none;stroke-width:1.6;stroke-opacity:.85}}
.map .scale rect{{fill:#fff;fill-opacity:.85}}.map .scale line{{stroke:#222;stroke-width:1.5}}
.map .frame{{fill:none;stroke:#999}}
.legend{{list-style:none;padding:0;margin:.5rem 0;display:flex;flex-wrap:wrap;gap:.3rem 1.2rem}}
.swatch{{display:inline-block;width:14px;height:14px;border-radius:2px;margin-right:.35rem;
vertical-align:-2px;border:1px solid #666}}
.area-swatch{{background:rgba(178,24,43,.08);border:2.5px solid {_AREA_COLOUR}}}
.swatch.solid{{background:#4e79a7}}
.swatch.hollow{{background:repeating-linear-gradient(45deg,#4e79a7 0 2px,#fff 2px 5px)}}
.line-swatch{{display:inline-block;width:22px;border-top:2px solid #666;margin-right:.35rem;
vertical-align:4px}}
.timeline .row-band{{fill:#f0f0f0}}.timeline .row-label{{font-size:11.5px}}
.timeline .hours line.major{{stroke:#c8c8c8}}.timeline .hours line.minor{{stroke:#ececec}}
.timeline .tick{{fill:{_MUTED};font-size:11px}}
.timeline .bar-acquisition{{stroke-width:.5}}
.timeline .bar-downlink{{fill-opacity:.4;stroke-width:1.2;stroke-dasharray:3 1.5}}
.timeline .marker line{{stroke-width:1.5;stroke-dasharray:5 3}}
.timeline .marker text{{font-size:11px;font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:3px}}
{_CHART_CSS.replace("text{", ".chart text{")}
table.coop{{border-collapse:collapse;background:#fff;font-size:.9rem;min-width:100%}}
.coop caption{{text-align:left;color:{_MUTED};padding:.3rem 0;font-size:.85rem}}
.coop th,.coop td{{border:1px solid #ddd;padding:.25rem .5rem;text-align:right;white-space:nowrap}}
.coop thead th{{white-space:normal;vertical-align:bottom}}
.coop th[scope=row],.coop thead th,.coop td:last-child{{text-align:left}}.coop thead th{{background:#eee}}
.coop .pool th,.coop .pool td{{font-weight:700;background:#eef5ea}}
.coop .group{{background:#f6f6f6;color:{_MUTED};font-weight:600;text-align:left}}
details pre{{background:#fff;border:1px solid #ddd;padding:.6rem;overflow:auto;font-size:.8rem}}
footer{{margin-top:2.5rem;color:{_MUTED};font-size:.8rem}}
"""


def render_report(data: ReportData) -> str:
    """One self-contained HTML page (inline CSS and SVG, no script, no external URL)."""
    comparison = data.comparison
    names = list(comparison.partners)
    names += [str((f.get("properties") or {}).get("partner", "")) for f in data.footprints]
    names += [t.partner for t in data.ground_tracks] + [b.partner for b in data.timeline]
    colours = partner_colours(n for n in names if n)
    subtitle = f"{_e(_utc(comparison.start))} to {_e(_utc(comparison.end))}"
    if comparison.area_name and comparison.area_name != "area":
        subtitle = f"{_e(comparison.area_name)} · {subtitle}"
    summary_json = json.dumps(data.summary, indent=2, default=str, ensure_ascii=False)
    generated = format_time(datetime.now(UTC))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(data.title)}</title><style>{_CSS}</style></head><body>"
        f'<header><h1>{_e(data.title)}</h1><p class="sub">{subtitle}</p></header><main>'
        f"{_key_numbers(data.summary, comparison)}"
        f"{_map(data, colours)}"
        f"{_timeline(data, colours)}"
        f"{_cooperation(comparison, colours)}"
        '<section aria-labelledby="data-heading"><h2 id="data-heading">Summary data</h2>'
        f"<details><summary>summary.json</summary><pre>{_e(summary_json)}</pre></details>"
        "</section></main>"
        f"<footer>Written by spacepool on {_e(generated)}. Times in UTC. Basemap: Natural "
        "Earth, public domain, as packaged by world-atlas.</footer>"
        "</body></html>\n"
    )


def write_report(data: ReportData, path: Path) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8; parent folders created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(data), encoding="utf-8")
    return path


def write_chart(comparison: Comparison, path: Path) -> Path:
    """The hours-to-first-acquisition chart as ``.svg`` (drawn here) or ``.png``
    (matplotlib). Raises :class:`~spacepool.errors.InputError` for another suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".svg", ".png"):
        raise InputError(f"chart: expected a file name ending in .png or .svg, found {path.name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".svg":
        path.write_text(chart_svg(comparison, standalone=True) + "\n", encoding="utf-8")
        return path
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = partner_colours(comparison.partners)
    names = ["pool", *comparison.alone]
    values = [
        comparison.pool.hours_to_first_acquisition,
        *(r.hours_to_first_acquisition for r in comparison.alone.values()),
    ]
    span_h = (comparison.end - comparison.start).total_seconds() / 3600.0
    fig, ax = plt.subplots(figsize=(8.0, 0.45 * len(names) + 1.4), dpi=120)
    ys = list(range(len(names)))[::-1]
    for y, name, value in zip(ys, names, values, strict=True):
        if value is None:
            ax.text(
                span_h * 0.01, y, "none in the period", va="center", style="italic", color=_MUTED
            )
            continue
        ax.barh(y, value, color="#333333" if name == "pool" else colours[name], height=0.7)
        ax.text(value + span_h * 0.01, y, f"{value:.1f} h", va="center", fontsize=8)
    ax.set_yticks(ys, names)
    ax.set_xlim(0, span_h * 1.08)
    ax.set_xlabel("hours from the start of the period")
    ax.set_title(f"Hours to the first acquisition over {comparison.area_name}: pool vs alone")
    ax.grid(axis="x", lw=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


__all__ = [
    "PALETTE",
    "GroundTrack",
    "MapFrame",
    "ReportData",
    "TimelineBar",
    "chart_svg",
    "partner_colours",
    "render_report",
    "write_chart",
    "write_report",
]
