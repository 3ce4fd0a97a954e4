"""Propagation over several processes, for catalogue-sized batches.

``SatrecArray.sgp4`` holds the GIL, so threads do not add throughput; processes do.
:func:`propagate_parallel` splits the satellites into chunks and runs
:meth:`Propagator.grid` on each in a worker process. With the process backend the
workers write their states straight into shared memory (``(S, 3, N)`` arrays the
caller owns), so nothing but the element sets crosses a process boundary; with the
Dask backend (``dask.distributed``, the scale-out named in DESIGN.md) each chunk's
arrays are returned through the scheduler, which also works across machines.

The result is the same :class:`~spacepool.orbits.propagate.Ephemeris` as
``Propagator(elements, timebase).grid(seconds)``, bit for bit.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from multiprocessing import get_context
from multiprocessing.shared_memory import SharedMemory
from typing import Any, Literal, TypeVar

import numpy as np
from numpy.typing import NDArray

from spacepool.orbits.elements import ElementSet
from spacepool.orbits.propagate import Ephemeris, Propagator
from spacepool.orbits.timebase import TimeBase

R = TypeVar("R")

FloatArray = NDArray[np.float64]
Backend = Literal["processes", "dask"]


def chunk_bounds(count: int, chunks: int) -> list[tuple[int, int]]:
    """``chunks`` contiguous ``(start, stop)`` ranges covering ``range(count)``."""
    if count <= 0:
        return []
    chunks = max(1, min(chunks, count))
    size = math.ceil(count / chunks)
    return [(a, min(a + size, count)) for a in range(0, count, size)]


def propagate_parallel(
    elements: Sequence[ElementSet],
    timebase: TimeBase,
    seconds: FloatArray,
    *,
    workers: int | None = None,
    chunks: int | None = None,
    backend: Backend = "processes",
    executor: Executor | None = None,
    client: Any = None,
) -> Ephemeris:
    """All ``elements`` at all ``seconds``, computed by ``workers`` processes.

    ``chunks`` (default ``2 * workers``) sets how many pieces the satellites are cut
    into. ``backend="processes"``: a ``ProcessPoolExecutor`` (or the given
    ``executor``, to keep workers alive between calls) writing into shared memory.
    ``backend="dask"``: a ``dask.distributed`` ``client`` (default: a new
    ``LocalCluster`` with ``workers`` single-threaded processes, closed afterwards).
    """
    elements = tuple(elements)
    s = np.ascontiguousarray(seconds, dtype=np.float64)
    workers = workers or os.cpu_count() or 1
    bounds = chunk_bounds(len(elements), chunks or 2 * workers)
    if len(elements) == 0 or s.size == 0 or (workers == 1 and executor is None and client is None):
        return Propagator(elements, timebase).grid(s)
    if backend == "dask":
        return _with_dask(elements, timebase, s, bounds, workers, client)
    return _with_processes(elements, timebase, s, bounds, workers, executor)


def _with_processes(
    elements: tuple[ElementSet, ...],
    timebase: TimeBase,
    seconds: FloatArray,
    bounds: list[tuple[int, int]],
    workers: int,
    executor: Executor | None,
) -> Ephemeris:
    n_sat, n = len(elements), seconds.size
    float_bytes = n_sat * 3 * n * 8
    blocks = [SharedMemory(create=True, size=max(float_bytes, 1)) for _ in range(2)]
    errors = SharedMemory(create=True, size=max(n_sat * n, 1))
    try:
        names = (blocks[0].name, blocks[1].name, errors.name)
        own = executor is None
        pool = executor or ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
        try:
            futures = [
                pool.submit(_grid_into_shared, elements[a:b], timebase, seconds, names, n_sat, a)
                for a, b in bounds
            ]
            for future in futures:
                future.result()
        finally:
            if own:
                pool.shutdown()
        r = np.ndarray((n_sat, 3, n), np.float64, buffer=blocks[0].buf).copy()
        v = np.ndarray((n_sat, 3, n), np.float64, buffer=blocks[1].buf).copy()
        e = np.ndarray((n_sat, n), np.uint8, buffer=errors.buf).copy()
    finally:
        for block in (*blocks, errors):
            block.close()
            block.unlink()
    return Ephemeris(elements, timebase, seconds, r, v, e)


def _grid_into_shared(
    chunk: tuple[ElementSet, ...],
    timebase: TimeBase,
    seconds: FloatArray,
    names: tuple[str, str, str],
    n_sat: int,
    first: int,
) -> None:
    """Worker: propagate ``chunk`` and write rows ``first...`` of the shared arrays."""
    n = seconds.size
    eph = Propagator(chunk, timebase).grid(seconds)
    blocks = [SharedMemory(name=name) for name in names]
    try:
        r = np.ndarray((n_sat, 3, n), np.float64, buffer=blocks[0].buf)
        v = np.ndarray((n_sat, 3, n), np.float64, buffer=blocks[1].buf)
        e = np.ndarray((n_sat, n), np.uint8, buffer=blocks[2].buf)
        last = first + len(chunk)
        r[first:last] = eph.r_itrs_km
        v[first:last] = eph.v_itrs_km_s
        e[first:last] = eph.error
        del r, v, e
    finally:
        for block in blocks:
            block.close()


def _grid_arrays(
    chunk: tuple[ElementSet, ...], timebase: TimeBase, seconds: FloatArray
) -> tuple[FloatArray, FloatArray, NDArray[np.uint8]]:
    """Worker (Dask): one chunk's states, returned through the scheduler."""
    eph = Propagator(chunk, timebase).grid(seconds)
    return eph.r_itrs_km, eph.v_itrs_km_s, eph.error


def _with_dask(
    elements: tuple[ElementSet, ...],
    timebase: TimeBase,
    seconds: FloatArray,
    bounds: list[tuple[int, int]],
    workers: int,
    client: Any,
) -> Ephemeris:
    from dask.distributed import Client, LocalCluster

    own = client is None
    cluster = None
    if own:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)  # type: ignore[no-untyped-call]
    try:
        futures = [
            client.submit(_grid_arrays, elements[a:b], timebase, seconds, pure=False)
            for a, b in bounds
        ]
        parts = client.gather(futures)
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()
    r = np.concatenate([p[0] for p in parts])
    v = np.concatenate([p[1] for p in parts])
    e = np.concatenate([p[2] for p in parts])
    return Ephemeris(elements, timebase, seconds, r, v, e)


def map_chunks(
    func: Callable[..., R], tasks: Sequence[tuple[Any, ...]], *, workers: int = 1
) -> Iterator[R]:
    """``func(*task)`` for every task, in order: in this process, or with
    ``workers > 1`` (and more than one task) in a pool of spawned processes.

    The one place the access searches (contacts, imaging) fan chunks of satellites
    out over cores; results come back in task order so callers merge them alike.
    """
    if workers > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(func, *task) for task in tasks]
            for future in futures:
                yield future.result()
    else:
        for task in tasks:
            yield func(*task)


__all__ = ["chunk_bounds", "map_chunks", "propagate_parallel"]
