"""Start a real ``spacepool serve`` process on loopback and wait until it answers:
shared by the API checks over HTTP (tests/api/live_server.py) and the dashboard's
browser tests (tests/web/dashboard_server.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

# How long a server may take to migrate its database and start listening.
START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def launch_serve(
    database_url: str,
    log: Path,
    env: dict[str, str] | None = None,
    options: Sequence[str] = (),
) -> tuple[subprocess.Popen[bytes], int]:
    """``spacepool serve`` (with ``options``) on a free loopback port over
    ``database_url``, output to ``log``; returns the process and its port once
    ``/stac/_mgmt/ping`` answers.
    Raises with the log when the process exits or does not answer in time."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "spacepool.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *options,
    ]
    environment = {**os.environ, **(env or {}), "SPACEPOOL_DATABASE_URL": database_url}
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=environment, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"spacepool serve exited with {process.returncode}:\n{log.read_text()}"
            )
        try:
            ping = httpx.get(f"http://127.0.0.1:{port}/stac/_mgmt/ping", timeout=2.0)
            if ping.status_code == 200:
                return process, port
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    process.wait(timeout=30)
    raise RuntimeError(
        f"spacepool serve did not answer in {START_TIMEOUT_S:g} s:\n{log.read_text()}"
    )
