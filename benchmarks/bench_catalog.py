"""The whole active catalogue against 50 stations over 24 hours, on two processes.

15,347 objects of celestrak_active_2026-05-07.tle (LEO, MEO, GEO and other deep-space
orbits) x 50 stations (the bundled consortium's 20 with their own masks, plus 30 more
real station sites listed below with a 5 deg mask) x 24 h. Prints the wall time, the
number of passes, SGP4 failures and stale-element warnings, the peak memory
(resident set of this process and of the worker processes, from getrusage), the CPU
time of all processes and the load average (other jobs share the two cores).

Run: ``.venv/bin/python benchmarks/bench_catalog.py [--workers N]``.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from spacepool.access.contacts import find_contacts
from spacepool.access.geometry import Site
from spacepool.orbits.tle import load_tle

REPO = Path(__file__).resolve().parents[1]
ACTIVE = REPO / ".." / "shared" / "data" / "tle" / "celestrak_active_2026-05-07.tle"
START = datetime(2026, 5, 8, tzinfo=UTC)

# Further real ground-station sites (approximate published positions, 0.01-0.1 deg;
# from the operators' public station lists: KSAT, SSC, ESA ESTRACK, NASA DSN/NEN,
# JAXA, ISRO, CNES).
MORE_STATIONS = [
    ("Poker Flat", 65.12, -147.43), ("Punta Arenas", -52.94, -70.85),
    ("Santiago", -33.15, -70.67), ("Dongara", -29.05, 115.35), ("Mauritius", -20.50, 57.45),
    ("Singapore", 1.35, 103.82), ("South Point", 19.01, -155.66), ("Tromso", 69.66, 18.94),
    ("Weilheim", 47.88, 11.08), ("Redu", 50.00, 5.15), ("Villafranca", 40.44, -3.95),
    ("Cebreros", 40.45, -4.37), ("New Norcia", -31.05, 116.19), ("Malargue", -35.78, -69.40),
    ("Goldstone", 35.43, -116.89), ("Tidbinbilla", -35.40, 148.98),
    ("White Sands", 32.50, -106.61), ("Guam", 13.59, 144.84), ("Awarua", -46.53, 168.38),
    ("Uchinoura", 31.25, 131.08), ("Bangalore", 13.03, 77.51), ("Miyun", 40.45, 116.86),
    ("Kashi", 39.50, 76.00), ("Cuiaba", -15.55, -56.07), ("Alice Springs", -23.76, 133.88),
    ("Malindi", -2.99, 40.19), ("Daejeon", 36.37, 127.36), ("Tahiti", -17.58, -149.60),
    ("Hartebeesthoek B", -25.88, 27.68), ("Esrange", 67.88, 21.07),
]  # fmt: skip


def stations() -> list[Site]:
    from spacepool.consortium import load_consortium

    own = [Site.from_station(s) for s in load_consortium().stations]
    more = [Site(name, lat, lon, 0.0, 5.0) for name, lat, lon in MORE_STATIONS]
    return own + more


def cpu_s() -> float:
    """User + system CPU seconds of this process and its finished workers."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    if not ACTIVE.exists():
        sys.exit(f"{ACTIVE} is absent")
    workers = int(sys.argv[sys.argv.index("--workers") + 1]) if "--workers" in sys.argv else 2
    loaded = load_tle(ACTIVE, lenient=True)
    elements = list(loaded.elements)
    sites = stations()
    deep = sum(e.is_deep_space for e in elements)
    print(f"{len(elements)} objects ({deep} deep-space; {len(loaded.problems)} records "
          f"rejected by the reader) x {len(sites)} stations x 24 h, {workers} processes")  # fmt: skip
    print(f"load average before: {os.getloadavg()[0]:.1f} (1 min)")
    before = cpu_s()
    t = time.perf_counter()
    result = find_contacts(elements, sites, START, START + timedelta(days=1), workers=workers)
    wall = time.perf_counter() - t
    table = result.table
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    print(
        f"wall time {wall:.1f} s: {len(table)} passes, "
        f"{int(table.truncated_start.sum() + table.truncated_end.sum())} truncated ends, "
        f"{len(result.failures)} SGP4 failures, {len(result.age_warnings)} stale element sets"
    )
    print(f"peak memory (max RSS): main process {own:.0f} MiB, largest worker {children:.0f} MiB")
    print(f"CPU time (user + system) of the search: {cpu_s() - before:.1f} s over all processes; "
          f"load average after: {os.getloadavg()[0]:.1f} (1 min)")  # fmt: skip
    print(f"target under 60 s: {'met' if wall < 60 else 'NOT met'}")


if __name__ == "__main__":
    main()
