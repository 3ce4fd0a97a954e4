"""The ``spacepool`` command: thin; calls the same functions as the API.

:mod:`spacepool.cli.app` holds the root Typer app and the helpers every command
shares; each subject module registers its commands on that app when imported.
"""

from spacepool.cli.app import app, console, err_console, friendly_errors, main

# Typer lists commands (and, after them, command groups) in the order they were
# registered, and that order is part of ``spacepool --help``: keep these imports
# in this order.
# isort: off
from spacepool.cli import engine as engine
from spacepool.cli import registry as registry
from spacepool.cli import service as service
from spacepool.cli import planning as planning
from spacepool.cli import activation as activation

# isort: on

import inspect as _inspect

# Typer's rich help keeps the single line breaks of a docstring's first paragraph in
# the command list ("... downlinks, the" / "fairness table ..."); give every command
# its first paragraph on one line as the short help instead.
for _info in app.registered_commands:
    if _info.short_help is None and _info.callback is not None:
        _first = _inspect.cleandoc(_info.callback.__doc__ or "").split("\n\n")[0]
        _info.short_help = " ".join(_first.split())

__all__ = ["app", "console", "err_console", "friendly_errors", "main"]
