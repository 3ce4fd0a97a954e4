"""STAC items as spacepool stores them: parsing a posted item, rendering a stored one.

A posted item is checked once here (geometry, times, the ``spacepool:*`` access
properties) and turned into a :class:`NewItem`; the database keeps the geometry as
GeoJSON text plus its bounding box, the time range as two columns, and the access
fields as columns. :func:`item_document` puts them back together so that
``spacepool:owner``, ``spacepool:access``, ``spacepool:shared_with`` and
``spacepool:embargo_until`` always come from the columns the access filter reads.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from spacepool.catalog.access import AccessPolicy, ItemAccess
from spacepool.errors import GeometryError, InputError, TimeRangeError

STAC_VERSION = "1.0.0"

OWNER = "spacepool:owner"
ACCESS = "spacepool:access"
SHARED_WITH = "spacepool:shared_with"
EMBARGO_UNTIL = "spacepool:embargo_until"
ACCESS_PROPERTIES = (OWNER, ACCESS, SHARED_WITH, EMBARGO_UNTIL)

# Links the server derives from where an item lives; never stored.
INFERRED_LINK_RELS = frozenset({"self", "parent", "collection", "root", "item", "items"})

# RFC 3339 section 5.6 date-time: a full date, a time and a mandatory offset.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
# Ids appear in URL paths: no slashes, no control characters, a sane length.
_ID = re.compile(r"^[^/\\\x00-\x1f\x7f?#]{1,256}$")

GEOMETRY_TYPES = frozenset(
    {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }
)


def parse_rfc3339(text: object, *, field_name: str) -> datetime:
    """Parse an RFC 3339 date-time (offset required) into an aware UTC datetime."""
    if not isinstance(text, str) or not _RFC3339.match(text):
        raise TimeRangeError(
            f"{field_name}: expected an RFC 3339 date-time with a time zone, "
            f"e.g. 2024-05-01T10:30:00Z; got {text!r}"
        )
    try:
        value = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError as exc:
        raise TimeRangeError(f"{field_name}: {text!r} is not a valid date-time: {exc}") from None
    return value.astimezone(UTC)


def format_rfc3339(value: datetime) -> str:
    """Aware datetime -> ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``."""
    text = value.astimezone(UTC).replace(tzinfo=None).isoformat()
    return text + "Z"


def check_id(value: object, *, field_name: str) -> str:
    """An item or collection id: a non-empty string usable in a URL path segment."""
    if not isinstance(value, str) or not _ID.match(value):
        raise InputError(
            f"{field_name}: expected 1 to 256 characters without '/', '\\', '?', '#' "
            f"or control characters; got {value!r}"
        )
    return value


def parse_geometry(value: object, *, field_name: str) -> BaseGeometry:
    """A GeoJSON geometry object (RFC 7946, WGS84 longitude/latitude in degrees) ->
    a valid, non-empty shapely geometry."""
    if not isinstance(value, dict) or value.get("type") not in GEOMETRY_TYPES:
        kind = value.get("type") if isinstance(value, dict) else type(value).__name__
        raise GeometryError(
            f"{field_name}: expected a GeoJSON geometry object with type one of "
            f"{', '.join(sorted(GEOMETRY_TYPES))}; got {kind!r}"
        )
    try:
        geometry = shapely.from_geojson(json.dumps(value))
    except (shapely.errors.GEOSException, ValueError, TypeError) as exc:
        raise GeometryError(f"{field_name}: not a valid GeoJSON geometry: {exc}") from None
    if geometry is None or geometry.is_empty:
        raise GeometryError(f"{field_name}: the geometry is empty")
    minx, miny, maxx, maxy = geometry.bounds
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise GeometryError(f"{field_name}: coordinates must be finite numbers")
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise GeometryError(
            f"{field_name}: coordinates must be longitude in [-180, 180] and latitude "
            f"in [-90, 90] degrees (WGS84, RFC 7946); got bounds "
            f"({minx:g}, {miny:g}, {maxx:g}, {maxy:g})"
        )
    if not geometry.is_valid:
        raise GeometryError(f"{field_name}: invalid geometry: {shapely.is_valid_reason(geometry)}")
    return geometry


@dataclass(frozen=True)
class NewItem:
    """A checked STAC item ready to store. Times are aware UTC datetimes; ``bbox`` is
    ``(min_lon_deg, min_lat_deg, max_lon_deg, max_lat_deg)`` of the geometry."""

    id: str
    collection: str
    geometry: dict[str, Any]
    bbox: tuple[float, float, float, float]
    datetime_start: datetime
    datetime_end: datetime
    properties: dict[str, Any]
    access: AccessPolicy
    shared_with: frozenset[str] = field(default_factory=frozenset)
    embargo_until: datetime | None = None
    owner_claim: str | None = None
    assets: dict[str, Any] = field(default_factory=dict)
    links: list[dict[str, Any]] = field(default_factory=list)
    stac_extensions: list[str] = field(default_factory=list)


def parse_item(document: object, *, collection: str) -> NewItem:
    """Check a posted STAC item for the collection ``collection`` (from the URL).

    ``spacepool:access`` defaults to ``owner`` (closed unless the owner opens it);
    ``spacepool:shared_with`` is allowed only with the ``partners`` policy;
    ``spacepool:owner``, when present, is returned as ``owner_claim`` for the caller
    to compare with the key's partner.
    """
    if not isinstance(document, dict):
        raise InputError(f"item: expected a GeoJSON Feature object, got {type(document).__name__}")
    if document.get("type") != "Feature":
        raise InputError(f"item.type: expected 'Feature', got {document.get('type')!r}")
    item_id = check_id(document.get("id"), field_name="item.id")
    body_collection = document.get("collection")
    if body_collection is not None and body_collection != collection:
        raise InputError(
            f"item.collection: the item says {body_collection!r} but is posted to "
            f"collection {collection!r}; remove the field or make them agree"
        )
    if document.get("geometry") is None:
        raise GeometryError("item.geometry: spacepool items need a footprint geometry, got null")
    shape = parse_geometry(document["geometry"], field_name="item.geometry")
    properties = document.get("properties")
    if not isinstance(properties, dict):
        raise InputError(f"item.properties: expected an object, got {properties!r}")
    start, end = _item_times(properties)
    access, shared_with, embargo, owner = _access_properties(properties)
    assets = document.get("assets", {})
    if not isinstance(assets, dict):
        raise InputError(f"item.assets: expected an object, got {type(assets).__name__}")
    links = document.get("links", [])
    if not isinstance(links, list) or not all(
        isinstance(link, dict) and isinstance(link.get("href"), str) for link in links
    ):
        raise InputError("item.links: expected a list of objects each with an 'href' string")
    extensions = document.get("stac_extensions", [])
    if not isinstance(extensions, list) or not all(isinstance(e, str) for e in extensions):
        raise InputError("item.stac_extensions: expected a list of schema URLs")
    minx, miny, maxx, maxy = (float(v) for v in shape.bounds)
    kept = {k: v for k, v in properties.items() if k not in ACCESS_PROPERTIES}
    return NewItem(
        id=item_id,
        collection=collection,
        geometry=document["geometry"],
        bbox=(minx, miny, maxx, maxy),
        datetime_start=start,
        datetime_end=end,
        properties=kept,
        access=access,
        shared_with=shared_with,
        embargo_until=embargo,
        owner_claim=owner,
        assets=assets,
        links=[link for link in links if link.get("rel") not in INFERRED_LINK_RELS],
        stac_extensions=extensions,
    )


def _item_times(properties: dict[str, Any]) -> tuple[datetime, datetime]:
    value = properties.get("datetime")
    start_text = properties.get("start_datetime")
    end_text = properties.get("end_datetime")
    if (start_text is None) != (end_text is None):
        raise TimeRangeError(
            "item.properties: start_datetime and end_datetime go together; give both or neither"
        )
    if start_text is not None:
        start = parse_rfc3339(start_text, field_name="item.properties.start_datetime")
        end = parse_rfc3339(end_text, field_name="item.properties.end_datetime")
        if end < start:
            raise TimeRangeError(
                f"item.properties: end_datetime {end_text} is before start_datetime {start_text}"
            )
        if value is not None:
            parse_rfc3339(value, field_name="item.properties.datetime")
        return start, end
    if value is None:
        raise TimeRangeError(
            "item.properties.datetime: required (or start_datetime and end_datetime)"
        )
    moment = parse_rfc3339(value, field_name="item.properties.datetime")
    return moment, moment


def _access_properties(
    properties: dict[str, Any],
) -> tuple[AccessPolicy, frozenset[str], datetime | None, str | None]:
    raw = properties.get(ACCESS, AccessPolicy.OWNER.value)
    try:
        access = AccessPolicy(raw)
    except ValueError:
        choices = ", ".join(p.value for p in AccessPolicy)
        raise InputError(
            f"item.properties.{ACCESS}: expected one of {choices}; got {raw!r}"
        ) from None
    shared = properties.get(SHARED_WITH) or []
    if not isinstance(shared, list) or not all(isinstance(p, str) for p in shared):
        raise InputError(f"item.properties.{SHARED_WITH}: expected a list of partner ids")
    if shared and access is not AccessPolicy.PARTNERS:
        raise InputError(
            f"item.properties.{SHARED_WITH}: only used with {ACCESS} 'partners'; "
            f"this item's policy is {access.value!r}"
        )
    embargo_text = properties.get(EMBARGO_UNTIL)
    embargo = (
        None
        if embargo_text is None
        else parse_rfc3339(embargo_text, field_name=f"item.properties.{EMBARGO_UNTIL}")
    )
    owner = properties.get(OWNER)
    if owner is not None and not isinstance(owner, str):
        raise InputError(f"item.properties.{OWNER}: expected a partner id, got {owner!r}")
    return access, frozenset(shared), embargo, owner


@dataclass(frozen=True)
class StoredItem:
    """An item as read back from the database (no inferred links)."""

    id: str
    collection: str
    geometry: dict[str, Any]
    bbox: tuple[float, float, float, float]
    properties: dict[str, Any]
    access: ItemAccess
    assets: dict[str, Any]
    links: list[dict[str, Any]]
    stac_extensions: list[str]


def item_document(item: StoredItem) -> dict[str, Any]:
    """The STAC item dict, with the ``spacepool:*`` properties from the access columns."""
    properties = dict(item.properties)
    properties[OWNER] = item.access.owner
    properties[ACCESS] = item.access.policy.value
    properties[SHARED_WITH] = sorted(item.access.shared_with)
    properties[EMBARGO_UNTIL] = (
        None if item.access.embargo_until is None else format_rfc3339(item.access.embargo_until)
    )
    return {
        "type": "Feature",
        "stac_version": STAC_VERSION,
        "stac_extensions": list(item.stac_extensions),
        "id": item.id,
        "collection": item.collection,
        "geometry": item.geometry,
        "bbox": list(item.bbox),
        "properties": properties,
        "assets": item.assets,
        "links": list(item.links),
    }
