"""Planning commands: the consortium's joint plan and the SPOT5 benchmark
(``spot5``, ``plan``)."""

from __future__ import annotations

import typer
from rich.markup import escape

from spacepool.cli.app import (
    TABLE_OR_JSON,
    app,
    check_choice,
    check_time_limit,
    check_workers,
    console,
    echo_json,
    friendly_errors,
    print_all,
    warn,
)

SOLVERS = ("cpsat", "heuristic")
SPOT5_CAPACITY = ("units", "literal")

_SOLVER_HELP = "cpsat (exact) or heuristic."
_SEED_HELP = "Random seed of the solvers."


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
    solver: str = typer.Option("cpsat", "--solver", help=_SOLVER_HELP),
    workers: int = typer.Option(2, "--workers", help="CP-SAT threads."),
    seed: int = typer.Option(0, "--seed", help=_SEED_HELP),
) -> None:
    """Solve a SPOT5 daily photograph scheduling instance (Bensana et al. 1999)."""
    from pathlib import Path

    from rich.table import Table

    from spacepool.planning.spot5 import (
        CapacityMode,
        heuristic_spot5,
        paper_name,
        read_spot5,
        solve_spot5,
    )

    check_choice(fmt, TABLE_OR_JSON, "--format")
    check_choice(solver, SOLVERS, "--solver")
    check_choice(capacity, SPOT5_CAPACITY, "--capacity")
    check_time_limit(time_limit)
    check_workers(workers)
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
        echo_json(data)
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


@app.command("plan")
@friendly_errors
def plan(
    scenario: str = typer.Argument(..., help="A scenario file (TOML); see docs/planning.md."),
    solver: str = typer.Option("cpsat", "--solver", help=_SOLVER_HELP),
    time_limit: float = typer.Option(10.0, "--time-limit", help="Solver time limit (s)."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
    out: str | None = typer.Option(
        None, "--out", help="Also write plan.json, plan.html and plan.png into this directory."
    ),
    seed: int = typer.Option(0, "--seed", help=_SEED_HELP),
) -> None:
    """One joint plan for the scenario's requests: acquisitions and downlinks, the
    fairness table, and a reason for every request not served."""
    from pathlib import Path

    from spacepool.planning import load_scenario, write_plan
    from spacepool.planning.build import plan_scenario
    from spacepool.planning.report import plan_tables

    check_choice(fmt, TABLE_OR_JSON, "--format")
    check_choice(solver, SOLVERS, "--solver")
    check_time_limit(time_limit)
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise typer.BadParameter(f"{out} is a file, not a folder", param_hint="--out")
    # Everything is checked and solved before anything is written: a bad scenario
    # leaves --out as it was.
    result = plan_scenario(
        load_scenario(Path(scenario)), solver=solver, time_limit_s=time_limit, seed=seed
    )
    for warning in result.warnings:
        warn(escape(warning))
    if out is not None:
        write_plan(result, Path(out), formats=("json", "html", "png"))
    if fmt == "json":
        echo_json(result.to_dict())
        return
    print_all(plan_tables(result))
