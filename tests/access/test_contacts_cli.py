"""The ``spacepool passes`` command, driven in process."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spacepool.cli import app

REPO = Path(__file__).resolve().parents[2]
STATIONS_TLE = REPO / ".." / "shared" / "data" / "tle" / "celestrak_stations_2026-05-30.tle"
CONTRACT_KEYS = ["satellite", "norad_id", "station", "aos", "tca", "los", "max_elevation_deg",
                 "duration_s"]  # fmt: skip
WINDOW = ["--start", "2026-05-31T00:00:00Z", "--end", "2026-06-01T00:00:00Z"]

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def tle() -> str:
    if not STATIONS_TLE.exists():
        pytest.skip(f"{STATIONS_TLE} is absent")
    return str(STATIONS_TLE)


@pytest.mark.shared_data
def test_json_output_follows_the_contract(tle):
    result = run("passes", "--tle", tle, "--sat", "25544", "--station", "45.0,10.0",
                 "--station", "matera", *WINDOW, "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows
    for row in rows:
        assert list(row)[:8] == CONTRACT_KEYS
        assert row["satellite"] == "ISS (ZARYA)" and row["norad_id"] == 25544
        assert row["aos"].endswith("Z") and row["los"].endswith("Z")
        assert {"truncated_start", "truncated_end", "element_age_days"} <= set(row)
    assert {row["station"] for row in rows} == {"45,10", "Matera"}
    assert [r["aos"] for r in rows] == sorted(r["aos"] for r in rows)


@pytest.mark.shared_data
def test_min_elevation_overrides_the_station_mask(tle):
    low = run("passes", "--tle", tle, "--sat", "ISS (ZARYA)", "--station", "Matera", *WINDOW,
              "--format", "json")  # fmt: skip
    high = run("passes", "--tle", tle, "--sat", "iss (zarya)", "--station", "Matera", *WINDOW,
               "--min-elevation", "30", "--format", "json")  # fmt: skip
    low_rows, high_rows = json.loads(low.stdout), json.loads(high.stdout)
    assert len(high_rows) < len(low_rows)
    assert all(r["max_elevation_deg"] >= 30.0 for r in high_rows)


@pytest.mark.shared_data
def test_csv_and_ics_hold_one_row_and_one_event_per_pass(tle):
    args = ("passes", "--tle", tle, "--sat", "25544", "--station", "45,10", *WINDOW)
    rows = json.loads(run(*args, "--format", "json").stdout)
    table = list(csv.DictReader(io.StringIO(run(*args, "--format", "csv").stdout)))
    assert [r["aos"] for r in table] == [r["aos"] for r in rows]
    assert list(table[0])[:8] == CONTRACT_KEYS
    ics = run(*args, "--format", "ics").stdout_bytes.decode()  # .stdout folds CRLF
    assert ics.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert ics.count("BEGIN:VEVENT") == len(rows)
    first = rows[0]["aos"]
    assert f"DTSTART:{first[:4]}{first[5:7]}{first[8:13]}{first[14:16]}{first[17:19]}Z" in ics
    uids = [line for line in ics.split("\r\n") if line.startswith("UID:")]
    assert len(set(uids)) == len(rows)
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))


@pytest.mark.shared_data
def test_table_output_lists_the_passes(tle):
    result = run("passes", "--tle", tle, "--sat", "25544", "--station", "45,10", *WINDOW)
    assert result.exit_code == 0
    assert "ISS (ZARYA)" in result.stdout and "passes" in result.stdout


def test_consortium_elements_can_replace_a_tle_file():
    result = run("passes", "--consortium", "--sat", "sentinel-2b", "--station", "svalbard",
                 "--start", "2026-05-31T00:00:00Z", "--end", "2026-05-31T06:00:00Z",
                 "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and {r["norad_id"] for r in rows} == {42063}


BAD_CALLS = [
    # (arguments, message, reason)
    (["--station", "95,10"],
     "error: site '95,10': latitude must be between -90 and 90 degrees, found 95",
     "latitude beyond the pole"),
    (["--station", "atlantis"], "error: unknown station 'atlantis'; known stations: ",
     "station name not in the consortium"),
    (["--station", "matera", "--sat", "Sputnik"], "error: unknown satellite 'Sputnik'; known ",
     "satellite not in the file"),
]  # fmt: skip


@pytest.mark.parametrize(("extra", "message", "reason"), BAD_CALLS, ids=[b[-1] for b in BAD_CALLS])
def test_user_mistakes_print_one_error_line_and_exit_2(extra, message, reason):
    result = run("passes", "--consortium", *extra, *WINDOW)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.output


def test_start_after_end_is_one_error_line():
    result = run("passes", "--consortium", "--station", "matera",
                 "--start", "2026-06-02T00:00:00Z", "--end", "2026-06-01T00:00:00Z")  # fmt: skip
    assert result.exit_code == 2
    # Rich wraps long messages at the terminal width; the text is one message.
    assert " ".join(result.stderr.split()) + "\n" == (
        "error: empty time window: start 2026-06-02T00:00:00.000Z is not before end "
        "2026-06-01T00:00:00.000Z; give an end after the start\n"
    )


def test_tle_and_consortium_are_exclusive():
    neither = run("passes", "--station", "matera", *WINDOW)
    both = run("passes", "--tle", "x.tle", "--consortium", "--station", "matera", *WINDOW)
    for result in (neither, both):
        assert result.exit_code == 2
        assert result.stderr == "error: give either --tle FILE or --consortium (one of them)\n"
