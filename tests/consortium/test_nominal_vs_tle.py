"""Nominal orbits against the real CelesTrak elements of the same spacecraft.

The nominal elements are built from published mission orbits only; this compares
them with the observed TLEs in ../shared/data/tle (skipped when absent).
Tolerances: inclination 0.1 deg, mean motion 0.05 rev/day. Spacecraft that no longer
hold their mission orbit (``maintained = false``: Terra, Aqua) are checked to be
really out of those tolerances, so the flag cannot hide a wrong nominal orbit.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from sgp4.api import Satrec

from spacepool.consortium import Consortium, load_consortium, solve_nominal_orbit

TLE_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "tle"
RESOURCE = TLE_DIR / "celestrak_resource_2026-05-30.tle"
ACTIVE = TLE_DIR / "celestrak_active_2026-05-07.tle"
INCLINATION_TOLERANCE_DEG = 0.1
MEAN_MOTION_TOLERANCE_REV_PER_DAY = 0.05

pytestmark = pytest.mark.shared_data


def _read_tles(path: Path) -> dict[int, Satrec]:
    if not path.exists():
        pytest.skip(f"{path} not present")
    lines = path.read_text(encoding="ascii").splitlines()
    return {
        int(lines[k + 1][2:7]): Satrec.twoline2rv(lines[k + 1], lines[k + 2])
        for k in range(0, len(lines) - 2, 3)
    }


def _differences(consortium: Consortium, tles: dict[int, Satrec]) -> dict[str, tuple[float, float]]:
    """(nominal - real) inclination deg and mean motion rev/day, per spacecraft id."""
    result = {}
    for spacecraft in consortium.fleet:
        real = tles.get(spacecraft.norad_id)
        if real is None:
            continue
        nominal = solve_nominal_orbit(spacecraft.orbit)
        result[spacecraft.id] = (
            nominal.inclination_deg - math.degrees(real.inclo),
            nominal.mean_motion_rev_per_day - real.no_kozai * 1440.0 / (2.0 * math.pi),
        )
    return result


def _within(difference: tuple[float, float]) -> bool:
    return (
        abs(difference[0]) < INCLINATION_TOLERANCE_DEG
        and abs(difference[1]) < MEAN_MOTION_TOLERANCE_REV_PER_DAY
    )


@pytest.fixture(scope="module")
def bundled() -> Consortium:
    return load_consortium()


def test_maintained_orbits_match_the_earth_resources_tles(bundled: Consortium) -> None:
    differences = _differences(bundled, _read_tles(RESOURCE))
    maintained = {k: d for k, d in differences.items() if bundled.spacecraft(k).orbit.maintained}
    assert len(maintained) >= 18  # the comparison is not vacuous
    assert {k: d for k, d in maintained.items() if not _within(d)} == {}


def test_spacecraft_missing_from_the_resource_group_match_the_active_catalogue(
    bundled: Consortium,
) -> None:
    in_resource = set(_read_tles(RESOURCE))
    others = {
        k: d
        for k, d in _differences(bundled, _read_tles(ACTIVE)).items()
        if bundled.spacecraft(k).norad_id not in in_resource
        and bundled.spacecraft(k).orbit.maintained
    }
    assert {"sentinel-1c", "rcm-1", "rcm-2", "rcm-3", "nisar", "eos-04"} <= set(others)
    assert {k: d for k, d in others.items() if not _within(d)} == {}


def test_orbits_flagged_as_not_maintained_really_left_their_mission_orbit(
    bundled: Consortium,
) -> None:
    differences = _differences(bundled, _read_tles(RESOURCE))
    flagged = [sc.id for sc in bundled.fleet if not sc.orbit.maintained]
    assert flagged == ["terra", "aqua"]
    assert [k for k in flagged if _within(differences[k])] == []
