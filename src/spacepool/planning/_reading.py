"""Reading plain data (TOML / JSON tables) into planning records, with checks.

Every failure raises :class:`spacepool.errors.ScenarioError` whose ``field`` is the
path of the offending value (``requests[3].window.end``) and whose message says what
was expected and what arrived.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from spacepool.errors import ScenarioError

_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:#/-]*$")
_DURATION_PATTERN: Final = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|min|h|d)\s*$")
_DURATION_UNITS_S: Final = {"s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def describe(value: object) -> str:
    """A short description of a value for error messages."""
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def show(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def format_time(when: datetime) -> str:
    """ISO 8601 UTC ending in ``Z`` (the CLI / API convention): milliseconds, or
    microseconds when the time has them, so that reading it back gives it exactly."""
    when = when.astimezone(UTC)
    fraction = when.microsecond
    digits = f"{fraction // 1000:03d}" if fraction % 1000 == 0 else f"{fraction:06d}"
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + digits + "Z"


def check_number(
    path: str,
    value: object,
    *,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(f"must be a number, got {describe(value)}", field=path)
    number = float(value)
    if not math.isfinite(number):
        raise ScenarioError(f"must be a finite number, got {value!r}", field=path)
    if gt is not None and not number > gt:
        raise ScenarioError(f"must be > {show(gt)}, got {show(number)}", field=path)
    if ge is not None and not number >= ge:
        raise ScenarioError(f"must be >= {show(ge)}, got {show(number)}", field=path)
    if lt is not None and not number < lt:
        raise ScenarioError(f"must be < {show(lt)}, got {show(number)}", field=path)
    if le is not None and not number <= le:
        raise ScenarioError(f"must be <= {show(le)}, got {show(number)}", field=path)
    return number


def parse_time(value: object, path: str) -> datetime:
    """A TOML datetime or ISO 8601 text with a zone -> aware UTC datetime."""
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ScenarioError(
                f"must be an ISO 8601 time such as 2026-06-01T00:00:00Z, got {value!r}",
                field=path,
            ) from None
    else:
        raise ScenarioError(f"must be a time, got {describe(value)}", field=path)
    if when.tzinfo is None:
        raise ScenarioError(
            f"must carry a time zone (write it in UTC with a trailing Z), got {value!r}",
            field=path,
        )
    return when.astimezone(UTC)


def parse_duration_s(value: object, path: str) -> float:
    """``"6h"``, ``"30min"``, ``"2d"``, ``"90s"`` or a number of seconds -> seconds > 0."""
    if isinstance(value, str):
        match = _DURATION_PATTERN.match(value)
        if match is None:
            raise ScenarioError(
                f"must be a duration such as '90s', '30min', '6h' or '2d', got {value!r}",
                field=path,
            )
        seconds = float(match[1]) * _DURATION_UNITS_S[match[2]]
        if seconds <= 0.0:
            raise ScenarioError(f"must be > 0, got {value!r}", field=path)
        return seconds
    return check_number(path, value, gt=0.0)


class Reader:
    """Reads one mapping, checking types and ranges; errors name the field path."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, Mapping):
            raise ScenarioError(
                f"expected a table (mapping), got {describe(data)}", field=path or "<root>"
            )
        self.data: Mapping[str, Any] = data
        self.path = path
        self.used: set[str] = set()

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, *, required: bool = False) -> object:
        self.used.add(key)
        if key not in self.data:
            if required:
                raise ScenarioError("is required but missing", field=self.at(key))
            return None
        return self.data[key]

    def text(self, key: str, default: str | None = None) -> str:
        value = self.raw(key, required=default is None)
        if value is None:
            assert default is not None
            return default
        if not isinstance(value, str):
            raise ScenarioError(f"must be a string, got {describe(value)}", field=self.at(key))
        return value

    def optional_text(self, key: str) -> str | None:
        if self.raw(key) is None:
            return None
        return self.text(key)

    def ident(self, key: str) -> str:
        value = self.text(key)
        if not _ID_PATTERN.match(value):
            raise ScenarioError(
                "must be letters, digits, '.', '_', ':', '#', '/' or '-' starting with a "
                f"letter or digit, got {value!r}",
                field=self.at(key),
            )
        return value

    def optional_ident(self, key: str) -> str | None:
        if self.raw(key) is None:
            return None
        return self.ident(key)

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
        return check_number(self.at(key), value, gt=gt, ge=ge, lt=lt, le=le)

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
        return check_number(self.at(key), value, gt=gt, ge=ge, lt=lt, le=le)

    def integer(self, key: str, *, default: int | None = None, minimum: int = 0) -> int:
        value = self.raw(key, required=default is None)
        if value is None:
            assert default is not None
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(f"must be an integer, got {describe(value)}", field=self.at(key))
        if value < minimum:
            raise ScenarioError(f"must be >= {minimum}, got {value}", field=self.at(key))
        return value

    def text_list(self, key: str, default: Sequence[str] = ()) -> tuple[str, ...]:
        value = self.raw(key)
        if value is None:
            return tuple(default)
        if not isinstance(value, list | tuple):
            raise ScenarioError(f"must be a list, got {describe(value)}", field=self.at(key))
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise ScenarioError(
                    f"must be a string, got {describe(item)}", field=f"{self.at(key)}[{index}]"
                )
        return tuple(value)

    def time(self, key: str) -> datetime:
        return parse_time(self.raw(key, required=True), self.at(key))

    def table(self, key: str) -> Reader:
        return Reader(self.raw(key, required=True), self.at(key))

    def optional_table(self, key: str) -> Reader | None:
        value = self.raw(key)
        return None if value is None else Reader(value, self.at(key))

    def table_list(self, key: str, *, required: bool = True) -> list[Reader]:
        value = self.raw(key, required=required)
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            raise ScenarioError(
                f"must be a list of tables, got {describe(value)}", field=self.at(key)
            )
        return [Reader(item, f"{self.at(key)}[{index}]") for index, item in enumerate(value)]

    def finish(self) -> None:
        """Reject keys nobody read (usually typos), listing the known ones."""
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise ScenarioError(
                f"unknown key {unknown[0]!r}; known keys: {', '.join(sorted(self.used))}",
                field=self.at(unknown[0]),
            )


def reject_duplicates(ids: Sequence[str], path: str, what: str) -> None:
    """Raise for the second occurrence of an id, naming both positions."""
    seen: dict[str, int] = {}
    for index, ident in enumerate(ids):
        if ident in seen:
            raise ScenarioError(
                f"duplicate {what} {ident!r} (first at index {seen[ident]})",
                field=f"{path}[{index}]",
            )
        seen[ident] = index


def seconds_between(start: datetime, end: datetime) -> float:
    """``end - start`` in seconds (float)."""
    return (end - start) / timedelta(seconds=1)
