"""SPOT5 instances and results as data: the file format, its strict reader, and the
two recording-capacity conventions.

The 21 instances of Bensana, Lemaître & Verfaillie, "Earth Observation Satellite
Management", Constraints 4(3):293-299, 1999: choose a subset of candidate
photographs and, for each chosen one, an instrument value (1, 2, 3: front / middle /
rear camera, or 13: a stereo pair on front and rear), violating no forbidden tuple of
values and, in the multi-orbit instances, not overfilling the on-board recorder;
maximise the sum of weights. The solvers are in :mod:`spacepool.planning.spot5`.

File format (Bensana et al. 1999, section 2.2)::

    N
    id weight dsize {value consumption}*dsize [2 extra integers]     (N lines)
    M
    arity id_1 .. id_arity {forbidden tuple}*                        (M lines)

In multi-orbit files the last of the M lines is a single number, the recording
capacity (90000), and M counts it. A constraint only bites when all its photos are
selected; a photo that is not taken never violates anything.

Recording capacity. The literature's reference values are those of the integer-unit
model ``sum(round(consumption / 451)) <= round(90000 / 451) = 200``: one mono image
is one unit (451.15 in the files), a stereo pair four. The literal float model
``sum(consumption) <= 90000`` allows only 199 mono images and gives e.g. 124242
instead of 124243 on instance 1504. ``capacity_mode="units"`` (default) is the
first, ``"literal"`` the second (consumptions in hundredths, the files' precision).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from spacepool.errors import BenchmarkFormatError

CapacityMode = Literal["units", "literal"]
CAPACITY_MODES: Final = ("units", "literal")
STATUSES: Final = ("OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN")

# Recorder use of one mono image in the integer-unit convention (file consumption
# ~451.15 per image; 902.3 = 2 units, 1804.6 = 4): the convention under which the
# published values of Bensana et al. 1999, Table 1 are reached (SOURCE.txt of the
# instance files).
RECORDER_UNIT: Final = 451.0
# Literal mode: consumptions and capacity in hundredths (the files' values are
# two-decimal quantities such as 451.15 written with binary float noise ~1e-10).
LITERAL_SCALE: Final = 100

# The Mendeley release (Wei & Hao, doi:10.17632/2kbzg9nw3b.1) names two instances
# differently from the 1999 paper; identified by their sizes and, for 11, optimum.
PAPER_NAMES: Final = {"11": "414", "1021": "1407"}

# Instrument values of the benchmark: front, middle, rear camera; 13 = stereo pair.
KNOWN_VALUES: Final = frozenset({1, 2, 3, 13})

# --- data -------------------------------------------------------------------------


@dataclass(frozen=True)
class Spot5Photo:
    """One candidate photograph: its ``values`` (instrument choices) and, for each,
    the recorder ``consumptions`` (0 in single-orbit files). ``extra`` holds the two
    trailing integers that some files carry (not used by the problem)."""

    id: int
    weight: int
    values: tuple[int, ...]
    consumptions: tuple[float, ...]
    extra: tuple[int, ...] = ()

    def consumption_of(self, value: int) -> float:
        return self.consumptions[self.values.index(value)]


@dataclass(frozen=True)
class Spot5Constraint:
    """Forbidden combinations of values of 2 or 3 photos (one value per photo in
    ``photo_ids`` order in each tuple). ``line`` is its 1-based line in the file."""

    photo_ids: tuple[int, ...]
    forbidden: tuple[tuple[int, ...], ...]
    line: int = 0


@dataclass(frozen=True)
class Spot5Instance:
    """A parsed SPOT5 file. ``capacity`` is the recording capacity (multi-orbit
    files) or ``None``."""

    name: str
    photos: tuple[Spot5Photo, ...]
    constraints: tuple[Spot5Constraint, ...]
    capacity: float | None = None

    @property
    def is_multi_orbit(self) -> bool:
        return self.capacity is not None

    @property
    def constraint_lines(self) -> int:
        """The file's M: constraints plus the capacity line when there is one."""
        return len(self.constraints) + (1 if self.capacity is not None else 0)

    def photo(self, photo_id: int) -> Spot5Photo:
        for photo in self.photos:
            if photo.id == photo_id:
                return photo
        raise KeyError(photo_id)


