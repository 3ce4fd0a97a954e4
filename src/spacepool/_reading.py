"""Reading plain data (TOML / JSON tables) into records, with checks.

Shared by :mod:`spacepool.consortium` and :mod:`spacepool.planning`. The two packages
word a few messages differently and raise their own error class; a :class:`Dialect`
(:data:`CONSORTIUM` or :data:`PLANNING`) carries those differences, so each package's
messages stay as its users know them.

Every failure raises the dialect's error (:class:`spacepool.errors.ConsortiumDataError`
or :class:`spacepool.errors.ScenarioError`) whose ``field`` is the path of the
offending value (``spacecraft[3].instruments[0].swath_km``, ``requests[3].window.end``)
and whose message says what was expected and what arrived.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from spacepool.errors import ConsortiumDataError, ScenarioError

_CLOCK_PATTERN: Final = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_DURATION_PATTERN: Final = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|min|h|d)\s*$")
_DURATION_UNITS_S: Final = {"s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


@dataclass(frozen=True)
class Dialect:
    """What differs between the packages that read input with this module."""

    error: type[ConsortiumDataError] | type[ScenarioError]
    """Raised for every bad value, as ``error(message, field=path)``."""
    ident_pattern: re.Pattern[str]
    ident_rule: str
    """Which characters an id may hold, as said in the error message."""
    time_example: str
    """An example time shown when a time does not parse."""
    strip_time_text: bool
    """Whether spaces around a time written as text are ignored."""
    fixed_fraction: bool
    """Whether :func:`format_time` always writes the fraction of a second."""


CONSORTIUM: Final = Dialect(
    error=ConsortiumDataError,
    ident_pattern=re.compile(r"^[a-z0-9][a-z0-9._-]*$"),
    ident_rule="lower-case letters, digits, '.', '_' or '-' starting with a letter or digit",
    time_example="2026-05-30T00:00:00Z",
    strip_time_text=False,
    fixed_fraction=False,
)
PLANNING: Final = Dialect(
    error=ScenarioError,
    ident_pattern=re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:#/-]*$"),
    ident_rule="letters, digits, '.', '_', ':', '#', '/' or '-' starting with a letter or digit",
    time_example="2026-06-01T00:00:00Z",
    strip_time_text=True,
    fixed_fraction=True,
)


class Reader:
    """Reads one mapping, checking types and ranges; errors name the field path."""

    def __init__(self, data: object, path: str, dialect: Dialect) -> None:
        if not isinstance(data, Mapping):
            raise dialect.error(
                f"expected a table (mapping), got {describe(data)}", field=path or "<root>"
            )
        self.data: Mapping[str, Any] = data
        self.path = path
        self.dialect = dialect
        self.used: set[str] = set()

    def _fail(self, message: str, key: str) -> ConsortiumDataError | ScenarioError:
        return self.dialect.error(message, field=self.at(key))

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, *, required: bool = False) -> object:
        self.used.add(key)
        if key not in self.data:
            if required:
                raise self._fail("is required but missing", key)
            return None
        return self.data[key]

    def text(self, key: str, default: str | None = None) -> str:
        value = self.raw(key, required=default is None)
        if value is None:
            assert default is not None
            return default
        if not isinstance(value, str):
            raise self._fail(f"must be a string, got {describe(value)}", key)
        return value

    def optional_text(self, key: str) -> str | None:
        if self.raw(key) is None:
            return None
        return self.text(key)

    def ident(self, key: str) -> str:
        value = self.text(key)
        if not self.dialect.ident_pattern.match(value):
            raise self._fail(f"must be {self.dialect.ident_rule}, got {value!r}", key)
        return value

    def optional_ident(self, key: str) -> str | None:
        if self.raw(key) is None:
            return None
        return self.ident(key)

    def boolean(self, key: str, default: bool | None = None) -> bool:
        value = self.raw(key, required=default is None)
        if value is None:
            assert default is not None
            return default
        if not isinstance(value, bool):
            raise self._fail(f"must be true or false, got {describe(value)}", key)
        return value

    def integer(self, key: str, *, default: int | None = None, minimum: int | None = None) -> int:
        value = self.raw(key, required=default is None)
        if value is None and default is not None:
            return default
        return self._check_int(key, value, minimum)

    def optional_integer(self, key: str, *, minimum: int | None = None) -> int | None:
        value = self.raw(key)
        if value is None:
            return None
        return self._check_int(key, value, minimum)

    def _check_int(self, key: str, value: object, minimum: int | None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(f"must be an integer, got {describe(value)}", key)
        if minimum is not None and value < minimum:
            raise self._fail(f"must be >= {minimum}, got {value}", key)
        return value

    def number(
        self,
        key: str,
        *,
        default: float | None = None,
        gt: float | None = None,
        ge: float | None = None,
        lt: float | None = None,
        le: float | None = None,
    ) -> float:
        value = self.raw(key, required=default is None)
        if value is None:
            assert default is not None
            return default
        return check_number(self.at(key), value, dialect=self.dialect, gt=gt, ge=ge, lt=lt, le=le)

    def optional_number(
        self,
        key: str,
        *,
        gt: float | None = None,
        ge: float | None = None,
        lt: float | None = None,
        le: float | None = None,
    ) -> float | None:
        value = self.raw(key)
        if value is None:
            return None
        return check_number(self.at(key), value, dialect=self.dialect, gt=gt, ge=ge, lt=lt, le=le)

    def text_list(self, key: str, default: Sequence[str] | None = None) -> tuple[str, ...]:
        """A list of strings; required unless ``default`` is given."""
        value = self.raw(key, required=default is None)
        if value is None:
            assert default is not None
            return tuple(default)
        if not isinstance(value, list | tuple):
            raise self._fail(f"must be a list, got {describe(value)}", key)
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise self.dialect.error(
                    f"must be a string, got {describe(item)}", field=f"{self.at(key)}[{index}]"
                )
        return tuple(value)

    def time(self, key: str, default: datetime | None = None) -> datetime:
        value = self.raw(key, required=default is None)
        if value is None and default is not None:
            return default
        return parse_time(value, self.at(key), dialect=self.dialect)

    def table(self, key: str) -> Reader:
        return Reader(self.raw(key, required=True), self.at(key), self.dialect)

    def optional_table(self, key: str) -> Reader | None:
        value = self.raw(key)
        return None if value is None else Reader(value, self.at(key), self.dialect)

    def table_list(self, key: str, *, required: bool = True) -> list[Reader]:
        value = self.raw(key, required=required)
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            raise self._fail(f"must be a list of tables, got {describe(value)}", key)
        return [
            Reader(item, f"{self.at(key)}[{index}]", self.dialect)
            for index, item in enumerate(value)
        ]

    def finish(self) -> None:
        """Reject keys nobody read (usually typos), listing the known ones."""
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise self._fail(
                f"unknown key {unknown[0]!r}; known keys: {', '.join(sorted(self.used))}",
                unknown[0],
            )


def describe(value: object) -> str:
    """A short description of a value for error messages."""
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def show(value: object) -> str:
    """A number for a message: whole floats without ``.0``, others as given."""
    if isinstance(value, float):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value)


def check_number(
    path: str,
    value: object,
    *,
    dialect: Dialect,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
) -> float:
    error = dialect.error
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise error(f"must be a number, got {describe(value)}", field=path)
    number = float(value)
    if not math.isfinite(number):
        raise error(f"must be a finite number, got {value!r}", field=path)
    shown = show(value)
    if gt is not None and not number > gt:
        raise error(f"must be > {show(gt)}, got {shown}", field=path)
    if ge is not None and not number >= ge:
        raise error(f"must be >= {show(ge)}, got {shown}", field=path)
    if lt is not None and not number < lt:
        raise error(f"must be < {show(lt)}, got {shown}", field=path)
    if le is not None and not number <= le:
        raise error(f"must be <= {show(le)}, got {shown}", field=path)
    return number


def parse_time(value: object, path: str, *, dialect: Dialect) -> datetime:
    """A TOML datetime or ISO 8601 text with a zone -> aware UTC datetime."""
    error = dialect.error
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        text = value.strip() if dialect.strip_time_text else value
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise error(
                f"must be an ISO 8601 time such as {dialect.time_example}, got {value!r}",
                field=path,
            ) from None
    else:
        raise error(f"must be a time, got {describe(value)}", field=path)
    if when.tzinfo is None:
        raise error(
            f"must carry a time zone (write it in UTC with a trailing Z), got {value!r}",
            field=path,
        )
    return when.astimezone(UTC)


def format_time(when: datetime, *, dialect: Dialect) -> str:
    """ISO 8601 UTC ending in ``Z`` (the CLI / API convention).

    With ``dialect.fixed_fraction`` the fraction of a second is always written:
    milliseconds, or microseconds when the time has them, so that reading it back gives
    it exactly. Otherwise it is written only when the time has one (as microseconds).
    """
    when = when.astimezone(UTC)
    if not dialect.fixed_fraction:
        return when.isoformat().replace("+00:00", "Z")
    fraction = when.microsecond
    digits = f"{fraction // 1000:03d}" if fraction % 1000 == 0 else f"{fraction:06d}"
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + digits + "Z"


def parse_duration_s(value: object, path: str, *, dialect: Dialect) -> float:
    """``"6h"``, ``"30min"``, ``"2d"``, ``"90s"`` or a number of seconds -> seconds > 0."""
    if isinstance(value, str):
        match = _DURATION_PATTERN.match(value)
        if match is None:
            raise dialect.error(
                f"must be a duration such as '90s', '30min', '6h' or '2d', got {value!r}",
                field=path,
            )
        seconds = float(match[1]) * _DURATION_UNITS_S[match[2]]
        if seconds <= 0.0:
            raise dialect.error(f"must be > 0, got {value!r}", field=path)
        return seconds
    return check_number(path, value, dialect=dialect, gt=0.0)


def seconds_between(start: datetime, end: datetime) -> float:
    """``end - start`` in seconds (float)."""
    return (end - start) / timedelta(seconds=1)


def parse_clock_hours(value: str, path: str, *, dialect: Dialect) -> float:
    """``"HH:MM"`` or ``"HH:MM:SS"`` (local solar time) -> hours in [0, 24)."""
    match = _CLOCK_PATTERN.match(value)
    if match is None:
        raise dialect.error(f"must be a clock time HH:MM, got {value!r}", field=path)
    hours, minutes, seconds = int(match[1]), int(match[2]), int(match[3] or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise dialect.error(f"must be a clock time HH:MM, got {value!r}", field=path)
    return hours + minutes / 60.0 + seconds / 3600.0


def format_clock(hours: float) -> str:
    """Hours -> ``HH:MM`` (rounded to the minute)."""
    total_minutes = round(hours * 60.0) % 1440
    return f"{total_minutes // 60:02d}:{total_minutes % 60:02d}"


def drop_none(items: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in items.items() if value is not None}


def reject_duplicates(ids: Sequence[object], path: str, what: str, *, dialect: Dialect) -> None:
    """Raise for the second occurrence of an id, naming both positions."""
    seen: dict[object, int] = {}
    for index, ident in enumerate(ids):
        if ident in seen:
            raise dialect.error(
                f"duplicate {what} {ident!r} (first at index {seen[ident]})",
                field=f"{path}[{index}]",
            )
        seen[ident] = index
