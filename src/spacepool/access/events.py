"""Event search: where a sampled function is at or above zero, refined in time.

Generic over what the function means. A caller samples ``R`` functions of time
(rows: e.g. one per satellite-station pair) on a common grid, gives their values and
their time derivatives, and a callable that evaluates any row at any time. This module
then finds, for every row, the intervals where the value is ``>= 0``, with their start,
end and peak refined to ``tolerance_s`` — all rows at once, no per-row Python loop.

The method follows Skyfield's ``searchlib`` habit (grid, sign changes with
``flatnonzero(diff(...))``, vectorised refinement of every bracket) with one addition
that matters for short events: the *extrema* of the function are searched too, as sign
changes of the sampled derivative. A maximum between two samples that are both below
zero is refined and, if it reaches zero, yields an interval that threshold crossings
alone would miss (a grazing satellite pass). Minima between two samples that are both
above zero are treated the same way (a dip below the threshold).

Assumptions, which the caller meets by choosing the grid step:

* at most one extremum of the function between consecutive samples;
* near a maximum that may be hidden between samples, the function is concave over the
  step, so the two tangent lines at the samples bound it from above (and convex near a
  minimum). ``peak_margin`` widens this screen for functions that are only nearly so.

Refinement is bracketed and vectorised (Illinois variant of regula falsi with a
bisection safeguard). ``evaluate`` may be an approximation (e.g. Hermite
interpolation of positions between grid samples); then ``exact`` re-evaluates the
peaks and polishes every root with one exact Newton step, falling back to an exact
bracketed search where the Newton step leaves its bracket (grazing events).

Shapes: rows first, time last: values ``(R, N)``; events ``(M,)``.

Typical use::

    value = elevation_deg - mask_deg                 # (R, N) on grid ``seconds`` (N,)
    rate = elevation_rate_deg_s                      # (R, N)
    found = find_intervals(seconds, value, rate, evaluate, tolerance_s=1e-4)
    found.row, found.start_s, found.end_s, found.peak_s, found.peak_value
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

Evaluate = Callable[[IntArray, FloatArray], tuple[FloatArray, FloatArray]]
"""``evaluate(row (K,), seconds (K,)) -> (value (K,), rate (K,))``: row ``row[k]`` at
time ``seconds[k]``; ``rate`` is d(value)/dt in value units per second."""

# Newton polish steps longer than this are not trusted (the first guess was not close
# to the root): the root is searched again within its bracket with ``exact``.
_MAX_POLISH_STEP_S = 1.0
# Exact Newton steps allowed per root before falling back to an exact bracketed search.
_POLISH_STEPS = 4
_MAX_ITERATIONS = 200


@dataclass(frozen=True)
class Intervals:
    """Intervals where a row's function is ``>= 0``, ordered by (row, start).

    All arrays have shape ``(M,)``. Times are seconds on the caller's grid axis.
    ``truncated_start`` / ``truncated_end``: the interval was already under way at the
    first valid sample (the grid start or after invalid samples) / still under way at
    the last one; ``start_s`` / ``end_s`` are then that sample's time.
    ``peak_s`` / ``peak_value``: where the function is largest within the interval.
    """

    row: IntArray
    start_s: FloatArray
    end_s: FloatArray
    peak_s: FloatArray
    peak_value: FloatArray
    truncated_start: BoolArray
    truncated_end: BoolArray

    def __len__(self) -> int:
        return int(self.row.size)

    @classmethod
    def empty(cls) -> Intervals:
        f = np.zeros(0)
        b = np.zeros(0, dtype=bool)
        return cls(np.zeros(0, np.int64), f, f, f, f, b, b)


def grid_seconds(start_s: float, end_s: float, step_s: float) -> FloatArray:
    """Sample times from ``start_s`` to ``end_s`` inclusive, ``step_s`` apart.

    The last step is shortened so that ``end_s`` itself is a sample. Shape ``(N,)``,
    ``N >= 2`` when ``end_s > start_s``.
    """
    if not end_s > start_s:
        return np.array([float(start_s)])
    n = int(np.ceil((end_s - start_s) / step_s - 1e-9))
    seconds = start_s + np.arange(n + 1, dtype=np.float64) * step_s
    seconds[-1] = end_s
    return seconds


def hermite_states(
    seconds: FloatArray,
    position: FloatArray,
    velocity: FloatArray,
    row: IntArray,
    at_s: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Cubic Hermite interpolation of sampled positions using their velocities.

    ``seconds``: ``(N,)`` increasing; ``position``, ``velocity``: ``(R, 3, N)`` (any
    length unit, that unit per second). Returns position and velocity of row ``row[k]``
    at ``at_s[k]``, each ``(3, K)``. The interpolation error over a step ``h`` is at most
    ``h**4 / 384 * max|x''''|`` (e.g. about 6 m for a 400 km orbit with ``h = 120 s``).
    """
    t = np.asarray(at_s, dtype=np.float64)
    r_idx = np.asarray(row, dtype=np.int64)
    i = np.clip(np.searchsorted(seconds, t, side="right") - 1, 0, seconds.size - 2)
    t0 = seconds[i]
    h = seconds[i + 1] - t0
    u = (t - t0) / h
    u2 = u * u
    u3 = u2 * u
    h00 = 2.0 * u3 - 3.0 * u2 + 1.0
    h10 = (u3 - 2.0 * u2 + u) * h
    h01 = -2.0 * u3 + 3.0 * u2
    h11 = (u3 - u2) * h
    d00 = (6.0 * u2 - 6.0 * u) / h
    d10 = 3.0 * u2 - 4.0 * u + 1.0
    d01 = -d00
    d11 = 3.0 * u2 - 2.0 * u
    p0 = position[r_idx, :, i].T  # (3, K)
    p1 = position[r_idx, :, i + 1].T
    v0 = velocity[r_idx, :, i].T
    v1 = velocity[r_idx, :, i + 1].T
    p = h00 * p0 + h10 * v0 + h01 * p1 + h11 * v1
    v = d00 * p0 + d10 * v0 + d01 * p1 + d11 * v1
    return p, v


