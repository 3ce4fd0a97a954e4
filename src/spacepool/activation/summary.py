"""What an activation produced, for people: ``summary.json``, the report's inputs,
and the ten-second console summary.

:func:`build_summary` gathers the activation, the chain timestamps, the plan's first
acquisition and delivery, the value of cooperation
(:func:`spacepool.activation.cooperation.compare`: hours to the first acquisition for
the pool and for each partner alone), the counts and the per-partner accounting.
:func:`report_data` adds the footprints, ground tracks and timeline for
:func:`spacepool.activation.report.write_report`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from rich.markup import escape

from spacepool._reading import format_time
from spacepool.activation.model import ACTIVATION
from spacepool.activation.workflow import ActivationPlan, accounting

if TYPE_CHECKING:
    from spacepool.activation.cooperation import Comparison
    from spacepool.activation.execution import Product
    from spacepool.activation.report import GroundTrack, ReportData, TimelineBar
    from spacepool.consortium import Consortium
    from spacepool.orbits.elements import ElementSet

# Ground tracks in the report: this long before and after each acquisition (s), one
# point every TRACK_STEP_S.
TRACK_HALF_SPAN_S: Final = 480.0
TRACK_STEP_S: Final = 20.0


def _t(when: datetime | None) -> str | None:
    return None if when is None else format_time(when, dialect=ACTIVATION)


def _hours(start: datetime, when: datetime | None) -> float | None:
    return None if when is None else round((when - start).total_seconds() / 3600.0, 3)


def usable_consortium(result: ActivationPlan, consortium: Consortium) -> Consortium:
    """The consortium with only the instruments the activation's requests may use
    (their kinds, at their resolution limits): the value of cooperation is then
    measured with the same instruments the plan chooses from."""
    wanted = [(t.kind, t.request.requirements.max_resolution_m) for t in result.tasking]

    def usable(kind: str, resolution_m: float) -> bool:
        return any(kind == k and (limit is None or resolution_m <= limit) for k, limit in wanted)

    fleet = tuple(
        replace(sc, instruments=tuple(i for i in sc.instruments if usable(i.kind, i.resolution_m)))
        for sc in consortium.fleet
    )
    return replace(consortium, fleet=fleet)


def compare_activation(
    result: ActivationPlan,
    consortium: Consortium,
    *,
    elements: Mapping[int, ElementSet] | None = None,
) -> Comparison:
    """The value of cooperation over the activation's area and horizon, with the
    instruments its requests may use; ``elements`` (by NORAD id) replace the nominal
    elements of those spacecraft, as in the activation's plan."""
    from spacepool.activation.cooperation import compare

    activation = result.activation
    kinds = sorted({t.kind for t in result.tasking})
    return compare(
        usable_consortium(result, consortium),
        dict(activation.area),
        activation.start,
        activation.end,
        kinds=kinds,
        elements=elements,
    )


def first_acquisition(
    result: ActivationPlan, consortium: Consortium, products: Sequence[Product]
) -> dict[str, Any] | None:
    """The first acquisition made (``source: actual``), else the first planned."""
    if products:
        first = min(products, key=lambda p: (p.start, p.id))
        return {
            "time": _t(first.start),
            "partner": first.owner,
            "satellite": first.satellite,
            "instrument": first.instrument,
            "source": "actual",
        }
    if not result.plan.acquisitions:
        return None
    planned = min(result.plan.acquisitions, key=lambda a: (a.start, a.candidate))
    spacecraft = consortium.spacecraft(planned.satellite)
    owner = spacecraft.instrument_owner(spacecraft.instrument(planned.instrument))
    return {
        "time": _t(planned.start),
        "partner": owner,
        "satellite": planned.satellite,
        "instrument": planned.instrument,
        "source": "planned",
    }


def schedule(result: ActivationPlan, consortium: Consortium) -> list[dict[str, Any]]:
    """Every planned acquisition with its owner and the downlink that delivers it."""
    downlinks = {d.id: d for d in result.plan.downlinks}
    station_owner = {s.id: s.owner for s in consortium.stations}
    rows = []
    for a in result.plan.acquisitions:
        spacecraft = consortium.spacecraft(a.satellite)
        downlink = downlinks.get(a.downlink)
        tasking = result.tasking_for(a.request)
        rows.append(
            {
                "request": a.request,
                "role": None if tasking is None else tasking.role,
                "satellite": a.satellite,
                "instrument": a.instrument,
                "partner": spacecraft.instrument_owner(spacecraft.instrument(a.instrument)),
                "start": _t(a.start),
                "end": _t(a.end),
                "value": round(a.value, 6),
                "downlink": None
                if downlink is None
                else {
                    "id": downlink.id,
                    "station": downlink.station,
                    "station_owner": station_owner.get(downlink.station),
                    "start": _t(downlink.start),
                    "end": _t(downlink.end),
                },
                "delivered": None if downlink is None else _t(downlink.end),
            }
        )
    return rows


