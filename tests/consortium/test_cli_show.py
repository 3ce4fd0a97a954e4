"""``spacepool consortium show`` through Typer's CliRunner."""

from __future__ import annotations

import json
import math
from pathlib import Path

from typer.testing import CliRunner

from spacepool.cli import app

runner = CliRunner()

SMALL = """\
name = "two partners"
epoch = 2026-05-30T00:00:00Z
source = "test"

[[partners]]
id = "esa"
name = "ESA"
country = "EU"
source = "test"

[[partners]]
id = "jaxa"
name = "JAXA"
country = "JP"
source = "test"

[[spacecraft]]
id = "sentinel-2b"
name = "Sentinel-2B"
norad_id = 42063
owner = "esa"
downlink_rate_mbps = 520.0
bands = ["X"]
source = "test"
[spacecraft.orbit]
sun_synchronous = true
altitude_km = 786.0
ltdn = "10:30"
source = "test"
[[spacecraft.instruments]]
id = "msi"
name = "MSI"
kind = "optical"
mode = "10 m"
swath_km = 290.0
resolution_m = 10.0
max_off_nadir_deg = 10.3
min_sun_elevation_deg = 10.0
data_rate_mbps = 300.0
source = "test"

[[stations]]
id = "katsuura"
name = "Katsuura"
owner = "jaxa"
latitude_deg = 35.2093
longitude_deg = 140.301
altitude_m = 100.0
min_elevation_deg = 5.0
bands = ["S", "X"]
downlink_rate_mbps = 400.0
source = "test"

[[agreements]]
id = "pool"
name = "pool"
kind = "value_weighted"
pool = "eo"
basis = "data_rate"
members = ["esa", "jaxa"]
station_weight = 0.25
source = "test"
"""


def test_show_prints_every_table_of_the_bundled_consortium() -> None:
    result = runner.invoke(app, ["consortium", "show"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    for title in (
        "partners",
        "spacecraft and instruments",
        "ground stations",
        "facilities",
        "agreements and entitlements",
    ):
        assert title in result.output
    assert "Sentinel-1A" in result.output and "39634" in result.output
    assert "Svalbard SvalSat" in result.output
    assert "76.6 %" in result.output and "12.8 %" in result.output


def test_show_as_json_gives_records_entitlements_and_nominal_elements() -> None:
    result = runner.invoke(app, ["consortium", "show", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["epoch"] == "2026-05-30T00:00:00Z"
    assert all(sc["orbit"]["epoch"].endswith("Z") for sc in data["spacecraft"])
    assert {sc["nominal_orbit"]["source"] for sc in data["spacecraft"]} == {"nominal"}
    for agreement in data["agreements"]:
        assert math.isclose(sum(agreement["entitlements"].values()), 1.0, abs_tol=1e-9)
    barter = next(a for a in data["agreements"] if a["id"] == "iss-usos")
    assert barter["entitlements"] == {"nasa": 0.766, "jaxa": 0.128, "esa": 0.083, "csa": 0.023}


def test_show_reads_a_user_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(SMALL, encoding="utf-8")
    result = runner.invoke(app, ["consortium", "show", "--file", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [sc["id"] for sc in data["spacecraft"]] == ["sentinel-2b"]
    # value = ESA: MSI 300 Mbit/s; JAXA: 0.25 x 400 Mbit/s station = 100.
    assert data["agreements"][0]["contributions"] == {"esa": 300.0, "jaxa": 100.0}
    assert data["agreements"][0]["entitlements"] == {"esa": 0.75, "jaxa": 0.25}


def test_show_reports_a_bad_user_file_in_one_line_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(SMALL.replace("swath_km = 290.0", "swath_km = -5"), encoding="utf-8")
    result = runner.invoke(app, ["consortium", "show", "--file", str(path)])
    assert result.exit_code == 2
    assert result.output == "error: spacecraft[0].instruments[0].swath_km: must be > 0, got -5\n"


def test_show_rejects_an_unknown_format() -> None:
    result = runner.invoke(app, ["consortium", "show", "--format", "xml"])
    assert result.exit_code == 2
    assert "expected one of table, json, got 'xml'" in result.output
