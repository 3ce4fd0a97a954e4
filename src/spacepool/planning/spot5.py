"""The SPOT5 daily photograph scheduling benchmark: reader, exact solver, heuristic.

The 21 instances of Bensana, Lemaître & Verfaillie, "Earth Observation Satellite
Management", Constraints 4(3):293-299, 1999, are the public yardstick for the
planning solvers: choose a subset of candidate photographs and, for each chosen one,
an instrument value (1, 2, 3: front / middle / rear camera, or 13: a stereo pair on
front and rear), violating no forbidden tuple of values and, in the multi-orbit
instances, not overfilling the on-board recorder; maximise the sum of weights.

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

Model (OR-Tools CP-SAT). A Boolean ``x[p, v]`` per photo and value. Binary forbidden
pairs and "one value per photo" are edges of a conflict graph over these literals; a
greedy clique cover turns them into ``AddAtMostOne`` over maximal cliques, which
makes the LP relaxation far tighter than one clause per pair. Each ternary forbidden
tuple is a clause ``not a or not b or not c`` (dropped when a binary conflict among
its literals already forbids it). Capacity is one linear constraint.

Decomposition. Photos that share no constraint do not interact except through the
recorder, so the instance is cut into the connected components of its constraint
graph:

* a component that uses no recorder capacity is an independent problem, solved on
  its own (CP-SAT on the whole instance is much slower: the bound of one component
  is proven only once the search has settled all others);
* components that use capacity are coupled only by it. When the weights split into
  two separable levels (the high weights are multiples of ``g`` and all low weights
  together sum to less than ``g``; in SPOT5, 1000/2000 against 1..5), the optimum
  maximises the high part first: stage 1 solves the high photos alone (low photos
  removed: an unselected photo never violates a constraint), with a core-based
  CP-SAT portfolio that usually proves this bound in seconds. Stage 2 solves all
  coupled photos with the high part kept at its stage-1 value and maximises the low
  part, starting from the stage-1 solution; when CP-SAT does not prove it within its
  share of the time, a time-window large-neighbourhood search uses the rest.

Measured results and the reasons behind each choice: docs/spot5.md.

Every sub-result carries its bound, so the reported bound and status stay exact:
``OPTIMAL`` means the value meets that bound.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from ortools.sat.python import cp_model

from spacepool.errors import BenchmarkFormatError

_log = logging.getLogger(__name__)

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

# Part of the remaining time given to stage 1 (high weights) and to the CP-SAT run
# of stage 2; when that does not prove its optimum, a time-window search uses the
# rest. Measured on 1401-1407, 1506 (and 1504, which stage 2 must prove in 10 s);
# with 25 % for stage 1, 1403 once ended at 172 high points instead of 174.
_STAGE1_SHARE: Final = 0.4
_STAGE2_SHARE: Final = 0.35
# ... but at least this long (s): 1504 proves stage 2 in 2-4 s (up to 8 s under load).
_STAGE2_MIN_S: Final = 10.0
# Time-window search: the photos in a window of consecutive ids are freed, the
# others fixed; each window gets _WINDOW_S of CP-SAT. The window starts at
# _WINDOW_PHOTOS photos and adapts: it grows by _WINDOW_STEP when CP-SAT proves the
# window's optimum, shrinks when it does not (within [_WINDOW_MIN, _WINDOW_MAX]).
_WINDOW_PHOTOS: Final = 250
_WINDOW_MIN: Final = 50
_WINDOW_MAX: Final = 500
_WINDOW_STEP: Final = 1.1
# 2 s: with 1 s, most windows ended unproven on a loaded machine and the search
# stalled 2-3 below the best-known values of 1405 and 1407 (measured).
_WINDOW_S: Final = 2.0
# Smallest part of the remaining time an independent component may use.
_INDEPENDENT_SHARE: Final = 0.15
# Smallest time given to any single CP-SAT call (s): below it CP-SAT's own start-up
# dominates.
_MIN_SOLVE_S: Final = 0.05


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


def _capacity_terms(
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


# --- model pieces ---------------------------------------------------------------------


Lit = tuple[int, int]  # (photo id, value)


class _Graph:
    """Literal conflict graph and ternary clauses of an instance."""

    def __init__(self, instance: Spot5Instance) -> None:
        self.photos = {p.id: p for p in instance.photos}
        self.adjacent: dict[Lit, set[Lit]] = defaultdict(set)
        self.ternary: list[tuple[Lit, Lit, Lit]] = []
        self.neighbours: dict[int, set[int]] = defaultdict(set)  # photo level
        for photo in instance.photos:
            for i, a in enumerate(photo.values):
                for b in photo.values[i + 1 :]:
                    self._edge((photo.id, a), (photo.id, b))
        for constraint in instance.constraints:
            ids = constraint.photo_ids
            for i, a in enumerate(ids):
                for b in ids[i + 1 :]:
                    self.neighbours[a].add(b)
                    self.neighbours[b].add(a)
            for combination in constraint.forbidden:
                lits = tuple(zip(ids, combination, strict=True))
                if len(lits) == 2:
                    self._edge(lits[0], lits[1])
                else:
                    self.ternary.append((lits[0], lits[1], lits[2]))

    def _edge(self, a: Lit, b: Lit) -> None:
        self.adjacent[a].add(b)
        self.adjacent[b].add(a)

    def components(self) -> list[list[int]]:
        """Photo ids of each connected component of the constraint graph, largest
        first (ties by smallest id)."""
        seen: set[int] = set()
        parts: list[list[int]] = []
        for start in self.photos:
            if start in seen:
                continue
            stack, part = [start], []
            seen.add(start)
            while stack:
                p = stack.pop()
                part.append(p)
                for q in self.neighbours[p]:
                    if q not in seen:
                        seen.add(q)
                        stack.append(q)
            parts.append(sorted(part))
        parts.sort(key=lambda part: (-len(part), part[0]))
        return parts


def clique_cover(adjacent: Mapping[Lit, set[Lit]], nodes: Iterable[Lit]) -> list[list[Lit]]:
    """Greedy cover of every edge among ``nodes`` by maximal cliques.

    Starting from the node of highest degree with an uncovered edge, a clique grows
    by the common neighbour that covers most uncovered edges (ties: the one keeping
    most candidates); cliques of size 2 remain only where no triangle exists.
    """
    keep = set(nodes)
    adj = {n: adjacent.get(n, set()) & keep for n in keep}
    uncovered = {n: set(adj[n]) for n in keep}
    order = sorted(keep, key=lambda n: (-len(adj[n]), n))
    cliques: list[list[Lit]] = []
    for start in order:
        while uncovered[start]:
            first = max(uncovered[start], key=lambda n: (len(adj[n]), n))
            clique = [start, first]
            candidates = adj[start] & adj[first]
            while candidates:
                best = max(
                    candidates,
                    key=lambda c: (
                        sum(1 for m in clique if m in uncovered[c]),
                        len(adj[c] & candidates),
                        c,
                    ),
                )
                clique.append(best)
                candidates &= adj[best]
            for i, a in enumerate(clique):
                for b in clique[i + 1 :]:
                    uncovered[a].discard(b)
                    uncovered[b].discard(a)
            cliques.append(clique)
    return cliques


class _Model:
    """CP-SAT model of a set of photos (a sub-instance): literals, constraints, and
    the weight and recorder-use expressions."""

    def __init__(
        self,
        graph: _Graph,
        photo_ids: Sequence[int],
        use: Mapping[Lit, int],
        capacity: int | None,
        *,
        weight_of: Mapping[int, int] | None = None,
    ) -> None:
        self.model = cp_model.CpModel()
        self.graph = graph
        self.photo_ids = list(photo_ids)
        members = set(photo_ids)
        self.x: dict[Lit, Any] = {}
        for p in self.photo_ids:
            for v in graph.photos[p].values:
                self.x[p, v] = self.model.new_bool_var(f"x_{p}_{v}")
        for p in self.photo_ids:
            self.model.add_at_most_one(self.x[p, v] for v in graph.photos[p].values)
        for clique in clique_cover(graph.adjacent, self.x):
            self.model.add_at_most_one(self.x[lit] for lit in clique)
        for a, b, c in graph.ternary:
            if a[0] in members and b[0] in members and c[0] in members:
                adj = graph.adjacent
                if b in adj[a] or c in adj[a] or c in adj[b]:
                    continue  # already forbidden by a binary conflict
                self.model.add_bool_or([~self.x[a], ~self.x[b], ~self.x[c]])
        weights = (
            weight_of if weight_of is not None else {p: graph.photos[p].weight for p in members}
        )
        self.weight = sum(
            weights[p] * self.x[p, v] for p in self.photo_ids for v in graph.photos[p].values
        )
        used = [(use.get(lit, 0), var) for lit, var in self.x.items()]
        self.units = sum(u * var for u, var in used if u > 0)
        self.has_units = any(u > 0 for u, _ in used)
        if capacity is not None and self.has_units:
            self.model.add(self.units <= capacity)

    def hint(self, selected: Mapping[int, int]) -> None:
        for (p, v), var in self.x.items():
            self.model.add_hint(var, 1 if selected.get(p) == v else 0)

    def selection(self, solver: cp_model.CpSolver) -> dict[int, int]:
        return {p: v for (p, v), var in self.x.items() if solver.boolean_value(var)}


@dataclass
class _Solved:
    """Result of one CP-SAT call."""

    status: str
    value: int
    bound: int
    selected: dict[int, int]


def _run(
    model: cp_model.CpModel,
    extract: Any,
    time_limit_s: float,
    workers: int,
    seed: int,
    *,
    trivial: int,
    core_portfolio: bool = False,
) -> tuple[_Solved, cp_model.CpSolver]:
    """Solve; ``trivial`` is a valid upper bound used when CP-SAT ends without a
    solution (its own bound is then meaningless)."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(_MIN_SOLVE_S, time_limit_s)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    # CP-SAT 9.15's at-most-one/linear inclusion presolve can certify a wrong optimum
    # (OR-Tools issue #5293); on SPOT5 it also left a bound one unit open (measured:
    # a 47-photo component of 1504 limited to 14 photos, proven in 0.02 s without
    # it, not in 5 s with it). Turning it off costs nothing measurable here.
    solver.parameters.presolve_inclusion_work_limit = 0
    if core_portfolio and workers >= 2:
        # Two full-problem workers: CP-SAT then runs its core-based (MaxSAT-style)
        # search beside the LP-based one. It proves the high-weight stage of
        # 1401-1407 in seconds where the default pair does not close it in minutes,
        # and the single-orbit components 2-5 times faster (measured). Stage 2 keeps
        # the default pair: there the search for solutions needs the LNS workers.
        solver.parameters.num_full_subsolvers = 2
    code = solver.solve(model)
    name = solver.status_name(code)
    _log.debug(
        "cp-sat %s in %.2f s (limit %.2f s): objective %s, bound %s",
        name,
        solver.wall_time,
        time_limit_s,
        solver.objective_value,
        solver.best_objective_bound,
    )
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        value = round(solver.objective_value)
        bound = math.floor(solver.best_objective_bound + 1e-6)
        return _Solved(name, value, max(bound, value), extract(solver)), solver
    return _Solved(name, 0, trivial, {}), solver