@dataclass(frozen=True)
class Spot5Result:
    """A solution of a SPOT5 instance.

    ``selected`` maps each taken photo to its chosen value; photos not in it are not
    taken. ``bound`` is a proven upper bound on the optimum, ``gap`` is
    ``(bound - value) / bound`` (0 when proven optimal). ``capacity_note`` says which
    capacity convention the solution respects.
    """

    instance: str
    value: int
    status: str
    bound: int
    selected: Mapping[int, int]
    wall_s: float
    capacity_mode: str
    capacity_note: str
    gap: float = field(default=0.0)

    def to_dict(self) -> dict[str, Any]:
        """The CLI / API contract ``{"instance", "value", "status", "bound",
        "selected"}`` (photo ids as strings, in ascending order) plus ``gap``,
        ``capacity_mode``, ``capacity_note`` and ``wall_seconds``."""
        return {
            "instance": self.instance,
            "value": self.value,
            "status": self.status,
            "bound": self.bound,
            "selected": {str(p): v for p, v in sorted(self.selected.items())},
            "gap": self.gap,
            "capacity_mode": self.capacity_mode,
            "capacity_note": self.capacity_note,
            "wall_seconds": round(self.wall_s, 3),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Spot5Result:
        """Inverse of :meth:`to_dict` (``wall_seconds`` keeps its rounding)."""
        return cls(
            instance=str(data["instance"]),
            value=int(data["value"]),
            status=str(data["status"]),
            bound=int(data["bound"]),
            selected={int(p): int(v) for p, v in dict(data["selected"]).items()},
            wall_s=float(data["wall_seconds"]),
            capacity_mode=str(data["capacity_mode"]),
            capacity_note=str(data["capacity_note"]),
            gap=float(data["gap"]),
        )


def paper_name(stem: str) -> str:
    """The 1999 paper's name of an instance file stem (``"11"`` -> ``"414"``)."""
    return PAPER_NAMES.get(stem, stem)


# --- reader -----------------------------------------------------------------------


class _Lines:
    """The file's lines with 1-based numbers; blank trailing lines ignored."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.lines = text.splitlines()  # handles LF and CRLF alike
        while self.lines and not self.lines[-1].strip():
            self.lines.pop()
        self.next = 0

    def error(self, message: str, line: int) -> BenchmarkFormatError:
        return BenchmarkFormatError(message, source=self.source, line=line)

    def take(self, what: str) -> tuple[int, list[str]]:
        """The next line's number and tokens; an error naming ``what`` was expected
        when the file ends or the line is blank."""
        if self.next >= len(self.lines):
            last = len(self.lines)
            raise self.error(f"file ends after line {last}; expected {what}", last + 1)
        number = self.next + 1
        tokens = self.lines[self.next].split()
        self.next += 1
        if not tokens:
            raise self.error(f"expected {what}, found an empty line", number)
        return number, tokens

    def integer(self, token: str, what: str, line: int, *, minimum: int | None = None) -> int:
        try:
            value = int(token)
        except ValueError:
            raise self.error(f"{what} must be an integer, found {token!r}", line) from None
        if minimum is not None and value < minimum:
            raise self.error(f"{what} must be >= {minimum}, found {value}", line)
        return value

    def number(self, token: str, what: str, line: int) -> float:
        try:
            value = float(token)
        except ValueError:
            raise self.error(f"{what} must be a number, found {token!r}", line) from None
        if not math.isfinite(value) or value < 0:
            raise self.error(f"{what} must be a finite number >= 0, found {token!r}", line)
        return value


def read_spot5(path: str | Path) -> Spot5Instance:
    """Read a SPOT5 instance file strictly.

    Raises :class:`~spacepool.errors.BenchmarkFormatError` naming the file and the
    1-based line for: a missing or non-integer count, a truncated file, a photo line
    whose token count is not ``3 + 2*dsize`` (+ 2 optional integers), a non-integer
    id / weight / value, a duplicate photo id or value, a constraint of arity other
    than 2 or 3, an unknown photo, a tuple whose length is not a multiple of the
    arity, a forbidden value outside the photo's domain, a single number anywhere but
    on the last constraint line, photos with recorder consumption but no capacity
    line, and content after the M constraint lines.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="ascii")
    except UnicodeDecodeError as exc:
        raise BenchmarkFormatError(
            f"expected an ASCII text file, found byte {exc.object[exc.start]:#04x}",
            source=file.name,
            line=exc.object[: exc.start].count(b"\n") + 1,
        ) from None
    return parse_spot5(text, name=file.stem, source=file.name)


