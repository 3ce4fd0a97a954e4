"""Bad consortium files: every error names the field, what was expected and what came."""

from __future__ import annotations

from pathlib import Path

import pytest

from spacepool.consortium import load_consortium
from spacepool.errors import ConsortiumDataError

GOOD = """\
name = "test consortium"
epoch = 2026-05-30T00:00:00Z
source = "test"

[[partners]]
id = "nasa"
name = "NASA"
country = "US"
source = "test"

[[partners]]
id = "esa"
name = "ESA"
country = "EU"
source = "test"

[[spacecraft]]
id = "sat-a"
name = "Sat A"
norad_id = 40697
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
data_rate_mbps = 450.0
source = "test"

[[spacecraft]]
id = "sat-b"
name = "Sat B"
norad_id = 39084
owner = "nasa"
downlink_rate_mbps = 384.0
bands = ["X"]
source = "test"
[spacecraft.orbit]
sun_synchronous = false
altitude_km = 705.0
inclination_deg = 98.2
raan_deg = 10.0
source = "test"
[[spacecraft.instruments]]
id = "sar"
name = "SAR"
kind = "sar"
mode = "strip"
swath_km = 30.0
resolution_m = 3.0
min_off_nadir_deg = 20.0
max_off_nadir_deg = 45.0
data_rate_mbps = 300.0
source = "test"

[[stations]]
id = "kiruna"
name = "Kiruna"
owner = "esa"
latitude_deg = 67.857
longitude_deg = 20.964
altitude_m = 402.0
min_elevation_deg = 5.0
bands = ["S", "X"]
downlink_rate_mbps = 520.0
source = "test"

[[facilities]]
id = "columbus-racks"
name = "Columbus"
owner = "esa"
kind = "rack"
host = "iss"
capacity = 10.0
capacity_unit = "ISPR"
source = "test"

[[agreements]]
id = "pool"
name = "EO pool"
kind = "value_weighted"
pool = "eo"
basis = "data_rate"
members = ["nasa", "esa"]
station_weight = 0.25
source = "test"

[[agreements]]
id = "barter"
name = "Barter"
kind = "fixed_shares"
pool = "iss"
facilities = ["columbus-racks"]
source = "test"
[agreements.shares]
nasa = 0.766
esa = 0.234
"""

