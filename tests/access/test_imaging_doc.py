"""The Python examples of docs/imaging.md run and print what the page shows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "imaging.md"


def test_the_examples_print_what_the_page_shows() -> None:
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 3
    namespace: dict[str, object] = {}
    for code in blocks:
        expected = "".join(line[2:] + "\n" for line in code.splitlines() if line.startswith("# "))
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, str(PAGE), "exec"), namespace)
        assert printed.getvalue() == expected
