"""The ``spacepool`` command: thin; calls the same functions as the API.

User mistakes (:class:`spacepool.errors.InputError`) print one red line and exit 2;
no traceback. Each command group lives in its own block below.
"""

from __future__ import annotations

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
console = Console()
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


# --- passes / access ---------------------------------------------------------------


# --- spot5 -------------------------------------------------------------------------


# --- demo --------------------------------------------------------------------------


def main() -> None:
    """Entry point of the ``spacepool`` console script."""
    app(prog_name="spacepool")


if __name__ == "__main__":  # pragma: no cover
    main()
