"""The engine demo: the bundled consortium's next 24 hours.

``spacepool demo`` loads the bundled reference consortium (nominal orbits, offline),
finds every ground-station contact of every pooled spacecraft, every imaging
opportunity of every instrument over a few places often struck by floods, and the
revisit each partner alone and the pool achieve over them. It prints a summary a
person reads in ten seconds and writes ``summary.json`` and ``ground-tracks.png``.

The window starts at a fixed time one day after the consortium's element epoch so
the nominal elements are fresh and the output is reproducible.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from spacepool.access.areas import PointTarget
from spacepool.access.contacts import ContactResult, find_contacts
from spacepool.access.coverage import RevisitStats, revisit_statistics
from spacepool.access.geometry import Site
from spacepool.access.imaging import OpportunityResult, Sensor, find_opportunities
from spacepool.consortium import Consortium, load_consortium
from spacepool.orbits.frames import itrs_to_geodetic
from spacepool.orbits.propagate import Propagator
from spacepool.orbits.timebase import TimeBase, format_time, parse_time

DEMO_START = "2026-05-31T00:00:00Z"

# Places with recent major floods (International Charter activations: Valencia
# 2024-10, Rio Grande do Sul 2024-05, Bangladesh 2024-08, Derna 2023-09).
DEMO_TARGETS: tuple[PointTarget, ...] = (
    PointTarget("Valencia", 39.47, -0.38),
    PointTarget("Porto Alegre", -30.03, -51.23),
    PointTarget("Feni (Bangladesh)", 23.01, 91.40),
    PointTarget("Derna", 32.76, 22.64),
)


@dataclass(frozen=True)
class EngineDemo:
    """Everything the demo computed, ready to print or serialise."""

    consortium: Consortium
    start: datetime
    end: datetime
    contacts: ContactResult
    opportunities: OpportunityResult
    revisit: tuple[RevisitStats, ...]
    compute_seconds: float

    def summary(self) -> dict[str, Any]:
        partner_of = {sc.norad_id: sc.owner for sc in self.consortium.fleet}
        per_station = Counter(c.station for c in self.contacts.contacts)
        per_partner_opps = Counter(
            partner_of.get(o.norad_id, "?") for o in self.opportunities.opportunities
        )
        return {
            "consortium": self.consortium.name,
            "window": {"start": format_time(self.start), "end": format_time(self.end)},
            "compute_seconds": round(self.compute_seconds, 3),
            "spacecraft": len(self.consortium.fleet),
            "stations": len(self.consortium.stations),
            "element_source": "nominal (built from published mission orbits)",
            "contacts": {
                "count": len(self.contacts.contacts),
                "per_station": dict(sorted(per_station.items())),
            },
            "imaging_opportunities": {
                "count": len(self.opportunities.opportunities),
                "per_partner": dict(sorted(per_partner_opps.items())),
            },
            "revisit": [r.to_dict() for r in self.revisit],
            "failures": [str(f) for f in (*self.contacts.failures, *self.opportunities.failures)],
            "age_warnings": [w.message for w in self.contacts.age_warnings],
        }


def run_engine_demo(*, start: str | datetime = DEMO_START, hours: float = 24.0) -> EngineDemo:
    """Contacts, opportunities and revisit for the bundled consortium."""
    consortium = load_consortium()
    t0 = parse_time(start, field="start")
    t1 = t0 + timedelta(hours=hours)
    started = time.perf_counter()
    elements = consortium.element_sets()
    timebase = TimeBase.around(t0, t1)
    propagator = Propagator(elements, timebase)
    sites = [Site.from_station(s) for s in consortium.stations]
    contacts = find_contacts(propagator, sites, t0, t1)
    sensors = [
        [Sensor.from_instrument(instrument) for instrument in sc.instruments]
        for sc in consortium.fleet
    ]
    opportunities = find_opportunities(
        propagator, list(DEMO_TARGETS), t0, t1, sensors=sensors, covered_geometry=False
    )
    partner_of: dict[int | str, str] = {sc.norad_id: sc.owner for sc in consortium.fleet}
    revisit = revisit_statistics(
        opportunities.opportunities,
        t0,
        t1,
        partner_of=partner_of,
        targets=[t.name for t in DEMO_TARGETS],
        partners=[p.id for p in consortium.partners],
    )
    elapsed = time.perf_counter() - started
    return EngineDemo(consortium, t0, t1, contacts, opportunities, tuple(revisit), elapsed)


def write_outputs(demo: EngineDemo, out_dir: Path) -> list[Path]:
    """``summary.json`` and ``ground-tracks.png`` in ``out_dir`` (created)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary_path = out_dir / "summary.json"
    summary_path.write_text(json.dumps(demo.summary(), indent=2) + "\n", encoding="utf-8")
    plot_path = out_dir / "ground-tracks.png"
    plot_ground_tracks(demo, plot_path)
    return [summary_path, plot_path]


def plot_ground_tracks(demo: EngineDemo, path: Path, *, hours: float = 1.7) -> None:
    """Ground tracks of the first ``hours``, stations and targets, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    consortium = demo.consortium
    elements = consortium.element_sets()
    timebase = TimeBase.around(demo.start, demo.start + timedelta(hours=hours))
    seconds = np.arange(0.0, hours * 3600.0, 30.0)
    eph = Propagator(elements, timebase).grid(seconds)
    lat, lon, _ = itrs_to_geodetic(eph.r_itrs_km)
    owners = sorted({sc.owner for sc in consortium.fleet})
    cmap = matplotlib.colormaps["tab10"]
    colour = {owner: cmap(i % 10) for i, owner in enumerate(owners)}

    fig, ax = plt.subplots(figsize=(13, 6.8), dpi=110)
    for k, sc in enumerate(consortium.fleet):
        lo = lon[k].copy()
        # Break the line where it wraps at the antimeridian.
        lo[np.r_[False, np.abs(np.diff(lo)) > 180.0]] = np.nan
        ax.plot(lo, lat[k], lw=0.8, color=colour[sc.owner], alpha=0.85)
    for owner in owners:
        ax.plot([], [], color=colour[owner], lw=2, label=owner)
    st_lat = [s.latitude_deg for s in consortium.stations]
    st_lon = [s.longitude_deg for s in consortium.stations]
    ax.scatter(st_lon, st_lat, marker="^", s=40, color="black", zorder=5, label="ground station")
    for t in DEMO_TARGETS:
        ax.scatter(
            [t.longitude_deg], [t.latitude_deg], marker="*", s=140, color="crimson", zorder=6
        )
        ax.annotate(t.name, (t.longitude_deg, t.latitude_deg), xytext=(4, 4),
                    textcoords="offset points", fontsize=8, color="crimson")  # fmt: skip
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_xticks(range(-180, 181, 30))
    ax.set_yticks(range(-90, 91, 30))
    ax.grid(True, lw=0.3)
    ax.set_xlabel("longitude (deg)")
    ax.set_ylabel("geodetic latitude (deg)")
    ax.set_title(
        f"{consortium.name}: ground tracks {format_time(demo.start)} + {hours:g} h "
        "(nominal elements); stations ▲, flood sites ★"
    )
    ax.legend(loc="lower left", fontsize=7, ncol=4, framealpha=0.8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
