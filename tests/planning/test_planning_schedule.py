"""The schedule's indexes agree with its plain maps, and the windowed memory test
agrees with the whole-timeline one."""

from __future__ import annotations

import random

import pytest
from test_planning_random import random_instance

from spacepool.planning.prepare import Prepared
from spacepool.planning.schedule import Schedule


def check_indexes(schedule: Schedule) -> None:
    prep = schedule.prep
    for k in range(len(prep.instruments)):
        placed = sorted((schedule.start[i], i) for i in schedule.by_instrument.get(k, ()))
        assert schedule.starts.get(k, []) == placed
    for s in range(len(prep.instance.satellites)):
        placed = sorted((schedule.start[i], i) for i in schedule.by_satellite.get(s, ()))
        assert schedule.satellite_starts.get(s, []) == placed
        volume = sum(prep.candidates[i].volume_kbit for i in schedule.by_satellite.get(s, ()))
        assert schedule.volume_kbit.get(s, 0) == volume
        mine = sorted(
            (a, b, p) for p, (a, b) in schedule.downlink.items() if prep.pieces[p].satellite == s
        )
        assert schedule.satellite_downlinks.get(s, []) == mine
    for station in {piece.station for piece in prep.pieces}:
        mine = sorted(
            (a, b, p)
            for p, (a, b) in schedule.downlink.items()
            if prep.pieces[p].station == station
        )
        assert schedule.station_downlinks.get(station, []) == mine


@pytest.mark.parametrize("seed", range(10))
def test_indexes_follow_inserts_and_removals_and_memory_tests_agree(seed: int) -> None:
    rng = random.Random(seed)
    prep = Prepared(random_instance(seed))
    schedule = Schedule(prep)
    compared = 0
    for _ in range(60):
        if schedule.start and rng.random() < 0.3:
            schedule.remove(rng.choice(sorted(schedule.start)))
        else:
            free = [pc.index for pc in prep.candidates if pc.demand not in schedule.served]
            if not free:
                continue
            i = rng.choice(free)
            pc = prep.candidates[i]
            starts, _ = schedule.free_starts(i)
            for lo, _ in starts[:1]:
                options, _, _ = schedule._downlink_options(i, lo + pc.size)
                for dl_end, _, p in options:
                    whole = schedule.memory_peak(
                        pc.satellite, (lo, dl_end, pc.volume_kbit), p, dl_end
                    )
                    fits = whole <= prep.capacity_kbit[pc.satellite]
                    assert schedule.memory_fits(i, lo, p, dl_end) == fits
                    compared += 1
            outcome = schedule.try_insert(i)
            if outcome.ok:
                schedule.insert(i, outcome)
        check_indexes(schedule)
        copy = schedule.copy()
        check_indexes(copy)
    assert compared > 0
