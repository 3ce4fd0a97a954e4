"""The served HTTP protocol turns Nagle's algorithm off on every connection."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from uvicorn.config import Config

from spacepool.api.server import LOOP, NODELAY_HTTP, NoDelayHttpToolsProtocol, set_nodelay


def _nodelay(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_set_nodelay_turns_nagle_off_on_a_socket_bound_like_uvicorn_workers() -> None:
    async def run() -> int:
        # uvicorn's multi-worker bind: protocol number 0, which asyncio leaves alone.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                before = _nodelay(sock)
                set_nodelay(transport)
                accepted.set_result(before * 10 + _nodelay(sock))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname())
        result = await asyncio.wait_for(accepted, 5.0)
        writer.close()
        server.close()
        await server.wait_closed()
        return result

    assert asyncio.run(run()) == 1  # off before (0), on after (1)


def test_the_import_strings_name_the_protocol_and_loop_uvicorn_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPACEPOOL_DATABASE_URL", f"sqlite:///{tmp_path / 'api.sqlite'}")
    config = Config(app="spacepool.api:create_app", factory=True, http=NODELAY_HTTP, loop=LOOP)
    config.load()
    assert config.http_protocol_class is NoDelayHttpToolsProtocol
    # uvloop is installed, so the "uvloop" setting does not fall back to asyncio's loop.
    factory = config.get_loop_factory()
    assert factory is not None
    assert type(factory()).__module__.startswith("uvloop")
