"""The ``spacepool`` command: thin; calls the same functions as the API.

User mistakes (:class:`spacepool.errors.InputError`) print one red line and exit 2;
no traceback. Each command group lives in its own block below.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

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
            err_console.print(
                "[red]error:[/red]", escape(str(exc)), highlight=False, soft_wrap=True
            )
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


@consortium_app.command("load")
@friendly_errors
def consortium_load(
    file: str | None = typer.Option(
        None, "--file", help="A consortium file (.toml or .json); default: the bundled one."
    ),
) -> None:
    """Import the consortium (partners, assets, agreements, nominal element sets) into
    the database of SPACEPOOL_DATABASE_URL (default ./spacepool.sqlite). Running it
    again changes only what differs; nothing is deleted."""
    import json
    from pathlib import Path

    from spacepool.consortium import load_consortium
    from spacepool.store import Store
    from spacepool.store.registry import load_consortium_into

    consortium = load_consortium(None if file is None else Path(file))
    store = Store()
    try:
        summary = load_consortium_into(store, consortium)
    finally:
        store.close()
    typer.echo(json.dumps(summary.to_dict(), indent=2, sort_keys=True))


# --- passes / access ---------------------------------------------------------------

PASSES_FORMATS = ("table", "json", "csv", "ics")


@app.command("passes")
@friendly_errors
def passes(
    station: Annotated[
        list[str],
        typer.Option(
            "--station", help="Station name from the consortium, or LAT,LON[,ALT_M]. Repeatable."
        ),
    ],
    start: str = typer.Option(..., "--start", help="Window start, ISO 8601 (UTC if no zone)."),
    end: str = typer.Option(..., "--end", help="Window end, ISO 8601."),
    tle: str | None = typer.Option(None, "--tle", help="Element file (TLE or OMM)."),
    consortium: bool = typer.Option(
        False, "--consortium", help="Use the bundled consortium's nominal elements instead."
    ),
    min_elevation: float | None = typer.Option(
        None, "--min-elevation", help="Constant mask in degrees (default: each station's mask)."
    ),
    sat: Annotated[
        list[str] | None,
        typer.Option("--sat", help="Satellite name or NORAD id. Repeatable; default: all."),
    ] = None,
    fmt: str = typer.Option("table", "--format", help="table, json, csv or ics."),
) -> None:
    """Ground-station passes (AOS, TCA, LOS, max elevation) in a time window."""
    import json

    from spacepool.access.contacts import (
        contacts_csv,
        contacts_ics,
        find_contacts,
        resolve_stations,
        select_satellites,
    )
    from spacepool.errors import InputError

    if fmt not in PASSES_FORMATS:
        raise typer.BadParameter(
            f"expected one of {', '.join(PASSES_FORMATS)}, got {fmt!r}", param_hint="--format"
        )
    if (tle is None) == (not consortium):
        raise InputError("give either --tle FILE or --consortium (one of them)")
    if tle is not None:
        from spacepool.orbits.omm import load_elements

        elements = list(load_elements(tle).elements)
    else:
        from spacepool.consortium import load_consortium

        elements = load_consortium().element_sets()
    chosen = select_satellites(elements, sat or [])
    stations = resolve_stations(station)
    show_progress = fmt in ("table", "ics") and err_console.is_terminal
    with _progress_bar(show_progress) as progress:
        result = find_contacts(
            chosen, stations, start, end, min_elevation_deg=min_elevation, progress=progress
        )
    for warning in result.age_warnings:
        err_console.print(f"[yellow]warning:[/yellow] {warning.message}", highlight=False)
    for failure in result.failures:
        err_console.print(f"[yellow]warning:[/yellow] {failure}", highlight=False)
    contacts = result.contacts
    if fmt == "json":
        typer.echo(json.dumps([c.to_dict() for c in contacts], indent=2))
    elif fmt == "csv":
        typer.echo(contacts_csv(contacts), nl=False)
    elif fmt == "ics":
        typer.echo(contacts_ics(contacts).encode(), nl=False)  # bytes: keep RFC 5545's CRLF
    else:
        console.print(_passes_table(contacts, {w.norad_id for w in result.age_warnings}))


def _progress_bar(enabled: bool) -> Any:
    """A context manager yielding ``progress(done, total)`` or ``None``."""
    from contextlib import contextmanager, nullcontext

    if not enabled:
        return nullcontext(None)
    from rich.progress import Progress

    @contextmanager
    def bar() -> Any:
        with Progress(console=err_console, transient=True) as progress:
            task = progress.add_task("passes", total=None)

            def update(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            yield update

    return bar()


def _passes_table(contacts: Any, stale: set[int]) -> Any:
    from rich.table import Table

    from spacepool.orbits.timebase import format_time

    table = Table(title=f"{len(contacts)} passes")
    for name in ("satellite", "norad", "station", "AOS (UTC)", "TCA", "LOS", "max el",
                 "duration", "age d"):  # fmt: skip
        table.add_column(
            name, justify="right" if name in ("max el", "duration", "age d") else "left"
        )
    for c in contacts:
        age = f"{c.element_age_days:.1f}" + (" !" if c.norad_id in stale else "")
        table.add_row(
            c.satellite, str(c.norad_id), c.station,
            format_time(c.aos) + (" <" if c.truncated_start else ""),
            format_time(c.tca),
            format_time(c.los) + (" >" if c.truncated_end else ""),
            f"{c.max_elevation_deg:.1f}", f"{c.duration_s:.0f} s", age,
        )  # fmt: skip
    if stale:
        table.caption = "! elements older than their validity limit; < > pass cut by the window"
    else:
        table.caption = "< > pass cut by the window"
    return table


ACCESS_FORMATS = ("table", "json", "csv", "geojson")


@app.command("access")
@friendly_errors
def access(
    start: str = typer.Option(..., "--start", help="Window start, ISO 8601 (UTC if no zone)."),
    end: str = typer.Option(..., "--end", help="Window end, ISO 8601."),
    tle: str | None = typer.Option(None, "--tle", help="Element file (TLE or OMM)."),
    consortium: bool = typer.Option(
        False,
        "--consortium",
        help="Use the bundled consortium's nominal elements and its instruments.",
    ),
    target: Annotated[
        list[str] | None, typer.Option("--target", help="Point target LAT,LON. Repeatable.")
    ] = None,
    aoi: str | None = typer.Option(None, "--aoi", help="Area(s) of interest, a GeoJSON file."),
    max_off_nadir: float | None = typer.Option(
        None,
        "--max-off-nadir",
        help="Largest off-nadir angle, degrees (default with --consortium: each instrument's).",
    ),
    swath: float | None = typer.Option(
        None, "--swath", help="Fixed nadir-pointing swath width in km, instead of an angle."
    ),
    min_sun_elevation: float | None = typer.Option(
        None, "--min-sun-elevation", help="Lowest Sun elevation at the target, degrees."
    ),
    sat: Annotated[
        list[str] | None,
        typer.Option("--sat", help="Satellite name or NORAD id. Repeatable; default: all."),
    ] = None,
    revisit: bool = typer.Option(
        False, "--revisit", help="Print revisit statistics per partner (or satellite) and pool."
    ),
    fmt: str = typer.Option("table", "--format", help="table, json, csv or geojson."),
) -> None:
    """Imaging opportunities over points or areas (off-nadir, swath, Sun constraints)."""
    import json

    from spacepool.access.areas import load_aoi, parse_point
    from spacepool.access.contacts import select_satellites
    from spacepool.access.imaging import (
        Sensor,
        find_opportunities,
        opportunities_csv,
        opportunities_geojson,
    )
    from spacepool.errors import InputError

    if fmt not in ACCESS_FORMATS:
        raise typer.BadParameter(
            f"expected one of {', '.join(ACCESS_FORMATS)}, got {fmt!r}", param_hint="--format"
        )
    if (tle is None) == (not consortium):
        raise InputError("give either --tle FILE or --consortium (one of them)")
    if bool(target) == (aoi is not None):
        raise InputError("give either --target LAT,LON or --aoi FILE.geojson (one of them)")
    if max_off_nadir is not None and swath is not None:
        raise InputError("give either --max-off-nadir or --swath, not both")
    targets: list[Any] = (
        [parse_point(t) for t in target or []] if aoi is None else list(load_aoi(aoi))
    )
    owner: dict[tuple[int, str], str] = {}
    if tle is not None:
        from spacepool.orbits.omm import load_elements

        if max_off_nadir is None and swath is None:
            raise InputError("give --max-off-nadir DEG (or --swath KM) with --tle")
        chosen = select_satellites(list(load_elements(tle).elements), sat or [])
        one = Sensor(max_off_nadir, swath, 0.0, min_sun_elevation)
        sensors = [[one] for _ in chosen]
    else:
        from spacepool.consortium import load_consortium

        pool = load_consortium()
        elements = pool.element_sets()
        chosen = select_satellites(elements, sat or [])
        sensors = []
        for element in chosen:
            craft = pool.spacecraft(element.norad_id)
            group = []
            for instrument in craft.instruments:
                if swath is not None:
                    sensor = Sensor(swath_km=swath, name=instrument.id,
                                    min_sun_elevation_deg=instrument.min_sun_elevation_deg)  # fmt: skip
                else:
                    sensor = Sensor.from_instrument(instrument, max_off_nadir)
                if min_sun_elevation is not None:
                    sensor = Sensor(sensor.max_off_nadir_deg, sensor.swath_km,
                                    sensor.min_off_nadir_deg, min_sun_elevation, sensor.name)  # fmt: skip
                group.append(sensor)
                owner[(element.norad_id, instrument.id)] = craft.instrument_owner(instrument)
            sensors.append(group)
    show_progress = fmt == "table" and err_console.is_terminal
    with _access_progress(show_progress) as progress:
        result = find_opportunities(
            chosen, targets, start, end, sensors=sensors, progress=progress,
            covered_geometry=aoi is not None and not revisit,
        )  # fmt: skip
    for warning in result.age_warnings:
        err_console.print(f"[yellow]warning:[/yellow] {warning.message}", highlight=False)
    for failure in result.failures:
        err_console.print(f"[yellow]warning:[/yellow] {failure}", highlight=False)
    found = result.opportunities
    if revisit:
        _print_revisit(found, targets, start, end, owner, [e.name for e in chosen], fmt)
    elif fmt == "json":
        typer.echo(json.dumps([o.to_dict() for o in found], indent=2))
    elif fmt == "csv":
        typer.echo(opportunities_csv(found), nl=False)
    elif fmt == "geojson":
        typer.echo(json.dumps(opportunities_geojson(found, targets), indent=2))
    else:
        console.print(_access_table(found, {w.norad_id for w in result.age_warnings}, aoi))


def _access_progress(enabled: bool) -> Any:
    """A context manager yielding ``progress(done, total)`` or ``None`` (stderr bar)."""
    from contextlib import contextmanager, nullcontext

    if not enabled:
        return nullcontext(None)
    from rich.progress import Progress

    @contextmanager
    def bar() -> Any:
        with Progress(console=err_console, transient=True) as progress:
            task = progress.add_task("access", total=None)

            def update(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            yield update

    return bar()


def _access_table(found: Any, stale: set[int], aoi: str | None) -> Any:
    from rich.table import Table

    from spacepool.orbits.timebase import format_time

    table = Table(title=f"{len(found)} imaging opportunities")
    columns = ["satellite", "norad", "instrument", "target", "start (UTC)", "best", "end",
               "off-nadir", "sun el", "lit", "age d"] + (["covered"] if aoi else [])  # fmt: skip
    right = {"off-nadir", "sun el", "age d", "covered"}
    for name in columns:
        table.add_column(name, justify="right" if name in right else "left")
    for o in found:
        row = [
            o.satellite, str(o.norad_id), o.instrument or "-", o.target,
            format_time(o.start) + (" <" if o.truncated_start else ""),
            format_time(o.best_time),
            format_time(o.end) + (" >" if o.truncated_end else ""),
            f"{o.min_off_nadir_deg:.2f}", f"{o.sun_elevation_deg:.1f}",
            "yes" if o.sunlit else "no",
            f"{o.element_age_days:.1f}" + (" !" if o.norad_id in stale else ""),
        ]  # fmt: skip
        if aoi:
            row.append("-" if o.covered_fraction is None else f"{100 * o.covered_fraction:.1f} %")
        table.add_row(*row)
    table.caption = "< > window cut by the period" + (
        "; ! elements older than their validity limit" if stale else ""
    )
    return table


def _print_revisit(
    found: Any,
    targets: list[Any],
    start: str,
    end: str,
    owner: dict[tuple[int, str], str],
    names: list[str],
    fmt: str,
) -> None:
    """Revisit statistics: per partner (consortium) or per satellite, and the pool."""
    import json

    from rich.table import Table

    from spacepool.access.coverage import revisit_statistics

    if owner:
        stats = revisit_statistics(
            found, start, end, partner_of=lambda o: owner.get((o.norad_id, o.instrument)),
            targets=[t.name for t in targets], partners=sorted(set(owner.values())),
        )  # fmt: skip
    else:
        stats = revisit_statistics(found, start, end, partner_of=lambda o: o.satellite,
                                   targets=[t.name for t in targets], partners=names)  # fmt: skip
    if fmt == "json":
        typer.echo(json.dumps([s.to_dict() for s in stats], indent=2))
        return
    if fmt == "csv":
        keys = list(stats[0].to_dict()) if stats else []
        lines = [",".join(keys)]
        lines += [
            ",".join("" if v is None else str(v) for v in s.to_dict().values()) for s in stats
        ]
        typer.echo("\n".join(lines))
        return
    if fmt == "geojson":
        raise typer.BadParameter("revisit statistics come as table, json or csv",
                                 param_hint="--format")  # fmt: skip
    table = Table(title="revisit statistics")
    for name in ("target", "group", "accesses", "first access", "mean revisit", "max revisit"):
        table.add_column(name, justify="left" if name in ("target", "group") else "right")
    for s in stats:
        first = "never" if s.time_to_first_access_s is None else _hours(s.time_to_first_access_s)
        table.add_row(s.target, s.group, str(s.accesses), first, _hours(s.mean_revisit_s),
                      _hours(s.max_revisit_s))  # fmt: skip
    table.caption = "gaps include the stretches before the first and after the last access"
    console.print(table)


def _hours(seconds: float) -> str:
    return f"{seconds / 3600.0:.2f} h"


# --- registry and keys -------------------------------------------------------------

partners_app = typer.Typer(help="Consortium partners in the database.", no_args_is_help=True)
app.add_typer(partners_app, name="partners")
keys_app = typer.Typer(help="API keys (shown once, stored hashed).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _store() -> Any:
    """The database from SPACEPOOL_DATABASE_URL (default ./spacepool.sqlite), migrated."""
    from spacepool.store import Store

    return Store()


@partners_app.command("add")
@friendly_errors
def partners_add(
    partner_id: str = typer.Argument(..., metavar="ID", help="Short id, e.g. esa."),
    name: str = typer.Option(..., "--name", help="Full name, e.g. 'European Space Agency'."),
) -> None:
    """Register a partner."""
    from datetime import UTC, datetime

    from spacepool.store.partners import add_partner

    store = _store()
    try:
        with store.transaction() as session:
            partner = add_partner(session, partner_id, name, now=datetime.now(UTC))
            typer.echo(f"added partner {partner.id} ({partner.name})")
    finally:
        store.close()


@keys_app.command("create")
@friendly_errors
def keys_create(
    partner: str | None = typer.Argument(None, metavar="[PARTNER]", help="Partner id."),
    admin: bool = typer.Option(False, "--admin", help="A consortium coordinator key."),
) -> None:
    """Make an API key and print it once on stdout; only its hash is stored."""
    from datetime import UTC, datetime

    from spacepool.errors import InputError
    from spacepool.store.keys import create_api_key

    if admin == (partner is not None):
        raise InputError("give either a PARTNER id or --admin (one of them)")
    store = _store()
    try:
        with store.transaction() as session:
            new = create_api_key(session, partner_id=partner, admin=admin, now=datetime.now(UTC))
    finally:
        store.close()
    typer.echo(new.key)
    who = "coordinator (admin)" if admin else f"partner {partner}"
    err_console.print(
        f"API key {new.prefix} for {who}. It is shown only now: store it safely. "
        "Use it as 'Authorization: Bearer <key>'.",
        highlight=False,
        markup=False,
    )


@app.command("serve")
@friendly_errors
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    workers: int = typer.Option(
        1, "--workers", help="Server processes (each with its own database connections)."
    ),
) -> None:
    """Run the REST + STAC API (STAC root /stac, OpenAPI /openapi.json, docs /docs)."""
    import uvicorn

    if workers < 1:
        raise typer.BadParameter(f"must be >= 1, got {workers}", param_hint="--workers")
    if workers == 1:
        from spacepool.api import create_app

        uvicorn.run(create_app(), host=host, port=port)
        return
    # Several processes need the app as an import string; each builds its own.
    # Migrate once here so the workers do not race to upgrade the schema.
    from spacepool.store.db import upgrade_database

    upgrade_database()
    uvicorn.run("spacepool.api:create_app", factory=True, host=host, port=port, workers=workers)


# --- spot5 -------------------------------------------------------------------------

SPOT5_FORMATS = ("table", "json")
SPOT5_SOLVERS = ("cpsat", "heuristic")
SPOT5_CAPACITY = ("units", "literal")


@app.command("spot5")
@friendly_errors
def spot5(
    file: str = typer.Argument(..., help="A SPOT5 instance file (.spot)."),
    time_limit: float = typer.Option(60.0, "--time-limit", help="Solver time limit (s)."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
    capacity: str = typer.Option(
        "units",
        "--capacity",
        help="units: the literature's sum(round(c/451)) <= 200; literal: sum(c) <= 90000.",
    ),
    solver: str = typer.Option("cpsat", "--solver", help="cpsat (exact) or heuristic."),
    workers: int = typer.Option(2, "--workers", help="CP-SAT threads."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the solvers."),
) -> None:
    """Solve a SPOT5 daily photograph scheduling instance (Bensana et al. 1999)."""
    import json
    from pathlib import Path

    from rich.table import Table

    from spacepool.planning.spot5 import (
        CapacityMode,
        heuristic_spot5,
        paper_name,
        read_spot5,
        solve_spot5,
    )

    for name, value, allowed in (
        ("--format", fmt, SPOT5_FORMATS),
        ("--solver", solver, SPOT5_SOLVERS),
        ("--capacity", capacity, SPOT5_CAPACITY),
    ):
        if value not in allowed:
            raise typer.BadParameter(
                f"expected one of {', '.join(allowed)}, got {value!r}", param_hint=name
            )
    if not time_limit > 0:
        raise typer.BadParameter(f"must be > 0, got {time_limit:g}", param_hint="--time-limit")
    if workers < 1:
        raise typer.BadParameter(f"must be >= 1, got {workers}", param_hint="--workers")
    path = Path(file)
    if not path.is_file():
        raise typer.BadParameter(f"no such file: {file}", param_hint="FILE")
    instance = read_spot5(path)
    mode: CapacityMode = "units" if capacity == "units" else "literal"
    if solver == "heuristic":
        result = heuristic_spot5(instance, time_limit_s=time_limit, capacity_mode=mode, seed=seed)
    else:
        result = solve_spot5(
            instance, time_limit_s=time_limit, capacity_mode=mode, workers=workers, seed=seed
        )
    data = result.to_dict()
    data["paper_instance"] = paper_name(path.stem)
    if fmt == "json":
        typer.echo(json.dumps(data, indent=2))
        return
    table = Table(title=f"SPOT5 instance {path.stem} (paper: {data['paper_instance']})")
    table.add_column("value", justify="right")
    table.add_column("bound", justify="right")
    table.add_column("gap", justify="right")
    table.add_column("status")
    table.add_column("photos taken", justify="right")
    table.add_column("time (s)", justify="right")
    table.add_row(
        str(result.value),
        str(result.bound),
        f"{100 * result.gap:.3f} %",
        result.status,
        f"{len(result.selected)} / {len(instance.photos)}",
        f"{result.wall_s:.2f}",
    )
    console.print(table)
    console.print(escape(result.capacity_note), highlight=False)


# --- plan --------------------------------------------------------------------------

PLAN_FORMATS = ("table", "json")
PLAN_SOLVERS = ("cpsat", "heuristic")


@app.command("plan")
@friendly_errors
def plan(
    scenario: str = typer.Argument(..., help="A scenario file (TOML); see docs/planning.md."),
    solver: str = typer.Option("cpsat", "--solver", help="cpsat (exact) or heuristic."),
    time_limit: float = typer.Option(10.0, "--time-limit", help="Solver time limit (s)."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
    out: str | None = typer.Option(
        None, "--out", help="Also write plan.json, plan.html and plan.png into this directory."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed of the solvers."),
) -> None:
    """One joint plan for the scenario's requests: acquisitions and downlinks, the
    fairness table, and a reason for every request not served."""
    import json
    from pathlib import Path

    from spacepool.planning import load_scenario, write_plan
    from spacepool.planning.build import plan_scenario
    from spacepool.planning.report import plan_tables

    if fmt not in PLAN_FORMATS:
        raise typer.BadParameter(
            f"expected one of {', '.join(PLAN_FORMATS)}, got {fmt!r}", param_hint="--format"
        )
    if solver not in PLAN_SOLVERS:
        raise typer.BadParameter(
            f"expected one of {', '.join(PLAN_SOLVERS)}, got {solver!r}", param_hint="--solver"
        )
    if not time_limit > 0:
        raise typer.BadParameter(f"must be > 0, got {time_limit:g}", param_hint="--time-limit")
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise typer.BadParameter(f"{out} is a file, not a folder", param_hint="--out")
    # Everything is checked and solved before anything is written: a bad scenario
    # leaves --out as it was.
    result = plan_scenario(
        load_scenario(Path(scenario)), solver=solver, time_limit_s=time_limit, seed=seed
    )
    for warning in result.warnings:
        err_console.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False)
    if out is not None:
        write_plan(result, Path(out), formats=("json", "html", "png"))
    if fmt == "json":
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    for table in plan_tables(result):
        console.print(table)


# --- demo --------------------------------------------------------------------------


@app.command()
@friendly_errors
def demo(
    out: Annotated[
        str, typer.Option("--out", help="Folder for summary.json, report.html and the database.")
    ] = "spacepool-out",
    horizon_hours: Annotated[
        float, typer.Option("--horizon-hours", help="Planning horizon in hours.")
    ] = 72.0,
) -> None:
    """The main job (offline): a river-flood activation on the bundled consortium,
    planned, executed by the simulator, published, and the value of cooperation."""
    from pathlib import Path

    from spacepool.activation.summary import console_summary
    from spacepool.demo import run_demo

    with console.status("raising the flood activation, planning, executing, comparing ..."):
        result = run_demo(Path(out), horizon_hours=horizon_hours)
    for renderable in console_summary(result.summary):
        console.print(renderable)
    console.print(
        "wrote " + ", ".join(str(p) for p in result.paths) + f" in {result.wall_seconds:.1f} s"
    )


# --- activation --------------------------------------------------------------------

ACTIVATE_FORMATS = ("table", "json")


@app.command("activate")
@friendly_errors
def activate(
    aoi: str = typer.Option(
        ...,
        "--aoi",
        help="The area: a GeoJSON Polygon / MultiPolygon, or a Point with --radius-km.",
    ),
    disaster_type: str = typer.Option(
        ..., "--type", help="Disaster type: flood, fire, earthquake, cyclone, volcano, ..."
    ),
    at: str = typer.Option(..., "--at", help="Event time, ISO 8601 with a zone (e.g. ...Z)."),
    partner: str | None = typer.Option(
        None, "--partner", help="Requesting partner (default: the consortium coordinator)."
    ),
    horizon_hours: float = typer.Option(72.0, "--horizon-hours", help="Planning horizon (h)."),
    access: str = typer.Option(
        "consortium", "--access", help="Who sees the products: open, consortium, owner, partners."
    ),
    shared_with: Annotated[
        list[str] | None,
        typer.Option(
            "--shared-with", help="Partner that also sees them (with partners). Repeatable."
        ),
    ] = None,
    embargo_hours: float | None = typer.Option(
        None, "--embargo-hours", help="Open to all this many hours after the event."
    ),
    radius_km: float | None = typer.Option(
        None, "--radius-km", help="Radius around a Point area (km)."
    ),
    name: str = typer.Option("", "--name", help="A name for people."),
    simulate: bool = typer.Option(
        False, "--simulate", help="Execute the plan with the simulator and publish the products."
    ),
    out: str | None = typer.Option(
        None, "--out", help="Also write summary.json, plan.json and report.html here."
    ),
    database: str | None = typer.Option(
        None,
        "--database",
        help="Database URL (default: SPACEPOOL_DATABASE_URL or ./spacepool.sqlite).",
    ),
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Raise a disaster activation: check it, plan its urgent requests over the horizon
    across every partner's assets, store it, and print the summary."""
    import json
    from datetime import UTC, datetime
    from pathlib import Path

    from spacepool.activation.model import read_activation
    from spacepool.activation.service import activation_summary, execute_simulated, open_activation
    from spacepool.activation.workflow import TimelineClock
    from spacepool.catalog.access import Viewer
    from spacepool.consortium import load_consortium
    from spacepool.errors import ActivationError
    from spacepool.store import Store
    from spacepool.store.registry import load_consortium_into

    if fmt not in ACTIVATE_FORMATS:
        raise typer.BadParameter(
            f"expected one of {', '.join(ACTIVATE_FORMATS)}, got {fmt!r}", param_hint="--format"
        )
    try:
        area = json.loads(Path(aoi).read_text("utf-8"))
    except OSError as exc:
        raise ActivationError(f"cannot read {aoi}: {exc.strerror}", field="aoi") from None
    except json.JSONDecodeError as exc:
        raise ActivationError(
            f"{aoi} is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", field="aoi"
        ) from None
    data: dict[str, Any] = {
        "aoi": area,
        "type": disaster_type,
        "event_time": at,
        "horizon_hours": horizon_hours,
        "access": access,
        "name": name,
    }
    optional = {"partner": partner, "shared_with": shared_with, "embargo_hours": embargo_hours,
                "radius_km": radius_km}  # fmt: skip
    data.update({k: v for k, v in optional.items() if v is not None})
    consortium = load_consortium()
    activation = read_activation(data, consortium)  # checks first: nothing written if bad
    data["id"] = activation.id

    def wall() -> datetime:
        return datetime.now(UTC)

    store = Store(database)
    try:
        load_consortium_into(store, consortium, now=wall())
        with console.status("planning the activation ...") if fmt == "table" else _nothing():
            result = open_activation(
                store, data, consortium, viewer=Viewer.admin(),
                clock=TimelineClock(activation.event_time), now=wall,
            )  # fmt: skip
            if simulate:
                execute_simulated(store, activation.id, consortium, now=wall)
            summary = activation_summary(
                store, activation.id, consortium, viewer=Viewer.admin(), now=wall
            )
    finally:
        store.close()
    if out is not None:
        _write_activation_files(Path(out), result, consortium, summary)
    if fmt == "json":
        typer.echo(json.dumps(summary, indent=2))
        return
    from spacepool.activation.summary import console_summary

    for renderable in console_summary(summary):
        console.print(renderable)


