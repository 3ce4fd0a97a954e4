"""Neighbourhoods of the SPOT5 time-window search.

A window is a run of consecutive photos of the stage-2 model (ids follow image
time). When that model holds several components, the search alternates windows
held inside the photo order, which free the middle photos most often, with windows
that wrap around its end, which free every photo equally often: inner windows
alone hardly ever freed the first photos of 1405's largest component.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import spacepool.planning.spot5 as spot5_solver
from spacepool.planning.spot5 import _draw_window, _window_search, read_spot5
from spacepool.planning.spot5_check import check_spot5
from spacepool.planning.spot5_format import capacity_terms
from spacepool.planning.spot5_model import Clock, ConflictGraph, PhotoModel, Solved

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "tests" / "data" / "spot5" / "tiny_multi.spot"

# Two components, as in stage 2: ids need not be contiguous.
ORDER = [*range(12), *range(40, 48)]


def is_cyclic_run(window: set[int], order: list[int]) -> bool:
    n = len(order)
    return any(window == {order[(first + i) % n] for i in range(len(window))} for first in range(n))


def freed_share(wrap: bool, size: int = 8, draws: int = 4000) -> dict[int, float]:
    rng = random.Random(0)
    counts: Counter[int] = Counter()
    for _ in range(draws):
        window = _draw_window(ORDER, size, rng, wrap=wrap)
        assert len(window) == size
        if wrap:
            assert is_cyclic_run(window, ORDER)
        else:
            first = ORDER.index(min(window))
            assert window == set(ORDER[first : first + size])
        counts.update(window)
    return {photo: counts[photo] / draws for photo in ORDER}


def test_wrapping_windows_free_every_photo_in_the_same_share() -> None:
    # size / len(order) = 8 / 20; binomial standard deviation sqrt(0.4 * 0.6 / 4000)
    # = 0.008, so 0.04 is 5 of them.
    for photo, share in freed_share(wrap=True).items():
        assert share == pytest.approx(0.4, abs=0.04), photo


def test_inner_windows_free_the_ends_far_less_often_than_the_middle() -> None:
    # Starts 0..12 (13 of them): the first and last photo in 1 of 13 windows, the
    # photos at positions 7..12 in 8 of 13.
    share = freed_share(wrap=False)
    assert share[ORDER[0]] == pytest.approx(1 / 13, abs=0.03)
    assert share[ORDER[-1]] == pytest.approx(1 / 13, abs=0.03)
    assert share[ORDER[10]] == pytest.approx(8 / 13, abs=0.04)


def test_a_wrapping_window_joins_the_end_and_the_start_of_the_order() -> None:
    rng = random.Random(1)
    windows = [_draw_window(ORDER, 5, rng, wrap=True) for _ in range(200)]
    assert any(ORDER[-1] in w and ORDER[0] in w for w in windows)


@pytest.mark.parametrize("wrap", [False, True])
@pytest.mark.parametrize("size", [len(ORDER), len(ORDER) + 1, 500])
def test_a_window_as_large_as_the_order_frees_every_photo(size: int, wrap: bool) -> None:
    assert _draw_window(ORDER, size, random.Random(2), wrap=wrap) == set(ORDER)


@pytest.mark.parametrize("wrap", [True, False])
def test_the_search_alternates_window_kinds_only_when_asked(
    wrap: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stage 2 asks for wrapping windows when its model holds several components
    # (1405, 1407, 1506); with one (1401, 1403) every window stays inside the order.
    instance = read_spot5(TINY)
    use, capacity, _ = capacity_terms(instance, "units")
    graph = ConflictGraph(instance)
    photos = sorted(graph.photos)
    model = PhotoModel(graph, photos, use, capacity)
    model.model.maximize(model.weight)
    drawn: list[bool] = []

    def draw(order: Any, size: int, rng: random.Random, *, wrap: bool) -> set[int]:
        drawn.append(wrap)
        return _draw_window(order, size, rng, wrap=wrap)

    monkeypatch.setattr(spot5_solver, "_draw_window", draw)
    start = Solved("FEASIBLE", 0, 0, {})
    selected = _window_search(
        model, model.selection, model.weight, start, photos, Clock(0.5), 1, 0, wrap
    )
    assert len(drawn) >= 2
    assert drawn == [wrap and i % 2 == 1 for i in range(len(drawn))]
    # The windows keep the selection feasible.
    assert check_spot5(instance, selected) == []
