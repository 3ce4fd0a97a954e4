"""The `spacepool` command line: command order and warning text as the user sees them."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from typer.testing import CliRunner

from spacepool.cli import app
from spacepool.cli.engine import _warn_about_elements


def test_help_lists_the_commands_in_their_documented_order() -> None:
    result = CliRunner().invoke(app, ["--help"], terminal_width=120)
    assert result.exit_code == 0
    # Commands in registration order (engine, service, planning, activation), then
    # the command groups (Typer lists groups after commands).
    order = [
        "passes",
        "access",
        "serve",
        "spot5",
        "plan",
        "demo",
        "activate",
        "notify",
        "compare",
        "consortium",
        "partners",
        "keys",
    ]
    positions = [result.stdout.find(f" {name} ") for name in order]
    assert -1 not in positions, result.stdout
    assert positions == sorted(positions)


def test_command_list_summaries_have_no_hard_line_breaks() -> None:
    # Typer's rich help keeps a docstring's single line breaks in the command list,
    # which cut "plan"'s summary after "downlinks, the" at any terminal width.
    summaries = {info.name: info.short_help for info in app.registered_commands}
    assert summaries["plan"] == (
        "One joint plan for the scenario's requests: acquisitions and downlinks, the "
        "fairness table, and a reason for every request not served."
    )
    assert all(text and "\n" not in text for text in summaries.values()), summaries


@dataclass
class _Warning:
    message: str


@dataclass
class _Result:
    age_warnings: list[_Warning] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def test_engine_warnings_keep_square_brackets_literal(capsys: pytest.CaptureFixture[str]) -> None:
    # Rich would read "[bold]" as markup and drop it; a satellite name or an sgp4
    # message may hold brackets, so the text must reach the user unchanged.
    result = _Result(
        age_warnings=[_Warning("ISS [ZARYA]: elements are 12.0 days old")],
        failures=["[bold]SAT-1[/bold]: sgp4 error 6 (decayed)"],
    )
    _warn_about_elements(result)
    err = capsys.readouterr().err
    assert "warning: ISS [ZARYA]: elements are 12.0 days old" in err
    assert "warning: [bold]SAT-1[/bold]: sgp4 error 6 (decayed)" in err
