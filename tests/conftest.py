"""Database fixtures shared by tests/store and tests/api.

``database_url`` runs a test once on SQLite (a file in the test's temporary
directory) and once on PostgreSQL, in a fresh database on the server named by
``SPACEPOOL_TEST_POSTGRES_URL`` (set by ``scripts/with-postgres.sh``).
"""

from __future__ import annotations

import glob
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

POSTGRES_URL_VARIABLE = "SPACEPOOL_TEST_POSTGRES_URL"
NO_SERVER = "PostgreSQL server binaries not installed (Debian package postgresql)"
NOT_STARTED = (
    f"{POSTGRES_URL_VARIABLE} is not set: run the tests under scripts/with-postgres.sh "
    "to start a throwaway PostgreSQL server"
)
BACKENDS = ["sqlite", "postgresql"]


def postgres_binaries_installed() -> bool:
    """Whether Debian's PostgreSQL server binaries are here (what
    scripts/with-postgres.sh looks for)."""
    return any(
        os.access(os.path.join(d, "initdb"), os.X_OK)
        for d in glob.glob("/usr/lib/postgresql/*/bin")
    )


def postgres_skip_reason() -> str:
    return NOT_STARTED if postgres_binaries_installed() else NO_SERVER


def fresh_database(backend: str, directory: Path) -> Iterator[str]:
    """Yield the URL of an empty database on ``backend``; drop it afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'spacepool.sqlite'}"
        return
    server = os.environ.get(POSTGRES_URL_VARIABLE)
    if not server:
        pytest.skip(postgres_skip_reason())
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"spacepool_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_database(request.param, tmp_path)


@pytest.fixture(params=BACKENDS, scope="module")
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Like ``database_url``, one database per test module and backend."""
    yield from fresh_database(request.param, tmp_path_factory.mktemp("db"))
