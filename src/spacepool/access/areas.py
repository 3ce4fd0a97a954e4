"""Imaging targets: points and areas of interest read from GeoJSON.

An area is kept as a *planar* shapely polygon in longitude/latitude degrees whose
longitudes are unwrapped (continuous): a box written from 170E to -170E is held as
170..190, not as a 340-degree band. The reading rules, in the order applied:

* GeoJSON (RFC 7946): a ``Polygon``, ``MultiPolygon``, ``Feature`` or
  ``FeatureCollection``; positions are ``[longitude, latitude]`` in degrees
  (a third value, the height, is ignored); every ring is closed (its last position
  repeats the first) and has at least four positions.
* Antimeridian: each edge takes the shorter way round in longitude, so an edge from
  170 to -170 crosses the antimeridian (20 degrees wide), as RFC 7946 section 3.1.9's
  cut form and most tools assume. An edge spanning exactly 180 degrees is taken as
  written. An edge between -180 and +180 at the same latitude is the whole latitude
  circle (the usual planar way of writing a polar cap, e.g. the box
  ``[-180, 80] .. [180, 90]``).
* Poles: a ring whose unwrapped longitude advances by a full turn encircles a pole;
  it is closed through that pole (the north pole when all its latitudes are >= 0,
  the south pole when all are <= 0; a ring that encircles a pole while crossing the
  equator is ambiguous and rejected). Holes may not encircle a pole.
* Validity: after unwrapping, every polygon must be valid in the plane
  (``shapely.is_valid``); otherwise the reason from ``shapely.validation.explain_validity``
  is reported (e.g. ``Self-intersection[0.5 0.5]``).

Distances on the ground use a sphere of the mean Earth radius with geodetic latitude
and longitude taken as spherical coordinates: good to about 0.5 % of the distance,
which is what sampling grids, densification and footprint outlines need. Visibility
and off-nadir angles never use this sphere: they use WGS84 positions (see
:mod:`spacepool.access.imaging`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from spacepool.errors import GeoJSONError, GeometryError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# IUGG mean Earth radius R1 = (2a + b) / 3 of GRS80/WGS84, km (Moritz 2000, "Geodetic
# Reference System 1980", Journal of Geodesy 74, p. 128).
EARTH_MEAN_RADIUS_KM = 6371.0088
# Boundaries are densified so that no piece is longer than this (km): a chord of 10 km
# sags 2 m below the surface, which moves an off-nadir angle by under 0.0002 deg.
DEFAULT_BOUNDARY_SPACING_KM = 10.0
# ... and so that each piece's chord stays within this distance (km) of the lon/lat
# edge sideways: 1 m, i.e. well under a millisecond of ground-track motion.
DEFAULT_DEVIATION_KM = 1e-3
# Lon/lat edges are split to this length (degrees) before projection to the plane, so
# that projected outlines follow the edges' curvature (about 1 m of sagitta).
_PROJECTION_SEGMENT_DEG = 0.05
# Outlines coming back from the projection plane are split to this length (km).
_UNPROJECTION_SEGMENT_KM = 10.0

_ACCEPTED = "a Polygon, MultiPolygon, Feature or FeatureCollection"


# --- point targets ------------------------------------------------------------------


@dataclass(frozen=True)
class PointTarget:
    """A point on the ground: WGS84 geodetic latitude/longitude (degrees), height (m)."""

    name: str
    latitude_deg: float
    longitude_deg: float
    altitude_m: float = 0.0

    def __post_init__(self) -> None:
        lat, lon, alt = self.latitude_deg, self.longitude_deg, self.altitude_m
        if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
            raise GeometryError(
                f"target {self.name!r}: latitude must be between -90 and 90 degrees, found {lat:g}"
            )
        if not (math.isfinite(lon) and -180.0 <= lon <= 360.0):
            raise GeometryError(
                f"target {self.name!r}: longitude must be between -180 and 360 degrees, "
                f"found {lon:g}"
            )
        if not (math.isfinite(alt) and -500.0 <= alt <= 9000.0):
            raise GeometryError(
                f"target {self.name!r}: height must be between -500 and 9000 m, found {alt:g}"
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "latitude_deg": self.latitude_deg,
            "longitude_deg": self.longitude_deg,
            "altitude_m": self.altitude_m,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PointTarget:
        return cls(
            name=str(data["name"]),
            latitude_deg=float(data["latitude_deg"]),
            longitude_deg=float(data["longitude_deg"]),
            altitude_m=float(data.get("altitude_m", 0.0)),
        )


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_LATLON = re.compile(rf"\s*({_NUMBER})\s*,\s*({_NUMBER})\s*")


def parse_point(text: str, name: str | None = None) -> PointTarget:
    """``"LAT,LON"`` (degrees) -> :class:`PointTarget` named ``name`` or ``"LAT,LON"``."""
    match = _LATLON.fullmatch(text)
    if match is None:
        raise GeometryError(
            f"target: expected LAT,LON in degrees (e.g. 48.85,2.35), found {text!r}"
        )
    lat, lon = float(match[1]), float(match[2])
    return PointTarget(name or f"{lat:g},{lon:g}", lat, lon)


# --- area targets -------------------------------------------------------------------


@dataclass(frozen=True)
class AreaTarget:
    """An area of interest: a polygon (or several) in unwrapped lon/lat degrees.

    ``geometry`` is a valid planar shapely ``Polygon`` or ``MultiPolygon`` whose
    smallest longitude lies in ``[-180, 180)``; longitudes may exceed 180 (an area
    across the antimeridian or around a pole). Build it with :func:`parse_geojson`,
    :func:`load_aoi` or :meth:`from_geometry`.
    """

    name: str
    geometry: BaseGeometry = field(compare=False, repr=False)
    source: str = ""

    @classmethod
    def from_geometry(cls, name: str, geometry: BaseGeometry, source: str = "") -> AreaTarget:
        """An area from a shapely (Multi)Polygon in lon/lat, normalised and checked by
        the same rules as GeoJSON input."""
        data = mapping(geometry)
        areas = parse_geojson(dict(data), source=source or "<geometry>", name=name)
        return areas[0]

    # -- shape ------------------------------------------------------------------------

    @cached_property
    def parts(self) -> tuple[Polygon, ...]:
        geom = self.geometry
        if isinstance(geom, Polygon):
            return (geom,)
        return tuple(geom.geoms)

    def contains(self, longitude_deg: FloatArray, latitude_deg: FloatArray) -> NDArray[np.bool_]:
        """True where points (any longitude convention) lie inside or on the boundary;
        shape of the input."""
        lon = np.mod(np.asarray(longitude_deg, dtype=np.float64) + 180.0, 360.0) - 180.0
        lat = np.asarray(latitude_deg, dtype=np.float64)
        prepared = self._prepared
        # The boundary counts as inside (a point on the seam of a ring around a pole is
        # on the planar boundary). Unwrapped longitudes reach 540: test the shifted copy.
        inside = shapely.intersects_xy(prepared, lon, lat)
        inside |= shapely.intersects_xy(prepared, lon + 360.0, lat)
        result: NDArray[np.bool_] = np.asarray(inside, dtype=bool)
        return result

    @cached_property
    def _prepared(self) -> BaseGeometry:
        # A copy: preparing attaches an index to the object, which stays private here.
        geom = shapely.from_wkb(shapely.to_wkb(self.geometry))
        shapely.prepare(geom)
        return geom

    def boundary_rings(
        self, spacing_km: float = DEFAULT_BOUNDARY_SPACING_KM
    ) -> tuple[FloatArray, ...]:
        """Every ring (exteriors and holes) densified to ``spacing_km``.

        Each ring is a ``(2, K)`` array of (longitude, latitude) in degrees, closed
        (last column equals the first); edges are split as straight lines in lon/lat.
        """
        rings: list[FloatArray] = []
        for part in self.parts:
            for ring in (part.exterior, *part.interiors):
                xy = np.asarray(ring.coords, dtype=np.float64).T
                rings.append(densify_lonlat(xy, spacing_km))
        return tuple(rings)

    @cached_property
    def _boundary_unit(self) -> FloatArray:
        """Unit vectors (spherical) of the boundary densified to 25 km, ``(3, K)``."""
        xy = np.concatenate(self.boundary_rings(25.0), axis=1)
        return unit_vectors(xy[1], xy[0])

    @cached_property
    def centre_deg(self) -> tuple[float, float]:
        """(latitude, longitude) of the normalised mean of the boundary points.

        For an area around a pole this is near the pole. The longitude is given in
        ``[-180, 180)``. Falls back to a point inside when the mean is degenerate.
        """
        mean = self._boundary_unit.mean(axis=1)
        norm = float(np.linalg.norm(mean))
        if norm < 1e-6:
            point = self.geometry.representative_point()
            return float(point.y), float(np.mod(point.x + 180.0, 360.0) - 180.0)
        mean = mean / norm
        lat = math.degrees(math.asin(max(-1.0, min(1.0, float(mean[2])))))
        lon = math.degrees(math.atan2(float(mean[1]), float(mean[0])))
        return lat, lon

    @cached_property
    def cap_radius_deg(self) -> float:
        """Angular radius about :attr:`centre_deg` of a cap containing the whole area.

        180 when no cap smaller than a hemisphere contains the boundary (then the area
        is not pre-filtered by distance). Includes a margin for the 25 km sampling of
        the boundary used to compute it.
        """
        lat0, lon0 = self.centre_deg
        centre = unit_vectors(np.array([lat0]), np.array([lon0]))[:, 0]
        cos_angle = np.clip(centre @ self._boundary_unit, -1.0, 1.0)
        radius = math.degrees(math.acos(float(cos_angle.min())))
        radius += math.degrees(25.0 / EARTH_MEAN_RADIUS_KM)
        return radius if radius < 85.0 else 180.0

    # -- projection plane ---------------------------------------------------------------

    def project(self, longitude_deg: FloatArray, latitude_deg: FloatArray) -> FloatArray:
        """Lambert azimuthal equal-area plane centred on :attr:`centre_deg` (km), ``(2, K)``."""
        lat0, lon0 = self.centre_deg
        return laea_forward(latitude_deg, longitude_deg, lat0, lon0)

    def unproject(self, xy_km: FloatArray) -> FloatArray:
        """Inverse of :meth:`project`: ``(2, K)`` (longitude, latitude) degrees."""
        lat0, lon0 = self.centre_deg
        return laea_inverse(xy_km, lat0, lon0)

    @cached_property
    def projected(self) -> BaseGeometry:
        """The area in the projection plane (km): areas there are true areas."""
        return self.to_plane(self.geometry)

    @cached_property
    def area_km2(self) -> float:
        return float(self.projected.area)

    def to_plane(self, geometry_lonlat: BaseGeometry) -> BaseGeometry:
        """A lon/lat geometry in this area's projection plane, made valid."""
        dense = shapely.segmentize(geometry_lonlat, _PROJECTION_SEGMENT_DEG)
        plane = shapely.transform(dense, lambda lonlat: self.project(lonlat[:, 0], lonlat[:, 1]).T)
        return _polygonal(shapely.make_valid(plane))

    def from_plane(self, geometry_xy: BaseGeometry) -> BaseGeometry:
        """A polygonal geometry of the projection plane back in unwrapped lon/lat."""
        parts = [p for p in _polygons(geometry_xy) if p.area > 0.0]
        out: list[BaseGeometry] = []
        for part in parts:
            dense = shapely.segmentize(part, _UNPROJECTION_SEGMENT_KM)
            rings = [
                self.unproject(np.asarray(r.coords, dtype=np.float64).T)
                for r in (dense.exterior, *dense.interiors)
            ]
            out.append(_planar_polygon(rings, source="", location="", origin="projection"))
        if not out:
            return Polygon()
        return self.clip(_polygonal(shapely.make_valid(shapely.union_all(out))))

    def clip(self, geometry_lonlat: BaseGeometry) -> BaseGeometry:
        """The part of a lon/lat geometry inside the area (any 360-degree shift of it)."""
        pieces = []
        for shift in (-360.0, 0.0, 360.0):
            moved = shapely.transform(self.geometry, lambda xy, d=shift: xy + np.array([d, 0.0]))
            piece = _polygonal(shapely.intersection(geometry_lonlat, moved))
            if not piece.is_empty:
                pieces.append(piece)
        if not pieces:
            return Polygon()
        return _normalise_longitude(_polygonal(shapely.union_all(pieces)))

    # -- sampling -------------------------------------------------------------------------

    def sample_points(self, spacing_km: float) -> tuple[FloatArray, FloatArray]:
        """Points inside the area on a grid ``spacing_km`` apart: ``(latitude, longitude)``.

        Rows of constant latitude ``spacing_km`` apart; along each row, points
        ``spacing_km`` apart on the ground (so each point stands for about
        ``spacing_km**2`` of area), the first half a spacing from the area's western
        bound. An area smaller than the grid gets one point inside it. Longitudes in
        ``[-180, 180)``.
        """
        if not spacing_km > 0.0:
            raise GeometryError(f"sampling spacing must be above 0 km, found {spacing_km:g}")
        minx, miny, maxx, maxy = self.geometry.bounds
        dlat = math.degrees(spacing_km / EARTH_MEAN_RADIUS_KM)
        lat_rows = np.arange(miny + dlat / 2.0, maxy, dlat)
        if lat_rows.size:
            cos_lat = np.maximum(np.cos(np.radians(lat_rows)), 1e-6)
            dlon = np.minimum(np.degrees(spacing_km / (EARTH_MEAN_RADIUS_KM * cos_lat)), 360.0)
            counts = np.floor((maxx - minx) / dlon - 0.5).astype(np.int64) + 1
            counts = np.maximum(counts, 1)
            row = np.repeat(np.arange(lat_rows.size), counts)
            first = np.cumsum(counts) - counts
            k = np.arange(row.size) - first[row]
            lon = minx + (k + 0.5) * dlon[row]
            lat = lat_rows[row]
            keep = shapely.contains_xy(self._prepared, lon, lat)
            lon, lat = lon[keep], lat[keep]
        else:
            lon = lat = np.zeros(0)
        if lon.size == 0:
            point = self.geometry.representative_point()
            lon, lat = np.array([point.x]), np.array([point.y])
        return lat, np.mod(lon + 180.0, 360.0) - 180.0

    # -- output ---------------------------------------------------------------------------

    def to_geojson_geometry(self, geometry: BaseGeometry | None = None) -> dict[str, Any]:
        """A GeoJSON geometry dict of ``geometry`` (default: the area) with longitudes in
        ``[-180, 180]``, cut at the antimeridian (RFC 7946 section 3.1.9)."""
        return dict(mapping(split_antimeridian(self.geometry if geometry is None else geometry)))


