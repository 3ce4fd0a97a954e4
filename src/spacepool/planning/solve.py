"""One entry point for both solvers, and the files a plan is written to."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Final

from spacepool.errors import ScenarioError
from spacepool.planning.model import Instance
from spacepool.planning.plan import Plan

SOLVERS: Final[tuple[str, ...]] = ("cpsat", "heuristic")


def plan_from_candidates(
    instance: Instance,
    *,
    solver: str = "cpsat",
    time_limit_s: float = 10.0,
    seed: int = 0,
    workers: int = 2,
) -> Plan:
    """Plan ``instance`` with ``solver`` (``cpsat`` or ``heuristic``) within
    ``time_limit_s`` seconds.

    An infeasible or partial plan is a result: read ``plan.status`` and
    ``plan.unserved``. Raises :class:`~spacepool.errors.ScenarioError` only for bad
    arguments.
    """
    if solver not in SOLVERS:
        raise ScenarioError(f"must be one of {', '.join(SOLVERS)}, got {solver!r}", field="solver")
    if not time_limit_s > 0:
        raise ScenarioError(f"must be > 0, got {time_limit_s!r}", field="time_limit_s")
    if solver == "cpsat":
        from spacepool.planning.cpsat import solve_cpsat

        return solve_cpsat(instance, time_limit_s=time_limit_s, workers=workers, seed=seed)
    from spacepool.planning.heuristic import solve_heuristic

    return solve_heuristic(instance, time_limit_s=time_limit_s, seed=seed)


def write_plan(
    plan: Plan, out_dir: Path, *, formats: tuple[str, ...] = ("json", "html")
) -> list[Path]:
    """Write ``plan.json``, ``plan.html`` (Gantt + tables, self-contained) and / or
    ``plan.png`` (Gantt) into ``out_dir``; returns the paths written.

    Every file is rendered in memory first and then moved into place, so a failure
    leaves no partial output.
    """
    from spacepool.planning.gantt import gantt_png, plan_html

    known = ("json", "html", "png")
    for fmt in formats:
        if fmt not in known:
            raise ScenarioError(f"must be among {', '.join(known)}, got {fmt!r}", field="formats")
    rendered: dict[str, bytes] = {}
    if "json" in formats:
        rendered["plan.json"] = (json.dumps(plan.to_dict(), indent=2) + "\n").encode()
    if "html" in formats:
        rendered["plan.html"] = plan_html(plan).encode()
    if "png" in formats:
        rendered["plan.png"] = gantt_png(plan)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in rendered.items():
        temporary = out_dir / f".{name}.{os.getpid()}.tmp"
        temporary.write_bytes(data)
        target = out_dir / name
        os.replace(temporary, target)
        written.append(target)
    return written