class HermiteTable:
    """Cubic Hermite interpolation of many sampled trajectories, built once.

    Same result as :func:`hermite_states`, faster when called many times on the same
    samples: each sample stores its own position and velocity and those of the next
    sample as one column of a ``(12, R * N)`` table, so one ``take`` gathers a step's
    twelve numbers into contiguous rows; a uniform grid (all steps equal but possibly
    the last) is indexed by division instead of a search.
    """

    def __init__(self, seconds: FloatArray, position: FloatArray, velocity: FloatArray) -> None:
        self.seconds = np.ascontiguousarray(seconds, dtype=np.float64)
        n = self.seconds.size
        if n < 2:
            raise ValueError("interpolation needs at least two samples")
        rows = position.shape[0]
        table = np.empty((12, rows, n))
        table[0:3] = np.moveaxis(position, 1, 0)
        table[3:6] = np.moveaxis(velocity, 1, 0)
        table[6:12, :, :-1] = table[0:6, :, 1:]
        table[6:12, :, -1] = table[0:6, :, -1]
        self._table = table.reshape(12, rows * n)
        self._n = n
        steps = np.diff(self.seconds)
        self._step = float(steps[0])
        self._uniform = bool(n < 3 or np.all(steps[:-1] == self._step))

    def _index(self, t: FloatArray) -> IntArray:
        if self._uniform:
            i = np.floor((t - self.seconds[0]) / self._step).astype(np.int64)
            i = np.clip(i, 0, self._n - 2)
            # The last step may be shorter: move back where t is before its start.
            i -= (t < self.seconds[i]) & (i > 0)
            result: IntArray = i
            return result
        found: IntArray = np.searchsorted(self.seconds, t, side="right") - 1
        return np.clip(found, 0, self._n - 2)

    def samples(self, row: IntArray, index: IntArray) -> tuple[FloatArray, FloatArray]:
        """The stored position and velocity of row ``row[k]`` at sample ``index[k]``:
        each ``(3, K)`` (a fast gather; no interpolation)."""
        flat = np.asarray(row, dtype=np.int64) * self._n + np.asarray(index, dtype=np.int64)
        b = np.take(self._table[0:6], flat, axis=1)
        return b[0:3], b[3:6]

    def states(self, row: IntArray, at_s: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Position and velocity of row ``row[k]`` at ``at_s[k]``: each ``(3, K)``."""
        t = np.asarray(at_s, dtype=np.float64)
        i = self._index(t)
        b = np.take(self._table, np.asarray(row, dtype=np.int64) * self._n + i, axis=1)
        p0, v0, p1, v1 = b[0:3], b[3:6], b[6:9], b[9:12]
        t0 = self.seconds[i]
        h = self.seconds[i + 1] - t0
        u = (t - t0) / h
        u2 = u * u
        u3 = u2 * u
        h00 = 2.0 * u3 - 3.0 * u2 + 1.0
        h10 = (u3 - 2.0 * u2 + u) * h
        h01 = 1.0 - h00
        h11 = (u3 - u2) * h
        d00 = (6.0 * u2 - 6.0 * u) / h
        d10 = 3.0 * u2 - 4.0 * u + 1.0
        d11 = 3.0 * u2 - 2.0 * u
        p = h00 * p0 + h10 * v0 + h01 * p1 + h11 * v1
        v = d00 * (p0 - p1) + d10 * v0 + d11 * v1
        return p, v


def bracketed_roots(
    func: Callable[[IntArray, FloatArray], FloatArray],
    row: IntArray,
    lo_s: FloatArray,
    hi_s: FloatArray,
    value_lo: FloatArray,
    value_hi: FloatArray,
    *,
    tolerance_s: float,
) -> FloatArray:
    """A root of ``func(row, t)`` in every bracket ``[lo_s[k], hi_s[k]]``, to ``tolerance_s``.

    ``value_lo`` / ``value_hi`` are the function's values at the bracket ends and must
    not have the same strict sign (a zero end is returned as the root). All brackets are
    refined together: each iteration calls ``func`` once on the still-open ones.
    Secant steps through the two latest iterates (superlinear, as in Dekker's method),
    replaced by bisection whenever they would leave the current bracket, and every
    eighth iteration, so the bracket always shrinks. Stops when a step or the bracket is
    below ``tolerance_s``. Returns ``(K,)``.
    """
    a = np.array(lo_s, dtype=np.float64)
    b = np.array(hi_s, dtype=np.float64)
    fa = np.array(value_lo, dtype=np.float64)
    fb = np.array(value_hi, dtype=np.float64)
    rows = np.asarray(row, dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        x = (a * fb - b * fa) / (fb - fa)  # first step: regula falsi
    x = np.where(np.isfinite(x), x, 0.5 * (a + b))
    x[fa == 0.0] = a[fa == 0.0]
    x[fb == 0.0] = b[fb == 0.0]
    # The previous iterate: the bracket end farther from the falsi point.
    far_b = (b - x) > (x - a)
    x_prev = np.where(far_b, b, a)
    f_prev = np.where(far_b, fb, fa)
    active = np.flatnonzero((fa != 0.0) & (fb != 0.0) & np.greater(b - a, tolerance_s))
    for iteration in range(_MAX_ITERATIONS):
        if active.size == 0:
            break
        X = x[active]
        fx = func(rows[active], X)
        A, B, FA = a[active], b[active], fa[active]
        same_as_a = np.sign(fx) == np.sign(FA)
        A = np.where(same_as_a, X, A)
        B = np.where(same_as_a, B, X)
        FA = np.where(same_as_a, fx, FA)
        XP, FP = x_prev[active], f_prev[active]
        with np.errstate(invalid="ignore", divide="ignore"):
            new = X - fx * (X - XP) / (fx - FP)
        inside = np.isfinite(new) & (new > A) & (new < B) & (iteration % 8 != 7)
        new = np.where(inside, new, 0.5 * (A + B))
        a[active], b[active], fa[active] = A, B, FA
        x_prev[active], f_prev[active] = X, fx
        x[active] = np.where(fx == 0.0, X, new)
        done = (fx == 0.0) | (inside & np.less(np.abs(new - X), tolerance_s))
        done |= np.less(B - A, tolerance_s)
        active = active[~done]
    return x


def _newton_roots(
    evaluate: Evaluate,
    row: IntArray,
    lo_s: FloatArray,
    hi_s: FloatArray,
    value_lo: FloatArray,
    value_hi: FloatArray,
    tolerance_s: float,
) -> FloatArray:
    """Bracketed roots by safeguarded Newton iteration (``evaluate`` gives the rate).

    Starts from the regula falsi point; a Newton step that leaves the current bracket
    is replaced by bisection. Stops when the step or the bracket is below
    ``tolerance_s``. Returns ``(K,)``.
    """
    a = np.array(lo_s, dtype=np.float64)
    b = np.array(hi_s, dtype=np.float64)
    fa = np.array(value_lo, dtype=np.float64)
    fb = np.array(value_hi, dtype=np.float64)
    rows = np.asarray(row, dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        x = (a * fb - b * fa) / (fb - fa)
    x = np.where(np.isfinite(x), x, 0.5 * (a + b))
    x[fa == 0.0] = a[fa == 0.0]
    x[fb == 0.0] = b[fb == 0.0]
    active = np.flatnonzero((fa != 0.0) & (fb != 0.0))
    for _ in range(_MAX_ITERATIONS):
        if active.size == 0:
            break
        X = x[active]
        fx, dx = evaluate(rows[active], X)
        A, B, FA = a[active], b[active], fa[active]
        same_as_a = np.sign(fx) == np.sign(FA)
        A = np.where(same_as_a, X, A)
        B = np.where(same_as_a, B, X)
        FA = np.where(same_as_a, fx, FA)
        with np.errstate(invalid="ignore", divide="ignore"):
            step = fx / dx
        new = X - step
        inside = np.isfinite(new) & (new > A) & (new < B)
        new = np.where(inside, new, 0.5 * (A + B))
        a[active], b[active], fa[active] = A, B, FA
        x[active] = np.where(fx == 0.0, X, new)
        # A step below the tolerance ends the search even where rounding noise in ``fx``
        # sends it a hair outside the bracket.
        small = np.less(np.abs(step), tolerance_s)
        x[active] = np.where(small & ~inside, np.clip(X - step, A, B), x[active])
        done = (fx == 0.0) | small | np.less(B - A, tolerance_s)
        active = active[~done]
    return x


def find_intervals(
    seconds: FloatArray,
    value: FloatArray,
    rate: FloatArray,
    evaluate: Evaluate,
    *,
    exact: Evaluate | None = None,
    tolerance_s: float = 1e-4,
    peak_margin: float = 0.0,
) -> Intervals:
    """Intervals where each row's function is ``>= 0``, refined to ``tolerance_s``.

    ``seconds``: ``(N,)`` increasing sample times; ``value`` and ``rate`` (its time
    derivative): ``(R, N)``. Non-finite samples are invalid: intervals stop at the last
    valid sample before them and are marked truncated there, like at the grid ends.
    ``evaluate`` gives value and rate anywhere (see :data:`Evaluate`); when it only
    approximates the function, pass the true function as ``exact``: peaks are then
    re-evaluated with it and every root polished with one exact Newton step (or searched
    again with it where that step is not trusted). The grid values themselves must be
    exact.

    A maximum whose two neighbouring samples are both below zero is refined only when
    its tangent-line bound reaches ``-peak_margin`` (see the module docstring); likewise
    a minimum between two samples at or above zero when its bound reaches
    ``+peak_margin``. Returns :class:`Intervals` ordered by row, then start.
    """
    t = np.asarray(seconds, dtype=np.float64)
    f = np.asarray(value, dtype=np.float64)
    d = np.asarray(rate, dtype=np.float64)
    if f.ndim != 2 or d.shape != f.shape or f.shape[1] != t.size:
        raise ValueError(f"value and rate must have shape (R, {t.size}); got {f.shape}, {d.shape}")
    n_rows, n = f.shape
    if n_rows == 0 or n == 0:
        return Intervals.empty()
    # Dense work is kept to a few passes over (R, N); everything after is sparse.
    all_valid = bool(np.isfinite(f).all() and np.isfinite(d).all())
    valid = np.isfinite(f) & np.isfinite(d) if not all_valid else None
    above = f >= 0.0  # NaN compares False: invalid samples are never above

    def step_ok(rows: IntArray, steps: IntArray) -> BoolArray:
        if valid is None:
            return np.ones(rows.size, dtype=bool)
        ok: BoolArray = valid[rows, steps] & valid[rows, steps + 1]
        return ok

    # --- extrema between samples (sign changes of the derivative) ------------------
    rising_d = d > 0.0
    ext_row, ext_step = np.nonzero(rising_d[:, :-1] != rising_d[:, 1:])
    ok = step_ok(ext_row, ext_step)
    ext_row, ext_step = ext_row[ok], ext_step[ok]
    f0, f1 = f[ext_row, ext_step], f[ext_row, ext_step + 1]
    d0, d1 = d[ext_row, ext_step], d[ext_row, ext_step + 1]
    t0, t1 = t[ext_step], t[ext_step + 1]
    is_max = d0 > 0.0  # then d1 <= 0; otherwise d0 <= 0 < d1, a minimum
    a0, a1 = f0 >= 0.0, f1 >= 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        # Where the two tangent lines meet: an upper bound of a concave function
        # over the step (a lower bound of a convex one).
        tx = (f1 - f0 + d0 * t0 - d1 * t1) / (d0 - d1)
        bound = f0 + d0 * (tx - t0)
    bound = np.where(np.isfinite(bound), bound, np.where(is_max, np.inf, -np.inf))
    keep_max = is_max & (a0 | a1 | (np.maximum(bound, np.maximum(f0, f1)) >= -peak_margin))
    keep_min = ~is_max & a0 & a1 & (np.minimum(bound, np.minimum(f0, f1)) <= peak_margin)
    keep = keep_max | keep_min
    ext_row, ext_step, ext_is_max = ext_row[keep], ext_step[keep], is_max[keep]
    ext_t = bracketed_roots(
        lambda r, s: evaluate(r, s)[1],
        ext_row,
        t[ext_step],
        t[ext_step + 1],
        d0[keep],
        d1[keep],
        tolerance_s=tolerance_s,
    )
    ext_f = (exact or evaluate)(ext_row, ext_t)[0] if ext_row.size else np.zeros(0)
    ext_above = ext_f >= 0.0
    # A non-finite evaluation keeps the sign of the step's start: no spurious event.
    bad_ext = ~np.isfinite(ext_f)
    ext_above[bad_ext] = above[ext_row[bad_ext], ext_step[bad_ext]]

    # --- crossings: pieces are whole steps, or the halves around an extremum --------
    has_ext = np.zeros((n_rows, n - 1), dtype=bool)
    has_ext[ext_row, ext_step] = True
    plain_row, plain_step = np.nonzero(above[:, :-1] != above[:, 1:])
    ok = step_ok(plain_row, plain_step) & ~has_ext[plain_row, plain_step]
    plain_row, plain_step = plain_row[ok], plain_step[ok]
    first = above[ext_row, ext_step] != ext_above  # crossing in [t_k, extremum]
    second = ext_above != above[ext_row, ext_step + 1]  # crossing in [extremum, t_k+1]

    cross_row = np.concatenate((plain_row, ext_row[first], ext_row[second]))
    cross_step = np.concatenate((plain_step, ext_step[first], ext_step[second]))
    lo = np.concatenate((t[plain_step], t[ext_step[first]], ext_t[second]))
    hi = np.concatenate((t[plain_step + 1], ext_t[first], t[ext_step[second] + 1]))
    f_lo = np.concatenate(
        (f[plain_row, plain_step], f[ext_row[first], ext_step[first]], ext_f[second])
    )
    f_hi = np.concatenate(
        (f[plain_row, plain_step + 1], ext_f[first], f[ext_row[second], ext_step[second] + 1])
    )
    # Rates at the piece ends (zero at an extremum): their slope estimates the
    # curvature, which tells when one exact Newton step is already accurate enough.
    d_lo = np.concatenate(
        (d[plain_row, plain_step], d[ext_row[first], ext_step[first]], np.zeros(int(second.sum())))
    )
    d_hi = np.concatenate(
        (d[plain_row, plain_step + 1], np.zeros(int(first.sum())),
         d[ext_row[second], ext_step[second] + 1])
    )  # fmt: skip
    with np.errstate(invalid="ignore", divide="ignore"):
        curvature = np.abs(d_hi - d_lo) / (hi - lo)
    rising = f_hi >= 0.0
    # Order key within a step: 2 = whole step or first half, 4 = second half.
    sub = np.concatenate(
        (np.full(plain_row.size, 2), np.full(int(first.sum()), 2), np.full(int(second.sum()), 4))
    )
    cross_t = _newton_roots(evaluate, cross_row, lo, hi, f_lo, f_hi, tolerance_s)
    if exact is not None and cross_t.size:
        cross_t = _polish_roots(
            exact, cross_row, cross_t, lo, hi, f_lo, f_hi, tolerance_s, curvature
        )

    # --- boundaries of valid stretches -------------------------------------------------
    if valid is None:
        bstart_row = np.flatnonzero(above[:, 0])
        bstart_k = np.zeros(bstart_row.size, dtype=np.int64)
        bend_row = np.flatnonzero(above[:, -1])
        bend_k = np.full(bend_row.size, n - 1, dtype=np.int64)
    else:
        prev_valid = np.zeros_like(valid)
        prev_valid[:, 1:] = valid[:, :-1]
        next_valid = np.zeros_like(valid)
        next_valid[:, :-1] = valid[:, 1:]
        bstart_row, bstart_k = np.nonzero(above & ~prev_valid)
        bend_row, bend_k = np.nonzero(above & ~next_valid)

    # --- one sorted event list: +1 start, -1 end, 0 peak candidate ------------------
    peak_sel = ext_is_max & ext_above
    ev_row = np.concatenate((bstart_row, bend_row, cross_row, ext_row[peak_sel])).astype(np.int64)
    ev_key = np.concatenate(
        (8 * bstart_k, 8 * bend_k + 1, 8 * cross_step + sub, 8 * ext_step[peak_sel] + 3)
    ).astype(np.int64)
    ev_kind = np.concatenate(
        (
            np.ones(bstart_row.size, np.int8),
            -np.ones(bend_row.size, np.int8),
            np.where(rising, 1, -1).astype(np.int8),
            np.zeros(int(peak_sel.sum()), np.int8),
        )
    )
    ev_t = np.concatenate((t[bstart_k], t[bend_k], cross_t, ext_t[peak_sel]))
    ev_f = np.concatenate((f[bstart_row, bstart_k], f[bend_row, bend_k],
                           np.zeros(cross_t.size), ext_f[peak_sel]))  # fmt: skip
    order = np.lexsort((ev_key, ev_row))
    ev_row, ev_kind, ev_t, ev_f = ev_row[order], ev_kind[order], ev_t[order], ev_f[order]
    ev_trunc = np.concatenate(
        (
            np.ones(bstart_row.size, bool),
            np.ones(bend_row.size, bool),
            np.zeros(cross_t.size + int(peak_sel.sum()), bool),
        )
    )[order]

    starts = np.flatnonzero(ev_kind == 1)
    ends = np.flatnonzero(ev_kind == -1)
    if (
        starts.size != ends.size or np.any(ev_row[starts] != ev_row[ends]) or np.any(ends < starts)
    ):  # pragma: no cover - impossible by construction; kept as a loud guard
        raise AssertionError("event search produced unpaired interval boundaries")
    m = starts.size
    if m == 0:
        return Intervals.empty()
    interval_of = np.cumsum(ev_kind == 1) - 1  # index of the latest start, per event
    # Peak: the largest candidate inside the interval (maxima and both ends).
    cand = np.flatnonzero(ev_kind == 0)
    cand = cand[interval_of[cand] >= 0]
    idx = np.concatenate((np.arange(m), np.arange(m), interval_of[cand]))
    cand_t = np.concatenate((ev_t[starts], ev_t[ends], ev_t[cand]))
    cand_f = np.concatenate((ev_f[starts], ev_f[ends], ev_f[cand]))
    best = np.lexsort((-cand_f, idx))
    first_of = np.r_[True, np.diff(idx[best]) != 0]
    pick = best[first_of]
    return Intervals(
        row=ev_row[starts],
        start_s=ev_t[starts],
        end_s=ev_t[ends],
        peak_s=cand_t[pick],
        peak_value=cand_f[pick],
        truncated_start=ev_trunc[starts],
        truncated_end=ev_trunc[ends],
    )


def peaks_within(
    seconds: FloatArray,
    value: FloatArray,
    rate: FloatArray,
    evaluate: Evaluate,
    row: IntArray,
    start_s: FloatArray,
    end_s: FloatArray,
    *,
    exact: Evaluate | None = None,
    tolerance_s: float = 1e-4,
) -> tuple[FloatArray, FloatArray]:
    """Where each row's function is largest within given intervals.

    ``seconds``, ``value``, ``rate``, ``evaluate``, ``exact`` as in
    :func:`find_intervals` (here the function may be another one than the one whose
    intervals were found, e.g. the elevation itself when the intervals came from an
    azimuth-dependent mask). ``row``, ``start_s``, ``end_s``: ``(M,)`` intervals, which
    must not overlap within a row. Candidates are the interval ends and every maximum
    of the sampled derivative inside; returns ``(peak_s (M,), peak_value (M,))``.
    """
    t = np.asarray(seconds, dtype=np.float64)
    d = np.asarray(rate, dtype=np.float64)
    iv_row = np.asarray(row, dtype=np.int64)
    start = np.asarray(start_s, dtype=np.float64)
    end = np.asarray(end_s, dtype=np.float64)
    m = iv_row.size
    if m == 0:
        return np.zeros(0), np.zeros(0)
    func = exact or evaluate
    # Ends first: always candidates.
    cand_iv = [np.arange(m), np.arange(m)]
    cand_t = [start, end]
    cand_f = [func(iv_row, start)[0], func(iv_row, end)[0]]
    # Maxima of the samples whose step overlaps an interval of the same row.
    rising_d = d > 0.0
    mrow, mk = np.nonzero(rising_d[:, :-1] & ~rising_d[:, 1:] & np.isfinite(d[:, 1:]))
    if mrow.size:
        order = np.lexsort((start, iv_row))
        key_iv = _row_time_key(iv_row[order], start[order], t[0])
        pos = np.searchsorted(key_iv, _row_time_key(mrow, t[mk + 1], t[0]), side="right") - 1
        hit = pos >= 0
        pos = np.where(hit, pos, 0)
        owner = order[pos]
        hit &= (iv_row[owner] == mrow) & (end[owner] >= t[mk])
        mrow, mk, owner = mrow[hit], mk[hit], owner[hit]
        peak_t = bracketed_roots(
            lambda r, s: evaluate(r, s)[1],
            mrow,
            t[mk],
            t[mk + 1],
            d[mrow, mk],
            d[mrow, mk + 1],
            tolerance_s=tolerance_s,
        )
        inside = (peak_t >= start[owner]) & (peak_t <= end[owner])
        cand_iv.append(owner[inside])
        cand_t.append(peak_t[inside])
        cand_f.append(func(mrow[inside], peak_t[inside])[0])
    idx = np.concatenate(cand_iv)
    times = np.concatenate(cand_t)
    values = np.concatenate(cand_f)
    values = np.where(np.isfinite(values), values, -np.inf)
    best = np.lexsort((-values, idx))
    pick = best[np.r_[True, np.diff(idx[best]) != 0]]
    return times[pick], values[pick]


def _row_time_key(row: IntArray, time_s: FloatArray, origin_s: float) -> IntArray:
    """Sortable int64 key of (row, time) at 1 ms resolution (rows below 2**23)."""
    ms = np.floor((np.asarray(time_s) - origin_s) * 1000.0).astype(np.int64)
    key: IntArray = (row.astype(np.int64) << 40) + np.clip(ms, 0, (1 << 40) - 1)
    return key


def _polish_roots(
    exact: Evaluate,
    row: IntArray,
    guess: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    f_lo: FloatArray,
    f_hi: FloatArray,
    tolerance_s: float,
    curvature: FloatArray,
) -> FloatArray:
    """Exact Newton steps from approximate roots; exact bracketing where unsafe.

    After a Newton step of length ``h`` the error is about ``|f''| h**2 / (2 |f'|)``;
    with ``curvature`` (an estimate of ``|f''|`` over the bracket) taken ten times over,
    a step whose error bound is below ``tolerance_s`` ends the polish. Grazing
    crossings, where the slope is small, take a few steps.
    """
    out = np.array(guess, dtype=np.float64)
    active = np.arange(out.size)
    redo: list[IntArray] = []
    for _ in range(_POLISH_STEPS):
        if active.size == 0:
            break
        x = out[active]
        value, rate = exact(row[active], x)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = value / rate
        new = x - step
        ok = np.isfinite(new) & (np.abs(step) <= _MAX_POLISH_STEP_S)
        ok &= (new >= lo[active]) & (new <= hi[active])
        out[active] = np.where(ok, new, x)
        redo.append(active[~ok])
        with np.errstate(invalid="ignore", divide="ignore"):
            error_bound = 10.0 * curvature[active] * step * step / (2.0 * np.abs(rate))
        converged = np.less(np.abs(step), tolerance_s) | np.less(error_bound, tolerance_s)
        active = active[ok & ~converged]
    redo.append(active)  # not converged within the allowed steps
    again = np.concatenate(redo)
    if again.size:
        out[again] = bracketed_roots(
            lambda r, s: exact(r, s)[0],
            row[again],
            lo[again],
            hi[again],
            f_lo[again],
            f_hi[again],
            tolerance_s=tolerance_s,
        )
    return out
