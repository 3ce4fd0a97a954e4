"""``GET /fleet/tracks``: sub-satellite points of the pooled satellites for the map."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from spacepool.api import create_app
from spacepool.api.fleet import PooledFleet, PooledSatellite, fleet_tracks, visibility_radius_km
from spacepool.consortium import load_consortium
from spacepool.store.keys import create_api_key
from spacepool.store.registry import load_consortium_into

START = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # two days after the consortium's epoch
MEAN_EARTH_RADIUS_KM = 6371.0088  # IUGG R1, for great-circle distances between subpoints
# Skyfield turns SGP4's TEME position into ITRS by its own route (GCRS with IAU 2000
# precession-nutation, then the Earth's rotation); the engine rotates TEME by GMST
# 1982. The answer rounds degrees to 1e-4 (up to 8 m on the ground); measured
# largest difference 7 m. 25 m is far below a pixel of the map at any zoom it offers.
TWENTY_FIVE_METRES_KM = 0.025


@pytest.fixture(scope="module")
def empty_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("fleet-empty")
    app = create_app(f"sqlite:///{folder / 'db.sqlite'}", clock=lambda: START)
    with TestClient(app) as client:
        yield client


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance on the mean sphere."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * MEAN_EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def test_without_registry_the_bundled_consortium_is_tracked(empty_client: TestClient) -> None:
    answer = empty_client.get("/fleet/tracks", params={"minutes": 90, "step_s": 60}).json()
    consortium = load_consortium()
    assert answer["source"] == "consortium"
    assert answer["start"] == "2026-06-01T06:00:00.000Z"  # the clock's now
    assert answer["seconds"] == [60.0 * k for k in range(91)]
    assert [s["norad_id"] for s in answer["satellites"]] == [sc.norad_id for sc in consortium.fleet]
    assert [s["id"] for s in answer["stations"]] == [st.id for st in consortium.stations]
    for sat in answer["satellites"]:
        assert len(sat["lat_deg"]) == len(sat["lon_deg"]) == 91
        assert all(-90 <= v <= 90 for v in sat["lat_deg"])
        assert all(-180 <= v <= 180 for v in sat["lon_deg"])
        assert sat["element_source"] == "nominal"
    assert answer["failures"] == []


def test_sub_satellite_points_agree_with_skyfield_within_25_metres(
    empty_client: TestClient,
) -> None:
    from skyfield.api import EarthSatellite, load, wgs84

    answer = empty_client.get(
        "/fleet/tracks", params={"start": "2026-06-01T06:00:00Z", "minutes": 100, "step_s": 300}
    ).json()
    timescale = load.timescale(builtin=True)
    fleet = {sc.norad_id: sc for sc in load_consortium().fleet}
    times = timescale.from_datetimes([START + timedelta(seconds=s) for s in answer["seconds"]])
    worst = 0.0
    for sat in answer["satellites"]:
        reference = EarthSatellite.from_satrec(
            fleet[sat["norad_id"]].element_set().satrec(), timescale
        )
        point = wgs84.subpoint_of(reference.at(times))
        for lat, lon, ref_lat, ref_lon in zip(
            sat["lat_deg"],
            sat["lon_deg"],
            point.latitude.degrees,
            point.longitude.degrees,
            strict=True,
        ):
            worst = max(worst, great_circle_km(lat, lon, float(ref_lat), float(ref_lon)))
    assert worst < TWENTY_FIVE_METRES_KM


def test_visibility_radius_follows_the_textbook_horizon_formula() -> None:
    """lambda = arccos(R cos(eps) / (R + h)) - eps (Wertz, SMAD 3rd ed., eq. 5-26 and
    5-27, spherical Earth), independently of spacepool.access.sensors."""
    from spacepool.orbits.frames import WGS84_A_KM

    station = load_consortium().station("kiruna")
    for altitude_km in (500.0, 700.0, 1336.0):
        eps = math.radians(station.min_elevation_deg)
        r = WGS84_A_KM
        expected = r * (math.acos(r * math.cos(eps) / (r + altitude_km)) - eps)
        assert visibility_radius_km(station, altitude_km) == pytest.approx(expected, abs=1e-6)


def test_the_registry_fleet_uses_the_newest_uploaded_element_set(tmp_path: Path) -> None:
    app = create_app(f"sqlite:///{tmp_path / 'db.sqlite'}", clock=lambda: START)
    consortium = load_consortium()
    load_consortium_into(app.state.store, consortium, now=START)
    with app.state.store.transaction() as session:
        key = create_api_key(session, partner_id="esa", admin=False, now=START).key
    newer = replace(
        consortium.spacecraft("Sentinel-2A").element_set(),
        epoch=datetime(2026, 5, 31, 12, 0, tzinfo=UTC),
        mean_anomaly_deg=10.0,
        line1=None,
        line2=None,
    )
    line1, line2 = newer.to_tle_lines()
    with TestClient(app) as client:
        upload = client.post(
            "/element-sets",
            content=f"SENTINEL-2A\n{line1}\n{line2}\n",
            headers={"Authorization": f"Bearer {key}", "Content-Type": "text/plain"},
        )
        assert upload.status_code == 201, upload.text
        answer = client.get("/fleet/tracks", params={"minutes": 10}).json()
    assert answer["source"] == "registry"
    by_norad = {s["norad_id"]: s for s in answer["satellites"]}
    assert len(by_norad) == len(consortium.fleet)
    s2a = by_norad[40697]
    assert s2a["element_epoch"] == "2026-05-31T12:00:00.000Z"
    assert s2a["element_source"] == "tle"
    assert by_norad[42063]["element_source"] == "nominal"  # Sentinel-2B: nothing uploaded


def test_a_satellite_sgp4_cannot_propagate_gives_nulls_and_a_failure() -> None:
    consortium = load_consortium()
    good = consortium.spacecraft("Sentinel-2A")
    decayed = replace(good.element_set(), eccentricity=0.999)  # SGP4 error: no orbit
    fleet = PooledFleet(
        "consortium",
        (PooledSatellite(good, good.element_set()), PooledSatellite(good, decayed)),
        (),
    )
    answer = fleet_tracks(fleet, START, 10.0, 60.0)
    good_track, bad_track = answer["satellites"]
    assert None not in good_track["lat_deg"]
    missing = [lat is None for lat in bad_track["lat_deg"]]
    assert any(missing)
    assert missing == [lon is None for lon in bad_track["lon_deg"]]
    assert answer["failures"] == [
        "Sentinel-2A (40697): SGP4 error 4: length of the orbit's semi-latus rectum has "
        "fallen below zero"
    ]


def test_one_day_at_thirty_seconds_is_the_largest_grid(empty_client: TestClient) -> None:
    answer = empty_client.get("/fleet/tracks", params={"minutes": 1440, "step_s": 30}).json()
    assert len(answer["seconds"]) == 2881
    assert np.isclose(answer["seconds"][-1], 86400.0)


BAD_QUERIES = [
    # (query, status, code, description, reason)
    (
        {"start": "tomorrow"},
        400,
        "invalid_time_range",
        "start: expected an ISO 8601 time such as 2026-05-31T06:00:00Z, found 'tomorrow'",
        "not a time",
    ),
    (
        {"minutes": "0"},
        400,
        "invalid_request",
        "query.minutes: Input should be greater than 0",
        "an empty window",
    ),
    (
        {"minutes": "1441"},
        400,
        "invalid_request",
        "query.minutes: Input should be less than or equal to 1440",
        "more than a day",
    ),
    (
        {"step_s": "0.5"},
        400,
        "invalid_request",
        "query.step_s: Input should be greater than or equal to 1",
        "a step below a second",
    ),
    (
        {"step_s": "601"},
        400,
        "invalid_request",
        "query.step_s: Input should be less than or equal to 600",
        "a step longer than ten minutes",
    ),
    (
        {"minutes": "1440", "step_s": "29"},
        400,
        "invalid_input",
        "minutes=1440 at step_s=29 gives 2980 samples per satellite; at most 2881 are "
        "allowed: shorten the window or lengthen the step",
        "too many samples",
    ),
]


@pytest.mark.parametrize(
    ("query", "status", "code", "description"),
    [case[:4] for case in BAD_QUERIES],
    ids=[case[4] for case in BAD_QUERIES],
)
def test_bad_queries_are_refused_with_a_message(
    empty_client: TestClient, query: dict[str, str], status: int, code: str, description: str
) -> None:
    response = empty_client.get("/fleet/tracks", params=query)
    assert response.status_code == status
    assert response.json() == {"code": code, "description": description}
