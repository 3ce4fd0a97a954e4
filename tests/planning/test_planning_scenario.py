"""Scenario files: the examples load; bad files are refused naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from spacepool.errors import ScenarioError
from spacepool.planning import Scenario, load_scenario

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

GOOD = """\
name = "test"
consortium = "bundled"
fairness = "proportional"

[entitlements]
esa = 0.6
nasa = 0.4

[horizon]
start = 2026-06-01T00:00:00Z
end = 2026-06-02T00:00:00Z

[[spacecraft]]
id = "sentinel-2b"
memory_gbit = 2400

[[requests]]
id = "r1"
partner = "esa"
target = { lat = 45.0, lon = 11.0 }
window = { start = 2026-06-01T00:00:00Z, end = 2026-06-01T12:00:00Z }

[[blocked]]
partner = "esa"
satellite = "sentinel-2b"
instrument = "msi"
start = 2026-06-01T02:00:00Z
end = 2026-06-01T03:00:00Z
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(text, "utf-8")
    return path


@pytest.mark.parametrize("name", ["eo-pool-week.toml", "flood-activation.toml"])
def test_example_scenarios_load_and_round_trip(name: str) -> None:
    scenario = load_scenario(EXAMPLES / name)
    assert scenario.requests
    assert abs(sum(scenario.entitlements.values()) - 1.0) < 1e-9
    assert Scenario.from_dict(scenario.to_dict(), base_dir=EXAMPLES) == scenario


def test_a_good_scenario_gives_demands_and_blocks_in_seconds(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, GOOD))
    assert scenario.horizon_s == 86400.0
    assert [d.id for d in scenario.demands()] == ["r1"]
    (block,) = scenario.model_blocks()
    assert (block.satellite, block.instrument, block.start_s, block.end_s) == (
        "sentinel-2b",
        "msi",
        7200.0,
        10800.0,
    )
    assert scenario.spacecraft[0].memory_mbit == 2_400_000.0


