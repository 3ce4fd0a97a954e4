"""The integer view of an instance that both solvers share.

Times become ticks of :data:`TICK_S`, data volumes kilobits, values thousandths.
Every rounding is conservative, so a schedule that is feasible in ticks is feasible
in real time (the plan's times are real seconds):

* a candidate may start at tick ``t`` only if a real start in ``[t, t + 1)`` ticks
  lies in its window (the plan reports that real start); its interval in ticks is
  ``ceil(duration) + 1`` long, which covers the real interval;
* transition times, downlink times (``volume / rate``) and data volumes round up;
  memory capacities and contact windows round inwards.

Owner blocks are applied here: a candidate's start window loses the starts whose
acquisition would overlap a block of its satellite or instrument; a contact loses
the time blocked on its station or satellite and may split into several pieces.

Both solvers consider, for each candidate, the first :data:`MAX_DOWNLINK_CHOICES`
contact pieces of its satellite that can still take its data after its earliest
end; a later downlink is not planned (it would hold memory for the longest time).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Final

from spacepool.planning.model import Block, Candidate, Instance, StationContact

# Solver time resolution (s): 1 ms, far below acquisition and transition times
# (seconds) yet small enough that a horizon of months fits comfortably in int64.
TICK_S: Final = 0.001
# Contact pieces considered per candidate (the earliest ones that can take its data).
MAX_DOWNLINK_CHOICES: Final = 8
# Values are optimised in thousandths (the plan reports the exact float values).
VALUE_SCALE: Final = 1000
# Data volumes are handled in kilobits (1 Mbit = 1000 kbit).
KBIT_PER_MBIT: Final = 1000


@dataclass(frozen=True)
class PreparedCandidate:
    """A candidate in ticks. ``windows``: allowed start ticks ``(lo, hi)`` inclusive
    (empty when blocked); ``real_windows``: the real start intervals they come from;
    ``pieces``: eligible ``(piece index, downlink ticks needed)``; ``blocked_by``:
    ids of blocks that removed some of its starts."""

    index: int
    candidate: Candidate
    demand: int
    partner: str
    urgency: str
    satellite: int
    instrument: int
    windows: tuple[tuple[int, int], ...]
    real_windows: tuple[tuple[float, float], ...]
    size: int
    volume_kbit: int
    value_int: int
    pieces: tuple[tuple[int, int], ...]
    blocked_by: tuple[str, ...]

    @property
    def earliest(self) -> int:
        return self.windows[0][0]

    @property
    def latest(self) -> int:
        return self.windows[-1][1]

    def need(self, piece: int) -> int:
        for index, ticks in self.pieces:
            if index == piece:
                return ticks
        raise KeyError(piece)


@dataclass(frozen=True)
class Piece:
    """The unblocked part ``[start, end]`` (ticks) of a contact; ``k`` numbers the
    pieces of one contact."""

    index: int
    contact: StationContact
    k: int
    satellite: int
    station: str
    start: int
    end: int

    @property
    def id(self) -> str:
        return self.contact.id if self.k == 0 else f"{self.contact.id}.{self.k}"


class Prepared:
    """The tick view of an :class:`~spacepool.planning.model.Instance`."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.satellite_index = {s.id: k for k, s in enumerate(instance.satellites)}
        self.demand_index = {d.id: k for k, d in enumerate(instance.demands)}
        self.capacity_kbit = [
            math.floor((s.memory_mbit - s.initial_memory_mbit) * KBIT_PER_MBIT)
            for s in instance.satellites
        ]
        self.pieces = _pieces(instance, self.satellite_index)
        self.satellite_pieces: list[list[int]] = [[] for _ in instance.satellites]
        for piece in self.pieces:
            self.satellite_pieces[piece.satellite].append(piece.index)
        # pieces are in order of start: their starts, and the longest piece, let a
        # candidate skip at once the pieces that end before it does
        self._piece_starts = [
            [self.pieces[p].start for p in members] for members in self.satellite_pieces
        ]
        self._longest_piece = [
            max((self.pieces[p].end - self.pieces[p].start for p in members), default=0)
            for members in self.satellite_pieces
        ]
        self._piece_rows = [
            [(p, self.pieces[p].start, self.pieces[p].end, self.pieces[p].contact.rate_mbps)
             for p in members]
            for members in self.satellite_pieces
        ]  # fmt: skip
        # the longest an acquisition's data can stay on board: from its earliest
        # start to the end of its last eligible contact piece (set by _prepare)
        self.max_hold = [0 for _ in instance.satellites]
        instruments: dict[tuple[str, str], int] = {}
        self.candidates: list[PreparedCandidate] = []
        for index, cand in enumerate(instance.candidates):
            key = (cand.satellite, cand.instrument)
            instrument = instruments.setdefault(key, len(instruments))
            self.candidates.append(self._prepare(index, cand, instrument))
        self.instruments = list(instruments)
        self._max_transition: dict[int, int] = {}
        self.instrument_candidates: list[list[int]] = [[] for _ in self.instruments]
        self.demand_candidates: list[list[int]] = [[] for _ in instance.demands]
        self.satellite_candidates: list[list[int]] = [[] for _ in instance.satellites]
        for pc in self.candidates:
            self.demand_candidates[pc.demand].append(pc.index)
            if pc.windows:
                self.instrument_candidates[pc.instrument].append(pc.index)
                self.satellite_candidates[pc.satellite].append(pc.index)
        # the one strip shared by every candidate of an instrument (None: none, or
        # several), and the longest acquisition: both bound whom a candidate can meet
        self.instrument_strip: list[str | None] = []
        self.longest: list[int] = []
        for members in self.instrument_candidates:
            strips = {self.candidates[i].candidate.strip for i in members}
            only = strips.pop() if len(strips) == 1 else None
            self.instrument_strip.append(only)
            self.longest.append(max((self.candidates[i].size for i in members), default=0))

    def _prepare(self, index: int, cand: Candidate, instrument: int) -> PreparedCandidate:
        inst = self.instance
        demand_index = self.demand_index[cand.demand]
        demand = inst.demands[demand_index]
        satellite = self.satellite_index[cand.satellite]
        forbidden: list[tuple[float, float]] = []
        blocked_by: list[str] = []
        for block in inst.blocks:
            if _blocks_candidate(block, cand):
                lo, hi = block.start_s - cand.duration_s, block.end_s
                if lo < cand.latest_start_s and hi > cand.earliest_start_s:
                    forbidden.append((lo, hi))
                    blocked_by.append(block.id)
        real = subtract_open([(cand.earliest_start_s, cand.latest_start_s)], forbidden)
        windows = [(math.floor(a / TICK_S), math.floor(b / TICK_S)) for a, b in real]
        size = math.ceil(cand.duration_s / TICK_S) + 1
        pieces: list[tuple[int, int]] = []
        if windows:
            earliest_end = windows[0][0] + size
            first = bisect_left(
                self._piece_starts[satellite], earliest_end - self._longest_piece[satellite]
            )
            volume = cand.volume_mbit
            last_end = 0
            for p, start, end, rate in self._piece_rows[satellite][first:]:
                need = math.ceil(volume / rate / TICK_S)
                if end - need >= (earliest_end if earliest_end > start else start):
                    pieces.append((p, need))
                    last_end = max(last_end, end)
                    if len(pieces) == MAX_DOWNLINK_CHOICES:
                        break
            hold = last_end - windows[0][0]
            if pieces and hold > self.max_hold[satellite]:
                self.max_hold[satellite] = hold
        return PreparedCandidate(
            index=index,
            candidate=cand,
            demand=demand_index,
            partner=demand.partner,
            urgency=demand.urgency,
            satellite=satellite,
            instrument=instrument,
            windows=tuple(windows),
            real_windows=tuple(real),
            size=size,
            volume_kbit=math.ceil(cand.volume_mbit * KBIT_PER_MBIT),
            value_int=round(cand.value * VALUE_SCALE),
            pieces=tuple(pieces),
            blocked_by=tuple(blocked_by),
        )

    @cached_property
    def usable(self) -> list[list[int]]:
        """Per demand, its candidates that are not blocked and have a downlink."""
        return [
            [i for i in members if self.candidates[i].windows and self.candidates[i].pieces]
            for members in self.demand_candidates
        ]

    @cached_property
    def density(self) -> list[float]:
        """Per demand, the best value per second (plus 1 s) of a usable candidate;
        0 when it has none (the greedy's priority)."""
        return [
            max(
                (
                    self.candidates[i].candidate.value
                    / (self.candidates[i].candidate.duration_s + 1.0)
                    for i in members
                ),
                default=0.0,
            )
            for members in self.usable
        ]

    def transition(self, first: int, second: int) -> int:
        """Ticks needed between the end of ``first`` and the start of ``second``."""
        a = self.candidates[first]
        b = self.candidates[second]
        seconds = self.instance.satellites[a.satellite].transition_s(a.candidate, b.candidate)
        return math.ceil(seconds / TICK_S) if seconds > 0.0 else 0

    def same_strip(self, first: int, second: int) -> bool:
        a = self.candidates[first].candidate.strip
        return a is not None and a == self.candidates[second].candidate.strip

    def fits_before(self, first: int, second: int) -> bool:
        """Whether ``first`` can end, with its transition, before ``second`` must start
        (each at its earliest / latest start)."""
        a = self.candidates[first]
        return (
            a.earliest + a.size + self.transition(first, second) <= self.candidates[second].latest
        )

    def close_pairs(self, instrument: int, members: Sequence[int]) -> Iterator[tuple[int, int]]:
        """Pairs ``(i, j)`` of ``members`` (candidates of ``instrument`` sorted by their
        earliest start) whose windows are close enough for one to delay the other, pairs
        in one swath strip excepted: the only pairs an ordering constraint can concern."""
        widest = self.max_transition(instrument)
        for pos, i in enumerate(members):
            pi = self.candidates[i]
            for j in members[pos + 1 :]:
                if self.candidates[j].earliest >= pi.latest + pi.size + widest:
                    break
                if not self.same_strip(i, j):
                    yield i, j

    def max_transition(self, instrument: int) -> int:
        """An upper bound of the transition ticks between two candidates of one
        instrument."""
        if instrument not in self._max_transition:
            self._max_transition[instrument] = self._widest_transition(instrument)
        return self._max_transition[instrument]

    def _widest_transition(self, instrument: int) -> int:
        members = self.instrument_candidates[instrument]
        if not members:
            return 0
        first = self.candidates[members[0]]
        satellite = self.instance.satellites[first.satellite]
        looks = [self.candidates[i].candidate.look_deg for i in members]
        seconds = satellite.transition_fixed_s
        if satellite.slew_rate_deg_s is not None:
            seconds += (max(looks) - min(looks)) / satellite.slew_rate_deg_s
        return math.ceil(seconds / TICK_S) + 1

    def real_start_s(self, index: int, tick: int) -> float:
        """The real start (s) that a start at ``tick`` stands for (see module doc)."""
        pc = self.candidates[index]
        for (lo, hi), (a, b) in zip(pc.windows, pc.real_windows, strict=True):
            if lo <= tick <= hi:
                return min(max(tick * TICK_S, a), b)
        raise ValueError(f"tick {tick} outside the windows of candidate {pc.candidate.id}")


