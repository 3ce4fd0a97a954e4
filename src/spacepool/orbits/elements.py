"""Element sets: the mean elements that SGP4 propagates.

An :class:`ElementSet` is the one type every element source produces (TLE files,
CCSDS OMM in KVN/XML/JSON/CSV, CelesTrak / Space-Track downloads, and the nominal
orbits built from published mission parameters). It keeps the mean elements in the
units of the CCSDS OMM standard (CCSDS 502.0-B-3) and, when it came from a TLE, the
two original lines, so that ``satrec()`` reproduces exactly what ``sgp4`` computes
from those lines (required by the Vallado verification).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sgp4.api import WGS72, Satrec

# 1950-01-00 epoch used by sgp4init (days since 1949 December 31 00:00 UT), per
# Vallado, Crawford, Hujsak & Kelso, "Revisiting Spacetrack Report #3", AIAA 2006-6753.
_SGP4_EPOCH0 = datetime(1949, 12, 31, tzinfo=UTC)
_MINUTES_PER_DAY = 1440.0
_TWO_PI = 2.0 * math.pi


@dataclass(frozen=True)
class ElementSet:
    """One satellite's SGP4 mean elements at an epoch.

    Angles in degrees, mean motion in revolutions per day (as in OMM and TLE),
    ``bstar`` in 1/earth-radii, ``mean_motion_dot`` in rev/day^2 (TLE's first
    derivative / 2 convention: the value as printed in the TLE), ``mean_motion_ddot``
    in rev/day^3 (as printed / 6 convention, likewise).

    ``source`` says where the elements came from: ``"tle"``, ``"omm"``,
    ``"celestrak"``, ``"space-track"`` or ``"nominal"`` (built from published mission
    parameters, not observed; see :mod:`spacepool.consortium.nominal`).
    """

    name: str
    norad_id: int
    epoch: datetime
    mean_motion_rev_per_day: float
    eccentricity: float
    inclination_deg: float
    raan_deg: float
    arg_perigee_deg: float
    mean_anomaly_deg: float
    bstar: float = 0.0
    mean_motion_dot: float = 0.0
    mean_motion_ddot: float = 0.0
    classification: str = "U"
    international_designator: str = ""
    element_set_no: int = 999
    rev_at_epoch: int = 0
    source: str = "tle"
    line1: str | None = field(default=None, compare=False)
    line2: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.epoch.tzinfo is None:
            raise ValueError("ElementSet.epoch must be timezone-aware (UTC)")

    @property
    def label(self) -> str:
        """``NAME (NORAD)`` for messages."""
        return f"{self.name} ({self.norad_id})" if self.name else str(self.norad_id)

    @property
    def period_minutes(self) -> float:
        return _MINUTES_PER_DAY / self.mean_motion_rev_per_day

    @property
    def is_deep_space(self) -> bool:
        """SDP4 (deep-space) branch: period of 225 minutes or more (Spacetrack Report #3)."""
        return self.period_minutes >= 225.0

    def age_days(self, when: datetime) -> float:
        """Days from the epoch to ``when`` (negative before the epoch)."""
        return (when - self.epoch).total_seconds() / 86400.0

    def satrec(self) -> Satrec:
        """The ``sgp4`` satellite record (WGS72 constants, improved mode, as CelesTrak)."""
        if self.line1 is not None and self.line2 is not None:
            return Satrec.twoline2rv(self.line1, self.line2, WGS72)
        sat = Satrec()
        epoch_days = (self.epoch - _SGP4_EPOCH0).total_seconds() / 86400.0
        rad = math.pi / 180.0
        sat.sgp4init(
            WGS72,
            "i",
            self.norad_id,
            epoch_days,
            self.bstar,
            self.mean_motion_dot * _TWO_PI / (_MINUTES_PER_DAY**2),
            self.mean_motion_ddot * _TWO_PI / (_MINUTES_PER_DAY**3),
            self.eccentricity,
            self.arg_perigee_deg * rad,
            self.inclination_deg * rad,
            self.mean_anomaly_deg * rad,
            self.mean_motion_rev_per_day * _TWO_PI / _MINUTES_PER_DAY,
            self.raan_deg * rad,
        )
        return sat