@app.command("notify")
@friendly_errors
def notify(
    webhook: str = typer.Argument(..., help="URL that receives each state change (POST, JSON)."),
    once: bool = typer.Option(False, "--once", help="One round, then exit."),
    interval: float = typer.Option(5.0, "--interval", help="Seconds between rounds."),
    database: str | None = typer.Option(
        None, "--database", help="Database URL (default: SPACEPOOL_DATABASE_URL)."
    ),
) -> None:
    """Send the activations' state changes (the notification outbox) to a webhook,
    retrying failed ones with backoff; entries are marked delivered, never dropped."""
    import threading

    import httpx

    from spacepool.activation.notify import dispatch_once, run_dispatcher
    from spacepool.errors import InputError
    from spacepool.store import Store
    from spacepool.store.activations import outbox_counts

    if not webhook.startswith(("http://", "https://")):
        raise InputError(f"webhook: expected an http:// or https:// URL, got {webhook!r}")
    store = Store(database)
    try:
        if once:
            with httpx.Client() as client:
                result = dispatch_once(store, client, webhook)
            with store.transaction() as session:
                counts = outbox_counts(session)
            typer.echo(
                f"{result.delivered} delivered, {result.failed} failed; outbox: "
                f"{counts['pending']} pending, {counts['delivered']} delivered"
            )
            return
        stop = threading.Event()
        try:
            run_dispatcher(store, webhook, stop=stop, interval_s=interval)
        except KeyboardInterrupt:
            stop.set()
    finally:
        store.close()


