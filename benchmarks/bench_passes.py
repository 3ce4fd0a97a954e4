"""Station passes: spacepool vs Skyfield's find_events, and both vs a 1-ms reference.

50 satellites of celestrak_resource_2026-05-30.tle x the 20 stations of the bundled
consortium x 7 days, constant 10 deg mask. Prints both run times and their ratio (wall
clock and CPU time: other jobs sharing the cores disturb the second less), then passes
missed / extra and the largest AOS/LOS and max-elevation errors of each
method against an independent brute-force reference (1-s scan of every pair, every
crossing bisected to 1 ms, every scan maximum refined to 1 ms: see
tests/access/contact_reference.py). Skyfield runs single-threaded, as we do. Ours is
the best of three runs after one untimed run; Skyfield's one run takes long enough to
need no warm-up.

Run: ``.venv/bin/python benchmarks/bench_passes.py [--quick | --no-reference]``
(``--quick``: 1 day, no reference scan; ``--no-reference``: 7 days, no reference scan).
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "access"))

from contact_reference import Elevation, reference_passes, scan_seconds  # noqa: E402

from spacepool.access.contacts import find_contacts  # noqa: E402
from spacepool.access.geometry import Site  # noqa: E402
from spacepool.orbits.tle import load_tle  # noqa: E402

RESOURCE = REPO / ".." / "shared" / "data" / "tle" / "celestrak_resource_2026-05-30.tle"
START = datetime(2026, 5, 31, tzinfo=UTC)
MASK_DEG = 10.0
N_SATELLITES = 50
REPEATS = 3
# Matching window: a pass of one method matches the other's when their AOS (or, for
# a pass cut by the window, LOS) are closer than this.
MATCH_S = 30.0


def stations() -> list[Site]:
    from spacepool.consortium import load_consortium

    return [Site.from_station(s).with_mask(MASK_DEG) for s in load_consortium().stations]


def skyfield_run(elements, sites, start, end):
    """Skyfield's find_events per pair -> {(norad, station): [(aos_s, los_s, None)]}."""
    from skyfield.api import EarthSatellite, load, wgs84

    ts = load.timescale(builtin=True)
    t0, t1 = ts.from_datetime(start), ts.from_datetime(end)
    out = {}
    for e in elements:
        sat = EarthSatellite(e.line1, e.line2, e.name, ts)
        for s in sites:
            topos = wgs84.latlon(s.latitude_deg, s.longitude_deg, s.altitude_m)
            times, events = sat.find_events(topos, t0, t1, altitude_degrees=MASK_DEG)
            out[(e.norad_id, s.name)] = (times, events)
    return out


def compare(ref, got, key_ref, key_got):
    """Missed, extra and matched pairs of two pass lists of one satellite-station pair."""
    got = list(got)
    missed, matched = [], []
    for p in ref:
        near = [g for g in got if abs(key_got(g) - key_ref(p)) < MATCH_S]
        if not near:
            missed.append(p)
            continue
        matched.append((p, near[0]))
        got.remove(near[0])
    return missed, got, matched


