"""Propagation throughput, and the gain of two processes over one.

Part 1, one core: ``SatrecArray.sgp4`` alone (TEME, no frame rotation, as the ``sgp4``
package gives it) against ``Propagator.grid`` (SGP4 + TEME -> ITRS into ``(S, 3, N)``),
on 1,000 objects x 1,440 times.

Part 2, processes: the whole active catalogue (15,347 objects) x 720 times (every
2 minutes over 24 h, 11 million states, about 10 s on one core) with
``Propagator.grid`` in this process, then ``propagate_parallel(workers=2)`` as a user
calls it (a new pool each time, its start-up included), and on a pool started
beforehand (start-up excluded). With ``--dask``, also on a two-worker Dask
``LocalCluster`` started beforehand.

Every measurement is run three times, interleaved, and the shortest is printed; the
machine's load average is printed before and after (other jobs share the cores).
Run: ``.venv/bin/python benchmarks/bench_propagate.py [--dask]``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from sgp4.api import SatrecArray

from spacepool.orbits.parallel import propagate_parallel
from spacepool.orbits.propagate import Propagator
from spacepool.orbits.timebase import TimeBase
from spacepool.orbits.tle import load_tle

REPO = Path(__file__).resolve().parents[1]
ACTIVE = REPO / ".." / "shared" / "data" / "tle" / "celestrak_active_2026-05-07.tle"
START = datetime(2026, 5, 8, tzinfo=UTC)
REPEATS = 3


def shortest(runs: dict[str, Callable[[], Any]]) -> dict[str, float]:
    """Shortest wall time of each run over REPEATS interleaved rounds (other load on
    the machine then hits every run alike)."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(REPEATS):
        for name, run in runs.items():
            t = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - t)
    return best


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min)"


def main() -> None:
    if not ACTIVE.exists():
        sys.exit(f"{ACTIVE} is absent")
    elements = list(load_tle(ACTIVE, lenient=True).elements)
    timebase = TimeBase.around(START, START + timedelta(days=1))
    print(f"{os.cpu_count()} cores; {load()}")

    chosen, seconds = elements[:1000], np.arange(1440) * 60.0
    states = len(chosen) * seconds.size
    prop = Propagator(chosen, timebase)
    array = SatrecArray([e.satrec() for e in chosen])
    jd, fr = timebase.jd_utc(seconds)
    one_core = shortest({"raw": lambda: array.sgp4(jd, fr), "ours": lambda: prop.grid(seconds)})
    raw, ours = states / one_core["raw"], states / one_core["ours"]
    print(f"one core, {len(chosen)} objects x {seconds.size} times: raw SatrecArray "
          f"{raw:.3e} states/s, Propagator.grid {ours:.3e} states/s ({ours / raw:.2f} of raw)")  # fmt: skip

    seconds = np.arange(720) * 120.0
    states = len(elements) * seconds.size
    t = time.perf_counter()
    pool = ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn"))
    list(pool.map(abs, range(2)))  # start both workers
    pool_start = time.perf_counter() - t
    runs: dict[str, Callable[[], Any]] = {
        "1 process": lambda: Propagator(elements, timebase).grid(seconds),
        "2 processes, new pool": lambda: propagate_parallel(elements, timebase, seconds, workers=2),
        "2 processes, warm pool": lambda: propagate_parallel(
            elements, timebase, seconds, workers=2, executor=pool
        ),
    }
    client = cluster = None
    if "--dask" in sys.argv:
        from dask.distributed import Client, LocalCluster

        t = time.perf_counter()
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None)  # fmt: skip
        client = Client(cluster)
        print(f"Dask LocalCluster start: {time.perf_counter() - t:.2f} s")
        runs["2 Dask workers, warm"] = lambda: propagate_parallel(
            elements, timebase, seconds, workers=2, backend="dask", client=client
        )
    print(f"{len(elements)} objects x {seconds.size} times ({states / 1e6:.1f} million states); "
          f"process pool start {pool_start:.2f} s; shortest of {REPEATS}:")  # fmt: skip
    best = shortest(runs)
    base = best["1 process"]
    for name, wall in best.items():
        print(f"  {name:<24} {wall:6.2f} s  {states / wall:.3e} states/s  x{base / wall:.2f}")

    # Same answer whichever way it is computed.
    chosen, seconds = elements[:500], np.arange(100) * 60.0
    one = Propagator(chosen, timebase).grid(seconds)
    others = [propagate_parallel(chosen, timebase, seconds, workers=2, executor=pool)]
    if client is not None:
        others.append(propagate_parallel(chosen, timebase, seconds, workers=2, backend="dask",
                                         client=client))  # fmt: skip
    same = all(np.array_equal(a, b, equal_nan=True) for other in others
               for a, b in ((one.r_itrs_km, other.r_itrs_km), (one.v_itrs_km_s, other.v_itrs_km_s)))  # fmt: skip
    print(f"parallel results identical to one process: {same}; {load()}")
    if client is not None and cluster is not None:
        client.close()
        cluster.close()
    pool.shutdown()


if __name__ == "__main__":
    main()