# --- reading GeoJSON ----------------------------------------------------------------


def load_aoi(path: str | Path) -> tuple[AreaTarget, ...]:
    """Areas of interest from a GeoJSON file (see :func:`parse_geojson`)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise GeoJSONError(
            source=str(path), location="", reason=f"cannot read the file: {exc.strerror}"
        ) from None
    except UnicodeDecodeError:
        raise GeoJSONError(
            source=str(path), location="", reason="not UTF-8 text (RFC 7946 section 11)"
        ) from None
    return parse_geojson(text, source=p.name, name=p.stem)


def parse_geojson(
    data: str | bytes | dict[str, Any],
    *,
    source: str = "<geojson>",
    name: str | None = None,
) -> tuple[AreaTarget, ...]:
    """Areas from GeoJSON text or a parsed object: one per feature or geometry.

    Accepts a ``Polygon``, ``MultiPolygon``, ``Feature`` or ``FeatureCollection``
    (the latter two with polygonal geometries). An area's name is the feature's
    ``properties.name`` (or ``id``), else ``name`` (numbered when there are several
    features). Raises :class:`~spacepool.errors.GeoJSONError` naming the place in the
    document and the reason; see the module docstring for the rules.
    """
    if isinstance(data, str | bytes):
        try:
            obj = json.loads(data)
        except json.JSONDecodeError as exc:
            raise GeoJSONError(
                source=source,
                location=f"line {exc.lineno}, column {exc.colno}",
                reason=f"not valid JSON: {exc.msg}",
            ) from None
    else:
        obj = data
    base = name or "aoi"
    kind = obj.get("type") if isinstance(obj, dict) else None
    if kind == "FeatureCollection":
        features = obj.get("features")
        if not isinstance(features, list) or not features:
            raise GeoJSONError(
                source=source,
                location="features",
                reason="expected a non-empty list of features, found " + _describe(features),
            )
        areas = []
        for i, feature in enumerate(features):
            default = f"{base}-{i + 1}" if len(features) > 1 else base
            areas.append(_feature(feature, f"features[{i}]", source, default))
        return tuple(areas)
    if kind == "Feature":
        return (_feature(obj, "", source, base),)
    if kind in ("Polygon", "MultiPolygon"):
        geometry = _geometry(obj, "", source)
        return (AreaTarget(base, geometry, source),)
    raise GeoJSONError(
        source=source,
        location="type",
        reason=f"expected {_ACCEPTED}, found {_describe(kind)}",
    )


def _feature(feature: Any, location: str, source: str, default: str) -> AreaTarget:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise GeoJSONError(
            source=source,
            location=_join(location, "type"),
            reason=f"expected a Feature, found {_describe(_kind(feature))}",
        )
    geometry = feature.get("geometry")
    if geometry is None:
        raise GeoJSONError(
            source=source,
            location=_join(location, "geometry"),
            reason="the feature has no geometry (null); give a Polygon or MultiPolygon",
        )
    props = feature.get("properties") or {}
    name = props.get("name") if isinstance(props, dict) else None
    if name is None:
        name = feature.get("id")
    return AreaTarget(
        str(name) if name is not None else default,
        _geometry(geometry, _join(location, "geometry"), source),
        source,
    )


def _geometry(obj: Any, location: str, source: str) -> BaseGeometry:
    kind = _kind(obj)
    if kind not in ("Polygon", "MultiPolygon"):
        raise GeoJSONError(
            source=source,
            location=_join(location, "type"),
            reason=f"expected a Polygon or MultiPolygon geometry, found {_describe(kind)}",
        )
    coords = obj.get("coordinates")
    where = _join(location, "coordinates")
    if not isinstance(coords, list | tuple) or not coords:
        raise GeoJSONError(
            source=source,
            location=where,
            reason=f"empty geometry: expected a non-empty list of rings, found {_describe(coords)}",
        )
    if kind == "Polygon":
        return _polygon(coords, where, source)
    parts = []
    for i, poly in enumerate(coords):
        if not isinstance(poly, list | tuple) or not poly:
            raise GeoJSONError(
                source=source,
                location=f"{where}[{i}]",
                reason=f"empty polygon: expected a non-empty list of rings, found {_describe(poly)}",
            )
        parts.append(_polygon(poly, f"{where}[{i}]", source))
    if len(parts) == 1:
        return parts[0]
    merged = shapely.union_all(parts)
    return _normalise_longitude(_polygonal(merged))


def _polygon(rings: Sequence[Any], location: str, source: str) -> Polygon:
    arrays = [_ring(r, f"{location}[{i}]", source) for i, r in enumerate(rings)]
    polygon = _planar_polygon(arrays, source=source, location=location, origin="geojson")
    return polygon


def _ring(ring: Any, location: str, source: str) -> FloatArray:
    """Validated ring positions as ``(2, K)`` (longitude, latitude), as written."""
    if not isinstance(ring, list | tuple) or not ring:
        raise GeoJSONError(
            source=source,
            location=location,
            reason=f"empty ring: expected a list of [longitude, latitude] positions, found {_describe(ring)}",
        )
    values = np.empty((2, len(ring)))
    for k, position in enumerate(ring):
        ok = (
            isinstance(position, list | tuple)
            and len(position) >= 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in position[:2])
        )
        if not ok:
            raise GeoJSONError(
                source=source,
                location=f"{location}[{k}]",
                reason=f"expected a position [longitude, latitude] of numbers, found {_short(position)}",
            )
        lon, lat = float(position[0]), float(position[1])
        if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
            raise GeoJSONError(
                source=source,
                location=f"{location}[{k}]",
                reason=f"longitude must be between -180 and 180 degrees, found {lon:g} "
                "(positions are [longitude, latitude], RFC 7946 section 3.1.1)",
            )
        if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
            raise GeoJSONError(
                source=source,
                location=f"{location}[{k}]",
                reason=f"latitude must be between -90 and 90 degrees, found {lat:g} "
                "(positions are [longitude, latitude], RFC 7946 section 3.1.1)",
            )
        values[0, k], values[1, k] = lon, lat
    if len(ring) < 4:
        raise GeoJSONError(
            source=source,
            location=location,
            reason=f"a ring needs at least 4 positions (the last repeating the first), "
            f"found {len(ring)} (RFC 7946 section 3.1.6)",
        )
    if not np.array_equal(values[:, 0], values[:, -1]):
        raise GeoJSONError(
            source=source,
            location=location,
            reason=f"ring is not closed: the first position {_pos(values[:, 0])} differs "
            f"from the last {_pos(values[:, -1])}; repeat the first position at the end "
            "(RFC 7946 section 3.1.6)",
        )
    return values


def _planar_polygon(
    rings: Sequence[FloatArray], *, source: str, location: str, origin: str
) -> Polygon:
    """A valid planar polygon from rings of (lon, lat) (``(2, K)`` each, closed)."""
    shell = _unwrap_ring(rings[0], source, f"{location}[0]", exterior=True)
    moved = not np.array_equal(shell[:, : rings[0].shape[1]], rings[0])
    holes = []
    centre_lon = float(np.mean(shell[0]))
    for i, ring in enumerate(rings[1:], start=1):
        hole = _unwrap_ring(ring, source, f"{location}[{i}]", exterior=False)
        shift = 360.0 * round((centre_lon - float(np.mean(hole[0]))) / 360.0)
        hole[0] += shift
        moved |= not np.array_equal(hole, ring)
        holes.append(hole.T)
    polygon = Polygon(shell.T, holes)
    if not polygon.is_valid:
        reason = explain_validity(polygon)
        if origin == "projection":
            fixed = _polygonal(shapely.make_valid(polygon))
            return fixed if isinstance(fixed, Polygon) else Polygon()
        note = " (after unwrapping longitudes across the antimeridian)" if moved else ""
        raise GeoJSONError(
            source=source,
            location=location,
            reason=f"invalid polygon: {reason}{note}; fix the rings so that their edges "
            "do not cross",
        )
    if polygon.area <= 0.0:
        raise GeoJSONError(source=source, location=location, reason="the polygon encloses no area")
    return _normalise_longitude(polygon)


def _unwrap_ring(ring: FloatArray, source: str, location: str, *, exterior: bool) -> FloatArray:
    """Continuous longitudes (shorter way across the antimeridian); a ring that winds
    round a pole is closed through that pole. Returns ``(2, K)``."""
    lon, lat = ring[0], ring[1]
    step = np.diff(lon)
    full_circle = (np.abs(lon[:-1]) == 180.0) & (lon[1:] == -lon[:-1]) & (lon[1:] != 0.0)
    wrapped = (step + 180.0) % 360.0 - 180.0
    wrapped = np.where(step == 180.0, 180.0, wrapped)  # exactly 180: as written
    step = np.where(full_circle, step, wrapped)
    # Whole turns added at each vertex, so that a vertex that needs none keeps its
    # longitude bit for bit (a running sum of steps would carry rounding noise).
    turns = np.round((step - np.diff(lon)) / 360.0)
    unwrapped = lon + 360.0 * np.concatenate(([0.0], np.cumsum(turns)))
    winding = float(unwrapped[-1] - unwrapped[0])
    out = np.vstack((unwrapped, lat))
    if abs(winding) < 1e-9:
        return out
    if not exterior:
        raise GeoJSONError(
            source=source,
            location=location,
            reason="a hole may not encircle a pole; describe the area around the pole "
            "with its outer ring",
        )
    if abs(abs(winding) - 360.0) > 1e-9:
        raise GeoJSONError(
            source=source,
            location=location,
            reason=f"the ring winds {winding / 360.0:+.0f} times round the Earth; a ring may "
            "circle a pole at most once",
        )
    if np.all(lat >= 0.0) and np.any(lat > 0.0):
        pole = 90.0
    elif np.all(lat <= 0.0) and np.any(lat < 0.0):
        pole = -90.0
    else:
        raise GeoJSONError(
            source=source,
            location=location,
            reason="the ring encircles a pole but has latitudes on both sides of the "
            "equator, so which pole it encloses is ambiguous; split the area at the equator",
        )
    closing = np.array([[unwrapped[-1], unwrapped[0], unwrapped[0]], [pole, pole, lat[0]]])
    return np.hstack((out, closing))


def _normalise_longitude(geom: BaseGeometry) -> BaseGeometry:
    """Shift by a multiple of 360 so the smallest longitude lies in [-180, 180)."""
    minx = geom.bounds[0]
    shift = -360.0 * math.floor((minx + 180.0) / 360.0)
    if shift == 0.0:
        return geom
    return shapely.transform(geom, lambda xy: xy + np.array([shift, 0.0]))


def _polygons(geom: BaseGeometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom] if not geom.is_empty else []
    if hasattr(geom, "geoms"):
        out: list[Polygon] = []
        for g in geom.geoms:
            out.extend(_polygons(g))
        return out
    return []


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The polygonal part of ``geom`` (a Polygon or MultiPolygon; empty Polygon if none)."""
    polys = _polygons(geom)
    if not polys:
        return Polygon()
    if len(polys) == 1:
        return polys[0]
    return MultiPolygon(polys)


