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

from dataclasses import dataclass, field

from spacepool.planning.prepare import Prepared


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
    """Placed acquisitions (start ticks, assigned piece) and downlinks per piece."""

    prep: Prepared
    start: dict[int, int] = field(default_factory=dict)
    piece_of: dict[int, int] = field(default_factory=dict)
    served: dict[int, int] = field(default_factory=dict)
    downlink: dict[int, tuple[int, int]] = field(default_factory=dict)
    members: dict[int, list[int]] = field(default_factory=dict)
    by_instrument: dict[int, list[int]] = field(default_factory=dict)
    by_satellite: dict[int, list[int]] = field(default_factory=dict)

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
        )

    # --- queries -----------------------------------------------------------------

    def free_starts(self, index: int) -> tuple[list[tuple[int, int]], list[int]]:
        """Start ticks still allowed for ``index`` on its instrument, and the placed
        acquisitions that remove some of its starts."""
        prep = self.prep
        pc = prep.candidates[index]
        windows = list(pc.windows)
        blockers: list[int] = []
        for j in self.by_instrument.get(pc.instrument, ()):
            if prep.same_strip(index, j):
                continue
            pj = prep.candidates[j]
            # index before j: s + size + transition <= start_j; after: s >= end_j + transition
            lo = self.start[j] - pc.size - prep.transition(index, j) + 1
            hi = self.start[j] + pj.size + prep.transition(j, index) - 1
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

    def _busy(self, piece: int) -> list[tuple[int, int, int]]:
        """Downlinks (start, end, piece) sharing the station or satellite of ``piece``."""
        prep = self.prep
        own = prep.pieces[piece]
        out = []
        for p, (s, e) in self.downlink.items():
            if p == piece:
                continue
            other = prep.pieces[p]
            if other.station == own.station or other.satellite == own.satellite:
                out.append((s, e, p))
        out.sort()
        return out

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
        t = start
        for s, e, p in self._busy(piece):
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
        events.sort()  # at equal ticks, releases (negative) come before additions
        level = peak = 0
        for _, delta in events:
            level += delta
            peak = max(peak, level)
        return peak

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
                peak = self.memory_peak(pc.satellite, (lo, dl_end, pc.volume_kbit), p, dl_end)
                if peak <= capacity:
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
        self.downlink[piece] = (dl_start, dl_end)
        self.members.setdefault(piece, []).append(index)
        self.by_instrument.setdefault(pc.instrument, []).append(index)
        self.by_satellite.setdefault(pc.satellite, []).append(index)

    def remove(self, index: int) -> None:
        """Take ``index`` out; its downlink shrinks to what the others need."""
        pc = self.prep.candidates[index]
        piece = self.piece_of.pop(index)
        del self.start[index]
        del self.served[pc.demand]
        self.by_instrument[pc.instrument].remove(index)
        self.by_satellite[pc.satellite].remove(index)
        members = self.members[piece]
        members.remove(index)
        if not members:
            del self.members[piece]
            del self.downlink[piece]
            return
        start = self.downlink[piece][0]
        need = sum(self.prep.candidates[k].need(piece) for k in members)
        self.downlink[piece] = (start, start + need)

    def trim_downlinks(self) -> None:
        """Shorten every downlink to the time its data needs (keeps its start)."""
        for piece, members in self.members.items():
            start, end = self.downlink[piece]
            need = sum(self.prep.candidates[k].need(piece) for k in members)
            self.downlink[piece] = (start, min(end, start + need))

    # --- values ------------------------------------------------------------------

    def chosen(self) -> list[int]:
        return sorted(self.start)
