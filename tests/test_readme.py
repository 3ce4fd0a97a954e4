"""Every example in README.md runs, and prints what README says it prints."""

from __future__ import annotations

import doctest
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from spacepool.api import create_app
from spacepool.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def blocks(kind: str) -> list[str]:
    return [body for lang, body in FENCE.findall(README.read_text("utf-8")) if lang == kind]


def commands(prefix: str) -> list[tuple[str, list[str]]]:
    """``$ command`` lines of console blocks with the output lines that follow them."""
    found: list[tuple[str, list[str]]] = []
    for body in blocks("console"):
        for line in body.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            elif found:
                found[-1][1].append(line)
    return [(cmd, out) for cmd, out in found if cmd.startswith(prefix)]


def test_readme_has_examples_of_each_kind() -> None:
    assert blocks("python"), "README lost its Python example"
    assert commands("spacepool "), "README lost its CLI example"
    assert commands("curl "), "README lost its curl example"


def test_python_examples_print_what_readme_says() -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest("\n".join(blocks("python")), {}, "README.md", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize(("command", "expected"), commands("spacepool "))
def test_cli_examples_print_what_readme_says(command: str, expected: list[str]) -> None:
    result = CliRunner().invoke(app, shlex.split(command)[1:])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == expected


@pytest.mark.parametrize(("command", "expected"), commands("curl "))
def test_curl_examples_answer_200_with_json(
    command: str, expected: list[str], tmp_path: Path
) -> None:
    url = next(arg for arg in shlex.split(command) if arg.startswith("http"))
    parts = urlsplit(url)
    client = TestClient(create_app(f"sqlite:///{tmp_path / 'readme.sqlite'}"))
    response = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
    assert response.status_code == 200, response.text
    assert response.json()["type"] == "FeatureCollection"
