"""Activation commands: disaster activations, their notifications and the value of
cooperation (``demo``, ``activate``, ``notify``, ``compare``)."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from spacepool.cli.app import (
    TABLE_OR_JSON,
    app,
    check_choice,
    console,
    echo_json,
    err_console,
    friendly_errors,
    open_store,
    print_all,
    require_one_of,
    warn,
)


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
    from spacepool.activation.summary import console_summary
    from spacepool.demo import run_demo

    with console.status("raising the flood activation, planning, executing, comparing ..."):
        result = run_demo(Path(out), horizon_hours=horizon_hours)
    print_all(console_summary(result.summary))
    console.print(
        "wrote " + ", ".join(str(p) for p in result.paths) + f" in {result.wall_seconds:.1f} s"
    )


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

    from spacepool.activation.model import read_activation
    from spacepool.activation.service import activation_summary, execute_simulated, open_activation
    from spacepool.activation.workflow import TimelineClock
    from spacepool.catalog.access import Viewer
    from spacepool.consortium import load_consortium
    from spacepool.errors import ActivationError
    from spacepool.store.registry import load_consortium_into

    check_choice(fmt, TABLE_OR_JSON, "--format")
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

    with open_store(database) as store:
        load_consortium_into(store, consortium, now=wall())
        with console.status("planning the activation ...") if fmt == "table" else nullcontext():
            result = open_activation(
                store, data, consortium, viewer=Viewer.admin(),
                clock=TimelineClock(activation.event_time), now=wall,
            )  # fmt: skip
            if simulate:
                execute_simulated(store, activation.id, consortium, now=wall)
            summary = activation_summary(
                store, activation.id, consortium, viewer=Viewer.admin(), now=wall
            )
    if out is not None:
        _write_activation_files(Path(out), result, consortium, summary)
    if fmt == "json":
        echo_json(summary)
        return
    from spacepool.activation.summary import console_summary

    print_all(console_summary(summary))


def _write_activation_files(out: Path, result: Any, consortium: Any, summary: Any) -> None:
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
    from spacepool.store.activations import outbox_counts

    if not webhook.startswith(("http://", "https://")):
        raise InputError(f"webhook: expected an http:// or https:// URL, got {webhook!r}")
    with open_store(database) as store:
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
    from spacepool.access.areas import load_aoi, parse_point
    from spacepool.activation.cooperation import compare
    from spacepool.activation.report import write_chart
    from spacepool.consortium import load_consortium
    from spacepool.errors import GeometryError, InputError

    check_choice(fmt, TABLE_OR_JSON, "--format")
    require_one_of(
        aoi is not None,
        target is not None,
        "give either --aoi FILE.geojson or --target LAT,LON (one of them)",
    )
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
        warn(escape(warning))
    if chart is not None:
        write_chart(result, Path(chart))
    if fmt == "json":
        echo_json(result.to_json())
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
