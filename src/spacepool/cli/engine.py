"""Engine commands: ground-station passes and imaging access (``passes``, ``access``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from spacepool.cli.app import (
    app,
    check_choice,
    console,
    echo_json,
    err_console,
    friendly_errors,
    progress_bar,
    require_one_of,
    warn,
)

PASSES_FORMATS = ("table", "json", "csv", "ics")
ACCESS_FORMATS = ("table", "json", "csv", "geojson")


def _element_sets(tle: str | None) -> list[Any]:
    """The element sets of the file ``tle``, else the bundled consortium's nominal ones."""
    if tle is not None:
        from spacepool.orbits.omm import load_elements

        return list(load_elements(tle).elements)
    from spacepool.consortium import load_consortium

    return load_consortium().element_sets()


def _warn_about_elements(result: Any) -> None:
    """Stale element sets first, then satellites that could not be propagated."""
    for warning in result.age_warnings:
        warn(escape(warning.message))
    for failure in result.failures:
        warn(escape(str(failure)))


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
    from spacepool.access.contacts import (
        contacts_csv,
        contacts_ics,
        find_contacts,
        resolve_stations,
        select_satellites,
    )

    check_choice(fmt, PASSES_FORMATS, "--format")
    require_one_of(
        tle is not None, consortium, "give either --tle FILE or --consortium (one of them)"
    )
    chosen = select_satellites(_element_sets(tle), sat or [])
    stations = resolve_stations(station)
    show_progress = fmt in ("table", "ics") and err_console.is_terminal
    with progress_bar("passes", show_progress) as progress:
        result = find_contacts(
            chosen, stations, start, end, min_elevation_deg=min_elevation, progress=progress
        )
    _warn_about_elements(result)
    contacts = result.contacts
    if fmt == "json":
        echo_json([c.to_dict() for c in contacts])
    elif fmt == "csv":
        typer.echo(contacts_csv(contacts), nl=False)
    elif fmt == "ics":
        typer.echo(contacts_ics(contacts).encode(), nl=False)  # bytes: keep RFC 5545's CRLF
    else:
        console.print(_passes_table(contacts, {w.norad_id for w in result.age_warnings}))


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
    from spacepool.access.areas import load_aoi, parse_point
    from spacepool.access.contacts import select_satellites
    from spacepool.access.imaging import (
        Sensor,
        find_opportunities,
        opportunities_csv,
        opportunities_geojson,
    )
    from spacepool.errors import InputError

    check_choice(fmt, ACCESS_FORMATS, "--format")
    require_one_of(
        tle is not None, consortium, "give either --tle FILE or --consortium (one of them)"
    )
    require_one_of(
        bool(target),
        aoi is not None,
        "give either --target LAT,LON or --aoi FILE.geojson (one of them)",
    )
    if max_off_nadir is not None and swath is not None:
        raise InputError("give either --max-off-nadir or --swath, not both")
    targets: list[Any] = (
        [parse_point(t) for t in target or []] if aoi is None else list(load_aoi(aoi))
    )
    owner: dict[tuple[int, str], str] = {}
    if tle is not None:
        if max_off_nadir is None and swath is None:
            raise InputError("give --max-off-nadir DEG (or --swath KM) with --tle")
        chosen = select_satellites(_element_sets(tle), sat or [])
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
    with progress_bar("access", show_progress) as progress:
        result = find_opportunities(
            chosen, targets, start, end, sensors=sensors, progress=progress,
            covered_geometry=aoi is not None and not revisit,
        )  # fmt: skip
    _warn_about_elements(result)
    found = result.opportunities
    if revisit:
        _print_revisit(found, targets, start, end, owner, [e.name for e in chosen], fmt)
    elif fmt == "json":
        echo_json([o.to_dict() for o in found])
    elif fmt == "csv":
        typer.echo(opportunities_csv(found), nl=False)
    elif fmt == "geojson":
        echo_json(opportunities_geojson(found, targets))
    else:
        console.print(_access_table(found, {w.norad_id for w in result.age_warnings}, aoi))


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
        echo_json([s.to_dict() for s in stats])
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