def build_summary(
    result: ActivationPlan,
    consortium: Consortium,
    products: Sequence[Product],
    comparison: Comparison,
) -> dict[str, Any]:
    """The ``summary.json`` content (see ``docs/activation.md``)."""
    activation = result.activation
    chain = result.chain
    plan = result.plan
    partners = [p.id for p in consortium.partners]
    hours_acq: dict[str, float | None] = {"pool": comparison.pool.hours_to_first_acquisition}
    hours_del: dict[str, float | None] = {"pool": comparison.pool.hours_to_first_delivery}
    for partner in partners:
        alone = comparison.alone.get(partner)
        hours_acq[partner] = None if alone is None else alone.hours_to_first_acquisition
        hours_del[partner] = None if alone is None else alone.hours_to_first_delivery
    delivered = [p.delivered for p in products if p.delivered is not None]
    first_delivery = min(delivered) if delivered else chain.first_delivery_planned
    return {
        "activation_id": activation.id,
        "name": activation.name,
        "type": activation.disaster_type,
        "partner": activation.partner,
        "area": dict(activation.area),
        "event_time": _t(activation.event_time),
        "horizon": {
            "start": _t(activation.start),
            "end": _t(activation.end),
            "hours": activation.horizon_hours,
        },
        "access": activation.access.to_dict(),
        "received_at": _t(chain.received),
        "validated_at": _t(chain.validated),
        "planned_at": _t(chain.planned),
        "compute_seconds": round(result.compute_seconds, 3),
        "chain": chain.to_dict(),
        "tasking": [t.to_dict() for t in result.tasking],
        "plan": {
            "status": plan.status,
            "solver": plan.solver,
            "message": plan.message,
            "objective": round(plan.objective, 6),
            "unserved": [u.to_dict() for u in plan.unserved],
        },
        "first_acquisition": first_acquisition(result, consortium, products),
        "first_delivery_time": _t(first_delivery),
        "first_product_published": _t(chain.first_product_published),
        "hours_to_first_acquisition": hours_acq,
        "hours_to_first_delivery": hours_del,
        "planned_hours_to_first_acquisition": _hours(
            activation.start, chain.first_acquisition_planned
        ),
        "acquisitions": len(plan.acquisitions),
        "downlinks": len(plan.downlinks),
        "products_published": len(products),
        "accounting": accounting(result, consortium, products),
        "schedule": schedule(result, consortium),
        "products": [
            {
                "id": p.id,
                "item": f"/stac/collections/activations/items/{p.id}",
                "satellite": p.satellite,
                "instrument": p.instrument,
                "owner": p.owner,
                "start": _t(p.start),
                "end": _t(p.end),
                "delivered": _t(p.delivered),
                "published": _t(p.published),
                "footprint": dict(p.footprint),
            }
            for p in products
        ],
        "value_of_cooperation": comparison.to_json(),
        "elements": [e.to_dict() for e in result.elements],
        "warnings": list(result.warnings),
    }


# --- report --------------------------------------------------------------------------


def report_data(
    result: ActivationPlan,
    consortium: Consortium,
    products: Sequence[Product],
    comparison: Comparison,
    summary: dict[str, Any],
) -> ReportData:
    """The report's inputs: footprints of ``products``, ground tracks around each
    planned acquisition, the timeline of acquisitions and downlinks."""
    from spacepool.activation.report import ReportData

    activation = result.activation
    title = activation.name or f"{activation.disaster_type.replace('_', ' ')} activation"
    footprints = [
        {
            "type": "Feature",
            "geometry": dict(p.footprint),
            "properties": {
                "id": p.id,
                "satellite": p.satellite,
                "partner": p.owner,
                "instrument": p.instrument,
                "start": _t(p.start),
                "end": _t(p.end),
            },
        }
        for p in products
    ]
    return ReportData(
        title=f"{title} — {activation.id}",
        summary=summary,
        area=dict(activation.area),
        footprints=footprints,
        ground_tracks=ground_tracks(result, consortium),
        timeline=timeline(result, consortium),
        comparison=comparison,
    )


def ground_tracks(result: ActivationPlan, consortium: Consortium) -> list[GroundTrack]:
    """One track per planned acquisition, :data:`TRACK_HALF_SPAN_S` either side."""
    from spacepool.access.sensors import geocentric_nadir_deg
    from spacepool.activation.report import GroundTrack
    from spacepool.orbits.propagate import Propagator
    from spacepool.orbits.timebase import TimeBase

    tracks = []
    offsets = np.arange(-TRACK_HALF_SPAN_S, TRACK_HALF_SPAN_S + TRACK_STEP_S / 2, TRACK_STEP_S)
    for a in result.plan.acquisitions:
        spacecraft = consortium.spacecraft(a.satellite)
        middle = a.start + (a.end - a.start) / 2
        timebase = TimeBase.around(middle, middle, margin_s=TRACK_HALF_SPAN_S + 3600.0)
        ephemeris = Propagator([spacecraft.element_set()], timebase).grid(offsets)
        lat, lon = geocentric_nadir_deg(ephemeris.r_itrs_km[0])
        tracks.append(
            GroundTrack(
                satellite=spacecraft.name,
                partner=spacecraft.instrument_owner(spacecraft.instrument(a.instrument)),
                times=tuple(middle + timedelta(seconds=float(s)) for s in offsets),
                lat_deg=tuple(float(v) for v in lat),
                lon_deg=tuple(float((v + 180.0) % 360.0 - 180.0) for v in lon),
            )
        )
    return tracks


