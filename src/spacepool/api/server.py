"""How the API is served: uvicorn's HTTP/1.1 protocol with Nagle's algorithm off."""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol

# The import string of NoDelayH11Protocol, for uvicorn's ``http`` setting (several
# worker processes need a string they can import).
NODELAY_HTTP = "spacepool.api.server:NoDelayH11Protocol"


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with ``TCP_NODELAY`` set on each connection.

    With ``--workers`` above 1, uvicorn binds the listening socket itself with
    protocol number 0, and asyncio turns Nagle's algorithm off only on sockets whose
    protocol is ``IPPROTO_TCP`` (``asyncio.base_events._set_nodelay``): answers
    written in two pieces (head, body) then wait for the client's delayed ACK, some
    40 ms on Linux. Setting it here makes every worker count behave alike."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_nodelay(transport)
        super().connection_made(transport)


def set_nodelay(transport: asyncio.BaseTransport) -> None:
    """Turn Nagle's algorithm off on a TCP transport (no-op for Unix sockets)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
