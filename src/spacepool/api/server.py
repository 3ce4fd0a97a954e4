"""How the API is served: uvicorn on uvloop's event loop with the httptools HTTP/1.1
parser (uvicorn's "standard" set-up), Nagle's algorithm off on every connection."""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

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
