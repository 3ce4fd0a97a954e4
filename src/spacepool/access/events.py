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
# Crossings that an exact polish follows are located on the approximate ``evaluate``
# only to this (s): closer is wasted, since the approximation itself puts the root
# off by more (a cubic Hermite interpolation of LEO positions on a 240 s grid: up to
# about 20 ms), and one exact Newton step from 20 ms leaves microseconds.
_COARSE_TOLERANCE_S = 1e-2


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
    sample as one row of twelve numbers of an ``(R * N, 12)`` table, so a step's data
    is gathered from one place in memory (1.5 cache lines, not 12) and transposed into
    contiguous ``(12, K)`` rows; a uniform grid (all steps equal but possibly the last)
    is indexed by division instead of a search.
    """

    def __init__(self, seconds: FloatArray, position: FloatArray, velocity: FloatArray) -> None:
        self.seconds = np.ascontiguousarray(seconds, dtype=np.float64)
        n = self.seconds.size
        if n < 2:
            raise ValueError("interpolation needs at least two samples")
        rows = position.shape[0]
        table = np.empty((rows, n, 12))
        table[:, :, 0:3] = np.moveaxis(position, 1, 2)
        table[:, :, 3:6] = np.moveaxis(velocity, 1, 2)
        table[:, :-1, 6:12] = table[:, 1:, 0:6]
        table[:, -1, 6:12] = table[:, -1, 0:6]
        self._table = table.reshape(rows * n, 12)
        # The samples alone, component-first, for fast gathers of whole grid samples.
        self._samples = np.concatenate(
            (np.moveaxis(position, 1, 0).reshape(3, rows * n),
             np.moveaxis(velocity, 1, 0).reshape(3, rows * n))
        )  # fmt: skip
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
        b = np.take(self._samples, flat, axis=1)
        return b[0:3], b[3:6]

    def positions(self, row: IntArray, at_s: FloatArray) -> FloatArray:
        """Position of row ``row[k]`` at ``at_s[k]``, ``(3, K)`` (no velocity: cheaper)."""
        t = np.asarray(at_s, dtype=np.float64)
        i = self._index(t)
        flat = np.asarray(row, dtype=np.int64) * self._n + i
        b = np.take(self._table, flat, axis=0).T.copy()
        t0 = self.seconds[i]
        h = self.seconds[i + 1] - t0
        u = (t - t0) / h
        u2 = u * u
        u3 = u2 * u
        h00 = 2.0 * u3 - 3.0 * u2 + 1.0
        p: FloatArray = h00 * (b[0:3] - b[6:9]) + b[6:9]
        p += ((u3 - 2.0 * u2 + u) * h) * b[3:6]
        p += ((u3 - u2) * h) * b[9:12]
        return p

    def states(self, row: IntArray, at_s: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Position and velocity of row ``row[k]`` at ``at_s[k]``: each ``(3, K)``."""
        t = np.asarray(at_s, dtype=np.float64)
        i = self._index(t)
        flat = np.asarray(row, dtype=np.int64) * self._n + i
        b = np.take(self._table, flat, axis=0).T.copy()
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
    guess_s: FloatArray | None = None,
    guess_slope: FloatArray | None = None,
) -> FloatArray:
    """A root of ``func(row, t)`` in every bracket ``[lo_s[k], hi_s[k]]``, to ``tolerance_s``.

    ``value_lo`` / ``value_hi`` are the function's values at the bracket ends and must
    not have the same strict sign (a zero end is returned as the root). All brackets are
    refined together: each iteration calls ``func`` once on the still-open ones.
    The first iterate is ``guess_s`` where given and inside its bracket, else the
    regula falsi point; from there, a Newton step with ``guess_slope`` (an estimate of
    the function's slope at ``guess_s``) where given, else a secant step through the
    farther bracket end. Then secant steps through the two latest iterates
    (superlinear, as in Dekker's method), replaced by bisection whenever they would
    leave the current bracket, and every eighth iteration, so the bracket always
    shrinks. Stops when a step or the bracket is below ``tolerance_s``. Returns ``(K,)``.
    """
    a = np.asarray(lo_s, dtype=np.float64)
    b = np.asarray(hi_s, dtype=np.float64)
    fa = np.asarray(value_lo, dtype=np.float64)
    fb = np.asarray(value_hi, dtype=np.float64)
    x = _first_iterate(a, b, fa, fb, guess_s)
    # The previous iterate: the bracket end farther from the first one.
    far_b = (b - x) > (x - a)
    active = np.flatnonzero((fa != 0.0) & (fb != 0.0) & np.greater(b - a, tolerance_s))
    # The open brackets' state, compacted as brackets close (no scatter per iteration).
    rows = np.asarray(row, dtype=np.int64)[active]
    A, B, FA, X = a[active], b[active], fa[active], x[active]
    XP = np.where(far_b, b, a)[active]
    FP = np.where(far_b, fb, fa)[active]
    slope = None if guess_slope is None else np.asarray(guess_slope, dtype=np.float64)[active]
    for iteration in range(_MAX_ITERATIONS):
        if active.size == 0:
            break
        fx = func(rows, X)
        if iteration == 0 and slope is not None:
            # A previous point 1 s back on the tangent: the secant step is then the
            # Newton step with the estimated slope.
            use = np.isfinite(slope) & (slope != 0.0)
            XP = np.where(use, X - 1.0, XP)
            FP = np.where(use, fx - slope, FP)
        same_as_a = np.sign(fx) == np.sign(FA)
        A = np.where(same_as_a, X, A)
        B = np.where(same_as_a, B, X)
        FA = np.where(same_as_a, fx, FA)
        with np.errstate(invalid="ignore", divide="ignore"):
            new = X - fx * (X - XP) / (fx - FP)
        inside = np.isfinite(new) & (new > A) & (new < B) & (iteration % 8 != 7)
        new = np.where(inside, new, 0.5 * (A + B))
        new = np.where(fx == 0.0, X, new)
        done = (fx == 0.0) | (inside & np.less(np.abs(new - X), tolerance_s))
        done |= np.less(B - A, tolerance_s)
        x[active[done]] = new[done]
        more = ~done
        active, rows, A, B, FA = active[more], rows[more], A[more], B[more], FA[more]
        XP, FP, X = X[more], fx[more], new[more]
    x[active] = X
    return x


