"""Reading plain data (TOML / JSON tables) into consortium records, with checks.

Every failure raises :class:`spacepool.errors.ConsortiumDataError` whose ``field`` is
the path of the offending value (``spacecraft[3].instruments[0].swath_km``) and whose
message says what was expected and what arrived.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from spacepool.errors import ConsortiumDataError

_ID_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_CLOCK_PATTERN: Final = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


class Reader:
    """Reads one mapping, checking types and ranges; errors name the field path."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, Mapping):
            raise ConsortiumDataError(
                f"expected a table (mapping), got {describe(data)}", field=path or "<root>"
            )
        self.data: Mapping[str, Any] = data
        self.path = path
        self.used: set[str] = set()

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return key in self.data

    def _raw(self, key: str, required: bool) -> object:
        self.used.add(key)
        if key not in self.data:
            if required:
                raise ConsortiumDataError("is required but missing", field=self.at(key))
            return None
        return self.data[key]

    def text(self, key: str, default: str | None = None) -> str:
        value = self._raw(key, default is None)
        if value is None:
            assert default is not None
            return default
        if not isinstance(value, str):
            raise ConsortiumDataError(
                f"must be a string, got {describe(value)}", field=self.at(key)
            )
        return value

    def ident(self, key: str) -> str:
        value = self.text(key)
        if not _ID_PATTERN.match(value):
            raise ConsortiumDataError(
                "must be lower-case letters, digits, '.', '_' or '-' "
                f"starting with a letter or digit, got {value!r}",
                field=self.at(key),
            )
        return value

    def optional_text(self, key: str) -> str | None:
        value = self._raw(key, False)
        if value is None:
            return None
        if not isinstance(value, str):
            raise ConsortiumDataError(
                f"must be a string, got {describe(value)}", field=self.at(key)
            )
        return value

    def boolean(self, key: str, default: bool | None = None) -> bool:
        value = self._raw(key, default is None)
        if value is None:
            assert default is not None
            return default
        if not isinstance(value, bool):
            raise ConsortiumDataError(
                f"must be true or false, got {describe(value)}", field=self.at(key)
            )
        return value

    def integer(self, key: str, *, minimum: int | None = None) -> int:
        value = self._raw(key, True)
        return self._check_int(key, value, minimum)

    def optional_integer(self, key: str, *, minimum: int | None = None) -> int | None:
        value = self._raw(key, False)
        if value is None:
            return None
        return self._check_int(key, value, minimum)

    def _check_int(self, key: str, value: object, minimum: int | None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConsortiumDataError(
                f"must be an integer, got {describe(value)}", field=self.at(key)
            )
        if minimum is not None and value < minimum:
            raise ConsortiumDataError(f"must be >= {minimum}, got {value}", field=self.at(key))
        return value

    def number(
        self,
        key: str,
        *,
        default: float | None = None,
        gt: float | None = None,
        ge: float | None = None,
        le: float | None = None,
        lt: float | None = None,
    ) -> float:
        value = self._raw(key, default is None)
        if value is None:
            assert default is not None
            return default
        return check_number(self.at(key), value, gt=gt, ge=ge, le=le, lt=lt)

    def optional_number(
        self,
        key: str,
        *,
        gt: float | None = None,
        ge: float | None = None,
        le: float | None = None,
        lt: float | None = None,
    ) -> float | None:
        value = self._raw(key, False)
        if value is None:
            return None
        return check_number(self.at(key), value, gt=gt, ge=ge, le=le, lt=lt)

    def text_list(self, key: str, default: Sequence[str] | None = None) -> tuple[str, ...]:
        value = self._raw(key, default is None)
        if value is None:
            assert default is not None
            return tuple(default)
        if not isinstance(value, list | tuple):
            raise ConsortiumDataError(f"must be a list, got {describe(value)}", field=self.at(key))
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise ConsortiumDataError(
                    f"must be a string, got {describe(item)}", field=f"{self.at(key)}[{index}]"
                )
        return tuple(value)

    def table_list(self, key: str, *, required: bool = True) -> list[Reader]:
        value = self._raw(key, required)
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            raise ConsortiumDataError(
                f"must be a list of tables, got {describe(value)}", field=self.at(key)
            )
        return [Reader(item, f"{self.at(key)}[{index}]") for index, item in enumerate(value)]

    def table(self, key: str) -> Reader:
        return Reader(self._raw(key, True), self.at(key))

    def optional_table(self, key: str) -> Reader | None:
        value = self._raw(key, False)
        return None if value is None else Reader(value, self.at(key))

    def time(self, key: str, default: datetime | None = None) -> datetime:
        value = self._raw(key, default is None)
        if value is None:
            assert default is not None
            return default
        return _parse_time(value, self.at(key))

    def raw(self, key: str) -> object:
        return self._raw(key, False)

    def finish(self) -> None:
        """Reject keys nobody read (usually typos), listing the known ones."""
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise ConsortiumDataError(
                f"unknown key {unknown[0]!r}; known keys: {', '.join(sorted(self.used))}",
                field=self.at(unknown[0]),
            )


def check_number(
    path: str,
    value: object,
    *,
    gt: float | None = None,
    ge: float | None = None,
    le: float | None = None,
    lt: float | None = None,
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConsortiumDataError(f"must be a number, got {describe(value)}", field=path)
    number = float(value)
    if not math.isfinite(number):
        raise ConsortiumDataError(f"must be a finite number, got {value}", field=path)
    shown = show(value)
    if gt is not None and not number > gt:
        raise ConsortiumDataError(f"must be > {show(gt)}, got {shown}", field=path)
    if ge is not None and not number >= ge:
        raise ConsortiumDataError(f"must be >= {show(ge)}, got {shown}", field=path)
    if lt is not None and not number < lt:
        raise ConsortiumDataError(f"must be < {show(lt)}, got {shown}", field=path)
    if le is not None and not number <= le:
        raise ConsortiumDataError(f"must be <= {show(le)}, got {shown}", field=path)
    return number


def show(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def describe(value: object) -> str:
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def _parse_time(value: object, path: str) -> datetime:
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ConsortiumDataError(
                f"must be an ISO 8601 time such as 2026-05-30T00:00:00Z, got {value!r}",
                field=path,
            ) from None
    else:
        raise ConsortiumDataError(f"must be a time, got {describe(value)}", field=path)
    if when.tzinfo is None:
        raise ConsortiumDataError(
            f"must carry a time zone (write it in UTC with a trailing Z), got {value!r}",
            field=path,
        )
    return when.astimezone(UTC)


def format_time(when: datetime) -> str:
    """ISO 8601 UTC ending in ``Z`` (the CLI / API convention)."""
    text = when.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def parse_clock_hours(value: str, path: str) -> float:
    """``"HH:MM"`` or ``"HH:MM:SS"`` (local solar time) -> hours in [0, 24)."""
    match = _CLOCK_PATTERN.match(value)
    if match is None:
        raise ConsortiumDataError(f"must be a clock time HH:MM, got {value!r}", field=path)
    hours, minutes, seconds = int(match[1]), int(match[2]), int(match[3] or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ConsortiumDataError(f"must be a clock time HH:MM, got {value!r}", field=path)
    return hours + minutes / 60.0 + seconds / 3600.0


def format_clock(hours: float) -> str:
    """Hours -> ``HH:MM`` (rounded to the minute)."""
    total_minutes = round(hours * 60.0) % 1440
    return f"{total_minutes // 60:02d}:{total_minutes % 60:02d}"


def drop_none(items: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in items.items() if value is not None}


def reject_duplicates(ids: Sequence[object], path: str, what: str) -> None:
    """Raise for the second occurrence of an id, naming both positions."""
    seen: dict[object, int] = {}
    for index, ident in enumerate(ids):
        if ident in seen:
            raise ConsortiumDataError(
                f"duplicate {what} {ident!r} (first at index {seen[ident]})",
                field=f"{path}[{index}]",
            )
        seen[ident] = index
