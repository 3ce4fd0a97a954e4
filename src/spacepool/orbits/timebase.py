"""Time scales for the engine: UTC for SGP4, UT1 for Earth rotation.

The engine works in float seconds since a window start ``t0`` (UTC). Julian dates
are kept as (whole, fraction) pairs so SGP4 sees full precision. UT1 - UTC comes
from Skyfield's bundled IERS data (``load.timescale(builtin=True)``; nothing is
downloaded). Within a window it is interpolated linearly between daily samples:
UT1 - UTC drifts by about 1-2 ms per day, so the interpolation error is far below
a millisecond (IERS Bulletin A).

Leap seconds: a window that contains one is split by UTC seconds, not SI seconds;
none is scheduled through 2026 (IERS Bulletin C 71), and SGP4 itself is defined
on UTC (AIAA 2006-6753), so the engine treats UTC seconds as uniform.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from skyfield.api import Timescale, load

from spacepool.errors import TimeRangeError

FloatArray = NDArray[np.float64]

SECONDS_PER_DAY = 86400.0
_JD_UNIX_EPOCH = 2440587.5  # Julian date of 1970-01-01T00:00:00 UTC


@lru_cache(maxsize=1)
def timescale() -> Timescale:
    """Skyfield's timescale from its bundled data files (no network)."""
    return load.timescale(builtin=True)


def parse_time(text: str | datetime, *, field: str = "time") -> datetime:
    """An ISO 8601 time (``2026-05-31T00:00:00Z``) or datetime -> aware UTC datetime.

    A naive time is taken as UTC. Raises :class:`TimeRangeError` naming ``field``.
    """
    if isinstance(text, datetime):
        dt = text
    else:
        raw = text.strip()
        try:
            dt = datetime.fromisoformat(raw.replace("z", "Z"))
        except ValueError:
            raise TimeRangeError(
                f"{field}: expected an ISO 8601 time such as 2026-05-31T06:00:00Z, found {text!r}"
            ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def check_window(start: datetime, end: datetime) -> None:
    """Raise :class:`TimeRangeError` unless ``start < end``."""
    if end <= start:
        raise TimeRangeError(
            f"empty time window: start {format_time(start)} is not before end "
            f"{format_time(end)}; give an end after the start"
        )


def format_time(dt: datetime) -> str:
    """ISO 8601 UTC with a ``Z``, millisecond precision: ``2026-05-31T06:00:00.000Z``."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class TimeBase:
    """Seconds since ``t0`` (UTC) <-> Julian dates in UTC and UT1.

    ``dut1_s`` holds UT1 - UTC sampled every ``dut1_step_s`` seconds from
    ``t0 - margin_s``.
    """

    t0: datetime
    jd0_whole: float
    jd0_fraction: float
    dut1_s: FloatArray
    dut1_step_s: float
    margin_s: float

    @classmethod
    def around(cls, start: datetime, end: datetime, *, margin_s: float = 86400.0) -> TimeBase:
        """A time base starting at ``start`` valid until ``end`` (+ margin)."""
        start = start.astimezone(UTC)
        unix = start.timestamp()
        jd = _JD_UNIX_EPOCH + unix / SECONDS_PER_DAY
        whole = float(np.floor(jd - 0.5) + 0.5)
        fraction = (unix - (whole - _JD_UNIX_EPOCH) * SECONDS_PER_DAY) / SECONDS_PER_DAY
        span = max((end - start).total_seconds(), 0.0) + 2 * margin_s
        step = SECONDS_PER_DAY / 4
        n = int(np.ceil(span / step)) + 2
        seconds = np.arange(n) * step - margin_s
        t = timescale().utc(
            start.year,
            start.month,
            start.day,
            start.hour,
            start.minute,
            start.second + start.microsecond * 1e-6 + seconds,
        )
        dut1 = np.asarray(t.dut1, dtype=np.float64)
        return cls(
            t0=start,
            jd0_whole=whole,
            jd0_fraction=fraction,
            dut1_s=dut1,
            dut1_step_s=step,
            margin_s=margin_s,
        )

    def seconds(self, when: datetime) -> float:
        """Seconds from ``t0`` to ``when``."""
        return (when - self.t0).total_seconds()

    def datetime(self, seconds: float) -> datetime:
        """The UTC datetime ``seconds`` after ``t0`` (microsecond resolution)."""
        return datetime.fromtimestamp(self.t0.timestamp() + float(seconds), tz=UTC)

    def jd_utc(self, seconds: FloatArray | float) -> tuple[FloatArray, FloatArray]:
        """(whole, fraction) UTC Julian dates for SGP4. Shape follows ``seconds``."""
        s = np.asarray(seconds, dtype=np.float64)
        fraction = self.jd0_fraction + s / SECONDS_PER_DAY
        whole = np.full_like(fraction, self.jd0_whole)
        return whole, fraction

    def dut1(self, seconds: FloatArray | float) -> FloatArray:
        """UT1 - UTC in seconds, linearly interpolated. Shape follows ``seconds``."""
        s = np.asarray(seconds, dtype=np.float64)
        grid = np.arange(self.dut1_s.size) * self.dut1_step_s - self.margin_s
        return np.interp(s, grid, self.dut1_s)

    def jd_ut1(self, seconds: FloatArray | float) -> tuple[FloatArray, FloatArray]:
        """(whole, fraction) UT1 Julian dates for Earth rotation angles."""
        s = np.asarray(seconds, dtype=np.float64)
        whole, fraction = self.jd_utc(s)
        return whole, fraction + self.dut1(s) / SECONDS_PER_DAY
