"""`spacepool consortium load`: imports the consortium once; a rerun changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spacepool.cli import app
from spacepool.consortium import load_consortium
from spacepool.store import Store
from spacepool.store.assets import list_assets


def test_loading_twice_creates_then_leaves_everything_unchanged(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPACEPOOL_DATABASE_URL", database_url)
    consortium = load_consortium()
    assets = len(consortium.fleet) + len(consortium.stations) + len(consortium.facilities)
    counts = {
        "partners": len(consortium.partners),
        "assets": assets,
        "agreements": len(consortium.agreements),
        "element_sets": len(consortium.fleet),
    }
    first = CliRunner().invoke(app, ["consortium", "load"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {"created": counts, "updated": {}, "unchanged": {}}
    second = CliRunner().invoke(app, ["consortium", "load"])
    assert json.loads(second.stdout) == {"created": {}, "updated": {}, "unchanged": counts}
    store = Store(database_url)
    try:
        with store.transaction() as session:
            _, total = list_assets(session, limit=1, offset=0)
    finally:
        store.close()
    assert total == assets


def test_a_bad_consortium_file_is_one_red_line_and_loads_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    monkeypatch.setenv("SPACEPOOL_DATABASE_URL", url)
    bad = tmp_path / "c.toml"
    bad.write_text('name = "x"\n')
    result = CliRunner().invoke(app, ["consortium", "load", "--file", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "db.sqlite").exists()


def test_consortium_show_still_prints_the_bundled_consortium() -> None:
    result = CliRunner().invoke(app, ["consortium", "show", "--format", "json"])
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)["partners"]) == len(load_consortium().partners)