def _nothing() -> Any:
    from contextlib import nullcontext

    return nullcontext()


def _write_activation_files(out: Any, result: Any, consortium: Any, summary: Any) -> None:
    """summary.json, plan.json and report.html (footprints: the published products,
    else those the plan would make)."""
    import json

    from spacepool.activation.cooperation import Comparison
    from spacepool.activation.execution import make_product, simulate
    from spacepool.activation.report import write_report
    from spacepool.activation.summary import report_data
    from spacepool.activation.workflow import record_execution

    area = result.activation.target()
    products = [make_product(r, result.activation, consortium, area=area) for r in simulate(result)]
    comparison = Comparison.from_json(summary["value_of_cooperation"])
    data = report_data(record_execution(result, products), consortium, products, comparison,
                       summary)  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (out / "plan.json").write_text(json.dumps(result.plan.to_dict(), indent=2) + "\n",
                                   encoding="utf-8")  # fmt: skip
    write_report(data, out / "report.html")
    err_console.print(
        f"wrote {out / 'summary.json'}, {out / 'plan.json'}, {out / 'report.html'}",
        highlight=False,
        soft_wrap=True,
    )


# --- compare -----------------------------------------------------------------------

COMPARE_FORMATS = ("table", "json")


@app.command("compare")
@friendly_errors
def compare_command(
    start: str = typer.Option(..., "--start", help="Period start, ISO 8601 (UTC if no zone)."),
    end: str = typer.Option(..., "--end", help="Period end, ISO 8601."),
    aoi: str | None = typer.Option(None, "--aoi", help="The area: a GeoJSON file with one area."),
    target: str | None = typer.Option(None, "--target", help="A point LAT,LON instead of an area."),
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            help="Instrument kind: sar, optical, thermal or hyperspectral. Repeatable; "
            "default: all of them.",
        ),
    ] = None,
    fmt: str = typer.Option("table", "--format", help="table or json."),
    chart: str | None = typer.Option(
        None, "--chart", help="Also draw hours to first acquisition as FILE.png or FILE.svg."
    ),
) -> None:
    """The value of cooperation over an area: the pool, each partner alone, the pool
    without each partner (bundled consortium, nominal orbits)."""
    import json
    from pathlib import Path

    from spacepool.access.areas import load_aoi, parse_point
    from spacepool.activation.cooperation import compare
    from spacepool.activation.report import write_chart
    from spacepool.consortium import load_consortium
    from spacepool.errors import GeometryError, InputError

    if fmt not in COMPARE_FORMATS:
        raise typer.BadParameter(
            f"expected one of {', '.join(COMPARE_FORMATS)}, got {fmt!r}", param_hint="--format"
        )
    if (aoi is None) == (target is None):
        raise InputError("give either --aoi FILE.geojson or --target LAT,LON (one of them)")
    if chart is not None and Path(chart).suffix.lower() not in (".png", ".svg"):
        raise InputError(f"--chart: expected a file name ending in .png or .svg, found {chart!r}")
    if aoi is not None:
        areas = load_aoi(aoi)
        if len(areas) != 1:
            raise GeometryError(
                f"{Path(aoi).name}: expected one area, found {len(areas)}; compare takes one "
                "Polygon or MultiPolygon"
            )
        area: Any = areas[0]
    else:
        area = parse_point(target or "")
    show_progress = fmt == "table" and err_console.is_terminal
    result = compare(load_consortium(), area, start, end, kinds=kind, progress=show_progress)
    for warning in result.warnings:
        err_console.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False)
    if chart is not None:
        write_chart(result, Path(chart))
    if fmt == "json":
        typer.echo(json.dumps(result.to_json(), indent=2))
    else:
        console.print(_compare_table(result))
    if chart is not None and fmt == "table":
        console.print(f"wrote {chart}")