def split_antimeridian(geometry: BaseGeometry) -> BaseGeometry:
    """Cut an unwrapped lon/lat geometry at the antimeridian; longitudes in [-180, 180]."""
    pieces: list[BaseGeometry] = []
    minx, _, maxx, _ = geometry.bounds if not geometry.is_empty else (0.0, 0.0, 0.0, 0.0)
    k_lo = math.floor((minx + 180.0) / 360.0)
    k_hi = math.floor((maxx + 180.0) / 360.0)
    for k in range(k_lo, k_hi + 1):
        box = shapely.box(-180.0 + 360.0 * k, -90.0, 180.0 + 360.0 * k, 90.0)
        piece = _polygonal(shapely.intersection(geometry, box))
        if piece.is_empty:
            continue
        if k:
            piece = shapely.transform(piece, lambda xy, s=360.0 * k: xy - np.array([s, 0.0]))
        pieces.extend(_polygons(piece))
    return _polygonal(MultiPolygon(pieces)) if pieces else Polygon()


# --- sphere helpers -------------------------------------------------------------------


def unit_vectors(latitude_deg: FloatArray, longitude_deg: FloatArray) -> FloatArray:
    """Spherical unit vectors, ``(3, K)``."""
    lat = np.radians(np.asarray(latitude_deg, dtype=np.float64))
    lon = np.radians(np.asarray(longitude_deg, dtype=np.float64))
    return np.stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))


