"""Registry commands: the consortium, its partners and their API keys
(``consortium show|load``, ``partners add``, ``keys create``)."""

from __future__ import annotations

import typer

from spacepool.cli.app import (
    TABLE_OR_JSON,
    app,
    check_choice,
    echo_json,
    err_console,
    friendly_errors,
    open_store,
    print_all,
    require_one_of,
)

consortium_app = typer.Typer(help="The bundled or a given consortium.", no_args_is_help=True)
app.add_typer(consortium_app, name="consortium")
partners_app = typer.Typer(help="Consortium partners in the database.", no_args_is_help=True)
app.add_typer(partners_app, name="partners")
keys_app = typer.Typer(help="API keys (shown once, stored hashed).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

_CONSORTIUM_FILE_HELP = "A consortium file (.toml or .json); default: the bundled one."


@consortium_app.command("show")
@friendly_errors
def consortium_show(
    file: str | None = typer.Option(None, "--file", help=_CONSORTIUM_FILE_HELP),
    fmt: str = typer.Option("table", "--format", help="Output format: table or json."),
) -> None:
    """Print partners, spacecraft and instruments, ground stations, facilities and
    agreements with their entitlements."""
    from pathlib import Path

    from spacepool.consortium import load_consortium
    from spacepool.consortium.report import consortium_summary, consortium_tables

    check_choice(fmt, TABLE_OR_JSON, "--format")
    consortium = load_consortium(None if file is None else Path(file))
    if fmt == "json":
        echo_json(consortium_summary(consortium))
        return
    print_all(consortium_tables(consortium))


@consortium_app.command("load")
@friendly_errors
def consortium_load(
    file: str | None = typer.Option(None, "--file", help=_CONSORTIUM_FILE_HELP),
) -> None:
    """Import the consortium (partners, assets, agreements, nominal element sets) into
    the database of SPACEPOOL_DATABASE_URL (default ./spacepool.sqlite). Running it
    again changes only what differs; nothing is deleted."""
    from pathlib import Path

    from spacepool.consortium import load_consortium
    from spacepool.store.registry import load_consortium_into

    consortium = load_consortium(None if file is None else Path(file))
    with open_store() as store:
        summary = load_consortium_into(store, consortium)
    echo_json(summary.to_dict(), sort_keys=True)


@partners_app.command("add")
@friendly_errors
def partners_add(
    partner_id: str = typer.Argument(..., metavar="ID", help="Short id, e.g. esa."),
    name: str = typer.Option(..., "--name", help="Full name, e.g. 'European Space Agency'."),
) -> None:
    """Register a partner."""
    from datetime import UTC, datetime

    from spacepool.store.partners import add_partner

    with open_store() as store, store.transaction() as session:
        partner = add_partner(session, partner_id, name, now=datetime.now(UTC))
        typer.echo(f"added partner {partner.id} ({partner.name})")


@keys_app.command("create")
@friendly_errors
def keys_create(
    partner: str | None = typer.Argument(None, metavar="[PARTNER]", help="Partner id."),
    admin: bool = typer.Option(False, "--admin", help="A consortium coordinator key."),
) -> None:
    """Make an API key and print it once on stdout; only its hash is stored."""
    from datetime import UTC, datetime

    from spacepool.store.keys import create_api_key

    require_one_of(admin, partner is not None, "give either a PARTNER id or --admin (one of them)")
    with open_store() as store, store.transaction() as session:
        new = create_api_key(session, partner_id=partner, admin=admin, now=datetime.now(UTC))
    typer.echo(new.key)
    who = "coordinator (admin)" if admin else f"partner {partner}"
    err_console.print(
        f"API key {new.prefix} for {who}. It is shown only now: store it safely. "
        "Use it as 'Authorization: Bearer <key>'.",
        highlight=False,
        markup=False,
    )