def _compare_table(result: Any) -> Any:
    from rich.table import Table

    from spacepool.orbits.timebase import format_time

    table = Table(
        title=f"value of cooperation over {escape(result.area_name)}, "
        f"{format_time(result.start)} to {format_time(result.end)} "
        f"({', '.join(result.kinds)})"
    )
    for name in ("coalition", "first acquisition", "h to first acq", "h to first delivery",
                 "passes", "mean revisit h", "max revisit h", "first by"):  # fmt: skip
        table.add_column(name, justify="left" if name in ("coalition", "first by") else "right")

    def hours(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    def add(label: str, r: Any, style: str | None = None) -> None:
        first = "-" if r.first_acquisition is None else format_time(r.first_acquisition)[:16] + "Z"
        by = "-" if r.first_acquisition_satellite is None else (
            f"{r.first_acquisition_satellite} / {r.first_acquisition_instrument}")  # fmt: skip
        table.add_row(escape(label), first, hours(r.hours_to_first_acquisition),
                      hours(r.hours_to_first_delivery), str(r.acquisitions),
                      hours(r.mean_revisit_hours), hours(r.max_revisit_hours), escape(by),
                      style=style)  # fmt: skip

    add("pool", result.pool, "bold green")
    table.add_section()
    for partner, r in result.alone.items():
        add(f"{partner} alone", r)
    table.add_section()
    for partner, r in result.without.items():
        add(f"pool without {partner}", r)
    top = result.adds_most
    table.caption = (
        "hours from the period start; - = none in the period; delivery: the same satellite's "
        "next contact with a station of the coalition"
        + (f"; adds most: {escape(top)}" if top else "")
    )
    return table


def main() -> None:
    """Entry point of the ``spacepool`` console script."""
    app(prog_name="spacepool")


if __name__ == "__main__":  # pragma: no cover
    main()
