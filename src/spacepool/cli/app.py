"""The root ``spacepool`` Typer app and what every command shares.

User mistakes (:class:`spacepool.errors.InputError`) print one red line and exit 2;
no traceback. The subject modules (``engine``, ``registry``, ``service``, ``planning``,
``activation``) register their commands on :data:`app`; heavy imports stay inside the
commands so that ``spacepool --help`` starts quickly.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from spacepool.errors import InputError, SpacepoolError

if TYPE_CHECKING:
    from spacepool.store import Store

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

# The --format choices of the commands that print a table or JSON.
TABLE_OR_JSON = ("table", "json")

Progress = Callable[[int, int], None]


def friendly_errors(func: F) -> F:
    """Turn spacepool errors into one red line on stderr and a non-zero exit."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SpacepoolError as exc:
            err_console.print(
                "[red]error:[/red]", escape(str(exc)), highlight=False, soft_wrap=True
            )
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]


# --- checks of options -------------------------------------------------------------


def check_choice(value: str, allowed: tuple[str, ...], param_hint: str) -> None:
    """Reject ``value`` unless it is one of ``allowed`` (usage error, exit 2)."""
    if value not in allowed:
        raise typer.BadParameter(
            f"expected one of {', '.join(allowed)}, got {value!r}", param_hint=param_hint
        )


def check_time_limit(time_limit_s: float) -> None:
    """A solver time limit must be positive (``--time-limit``)."""
    if not time_limit_s > 0:
        raise typer.BadParameter(f"must be > 0, got {time_limit_s:g}", param_hint="--time-limit")


def check_workers(workers: int) -> None:
    """At least one worker process or thread (``--workers``)."""
    if workers < 1:
        raise typer.BadParameter(f"must be >= 1, got {workers}", param_hint="--workers")


def require_one_of(first: bool, second: bool, message: str) -> None:
    """Exactly one of two alternative options must be given; else ``message``."""
    if first == second:
        raise InputError(message)


# --- output ------------------------------------------------------------------------


def echo_json(data: Any, *, sort_keys: bool = False) -> None:
    """``data`` as indented JSON on stdout."""
    typer.echo(json.dumps(data, indent=2, sort_keys=sort_keys))


def print_all(renderables: Iterable[Any]) -> None:
    """Each Rich renderable (tables, panels, text) on stdout, in order."""
    for renderable in renderables:
        console.print(renderable)


def warn(message: str) -> None:
    """One yellow ``warning:`` line on stderr; ``message`` is Rich markup (escape
    text that may hold square brackets)."""
    err_console.print(f"[yellow]warning:[/yellow] {message}", highlight=False)


def progress_bar(label: str, enabled: bool) -> AbstractContextManager[Progress | None]:
    """A context manager yielding ``progress(done, total)`` drawing a transient bar
    named ``label`` on stderr, or ``None`` when not ``enabled``."""
    if not enabled:
        return nullcontext(None)
    from rich.progress import Progress as RichProgress

    @contextmanager
    def bar() -> Iterator[Progress]:
        with RichProgress(console=err_console, transient=True) as progress:
            task = progress.add_task(label, total=None)

            def update(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            yield update

    return bar()


@contextmanager
def open_store(url: str | None = None) -> Iterator[Store]:
    """The database at ``url`` (default: SPACEPOOL_DATABASE_URL, else
    ./spacepool.sqlite), migrated, and closed afterwards."""
    from spacepool.store import Store

    store = Store(url)
    try:
        yield store
    finally:
        store.close()


def main() -> None:
    """Entry point of the ``spacepool`` console script."""
    app(prog_name="spacepool")
