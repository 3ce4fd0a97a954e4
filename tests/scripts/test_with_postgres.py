"""scripts/with-postgres.sh: the throwaway server's settings from the environment.

Bad values fail before any cluster is made (exit status 2, a message naming the
variable); a good one reaches the server. The second case starts a cluster of its
own and needs Debian's server binaries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import NO_SERVER, postgres_binaries_installed

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "with-postgres.sh"
SHOW_SHARED_BUFFERS = (
    "import os, psycopg\n"
    "url = os.environ['SPACEPOOL_TEST_POSTGRES_URL'].replace('+psycopg', '')\n"
    "with psycopg.connect(url) as c:\n"
    "    print(c.execute('SHOW shared_buffers').fetchone()[0])\n"
)


def _run(shared_buffers: str, *command: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "SPACEPOOL_PG_SHARED_BUFFERS": shared_buffers}
    return subprocess.run(
        [str(SCRIPT), *command], env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("xyz", "no number"),
        ("2G B", "a space inside"),
        ("2GB;touch x", "a second command"),
        ("-1GB", "a sign"),
        ("2gb", "PostgreSQL's units are case-sensitive"),
    ],
)
def test_a_shared_buffers_value_that_is_not_a_size_fails_before_any_server_starts(
    value: str, why: str, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    result = _run(value, "touch", str(marker))
    assert result.returncode == 2, why
    assert result.stderr == (
        "with-postgres: SPACEPOOL_PG_SHARED_BUFFERS must be a size such as 2GB or 512MB;"
        f" got '{value}'\n"
    )
    assert not marker.exists()  # the command did not run


def test_shared_buffers_from_the_environment_reaches_the_server() -> None:
    if not postgres_binaries_installed():
        pytest.skip(NO_SERVER)
    result = _run("256MB", sys.executable, "-c", SHOW_SHARED_BUFFERS)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "256MB\n"
    assert "(shared_buffers 256MB)" in result.stderr