def parse_spot5(text: str, *, name: str, source: str = "<string>") -> Spot5Instance:
    """Parse the text of a SPOT5 file (see :func:`read_spot5`)."""
    lines = _Lines(text, source)
    photos = _read_photos(lines)
    constraints, capacity = _read_constraints(lines, photos)
    if lines.next < len(lines.lines):
        extra_line = lines.next + 1
        raise lines.error(
            f"expected the end of the file after {lines.next} lines, found "
            f"{lines.lines[lines.next].strip()!r}",
            extra_line,
        )
    if capacity is None:
        for photo, line in photos.values():
            if any(c > 0 for c in photo.consumptions):
                raise lines.error(
                    f"photo {photo.id} has recorder consumption but the file has no "
                    "capacity line (a multi-orbit file ends its constraint section with "
                    "the capacity, e.g. 90000)",
                    line,
                )
    return Spot5Instance(
        name=name,
        photos=tuple(photo for photo, _ in photos.values()),
        constraints=tuple(constraints),
        capacity=capacity,
    )


def _read_photos(lines: _Lines) -> dict[int, tuple[Spot5Photo, int]]:
    line, tokens = lines.take("the number of photos")
    if len(tokens) != 1:
        raise lines.error(f"expected one integer (the number of photos), found {tokens}", line)
    count = lines.integer(tokens[0], "the number of photos", line, minimum=0)
    photos: dict[int, tuple[Spot5Photo, int]] = {}
    for k in range(count):
        line, tokens = lines.take(f"photo line {k + 1} of {count}")
        if len(tokens) < 3:
            raise lines.error(
                f"expected 'id weight dsize {{value consumption}}*dsize', found {len(tokens)} "
                "tokens",
                line,
            )
        photo_id = lines.integer(tokens[0], "photo id", line, minimum=0)
        weight = lines.integer(tokens[1], f"weight of photo {photo_id}", line, minimum=0)
        size = lines.integer(tokens[2], f"domain size of photo {photo_id}", line, minimum=1)
        expected = 3 + 2 * size
        if len(tokens) not in (expected, expected + 2):
            raise lines.error(
                f"photo {photo_id} has domain size {size}: expected {expected} tokens "
                f"(or {expected + 2} with the 2 extra integers), found {len(tokens)}",
                line,
            )
        values = tuple(
            lines.integer(tokens[3 + 2 * i], f"value {i + 1} of photo {photo_id}", line)
            for i in range(size)
        )
        if len(set(values)) != size:
            raise lines.error(f"photo {photo_id} lists a value twice: {list(values)}", line)
        unknown = [v for v in values if v not in KNOWN_VALUES]
        if unknown:
            raise lines.error(
                f"photo {photo_id}: value {unknown[0]} is not an instrument value "
                f"(expected 1, 2, 3 or 13)",
                line,
            )
        consumptions = tuple(
            lines.number(tokens[4 + 2 * i], f"consumption {i + 1} of photo {photo_id}", line)
            for i in range(size)
        )
        extra = tuple(
            lines.integer(t, f"extra integer of photo {photo_id}", line) for t in tokens[expected:]
        )
        if photo_id in photos:
            raise lines.error(
                f"photo id {photo_id} already defined on line {photos[photo_id][1]}", line
            )
        photos[photo_id] = (Spot5Photo(photo_id, weight, values, consumptions, extra), line)
    return photos


def _read_constraints(
    lines: _Lines, photos: Mapping[int, tuple[Spot5Photo, int]]
) -> tuple[list[Spot5Constraint], float | None]:
    line, tokens = lines.take("the number of constraint lines")
    if len(tokens) != 1:
        raise lines.error(
            f"expected one integer (the number of constraint lines), found {tokens}", line
        )
    count = lines.integer(tokens[0], "the number of constraint lines", line, minimum=0)
    constraints: list[Spot5Constraint] = []
    capacity: float | None = None
    for k in range(count):
        line, tokens = lines.take(f"constraint line {k + 1} of {count}")
        if len(tokens) == 1:
            if k != count - 1:
                raise lines.error(
                    f"a single number (the recording capacity) may only be the last of the "
                    f"{count} constraint lines; found {tokens[0]!r} on constraint line {k + 1}",
                    line,
                )
            capacity = lines.number(tokens[0], "recording capacity", line)
            continue
        constraints.append(_read_constraint(lines, photos, line, tokens))
    return constraints, capacity


