"""A mutable schedule in ticks with an insertion test that says why it fails.

The heuristic builds plans with it; after either solver, the diagnosis asks it why
each unserved demand could not be added. The rules are those of the CP-SAT model
(:mod:`spacepool.planning.cpsat`), in ticks (:mod:`spacepool.planning.prepare`):

* instrument: two acquisitions of one instrument (not in one strip) are separated
  by the transition time, in whichever order they come;
* downlink: each acquisition is assigned to one contact piece of its satellite; the
  piece's downlink starts after all its acquisitions end and lasts at least the sum
  of their downlink times; downlinks at one station, and of one satellite, do not
  overlap;
* memory: an acquisition's data occupies its satellite's memory from the start of
  the acquisition to the end of its downlink; the occupancy never exceeds capacity.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass, field

from spacepool.planning.prepare import Prepared

Busy = tuple[int, int, int]  # (start tick, end tick, piece) of a downlink


@dataclass(frozen=True)
class Outcome:
    """The result of :meth:`Schedule.try_insert`.

    ``ok``: insertable at ``start`` with its data downlinked in ``piece`` during
    ``[dl_start, dl_end]`` (the piece's whole downlink after insertion).
    Otherwise ``reason`` is ``blocked_by_owner``, ``no_downlink``, ``conflict`` or
    ``memory``; ``blockers`` are the acquisitions (candidate indices) in the way,
    ``busy`` the contact pieces whose downlinks are in the way.
    """

    ok: bool
    reason: str = ""
    start: int = 0
    piece: int = -1
    dl_start: int = 0
    dl_end: int = 0
    blockers: tuple[int, ...] = ()
    busy: tuple[int, ...] = ()


@dataclass
class Schedule:
    """Placed acquisitions (start ticks, assigned piece) and downlinks per piece.

    Besides the plain maps, it keeps sorted indexes so that a query looks only at
    what can interact with the candidate: per instrument the placed starts, per
    station and per satellite the downlinks in time order (each list is free of
    overlaps, so a search starts one entry before the time of interest), and per
    satellite the placed starts and the data volume on board.
    """

    prep: Prepared
    start: dict[int, int] = field(default_factory=dict)
    piece_of: dict[int, int] = field(default_factory=dict)
    served: dict[int, int] = field(default_factory=dict)
    downlink: dict[int, tuple[int, int]] = field(default_factory=dict)
    members: dict[int, list[int]] = field(default_factory=dict)
    by_instrument: dict[int, list[int]] = field(default_factory=dict)
    by_satellite: dict[int, list[int]] = field(default_factory=dict)
    starts: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    station_downlinks: dict[str, list[Busy]] = field(default_factory=dict)
    satellite_downlinks: dict[int, list[Busy]] = field(default_factory=dict)
    volume_kbit: dict[int, int] = field(default_factory=dict)
    satellite_starts: dict[int, list[tuple[int, int]]] = field(default_factory=dict)

    def copy(self) -> Schedule:
        return Schedule(
            prep=self.prep,
            start=dict(self.start),
            piece_of=dict(self.piece_of),
            served=dict(self.served),
            downlink=dict(self.downlink),
            members={k: list(v) for k, v in self.members.items()},
            by_instrument={k: list(v) for k, v in self.by_instrument.items()},
            by_satellite={k: list(v) for k, v in self.by_satellite.items()},
            starts={k: list(v) for k, v in self.starts.items()},
            station_downlinks={k: list(v) for k, v in self.station_downlinks.items()},
            satellite_downlinks={k: list(v) for k, v in self.satellite_downlinks.items()},
            volume_kbit=dict(self.volume_kbit),
            satellite_starts={k: list(v) for k, v in self.satellite_starts.items()},
        )

    # --- queries -----------------------------------------------------------------

    def free_starts(self, index: int) -> tuple[list[tuple[int, int]], list[int]]:
        """Start ticks still allowed for ``index`` on its instrument, and the placed
        acquisitions that remove some of its starts."""
        prep = self.prep
        pc = prep.candidates[index]
        windows = list(pc.windows)
        strip = pc.candidate.strip
        if strip is not None and prep.instrument_strip[pc.instrument] == strip:
            return windows, []  # one swath strip: every acquisition may overlap
        placed = self.starts.get(pc.instrument, [])
        if not placed or not windows:
            return windows, []
        reach = prep.longest[pc.instrument] + prep.max_transition(pc.instrument)
        first = bisect_left(placed, (pc.earliest - reach,))
        blockers: list[int] = []
        for start_j, j in placed[first:]:
            if start_j > pc.latest + pc.size + reach:
                break
            if prep.same_strip(index, j):
                continue
            pj = prep.candidates[j]
            # index before j: s + size + transition <= start_j; after: s >= end_j + transition
            lo = start_j - pc.size - prep.transition(index, j) + 1
            hi = start_j + pj.size + prep.transition(j, index) - 1
            if lo > hi or hi < pc.earliest or lo > pc.latest:
                continue
            cut: list[tuple[int, int]] = []
            touched = False
            for a, b in windows:
                if b < lo or a > hi:
                    cut.append((a, b))
                    continue
                touched = True
                if a < lo:
                    cut.append((a, lo - 1))
                if b > hi:
                    cut.append((hi + 1, b))
            if touched:
                blockers.append(j)
            windows = cut
        return windows, blockers

    def _downlink_options(
        self, index: int, end: int
    ) -> tuple[list[tuple[int, int, int]], set[int], bool]:
        """``(dl_end, dl_start, piece)`` options for an acquisition ending at ``end``,
        the pieces whose downlinks were in the way, and whether any piece was long
        enough at all."""
        prep = self.prep
        options: list[tuple[int, int, int]] = []
        busy: set[int] = set()
        usable = False
        for p, need in prep.candidates[index].pieces:
            piece = prep.pieces[p]
            if piece.end < end + need:
                continue
            usable = True
            if p in self.downlink:
                ds, de = self.downlink[p]
                start = max(ds, end)
                length = de - ds + need
            else:
                start = max(piece.start, end)
                length = need
            placed = self._earliest_gap(p, start, length, piece.end, busy)
            if placed is not None:
                options.append((placed + length, placed, p))
            elif p in self.downlink:
                busy.add(p)  # its own downlink already fills the piece
        options.sort()
        return options, busy, usable

    def _earliest_gap(
        self, piece: int, start: int, length: int, limit: int, busy: set[int]
    ) -> int | None:
        """The earliest tick ``>= start`` at which a downlink of ``length`` ticks on
        ``piece`` ends by ``limit`` without meeting another downlink at its station
        or of its satellite; the pieces met on the way join ``busy``."""
        own = self.prep.pieces[piece]
        met: list[Busy] = []
        for entries in (
            self.station_downlinks.get(own.station, []),
            self.satellite_downlinks.get(own.satellite, []),
        ):
            k = max(0, bisect_left(entries, (start,)) - 1)
            for entry in entries[k:]:
                if entry[0] >= limit:
                    break
                if entry[2] != piece and entry[1] > start:
                    met.append(entry)
        met.sort()
        t = start
        for s, e, p in met:
            if e <= t:
                continue
            if s >= t + length:
                break
            busy.add(p)
            t = e
        return t if t + length <= limit else None

    def memory_peak(
        self,
        satellite: int,
        extra: tuple[int, int, int] | None = None,
        piece: int = -1,
        piece_end: int = 0,
    ) -> int:
        """Largest memory occupancy (kbit) of ``satellite``; ``extra`` adds an
        acquisition ``(start, release, kbit)``; ``piece``/``piece_end`` move the end
        of one downlink."""
        prep = self.prep
        events: list[tuple[int, int]] = []
        for k in self.by_satellite.get(satellite, ()):
            p = self.piece_of[k]
            release = piece_end if p == piece else self.downlink[p][1]
            volume = prep.candidates[k].volume_kbit
            events.append((self.start[k], volume))
            events.append((release, -volume))
        if extra is not None:
            events.append((extra[0], extra[2]))
            events.append((extra[1], -extra[2]))
        return _peak(events, None)

    def memory_fits(self, index: int, start: int, piece: int, dl_end: int) -> bool:
        """Whether the memory of ``index``'s satellite still suffices with ``index``
        acquired at ``start`` and ``piece``'s downlink ending at ``dl_end``.

        Only the window where occupancy grows is examined: from the new acquisition's
        start (or the piece's old downlink end, if earlier) to ``dl_end``; elsewhere
        the schedule is unchanged, and it fits. An acquisition held in that window
        started at most :attr:`Prepared.max_hold` before it.
        """
        prep = self.prep
        pc = prep.candidates[index]
        satellite = pc.satellite
        capacity = prep.capacity_kbit[satellite]
        if self.volume_kbit.get(satellite, 0) + pc.volume_kbit <= capacity:
            return True  # all the data on board at once would fit
        old = self.downlink.get(piece)
        window_lo = start if old is None else min(start, old[1])
        placed = self.satellite_starts.get(satellite, [])
        first = bisect_left(placed, (window_lo - prep.max_hold[satellite],))
        last = bisect_left(placed, (dl_end,))
        events = [(start, pc.volume_kbit), (dl_end, -pc.volume_kbit)]
        for begin, k in placed[first:last]:
            p = self.piece_of[k]
            release = dl_end if p == piece else self.downlink[p][1]
            if release <= window_lo:
                continue
            volume = prep.candidates[k].volume_kbit
            events.append((begin, volume))
            events.append((release, -volume))
        return _peak(events, dl_end) <= capacity

    def try_insert(self, index: int, attempts: int = 3) -> Outcome:
        """Can candidate ``index`` be added without moving anything placed?"""
        prep = self.prep
        pc = prep.candidates[index]
        if not pc.windows:
            return Outcome(False, "blocked_by_owner")
        if not pc.pieces:
            return Outcome(False, "no_downlink")
        starts, blockers = self.free_starts(index)
        if not starts:
            return Outcome(False, "conflict", blockers=tuple(blockers))
        capacity = prep.capacity_kbit[pc.satellite]
        if pc.volume_kbit > capacity:
            return Outcome(False, "memory")
        busy: set[int] = set()
        memory_failed = False
        for lo, _ in starts[:attempts]:
            end = lo + pc.size
            options, in_the_way, _ = self._downlink_options(index, end)
            busy |= in_the_way
            for dl_end, dl_start, p in options:
                if self.memory_fits(index, lo, p, dl_end):
                    return Outcome(True, start=lo, piece=p, dl_start=dl_start, dl_end=dl_end)
                memory_failed = True
        if memory_failed:
            return Outcome(False, "memory")
        return Outcome(False, "no_downlink", busy=tuple(sorted(busy)))

    # --- changes -----------------------------------------------------------------

    def insert(self, index: int, outcome: Outcome) -> None:
        """Add ``index`` as ``outcome`` (from :meth:`try_insert`) says."""
        assert outcome.ok
        self.place(index, outcome.start, outcome.piece, outcome.dl_start, outcome.dl_end)

    def place(self, index: int, start: int, piece: int, dl_start: int, dl_end: int) -> None:
        """Add ``index`` at ``start`` with its data in ``piece``, whose downlink
        becomes ``[dl_start, dl_end]``."""
        pc = self.prep.candidates[index]
        self.start[index] = start
        self.piece_of[index] = piece
        self.served[pc.demand] = index
        self._set_downlink(piece, (dl_start, dl_end))
        self.members.setdefault(piece, []).append(index)
        self.by_instrument.setdefault(pc.instrument, []).append(index)
        self.by_satellite.setdefault(pc.satellite, []).append(index)
        insort(self.starts.setdefault(pc.instrument, []), (start, index))
        insort(self.satellite_starts.setdefault(pc.satellite, []), (start, index))
        self.volume_kbit[pc.satellite] = self.volume_kbit.get(pc.satellite, 0) + pc.volume_kbit

    def remove(self, index: int) -> None:
        """Take ``index`` out; its downlink shrinks to what the others need."""
        pc = self.prep.candidates[index]
        piece = self.piece_of.pop(index)
        start = self.start.pop(index)
        del self.served[pc.demand]
        self.by_instrument[pc.instrument].remove(index)
        self.by_satellite[pc.satellite].remove(index)
        self.starts[pc.instrument].remove((start, index))
        self.satellite_starts[pc.satellite].remove((start, index))
        self.volume_kbit[pc.satellite] -= pc.volume_kbit
        members = self.members[piece]
        members.remove(index)
        if not members:
            del self.members[piece]
            self._set_downlink(piece, None)
            return
        dl_start = self.downlink[piece][0]
        need = sum(self.prep.candidates[k].need(piece) for k in members)
        self._set_downlink(piece, (dl_start, dl_start + need))

    def trim_downlinks(self) -> None:
        """Shorten every downlink to the time its data needs (keeps its start)."""
        for piece, members in self.members.items():
            start, end = self.downlink[piece]
            need = sum(self.prep.candidates[k].need(piece) for k in members)
            self._set_downlink(piece, (start, min(end, start + need)))

    def _set_downlink(self, piece: int, interval: tuple[int, int] | None) -> None:
        """Set (``None``: drop) the downlink of ``piece`` in the map and the indexes."""
        own = self.prep.pieces[piece]
        lists = (
            self.station_downlinks.setdefault(own.station, []),
            self.satellite_downlinks.setdefault(own.satellite, []),
        )
        old = self.downlink.get(piece)
        if old is not None:
            for entries in lists:
                entries.remove((old[0], old[1], piece))
        if interval is None:
            self.downlink.pop(piece, None)
            return
        self.downlink[piece] = interval
        for entries in lists:
            insort(entries, (interval[0], interval[1], piece))

    # --- values ------------------------------------------------------------------

    def chosen(self) -> list[int]:
        return sorted(self.start)


def _peak(events: list[tuple[int, int]], before: int | None) -> int:
    """Largest running sum of ``(tick, delta)`` events (at equal ticks releases,
    which are negative, come first), over events before ``before`` (all if None)."""
    events.sort()
    level = peak = 0
    for tick, delta in events:
        if before is not None and tick >= before:
            break
        level += delta
        peak = max(peak, level)
    return peak
