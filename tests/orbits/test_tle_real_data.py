"""Real CelesTrak catalogues (../shared/data/tle): every record must load.

The snapshots are described in ``shared/data/tle/SOURCE.txt`` (object counts, epoch
ranges). The tests skip when the folder is absent.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sgp4.api import Satrec

from spacepool.orbits.elements import ElementSet
from spacepool.orbits.tle import load_tle

pytestmark = pytest.mark.shared_data

TLE_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "tle"
ACTIVE = "celestrak_active_2026-05-07.tle"
# Object counts from SOURCE.txt.
EXPECTED_COUNTS = {
    ACTIVE: 15347,
    "celestrak_resource_2026-05-30.tle": 167,
    "celestrak_stations_2026-05-30.tle": 25,
    "celestrak_starlink_2026-05-30.tle": 10395,
    "celestrak_oneweb_2026-05-30.tle": 651,
    "celestrak_geo_2026-05-30.tle": 574,
    "celestrak_weather_2026-05-30.tle": 74,
    "celestrak_science_2026-05-30.tle": 49,
    "celestrak_military_2026-05-30.tle": 23,
}


def catalogue(name: str) -> Path:
    path = TLE_DIR / name
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


@pytest.fixture(scope="module")
def active() -> tuple[ElementSet, ...]:
    return load_tle(catalogue(ACTIVE)).elements


@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_every_record_of_the_catalogue_parses_in_strict_mode(name: str) -> None:
    result = load_tle(catalogue(name))  # strict: any bad record would raise
    assert result.problems == ()
    assert len(result.elements) == EXPECTED_COUNTS[name]
    assert all(e.name for e in result.elements)  # 3-line files: every record named


def test_active_catalogue_epochs_and_regimes_match_its_description(
    active: tuple[ElementSet, ...],
) -> None:
    epochs = [e.epoch for e in active]
    # SOURCE.txt: epochs 26103.603 .. 26130.207 (day of year 2026).
    assert datetime(2026, 4, 13, 14, 28, tzinfo=UTC) < min(epochs)
    assert max(epochs) < datetime(2026, 5, 10, 4, 59, tzinfo=UTC)
    assert sum(e.is_deep_space for e in active) == 806
    assert sum(e.eccentricity > 0.5 for e in active) == 34
    geo = load_tle(catalogue("celestrak_geo_2026-05-30.tle")).elements
    assert all(e.is_deep_space for e in geo)


def test_every_field_agrees_with_sgp4s_reading(active: tuple[ElementSet, ...]) -> None:
    for e in active:
        assert e.line1 is not None and e.line2 is not None
        sat = Satrec.twoline2rv(e.line1, e.line2)
        assert e.norad_id == sat.satnum
        assert e.eccentricity == sat.ecco
        assert math.radians(e.inclination_deg) == pytest.approx(sat.inclo, rel=1e-15, abs=1e-15)
        assert math.radians(e.raan_deg) == pytest.approx(sat.nodeo, rel=1e-15, abs=1e-15)
        assert math.radians(e.arg_perigee_deg) == pytest.approx(sat.argpo, rel=1e-15, abs=1e-15)
        assert math.radians(e.mean_anomaly_deg) == pytest.approx(sat.mo, rel=1e-15, abs=1e-15)
        assert e.bstar == pytest.approx(sat.bstar, rel=1e-12, abs=1e-300)
        assert e.element_set_no == sat.elnum
        assert e.rev_at_epoch == sat.revnum
        # Epoch: sgp4 keeps a (whole, fraction) Julian date; 1 us = 1.2e-11 day.
        jd = (e.epoch - datetime(2000, 1, 1, 12, tzinfo=UTC)).total_seconds() / 86400.0
        assert (sat.jdsatepoch - 2451545.0) + sat.jdsatepochF == pytest.approx(jd, abs=2e-11)


def test_tle_lines_are_rewritten_character_for_character() -> None:
    for name in EXPECTED_COUNTS:
        for e in load_tle(catalogue(name)).elements:
            assert e.to_tle_lines() == (e.line1, e.line2), e.label


def test_omm_json_round_trip_of_the_whole_catalogue(active: tuple[ElementSet, ...]) -> None:
    text = json.dumps([e.to_omm_dict() for e in active])
    again = [ElementSet.from_omm_dict(d, origin="tle") for d in json.loads(text)]
    assert again == list(active)
