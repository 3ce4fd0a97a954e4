"""Passes and imaging opportunities over the registry: the same records as the CLI
on the same elements, exports, paging, and the error for every bad query."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from registry_world import VIEWERS, RegistryWorld, build_registry_world
from typer.testing import CliRunner

from spacepool.cli import app

START, END = "2026-06-01T00:00:00Z", "2026-06-01T06:00:00Z"
PASSES = f"/passes?station=kiruna&start={START}&end={END}"


@pytest.fixture(scope="module")
def world(module_database_url: str) -> Iterator[RegistryWorld]:
    yield from build_registry_world(module_database_url)


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _kiruna_passes(fmt: str, *options: str) -> str:
    """The CLI's answer for the bundled consortium's passes over Kiruna in the test
    window: the reference the API must match."""
    return _cli(
        "passes",
        "--consortium",
        "--station",
        "kiruna",
        "--start",
        START,
        "--end",
        END,
        *options,
        "--format",
        fmt,
    )


def _follow(world: RegistryWorld, url: str, label: str = "anonymous") -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for _ in range(1000):
        page = world.get(url, label).json()
        items.extend(page["items"])
        assert page["warnings"] == []
        if page["next"] is None:
            assert len(items) == page["total"]
            return items
        url = page["next"].removeprefix("http://testserver")
    raise AssertionError("paging did not end")


@pytest.fixture(scope="module")
def cli_passes() -> list[dict[str, Any]]:
    # The loaded registry holds the bundled consortium's nominal elements: the CLI's
    # --consortium answer is the reference.
    text = _kiruna_passes("json")
    passes: list[dict[str, Any]] = json.loads(text)
    return passes


def test_passes_are_the_cli_s_records_over_every_page(
    world: RegistryWorld, cli_passes: list[dict[str, Any]]
) -> None:
    assert len(cli_passes) > 10
    assert _follow(world, PASSES + "&limit=7") == cli_passes


def test_passes_of_chosen_satellites_above_a_mask(
    world: RegistryWorld, cli_passes: list[dict[str, Any]]
) -> None:
    url = PASSES + "&satellite=42063&satellite=39634&min_elevation_deg=20"
    passes = _follow(world, url)
    reference = json.loads(
        _kiruna_passes("json", "--sat", "42063", "--sat", "39634", "--min-elevation", "20")
    )
    assert passes == reference
    assert {p["norad_id"] for p in passes} <= {42063, 39634}
    assert all(p["max_elevation_deg"] >= 20.0 for p in passes)


def test_a_coordinate_station_is_accepted(world: RegistryWorld) -> None:
    passes = _follow(world, f"/passes?station=67.857,20.964,402&start={START}&end={END}")
    assert {p["station"] for p in passes} == {"67.857,20.964,402"}
    assert passes


def test_csv_and_ics_exports_hold_the_same_passes(world: RegistryWorld) -> None:
    csv = world.get(PASSES.replace("/passes", "/passes.csv"), "anonymous")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    reference = _kiruna_passes("csv")
    assert csv.text == reference
    ics = world.get(PASSES.replace("/passes", "/passes.ics"), "anonymous")
    assert ics.headers["content-type"].startswith("text/calendar")
    reference_ics = _kiruna_passes("ics")

    def without_stamps(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("DTSTAMP")]

    assert without_stamps(ics.text) == without_stamps(reference_ics)


def test_imaging_opportunities_over_a_point_are_the_cli_s(world: RegistryWorld) -> None:
    body = {"target": {"lat": 45.0, "lon": 11.0}, "start": START, "end": END}
    response = world.post("/access?limit=1000", "anonymous", json=body)
    assert response.status_code == 200, response.text
    reference = json.loads(
        _cli(
            "access",
            "--consortium",
            "--target",
            "45,11",
            "--start",
            START,
            "--end",
            END,
            "--format",
            "json",
        )
    )
    assert reference
    assert response.json()["items"] == reference


def test_imaging_opportunities_over_an_area(world: RegistryWorld) -> None:
    area = {
        "type": "Polygon",
        "coordinates": [[[11.0, 44.5], [12.5, 44.5], [12.5, 45.5], [11.0, 45.5], [11.0, 44.5]]],
    }
    body = {"aoi": area, "start": START, "end": END, "max_off_nadir_deg": 30}
    found = world.post("/access?limit=1000", "anonymous", json=body).json()["items"]
    assert found
    assert {o["target"] for o in found} == {"aoi"}
    assert all(0.0 < o["covered_fraction"] <= 1.0 for o in found)
    assert all(o["min_off_nadir_deg"] <= 30.0 + 1e-6 for o in found)


@pytest.mark.parametrize("label", VIEWERS)
def test_every_caller_gets_the_same_public_answer(world: RegistryWorld, label: str) -> None:
    assert world.get(PASSES, label).json() == world.get(PASSES, "anonymous").json()
    body = {"target": [{"lat": 45.0, "lon": 11.0}], "start": START, "end": END}
    assert (
        world.post("/access", label, json=body).json()
        == world.post("/access", "anonymous", json=body).json()
    )


STATIONS = (
    "aussaguel, bear-lakes, fairbanks, gatineau, hartebeesthoek, inuvik, katsuura, kiruna, "
    "kourou, maspalomas, matera, mcmurdo, neustrelitz, ohiggins, prince-albert, shadnagar, "
    "sioux-falls, svalbard, troll, wallops"
)

BAD_PASS_QUERIES = [
    ("unknown station", f"/passes?station=atlantis&start={START}&end={END}",
     "unknown_name", f"unknown station 'atlantis'; known stations: {STATIONS}"),
    ("no station", f"/passes?start={START}&end={END}", "invalid_request",
     "query.station: Field required"),
    ("bad coordinates", f"/passes?station=95,10&start={START}&end={END}", "invalid_geometry",
     None),
    ("unparsable start", f"/passes?station=kiruna&start=today&end={END}", "invalid_time_range",
     "start: expected an ISO 8601 time such as 2026-05-31T06:00:00Z, found 'today'"),
    ("end before start", f"/passes?station=kiruna&start={END}&end={START}", "invalid_time_range",
     "empty time window: start 2026-06-01T06:00:00.000Z is not before end "
     "2026-06-01T00:00:00.000Z; give an end after the start"),
    ("window over a week", f"/passes?station=kiruna&start={START}&end=2026-06-09T00:00:00Z",
     "invalid_time_range",
     "window of 8 days is longer than the 7 days allowed; ask for shorter windows"),
    ("mask above 90", PASSES + "&min_elevation_deg=95", "invalid_request",
     "query.min_elevation_deg: Input should be less than 90"),
    ("satellite without elements", PASSES + "&satellite=5", "unknown_name", None),
    ("limit out of range", PASSES + "&limit=5000", "invalid_request",
     "query.limit: Input should be less than or equal to 1000"),
    ("csv with a bad window", f"/passes.csv?station=kiruna&start={END}&end={START}",
     "invalid_time_range", None),
    ("ics with an unknown station", f"/passes.ics?station=atlantis&start={START}&end={END}",
     "unknown_name", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("reason", "url", "code", "description"),
    BAD_PASS_QUERIES,
    ids=[c[0] for c in BAD_PASS_QUERIES],
)
def test_a_bad_pass_query_is_a_400_saying_what_is_wrong(
    world: RegistryWorld, reason: str, url: str, code: str, description: str | None
) -> None:
    response = world.get(url, "anonymous")
    assert response.status_code == 400, (reason, response.text)
    assert response.json()["code"] == code
    if description is not None:
        assert response.json()["description"] == description


def _access(**changes: Any) -> dict[str, Any]:
    return {"target": {"lat": 45.0, "lon": 11.0}, "start": START, "end": END, **changes}


SQUARE_OPEN = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}

BAD_ACCESS = [
    ("target and area", _access(aoi=SQUARE_OPEN), "invalid_input",
     "give either target {lat, lon} or aoi (GeoJSON), one of them"),
    ("neither", {"start": START, "end": END}, "invalid_input",
     "give either target {lat, lon} or aoi (GeoJSON), one of them"),
    ("ring not closed", {"aoi": SQUARE_OPEN, "start": START, "end": END}, "invalid_geometry",
     "aoi: coordinates[0]: ring is not closed: the first position [0, 0] differs from the last "
     "[0, 1]; repeat the first position at the end (RFC 7946 section 3.1.6)"),
    ("not a polygon", {"aoi": {"type": "Point", "coordinates": [0, 0]}, "start": START,
                       "end": END}, "invalid_geometry",
     "aoi: type: expected a Polygon, MultiPolygon, Feature or FeatureCollection, found 'Point'"),
    ("latitude out of range", _access(target={"lat": 91, "lon": 0}), "invalid_request",
     "body.target.PointIn.lat: Input should be less than or equal to 90; body.target.list"
     "[PointIn]: Input should be a valid list"),
    ("off-nadir of 90", _access(max_off_nadir_deg=90), "invalid_request",
     "body.max_off_nadir_deg: Input should be less than 90"),
    ("window over a week", _access(end="2026-06-10T00:00:00Z"), "invalid_time_range",
     "window of 9 days is longer than the 7 days allowed; ask for shorter windows"),
    ("unknown satellite", _access(satellites=[99999]), "unknown_name", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("reason", "body", "code", "description"), BAD_ACCESS, ids=[c[0] for c in BAD_ACCESS]
)
def test_a_bad_access_query_is_a_400_saying_what_is_wrong(
    world: RegistryWorld, reason: str, body: dict[str, Any], code: str, description: str | None
) -> None:
    response = world.post("/access", "anonymous", json=body)
    assert response.status_code == 400, (reason, response.text)
    assert response.json()["code"] == code
    if description is not None:
        assert response.json()["description"] == description


def test_the_documented_passes_example_answers_as_shown(world: RegistryWorld) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "data-service.md").read_text()
    url = re.search(r"curl -s '(localhost:8000/passes\?[^']+)'", doc)
    shown = re.search(r"The last one answers \(abridged\):\n\n```json\n(.*?)```", doc, re.S)
    assert url is not None and shown is not None
    answer = world.get(url.group(1).removeprefix("localhost:8000"), "anonymous").json()
    first = answer["items"][0]
    text = shown.group(1)
    for key in ("satellite", "aos", "tca", "los"):
        assert f'"{key}": "{first[key]}"' in text, key
    for key in ("norad_id", "max_elevation_deg", "duration_s"):
        assert f'"{key}": {first[key]}' in text, key
    assert f'"total": {answer["total"]}, "limit": 2, "offset": 0' in text
