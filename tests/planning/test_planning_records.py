"""Requests and instances: round trips, revisit periods, and bad inputs that name
their field."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from planning_factory import cand, demand, instance

from spacepool.errors import InputError, ScenarioError
from spacepool.planning import (
    AreaTarget,
    Instance,
    PointTarget,
    Request,
    Requirements,
)

GOOD_REQUEST: dict[str, Any] = {
    "id": "rhone",
    "partner": "esa",
    "target": {"lat": 43.45, "lon": 4.65},
    "window": {"start": "2026-06-01T00:00:00Z", "end": "2026-06-02T00:00:00Z"},
    "requirements": {"kinds": ["optical"], "max_resolution_m": 10, "max_off_nadir_deg": 20},
    "value": 3.0,
}
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[10.0, 44.0], [11.0, 44.0], [11.0, 45.0], [10.0, 45.0], [10.0, 44.0]]],
}


def test_request_round_trips_through_plain_data() -> None:
    request = Request.from_dict(GOOD_REQUEST, "requests[0]")
    assert request.target == PointTarget(43.45, 4.65)
    assert request.requirements == Requirements(("optical",), 10.0, 20.0, None)
    assert request.start == datetime(2026, 6, 1, tzinfo=UTC)
    assert Request.from_dict(request.to_dict()) == request
    area = Request.from_dict({**GOOD_REQUEST, "target": {"area": SQUARE}, "revisit_every": "6h"})
    assert isinstance(area.target, AreaTarget)
    assert area.target.shape().area == pytest.approx(1.0)  # square degrees
    across = {
        "type": "Polygon",
        "coordinates": [[[170, 0], [-170, 0], [-170, 1], [170, 1], [170, 0]]],
    }
    pacific = Request.from_dict({**GOOD_REQUEST, "target": {"area": across}})
    # 20 degrees wide across the antimeridian, not 340 degrees the other way round
    assert pacific.target.shape().bounds == pytest.approx((170.0, 0.0, 190.0, 1.0))
    assert Request.from_dict(json.loads(json.dumps(area.to_dict()))) == area


def test_a_revisit_request_becomes_one_demand_per_period() -> None:
    request = Request.from_dict({**GOOD_REQUEST, "revisit_every": "10h"})
    demands = request.demands()
    # 24 h in 10 h periods: 10 + 10 + 4 h, the value shared equally
    assert [d.id for d in demands] == ["rhone#0", "rhone#1", "rhone#2"]
    assert [d.value for d in demands] == [1.0, 1.0, 1.0]
    assert request.slot_window(2) == (
        datetime(2026, 6, 1, 20, tzinfo=UTC),
        datetime(2026, 6, 2, tzinfo=UTC),
    )
    exact = Request.from_dict({**GOOD_REQUEST, "revisit_every_s": 8 * 3600})
    assert len(exact.demands()) == 3
    single = Request.from_dict(GOOD_REQUEST).demands()
    assert [(d.id, d.value, d.slot) for d in single] == [("rhone", 3.0, 0)]


def _with(path: str, value: object) -> dict[str, Any]:
    data = copy.deepcopy(GOOD_REQUEST)
    keys = path.split(".")
    target = data
    for key in keys[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return data


_DELETE = object()

BAD_REQUESTS = [
    # (change, field, message, reason)
    (
        "window.end",
        "2026-05-31T00:00:00Z",
        "requests[3].window.end",
        "must be after the start 2026-06-01T00:00:00.000Z, got 2026-05-31T00:00:00.000Z",
        "window ends before it starts",
    ),
    (
        "window.start",
        "yesterday",
        "requests[3].window.start",
        "must be an ISO 8601 time such as 2026-06-01T00:00:00Z, got 'yesterday'",
        "unparsable time",
    ),
    (
        "window.start",
        "2026-06-01T00:00:00",
        "requests[3].window.start",
        "must carry a time zone (write it in UTC with a trailing Z), got '2026-06-01T00:00:00'",
        "naive time",
    ),
    (
        "target",
        {"lat": 95.0, "lon": 0.0},
        "requests[3].target.lat",
        "must be <= 90, got 95",
        "latitude out of range",
    ),
    (
        "target",
        {"area": {"type": "Point", "coordinates": [1, 2]}},
        "requests[3].target.area.type",
        "expected a Polygon, MultiPolygon, Feature or FeatureCollection, found 'Point'",
        "not an area",
    ),
    (
        "target",
        {"area": {"type": "Polygon", "coordinates": []}},
        "requests[3].target.area.coordinates",
        "empty geometry: expected a non-empty list of rings, found an empty list",
        "empty area",
    ),
    (
        "target",
        {"area": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}},
        "requests[3].target.area.coordinates[0]",
        "a ring needs at least 4 positions (the last repeating the first), found 3 "
        "(RFC 7946 section 3.1.6)",
        "degenerate polygon",
    ),
    (
        "target",
        {"area": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}},
        "requests[3].target.area.coordinates",
        "invalid polygon: Self-intersection[0.5 0.5]; fix the rings so that their edges do not "
        "cross",
        "bow-tie polygon",
    ),
    (
        "target",
        {
            "area": {
                "type": "Polygon",
                "coordinates": [[[0, 0], [200, 0], [200, 1], [0, 1], [0, 0]]],
            }
        },
        "requests[3].target.area.coordinates[0][1]",
        "longitude must be between -180 and 180 degrees, found 200 (positions are "
        "[longitude, latitude], RFC 7946 section 3.1.1)",
        "longitude out of range",
    ),
    (
        "requirements.kinds",
        ["radar"],
        "requests[3].requirements.kinds[0]",
        "must be one of optical, hyperspectral, thermal, sar, microwave_radiometer, altimeter, "
        "got 'radar'",
        "unknown instrument kind",
    ),
    ("value", 0, "requests[3].value", "must be > 0, got 0", "worthless request"),
    (
        "urgency",
        "asap",
        "requests[3].urgency",
        "must be one of routine, urgent, activation, got 'asap'",
        "unknown urgency",
    ),
    (
        "revisit_every",
        "2 weeks",
        "requests[3].revisit_every",
        "must be a duration such as '90s', '30min', '6h' or '2d', got '2 weeks'",
        "bad duration",
    ),
    (
        "revisit_every",
        "2d",
        "requests[3].revisit_every",
        "must not exceed the window length (86400 s), got 172800 s",
        "revisit longer than window",
    ),
    (
        "priority",
        3,
        "requests[3].priority",
        "unknown key 'priority'; known keys: id, partner, requirements, revisit_every, "
        "revisit_every_s, target, urgency, value, window",
        "typo in a key",
    ),
    ("partner", _DELETE, "requests[3].partner", "is required but missing", "missing partner"),
]


@pytest.mark.parametrize(
    ("change", "value", "field", "message", "reason"),
    BAD_REQUESTS,
    ids=[case[-1] for case in BAD_REQUESTS],
)
def test_bad_requests_name_the_field(
    change: str, value: object, field: str, message: str, reason: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        Request.from_dict(_with(change, value), "requests[3]")
    assert caught.value.field == field
    assert str(caught.value) == f"{field}: {message}"
    assert isinstance(caught.value, InputError)


def test_instance_round_trips_through_json() -> None:
    inst = instance(
        [demand("r1"), demand("r2", "nasa", 2.0, "urgent")],
        [cand("c1", "r1", 100.0, latest_s=150.0, strip="p1"), cand("c2", "r2", 300.0)],
        entitlements={"esa": 0.6, "nasa": 0.4},
        fairness="leximin",
    )
    again = Instance.from_dict(json.loads(json.dumps(inst.to_dict())))
    assert again == inst


def _instance_data() -> dict[str, Any]:
    inst = instance([demand("r1")], [cand("c1", "r1", 100.0)], entitlements={"esa": 1.0})
    return json.loads(json.dumps(inst.to_dict()))


BAD_INSTANCES = [
    # (path into the data, value, field, message, reason)
    (
        ("candidates", 0, "demand"),
        "r9",
        "candidates[0].demand",
        "unknown demand 'r9'; known demands: r1",
        "candidate for an unknown demand",
    ),
    (
        ("candidates", 0, "satellite"),
        "s9",
        "candidates[0].satellite",
        "unknown satellite 's9'; known satellites: s1",
        "unknown satellite",
    ),
    (
        ("candidates", 0, "latest_start_s"),
        50.0,
        "candidates[0].latest_start_s",
        "must be >= earliest_start_s (100), got 50",
        "window ends before it starts",
    ),
    (
        ("candidates", 0, "latest_start_s"),
        3595.0,
        "candidates[0].latest_start_s",
        "must end within the horizon (3600 s), got latest end 3605 s",
        "beyond the horizon",
    ),
    (
        ("contacts", 0, "end_s"),
        2000.0,
        "contacts[0].end_s",
        "must be > 3000, got 2000",
        "contact ends before it starts",
    ),
    (
        ("satellites", 0, "initial_memory_mbit"),
        2e6,
        "satellites[0].initial_memory_mbit",
        "must be < 1000000, got 2000000",
        "memory already overfull",
    ),
    (
        ("entitlements",),
        {"esa": 0.5, "nasa": 0.4},
        "entitlements",
        "must sum to 1 (within 1e-09), got 0.9 (esa 0.5, nasa 0.4)",
        "shares do not sum to 1",
    ),
    (
        ("fairness",),
        "maximin",
        "fairness",
        "must be one of none, proportional, leximin, got 'maximin'",
        "unknown fairness mode",
    ),
    (
        ("demands", 0, "urgency"),
        "soon",
        "demands[0].urgency",
        "must be one of routine, urgent, activation, got 'soon'",
        "unknown urgency",
    ),
    (
        ("blocks",),
        [{"id": "b", "partner": "esa", "start_s": 0, "end_s": 5}],
        "blocks[0].satellite",
        "give exactly one of satellite or station",
        "block of nothing",
    ),
]


@pytest.mark.parametrize(
    ("path", "value", "field", "message", "reason"),
    BAD_INSTANCES,
    ids=[case[-1] for case in BAD_INSTANCES],
)
def test_bad_instances_name_the_field(
    path: tuple[object, ...], value: object, field: str, message: str, reason: str
) -> None:
    data = _instance_data()
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ScenarioError) as caught:
        Instance.from_dict(data)
    assert (caught.value.field, str(caught.value)) == (field, f"{field}: {message}")


def test_fairness_without_entitlements_is_refused() -> None:
    with pytest.raises(ScenarioError) as caught:
        instance([demand("r1")], [], fairness="proportional")
    assert str(caught.value) == (
        "entitlements: fairness 'proportional' needs entitlements (partner -> share)"
    )