def _newton_roots(
    evaluate: Evaluate,
    row: IntArray,
    lo_s: FloatArray,
    hi_s: FloatArray,
    value_lo: FloatArray,
    value_hi: FloatArray,
    tolerance_s: float,
    guess_s: FloatArray | None = None,
) -> FloatArray:
    """Bracketed roots by safeguarded Newton iteration (``evaluate`` gives the rate).

    Starts from ``guess_s`` (where inside its bracket; else the regula falsi point); a
    Newton step that leaves the current bracket is replaced by bisection. Stops when
    the step or the bracket is below ``tolerance_s``. Returns ``(K,)``.
    """
    a = np.asarray(lo_s, dtype=np.float64)
    b = np.asarray(hi_s, dtype=np.float64)
    fa = np.asarray(value_lo, dtype=np.float64)
    fb = np.asarray(value_hi, dtype=np.float64)
    x = _first_iterate(a, b, fa, fb, guess_s)
    active = np.flatnonzero((fa != 0.0) & (fb != 0.0))
    # The open brackets' state, compacted as brackets close (no scatter per iteration).
    rows = np.asarray(row, dtype=np.int64)[active]
    A, B, FA, X = a[active], b[active], fa[active], x[active]
    for _ in range(_MAX_ITERATIONS):
        if active.size == 0:
            break
        fx, dx = evaluate(rows, X)
        same_as_a = np.sign(fx) == np.sign(FA)
        A = np.where(same_as_a, X, A)
        B = np.where(same_as_a, B, X)
        FA = np.where(same_as_a, fx, FA)
        with np.errstate(invalid="ignore", divide="ignore"):
            step = fx / dx
        new = X - step
        inside = np.isfinite(new) & (new > A) & (new < B)
        # A step below the tolerance ends the search even where rounding noise in ``fx``
        # sends it a hair outside the bracket.
        small = np.less(np.abs(step), tolerance_s)
        new = np.where(inside, new, np.where(small, np.clip(new, A, B), 0.5 * (A + B)))
        new = np.where(fx == 0.0, X, new)
        done = (fx == 0.0) | small | np.less(B - A, tolerance_s)
        x[active[done]] = new[done]
        more = ~done
        active, rows, A, B, FA, X = active[more], rows[more], A[more], B[more], FA[more], new[more]
    x[active] = X
    return x