# (reason, text replaced in GOOD, replacement, the whole expected message)
BAD_FILES = [
    (
        "negative swath",
        "swath_km = 290.0",
        "swath_km = -5",
        "spacecraft[0].instruments[0].swath_km: must be > 0, got -5",
    ),
    (
        "owner that is not a partner",
        'owner = "nasa"\ndownlink_rate_mbps = 384.0',
        'owner = "nsa"\ndownlink_rate_mbps = 384.0',
        "spacecraft[1].owner: unknown partner 'nsa'; known partners: esa, nasa",
    ),
    (
        "two spacecraft with the same id",
        'id = "sat-b"',
        'id = "sat-a"',
        "spacecraft[1]: duplicate spacecraft id 'sat-a' (first at index 0)",
    ),
    (
        "two spacecraft with the same NORAD id",
        "norad_id = 39084",
        "norad_id = 40697",
        "spacecraft[1]: duplicate NORAD id 40697 (first at index 0)",
    ),
    (
        "fixed shares that do not sum to 1",
        "esa = 0.234",
        "esa = 0.134",
        "agreements[1].shares: must sum to 1 (within 1e-09), got 0.9",
    ),
    (
        "station latitude beyond the pole",
        "latitude_deg = 67.857",
        "latitude_deg = 91.0",
        "stations[0].latitude_deg: must be <= 90, got 91",
    ),
    (
        "station longitude out of range",
        "longitude_deg = 20.964",
        "longitude_deg = 200",
        "stations[0].longitude_deg: must be <= 180, got 200",
    ),
    (
        "misspelt key",
        "resolution_m = 10.0",
        "resolution = 10.0",
        "spacecraft[0].instruments[0].resolution_m: is required but missing",
    ),
    (
        "unknown extra key",
        'bands = ["S", "X"]\ndownlink_rate_mbps = 520.0\nsource = "test"\n\n[[facilities]]',
        'bands = ["S", "X"]\ndownlink_rate_mbps = 520.0\nsource = "test"\nantena = 13\n\n'
        "[[facilities]]",
        "stations[0].antena: unknown key 'antena'; known keys: altitude_m, azimuth_mask, bands, "
        "downlink_rate_mbps, id, latitude_deg, longitude_deg, min_elevation_deg, name, owner, "
        "source",
    ),
    (
        "sun-synchronous orbit without a node time",
        'ltdn = "10:30"\n',
        "",
        "spacecraft[0].orbit.ltan: is required for a sun-synchronous orbit (or ltdn / ltan_hours)",
    ),
    (
        "sun-synchronous orbit with an inclination",
        'ltdn = "10:30"\n',
        'ltdn = "10:30"\ninclination_deg = 98.0\n',
        "spacecraft[0].orbit.inclination_deg: must be absent for a sun-synchronous orbit: it "
        "follows from the altitude (inclination) and the node time (RAAN)",
    ),
    (
        "both node times",
        'ltdn = "10:30"\n',
        'ltdn = "10:30"\nltan = "22:30"\n',
        "spacecraft[0].orbit.ltdn: give only one of ltan, ltdn, ltan_hours (found ltan, ltdn)",
    ),
    (
        "node time that is not a clock time",
        'ltdn = "10:30"',
        'ltdn = "10h30"',
        "spacecraft[0].orbit.ltdn: must be a clock time HH:MM, got '10h30'",
    ),
    (
        "inclined orbit without RAAN",
        "raan_deg = 10.0\n",
        "",
        "spacecraft[1].orbit.raan_deg: is required for an orbit that is not sun-synchronous",
    ),
    (
        "orbit without any size",
        "altitude_km = 786.0\n",
        "",
        "spacecraft[0].orbit.altitude_km: is required (or semi_major_axis_km, or "
        "repeat_cycle_days with repeat_cycle_orbits)",
    ),
    (
        "half a repeat cycle",
        "altitude_km = 786.0\n",
        "repeat_cycle_days = 10\n",
        "spacecraft[0].orbit.repeat_cycle_orbits: is required when the other repeat-cycle "
        "field is given",
    ),
    (
        "optical instrument without a minimum sun elevation",
        "min_sun_elevation_deg = 10.0\n",
        "",
        "spacecraft[0].instruments[0].min_sun_elevation_deg: is required for a optical instrument",
    ),
    (
        "unknown instrument kind",
        'kind = "sar"',
        'kind = "radar"',
        "spacecraft[1].instruments[0].kind: must be one of optical, hyperspectral, thermal, sar, "
        "microwave_radiometer, altimeter, got 'radar'",
    ),
    (
        "off-nadir range upside down",
        "max_off_nadir_deg = 45.0",
        "max_off_nadir_deg = 15.0",
        "spacecraft[1].instruments[0].max_off_nadir_deg: must be >= min_off_nadir_deg (20), got 15",
    ),
    (
        "NORAD id as text",
        "norad_id = 39084",
        'norad_id = "39084"',
        "spacecraft[1].norad_id: must be an integer, got str '39084'",
    ),
    (
        "epoch without a time zone",
        "epoch = 2026-05-30T00:00:00Z",
        "epoch = 2026-05-30T00:00:00",
        "epoch: must carry a time zone (write it in UTC with a trailing Z), got "
        "datetime.datetime(2026, 5, 30, 0, 0)",
    ),
    (
        "agreement member that is not a partner",
        'members = ["nasa", "esa"]',
        'members = ["nasa", "esa", "cnes"]',
        "agreements[0].members[2]: unknown partner 'cnes'; known partners: esa, nasa",
    ),
    (
        "agreement naming an unknown facility",
        'facilities = ["columbus-racks"]',
        'facilities = ["kibo-racks"]',
        "agreements[1].facilities[0]: unknown facility 'kibo-racks'; known facilities: "
        "columbus-racks",
    ),
    (
        "unknown agreement kind",
        'kind = "fixed_shares"',
        'kind = "barter"',
        "agreements[1].kind: must be one of value_weighted, fixed_shares, got 'barter'",
    ),
    (
        "azimuth mask with a lone number",
        "min_elevation_deg = 5.0\n",
        "min_elevation_deg = 5.0\nazimuth_mask = [[0.0, 5.0], 90.0]\n",
        "stations[0].azimuth_mask[1]: must be a pair [azimuth_deg, elevation_deg], got float 90.0",
    ),
    (
        "azimuth mask with a full circle azimuth",
        "min_elevation_deg = 5.0\n",
        "min_elevation_deg = 5.0\nazimuth_mask = [[0.0, 5.0], [360.0, 6.0]]\n",
        "stations[0].azimuth_mask[1][0]: must be < 360, got 360",
    ),
    (
        "identifier with capitals",
        'id = "kiruna"',
        'id = "Kiruna"',
        "stations[0].id: must be lower-case letters, digits, '.', '_' or '-' starting with a "
        "letter or digit, got 'Kiruna'",
    ),
]


def test_the_good_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "good.toml"
    path.write_text(GOOD, encoding="utf-8")
    consortium = load_consortium(path)
    assert [sc.id for sc in consortium.fleet] == ["sat-a", "sat-b"]
    assert consortium.agreement("pool").contributions == (300.0, 450.0 + 0.25 * 520.0)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_bad_consortium_file_names_the_field(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in GOOD
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConsortiumDataError) as caught:
        load_consortium(path)
    assert str(caught.value) == message
    assert caught.value.field == message.split(": ", 1)[0]


def test_file_that_is_not_toml_is_reported_with_the_parser_position(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('name = "x\n', encoding="utf-8")
    with pytest.raises(ConsortiumDataError) as caught:
        load_consortium(path)
    assert str(caught.value).startswith(f"{path}: not valid TOML: ")
    assert "line 1" in str(caught.value)


def test_missing_file_is_reported_by_name(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(ConsortiumDataError) as caught:
        load_consortium(path)
    assert str(caught.value) == f"{path}: cannot read the file: No such file or directory"