def _separable_levels(weights: Sequence[int]) -> tuple[int, int] | None:
    """``(threshold, g)`` such that every weight >= threshold is a multiple of ``g``
    and all weights below it sum to less than ``g`` (so the optimum maximises the
    high part first), with the lowest such threshold; ``None`` when there is none."""
    distinct = sorted(set(weights))
    for threshold in distinct[1:]:
        high = [w for w in distinct if w >= threshold]
        g = math.gcd(*high)
        low_total = sum(w for w in weights if w < threshold)
        if low_total < g:
            return threshold, g
    return None


class _Clock:
    def __init__(self, time_limit_s: float) -> None:
        self.start = time.perf_counter()
        self.deadline = self.start + time_limit_s

    def left(self) -> float:
        return max(0.0, self.deadline - time.perf_counter())

    def elapsed(self) -> float:
        return time.perf_counter() - self.start


# --- exact solver ---------------------------------------------------------------------


def solve_spot5(
    instance: Spot5Instance,
    *,
    time_limit_s: float = 60.0,
    capacity_mode: CapacityMode = "units",
    workers: int = 2,
    seed: int = 0,
    hint: Mapping[int, int] | None = None,
) -> Spot5Result:
    """Solve ``instance`` with CP-SAT within ``time_limit_s`` (wall clock, all
    stages), with ``workers`` threads and a fixed ``seed``. ``hint`` (photo id ->
    value, e.g. from :func:`heuristic_spot5`) seeds the search. See the module text
    for the model and the decomposition."""
    clock = _Clock(time_limit_s)
    use, capacity, note = _capacity_terms(instance, capacity_mode)
    graph = _Graph(instance)
    given = dict(hint or {})
    parts = graph.components()

    def uses_capacity(part: Sequence[int]) -> bool:
        return capacity is not None and any(
            use.get((p, v), 0) > 0 for p in part for v in graph.photos[p].values
        )

    coupled = [part for part in parts if uses_capacity(part)]
    independent = [part for part in parts if not uses_capacity(part)]
    selected: dict[int, int] = {}
    bound = 0

    # Independent components, smallest first; each may use a share of the time in
    # proportion to its size (the coupled block counting three times its size), and
    # at least _INDEPENDENT_SHARE of what is left. Most need a fraction of it.
    weight_left = sum(len(part) for part in independent) + 3 * sum(len(p) for p in coupled)
    for part in sorted(independent, key=len):
        share = clock.left() * max(len(part) / max(1, weight_left), _INDEPENDENT_SHARE)
        weight_left -= len(part)
        solved = _solve_part(graph, part, use, None, share, workers, seed, given)
        selected.update(solved.selected)
        bound += solved.bound

    if coupled:
        assert capacity is not None
        solved = _solve_coupled(graph, coupled, use, capacity, clock, workers, seed, given)
        selected.update(solved.selected)
        bound += solved.bound

    value = sum(graph.photos[p].weight for p in selected)
    bound = max(bound, value)
    # The bound is a proven upper bound: meeting it proves the value optimal.
    status = "OPTIMAL" if value == bound else "FEASIBLE"
    return Spot5Result(
        instance=instance.name,
        value=value,
        status=status,
        bound=bound,
        selected=dict(sorted(selected.items())),
        wall_s=clock.elapsed(),
        capacity_mode=capacity_mode,
        capacity_note=note,
        gap=_gap(value, bound),
    )


