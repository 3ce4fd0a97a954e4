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
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sgp4.alpha5 import to_alpha5
from sgp4.api import WGS72, Satrec

from spacepool.errors import ElementSetError, OMMFormatError

# 1950-01-00 epoch used by sgp4init (days since 1949 December 31 00:00 UT), per
# Vallado, Crawford, Hujsak & Kelso, "Revisiting Spacetrack Report #3", AIAA 2006-6753.
_SGP4_EPOCH0 = datetime(1949, 12, 31, tzinfo=UTC)
_MINUTES_PER_DAY = 1440.0


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

    ``international_designator`` is written in the COSPAR / OMM ``OBJECT_ID`` form
    (``"1998-067A"``) whatever the source; TLE's short form (``"98067A"``) is
    converted on reading and back by :meth:`to_tle_lines`. Empty when unknown.
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
        # Unit conversions written exactly as sgp4.omm.initialize writes them (rev/day^2
        # -> rad/min^2 is / (1036800 / pi), ...), so that an OMM record gives a Satrec
        # identical to sgp4's own, bit for bit.
        sat.sgp4init(
            WGS72,
            "i",
            self.norad_id,
            epoch_days,
            self.bstar,
            self.mean_motion_dot / (1036800.0 / math.pi),
            self.mean_motion_ddot / (2985984000.0 / 2.0 / math.pi),
            self.eccentricity,
            self.arg_perigee_deg * rad,
            self.inclination_deg * rad,
            self.mean_anomaly_deg * rad,
            self.mean_motion_rev_per_day / 720.0 * math.pi,
            self.raan_deg * rad,
        )
        # The catalogue fields sgp4.omm.initialize sets too, so both records agree.
        sat.classification = self.classification
        sat.intldesg = _short_designator(self.international_designator)
        sat.elnum = self.element_set_no
        sat.revnum = self.rev_at_epoch
        sat.ephtype = 0
        return sat

    # --- TLE and OMM forms -----------------------------------------------------------

    def to_tle_lines(self) -> tuple[str, str]:
        """The two 69-character TLE lines for these elements (checksums included).

        Written from the fields, not copied from ``line1``/``line2``: for a record read
        from a CelesTrak TLE the result equals the original lines character for
        character. Values are rounded to the TLE's printed precision (epoch to 1e-8
        day = 864 µs, angles to 1e-4 degree, eccentricity to 1e-7, mean motion to
        1e-8 rev/day); NORAD numbers from 100000 to 339999 are written in Alpha-5.
        Raises ``ValueError`` for values a TLE cannot hold (NORAD id above 339999,
        epoch outside 1957-2056, mean motion of 100 rev/day or more, ...).
        """
        satnum = to_alpha5(self.norad_id)
        year, day_of_year, fraction = _tle_epoch_parts(self.epoch)
        eccentricity = round(self.eccentricity * 1e7)
        if not 0 <= eccentricity <= 9_999_999:
            raise ValueError(f"eccentricity {self.eccentricity} does not fit a TLE")
        if not 0.0 < self.mean_motion_rev_per_day < 99.999999995:
            raise ValueError(f"mean motion {self.mean_motion_rev_per_day} does not fit a TLE")
        classification = self.classification if self.classification in ("U", "C", "S") else "U"
        body1 = (
            f"1 {satnum}{classification} {_short_designator(self.international_designator):<8} "
            f"{year % 100:02d}{day_of_year:03d}.{fraction:08d} "
            f"{_tle_first_derivative(self.mean_motion_dot)} "
            f"{_tle_exponent_field(self.mean_motion_ddot, 'mean_motion_ddot')} "
            f"{_tle_exponent_field(self.bstar, 'bstar')} 0 {self.element_set_no % 10000:4d}"
        )
        body2 = (
            f"2 {satnum} {_tle_angle(self.inclination_deg)} {_tle_angle(self.raan_deg)} "
            f"{eccentricity:07d} {_tle_angle(self.arg_perigee_deg)} "
            f"{_tle_angle(self.mean_anomaly_deg)} {self.mean_motion_rev_per_day:11.8f}"
            f"{self.rev_at_epoch % 100000:5d}"
        )
        return body1 + str(tle_checksum(body1)), body2 + str(tle_checksum(body2))

    def to_omm_dict(self) -> dict[str, str | int | float]:
        """The record as CelesTrak's ``FORMAT=json`` object (CCSDS OMM keywords).

        Inverse of :meth:`from_omm_dict`: ``from_omm_dict(e.to_omm_dict(),
        origin=e.source) == e``.
        """
        epoch = self.epoch.astimezone(UTC)
        return {
            "OBJECT_NAME": self.name,
            "OBJECT_ID": self.international_designator,
            "EPOCH": epoch.strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "MEAN_MOTION": self.mean_motion_rev_per_day,
            "ECCENTRICITY": self.eccentricity,
            "INCLINATION": self.inclination_deg,
            "RA_OF_ASC_NODE": self.raan_deg,
            "ARG_OF_PERICENTER": self.arg_perigee_deg,
            "MEAN_ANOMALY": self.mean_anomaly_deg,
            "EPHEMERIS_TYPE": 0,
            "CLASSIFICATION_TYPE": self.classification,
            "NORAD_CAT_ID": self.norad_id,
            "ELEMENT_SET_NO": self.element_set_no,
            "REV_AT_EPOCH": self.rev_at_epoch,
            "BSTAR": self.bstar,
            "MEAN_MOTION_DOT": self.mean_motion_dot,
            "MEAN_MOTION_DDOT": self.mean_motion_ddot,
        }

    @classmethod
    def from_omm_dict(
        cls,
        fields: Mapping[str, object],
        *,
        origin: str = "omm",
        source: str = "<dict>",
        record: int = 1,
        line: int | None = None,
        field_lines: Mapping[str, int] | None = None,
    ) -> ElementSet:
        """Build an element set from CCSDS OMM keywords (CelesTrak / Space-Track names).

        Values may be numbers or text (Space-Track sends every value as a string;
        KVN, XML and CSV are text). ``origin`` becomes :attr:`source`; ``source``,
        ``record``, ``line`` and ``field_lines`` (keyword -> line in the file) only
        locate errors. Raises :class:`~spacepool.errors.OMMFormatError` naming the
        field for a missing, unreadable or out-of-range value, or for metadata that
        SGP4 cannot use (a frame other than TEME, a theory other than SGP4).
        """
        read = _OMMFields(fields, source=source, record=record, line=line, lines=field_lines)
        for key, wanted in _OMM_METADATA.items():
            value = read.text(key, default=wanted)
            if value.upper() != wanted:
                raise read.error(key, f"{wanted!r} (SGP4 mean elements)", repr(value))
        ephemeris_type = read.integer("EPHEMERIS_TYPE", default=0)
        if ephemeris_type != 0:
            raise read.error(
                "EPHEMERIS_TYPE",
                "0 (SGP4/SDP4 mean elements; other types need another propagator)",
                str(ephemeris_type),
            )
        classification = read.text("CLASSIFICATION_TYPE", default="U").upper()
        if classification not in ("U", "C", "S"):
            raise read.error("CLASSIFICATION_TYPE", "U, C or S", repr(classification))
        norad_id = read.integer("NORAD_CAT_ID")
        if norad_id < 0:
            raise read.error("NORAD_CAT_ID", "a catalogue number of 0 or more", str(norad_id))
        return cls(
            name=read.text("OBJECT_NAME", default=""),
            norad_id=norad_id,
            epoch=read.epoch("EPOCH"),
            mean_motion_rev_per_day=read.number(
                "MEAN_MOTION", low=0.0, low_open=True, expected="mean motion above 0 rev/day"
            ),
            eccentricity=read.number(
                "ECCENTRICITY", low=0.0, high=1.0, high_open=True, expected="0 <= e < 1"
            ),
            inclination_deg=read.number(
                "INCLINATION", low=0.0, high=180.0, expected="0 to 180 degrees"
            ),
            raan_deg=read.number(
                "RA_OF_ASC_NODE", low=0.0, high=360.0, expected="0 to 360 degrees"
            ),
            arg_perigee_deg=read.number(
                "ARG_OF_PERICENTER", low=0.0, high=360.0, expected="0 to 360 degrees"
            ),
            mean_anomaly_deg=read.number(
                "MEAN_ANOMALY", low=0.0, high=360.0, expected="0 to 360 degrees"
            ),
            bstar=read.number("BSTAR", default=0.0),
            mean_motion_dot=read.number("MEAN_MOTION_DOT", default=0.0),
            mean_motion_ddot=read.number("MEAN_MOTION_DDOT", default=0.0),
            classification=classification,
            international_designator=read.text("OBJECT_ID", default=""),
            element_set_no=read.integer("ELEMENT_SET_NO", default=999),
            rev_at_epoch=read.integer("REV_AT_EPOCH", default=0),
            source=origin,
        )