def densify_lonlat(
    ring: FloatArray, spacing_km: float, *, deviation_km: float = DEFAULT_DEVIATION_KM
) -> FloatArray:
    """Split the edges of a ``(2, K)`` lon/lat polyline for use as straight 3D chords.

    Each edge (a straight line in lon/lat, as GeoJSON defines it) is cut into equal
    pieces no longer than ``spacing_km`` on the ground, and short enough that each
    piece's chord stays within ``deviation_km`` (sideways, on the sphere) of the lon/lat
    line: a line of constant latitude near a pole bends strongly (at 84 deg, a 10 km
    chord is 19 m off). The sideways deviation of a piece's midpoint falls with the
    square of the number of pieces; two refinement passes make sure of the bound.
    Edge lengths use the largest ``cos(latitude)`` along the edge.
    """
    lon, lat = ring[0], ring[1]
    dlon = np.radians(np.diff(lon))
    dlat = np.radians(np.diff(lat))
    crosses_equator = np.sign(lat[:-1]) != np.sign(lat[1:])
    min_abs_lat = np.where(crosses_equator, 0.0, np.minimum(np.abs(lat[:-1]), np.abs(lat[1:])))
    cos_max = np.cos(np.radians(min_abs_lat))
    length = EARTH_MEAN_RADIUS_KM * np.hypot(dlat, cos_max * dlon)
    pieces = np.maximum(np.ceil(length / spacing_km - 1e-9).astype(np.int64), 1)
    for _ in range(3):
        deviation = _piece_deviation_km(lon, lat, pieces)
        too_far = deviation > deviation_km
        if not too_far.any():
            break
        factor = np.sqrt(deviation[too_far] / deviation_km) * 1.05
        pieces[too_far] = np.ceil(pieces[too_far] * factor).astype(np.int64)
    edge = np.repeat(np.arange(pieces.size), pieces)
    first = np.cumsum(pieces) - pieces
    frac = (np.arange(edge.size) - first[edge]) / pieces[edge]
    out_lon = lon[edge] + frac * np.diff(lon)[edge]
    out_lat = lat[edge] + frac * np.diff(lat)[edge]
    return np.vstack((np.r_[out_lon, lon[-1]], np.r_[out_lat, lat[-1]]))


