"""The ``spacepool`` command: thin; calls the same functions as the API.

User mistakes (:class:`spacepool.errors.InputError`) print one red line and exit 2;
no traceback. Each command group lives in its own block below.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.console import Console

from spacepool.errors import SpacepoolError

app = typer.Typer(
    name="spacepool",
    help="Pool the satellites, ground stations and data of a space-agency consortium.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Tables piped to a file or another program get room for their columns instead
# of Rich's 80-column fallback.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Turn spacepool errors into one red line on stderr and a non-zero exit."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SpacepoolError as exc:
            err_console.print(f"[red]error:[/red] {exc}", highlight=False, markup=True)
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]


# --- consortium --------------------------------------------------------------------

consortium_app = typer.Typer(help="The bundled or a given consortium.", no_args_is_help=True)
app.add_typer(consortium_app, name="consortium")


CONSORTIUM_FORMATS = ("table", "json")


@consortium_app.command("show")
@friendly_errors
def consortium_show(
    file: str | None = typer.Option(
        None, "--file", help="A consortium file (.toml or .json); default: the bundled one."
    ),
    fmt: str = typer.Option("table", "--format", help="Output format: table or json."),
) -> None:
    """Print partners, spacecraft and instruments, ground stations, facilities and
    agreements with their entitlements."""
    import json
    from pathlib import Path

    from spacepool.consortium import load_consortium
    from spacepool.consortium.report import consortium_summary, consortium_tables

    if fmt not in CONSORTIUM_FORMATS:
        raise typer.BadParameter(
            f"expected one of {', '.join(CONSORTIUM_FORMATS)}, got {fmt!r}", param_hint="--format"
        )
    consortium = load_consortium(None if file is None else Path(file))
    if fmt == "json":
        typer.echo(json.dumps(consortium_summary(consortium), indent=2))
        return
    for table in consortium_tables(consortium):
        console.print(table)


# --- passes / access ---------------------------------------------------------------


# --- spot5 -------------------------------------------------------------------------


# --- demo --------------------------------------------------------------------------


def main() -> None:
    """Entry point of the ``spacepool`` console script."""
    app(prog_name="spacepool")


if __name__ == "__main__":  # pragma: no cover
    main()