def _gap(value: int, bound: int) -> float:
    return 0.0 if bound <= 0 else round((bound - value) / bound, 6)


def _solve_part(
    graph: _Graph,
    part: Sequence[int],
    use: Mapping[Lit, int],
    capacity: int | None,
    time_limit_s: float,
    workers: int,
    seed: int,
    hint: Mapping[int, int],
) -> _Solved:
    model = _Model(graph, part, use, capacity)
    model.model.maximize(model.weight)
    if hint:
        model.hint(hint)
    trivial = sum(graph.photos[p].weight for p in part)
    solved, _ = _run(
        model.model,
        model.selection,
        time_limit_s,
        workers,
        seed,
        trivial=trivial,
        core_portfolio=True,
    )
    return solved


def _solve_coupled(
    graph: _Graph,
    parts: Sequence[Sequence[int]],
    use: Mapping[Lit, int],
    capacity: int,
    clock: _Clock,
    workers: int,
    seed: int,
    hint: Mapping[int, int],
) -> _Solved:
    """The components that share the recorder (see the module text)."""
    photos = [p for part in parts for p in part]
    weights = [graph.photos[p].weight for p in photos]
    levels = _separable_levels(weights)
    model = _Model(graph, photos, use, capacity)
    if levels is None:
        if hint:
            model.hint(hint)
        model.model.maximize(model.weight)
        solved, _ = _run(
            model.model, model.selection, clock.left(), workers, seed, trivial=sum(weights)
        )
        return solved

    # Stage 1: the high photos alone (an unselected photo violates nothing).
    threshold, g = levels
    high = [p for p in photos if graph.photos[p].weight >= threshold]
    low = [p for p in photos if graph.photos[p].weight < threshold]
    low_total = sum(graph.photos[p].weight for p in low)
    m1 = _Model(
        graph, high, use, capacity, weight_of={p: graph.photos[p].weight // g for p in high}
    )
    m1.model.maximize(m1.weight)
    if hint:
        m1.hint(hint)
    stage1, _ = _run(
        m1.model,
        m1.selection,
        clock.left() * _STAGE1_SHARE,
        workers,
        seed,
        trivial=sum(graph.photos[p].weight // g for p in high),
        core_portfolio=True,
    )
    _log.debug("stage 1: %s %d (bound %d)", stage1.status, stage1.value, stage1.bound)

    # Stage 2: everything, the high part kept at its best value, the low part maximised.
    high_part = sum(
        (graph.photos[p].weight // g) * model.x[p, v] for p in high for v in graph.photos[p].values
    )
    low_part = sum(
        graph.photos[p].weight * model.x[p, v] for p in low for v in graph.photos[p].values
    )
    # When stage 1 is not proven (1401, 1403 within 60 s), its value is still the
    # best high part known; stage 2 keeps it and spends its time on the low part,
    # which is what separates the best-known solutions. The bound stays sound.
    model.model.add(high_part >= stage1.value)
    model.model.maximize(low_part)
    model.hint(stage1.selected)
    trivial = low_total
    stage2, _ = _run(
        model.model,
        model.selection,
        max(clock.left() * _STAGE2_SHARE, min(clock.left(), _STAGE2_MIN_S)),
        workers,
        seed,
        trivial=trivial,
    )
    selected = stage2.selected if stage2.selected or not stage1.selected else stage1.selected
    if stage2.status != "OPTIMAL" and clock.left() > _MIN_SOLVE_S:
        selected = _window_search(model, selected, sorted(photos), low, graph, clock, workers, seed)
    value = sum(graph.photos[p].weight for p in selected)
    if stage1.status == "OPTIMAL":
        # The optimum has the largest high part (the low part sums to less than g),
        # and stage 2 covers every solution with that high part.
        bound = stage1.value * g + (stage2.bound if stage2.selected else low_total)
        proven = stage2.status == "OPTIMAL"
    else:
        bound = stage1.bound * g + low_total
        proven = False
    return _Solved("OPTIMAL" if proven else "FEASIBLE", value, max(bound, value), selected)


def _window_search(
    model: _Model,
    selected: dict[int, int],
    order: Sequence[int],
    scored: Sequence[int],
    graph: _Graph,
    clock: _Clock,
    workers: int,
    seed: int,
) -> dict[int, int]:
    """Improve ``selected`` for ``model`` (the stage-2 model) until the deadline.

    Photo ids follow the time of the images, and constraints link photos close in
    time, so a neighbourhood is a window of consecutive ids: the photos outside it
    are fixed, the window is re-optimised by CP-SAT with the objective at least the
    current value; an equal value is accepted too (it moves the search along a
    plateau). The value is the weight of the ``scored`` photos. CP-SAT's own
    neighbourhoods are random sets of variables or constraints; on 1405 this search
    took stage 2 from 137 to 142 in 24 s where CP-SAT alone stayed at 134-141 in
    30-55 s (measured).
    """
    rng = random.Random(seed)
    counted = set(scored)
    objective = sum(
        graph.photos[p].weight * model.x[p, v] for p in counted for v in graph.photos[p].values
    )

    def score(selection: Mapping[int, int]) -> int:
        return sum(graph.photos[p].weight for p in selection if p in counted)

    current, value = dict(selected), score(selected)
    width = float(_WINDOW_PHOTOS)
    rounds = 0
    while clock.left() > _MIN_SOLVE_S:
        rounds += 1
        size = min(len(order), round(width))
        first = rng.randrange(0, len(order) - size + 1)
        window = set(order[first : first + size])
        sub = model.model.clone()
        sub.clear_hints()  # type: ignore[no-untyped-call]
        for (p, v), var in model.x.items():
            chosen = 1 if current.get(p) == v else 0
            if p in window:
                sub.add_hint(var, chosen)
            else:
                sub.add(var == chosen)
        sub.add(objective >= value)
        solved, _ = _run(
            sub,
            model.selection,
            min(_WINDOW_S, clock.left()),
            workers,
            seed + rounds,
            trivial=value,
        )
        if solved.selected and score(solved.selected) >= value:
            current, value = solved.selected, score(solved.selected)
        grow = _WINDOW_STEP if solved.status == "OPTIMAL" else 1 / _WINDOW_STEP
        width = min(_WINDOW_MAX, max(_WINDOW_MIN, width * grow))
    _log.debug("window search: %d windows, value %d, width %.0f", rounds, value, width)
    return current


# --- heuristic ------------------------------------------------------------------------


def heuristic_spot5(
    instance: Spot5Instance,
    *,
    time_limit_s: float = 5.0,
    capacity_mode: CapacityMode = "units",
    seed: int = 0,
) -> Spot5Result:
    """A fast feasible solution: greedy by weight per recorder unit, then a local
    search (remove a few random photos and their conflicting neighbours' blockers,
    re-insert greedily in random order; keep the result when it is no worse) until
    ``time_limit_s``. ``bound`` is the trivial sum of all weights."""
    clock = _Clock(time_limit_s)
    use, capacity, note = _capacity_terms(instance, capacity_mode)
    search = _LocalSearch(instance, use, capacity, random.Random(seed))
    search.greedy(sorted(search.order, key=search.priority))
    best = dict(search.selected)
    best_value = search.value
    bound = sum(p.weight for p in instance.photos)
    while clock.left() > 0 and best_value < bound:
        search.perturb()
        if search.value >= best_value:
            best, best_value = dict(search.selected), search.value
        else:
            search.restore(best)
    return Spot5Result(
        instance=instance.name,
        value=best_value,
        status="OPTIMAL" if best_value == bound else "FEASIBLE",
        bound=bound,
        selected=dict(sorted(best.items())),
        wall_s=clock.elapsed(),
        capacity_mode=capacity_mode,
        capacity_note=note,
        gap=_gap(best_value, bound),
    )


class _LocalSearch:
    def __init__(
        self,
        instance: Spot5Instance,
        use: Mapping[Lit, int],
        capacity: int | None,
        rng: random.Random,
    ) -> None:
        self.graph = _Graph(instance)
        self.use = use
        self.capacity = capacity
        self.rng = rng
        self.order = [p.id for p in instance.photos]
        self.ternary: dict[Lit, list[tuple[Lit, Lit]]] = defaultdict(list)
        for a, b, c in self.graph.ternary:
            self.ternary[a].append((b, c))
            self.ternary[b].append((a, c))
            self.ternary[c].append((a, b))
        self.selected: dict[int, int] = {}
        self.value = 0
        self.units = 0

    def priority(self, p: int) -> tuple[float, int]:
        photo = self.graph.photos[p]
        cheapest = min(self.use.get((p, v), 0) for v in photo.values)
        return (-photo.weight / (1 + cheapest), p)

    def _fits(self, p: int, v: int) -> bool:
        if self.capacity is not None and self.units + self.use.get((p, v), 0) > self.capacity:
            return False
        chosen = self.selected
        for q, w in self.graph.adjacent[(p, v)]:
            if chosen.get(q) == w:
                return False
        return not any(
            chosen.get(b[0]) == b[1] and chosen.get(c[0]) == c[1] for b, c in self.ternary[(p, v)]
        )

    def _add(self, p: int, v: int) -> None:
        self.selected[p] = v
        self.value += self.graph.photos[p].weight
        self.units += self.use.get((p, v), 0)

    def _remove(self, p: int) -> None:
        v = self.selected.pop(p)
        self.value -= self.graph.photos[p].weight
        self.units -= self.use.get((p, v), 0)

    def greedy(self, order: Iterable[int]) -> None:
        for p in order:
            if p in self.selected:
                continue
            photo = self.graph.photos[p]
            values = sorted(photo.values, key=lambda v: (self.use.get((p, v), 0), v))
            if len(values) > 1:
                self.rng.shuffle(values)
                values.sort(key=lambda v: self.use.get((p, v), 0))
            for v in values:
                if self._fits(p, v):
                    self._add(p, v)
                    break

    def perturb(self) -> None:
        """Force one unselected photo in (dropping what blocks it), then refill."""
        free = [p for p in self.order if p not in self.selected]
        if not free:
            return
        p = self.rng.choice(free)
        v = self.rng.choice(self.graph.photos[p].values)
        for q, w in self.graph.adjacent[(p, v)]:
            if self.selected.get(q) == w:
                self._remove(q)
        for b, c in self.ternary[(p, v)]:
            if self.selected.get(b[0]) == b[1] and self.selected.get(c[0]) == c[1]:
                self._remove(self.rng.choice((b[0], c[0])))
        while self.capacity is not None and self.units + self.use.get((p, v), 0) > self.capacity:
            taken = [q for q in self.selected if self.use.get((q, self.selected[q]), 0) > 0]
            if not taken:
                return
            self._remove(self.rng.choice(taken))
        self._add(p, v)
        rest = [q for q in self.order if q not in self.selected]
        self.rng.shuffle(rest)
        rest.sort(key=self.priority)
        self.greedy(rest)

    def restore(self, selection: Mapping[int, int]) -> None:
        for p in list(self.selected):
            self._remove(p)
        for p, v in selection.items():
            self._add(p, v)
