"""Event search on functions with known answers (sines), and Hermite interpolation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spacepool.access.events import (
    HermiteTable,
    bracketed_roots,
    cubic_root_guess,
    find_intervals,
    grid_seconds,
    hermite_states,
    peaks_within,
)

ONE_MICROSECOND_S = 1e-6
PERIOD_S = 1000.0
OMEGA = 2 * np.pi / PERIOD_S


def sine_rows(offsets: np.ndarray, phase: np.ndarray | None = None):
    """Rows f_i(t) = sin(w t + phase_i) - offset_i, with derivative; and an evaluator."""
    phase = np.zeros_like(offsets) if phase is None else phase

    def evaluate(row, t):
        arg = OMEGA * t + phase[row]
        return np.sin(arg) - offsets[row], OMEGA * np.cos(arg)

    return evaluate


def sampled(evaluate, rows: int, seconds: np.ndarray):
    r = np.repeat(np.arange(rows), seconds.size)
    t = np.tile(seconds, rows)
    value, rate = evaluate(r, t)
    return value.reshape(rows, -1), rate.reshape(rows, -1)


def test_intervals_match_the_analytic_roots_and_peaks_of_a_sine():
    offsets = np.array([0.5])
    evaluate = sine_rows(offsets)
    seconds = grid_seconds(0.0, 2300.0, 120.0)
    found = find_intervals(seconds, *sampled(evaluate, 1, seconds), evaluate, tolerance_s=1e-7)
    rise = np.arcsin(0.5) / OMEGA
    fall = (np.pi - np.arcsin(0.5)) / OMEGA
    assert len(found) == 3
    np.testing.assert_allclose(
        found.start_s, rise + PERIOD_S * np.arange(3), atol=ONE_MICROSECOND_S
    )
    np.testing.assert_allclose(
        found.end_s[:2], fall + PERIOD_S * np.arange(2), atol=ONE_MICROSECOND_S
    )
    np.testing.assert_allclose(found.peak_s[:2], 250.0 + PERIOD_S * np.arange(2), atol=1e-3)
    np.testing.assert_allclose(found.peak_value[:2], 0.5, atol=1e-12)
    # The third interval is cut by the end of the grid.
    assert found.end_s[2] == 2300.0
    assert list(found.truncated_end) == [False, False, True]
    assert not found.truncated_start.any()


def test_grazing_interval_shorter_than_the_step_is_found_from_its_maximum():
    # Peak 0.001 above zero: the interval lasts 14 s, between samples 120 s apart
    # neither of which is above zero.
    offsets = np.array([0.999])
    evaluate = sine_rows(offsets)
    seconds = grid_seconds(0.0, 999.0, 120.0)
    value, rate = sampled(evaluate, 1, seconds)
    assert not (value >= 0).any()
    found = find_intervals(seconds, value, rate, evaluate, tolerance_s=1e-7)
    half = np.arccos(0.999) / OMEGA
    assert len(found) == 1
    assert found.start_s[0] == pytest.approx(250.0 - half, abs=ONE_MICROSECOND_S)
    assert found.end_s[0] == pytest.approx(250.0 + half, abs=ONE_MICROSECOND_S)


def test_grazing_maximum_just_below_zero_gives_no_interval():
    offsets = np.array([1.0001])
    evaluate = sine_rows(offsets)
    seconds = grid_seconds(0.0, 999.0, 120.0)
    found = find_intervals(seconds, *sampled(evaluate, 1, seconds), evaluate)
    assert len(found) == 0


def test_dip_below_zero_between_two_samples_splits_the_interval():
    # f = -sin - (-0.999): above zero except for 14 s around t = 250.
    offsets = np.array([-0.999])
    phase = np.array([np.pi])  # sin(wt + pi) = -sin(wt)
    evaluate = sine_rows(offsets, phase)
    seconds = grid_seconds(0.0, 600.0, 120.0)
    found = find_intervals(seconds, *sampled(evaluate, 1, seconds), evaluate, tolerance_s=1e-7)
    half = np.arccos(0.999) / OMEGA
    assert len(found) == 2
    assert found.end_s[0] == pytest.approx(250.0 - half, abs=ONE_MICROSECOND_S)
    assert found.start_s[1] == pytest.approx(250.0 + half, abs=ONE_MICROSECOND_S)
    assert list(found.truncated_start) == [True, False]
    assert list(found.truncated_end) == [False, True]


def test_always_above_is_one_interval_truncated_at_both_ends():
    offsets = np.array([-2.0])
    evaluate = sine_rows(offsets)
    seconds = grid_seconds(0.0, 1800.0, 120.0)
    found = find_intervals(seconds, *sampled(evaluate, 1, seconds), evaluate)
    assert len(found) == 1
    assert (found.start_s[0], found.end_s[0]) == (0.0, 1800.0)
    assert found.truncated_start[0] and found.truncated_end[0]
    assert found.peak_value[0] == pytest.approx(3.0)


def test_invalid_samples_end_intervals_as_truncated_not_as_crossings():
    offsets = np.array([-2.0])  # always above
    evaluate = sine_rows(offsets)
    seconds = grid_seconds(0.0, 1200.0, 100.0)
    value, rate = sampled(evaluate, 1, seconds)
    value[0, 5:8] = np.nan  # e.g. SGP4 failed at 500-700 s
    rate[0, 5:8] = np.nan
    found = find_intervals(seconds, value, rate, evaluate)
    assert list(zip(found.start_s, found.end_s, strict=True)) == [(0.0, 400.0), (800.0, 1200.0)]
    assert found.truncated_start.all() and found.truncated_end.all()
    assert np.isfinite(found.peak_value).all()


def test_rows_are_independent_and_ordered_by_row_then_start():
    offsets = np.array([0.5, 2.0, 0.0])
    evaluate = sine_rows(offsets)
    seconds = grid_seconds(0.0, 1999.0, 60.0)
    found = find_intervals(seconds, *sampled(evaluate, 3, seconds), evaluate)
    assert list(found.row) == [0, 0, 2, 2]
    assert np.all(np.diff(found.start_s[found.row == 0]) > 0)


def test_exact_polish_corrects_an_approximate_evaluator():
    offsets = np.array([0.3])
    exact = sine_rows(offsets)

    def rough(row, t):  # 2 s late: roots found on it are off by 2 s
        return exact(row, t - 2.0)

    seconds = grid_seconds(0.0, 999.0, 120.0)
    found = find_intervals(seconds, *sampled(exact, 1, seconds), rough, exact=exact,
                           tolerance_s=1e-6)  # fmt: skip
    assert found.start_s[0] == pytest.approx(np.arcsin(0.3) / OMEGA, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    offset=st.floats(-0.99, 0.99),
    phase=st.floats(0.0, 2 * np.pi),
    step=st.floats(20.0, 150.0),
)
def test_every_crossing_of_a_sine_is_found_to_a_microsecond(offset, phase, step):
    offsets, phases = np.array([offset]), np.array([phase])
    evaluate = sine_rows(offsets, phases)
    seconds = grid_seconds(0.0, 3000.0, step)
    found = find_intervals(seconds, *sampled(evaluate, 1, seconds), evaluate, tolerance_s=1e-8)
    # Analytic crossings: w t + phase = asin(offset) (rising) or pi - asin(offset).
    a = np.arcsin(offset)
    k = np.arange(-2, 6)
    rises = ((a - phase) + 2 * np.pi * k) / OMEGA
    falls = ((np.pi - a - phase) + 2 * np.pi * k) / OMEGA

    # Crossings within a millisecond of the grid ends may be reported as truncation.
    def inner(t):
        return np.sort(t[(t > 1e-3) & (t < 3000 - 1e-3)])

    starts = found.start_s[~found.truncated_start]
    ends = found.end_s[~found.truncated_end]
    np.testing.assert_allclose(inner(starts), inner(rises), atol=ONE_MICROSECOND_S)
    np.testing.assert_allclose(inner(ends), inner(falls), atol=ONE_MICROSECOND_S)


def test_bracketed_roots_solve_many_brackets_at_once():
    targets = np.linspace(0.1, 0.9, 50)

    def func(row, t):
        return t**3 - targets[row]

    rows = np.arange(50)
    roots = bracketed_roots(func, rows, np.zeros(50), np.ones(50), -targets, 1 - targets,
                            tolerance_s=1e-10)  # fmt: skip
    np.testing.assert_allclose(roots, np.cbrt(targets), atol=1e-10)


def test_hermite_table_equals_hermite_states_and_meets_its_error_bound():
    # Circular motion, radius 7000 km, period 5800 s: |x''''| = w^4 r.
    w, radius = 2 * np.pi / 5800.0, 7000.0
    seconds = grid_seconds(0.0, 6000.0, 120.0)
    angle = w * seconds
    pos = radius * np.stack((np.cos(angle), np.sin(angle), np.zeros_like(angle)))[None]
    vel = radius * w * np.stack((-np.sin(angle), np.cos(angle), np.zeros_like(angle)))[None]
    t = np.linspace(0.0, 6000.0, 997)
    row = np.zeros(t.size, dtype=np.int64)
    p1, v1 = hermite_states(seconds, pos, vel, row, t)
    table = HermiteTable(seconds, pos, vel)
    p2, v2 = table.states(row, t)
    np.testing.assert_allclose(p1, p2, atol=1e-9)
    np.testing.assert_allclose(table.positions(row, t), p2, atol=1e-9)
    np.testing.assert_allclose(v1, v2, atol=1e-12)
    truth = radius * np.stack((np.cos(w * t), np.sin(w * t), np.zeros_like(t)))
    bound_km = 120.0**4 / 384.0 * w**4 * radius
    assert np.abs(p2 - truth).max() <= bound_km
    assert bound_km < 0.01  # 10 m: the accuracy the contact search relies on before polishing


def test_peaks_within_finds_the_largest_value_inside_each_interval():
    offsets = np.array([0.0])
    evaluate = sine_rows(offsets)
    seconds = grid_seconds(0.0, 2000.0, 90.0)
    value, rate = sampled(evaluate, 1, seconds)
    row = np.array([0, 0, 0])
    start = np.array([0.0, 100.0, 1400.0])
    end = np.array([200.0, 600.0, 1500.0])
    t, v = peaks_within(seconds, value, rate, evaluate, row, start, end, tolerance_s=1e-7)
    # [0, 200]: rising, largest at the end; [100, 600]: the maximum at 250 s;
    # [1400, 1500]: falling then rising: the larger end (1400 s is nearer the peak).
    np.testing.assert_allclose(t, [200.0, 250.0, 1400.0], atol=1e-4)
    np.testing.assert_allclose(v, np.sin(OMEGA * t), atol=1e-12)


def test_rows_given_as_stretches_of_the_grid_find_the_same_intervals():
    # Three sines, each cut into two stretches of the grid sharing the sample at 1500 s
    # (as the contact search passes its runs); the second, shorter one padded with NaN.
    offsets = np.array([0.5, 0.999, -0.2])
    evaluate = sine_rows(offsets)
    seconds = grid_seconds(0.0, 2940.0, 60.0)  # 50 steps
    value, rate = sampled(evaluate, 3, seconds)
    whole = find_intervals(seconds, value, rate, evaluate, tolerance_s=1e-7)
    owner = np.array([0, 1, 2, 0, 1, 2])
    first = np.array([0, 0, 0, 25, 25, 25])
    length = np.array([26, 26, 26, 24, 24, 24])  # the second ones end at 2820 s
    cols = np.arange(26)
    index = np.minimum(first[:, None] + cols, seconds.size - 1)
    inside = cols[None, :] < length[:, None]
    v = np.where(inside, value[owner[:, None], index], np.nan)
    d = np.where(inside, rate[owner[:, None], index], np.nan)

    def by_stretch(row, t):
        return evaluate(owner[row], t)

    cut = find_intervals(seconds, v, d, by_stretch, tolerance_s=1e-7, offset=first)
    # Intervals open at a stretch end are cut there (truncated); all others agree.
    kept = ~(cut.truncated_start | cut.truncated_end)
    found = sorted(zip(owner[cut.row[kept]], cut.start_s[kept], cut.end_s[kept], strict=True))
    same = ~(whole.truncated_start | whole.truncated_end)
    same &= (whole.end_s < 1500.0) | ((whole.start_s > 1500.0) & (whole.end_s < 2820.0))
    expected = sorted(zip(whole.row[same], whole.start_s[same], whole.end_s[same], strict=True))
    assert len(found) == len(expected) > 5
    np.testing.assert_allclose(np.array(found), np.array(expected), atol=ONE_MICROSECOND_S)
    assert cut.truncated_end[cut.end_s == 2820.0].all()


def test_cubic_guess_is_exact_for_a_cubic():
    # f(t) = (t - 30) (t - 150) (t + 100) / 1e5 on [0, 100]: a root at 30 s; its
    # derivative vanishes on [50, 120] at the root of 3 t^2 - 160 t - 13500 = 0.
    def f(t):
        return (t - 30.0) * (t - 150.0) * (t + 100.0) / 1e5

    def df(t):
        return (3 * t**2 - 160.0 * t - 13500.0) / 1e5

    lo, hi = np.array([0.0]), np.array([100.0])
    root = cubic_root_guess(lo, hi, f(lo), f(hi), df(lo), df(hi))
    np.testing.assert_allclose(root, [30.0], atol=1e-9)
    lo, hi = np.array([50.0]), np.array([120.0])
    peak = cubic_root_guess(lo, hi, f(lo), f(hi), df(lo), df(hi), of_rate=True)
    np.testing.assert_allclose(peak, [(160.0 + np.sqrt(160.0**2 + 12 * 13500.0)) / 6], atol=1e-9)