def _first_iterate(
    a: FloatArray, b: FloatArray, fa: FloatArray, fb: FloatArray, guess: FloatArray | None
) -> FloatArray:
    """Starting point in each bracket ``[a, b]``: ``guess`` where it is strictly inside,
    else the regula falsi point (the midpoint where that is undefined); an end where
    the function is zero is itself the root."""
    with np.errstate(invalid="ignore", divide="ignore"):
        x = (a * fb - b * fa) / (fb - fa)
    x = np.where(np.isfinite(x), x, 0.5 * (a + b))
    if guess is not None:
        g = np.asarray(guess, dtype=np.float64)
        x = np.where((g > a) & (g < b), g, x)
    x[fa == 0.0] = a[fa == 0.0]
    x[fb == 0.0] = b[fb == 0.0]
    return x


def cubic_root_guess(
    lo_s: FloatArray,
    hi_s: FloatArray,
    value_lo: FloatArray,
    value_hi: FloatArray,
    rate_lo: FloatArray,
    rate_hi: FloatArray,
    *,
    of_rate: bool = False,
) -> FloatArray:
    """Where the cubic Hermite interpolant of a function through its values and rates
    at the bracket ends crosses zero (``of_rate=False``) or has its extremum
    (``of_rate=True``); ``(K,)``, always inside ``[lo_s, hi_s]``.

    No function evaluation: a cheap first iterate for the refinement. On the LEO
    elevation function with 240 s steps it is typically within 1 s of a crossing and
    5 s of a maximum (regula falsi on the same data: 12 s and 24 s).
    """
    h = hi_s - lo_s
    f0, f1 = value_lo, value_hi
    c3, c2, m0 = _cubic(h, f0, f1, rate_lo, rate_hi)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if of_rate:
            # p'(u) = 3 c3 u^2 + 2 c2 u + m0 changes sign on [0, 1]: its root there.
            qa, qb = 3.0 * c3, 2.0 * c2
            disc = np.sqrt(np.maximum(qb * qb - 4.0 * qa * m0, 0.0))
            # Numerically stable quadratic roots (Press et al., Numerical Recipes, 5.6).
            q = -0.5 * (qb + np.copysign(disc, qb))
            u1, u2 = q / qa, m0 / q
            u = np.where((u1 >= 0.0) & (u1 <= 1.0), u1, u2)
            u = np.where(np.abs(qa) <= 1e-12 * np.abs(qb), -m0 / qb, u)
        else:
            # Newton on the cubic from the regula falsi point, kept inside [0, 1].
            u = f0 / (f0 - f1)
            for _ in range(4):
                p = ((c3 * u + c2) * u + m0) * u + f0
                dp = (3.0 * c3 * u + 2.0 * c2) * u + m0
                u = np.clip(u - p / dp, 0.0, 1.0)
    u = np.where(np.isfinite(u), np.clip(u, 0.0, 1.0), 0.5)
    guess: FloatArray = lo_s + u * h
    return guess