def _piece_deviation_km(lon: FloatArray, lat: FloatArray, pieces: IntArray) -> FloatArray:
    """Largest sideways distance (km) between a piece's chord midpoint (projected to the
    sphere) and the lon/lat line's midpoint, over the first, middle and last pieces of
    each edge when cut into ``pieces``."""
    worst = np.zeros(pieces.size)
    step_lon = np.diff(lon) / pieces
    step_lat = np.diff(lat) / pieces
    for where in (0.0, 0.5, 1.0):
        k = np.floor(where * (pieces - 1))
        a_lon, a_lat = lon[:-1] + k * step_lon, lat[:-1] + k * step_lat
        b_lon, b_lat = a_lon + step_lon, a_lat + step_lat
        ua, ub = unit_vectors(a_lat, a_lon), unit_vectors(b_lat, b_lon)
        um = unit_vectors(a_lat + step_lat / 2.0, a_lon + step_lon / 2.0)
        chord = ua + ub
        norm = np.sqrt(np.einsum("ck,ck->k", chord, chord))
        chord = chord / np.where(norm > 0.0, norm, 1.0)
        gap = np.where(norm > 0.0, np.sqrt(np.einsum("ck,ck->k", chord - um, chord - um)), 2.0)
        worst = np.maximum(worst, gap * EARTH_MEAN_RADIUS_KM)
    return worst