def timeline(result: ActivationPlan, consortium: Consortium) -> list[TimelineBar]:
    """A bar per planned acquisition on its satellite's row, and per downlink on its
    station's row (a downlink of seconds right after its acquisition would otherwise
    hide under it on a 72-h axis)."""
    from spacepool.activation.report import TimelineBar

    station_owner = {s.id: s.owner for s in consortium.stations}
    bars = []
    for a in result.plan.acquisitions:
        spacecraft = consortium.spacecraft(a.satellite)
        tasking = result.tasking_for(a.request)
        role = "" if tasking is None else f" ({tasking.role} {tasking.kind})"
        bars.append(
            TimelineBar(
                row=spacecraft.name,
                kind="acquisition",
                start=a.start,
                end=a.end,
                partner=spacecraft.instrument_owner(spacecraft.instrument(a.instrument)),
                label=f"{spacecraft.name} {a.instrument}{role}",
            )
        )
    for d in result.plan.downlinks:
        spacecraft = consortium.spacecraft(d.satellite)
        bars.append(
            TimelineBar(
                row=f"{consortium.station(d.station).name} (station)",
                kind="downlink",
                start=d.start,
                end=d.end,
                partner=station_owner.get(d.station, spacecraft.owner),
                label=f"downlink of {spacecraft.name} to {d.station} ({d.volume_mbit:.0f} Mbit)",
            )
        )
    return bars


# --- console -------------------------------------------------------------------------


def console_summary(summary: dict[str, Any]) -> list[Any]:
    """Rich renderables a person reads in ten seconds: what, where, when; the first
    acquisition and delivery; the pool against each partner alone; who pays."""
    from rich.table import Table
    from rich.text import Text

    from spacepool._reading import parse_time

    event = parse_time(summary["event_time"], "event_time", dialect=ACTIVATION)

    def when(text: str | None) -> str:
        if text is None:
            return "never"
        moment = parse_time(text, "time", dialect=ACTIVATION)
        hours = (moment - event).total_seconds() / 3600.0
        return f"{moment:%Y-%m-%d %H:%M} UTC (+{hours:.1f} h)"

    out: list[Any] = []
    title = summary.get("name") or summary["type"].replace("_", " ")
    out.append(
        Text.from_markup(
            f"[bold]{escape(title)}[/bold]: activation {escape(summary['activation_id'])}, "
            f"{summary['type']}, event {event:%Y-%m-%d %H:%M} UTC, "
            f"{summary['horizon']['hours']:g} h horizon"
        )
    )
    first = summary.get("first_acquisition")
    owners = sorted({row["partner"] for row in summary["accounting"] if row["acquisitions"]})
    out.append(
        Text.from_markup(
            f"  planned in [bold]{summary['compute_seconds']:.2f} s[/bold]: "
            f"{summary['acquisitions']} acquisitions by {', '.join(owners) or 'nobody'}"
        )
    )
    if first is None:
        out.append(Text("  no acquisition possible in the horizon", style="red"))
    else:
        out.append(
            Text.from_markup(
                f"  first image [bold]{when(first['time'])}[/bold] by {first['satellite']} "
                f"({first['partner']}, {first['instrument']}); first data on the ground "
                f"{when(summary['first_delivery_time'])}"
            )
        )
    access = summary["access"]
    embargo = access.get("embargo_until")
    opens = "" if embargo is None else f", open to all from {when(embargo)}"
    out.append(
        Text(
            f"  {summary['products_published']} products published to the catalogue "
            f"(access {access['policy']}{opens})"
        )
    )
    hours = summary["hours_to_first_acquisition"]
    table = Table(title="hours to first acquisition: the pool vs each partner alone (- = never)")
    keys = list(hours)
    for key in keys:
        table.add_column(key, justify="right", style="bold green" if key == "pool" else None)
    table.add_row(*["-" if hours[k] is None else f"{hours[k]:.1f}" for k in keys])
    out.append(table)
    charge = Table(title="who pays: the activation's value charged by entitlement vs delivered")
    for name in ("partner", "entitlement", "charged", "delivered", "acquisitions", "balance"):
        charge.add_column(name, justify="left" if name == "partner" else "right")
    for row in summary["accounting"]:
        charge.add_row(
            row["partner"],
            f"{row['entitlement']:.3f}",
            f"{row['activation_charge']:.2f}",
            f"{row['value_delivered']:.2f}",
            str(row["acquisitions"]),
            f"{row['balance']:+.2f}",
        )
    out.append(charge)
    return out


__all__ = [
    "build_summary",
    "compare_activation",
    "console_summary",
    "first_acquisition",
    "ground_tracks",
    "report_data",
    "schedule",
    "timeline",
    "usable_consortium",
]
