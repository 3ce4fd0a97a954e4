"""Sets of time windows as columns, and the set operations the searches need.

A :class:`Windows` holds ``M`` windows of many rows (a row is e.g. one sensor-target
pair) as ``(M,)`` arrays sorted by row, then start; intersection with and subtraction
of other interval sets, and merging, work on all rows at once (``searchsorted`` on
row-separated keys), without a Python loop per window.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

# Windows of a row closer than this (s) are one window.
MERGE_GAP_S = 1e-6


@dataclass(frozen=True)
class Windows:
    """Windows as columns ``(M,)``: row, start, end and truncation flags."""

    row: IntArray
    start_s: FloatArray
    end_s: FloatArray
    truncated_start: BoolArray
    truncated_end: BoolArray

    def __len__(self) -> int:
        return int(self.row.size)

    def take(self, idx: IntArray, start: FloatArray, end: FloatArray) -> Windows:
        return Windows(
            self.row[idx], start, end,
            self.truncated_start[idx] & (start == self.start_s[idx]),
            self.truncated_end[idx] & (end == self.end_s[idx]),
        )  # fmt: skip

    def intersect(
        self,
        constrained: BoolArray,
        key_of_row: IntArray,
        other: tuple[IntArray, FloatArray, FloatArray],
        span_s: float,
    ) -> Windows:
        """Cut windows of rows with ``constrained[row]`` to ``other`` (``key``, start,
        end; disjoint per key), matched through ``key_of_row[row]``."""
        keep = ~constrained[self.row]
        idx = np.flatnonzero(~keep)
        b_key, b_start, b_end = other
        a_key = key_of_row[self.row[idx]]
        lo, count = overlaps(a_key, self.start_s[idx], self.end_s[idx],
                              b_key, b_start, b_end, span_s)  # fmt: skip
        a, first = expand_count(count)
        b = lo[a] + first
        start = np.maximum(self.start_s[idx][a], b_start[b])
        end = np.minimum(self.end_s[idx][a], b_end[b])
        ok = end > start
        pieces = self.take(idx[a][ok], start[ok], end[ok])
        kept = self.take(np.flatnonzero(keep), self.start_s[keep], self.end_s[keep])
        return concat(kept, pieces)

    def subtract(
        self, b_row: IntArray, b_start: FloatArray, b_end: FloatArray, span_s: float
    ) -> Windows:
        """Remove the intervals ``(b_row, b_start, b_end)`` (disjoint per row)."""
        if b_row.size == 0:  # nothing to remove (and nothing to index below)
            return self
        order = np.lexsort((b_start, b_row))
        b_row, b_start, b_end = b_row[order], b_start[order], b_end[order]
        lo, count = overlaps(self.row, self.start_s, self.end_s, b_row, b_start, b_end, span_s)
        # A window overlapped by c intervals leaves up to c + 1 pieces.
        a, k = expand_count(count + 1)
        j = lo[a] + k  # the interval ending the piece (or none for the last piece)
        start = np.where(k == 0, self.start_s[a], b_end[np.maximum(j - 1, 0)])
        end = np.where(k == count[a], self.end_s[a], b_start[np.minimum(j, b_start.size - 1)])
        start = np.maximum(start, self.start_s[a])
        end = np.minimum(end, self.end_s[a])
        ok = end > start
        return self.take(a[ok], start[ok], end[ok])


def concat(x: Windows, y: Windows) -> Windows:
    out = Windows(*(np.concatenate((p, q)) for p, q in zip(
        (x.row, x.start_s, x.end_s, x.truncated_start, x.truncated_end),
        (y.row, y.start_s, y.end_s, y.truncated_start, y.truncated_end),
        strict=True,
    )))  # fmt: skip
    order = np.lexsort((out.start_s, out.row))
    return Windows(out.row[order], out.start_s[order], out.end_s[order],
                    out.truncated_start[order], out.truncated_end[order])  # fmt: skip


def expand_count(count: IntArray) -> tuple[IntArray, IntArray]:
    """``(owner, k)`` with ``owner`` repeated ``count`` times and ``k = 0..count-1``."""
    owner = np.repeat(np.arange(count.size), count)
    first = np.cumsum(count) - count
    return owner, np.arange(owner.size) - first[owner]


def overlaps(
    a_key: IntArray,
    a_start: FloatArray,
    a_end: FloatArray,
    b_key: IntArray,
    b_start: FloatArray,
    b_end: FloatArray,
    span_s: float,
) -> tuple[IntArray, IntArray]:
    """For each interval A, the first B of the same key overlapping it and how many do.

    B must be sorted by (key, start) and disjoint within a key. Keys are separated by
    offsetting times by ``key * (span + margin)``, so one ``searchsorted`` serves all
    keys; the offset times decide only the order, the returned times stay exact.
    """
    pad = span_s + 1.0e5
    b_end_k = b_key * pad + b_end
    b_start_k = b_key * pad + b_start
    lo = np.searchsorted(b_end_k, a_key * pad + a_start, side="right")
    hi = np.searchsorted(b_start_k, a_key * pad + a_end, side="left")
    return lo.astype(np.int64), np.maximum(hi - lo, 0).astype(np.int64)


def merge_rows(win: Windows, extra: Windows) -> Windows:
    """``win`` with ``extra`` windows added, overlapping or touching windows of a row
    merged (a merged window keeps the truncation flags of the windows at its ends).

    One pass per row that has extra windows: those are (sensor, area) pairs, few.
    """
    if len(extra) == 0:
        return win
    touched = np.unique(extra.row)
    keep = ~np.isin(win.row, touched)
    parts = [win.take(np.flatnonzero(keep), win.start_s[keep], win.end_s[keep])]
    both = concat(win.take(np.flatnonzero(~keep), win.start_s[~keep], win.end_s[~keep]), extra)
    bounds = np.r_[0, np.flatnonzero(np.diff(both.row)) + 1, len(both)]
    for a, b in pairwise(bounds):
        start, end = both.start_s[a:b], both.end_s[a:b]
        reach = np.maximum.accumulate(end)
        begins = np.r_[True, start[1:] > reach[:-1] + MERGE_GAP_S]
        first = np.flatnonzero(begins)
        last = np.r_[first[1:] - 1, start.size - 1]
        group = np.cumsum(begins) - 1
        ends = reach[last]
        t_start = np.zeros(first.size, dtype=bool)
        t_end = np.zeros(first.size, dtype=bool)
        at_start = start == start[first][group]
        at_end = end == ends[group]
        np.logical_or.at(t_start, group[at_start], both.truncated_start[a:b][at_start])
        np.logical_or.at(t_end, group[at_end], both.truncated_end[a:b][at_end])
        parts.append(Windows(both.row[a:b][first], start[first], ends, t_start, t_end))
    out = parts[0]
    for part in parts[1:]:
        out = concat(out, part)
    return out


__all__ = ["MERGE_GAP_S", "Windows", "concat", "expand_count", "merge_rows", "overlaps"]