def destination(
    latitude_deg: FloatArray,
    longitude_deg: FloatArray,
    distance_rad: FloatArray,
    azimuth_deg: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """The point ``distance_rad`` (central angle) from a start along ``azimuth_deg``
    (from north, clockwise) on the sphere: ``(latitude_deg, longitude_deg)``.

    Direct problem on the sphere (Vallado, Fundamentals of Astrodynamics and
    Applications, 4th ed., sec. 11.2, algorithm "PATH").
    """
    lat = np.radians(latitude_deg)
    lon = np.radians(longitude_deg)
    d = np.asarray(distance_rad, dtype=np.float64)
    az = np.radians(azimuth_deg)
    sin_lat2 = np.sin(lat) * np.cos(d) + np.cos(lat) * np.sin(d) * np.cos(az)
    lat2 = np.arcsin(np.clip(sin_lat2, -1.0, 1.0))
    dlon = np.arctan2(np.sin(az) * np.sin(d) * np.cos(lat), np.cos(d) - np.sin(lat) * np.sin(lat2))
    return np.degrees(lat2), np.degrees(lon + dlon)


def laea_forward(
    latitude_deg: FloatArray, longitude_deg: FloatArray, lat0_deg: float, lon0_deg: float
) -> FloatArray:
    """Lambert azimuthal equal-area projection on the mean sphere (km), ``(2, K)``.

    Snyder, Map Projections - A Working Manual (USGS PP 1395, 1987), eqs. 24-2 to
    24-4 (sphere). Singular only at the antipode of the centre.
    """
    lat = np.radians(np.asarray(latitude_deg, dtype=np.float64))
    dlon = np.radians(np.asarray(longitude_deg, dtype=np.float64) - lon0_deg)
    lat0 = math.radians(lat0_deg)
    cos_c = math.sin(lat0) * np.sin(lat) + math.cos(lat0) * np.cos(lat) * np.cos(dlon)
    k = np.sqrt(2.0 / np.maximum(1.0 + cos_c, 1e-12))
    x = EARTH_MEAN_RADIUS_KM * k * np.cos(lat) * np.sin(dlon)
    y = (
        EARTH_MEAN_RADIUS_KM
        * k
        * (math.cos(lat0) * np.sin(lat) - math.sin(lat0) * np.cos(lat) * np.cos(dlon))
    )
    return np.vstack((np.ravel(x), np.ravel(y)))


def laea_inverse(xy_km: FloatArray, lat0_deg: float, lon0_deg: float) -> FloatArray:
    """Inverse of :func:`laea_forward` (Snyder 1987, eqs. 20-14, 20-15, 24-16):
    ``(2, K)`` (longitude, latitude) degrees, longitude within 180 of ``lon0_deg``."""
    x, y = np.asarray(xy_km[0], dtype=np.float64), np.asarray(xy_km[1], dtype=np.float64)
    rho = np.hypot(x, y)
    c = 2.0 * np.arcsin(np.clip(rho / (2.0 * EARTH_MEAN_RADIUS_KM), -1.0, 1.0))
    lat0 = math.radians(lat0_deg)
    safe = np.where(rho > 0.0, rho, 1.0)
    sin_lat = np.cos(c) * math.sin(lat0) + np.where(
        rho > 0.0, y * np.sin(c) * math.cos(lat0) / safe, 0.0
    )
    lat = np.arcsin(np.clip(sin_lat, -1.0, 1.0))
    dlon = np.arctan2(
        x * np.sin(c), rho * math.cos(lat0) * np.cos(c) - y * math.sin(lat0) * np.sin(c)
    )
    lon = lon0_deg + np.degrees(np.where(rho > 0.0, dlon, 0.0))
    return np.vstack((lon, np.degrees(lat)))


# --- messages ------------------------------------------------------------------------


def _kind(obj: Any) -> Any:
    return obj.get("type") if isinstance(obj, dict) else obj


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null or missing)"
    if isinstance(value, list | tuple):
        return "an empty list" if not value else f"a list of {len(value)}"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "an object without a 'type'" if "type" not in value else repr(value["type"])
    return f"{type(value).__name__} {_short(value)}"


def _short(value: Any) -> str:
    text = json.dumps(value) if _jsonable(value) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _pos(position: FloatArray) -> str:
    return f"[{position[0]:g}, {position[1]:g}]"


def _join(location: str, key: str) -> str:
    return f"{location}.{key}" if location else key


__all__ = [
    "DEFAULT_BOUNDARY_SPACING_KM",
    "EARTH_MEAN_RADIUS_KM",
    "AreaTarget",
    "PointTarget",
    "densify_lonlat",
    "destination",
    "laea_forward",
    "laea_inverse",
    "load_aoi",
    "parse_geojson",
    "parse_point",
    "split_antimeridian",
    "unit_vectors",
]
