"""How the API is served: uvicorn on uvloop's event loop with the httptools HTTP/1.1
parser (uvicorn's "standard" set-up), Nagle's algorithm off on every connection."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from spacepool.errors import InputError

# The import string of NoDelayHttpToolsProtocol, for uvicorn's ``http`` setting
# (several worker processes need a string they can import).
NODELAY_HTTP = "spacepool.api.server:NoDelayHttpToolsProtocol"
# uvicorn's ``loop`` setting: libuv's event loop. Against the standard library's loop
# and the pure-Python h11 parser, uvloop + httptools cut the server's own work per
# search; benchmarks/bench_store.py measures the whole request.
LOOP = "uvloop"


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools HTTP/1.1 protocol with ``TCP_NODELAY`` set on each
    connection.

    With ``--workers`` above 1, uvicorn binds the listening socket itself with
    protocol number 0, and asyncio turns Nagle's algorithm off only on sockets whose
    protocol is ``IPPROTO_TCP`` (``asyncio.base_events._set_nodelay``): answers
    written in two pieces (head, body) then wait for the client's delayed ACK, some
    40 ms on Linux. Setting it here makes every worker count and event loop behave
    alike."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_nodelay(transport)
        super().connection_made(transport)


def set_nodelay(transport: asyncio.BaseTransport) -> None:
    """Turn Nagle's algorithm off on a TCP transport (no-op for Unix sockets)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


# --- several processes ---------------------------------------------------------------
#
# uvicorn's own ``--workers`` shares one listening socket among its processes, and
# whichever process wakes first accepts: 20 connections opened together all went
# to one of two processes (measured with ``ss``), so one process did all the work
# while the other idled. Here each process listens on its own socket with
# SO_REUSEPORT, and the kernel spreads new connections over them.

# Pending connections per listening socket (uvicorn's default).
BACKLOG = 2048


def listening_socket(host: str, port: int, *, listen: bool = True) -> socket.socket:
    """A TCP socket bound to ``host:port`` with SO_REUSEPORT (several processes may
    bind the same port; the kernel spreads connections over those that listen)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        if listen:
            sock.listen(BACKLOG)
    except BaseException:
        sock.close()
        raise
    return sock


def _uvicorn_settings(access_log: bool) -> dict[str, Any]:
    """What every server process runs: the app factory by its import string (worker
    processes import it), the no-delay httptools protocol, uvloop."""
    return {
        "app": "spacepool.api:create_app",
        "factory": True,
        "http": NODELAY_HTTP,
        "loop": LOOP,
        "access_log": access_log,
    }


def _worker(host: str, port: int, access_log: bool) -> None:
    """One server process: its own listening socket, its own app and connections."""
    import uvicorn

    config = uvicorn.Config(**_uvicorn_settings(access_log))
    uvicorn.Server(config).run(sockets=[listening_socket(host, port)])


def serve(host: str, port: int, *, workers: int = 1, access_log: bool = True) -> int:
    """Serve the API on ``host:port`` until interrupted; returns the exit status.

    One worker: uvicorn in this process. Several: migrate the database once, then
    start ``workers`` processes that each listen on ``host:port`` (SO_REUSEPORT);
    stop them all on SIGINT/SIGTERM, or when one of them ends (status 1)."""
    import uvicorn

    from spacepool.store.db import upgrade_database

    if workers > 1:
        upgrade_database()  # once here, so the workers do not race to upgrade the schema
    if workers == 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(**_uvicorn_settings(access_log), host=host, port=port, workers=workers)
        return 0
    import multiprocessing
    import multiprocessing.connection
    import signal

    # Held (bound, not listening) while the workers run: a port in use fails here,
    # with one clear error, before any worker starts.
    try:
        reservation = listening_socket(host, port, listen=False)
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_worker, args=(host, port, access_log), name=f"worker-{n}")
        for n in range(workers)
    ]
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for process in processes:
            process.start()
        while not stopping and all(process.is_alive() for process in processes):
            multiprocessing.connection.wait([p.sentinel for p in processes], timeout=0.5)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # uvicorn shuts down gracefully on SIGTERM
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        reservation.close()
    return 0 if stopping else 1
