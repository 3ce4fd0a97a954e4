"""Gantt charts of a plan (per satellite instrument and per station), as PNG or as a
self-contained HTML page (inline SVG, no external resources).

Rows: one per satellite instrument (acquisitions, coloured by partner) and one per
station (downlinks, coloured by satellite). The time axis is hours from the plan
start (UTC). A bar is drawn at least :data:`MIN_BAR_SHARE` of the horizon wide: a
10-second image in a three-day plan is a twentieth of a pixel at its true width,
and the chart is for seeing where the work falls; the exact times are in the
plan's tables and JSON.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from typing import Any

from spacepool._reading import PLANNING, format_time
from spacepool.planning.plan import Plan

_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)  # matplotlib's "tab10" palette


# Narrowest bar, as a share of the plan's horizon: about 4 pixels of the PNG's
# 1,000-pixel axis.
MIN_BAR_SHARE = 0.004


def _figure(plan: Plan) -> Any:
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    instruments = sorted({(a.satellite, a.instrument) for a in plan.acquisitions})
    stations = sorted({d.station for d in plan.downlinks})
    partners = sorted({a.partner for a in plan.acquisitions})
    satellites = sorted({d.satellite for d in plan.downlinks})
    rows = [f"{s}/{i}" for s, i in instruments] + [f"station {s}" for s in stations]
    height = 1.2 + 0.35 * max(len(rows), 1)
    figure = Figure(figsize=(11.0, height))
    axes = figure.add_subplot(1, 1, 1)
    row_of = {name: k for k, name in enumerate(rows)}
    partner_colour = {p: _COLOURS[k % len(_COLOURS)] for k, p in enumerate(partners)}
    satellite_colour = {s: _COLOURS[(k + 3) % len(_COLOURS)] for k, s in enumerate(satellites)}
    min_width_s = MIN_BAR_SHARE * plan.horizon_s
    for a in plan.acquisitions:
        y = row_of[f"{a.satellite}/{a.instrument}"]
        width_h = max(a.end_s - a.start_s, min_width_s) / 3600.0
        axes.broken_barh(
            [(a.start_s / 3600.0, width_h)], (y - 0.35, 0.7), facecolors=partner_colour[a.partner]
        )
    for d in plan.downlinks:
        y = row_of[f"station {d.station}"]
        width_h = max(d.end_s - d.start_s, min_width_s) / 3600.0
        axes.broken_barh(
            [(d.start_s / 3600.0, width_h)],
            (y - 0.35, 0.7),
            facecolors=satellite_colour[d.satellite],
            hatch="//",
        )
    axes.set_yticks(range(len(rows)), rows)
    axes.set_ylim(len(rows) - 0.5, -0.5)
    axes.set_xlim(0.0, plan.horizon_s / 3600.0)
    axes.set_xlabel(f"hours from {format_time(plan.start, dialect=PLANNING)}")
    axes.grid(axis="x", alpha=0.3)
    handles = [Patch(color=c, label=f"partner {p}") for p, c in partner_colour.items()]
    handles += [
        Patch(color=c, hatch="//", label=f"downlink {s}") for s, c in satellite_colour.items()
    ]
    if handles:
        axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    axes.set_title(f"{plan.name or 'plan'}: {plan.status}, value {plan.objective:g}")
    figure.tight_layout()
    return figure


def gantt_png(plan: Plan, dpi: int = 110) -> bytes:
    """The Gantt chart as PNG bytes (Agg backend, no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = _figure(plan)
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def gantt_svg(plan: Plan) -> str:
    """The Gantt chart as an SVG document (text)."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    figure = _figure(plan)
    FigureCanvasSVG(figure)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def plan_html(plan: Plan) -> str:
    """A self-contained HTML report: summary, fairness table, Gantt chart (inline
    SVG), acquisitions, downlinks and unserved demands with their reasons."""
    summary = _table(
        ("status", "solver", "fairness", "objective", "bound", "gap", "activation value"),
        [
            (
                plan.status,
                plan.solver,
                plan.fairness,
                plan.objective,
                plan.bound,
                plan.gap,
                plan.activation_value,
            )
        ],
    )
    stages = _table(
        ("stage", "status", "objective", "bound", "time (s)"),
        [(s.name, s.status, s.objective, s.bound, s.time_s) for s in plan.stages],
    )
    accounts = _table(
        (
            "partner",
            "entitlement",
            "requested",
            "received",
            "share",
            "target",
            "satisfaction",
            "activation value",
            "activation charge",
        ),
        [
            (
                a.partner,
                a.entitlement,
                a.requested_value,
                a.received_value,
                a.share,
                a.target_value,
                a.satisfaction,
                a.activation_value,
                a.activation_charge,
            )
            for a in plan.accounts
        ],
    )
    acquisitions = _table(
        (
            "candidate",
            "request",
            "partner",
            "urgency",
            "satellite",
            "instrument",
            "start",
            "end",
            "value",
            "Mbit",
            "downlink",
        ),
        [
            (
                a.candidate,
                a.request,
                a.partner,
                a.urgency,
                a.satellite,
                a.instrument,
                format_time(a.start, dialect=PLANNING),
                format_time(a.end, dialect=PLANNING),
                a.value,
                a.volume_mbit,
                a.downlink,
            )
            for a in plan.acquisitions
        ],
    )
    downlinks = _table(
        ("downlink", "satellite", "station", "start", "end", "Mbit", "acquisitions"),
        [
            (
                d.id,
                d.satellite,
                d.station,
                format_time(d.start, dialect=PLANNING),
                format_time(d.end, dialect=PLANNING),
                d.volume_mbit,
                ", ".join(d.acquisitions),
            )
            for d in plan.downlinks
        ],
    )
    unserved = _table(
        ("demand", "partner", "reason", "message"),
        [(u.demand, u.partner, u.reason, u.message) for u in plan.unserved],
    )
    title = html.escape(plan.name or "spacepool plan")
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in plan.warnings)
    warnings = f'<h2>Warnings</h2>\n<ul class="warnings">{warnings}</ul>\n' if warnings else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; }}
th {{ background: #f0f0f0; }}
svg {{ max-width: 100%; height: auto; }}
</style></head><body>
<h1>{title}</h1>
<p>{html.escape(plan.message)}</p>
{warnings}{summary}
<h2>Stages</h2>
{stages}
<h2>Fairness</h2>
{accounts}
<h2>Gantt chart</h2>
{gantt_svg(plan)}
<h2>Acquisitions</h2>
{acquisitions}
<h2>Downlinks</h2>
{downlinks}
<h2>Unserved demands</h2>
{unserved}
</body></html>
"""
