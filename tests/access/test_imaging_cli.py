"""The ``spacepool access`` command, driven in process."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import shapely
from imaging_satellites import TLE_TEXT
from typer.testing import CliRunner

from spacepool.cli import app

CONTRACT_KEYS = ["satellite", "norad_id", "target", "start", "end", "best_time",
                 "min_off_nadir_deg", "sun_elevation_deg"]  # fmt: skip
WINDOW = ["--start", "2026-05-31T00:00:00Z", "--end", "2026-06-01T00:00:00Z"]
AOI = {
    "type": "FeatureCollection",
    "features": [{
        "type": "Feature", "properties": {"name": "Oslo region"},
        "geometry": {"type": "Polygon",
                     "coordinates": [[[10, 60], [12, 60], [12, 61], [10, 61], [10, 60]]]},
    }],
}  # fmt: skip

runner = CliRunner()


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


@pytest.fixture
def tle(tmp_path: Path) -> str:
    path = tmp_path / "made_up.tle"
    path.write_text(TLE_TEXT, encoding="utf-8")
    return str(path)


@pytest.fixture
def aoi(tmp_path: Path) -> str:
    path = tmp_path / "oslo.geojson"
    path.write_text(json.dumps(AOI), encoding="utf-8")
    return str(path)


def test_json_output_follows_the_contract(tle: str) -> None:
    result = run("access", "--tle", tle, "--target", "60.5,11", "--target", "43.6,1.44",
                 "--max-off-nadir", "30", *WINDOW, "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) >= 3
    for row in rows:
        assert list(row)[:8] == CONTRACT_KEYS
        for key in ("start", "end", "best_time"):
            assert row[key].endswith("Z")
        assert row["min_off_nadir_deg"] <= 30.0
        assert {"sunlit", "element_age_days"} <= set(row)
    assert {r["target"] for r in rows} == {"60.5,11", "43.6,1.44"}
    assert [r["start"] for r in rows] == sorted(r["start"] for r in rows)


def test_sun_limit_and_satellite_selection(tle: str) -> None:
    base = ["access", "--tle", tle, "--target", "60.5,11", "--max-off-nadir", "40", *WINDOW,
            "--format", "json", "--sat", "OPTICAL-SSO", "--sat", "90002"]  # fmt: skip
    anytime = json.loads(run(*base).stdout)
    daylight = json.loads(run(*base, "--min-sun-elevation", "20").stdout)
    assert {r["satellite"] for r in anytime} == {"OPTICAL-SSO", "AGILE-SSO"}
    assert len(daylight) < len(anytime)
    assert all(r["sun_elevation_deg"] >= 20.0 - 0.01 for r in daylight)


def test_aoi_geojson_output_has_the_covered_part_of_each_opportunity(tle: str, aoi: str) -> None:
    result = run("access", "--tle", tle, "--aoi", aoi, "--max-off-nadir", "30", *WINDOW,
                 "--format", "geojson")  # fmt: skip
    assert result.exit_code == 0, result.output
    collection = json.loads(result.stdout)
    assert collection["type"] == "FeatureCollection"
    area = shapely.geometry.shape(AOI["features"][0]["geometry"])
    assert collection["features"]
    for feature in collection["features"]:
        props = feature["properties"]
        assert list(props)[:8] == CONTRACT_KEYS and props["target"] == "Oslo region"
        assert 0.0 < props["covered_fraction"] <= 1.0
        covered = shapely.geometry.shape(feature["geometry"])
        assert shapely.difference(covered, area).area <= 1e-9 * area.area


def test_csv_output_has_a_header_and_one_row_per_opportunity(tle: str, aoi: str) -> None:
    result = run("access", "--tle", tle, "--aoi", aoi, "--swath", "290", *WINDOW,
                 "--format", "csv")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and list(rows[0])[:8] == CONTRACT_KEYS
    assert all(r["covered_fraction"] for r in rows)


def test_table_output_lists_the_opportunities(tle: str) -> None:
    result = run("access", "--tle", tle, "--target", "60.5,11", "--max-off-nadir", "30", *WINDOW)
    assert result.exit_code == 0, result.output
    assert "imaging opportunities" in result.stdout and "OPTICAL-SSO" in result.stdout


def test_consortium_instruments_give_the_default_limits() -> None:
    from spacepool.consortium import load_consortium

    result = run("access", "--consortium", "--target", "60.5,11", *WINDOW, "--format", "json",
                 "--sat", "Sentinel-2B", "--sat", "Sentinel-1A")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    pool = load_consortium()
    assert {r["satellite"] for r in rows} == {"Sentinel-2B", "Sentinel-1A"}
    for r in rows:
        instrument = pool.spacecraft(r["norad_id"]).instrument(r["instrument"])
        assert instrument.min_off_nadir_deg - 1e-6 <= r["min_off_nadir_deg"]
        assert r["min_off_nadir_deg"] <= instrument.max_off_nadir_deg + 1e-6
        if instrument.min_sun_elevation_deg is not None:
            assert r["sun_elevation_deg"] >= instrument.min_sun_elevation_deg - 0.01


def test_revisit_statistics_per_satellite_and_pool(tle: str) -> None:
    result = run("access", "--tle", tle, "--target", "60.5,11", "--max-off-nadir", "30", *WINDOW,
                 "--revisit", "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    groups = [s["group"] for s in stats]
    assert groups[-1] == "pool" and "OPTICAL-SSO" in groups
    pool = stats[-1]
    assert pool["time_to_first_access_s"] <= min(
        s["time_to_first_access_s"] for s in stats if s["time_to_first_access_s"] is not None
    )


BAD_ARGS = [
    # (arguments after "access", whole message, reason)
    (["--target", "60,10", "--max-off-nadir", "30", *WINDOW],
     "error: give either --tle FILE or --consortium (one of them)", "no elements"),
    (["--tle", "{tle}", "--max-off-nadir", "30", *WINDOW],
     "error: give either --target LAT,LON or --aoi FILE.geojson (one of them)", "no target"),
    (["--tle", "{tle}", "--target", "60,10", *WINDOW],
     "error: give --max-off-nadir DEG (or --swath KM) with --tle", "no sensor geometry"),
    (["--tle", "{tle}", "--target", "60;10", "--max-off-nadir", "30", *WINDOW],
     "error: target: expected LAT,LON in degrees (e.g. 48.85,2.35), found '60;10'",
     "bad point"),
    (["--tle", "{tle}", "--target", "60,10", "--max-off-nadir", "95", *WINDOW],
     "error: sensor: maximum off-nadir angle must be above 0 and below 90 degrees, found 95",
     "impossible angle"),
    (["--tle", "{tle}", "--target", "60,10", "--max-off-nadir", "30", "--start",
      "2026-06-01T00:00:00Z", "--end", "2026-05-31T00:00:00Z"],
     "error: empty time window: start 2026-06-01T00:00:00.000Z is not before end "
     "2026-05-31T00:00:00.000Z; give an end after the start", "start after end"),
    (["--tle", "{tle}", "--aoi", "{bad_aoi}", "--max-off-nadir", "30", *WINDOW],
     "error: bad.geojson: coordinates: invalid polygon: Self-intersection[0.5 0.5]; fix the "
     "rings so that their edges do not cross", "self-intersecting area"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message", "reason"), BAD_ARGS, ids=[b[2] for b in BAD_ARGS])
def test_user_mistakes_print_one_line_and_exit_2(args, message, reason, tle, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "Polygon",
                               "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}))  # fmt: skip
    filled = [a.format(tle=tle, bad_aoi=bad) for a in args]
    result = run("access", *filled)
    assert result.exit_code == 2
    assert result.stderr.strip() == message
    assert "Traceback" not in result.output