def _cubic(
    h: FloatArray, f0: FloatArray, f1: FloatArray, d0: FloatArray, d1: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(c3, c2, c1)`` of the cubic Hermite interpolant on ``u = (t - t0) / h`` in
    ``[0, 1]``: ``p(u) = c3 u^3 + c2 u^2 + c1 u + f0`` through values ``f0``, ``f1``
    and rates ``d0``, ``d1`` (per second) at the ends (expanded Hermite basis)."""
    m0, m1 = d0 * h, d1 * h
    return 2.0 * (f0 - f1) + m0 + m1, 3.0 * (f1 - f0) - 2.0 * m0 - m1, m0


def _cubic_curvature(
    lo_s: FloatArray,
    hi_s: FloatArray,
    value_lo: FloatArray,
    value_hi: FloatArray,
    rate_lo: FloatArray,
    rate_hi: FloatArray,
    at_s: FloatArray,
) -> FloatArray:
    """Second derivative at ``at_s`` of the cubic Hermite interpolant of
    :func:`cubic_root_guess` (per second squared): the slope of the rate there."""
    h = hi_s - lo_s
    c3, c2, _ = _cubic(h, value_lo, value_hi, rate_lo, rate_hi)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        u = (at_s - lo_s) / h
        curvature: FloatArray = (6.0 * c3 * u + 2.0 * c2) / (h * h)
    return curvature


def find_intervals(
    seconds: FloatArray,
    value: FloatArray,
    rate: FloatArray,
    evaluate: Evaluate,
    *,
    exact: Evaluate | None = None,
    tolerance_s: float = 1e-4,
    peak_margin: float = 0.0,
    offset: IntArray | None = None,
) -> Intervals:
    """Intervals where each row's function is ``>= 0``, refined to ``tolerance_s``.

    ``seconds``: ``(N,)`` increasing sample times; ``value`` and ``rate`` (its time
    derivative): ``(R, N)``. Non-finite samples are invalid: intervals stop at the last
    valid sample before them and are marked truncated there, like at the grid ends.
    With ``offset`` (``(R,)`` sample indices), rows are stretches of the grid instead:
    ``value`` and ``rate`` are ``(R, W)`` and column ``j`` of row ``r`` is sample
    ``offset[r] + j`` (columns past ``N`` must be invalid). Callers that can prove most
    samples far from any interval pass only the stretches that matter.
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
    seconds = np.asarray(seconds, dtype=np.float64)
    f = np.asarray(value, dtype=np.float64)
    d = np.asarray(rate, dtype=np.float64)
    if offset is None:
        if f.ndim != 2 or d.shape != f.shape or f.shape[1] != seconds.size:
            raise ValueError(
                f"value and rate must have shape (R, {seconds.size}); got {f.shape}, {d.shape}"
            )
    elif f.ndim != 2 or d.shape != f.shape or np.shape(offset) != f.shape[:1]:
        raise ValueError(f"value, rate (R, W) and offset (R,) disagree: {f.shape}, "
                         f"{d.shape}, {np.shape(offset)}")  # fmt: skip
    n_rows, n = f.shape
    if n_rows == 0 or n == 0:
        return Intervals.empty()
    row_first = None if offset is None else np.asarray(offset, dtype=np.int64)
    last_sample = seconds.size - 1

    def t_at(rows: IntArray, cols: IntArray) -> FloatArray:
        """Time of column ``cols[k]`` of row ``rows[k]``."""
        if row_first is None:
            at: FloatArray = seconds[cols]
            return at
        at = seconds[np.minimum(row_first[rows] + cols, last_sample)]
        return at

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
    t0, t1 = t_at(ext_row, ext_step), t_at(ext_row, ext_step + 1)
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
    t0, t1, d0, d1 = t0[keep], t1[keep], d0[keep], d1[keep]
    guess = cubic_root_guess(t0, t1, f0[keep], f1[keep], d0, d1, of_rate=True)
    ext_t = bracketed_roots(
        lambda r, s: evaluate(r, s)[1],
        ext_row,
        t0,
        t1,
        d0,
        d1,
        tolerance_s=tolerance_s,
        guess_s=guess,
        guess_slope=_cubic_curvature(t0, t1, f0[keep], f1[keep], d0, d1, guess),
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
    lo = np.concatenate(
        (t_at(plain_row, plain_step), t_at(ext_row[first], ext_step[first]), ext_t[second])
    )
    hi = np.concatenate(
        (t_at(plain_row, plain_step + 1), ext_t[first],
         t_at(ext_row[second], ext_step[second] + 1))
    )  # fmt: skip
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
    # Where an exact polish follows, the approximate roots need not be closer than the
    # approximation itself is.
    coarse_s = tolerance_s if exact is None else max(tolerance_s, _COARSE_TOLERANCE_S)
    guess = cubic_root_guess(lo, hi, f_lo, f_hi, d_lo, d_hi)
    cross_t = _newton_roots(evaluate, cross_row, lo, hi, f_lo, f_hi, coarse_s, guess)
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
    ev_t = np.concatenate(
        (t_at(bstart_row, bstart_k), t_at(bend_row, bend_k), cross_t, ext_t[peak_sel])
    )
    ev_f = np.concatenate((f[bstart_row, bstart_k], f[bend_row, bend_k],
                           np.zeros(cross_t.size), ext_f[peak_sel]))  # fmt: skip
    # Each block above is already in (row, step) order: a stable sort of one combined
    # key merges them (much faster than a two-key lexsort).
    order = np.argsort(ev_row * (8 * n + 8) + ev_key, kind="stable")
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
    # Peak: the largest candidate of each interval, i.e. of the events from its start up
    # to the next interval's start (its end and the maxima in between); the first one
    # where several are equal.
    value = np.where(np.isfinite(ev_f[starts[0] :]), ev_f[starts[0] :], -np.inf)
    segment = starts - starts[0]
    largest = np.maximum.reduceat(value, segment)
    owner = np.repeat(np.arange(m), np.diff(segment, append=value.size))
    hits = np.flatnonzero(value == largest[owner])
    pick = starts[0] + hits[np.diff(owner[hits], prepend=-1) != 0]
    return Intervals(
        row=ev_row[starts],
        start_s=ev_t[starts],
        end_s=ev_t[ends],
        peak_s=ev_t[pick],
        peak_value=ev_f[pick],
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
    offset: IntArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Where each row's function is largest within given intervals.

    ``seconds``, ``value``, ``rate``, ``evaluate``, ``exact``, ``offset`` as in
    :func:`find_intervals` (here the function may be another one than the one whose
    intervals were found, e.g. the elevation itself when the intervals came from an
    azimuth-dependent mask). ``row``, ``start_s``, ``end_s``: ``(M,)`` intervals, which
    must not overlap within a row. Candidates are the interval ends and every maximum
    of the sampled derivative inside; returns ``(peak_s (M,), peak_value (M,))``.
    """
    t = np.asarray(seconds, dtype=np.float64)
    f = np.asarray(value, dtype=np.float64)
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
        sample = mk if offset is None else np.asarray(offset, dtype=np.int64)[mrow] + mk
        t0, t1 = t[sample], t[np.minimum(sample + 1, t.size - 1)]
        order = np.lexsort((start, iv_row))
        key_iv = _row_time_key(iv_row[order], start[order], t[0])
        pos = np.searchsorted(key_iv, _row_time_key(mrow, t1, t[0]), side="right") - 1
        hit = pos >= 0
        pos = np.where(hit, pos, 0)
        owner = order[pos]
        hit &= (iv_row[owner] == mrow) & (end[owner] >= t0)
        mrow, mk, owner, t0, t1 = mrow[hit], mk[hit], owner[hit], t0[hit], t1[hit]
        d0, d1 = d[mrow, mk], d[mrow, mk + 1]
        peak_t = bracketed_roots(
            lambda r, s: evaluate(r, s)[1],
            mrow,
            t0,
            t1,
            d0,
            d1,
            tolerance_s=tolerance_s,
            guess_s=cubic_root_guess(t0, t1, f[mrow, mk], f[mrow, mk + 1], d0, d1, of_rate=True),
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
    pick = best[np.diff(idx[best], prepend=-1) != 0]
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
    slope = np.full(out.size, np.nan)  # the exact rate at the latest iterate
    active = np.arange(out.size)
    redo: list[IntArray] = []
    for _ in range(_POLISH_STEPS):
        if active.size == 0:
            break
        x = out[active]
        value, rate = exact(row[active], x)
        slope[active] = rate
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
        # From the best iterate so far and its exact slope (the iterate keeps the
        # search close; the bracket keeps it safe).
        out[again] = _newton_roots(
            exact, row[again], lo[again], hi[again], f_lo[again], f_hi[again], tolerance_s,
            out[again],
        )  # fmt: skip
    return out
