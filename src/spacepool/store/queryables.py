"""The queryables of the STAC API Filter extension: what a CQL2 filter on spacepool
items can name (served at ``/stac/queryables``)."""

from __future__ import annotations

import json
from typing import Any

from spacepool.catalog.access import AccessPolicy

_TIME = {"type": "string", "format": "date-time"}

QUERYABLE_PROPERTIES: dict[str, dict[str, Any]] = {
    "id": {"title": "Item id", "type": "string"},
    "collection": {"title": "Collection id", "type": "string"},
    "geometry": {
        "title": "Footprint (spatial functions only: S_INTERSECTS, ...)",
        "$ref": "https://geojson.org/schema/Geometry.json",
    },
    "datetime": {
        "title": "Acquisition time; for an item with a range, its start "
        "(temporal functions use the whole range)",
        **_TIME,
    },
    "start_datetime": {"title": "Start of the acquisition", **_TIME},
    "end_datetime": {"title": "End of the acquisition", **_TIME},
    "platform": {"title": "Satellite platform", "type": "string"},
    "instruments": {
        "title": "Instruments (array functions: A_CONTAINS, ...)",
        "type": "array",
        "items": {"type": "string"},
    },
    "constellation": {"title": "Constellation", "type": "string"},
    "gsd": {"title": "Ground sample distance (m)", "type": "number", "exclusiveMinimum": 0},
    "eo:cloud_cover": {
        "title": "Cloud cover (%)",
        "type": "number",
        "minimum": 0,
        "maximum": 100,
    },
    "view:off_nadir": {"title": "Off-nadir angle (degrees)", "type": "number"},
    "sar:instrument_mode": {"title": "SAR instrument mode", "type": "string"},
    "sar:frequency_band": {"title": "SAR frequency band", "type": "string"},
    "sar:product_type": {"title": "SAR product type", "type": "string"},
    "sar:polarizations": {
        "title": "SAR polarizations (array functions)",
        "type": "array",
        "items": {"type": "string"},
    },
    "spacepool:owner": {"title": "Partner that owns the item", "type": "string"},
    "spacepool:access": {
        "title": "Access policy",
        "type": "string",
        "enum": [policy.value for policy in AccessPolicy],
    },
    "spacepool:embargo_until": {"title": "Open to all from this time", **_TIME},
    "spacepool:activation": {"title": "Disaster activation that produced it", "type": "string"},
    "spacepool:disaster_type": {"title": "Disaster type of the activation", "type": "string"},
    "spacepool:satellite": {"title": "Satellite name", "type": "string"},
    "spacepool:instrument_kind": {"title": "Instrument kind (optical, sar, ...)", "type": "string"},
    "spacepool:station": {"title": "Ground station of the downlink", "type": "string"},
}


def queryables_document(schema_id: str) -> dict[str, Any]:
    """The queryables (JSON Schema, draft 2020-12) served at ``schema_id``: what a
    filter can name. Other item properties can be filtered too
    (``additionalProperties``), read as the type of the literal they meet."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id,
        "type": "object",
        "title": "spacepool queryables",
        "description": "Properties a CQL2 filter can use on spacepool items.",
        "properties": json.loads(json.dumps(QUERYABLE_PROPERTIES)),
        "additionalProperties": True,
    }
