"""Window arithmetic used by the imaging search."""

from __future__ import annotations

import numpy as np

from spacepool.access.windows import Windows


def windows() -> Windows:
    return Windows(
        np.array([0, 1]),
        np.array([0.0, 10.0]),
        np.array([5.0, 20.0]),
        np.array([False, False]),
        np.array([False, True]),
    )


def test_subtracting_nothing_leaves_the_windows_unchanged() -> None:
    # Regression: a side-looking sensor whose blind cone never touched a target
    # subtracted an empty set and indexed past its end.
    empty_i = np.array([], dtype=np.int64)
    empty_f = np.array([], dtype=np.float64)
    out = windows().subtract(empty_i, empty_f, empty_f, span_s=100.0)
    assert out.row.tolist() == [0, 1]
    assert out.start_s.tolist() == [0.0, 10.0]
    assert out.end_s.tolist() == [5.0, 20.0]


def test_subtracting_an_inner_interval_splits_a_window_in_two() -> None:
    out = windows().subtract(np.array([1]), np.array([12.0]), np.array([14.0]), span_s=100.0)
    assert out.row.tolist() == [0, 1, 1]
    assert out.start_s.tolist() == [0.0, 10.0, 14.0]
    assert out.end_s.tolist() == [5.0, 12.0, 20.0]
