"""The Python examples of docs/elements.md run and print what the page shows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "elements.md"
NOT_RUN = "<!-- not run: needs the network -->"


def python_blocks() -> list[tuple[str, bool]]:
    """(code, runnable) for each ```python block, in page order."""
    text = PAGE.read_text()
    blocks = []
    for match in re.finditer(r"(?P<before>[^\n]*)\n```python\n(?P<code>.*?)```", text, re.S):
        blocks.append((match["code"], match["before"].strip() != NOT_RUN))
    return blocks


def test_the_page_has_examples_and_every_runnable_one_prints_what_it_shows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    blocks = python_blocks()
    assert len(blocks) == 4
    assert [runnable for _, runnable in blocks] == [True, True, True, False]
    monkeypatch.chdir(ROOT)  # the examples name files relative to the repository
    namespace: dict[str, object] = {}
    for code, runnable in blocks:
        if not runnable:
            compile(code, str(PAGE), "exec")  # still valid Python
            continue
        expected = "".join(line[2:] + "\n" for line in code.splitlines() if line.startswith("# "))
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, str(PAGE), "exec"), namespace)
        assert printed.getvalue() == expected