BAD = [
    # (original text, replacement, field, message, reason)
    (
        'partner = "esa"\ntarget',
        'partner = "nsa"\ntarget',
        "requests[0].partner",
        "unknown partner 'nsa'; known partners: asi, cnes, csa, dlr, esa, isro, jaxa, nasa, "
        "roscosmos, usgs",
        "unknown partner",
    ),
    (
        'id = "sentinel-2b"\nmemory',
        'id = "sentinel-9"\nmemory',
        "spacecraft[0].id",
        "unknown spacecraft 'sentinel-9'; known spacecrafts: alos-2, alos-4, aqua, csg-1, csg-2, "
        "enmap, eos-04, gcom-c, iss, landsat-8, landsat-9, nisar, pleiades-1a, pleiades-1b, "
        "prisma, rcm-1, rcm-2, rcm-3, resourcesat-2a, resurs-p4, resurs-p5, sentinel-1a, "
        "sentinel-1c, sentinel-2a, sentinel-2b, sentinel-2c, sentinel-3a, sentinel-3b, "
        "tandem-x, terra ...",
        "unknown asset",
    ),
    (
        'satellite = "sentinel-2b"\ninstrument = "msi"',
        'station = "kirunaa"',
        "blocked[0].station",
        "unknown station 'kirunaa'; known stations: aussaguel, bear-lakes, fairbanks, gatineau, "
        "hartebeesthoek, inuvik, katsuura, kiruna, kourou, maspalomas, matera, mcmurdo, "
        "neustrelitz, ohiggins, prince-albert, shadnagar, sioux-falls, svalbard, troll, wallops",
        "unknown station",
    ),
    (
        'instrument = "msi"',
        'instrument = "oli"',
        "blocked[0].instrument",
        "unknown instrument 'oli' of sentinel-2b; known instruments: msi",
        "unknown instrument",
    ),
    (
        'partner = "esa"\nsatellite',
        'partner = "nasa"\nsatellite',
        "blocked[0].partner",
        "'nasa' cannot block instrument sentinel-2b/msi: only its owner 'esa' can",
        "blocking someone else's asset",
    ),
    (
        "end = 2026-06-01T12:00:00Z }",
        "end = 2026-06-03T00:00:00Z }",
        "requests[0].window.end",
        "must lie within the horizon 2026-06-01T00:00:00.000Z .. 2026-06-02T00:00:00.000Z, got "
        "2026-06-03T00:00:00.000Z",
        "request window outside the horizon",
    ),
    (
        "end = 2026-06-02T00:00:00Z",
        "end = 2026-07-01T00:00:00Z",
        "horizon.end",
        "outside the validity of the consortium's elements: Sentinel-1A (39634): elements used 32.0 days "
        "after their epoch 2026-05-30T00:00:00Z (limit 14 days); positions may be off by tens of "
        "km: load newer elements",
        "horizon beyond element validity",
    ),
    (
        "end = 2026-06-02T00:00:00Z",
        "end = 2026-05-31T00:00:00Z",
        "horizon.end",
        "must be after horizon.start 2026-06-01T00:00:00.000Z, got 2026-05-31T00:00:00.000Z",
        "empty horizon",
    ),
    (
        "nasa = 0.4",
        "nasa = 0.3",
        "entitlements",
        "must sum to 1 (within 1e-09), got 0.8999999999999999 (esa 0.6, nasa 0.3)",
        "entitlements do not sum to 1",
    ),
    (
        "nasa = 0.4",
        "nsa = 0.4",
        "entitlements.nsa",
        "unknown partner 'nsa'; known partners: asi, cnes, csa, dlr, esa, isro, jaxa, nasa, "
        "roscosmos, usgs",
        "entitlement of an unknown partner",
    ),
    (
        "[entitlements]\nesa = 0.6\nnasa = 0.4\n",
        'agreement = "eo-pol"\n',
        "agreement",
        "unknown agreement 'eo-pol'; known agreements: eo-pool, iss-rs, iss-usos",
        "unknown agreement",
    ),
    (
        "[entitlements]\nesa = 0.6\nnasa = 0.4\n",
        "",
        "agreement",
        "fairness 'proportional' needs entitlements: give agreement = \"<id>\" or an "
        "[entitlements] table",
        "fairness without entitlements",
    ),
    (
        "target = { lat = 45.0, lon = 11.0 }",
        'target = { area = { type = "Polygon", coordinates = [] } }',
        "requests[0].target.area.coordinates",
        "empty geometry: expected a non-empty list of rings, found an empty list",
        "empty area",
    ),
    (
        'fairness = "proportional"',
        'fairness = "fair"',
        "fairness",
        "must be one of none, proportional, leximin, got 'fair'",
        "unknown fairness mode",
    ),
    (
        'consortium = "bundled"',
        'consortium = "missing.toml"',
        "consortium",
        "no consortium file at '{tmp}/missing.toml'; give \"bundled\" or a path relative to the "
        "scenario file",
        "missing consortium file",
    ),
    (
        'partner = "esa"\nsatellite',
        'partner = "nsa"\nsatellite',
        "blocked[0].partner",
        "unknown partner 'nsa'; known partners: asi, cnes, csa, dlr, esa, isro, jaxa, nasa, "
        "roscosmos, usgs",
        "block by an unknown partner",
    ),
    (
        'satellite = "sentinel-2b"\ninstrument = "msi"',
        'satellite = "sentinel-9b"',
        "blocked[0].satellite",
        "unknown spacecraft 'sentinel-9b'; known spacecrafts: alos-2, alos-4, aqua, csg-1, csg-2, "
        "enmap, eos-04, gcom-c, iss, landsat-8, landsat-9, nisar, pleiades-1a, pleiades-1b, "
        "prisma, rcm-1, rcm-2, rcm-3, resourcesat-2a, resurs-p4, resurs-p5, sentinel-1a, "
        "sentinel-1c, sentinel-2a, sentinel-2b, sentinel-2c, sentinel-3a, sentinel-3b, "
        "tandem-x, terra ...",
        "block of an unknown satellite",
    ),
    (
        "start = 2026-06-01T00:00:00Z\nend = 2026-06-02T00:00:00Z",
        "start = 2026-05-01T00:00:00Z\nend = 2026-05-02T00:00:00Z",
        "horizon.start",
        "outside the validity of the consortium's elements: Sentinel-1A (39634): elements used "
        "29.0 days before their epoch 2026-05-30T00:00:00Z (limit 14 days); positions may be "
        "off by tens of km: load newer elements",
        "horizon before element validity",
    ),
    (
        "window = { start = 2026-06-01T00:00:00Z, end",
        "window = { start = 2026-05-31T00:00:00Z, end",
        "requests[0].window.start",
        "must lie within the horizon 2026-06-01T00:00:00.000Z .. 2026-06-02T00:00:00.000Z, got "
        "2026-05-31T00:00:00.000Z",
        "request window starting before the horizon",
    ),
    (
        "nasa = 0.4",
        "nasa = 1.4",
        "entitlements.nasa",
        "must be <= 1, got 1.4",
        "entitlement above 1",
    ),
    (
        "target = { lat = 45.0, lon = 11.0 }",
        'target = { area = { type = "Polygon", coordinates = [[[10.0, 45.0], [11.0, 45.0], '
        "[11.0, 46.0], [10.0, 46.0]]] } }",
        "requests[0].target.area.coordinates[0]",
        "ring is not closed: the first position [10, 45] differs from the last [10, 46]; repeat "
        "the first position at the end (RFC 7946 section 3.1.6)",
        "area ring not closed",
    ),
    (
        "target = { lat = 45.0, lon = 11.0 }",
        'target = { area = { type = "Polygon", coordinates = [[[10.0, 45.0], [11.0, 46.0], '
        "[11.0, 45.0], [10.0, 46.0], [10.0, 45.0]]] } }",
        "requests[0].target.area.coordinates",
        "invalid polygon: Self-intersection[10.5 45.5]; fix the rings so that their edges do "
        "not cross",
        "self-intersecting area",
    ),
    (
        "target = { lat = 45.0, lon = 11.0 }",
        'target = { area = { type = "Polygon", coordinates = [[[10.0, 45.0], [11.0, 45.0], '
        "[10.0, 45.0]]] } }",
        "requests[0].target.area.coordinates[0]",
        "a ring needs at least 4 positions (the last repeating the first), found 3 "
        "(RFC 7946 section 3.1.6)",
        "area ring of 3 positions",
    ),
    (
        "target = { lat = 45.0, lon = 11.0 }",
        'target = { area = { type = "Polygon", coordinates = [[[10.0, 45.0], [11.0, 95.0], '
        "[11.0, 46.0], [10.0, 45.0]]] } }",
        "requests[0].target.area.coordinates[0][1]",
        "latitude must be between -90 and 90 degrees, found 95 (positions are [longitude, "
        "latitude], RFC 7946 section 3.1.1)",
        "area latitude out of range",
    ),
    (
        "target = { lat = 45.0, lon = 11.0 }",
        'target = { area = { type = "Point", coordinates = [10.0, 45.0] } }',
        "requests[0].target.area.type",
        "expected a Polygon, MultiPolygon, Feature or FeatureCollection, found 'Point'",
        "area that is a point",
    ),
    (
        "target = { lat = 45.0, lon = 11.0 }",
        'target = { area = "Po valley" }',
        "requests[0].target.area",
        "must be a GeoJSON geometry (a table), got str 'Po valley'",
        "area that is a name",
    ),
    (
        "target = { lat = 45.0, lon = 11.0 }",
        "target = { lat = 95.0, lon = 11.0 }",
        "requests[0].target.lat",
        "must be <= 90, got 95",
        "point latitude out of range",
    ),
    (
        'partner = "esa"\ntarget',
        'partner = "esa"\nvalue = 0\ntarget',
        "requests[0].value",
        "must be > 0, got 0",
        "request worth nothing",
    ),
    (
        "window = { start = 2026-06-01T00:00:00Z, end = 2026-06-01T12:00:00Z }",
        "window = { start = 2026-06-01T00:00:00Z, end = 2026-06-01T12:00:00Z }\n"
        'requirements = { kinds = ["radar"] }',
        "requests[0].requirements.kinds[0]",
        "must be one of optical, hyperspectral, thermal, sar, microwave_radiometer, altimeter, "
        "got 'radar'",
        "unknown instrument kind",
    ),
    (
        "window = { start = 2026-06-01T00:00:00Z, end = 2026-06-01T12:00:00Z }",
        'window = { start = 2026-06-01T00:00:00Z, end = "noon" }',
        "requests[0].window.end",
        "must be an ISO 8601 time such as 2026-06-01T00:00:00Z, got 'noon'",
        "window end that is not a time",
    ),
    (
        'partner = "esa"\ntarget',
        'partner = "esa"\npriority = 3\ntarget',
        "requests[0].priority",
        "unknown key 'priority'; known keys: id, partner, requirements, revisit_every, "
        "revisit_every_s, target, urgency, value, window",
        "unknown key (a typo)",
    ),
    (
        '[[blocked]]\npartner = "esa"',
        '[[requests]]\nid = "r1"\npartner = "esa"\ntarget = { lat = 1.0, lon = 2.0 }\n'
        "window = { start = 2026-06-01T00:00:00Z, end = 2026-06-01T12:00:00Z }\n\n"
        '[[blocked]]\npartner = "esa"',
        "requests[1]",
        "duplicate request id 'r1' (first at index 0)",
        "duplicate request id",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "field", "message", "reason"), BAD, ids=[case[-1] for case in BAD]
)
def test_bad_scenarios_name_the_file_and_the_field(
    tmp_path: Path, old: str, new: str, field: str, message: str, reason: str
) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    expected = message.replace("{tmp}", str(tmp_path))
    assert (caught.value.source, caught.value.field) == (str(path), field)
    assert str(caught.value) == f"{path}: {field}: {expected}"


def test_a_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "name = \n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.field == str(path)
    assert str(caught.value).startswith(f"{path}: not valid TOML: ")
