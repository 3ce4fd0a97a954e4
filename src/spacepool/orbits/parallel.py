"""Propagation over several processes, for catalogue-sized batches.

``SatrecArray.sgp4`` holds the GIL, so threads do not add throughput; processes do.
:func:`propagate_parallel` splits the satellites into chunks and runs
:meth:`Propagator.grid` on each in a worker process. With the process backend the
workers write their states straight into memory-mapped files in shared memory
(``(S, 3, N)`` arrays the result keeps, never copied), so nothing but the element
sets crosses a process boundary; with the
Dask backend (``dask.distributed``, the scale-out named in DESIGN.md) each chunk's
arrays are returned through the scheduler, which also works across machines.

The result is the same :class:`~spacepool.orbits.propagate.Ephemeris` as
``Propagator(elements, timebase).grid(seconds)``, bit for bit.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from itertools import groupby
from multiprocessing import get_context
from typing import Any, Literal, TypeVar

import numpy as np
from numpy.typing import NDArray

from spacepool.orbits.elements import ElementSet
from spacepool.orbits.propagate import Ephemeris, Propagator
from spacepool.orbits.timebase import TimeBase

R = TypeVar("R")

FloatArray = NDArray[np.float64]
Backend = Literal["processes", "dask"]

Progress = Callable[[int, int], None]
"""``progress(satellites_done, satellites_total)``, called after each chunk."""


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
    shapes = ((n_sat, 3, n), (n_sat, 3, n), (n_sat, n))
    # Memory-mapped files in shared memory (/dev/shm where there is one): the workers
    # write their rows into them and the result keeps the mapping, so the states are
    # never copied. The files go when the folder does; the mappings stay valid.
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    dtypes = (np.float64, np.float64, np.uint8)
    with tempfile.TemporaryDirectory(
        prefix="spacepool-", dir=shm, ignore_cleanup_errors=True
    ) as folder:
        paths = tuple(os.path.join(folder, name) for name in ("r", "v", "error"))
        arrays = [
            np.memmap(path, dtype=dtype, mode="w+", shape=shape)
            for path, dtype, shape in zip(paths, dtypes, shapes, strict=True)
        ]
        own = executor is None
        pool = executor or ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
        try:
            futures = [
                pool.submit(_grid_into_files, elements[a:b], timebase, seconds, paths, n_sat, a)
                for a, b in bounds
            ]
            for future in futures:
                future.result()
        finally:
            if own:
                pool.shutdown()
    r, v, e = (np.asarray(a) for a in arrays)
    return Ephemeris(elements, timebase, seconds, r, v, e)


def _grid_into_files(
    chunk: tuple[ElementSet, ...],
    timebase: TimeBase,
    seconds: FloatArray,
    paths: tuple[str, ...],
    n_sat: int,
    first: int,
) -> None:
    """Worker: propagate ``chunk`` into rows ``first...`` of the memory-mapped arrays."""
    n = seconds.size
    r = np.memmap(paths[0], dtype=np.float64, mode="r+", shape=(n_sat, 3, n))
    v = np.memmap(paths[1], dtype=np.float64, mode="r+", shape=(n_sat, 3, n))
    e = np.memmap(paths[2], dtype=np.uint8, mode="r+", shape=(n_sat, n))
    last = first + len(chunk)
    # Straight into the shared arrays: no copy of the chunk's states.
    Propagator(chunk, timebase).grid(seconds, out=(r[first:last], v[first:last], e[first:last]))
    del r, v, e  # unmapped when dropped; the pages stay in the shared file


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


def step_chunks(
    steps: Sequence[float],
    indices: Iterable[int],
    cost: Callable[[int, float], int],
    budget: int,
    *,
    workers: int = 1,
) -> Iterator[tuple[float, list[int]]]:
    """Satellites grouped by grid step, each group cut into chunks of bounded work.

    ``steps[i]``: satellite ``i``'s grid step (s); ``indices``: the satellites to
    search; ``cost(i, step)``: entries satellite ``i`` adds to a chunk of that step.
    Yields ``(step, members)`` by increasing step, members in increasing index order;
    a chunk's summed cost stays within ``budget`` (a satellite alone may exceed it),
    and with ``workers > 1`` every group is cut into at least ``workers`` chunks (as
    its size allows) so that all processes have work. One propagation grid serves a
    chunk, so its satellites share a step.
    """
    order = sorted(indices, key=lambda i: (steps[i], i))
    for step, group in groupby(order, key=lambda i: steps[i]):
        members = list(group)
        most = -(-len(members) // workers) if workers > 1 else len(members)
        chunk: list[int] = []
        load = 0
        for i in members:
            extra = cost(i, step)
            if chunk and (load + extra > budget or len(chunk) >= most):
                yield step, chunk
                chunk, load = [], 0
            chunk.append(i)
            load += extra
        if chunk:
            yield step, chunk


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
            futures = deque(pool.submit(func, *task) for task in tasks)
            while futures:
                # Let go of each future once read: it would otherwise keep its result
                # (e.g. a chunk's arrays) alive until the last one is done.
                yield futures.popleft().result()
    else:
        for task in tasks:
            yield func(*task)


__all__ = ["Progress", "chunk_bounds", "map_chunks", "propagate_parallel", "step_chunks"]