def _read_constraint(
    lines: _Lines, photos: Mapping[int, tuple[Spot5Photo, int]], line: int, tokens: list[str]
) -> Spot5Constraint:
    arity = lines.integer(tokens[0], "constraint arity", line)
    if arity not in (2, 3):
        raise lines.error(f"constraint arity must be 2 or 3, found {arity}", line)
    if len(tokens) < 1 + arity:
        raise lines.error(
            f"arity-{arity} constraint needs {arity} photo ids, found {len(tokens) - 1} tokens",
            line,
        )
    ids = tuple(lines.integer(t, "photo id", line) for t in tokens[1 : 1 + arity])
    for photo_id in ids:
        if photo_id not in photos:
            raise lines.error(f"constraint names photo {photo_id}, which is not defined", line)
    if len(set(ids)) != arity:
        raise lines.error(f"constraint names a photo twice: {list(ids)}", line)
    rest = tokens[1 + arity :]
    if not rest or len(rest) % arity:
        raise lines.error(
            f"arity-{arity} constraint: expected forbidden tuples of {arity} values, found "
            f"{len(rest)} values (not a positive multiple of {arity})",
            line,
        )
    values = [lines.integer(t, "forbidden value", line) for t in rest]
    tuples = tuple(tuple(values[i : i + arity]) for i in range(0, len(values), arity))
    for combination in tuples:
        for photo_id, value in zip(ids, combination, strict=True):
            domain = photos[photo_id][0].values
            if value not in domain:
                raise lines.error(
                    f"forbidden value {value} of photo {photo_id} is not in its domain "
                    f"{list(domain)}",
                    line,
                )
    return Spot5Constraint(ids, tuples, line)


# --- capacity conventions -----------------------------------------------------------


def capacity_terms(
    instance: Spot5Instance, mode: CapacityMode
) -> tuple[dict[tuple[int, int], int], int | None, str]:
    """Integer recorder use of every (photo, value), the integer capacity and the
    note that says which convention they follow."""
    if mode not in CAPACITY_MODES:
        raise ValueError(f"capacity_mode must be one of {CAPACITY_MODES}, got {mode!r}")
    if instance.capacity is None:
        return {}, None, "no recording capacity in this instance (single-orbit)"
    capacity = instance.capacity
    use: dict[tuple[int, int], int] = {}
    if mode == "units":
        for photo in instance.photos:
            for value, c in zip(photo.values, photo.consumptions, strict=True):
                use[photo.id, value] = round(c / RECORDER_UNIT)
        units = round(capacity / RECORDER_UNIT)
        note = (
            "recording capacity in the literature's integer-unit convention: "
            f"sum(round(consumption / {RECORDER_UNIT:g})) <= round({capacity:g} / "
            f"{RECORDER_UNIT:g}) = {units} units"
        )
        return use, units, note
    for photo in instance.photos:
        for value, c in zip(photo.values, photo.consumptions, strict=True):
            use[photo.id, value] = round(c * LITERAL_SCALE)
    note = (
        f"recording capacity as the literal float sum: sum(consumption) <= {capacity:g} "
        f"(modelled in 1/{LITERAL_SCALE} of the file's unit)"
    )
    return use, round(capacity * LITERAL_SCALE), note


def relative_gap(value: int, bound: int) -> float:
    """``(bound - value) / bound``, rounded to 1e-6 (0 for a zero bound)."""
    return 0.0 if bound <= 0 else round((bound - value) / bound, 6)


__all__ = [
    "CAPACITY_MODES",
    "KNOWN_VALUES",
    "LITERAL_SCALE",
    "PAPER_NAMES",
    "RECORDER_UNIT",
    "STATUSES",
    "CapacityMode",
    "Spot5Constraint",
    "Spot5Instance",
    "Spot5Photo",
    "Spot5Result",
    "capacity_terms",
    "paper_name",
    "parse_spot5",
    "read_spot5",
    "relative_gap",
]
