"""Small builders for catalogue tests (tests/store, tests/api)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from spacepool.catalog.items import format_rfc3339

# A fixed "now" for store tests: 2026-01-01T00:00:00Z.
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def item_doc(
    item_id: str,
    *,
    lon: float = 10.0,
    lat: float = 45.0,
    when: datetime | None = None,
    access: str | None = "open",
    shared_with: list[str] | None = None,
    embargo_until: datetime | None = None,
    owner: str | None = None,
    size_deg: float = 0.0,
    **properties: Any,
) -> dict[str, Any]:
    """A STAC item: a point (``size_deg`` 0) or a square of side ``size_deg`` at
    ``(lon, lat)`` degrees, with the given ``spacepool:*`` properties."""
    props: dict[str, Any] = {"datetime": format_rfc3339(when or NOW - timedelta(days=1))}
    if access is not None:
        props["spacepool:access"] = access
    if shared_with is not None:
        props["spacepool:shared_with"] = shared_with
    if embargo_until is not None:
        props["spacepool:embargo_until"] = format_rfc3339(embargo_until)
    if owner is not None:
        props["spacepool:owner"] = owner
    props.update(properties)
    bbox = [lon, lat, lon + size_deg, lat + size_deg]
    if size_deg == 0:
        geometry: dict[str, Any] = {"type": "Point", "coordinates": [lon, lat]}
    else:
        x0, y0, x1, y1 = lon, lat, lon + size_deg, lat + size_deg
        geometry = {
            "type": "Polygon",
            "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
        }
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": item_id,
        "geometry": geometry,
        "bbox": bbox,
        "properties": props,
        "assets": {},
        "links": [],
    }


def collection_doc(collection_id: str) -> dict[str, Any]:
    return {
        "type": "Collection",
        "stac_version": "1.0.0",
        "id": collection_id,
        "description": f"test collection {collection_id}",
        "license": "CC-BY-4.0",
        "extent": {
            "spatial": {"bbox": [[-180.0, -90.0, 180.0, 90.0]]},
            "temporal": {"interval": [["2020-01-01T00:00:00Z", None]]},
        },
        "links": [],
    }
