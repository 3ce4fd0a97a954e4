"""Vallado's SGP4 verification set, read with our TLE parser.

``SGP4-VER.TLE`` and ``tcppver.out`` ship inside the ``sgp4`` package: the 33 test
records of Vallado, Crawford, Hujsak & Kelso, "Revisiting Spacetrack Report #3"
(AIAA 2006-6753), and the positions and velocities that Vallado's C++ code prints
for them. ``sgp4``'s own ``tests.py`` regenerates ``tcppver.out`` the same way: for
each record, one line at ``tsince = 0``, then ``start``, ``start + step``, ... up to
``stop`` (the last step shortened to land on ``stop``), stopping at the first SGP4
error.

The file is not a plain TLE file, so the test adapts it rather than the parser
growing a special mode:

* comment lines (``#``) become blank lines, keeping the file's line numbers;
* line 2 carries the start / stop / step minutes after column 69; they are cut off
  and kept per record;
* records 33333-33335 are hand-edited copies of others with their checksums left
  unchanged, so they are parsed with ``verify_checksums=False`` (a separate test
  shows the checksum check does catch them).

The element sets are then the parser's, and each satellite is built by
``ElementSet.satrec()`` from the parsed lines, so the numbers are exactly Vallado's.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import pytest
import sgp4

from spacepool.orbits.elements import ElementSet
from spacepool.orbits.tle import parse_tle
from spacepool.orbits.validity import SGP4_ERROR_MEANINGS

SGP4_DIR = os.path.dirname(sgp4.__file__)
# tcppver.out prints positions to 1e-8 km and velocities to 1e-9 km/s; 2e-7 leaves
# room for compiler rounding differences, as sgp4's own test does.
POSITION_TOLERANCE_KM = 2e-7
VELOCITY_TOLERANCE_KM_S = 2e-7

# The SGP4 errors Vallado's run ends with, in file order, as asserted by sgp4's
# tests.py (codes [1, 1, 6, 6, 4, 3, 6]); the NORAD ids are the records whose output
# in tcppver.out stops before their stop time.
EXPECTED_ERRORS = {
    22312: 1,  # eccentricity driven below zero by the huge drag term (ndot .99999999)
    28350: 1,  # same, decaying low orbit
    28872: 6,  # decayed after 50 minutes
    29141: 6,  # decayed
    33333: 4,  # e = 0.995: semi-latus rectum negative after 20 minutes
    33334: 3,  # mean motion 1e-5 rev/day: fails at its epoch already
    20413: 6,  # second 20413 record, propagated 3.5 years: decayed
}


@dataclass(frozen=True)
class VerificationRecord:
    element: ElementSet
    start_min: float
    stop_min: float
    step_min: float


def read_verification_file() -> tuple[str, list[tuple[float, float, float]]]:
    """SGP4-VER.TLE as plain TLE text (same line numbers) and each record's times."""
    with open(os.path.join(SGP4_DIR, "SGP4-VER.TLE"), encoding="ascii") as handle:
        raw_lines = handle.read().splitlines()
    lines = []
    times = []
    for line in raw_lines:
        if line.startswith("#"):
            lines.append("")
        elif line.startswith("2 ") and len(line) > 69:
            start, stop, step = (float(field) for field in line[69:].split())
            times.append((start, stop, step))
            lines.append(line[:69])
        else:
            lines.append(line)
    return "\n".join(lines), times


def verification_records() -> list[VerificationRecord]:
    text, times = read_verification_file()
    result = parse_tle(text, source="SGP4-VER.TLE", verify_checksums=False)
    assert len(result.elements) == len(times) == 33
    return [
        VerificationRecord(element, *window)
        for element, window in zip(result.elements, times, strict=True)
    ]