def main() -> None:
    quick = "--quick" in sys.argv
    if not RESOURCE.exists():
        sys.exit(f"{RESOURCE} is absent")
    elements = list(load_tle(RESOURCE).elements[:N_SATELLITES])
    sites = stations()
    days = 1 if quick else 7
    end = START + timedelta(days=days)
    duration_s = days * 86400.0
    print(f"{len(elements)} satellites x {len(sites)} stations x {days} days, mask {MASK_DEG} deg; "
          f"load average {os.getloadavg()[0]:.1f} (1 min)")  # fmt: skip

    # One untimed run first: imports, and the memory allocator's steady state (the
    # first large arrays of a process cost page faults that later runs do not pay).
    find_contacts(elements, sites, START, end)
    table_times, object_times, table_cpu = [], [], []
    for _ in range(REPEATS):
        t, c = time.perf_counter(), time.process_time()
        result = find_contacts(elements, sites, START, end)
        table_times.append(time.perf_counter() - t)
        table_cpu.append(time.process_time() - c)
        t = time.perf_counter()
        contacts = result.table.contacts()
        object_times.append(time.perf_counter() - t)
    ours_s, objects_s, ours_cpu = min(table_times), min(object_times), min(table_cpu)
    t, c = time.perf_counter(), time.process_time()
    sky = skyfield_run(elements, sites, START, end)
    sky_s, sky_cpu = time.perf_counter() - t, time.process_time() - c
    n_sky = sum(int((ev == 0).sum()) for _, ev in sky.values())
    print(
        f"spacepool: {ours_s:.3f} s for {len(contacts)} passes (table; best of {REPEATS}; "
        f"CPU {ours_cpu:.3f} s); + {objects_s:.3f} s to build Contact objects"
    )
    print(f"Skyfield find_events: {sky_s:.2f} s (CPU {sky_cpu:.2f} s; {n_sky} rises)")
    print(
        f"speed-up: {sky_s / ours_s:.1f}x (table), {sky_s / (ours_s + objects_s):.1f}x "
        f"(with Contact objects); in CPU time {sky_cpu / ours_cpu:.1f}x (table), which other "
        f"jobs on the machine disturb less; load average {os.getloadavg()[0]:.1f} (1 min)"
    )
    if quick or "--no-reference" in sys.argv:
        return

    t = time.perf_counter()
    mine_by_pair: dict[tuple[int, str], list] = {}
    for c in contacts:
        mine_by_pair.setdefault((c.norad_id, c.station), []).append(c)
    totals = {"ref": 0, "ours_missed": 0, "ours_extra": 0, "sky_missed": 0, "sky_extra": 0,
              "sky_missed_near_mask": 0}  # fmt: skip
    ours_err, ours_el_err, sky_err = 0.0, 0.0, 0.0
    grid = scan_seconds(duration_s)
    for e in elements:
        f0 = Elevation(e.line1, e.line2, 0.0, 0.0, 0.0, START)
        r_scan, _ = f0.positions(grid)  # one 1-s propagation per satellite
        for s in sites:
            f = Elevation(e.line1, e.line2, s.latitude_deg, s.longitude_deg, s.altitude_m, START)
            ref = reference_passes(f, MASK_DEG, duration_s, scan=f.from_positions(r_scan))
            totals["ref"] += len(ref)
            mine = mine_by_pair.get((e.norad_id, s.name), [])

            def ref_key(p):
                return p.los_s if p.truncated_start else p.aos_s

            def our_key(c):
                return (c.los if c.truncated_start else c.aos).timestamp() - START.timestamp()

            missed, extra, matched = compare(ref, mine, ref_key, our_key)
            totals["ours_missed"] += len(missed)
            totals["ours_extra"] += len(extra)
            for p in missed:
                print(f"  missed by spacepool: {e.label} {s.name} {p}")
            for c in extra:
                print(f"  extra in spacepool: {c}")
            for p, c in matched:
                aos = c.aos.timestamp() - START.timestamp()
                los = c.los.timestamp() - START.timestamp()
                ours_err = max(ours_err, abs(aos - p.aos_s), abs(los - p.los_s))
                ours_el_err = max(ours_el_err, abs(c.max_elevation_deg - p.max_elevation_deg))
            times, events = sky[(e.norad_id, s.name)]
            secs = np.array([(t - START).total_seconds() for t in times.utc_datetime()])
            rises, sets = secs[events == 0], secs[events == 2]
            complete = [p for p in ref if not (p.truncated_start or p.truncated_end)]
            for p in complete:
                near_rise = np.abs(rises - p.aos_s) < MATCH_S
                near_set = np.abs(sets - p.los_s) < MATCH_S
                if not (near_rise.any() and near_set.any()):
                    totals["sky_missed"] += 1
                    totals["sky_missed_near_mask"] += p.max_elevation_deg - MASK_DEG < 0.1
                    continue
                sky_err = max(sky_err, float(np.abs(rises[near_rise] - p.aos_s).min()),
                              float(np.abs(sets[near_set] - p.los_s).min()))  # fmt: skip
            inner = [p.aos_s for p in ref]
            totals["sky_extra"] += sum(
                1 for r in rises if not any(abs(r - a) < MATCH_S for a in inner)
            )
    ref_s = time.perf_counter() - t
    print(f"reference (1-s scan, 1-ms refinement): {totals['ref']} passes, {ref_s:.0f} s")
    print(
        f"spacepool vs reference: missed {totals['ours_missed']}, extra "
        f"{totals['ours_extra']}, max AOS/LOS error {ours_err * 1e3:.2f} ms, "
        f"max elevation error {ours_el_err:.2e} deg"
    )
    print(
        f"Skyfield vs reference (complete passes): missed {totals['sky_missed']} "
        f"({totals['sky_missed_near_mask']} with peak < 0.1 deg above the mask), extra "
        f"{totals['sky_extra']}, max AOS/LOS error {sky_err * 1e3:.1f} ms"
    )


if __name__ == "__main__":
    main()