@dataclass(frozen=True)
class ParseResult:
    """What a reader returns: the good records and, in lenient mode, the bad ones.

    In strict mode (the default of every reader) ``problems`` is always empty: the
    first bad record raises. In lenient mode each bad record is skipped and reported
    here as a :class:`~spacepool.errors.TLEFormatError` or
    :class:`~spacepool.errors.OMMFormatError` naming its file, line and field.
    """

    elements: tuple[ElementSet, ...]
    problems: tuple[ElementSetError, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no record was rejected."""
        return not self.problems


# --- TLE helpers ---------------------------------------------------------------------


def tle_checksum(line: str) -> int:
    """The TLE checksum of ``line``'s first 68 columns.

    Sum of the digits, each ``-`` counting 1, every other character 0, modulo 10
    (Spacetrack Report #3, Appendix "Two-Line Element Set Format").
    """
    # Each byte becomes its checksum weight, then one C-level sum.
    return sum(line[:68].encode("ascii", "replace").translate(_CHECKSUM_WEIGHTS)) % 10


_CHECKSUM_WEIGHTS = bytes(
    (code - 48) if 48 <= code <= 57 else (1 if code == 45 else 0) for code in range(256)
)


_COSPAR_FORM = re.compile(r"(\d{4})-(\d{3})([A-Z]{1,3})")
_SHORT_FORM = re.compile(r"(\d{2})(\d{3})([A-Z]{1,3})")


def _short_designator(designator: str) -> str:
    """``"1998-067A"`` -> ``"98067A"`` (TLE columns 10-17); ``""`` when not a COSPAR id."""
    designator = designator.strip()
    match = _COSPAR_FORM.fullmatch(designator)
    if match:
        return match[1][2:] + match[2] + match[3]
    return designator if _SHORT_FORM.fullmatch(designator) else ""


def cospar_designator(short: str) -> str:
    """TLE ``"98067A"`` -> ``"1998-067A"``; launch years 57-99 are 1957-1999."""
    short = short.strip()
    match = _SHORT_FORM.fullmatch(short)
    if not match:
        return short
    year = int(match[1])
    century = 1900 if year >= 57 else 2000
    return f"{century + year}-{match[2]}{match[3]}"


_DAY_US = 86_400_000_000
_TICK_US = 864  # 1e-8 day, the last digit of a TLE epoch, in microseconds


def _tle_epoch_parts(epoch: datetime) -> tuple[int, int, int]:
    """(year, day of year, fraction in 1e-8 day) of ``epoch``, rounded half up."""
    epoch = epoch.astimezone(UTC)
    year = epoch.year
    since_new_year = epoch - datetime(year, 1, 1, tzinfo=UTC)
    microseconds = since_new_year // timedelta(microseconds=1)
    ticks = (microseconds + _TICK_US // 2) // _TICK_US
    days_in_year = (datetime(year + 1, 1, 1, tzinfo=UTC) - datetime(year, 1, 1, tzinfo=UTC)).days
    if ticks >= days_in_year * 100_000_000:  # rounded into the next year
        year, ticks = year + 1, ticks - days_in_year * 100_000_000
    if not 1957 <= year <= 2056:
        raise ValueError(f"epoch {epoch.isoformat()} is outside the TLE's years 1957-2056")
    day, fraction = divmod(ticks, 100_000_000)
    return year, day + 1, fraction


def _tle_first_derivative(value: float) -> str:
    """Columns 34-43: sign and ``.NNNNNNNN`` (no leading zero)."""
    text = f"{abs(value):.8f}"
    if not text.startswith("0."):
        raise ValueError(f"mean_motion_dot {value} does not fit a TLE (|value| < 1)")
    sign = "-" if value < 0 and text != "0.00000000" else " "
    return sign + text[1:]


def _tle_exponent_field(value: float, name: str) -> str:
    """Columns 45-52 / 54-61: ``±NNNNN±N`` meaning ±0.NNNNN x 10^±N.

    Zero is written `` 00000+0`` and the mantissa starts with a non-zero digit, as in
    CelesTrak's files.
    """
    if value == 0.0:
        return " 00000+0"
    text = f"{abs(value):.4e}"  # "6.4291e-04" = 0.64291e-3
    mantissa = text[0] + text[2:6]
    exponent = int(text[7:]) + 1
    if exponent > 9:
        raise ValueError(f"{name} {value} does not fit a TLE (|value| < 1e9)")
    if exponent < -9:  # below 1e-10: not representable, and negligible
        return " 00000+0"
    sign = "-" if value < 0 else " "
    return f"{sign}{mantissa}{'-' if exponent < 0 else '+'}{abs(exponent)}"


def _tle_angle(value_deg: float) -> str:
    text = f"{value_deg:8.4f}"
    if len(text) != 8 or value_deg < 0:
        raise ValueError(f"angle {value_deg} does not fit a TLE (0 to 999.9999 degrees)")
    return text


# --- OMM helpers ---------------------------------------------------------------------

# Metadata values SGP4 mean elements require (CCSDS 502.0-B-3, section 4.2.4 / annex B).
_OMM_METADATA = {
    "CENTER_NAME": "EARTH",
    "REF_FRAME": "TEME",
    "TIME_SYSTEM": "UTC",
    "MEAN_ELEMENT_THEORY": "SGP4",
}

_OMM_EPOCH = re.compile(
    r"(\d{4})-(?:(\d{2})-(\d{2})|(\d{3}))T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z?",
)


class _OMMFields:
    """Typed access to one OMM record's keywords, raising OMMFormatError per field."""

    def __init__(
        self,
        fields: Mapping[str, object],
        *,
        source: str,
        record: int,
        line: int | None,
        lines: Mapping[str, int] | None,
    ) -> None:
        self.fields = fields
        self.source = source
        self.record = record
        self.line = line
        self.lines = lines or {}

    def error(self, key: str, expected: str, found: str) -> OMMFormatError:
        return OMMFormatError(
            source=self.source,
            record=self.record,
            field=key,
            expected=expected,
            found=found,
            line=self.lines.get(key, self.line),
        )

    def _raw(self, key: str) -> str | None:
        """The value as stripped text; ``None`` when absent or empty."""
        if key not in self.fields:
            return None
        value = self.fields[key]
        if value is None:
            raise self.error(key, "a value", "null")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(key, "a number or text", type(value).__name__)
        text = str(value).strip()
        return text or None

    def _missing(self, key: str) -> OMMFormatError:
        found = "an empty value" if key in self.fields else "nothing (keyword missing)"
        return self.error(key, "a value", found)

    def text(self, key: str, *, default: str | None = None) -> str:
        raw = self._raw(key)
        if raw is None:
            if default is None:
                raise self._missing(key)
            return default
        return raw

    def number(
        self,
        key: str,
        *,
        default: float | None = None,
        low: float | None = None,
        high: float | None = None,
        low_open: bool = False,
        high_open: bool = False,
        expected: str = "a number",
    ) -> float:
        raw = self._raw(key)
        if raw is None:
            if default is None:
                raise self._missing(key)
            return default
        try:
            value = float(raw)
        except ValueError:
            raise self.error(key, "a number", repr(raw)) from None
        if not math.isfinite(value):
            raise self.error(key, "a finite number", repr(raw))
        too_low = low is not None and (value <= low if low_open else value < low)
        too_high = high is not None and (value >= high if high_open else value > high)
        if too_low or too_high:
            raise self.error(key, expected, raw)
        return value

    def integer(self, key: str, *, default: int | None = None) -> int:
        raw = self._raw(key)
        if raw is None:
            if default is None:
                raise self._missing(key)
            return default
        try:
            return int(raw)
        except ValueError:
            raise self.error(key, "an integer", repr(raw)) from None

    def epoch(self, key: str) -> datetime:
        raw = self.text(key)
        match = _OMM_EPOCH.fullmatch(raw)
        expected = "a UTC time YYYY-MM-DDThh:mm:ss[.ffffff] or YYYY-DDDThh:mm:ss[.ffffff]"
        if not match:
            raise self.error(key, expected, repr(raw))
        year, month, day, doy, hour, minute, second, fraction = match.groups()
        digits = (fraction or "").ljust(7, "0")
        # Round to the microsecond (CelesTrak and Space-Track print six digits).
        microsecond = (int(digits[:7]) + 5) // 10
        try:
            if doy is not None:
                start = datetime(int(year), 1, 1, tzinfo=UTC) + timedelta(days=int(doy) - 1)
                if start.year != int(year) or int(doy) == 0:
                    raise ValueError("day of year out of range")
                month, day = str(start.month), str(start.day)
            value = datetime(
                int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=UTC
            )
        except ValueError:
            raise self.error(key, expected, repr(raw)) from None
        return value + timedelta(microseconds=microsecond)
