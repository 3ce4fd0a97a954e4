"""How the API is served: uvicorn on uvloop's event loop with the httptools HTTP/1.1
parser (uvicorn's "standard" set-up), Nagle's algorithm off on every connection."""

from __future__ import annotations

import asyncio
import contextlib
import functools
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
# while the other idled. Separate SO_REUSEPORT sockets per process fared better, but
# the kernel spreads by a hash of the address pair, not by load: bench_store's 20
# connections split 12/8 and 14/6. Here the main process accepts every connection
# and hands it to the workers in turn over a Unix socket (SCM_RIGHTS); the workers
# serve the connections they are given. Clients keep their connections (HTTP
# keep-alive), so a hand-off costs once per connection, not per request.

# Pending connections on the listening socket (uvicorn's default).
BACKLOG = 2048


def listening_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``; :class:`InputError` when the address
    cannot be taken (in use, not this machine's)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
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


class _HandedServer:
    """A uvicorn server with no listening socket of its own: it serves the
    connections whose descriptors arrive on ``channel`` (one byte and one
    descriptor per connection), and stops when the channel closes (the main
    process is gone)."""

    def __init__(self, channel: socket.socket, access_log: bool) -> None:
        import uvicorn

        self.channel = channel
        self.config = uvicorn.Config(**_uvicorn_settings(access_log))
        server = self.server = uvicorn.Server(self.config)
        startup = server.startup

        async def startup_and_receive(sockets: list[socket.socket] | None = None) -> None:
            await startup(sockets=[])  # the app's lifespan; no listener
            asyncio.get_running_loop().add_reader(channel.fileno(), self._receive)

        server.startup = startup_and_receive  # type: ignore[method-assign]

    def run(self) -> None:
        self.server.run(sockets=[])

    def _protocol(self) -> asyncio.Protocol:
        # What uvicorn's startup makes for each connection of its own listeners.
        server = self.server
        return self.config.http_protocol_class(  # type: ignore[call-arg]
            config=self.config, server_state=server.server_state, app_state=server.lifespan.state
        )

    def _receive(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            data, fds, _flags, _address = socket.recv_fds(self.channel, 1, 1)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data, fds = b"", []
        if not data:  # the main process is gone: stop as on SIGTERM
            loop.remove_reader(self.channel.fileno())
            self.server.should_exit = True
        for fd in fds:
            sock = socket.socket(fileno=fd)
            sock.setblocking(False)
            task = loop.create_task(loop.connect_accepted_socket(self._protocol, sock))
            task.add_done_callback(functools.partial(_close_on_failure, sock))


def _close_on_failure(sock: socket.socket, task: asyncio.Task[Any]) -> None:
    if task.cancelled() or task.exception() is not None:
        sock.close()


def _worker(channel: socket.socket, access_log: bool) -> None:
    """One server process: its own app, serving the connections handed to it."""
    channel.setblocking(False)
    _HandedServer(channel, access_log).run()


def serve(host: str, port: int, *, workers: int = 1, access_log: bool = True) -> int:
    """Serve the API on ``host:port`` until interrupted; returns the exit status.

    One worker: uvicorn in this process. Several: migrate the database once, start
    ``workers`` processes, accept every connection here and hand them to the
    workers in turn; stop them all on SIGINT/SIGTERM, or when one of them ends
    (status 1)."""
    import uvicorn

    from spacepool.store.db import upgrade_database

    if workers == 1 or not hasattr(socket, "send_fds"):
        uvicorn.run(**_uvicorn_settings(access_log), host=host, port=port, workers=workers)
        return 0
    import multiprocessing
    import selectors
    import signal

    upgrade_database()  # once here, so the workers do not race to upgrade the schema
    listener = listening_socket(host, port)  # a port in use fails here, before any worker
    context = multiprocessing.get_context("spawn")
    channels = [socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(workers)]
    processes = [
        context.Process(target=_worker, args=(theirs, access_log), name=f"worker-{n}")
        for n, (_ours, theirs) in enumerate(channels)
    ]
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    selector = selectors.DefaultSelector()
    try:
        for process in processes:
            process.start()
        for _ours, theirs in channels:
            theirs.close()
        listener.setblocking(False)
        selector.register(listener, selectors.EVENT_READ)
        for process in processes:
            selector.register(process.sentinel, selectors.EVENT_READ)
        turn = 0
        while not stopping and all(process.is_alive() for process in processes):
            if any(key.fileobj is listener for key, _ in selector.select(timeout=0.5)):
                turn = _hand_over(listener, [ours for ours, _theirs in channels], turn)
    finally:
        selector.close()
        listener.close()
        for process in processes:
            if process.is_alive():
                process.terminate()  # uvicorn shuts down gracefully on SIGTERM
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
        for ours, _theirs in channels:
            ours.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if stopping else 1


def _hand_over(listener: socket.socket, channels: list[socket.socket], turn: int) -> int:
    """Accept every pending connection and send each to the next worker's channel,
    starting with ``channels[turn]``; returns the next turn. A connection that
    cannot be handed over (its worker is gone) is closed."""
    while True:
        try:
            connection, _address = listener.accept()
        except (BlockingIOError, InterruptedError):
            return turn
        except OSError:  # out of descriptors, say: the rest wait in the backlog
            return turn
        # A worker that is gone: the serve loop sees it and stops.
        with connection, contextlib.suppress(OSError):
            socket.send_fds(channels[turn], [b"c"], [connection.fileno()])
        turn = (turn + 1) % len(channels)
