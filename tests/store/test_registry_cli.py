"""`spacepool partners add` and `spacepool keys create` against an SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from spacepool.cli import app
from spacepool.store import Store
from spacepool.store.keys import authenticate


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("SPACEPOOL_DATABASE_URL", url)
    return url


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_a_partner_key_is_printed_once_and_authenticates(url: str) -> None:
    added = _run("partners", "add", "esa", "--name", "European Space Agency")
    assert (added.exit_code, added.stdout) == (0, "added partner esa (European Space Agency)\n")
    made = _run("keys", "create", "esa")
    assert made.exit_code == 0, made.output
    key = made.stdout.strip()
    assert key.startswith("sp_") and "\n" not in key
    assert "It is shown only now" in made.stderr
    store = Store(url)
    try:
        with store.transaction() as session:
            assert authenticate(session, key).partner_id == "esa"
    finally:
        store.close()


def test_an_admin_key_is_a_coordinator_key(url: str) -> None:
    made = _run("keys", "create", "--admin")
    assert made.exit_code == 0, made.output
    store = Store(url)
    try:
        with store.transaction() as session:
            assert authenticate(session, made.stdout.strip()).kind == "admin"
    finally:
        store.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("keys", "create", "nasa"), "error: unknown partner 'nasa'; known partners: esa"),
        (("keys", "create"), "error: give either a PARTNER id or --admin (one of them)"),
        (
            ("keys", "create", "esa", "--admin"),
            "error: give either a PARTNER id or --admin (one of them)",
        ),
        (("partners", "add", "esa", "--name", "Again"), "error: partner 'esa' exists already"),
        (
            ("partners", "add", "ESA!", "--name", "x"),
            "error: partner id 'ESA!': expected a lower-case letter followed by up to 63 lower-case "
            "letters, digits, '-' or '_' (e.g. esa, nasa, jaxa)",
        ),
    ],
)
def test_registry_mistakes_print_one_line_and_exit_2(
    url: str, args: tuple[str, ...], message: str
) -> None:
    assert _run("partners", "add", "esa", "--name", "ESA").exit_code == 0
    result = _run(*args)
    assert result.exit_code == 2
    assert " ".join(result.stderr.split()) == message


def test_a_bad_database_url_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPACEPOOL_DATABASE_URL", "mysql://x/y")
    result = _run("partners", "add", "esa", "--name", "ESA")
    assert result.exit_code == 2
    assert " ".join(result.stderr.split()) == (
        "error: SPACEPOOL_DATABASE_URL: unsupported database 'mysql' in 'mysql://x/y'; "
        "use sqlite:///FILE or postgresql+psycopg://..."
    )
