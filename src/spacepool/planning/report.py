"""A plan as Rich tables for the terminal: summary, fairness, acquisitions, reasons."""

from __future__ import annotations

from typing import Any

from spacepool._reading import PLANNING, format_time
from spacepool.planning.plan import Plan


def _number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}g}"


def plan_tables(plan: Plan) -> list[Any]:
    """Rich tables: stages, fairness (per partner), acquisitions, unserved demands."""
    from rich.table import Table

    stages = Table(title=plan.message)
    for name in ("stage", "status", "value", "bound", "time (s)"):
        stages.add_column(name)
    for s in plan.stages:
        stages.add_row(s.name, s.status, _number(s.objective, 6), _number(s.bound, 6),
                       f"{s.time_s:.2f}")  # fmt: skip
    fairness = Table(title=f"fairness ({plan.fairness})")
    for name in ("partner", "entitlement", "received", "share", "target", "satisfaction",
                 "activation value", "activation charge"):  # fmt: skip
        fairness.add_column(name, justify="left" if name == "partner" else "right")
    for a in plan.accounts:
        fairness.add_row(
            a.partner, _number(a.entitlement), _number(a.received_value, 6), _number(a.share),
            _number(a.target_value, 6), _number(a.satisfaction), _number(a.activation_value, 6),
            _number(a.activation_charge, 6),
        )  # fmt: skip
    acquisitions = Table(title=f"{len(plan.acquisitions)} acquisitions")
    for name in ("start (UTC)", "end", "satellite", "instrument", "request", "partner",
                 "value", "downlink"):  # fmt: skip
        acquisitions.add_column(name)
    for acq in plan.acquisitions:
        acquisitions.add_row(
            format_time(acq.start, dialect=PLANNING), format_time(acq.end, dialect=PLANNING),
            acq.satellite, acq.instrument, acq.demand, acq.partner, _number(acq.value, 6),
            acq.downlink,
        )  # fmt: skip
    unserved = Table(title=f"{len(plan.unserved)} demands not served")
    for name in ("demand", "partner", "reason", "message"):
        unserved.add_column(name)
    for u in plan.unserved:
        unserved.add_row(u.demand, u.partner, u.reason, u.message)
    return [stages, fairness, acquisitions, unserved]
