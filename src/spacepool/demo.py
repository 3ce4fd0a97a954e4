"""The main job: a river-flood activation end to end on the bundled consortium.

``spacepool demo`` (``make demo``) runs offline with an embedded SQLite database in
the output folder:

1. load the bundled reference consortium (partners, assets, agreements) into it;
2. raise a flood activation over the lower Romagna plain (Emilia-Romagna, Italy) at
   a fixed time, requested by ASI;
3. plan its urgent requests over the next 72 h across every partner's spacecraft
   and ground stations;
4. execute the plan with the simulator and publish every product to the catalogue
   under the activation's policy;
5. measure the value of cooperation over the area and horizon;
6. write ``summary.json`` and ``report.html`` and print a ten-second summary.

The area is where the rivers of Romagna (Lamone, Montone, Savio, Santerno, Senio,
Sillaro) broke their banks on 16-17 May 2023: about 14 dead, some 36,000 people
displaced and 23 rivers overflowing (Italian Civil Protection Department; European
Commission Joint Research Centre, "Copernicus Emergency Management Service supported
Italian authorities on floods in Emilia Romagna and Tuscany", 14 December 2023). The
Civil Protection requested Copernicus EMS rapid mapping on 16 May 2023; the first
flood delineation (Forlì) was made from COSMO-SkyMed radar images of 17 May, and
flooded land lay around Lugo, Faenza, Forlì, Cesena and Ravenna. The demo replays
such a flood at a fixed time inside the validity of the consortium's nominal
element sets (epoch 2026-05-30), so that the run is reproducible offline.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

DEMO_EVENT_TIME: Final = "2026-06-01T03:00:00Z"
DEMO_ACTIVATION_ID: Final = "romagna-flood-demo"
DEMO_NAME: Final = "River flood, Romagna plain (Emilia-Romagna, Italy)"
DEMO_PARTNER: Final = "asi"
# The lower Romagna plain flooded in May 2023: Faenza and Lugo in the west, Forlì
# and Cesena in the south, Ravenna and the coast in the east (lon, lat degrees,
# counterclockwise as RFC 7946 asks), about 2,200 km2.
DEMO_AREA: Final[dict[str, Any]] = {
    "type": "Polygon",
    "coordinates": [
        [
            [11.72, 44.17],
            [12.10, 44.12],
            [12.36, 44.20],
            [12.34, 44.52],
            [11.95, 44.56],
            [11.70, 44.42],
            [11.72, 44.17],
        ]
    ],
}
# Products go to every partner at once and are open to all a week after the event.
DEMO_ACCESS: Final = "consortium"
DEMO_EMBARGO_HOURS: Final = 168.0
DATABASE_FILE: Final = "spacepool.sqlite"


def demo_activation(horizon_hours: float = 72.0) -> dict[str, Any]:
    """The demo's activation, as the REST body / CLI options give it."""
    return {
        "id": DEMO_ACTIVATION_ID,
        "name": DEMO_NAME,
        "aoi": DEMO_AREA,
        "type": "flood",
        "event_time": DEMO_EVENT_TIME,
        "partner": DEMO_PARTNER,
        "access": DEMO_ACCESS,
        "embargo_hours": DEMO_EMBARGO_HOURS,
        "horizon_hours": horizon_hours,
    }


@dataclass(frozen=True)
class DemoResult:
    """What the demo did: the summary, the files written and the time it took."""

    summary: dict[str, Any]
    paths: tuple[Path, ...]
    wall_seconds: float


def run_demo(out_dir: Path, *, horizon_hours: float = 72.0) -> DemoResult:
    """Run the main job into ``out_dir`` (see the module docstring).

    The activation is checked before anything is written: a bad horizon raises
    :class:`~spacepool.errors.ActivationError` and leaves no file behind. A previous
    demo database in ``out_dir`` is replaced.
    """
    from spacepool.activation.cooperation import Comparison
    from spacepool.activation.model import read_activation
    from spacepool.activation.report import write_report
    from spacepool.activation.service import (
        activation_summary,
        execute_simulated,
        open_activation,
    )
    from spacepool.activation.summary import report_data
    from spacepool.activation.workflow import TimelineClock
    from spacepool.catalog.access import Viewer
    from spacepool.consortium import load_consortium
    from spacepool.store import Store
    from spacepool.store.activations import activation_plan, get_activation, products_of
    from spacepool.store.registry import load_consortium_into

    started = time.perf_counter()
    consortium = load_consortium()
    data = demo_activation(horizon_hours)
    activation = read_activation(data, consortium)  # checks first: nothing written if bad
    out_dir.mkdir(parents=True, exist_ok=True)
    database = out_dir / DATABASE_FILE
    for leftover in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        leftover.unlink(missing_ok=True)
    store = Store(f"sqlite:///{database.resolve()}")

    def wall() -> datetime:
        return datetime.now(UTC)

    try:
        load_consortium_into(store, consortium, now=wall())
        open_activation(
            store,
            data,
            consortium,
            viewer=Viewer.partner(DEMO_PARTNER),
            clock=TimelineClock(activation.event_time),
            now=wall,
        )
        execute_simulated(store, DEMO_ACTIVATION_ID, consortium, now=wall)
        summary = activation_summary(
            store, DEMO_ACTIVATION_ID, consortium, viewer=Viewer.admin(), now=wall
        )
        with store.transaction() as session:
            record = get_activation(session, Viewer.admin(), wall(), DEMO_ACTIVATION_ID)
            result = activation_plan(record)
            products = products_of(session, record)
    finally:
        store.close()
    comparison = Comparison.from_json(summary["value_of_cooperation"])
    report = report_data(result, consortium, products, comparison, summary)
    summary_path = out_dir / "summary.json"
    _write_atomic(summary_path, json.dumps(summary, indent=2) + "\n")
    report_path = write_report(report, out_dir / "report.html")
    return DemoResult(summary, (summary_path, report_path, database), time.perf_counter() - started)


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


__all__ = [
    "DEMO_ACTIVATION_ID",
    "DEMO_AREA",
    "DEMO_EVENT_TIME",
    "DemoResult",
    "demo_activation",
    "run_demo",
]
