"""Element-set parsing: spacepool's validating TLE reader vs sgp4's twoline2rv.

Both read the whole active catalogue (15,347 records) from the same text in one
run; sgp4 is the peer (it validates less: no column layout, no ranges). Prints
records per second and the ratio. Skips when ../shared/data is absent.

    .venv/bin/python benchmarks/bench_parse.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sgp4.api import Satrec

from spacepool.orbits.tle import parse_tle

ROOT = Path(__file__).resolve().parents[1]
ACTIVE = ROOT / ".." / "shared" / "data" / "tle" / "celestrak_active_2026-05-07.tle"


def main() -> int:
    if not ACTIVE.exists():
        print(f"skipped: {ACTIVE} not found")
        return 0
    text = ACTIVE.read_text(encoding="utf-8")
    lines = text.splitlines()

    started = time.perf_counter()
    result = parse_tle(text, source=ACTIVE.name)
    ours_s = time.perf_counter() - started

    started = time.perf_counter()
    peer = [Satrec.twoline2rv(lines[i + 1], lines[i + 2]) for i in range(0, len(lines), 3)]
    peer_s = time.perf_counter() - started

    n = len(result.elements)
    assert n == len(peer), (n, len(peer))
    print(f"records:               {n}")
    print(f"spacepool parse_tle:   {ours_s:.3f} s  ({n / ours_s:,.0f} records/s, validated)")
    print(f"sgp4 twoline2rv loop:  {peer_s:.3f} s  ({n / peer_s:,.0f} records/s)")
    print(f"ratio (ours / sgp4):   {ours_s / peer_s:.2f}x the time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
