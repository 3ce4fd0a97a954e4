"""How the API is served: Nagle's algorithm off on every connection, uvicorn's fast
loop and parser, and several processes that take the connections in turn."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from uvicorn.config import Config

from serve_support import launch_serve
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


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def _server_inode(client_port: int, server_port: int) -> int:
    """The inode of the server's end of the loopback connection from ``client_port``
    (/proc/net/tcp: hex local and remote address:port, inode in column 10)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        if local_port == server_port and remote_port == client_port:
            return int(fields[9])
    raise AssertionError(f"no server end for client port {client_port}")


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux's /proc")
def test_several_workers_take_equal_shares_of_the_connections_and_stop_together(
    tmp_path: Path,
) -> None:
    process, port = launch_serve(
        f"sqlite:///{tmp_path / 'api.sqlite'}",
        tmp_path / "serve.log",
        options=["--workers", "2", "--no-access-log"],
    )
    try:
        workers = []
        deadline = time.monotonic() + 30
        while len(workers) < 2 and time.monotonic() < deadline:
            workers = [pid for pid in _children(process.pid) if _socket_inodes(pid)]
            time.sleep(0.1)
        connections = []
        for _ in range(16):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"GET /stac/_mgmt/ping HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
            connections.append(sock)
        owners = {pid: 0 for pid in workers}
        for sock in connections:
            inode = _server_inode(sock.getsockname()[1], port)
            for pid in workers:
                if inode in _socket_inodes(pid):
                    owners[pid] += 1
        # Handed over in turn: the same number each (a hash of the address pair had
        # given 12/8 and 14/6 of 20).
        assert sorted(owners.values()) == [8, 8], owners
        for sock in connections:
            sock.close()
    finally:
        process.terminate()
        status = process.wait(timeout=60)
    assert status == 0, (tmp_path / "serve.log").read_text()
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_several_workers_on_a_port_in_use_give_one_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "spacepool.cli",
                "serve",
                "--port",
                str(port),
                "--workers",
                "2",
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "SPACEPOOL_DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite'}"},
            timeout=120,
            check=False,
        )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    )


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux's /proc")
def test_workers_stop_when_the_main_process_is_killed(tmp_path: Path) -> None:
    process, _port = launch_serve(
        f"sqlite:///{tmp_path / 'api.sqlite'}",
        tmp_path / "serve.log",
        options=["--workers", "2", "--no-access-log"],
    )
    try:
        workers: list[int] = []
        deadline = time.monotonic() + 30
        while len(workers) < 2 and time.monotonic() < deadline:
            workers = [pid for pid in _children(process.pid) if _socket_inodes(pid)]
            time.sleep(0.1)
        assert len(workers) == 2
    finally:
        process.kill()  # no chance to stop the workers: they see their channel close
        process.wait(timeout=30)
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