def _blocks_candidate(block: Block, cand: Candidate) -> bool:
    if block.satellite != cand.satellite:
        return False
    return block.instrument is None or block.instrument == cand.instrument


def _pieces(instance: Instance, satellite_index: dict[str, int]) -> list[Piece]:
    blocks_by_station: dict[str, list[tuple[float, float]]] = defaultdict(list)
    blocks_by_satellite: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for block in instance.blocks:
        if block.station is not None:
            blocks_by_station[block.station].append((block.start_s, block.end_s))
        elif block.instrument is None and block.satellite is not None:
            blocks_by_satellite[block.satellite].append((block.start_s, block.end_s))
    pieces: list[Piece] = []
    ordered = sorted(instance.contacts, key=lambda c: (c.start_s, c.id))
    for contact in ordered:
        forbidden = blocks_by_station[contact.station] + blocks_by_satellite[contact.satellite]
        parts = subtract_open([(contact.start_s, contact.end_s)], forbidden)
        k = 0
        for a, b in parts:
            start, end = math.ceil(a / TICK_S), math.floor(b / TICK_S)
            if end > start:
                pieces.append(
                    Piece(
                        index=len(pieces),
                        contact=contact,
                        k=k,
                        satellite=satellite_index[contact.satellite],
                        station=contact.station,
                        start=start,
                        end=end,
                    )
                )
                k += 1
    return pieces


def subtract_open(
    intervals: list[tuple[float, float]], holes: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """Closed intervals minus open intervals ``(lo, hi)``; sorted, disjoint result.

    A point ``x`` survives when it is in some interval and ``x <= lo`` or ``x >= hi``
    for every hole.
    """
    result = sorted(intervals)
    for lo, hi in sorted(holes):
        cut: list[tuple[float, float]] = []
        for a, b in result:
            if hi <= a or lo >= b:
                cut.append((a, b))
                continue
            if a <= lo:
                cut.append((a, lo))
            if hi <= b:
                cut.append((hi, b))
        result = cut
    return result