def read_tcppver() -> list[tuple[int, list[list[float]]]]:
    """Blocks of tcppver.out: (NORAD id, rows of [tsince, x, y, z, vx, vy, vz])."""
    with open(os.path.join(SGP4_DIR, "tcppver.out"), encoding="ascii") as handle:
        text = handle.read().replace("\r", "")
    blocks: list[tuple[int, list[list[float]]]] = []
    for line in text.splitlines():
        if line.endswith(" xx"):
            blocks.append((int(line.split()[0]), []))
        elif line.strip():
            blocks[-1][1].append([float(field) for field in line.split()[:7]])
    return blocks


def output_times(start: float, stop: float, step: float) -> list[float]:
    """The tsince values Vallado's driver prints, accumulated as it does."""
    times = [0.0]
    tsince = start
    while tsince <= stop:
        if not (tsince == start == 0.0):
            times.append(tsince)
        tsince += step
    if tsince - stop < step - 1e-6:  # the last, shortened step lands on stop
        times.append(stop)
    return times


def test_every_verification_record_parses_from_its_lines() -> None:
    records = verification_records()
    assert [r.element.norad_id for r in records][:3] == [5, 4632, 6251]
    assert all(r.element.line1 is not None for r in records)


def test_the_edited_records_fail_the_checksum_check() -> None:
    text, _ = read_verification_file()
    result = parse_tle(text, source="SGP4-VER.TLE", lenient=True)
    assert len(result.elements) == 30
    # Line 1 of 33333, 33334 and 33335 (lines 100, 103 and 106 of the file, comments
    # counted): one report per record, the first bad line.
    assert [(p.line, p.column) for p in result.problems] == [(100, 69), (103, 69), (106, 69)]
    assert [p.text[2:7] for p in result.problems] == ["33333", "33334", "33335"]


def test_positions_and_velocities_match_vallados_output() -> None:
    records = verification_records()
    blocks = read_tcppver()
    assert [norad for norad, _ in blocks] == [r.element.norad_id for r in records]

    errors_seen: dict[int, int] = {}
    compared = 0
    previous_rows: list[list[float]] = []
    for record, (norad_id, rows) in zip(records, blocks, strict=True):
        sat = record.element.satrec()
        times = output_times(record.start_min, record.stop_min, record.step_min)
        error0, r0, _ = sat.sgp4_tsince(0.0)
        if error0:
            # tcppver.out repeats the previous record's last line for a satellite that
            # fails at its epoch (see sgp4's tests.py, "Use previous data line").
            assert all(math.isnan(x) for x in r0)
            assert rows == [[0.0, *previous_rows[-1][1:]]]
            errors_seen[norad_id] = error0
            previous_rows = rows
            continue
        assert len(rows) <= len(times)
        for row, tsince in zip(rows, times, strict=False):
            assert row[0] == pytest.approx(tsince, abs=1e-8)
            error, position, velocity = sat.sgp4_tsince(tsince)
            assert error == 0, f"{norad_id} at {tsince} min"
            for axis in range(3):
                assert abs(position[axis] - row[1 + axis]) < POSITION_TOLERANCE_KM
                assert abs(velocity[axis] - row[4 + axis]) < VELOCITY_TOLERANCE_KM_S
            compared += 1
        if len(rows) < len(times):
            # Vallado's output stops here: the next time must fail.
            error, _, _ = sat.sgp4_tsince(times[len(rows)])
            assert error != 0, f"{norad_id} should fail at {times[len(rows)]} min"
            errors_seen[norad_id] = error
        previous_rows = rows

    # tcppver.out: 700 lines = 33 headers + 667 states, one of them the copy for 33334.
    assert compared == 666
    assert errors_seen == EXPECTED_ERRORS
    assert [errors_seen[k] for k in errors_seen] == [1, 1, 6, 6, 4, 3, 6]
    assert {code: SGP4_ERROR_MEANINGS[code] for code in set(errors_seen.values())} == {
        1: "mean eccentricity is out of range (0 <= e < 1)",
        3: "perturbed eccentricity is out of range (0 <= e <= 1)",
        4: "semi-latus rectum has fallen below zero",
        6: "satellite has decayed (orbit radius below one Earth radius)",
    }
