"""Time scales: UTC/UT1 Julian dates and time parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from spacepool.errors import TimeRangeError
from spacepool.orbits.timebase import TimeBase, check_window, format_time, parse_time, timescale

ONE_MICROSECOND_DAYS = 1e-6 / 86400.0


def test_julian_dates_match_skyfield() -> None:
    start = datetime(2026, 5, 31, 6, 30, 15, 250000, tzinfo=UTC)
    tb = TimeBase.around(start, start + timedelta(days=7))
    seconds = np.array([0.0, 1.5, 3600.0, 6.5 * 86400.0])
    w, f = tb.jd_utc(seconds)
    ts = timescale()
    t = ts.utc(2026, 5, 31, 6, 30, 15.25 + seconds)
    utc_jd = t.whole + t.tai_fraction - t._leap_seconds() / 86400.0
    assert np.max(np.abs((w + f) - utc_jd)) < 2 * ONE_MICROSECOND_DAYS
    uw, uf = tb.jd_ut1(seconds)
    # Linear interpolation of UT1-UTC between 6-hour samples: well under 1 ms.
    assert np.max(np.abs((uw + uf) - (t.whole + t.ut1_fraction))) * 86400.0 < 1e-4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-31T06:00:00Z", datetime(2026, 5, 31, 6, tzinfo=UTC)),
        ("2026-05-31T06:00:00+02:00", datetime(2026, 5, 31, 4, tzinfo=UTC)),
        ("2026-05-31 06:00", datetime(2026, 5, 31, 6, tzinfo=UTC)),  # naive -> UTC
        ("2026-05-31", datetime(2026, 5, 31, tzinfo=UTC)),
    ],
)
def test_parse_time_accepts_iso_8601(text: str, expected: datetime) -> None:
    assert parse_time(text) == expected


def test_parse_time_names_the_field_and_shows_an_example() -> None:
    with pytest.raises(TimeRangeError) as err:
        parse_time("yesterday", field="--start")
    assert str(err.value) == (
        "--start: expected an ISO 8601 time such as 2026-05-31T06:00:00Z, found 'yesterday'"
    )


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        ("2026-05-31T06:00:00Z", "2026-05-31T06:00:00Z", "empty window"),
        ("2026-05-31T06:00:00Z", "2026-05-30T06:00:00Z", "start after end"),
    ],
)
def test_check_window_rejects_bad_windows(start: str, end: str, reason: str) -> None:
    with pytest.raises(TimeRangeError, match="is not before end"):
        check_window(parse_time(start), parse_time(end))


def test_format_time_is_utc_with_z() -> None:
    dt = datetime(2026, 5, 31, 8, 0, 1, 234567, tzinfo=UTC)
    assert format_time(dt) == "2026-05-31T08:00:01.234Z"
