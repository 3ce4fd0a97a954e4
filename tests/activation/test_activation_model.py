"""Reading an activation: every bad input is refused with a message naming the field."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from activation_factory import ROMAGNA, SQUARE, body, consortium

from spacepool.activation.model import (
    DISASTER_TYPES,
    Activation,
    normalise_type,
    read_activation,
)
from spacepool.errors import ActivationError

CLOCKWISE = (
    "the exterior ring runs clockwise; RFC 7946 (section 3.1.6) wants it counterclockwise, "
    "and positions as [longitude, latitude] (section 3.1.1): a ring written as [latitude, "
    "longitude] also turns clockwise. Reverse the ring, or swap the two numbers of every "
    "position"
)
PARTNERS = "asi, cnes, csa, dlr, esa, isro, jaxa, nasa, roscosmos, usgs"


def polygon(ring: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [ring]}


# (case, changes to a good body, field, whole message)
BAD: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "self-intersecting polygon (a bow tie)",
        {"aoi": polygon([[12.0, 44.0], [12.5, 44.5], [12.5, 44.0], [12.0, 44.5], [12.0, 44.0]])},
        "aoi.coordinates",
        "aoi.coordinates: invalid polygon: Self-intersection[12.25 44.25]; fix the rings so "
        "that their edges do not cross",
    ),
    (
        "exterior ring clockwise",
        {"aoi": polygon(SQUARE[::-1])},
        "aoi.coordinates[0]",
        f"aoi.coordinates[0]: {CLOCKWISE}",
    ),
    (
        "positions as [latitude, longitude] (hemisphere order swapped)",
        {"aoi": polygon([[lat, lon] for lon, lat in SQUARE])},
        "aoi.coordinates[0]",
        f"aoi.coordinates[0]: {CLOCKWISE}",
    ),
    (
        "second polygon of a MultiPolygon clockwise",
        {
            "aoi": {
                "type": "MultiPolygon",
                "coordinates": [[SQUARE], [[[x + 1.0, y] for x, y in SQUARE][::-1]]],
            }
        },
        "aoi.coordinates[1][0]",
        f"aoi.coordinates[1][0]: {CLOCKWISE}",
    ),
    (
        "clockwise ring inside a Feature",
        {"aoi": {"type": "Feature", "properties": {}, "geometry": polygon(SQUARE[::-1])}},
        "aoi.geometry.coordinates[0]",
        f"aoi.geometry.coordinates[0]: {CLOCKWISE}",
    ),
    (
        "ring not closed",
        {"aoi": polygon(SQUARE[:-1])},
        "aoi.coordinates[0]",
        "aoi.coordinates[0]: ring is not closed: the first position [12, 44] differs from the "
        "last [12, 44.5]; repeat the first position at the end (RFC 7946 section 3.1.6)",
    ),
    (
        "a line is not an area",
        {"aoi": {"type": "LineString", "coordinates": SQUARE}},
        "aoi.type",
        "aoi.type: expected a Polygon, MultiPolygon, Feature or FeatureCollection, found "
        "'LineString'",
    ),
    (
        "event time in the future beyond the elements' validity",
        {"event_time": "2026-11-26T00:00:00Z"},
        "event_time",
        "event_time: outside the validity of the consortium's elements: Sentinel-1A (39634): "
        "elements used 180.0 days after their epoch 2026-05-30T00:00:00Z (limit 14 days); "
        "positions may be off by tens of km: load newer elements",
    ),
    (
        "horizon ending beyond the elements' validity",
        {"event_time": "2026-06-12T00:00:00Z"},
        "horizon_hours",
        "horizon_hours: the horizon ends outside the validity of the consortium's elements: "
        "Sentinel-1A (39634): elements used 16.0 days after their epoch 2026-05-30T00:00:00Z "
        "(limit 14 days); positions may be off by tens of km: load newer elements; shorten "
        "the horizon or load newer elements",
    ),
    (
        "unknown disaster type",
        {"type": "meteor"},
        "type",
        "type: unknown disaster type 'meteor'; known types: " + ", ".join(DISASTER_TYPES),
    ),
    (
        "unknown partner",
        {"partner": "nsa"},
        "partner",
        f"partner: unknown partner 'nsa'; known partners: {PARTNERS}",
    ),
    (
        "event time that is not a time",
        {"event_time": "soon"},
        "event_time",
        "event_time: must be an ISO 8601 time such as 2026-06-01T03:00:00Z, got 'soon'",
    ),
    (
        "event time without a zone",
        {"event_time": "2026-06-01T03:00:00"},
        "event_time",
        "event_time: must carry a time zone (write it in UTC with a trailing Z), got "
        "'2026-06-01T03:00:00'",
    ),
    (
        "unknown access policy",
        {"access": "secret"},
        "access",
        "access: must be one of open, consortium, owner, partners, got 'secret'",
    ),
    (
        "shared_with without the partners policy",
        {"shared_with": ["esa"]},
        "shared_with",
        "shared_with: only used with access 'partners'; this activation's access is 'consortium'",
    ),
    (
        "shared with an unknown partner",
        {"access": "partners", "shared_with": ["esa", "xyz"]},
        "shared_with[1]",
        f"shared_with[1]: unknown partner 'xyz'; known partners: {PARTNERS}",
    ),
    (
        "negative embargo",
        {"embargo_hours": -1},
        "embargo_hours",
        "embargo_hours: must be >= 0, got -1",
    ),
    (
        "a point without a radius",
        {"aoi": {"type": "Point", "coordinates": [12.0, 44.3]}},
        "radius_km",
        "radius_km: a Point aoi needs radius_km (the radius of the area around it, km)",
    ),
    (
        "a radius too large",
        {"aoi": {"type": "Point", "coordinates": [12.0, 44.3]}, "radius_km": 900},
        "radius_km",
        "radius_km: must be <= 500, got 900",
    ),
    (
        "a point beyond the poles",
        {"aoi": {"type": "Point", "coordinates": [12.0, 95.0]}, "radius_km": 10},
        "aoi.coordinates[1]",
        "aoi.coordinates[1]: latitude must be between -90 and 90 degrees, found 95",
    ),
    (
        "a radius with a polygon",
        {"radius_km": 10},
        "radius_km",
        "radius_km: only used with a Point aoi",
    ),
    ("an id too long", {"id": "a" * 101}, "id", "id: must be at most 100 characters, got 101"),
    (
        "a horizon under an hour",
        {"horizon_hours": 0.5},
        "horizon_hours",
        "horizon_hours: must be >= 1, got 0.5",
    ),
    (
        "a misspelt key",
        {"horizonhours": 5},
        "horizonhours",
        "horizonhours: unknown key 'horizonhours'; known keys: access, aoi, embargo_hours, "
        "event_time, horizon_hours, id, name, partner, radius_km, shared_with, type",
    ),
]


@pytest.mark.parametrize(("case", "changes", "field", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_activation_is_refused_naming_the_field(
    case: str, changes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ActivationError) as caught:
        read_activation(body(**changes), consortium())
    assert caught.value.field == field
    assert str(caught.value) == message
    assert caught.value.code == "invalid_activation"


def test_missing_area_is_named() -> None:
    data = body()
    del data["aoi"]
    with pytest.raises(ActivationError, match=r"^aoi: is required but missing$"):
        read_activation(data, consortium())


def test_good_activation_keeps_its_fields_and_defaults() -> None:
    activation = read_activation(
        body(type="Oil spill", partner="esa", access="partners", shared_with=["nasa", "nasa"],
             embargo_hours=48, id="act-1", name="test"),
        consortium(),
    )  # fmt: skip
    assert activation.disaster_type == "oil_spill"
    assert activation.partner == "esa"
    assert activation.access.shared_with == ("nasa",)
    assert activation.access.embargo_until == datetime(2026, 6, 3, 3, tzinfo=UTC)
    assert activation.horizon_hours == 72.0
    assert activation.end - activation.start == timedelta(hours=72)
    assert activation.area == ROMAGNA


def test_partner_from_the_key_wins_over_the_body() -> None:
    activation = read_activation(body(partner="esa"), consortium(), partner="jaxa")
    assert activation.partner == "jaxa"


def test_point_and_radius_become_a_counterclockwise_circle_of_the_right_area() -> None:
    activation = read_activation(
        body(aoi={"type": "Point", "coordinates": [12.0, 44.3]}, radius_km=25), consortium()
    )
    assert activation.point == (44.3, 12.0, 25.0)
    # A 64-gon inscribed in the circle has 0.16 % less area than the circle.
    assert activation.target().area_km2 == pytest.approx(math.pi * 25.0**2, rel=0.003)
    ring = activation.area["coordinates"][0]
    signed = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))
    assert signed > 0.0


def test_activation_round_trips_through_its_dict() -> None:
    activation = read_activation(
        body(access="partners", shared_with=["esa"], embargo_hours=12, id="a-1"), consortium()
    )
    assert Activation.from_dict(activation.to_dict()) == activation


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Flood", "flood"),
        ("oil-spill", "oil_spill"),
        ("Industrial accident", "industrial_accident"),
    ],
)
def test_type_names_are_normalised(text: str, expected: str) -> None:
    assert normalise_type(text) == expected
