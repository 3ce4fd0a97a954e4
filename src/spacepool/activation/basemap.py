"""Country outlines and land for maps, from the vendored Natural Earth TopoJSON.

The dashboard and the activation report draw their maps offline from the world-atlas
files shipped in ``spacepool/web/static/vendor/world-atlas/`` (Natural Earth 1:50m and
1:110m, public domain, packaged as TopoJSON by world-atlas 2.0.2). This module reads
those files into shapely geometries in longitude/latitude degrees.

**TopoJSON** (specification 1.0, github.com/topojson/topojson-specification): each
geometry lists indices into a shared table of *arcs* (polylines); an index ``i >= 0``
is arc ``i`` as stored, ``~i`` (that is ``-i - 1``) is arc ``i`` reversed. A ring is the
concatenation of its arcs, each arc after the first dropping its first position (the
last of the previous one). A *quantized* topology stores each arc as integer deltas:
the position is the running sum of the deltas, mapped by the ``transform`` as
``x * scale + translate`` (section 2.1.2). Points are quantized but not delta-encoded.

No reader is used from PyPI: the maintained ``topojson`` package is an encoder (its
reading of TopoJSON input is partial and pulls in its encoding stack), ``pytopojson``
has seen no release since 2022, and the few lines below are all a reader needs.

Results are cached per file; the 1:50m countries decode in about a quarter of a second.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Final, Literal

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from spacepool.errors import GeometryError, UnknownNameError

FloatArray = NDArray[np.float64]
Resolution = Literal["50m", "110m"]
RESOLUTIONS: Final[tuple[str, ...]] = ("50m", "110m")
# The vendored files (scripts/vendor-web-assets.sh; sha256 in vendor/MANIFEST.txt).
_FOLDER: Final = ("web", "static", "vendor", "world-atlas")
_LAND_FILES: Final[dict[str, tuple[str, str]]] = {
    # 1:110m land has its own, smaller file; 1:50m land is in the countries file.
    "110m": ("land-110m.json", "land"),
    "50m": ("countries-50m.json", "land"),
}

BBox = tuple[float, float, float, float]
"""``(west, south, east, north)`` in degrees; ``east`` may exceed 180 for a window
across the antimeridian."""


# --- TopoJSON -------------------------------------------------------------------------


def decode_arcs(topology: Mapping[str, Any]) -> list[FloatArray]:
    """Every arc of ``topology`` as an ``(N, 2)`` array of (longitude, latitude).

    Quantized arcs (a ``transform`` is present) are delta-decoded with a cumulative
    sum, then scaled and translated; unquantized arcs are taken as they are.
    """
    transform = topology.get("transform")
    arcs: list[FloatArray] = []
    if transform is None:
        for arc in topology["arcs"]:
            arcs.append(np.asarray(arc, dtype=np.float64).reshape(-1, 2)[:, :2])
        return arcs
    scale = np.asarray(transform["scale"], dtype=np.float64)
    translate = np.asarray(transform["translate"], dtype=np.float64)
    for arc in topology["arcs"]:
        deltas = np.asarray(arc, dtype=np.float64).reshape(-1, 2)[:, :2]
        arcs.append(np.cumsum(deltas, axis=0) * scale + translate)
    return arcs


def _line(indices: Sequence[int], arcs: Sequence[FloatArray]) -> FloatArray:
    """Arcs ``indices`` stitched into one line ``(N, 2)`` (see the module docstring)."""
    pieces: list[FloatArray] = []
    for k, index in enumerate(indices):
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        pieces.append(arc if k == 0 else arc[1:])
    return np.concatenate(pieces) if pieces else np.zeros((0, 2))


def _ring(indices: Sequence[int], arcs: Sequence[FloatArray]) -> FloatArray:
    ring = _line(indices, arcs)
    # Rings of fewer than four positions (collapsed by quantization) are padded by
    # repeating the first, as topojson-client does, so they stay closed rings.
    while 0 < len(ring) < 4:
        ring = np.vstack([ring, ring[:1]])
    return ring


def _position(point: Sequence[float], transform: Mapping[str, Any] | None) -> list[float]:
    if transform is None:
        return [float(point[0]), float(point[1])]
    sx, sy = transform["scale"]
    tx, ty = transform["translate"]
    return [point[0] * sx + tx, point[1] * sy + ty]


def geometry_to_geojson(
    obj: Mapping[str, Any], arcs: Sequence[FloatArray], transform: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """One TopoJSON geometry object as a GeoJSON geometry dict (``None`` for a null
    geometry). Raises :class:`~spacepool.errors.GeometryError` for an unknown type."""
    kind = obj.get("type")
    if kind is None:
        return None
    if kind == "Point":
        return {"type": "Point", "coordinates": _position(obj["coordinates"], transform)}
    if kind == "MultiPoint":
        return {
            "type": "MultiPoint",
            "coordinates": [_position(p, transform) for p in obj["coordinates"]],
        }
    if kind == "LineString":
        return {"type": "LineString", "coordinates": _line(obj["arcs"], arcs).tolist()}
    if kind == "MultiLineString":
        return {
            "type": "MultiLineString",
            "coordinates": [_line(a, arcs).tolist() for a in obj["arcs"]],
        }
    if kind == "Polygon":
        return {"type": "Polygon", "coordinates": [_ring(r, arcs).tolist() for r in obj["arcs"]]}
    if kind == "MultiPolygon":
        return {
            "type": "MultiPolygon",
            "coordinates": [[_ring(r, arcs).tolist() for r in polygon] for polygon in obj["arcs"]],
        }
    if kind == "GeometryCollection":
        members = [geometry_to_geojson(g, arcs, transform) for g in obj.get("geometries", [])]
        return {"type": "GeometryCollection", "geometries": [m for m in members if m]}
    raise GeometryError(f"TopoJSON: unknown geometry type {kind!r}")


def topojson_features(topology: Mapping[str, Any], object_name: str) -> list[dict[str, Any]]:
    """The GeoJSON Features of one named object of a topology (``topojson.feature``
    in topojson-client): one feature per member of a GeometryCollection, else one."""
    objects = topology.get("objects", {})
    if object_name not in objects:
        raise UnknownNameError("TopoJSON object", object_name, list(objects))
    arcs = decode_arcs(topology)
    transform = topology.get("transform")
    obj = objects[object_name]
    members = obj["geometries"] if obj.get("type") == "GeometryCollection" else [obj]
    features = []
    for member in members:
        feature: dict[str, Any] = {
            "type": "Feature",
            "properties": dict(member.get("properties") or {}),
            "geometry": geometry_to_geojson(member, arcs, transform),
        }
        if "id" in member:
            feature["id"] = member["id"]
        features.append(feature)
    return features


# --- Natural Earth ----------------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    """A Natural Earth country: ``name`` (as in world-atlas), ``iso_numeric`` (ISO 3166-1
    numeric code as text, ``None`` for the few areas without one) and ``geometry``
    (a shapely Polygon or MultiPolygon in longitude/latitude degrees within
    ``[-180, 180]``, cut at the antimeridian; every polygon is valid, though the
    parts of a MultiPolygon may touch along an edge)."""

    name: str
    iso_numeric: str | None
    geometry: BaseGeometry = field(compare=False, repr=False)


def _check_resolution(resolution: str) -> None:
    if resolution not in RESOLUTIONS:
        raise UnknownNameError("basemap resolution", resolution, list(RESOLUTIONS))


@lru_cache(maxsize=4)
def _topology(filename: str) -> dict[str, Any]:
    path = resources.files("spacepool").joinpath(*_FOLDER, filename)
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _valid_parts(geometry: BaseGeometry) -> list[Polygon]:
    """The polygons of ``geometry``, each made valid where it is not (a few Natural
    Earth outlines touch themselves after quantization); empty parts dropped."""
    out: list[Polygon] = []
    for part in getattr(geometry, "geoms", [geometry]):
        if not isinstance(part, Polygon):
            continue
        if part.is_valid:
            if not part.is_empty:
                out.append(part)
            continue
        fixed = shapely.make_valid(part)
        for g in getattr(fixed, "geoms", [fixed]):
            if isinstance(g, MultiPolygon):
                out.extend(p for p in g.geoms if not p.is_empty)
            elif isinstance(g, Polygon) and not g.is_empty:
                out.append(g)
    return out


def _join(parts: Sequence[Polygon]) -> BaseGeometry:
    if not parts:
        return Polygon()
    return parts[0] if len(parts) == 1 else MultiPolygon(list(parts))


def _unwrap(ring: FloatArray) -> tuple[FloatArray, bool]:
    """A ring that crosses the antimeridian and comes back (two jumps of nearly 360 deg
    in longitude, as Fiji's and Chukotka's outlines do) made continuous, with
    longitudes past +-180; other rings as they are. Returns ``(ring, changed)``."""
    step = np.diff(ring[:, 0])
    jumps = np.abs(step) > 180.0
    count = int(np.count_nonzero(jumps))
    # One jump is a ring around a pole (Antarctica), drawn correctly in the plane.
    if count == 0 or count % 2:
        return ring, False
    shift = np.r_[0.0, np.cumsum(np.where(jumps, -360.0 * np.sign(step), 0.0))]
    out = ring.copy()
    out[:, 0] += shift
    # Keep most of the ring where it was (its holes are not moved).
    out[:, 0] -= 360.0 * np.round(np.median(out[:, 0]) / 360.0)
    return out, True


def _polygonal_geometry(geometry: Mapping[str, Any]) -> BaseGeometry:
    """A GeoJSON (Multi)Polygon as a valid shapely geometry within [-180, 180], rings
    across the antimeridian cut there (so a map in the plane shows no streak)."""
    from spacepool.access.areas import split_antimeridian

    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    parts: list[Polygon] = []
    for rings_ in polygons:
        fixed = [_unwrap(np.asarray(r, dtype=np.float64)) for r in rings_]
        polygon: BaseGeometry = Polygon(fixed[0][0], [r for r, _ in fixed[1:]])
        if any(changed for _, changed in fixed):
            polygon = split_antimeridian(_join(_valid_parts(polygon)))
        parts.extend(_valid_parts(polygon))
    # Each polygon is valid; no union of the parts (slow for the 1,400 of the land):
    # parts may touch along an edge (Antarctica's at the pole), which drawing, clipping
    # and point tests do not mind.
    return _join(parts)


@lru_cache(maxsize=2)
def countries(resolution: Resolution = "110m") -> tuple[Country, ...]:
    """Every country of Natural Earth at ``resolution`` (``"50m"``: 241 countries and
    territories, ``"110m"``: 177), in file order. Cached."""
    _check_resolution(resolution)
    topology = _topology(f"countries-{resolution}.json")
    out = []
    for feature in topojson_features(topology, "countries"):
        geometry = feature["geometry"]
        if geometry is None:
            continue
        code = feature.get("id")
        out.append(
            Country(
                name=str(feature["properties"].get("name", code or "")),
                iso_numeric=None if code is None else str(code),
                geometry=_polygonal_geometry(geometry),
            )
        )
    return tuple(out)


@lru_cache(maxsize=2)
def land(resolution: Resolution = "110m") -> BaseGeometry:
    """All land (the ``land`` object of world-atlas) as one MultiPolygon (valid parts,
    see :class:`Country`). Cached."""
    _check_resolution(resolution)
    filename, name = _LAND_FILES[resolution]
    (feature,) = topojson_features(_topology(filename), name)
    return _polygonal_geometry(feature["geometry"])


def country(name: str, resolution: Resolution = "110m") -> Country:
    """A country by its Natural Earth name (case-insensitive) or ISO numeric code."""
    wanted = name.strip().lower()
    every = countries(resolution)
    for c in every:
        if wanted in (c.name.lower(), (c.iso_numeric or "").lstrip("0")) or wanted == c.iso_numeric:
            return c
    raise UnknownNameError("country name", name, [c.name for c in every])


def country_at(
    longitude_deg: float, latitude_deg: float, resolution: Resolution = "110m"
) -> str | None:
    """The name of the country containing a point, ``None`` at sea (or off the map's
    resolution: a point on a small island may fall outside the 1:110m outlines)."""
    lon = (longitude_deg + 180.0) % 360.0 - 180.0
    point = Point(lon, latitude_deg)
    for c in countries(resolution):
        if c.geometry.intersects(point):
            return c.name
    return None


# --- clipping to a map window -----------------------------------------------------------


def _shifts(bbox: BBox) -> tuple[float, ...]:
    """Multiples of 360 deg by which world geometry must be moved to fill ``bbox``."""
    west, _, east, _ = bbox
    first = math.floor((west + 180.0) / 360.0)
    last = math.floor((east + 180.0) / 360.0)
    return tuple(360.0 * k for k in range(first, last + 1))


def clip(geometry: BaseGeometry, bbox: BBox) -> BaseGeometry:
    """``geometry`` (longitudes in ``[-180, 180]``) cut to ``bbox``, with copies moved by
    360 deg where the window reaches past the antimeridian. May be empty."""
    west, south, east, north = bbox
    if not (west < east and south < north):
        raise GeometryError(f"map window: expected west < east and south < north, found {bbox}")
    pieces = []
    for shift in _shifts(bbox):
        moved = shapely.transform(geometry, lambda xy, d=shift: xy + np.array([d, 0.0]))
        piece = shapely.clip_by_rect(moved, west, south, east, north)
        if not piece.is_empty:
            pieces.append(piece)
    if not pieces:
        return Polygon()
    # Copies 360 deg apart do not overlap inside one window: join, no union needed.
    return _join([p for piece in pieces for p in _valid_parts(piece)])


def countries_in(bbox: BBox, resolution: Resolution = "110m") -> tuple[Country, ...]:
    """The countries that reach into ``bbox``, each clipped to it."""
    box = shapely.box(*bbox)
    out = []
    for c in countries(resolution):
        clipped = clip(c.geometry, bbox)
        if not clipped.is_empty and clipped.intersects(box) and clipped.area > 0.0:
            out.append(Country(c.name, c.iso_numeric, clipped))
    return tuple(out)


def rings(geometry: BaseGeometry) -> tuple[FloatArray, ...]:
    """Every ring (exteriors and holes) of a polygonal geometry, or every line of a
    linear one, as ``(2, K)`` arrays of (longitude, latitude)."""
    out: list[FloatArray] = []
    for part in getattr(geometry, "geoms", [geometry]):
        if isinstance(part, Polygon):
            for ring in (part.exterior, *part.interiors):
                out.append(np.asarray(ring.coords, dtype=np.float64)[:, :2].T)
        elif isinstance(part, LineString):
            out.append(np.asarray(part.coords, dtype=np.float64)[:, :2].T)
        elif hasattr(part, "geoms"):
            out.extend(rings(part))
    return tuple(r for r in out if r.shape[1] > 0)


def border_rings(bbox: BBox, resolution: Resolution = "110m") -> tuple[FloatArray, ...]:
    """The outlines of every country inside ``bbox`` (clipped), ``(2, K)`` each."""
    out: list[FloatArray] = []
    for c in countries_in(bbox, resolution):
        out.extend(rings(c.geometry))
    return tuple(out)


__all__ = [
    "RESOLUTIONS",
    "BBox",
    "Country",
    "border_rings",
    "clip",
    "countries",
    "countries_in",
    "country",
    "country_at",
    "decode_arcs",
    "geometry_to_geojson",
    "land",
    "rings",
    "topojson_features",
]
