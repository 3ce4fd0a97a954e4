"""Joint planning at scale: a generated 3-day instance on the bundled consortium.

5,000 requests (``--quick``: 500) from 8 partners over 3 days: point targets and
small areas (5-40 km across) around real places on every inhabited continent, mixed
instrument kinds and resolutions, values 1-10, some revisits (every 24 h), a few
urgent requests and activations. Entitlements: the consortium's ``eo-pool``
agreement restricted to the 8 partners (renormalised); fairness ``proportional``.
A fixed seed makes the instance and the run repeatable.

Prints the build time (opportunities and contacts from the access engine), the
instance size, the heuristic's time and value (default limit 50 s, so that the whole
solve stays under the 60 s target), two upper bounds on the total value (the LP
bound: each demand's best deliverable candidate; the CP-SAT bound of the conflict
relaxation, :mod:`spacepool.planning.bounds`) and the gaps, and per partner the
entitlement, received share and deviation.

Run: ``.venv/bin/python benchmarks/bench_planning.py [--quick] [--requests N]
[--time-limit S] [--fairness none|proportional|leximin] [--seed N]``.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from ortools import __version__ as ortools_version

from spacepool.consortium import load_consortium
from spacepool.planning import Plan, Scenario, plan_from_candidates
from spacepool.planning.bounds import conflict_bound
from spacepool.planning.build import build_instance
from spacepool.planning.heuristic import value_bound
from spacepool.planning.prepare import Prepared
from spacepool.planning.requests import AreaTarget

START = datetime(2026, 6, 1, tzinfo=UTC)
DAYS = 3
PARTNERS = ("nasa", "esa", "jaxa", "isro", "asi", "dlr", "cnes", "csa")

# Places on land (lat, lon in degrees): cities, farmland, deltas, volcanoes, forests,
# glaciers and coasts that Earth-observation users ask for. Targets are drawn within
# JITTER_DEG of one of them.
PLACES: tuple[tuple[str, float, float], ...] = (
    # Europe
    ("Paris", 48.86, 2.35),
    ("Berlin", 52.52, 13.40),
    ("Rome", 41.90, 12.50),
    ("Madrid", 40.42, -3.70),
    ("Po valley", 45.10, 10.50),
    ("Rhone delta", 43.50, 4.60),
    ("Rhine-Ruhr", 51.45, 7.00),
    ("Netherlands polders", 52.50, 5.50),
    ("Etna", 37.75, 15.00),
    ("Vesuvius", 40.82, 14.43),
    ("Alps, Mont Blanc", 45.83, 6.86),
    ("Danube delta", 45.15, 29.20),
    ("Warsaw", 52.23, 21.01),
    ("Vienna", 48.21, 16.37),
    ("Andalusia", 37.40, -5.50),
    ("Scottish Highlands", 57.10, -4.70),
    ("Iceland, Reykjanes", 63.90, -22.30),
    ("Athens", 37.98, 23.73),
    ("Bucharest", 44.43, 26.10),
    ("Kyiv", 50.45, 30.52),
    ("Helsinki", 60.17, 24.94),
    ("Lofoten", 68.20, 14.00),
    ("Sardinia", 40.10, 9.00),
    ("Brittany", 48.20, -3.00),
    # Africa
    ("Nile delta", 30.90, 31.00),
    ("Cairo", 30.04, 31.24),
    ("Lagos", 6.52, 3.38),
    ("Nairobi", -1.29, 36.82),
    ("Kinshasa", -4.32, 15.31),
    ("Johannesburg", -26.20, 28.05),
    ("Cape Town", -33.92, 18.42),
    ("Sahel, Niger", 14.50, 6.00),
    ("Lake Chad", 13.10, 14.40),
    ("Ethiopian highlands", 9.00, 38.70),
    ("Okavango delta", -19.30, 22.90),
    ("Madagascar highlands", -19.00, 47.50),
    ("Casablanca", 33.57, -7.59),
    ("Dakar", 14.72, -17.47),
    ("Kilimanjaro", -3.07, 37.35),
    ("Congo basin", 0.50, 21.00),
    ("Mozambique, Beira", -19.84, 34.84),
    # Asia
    ("Tokyo", 35.68, 139.69),
    ("Kanto plain", 36.20, 139.80),
    ("Osaka", 34.69, 135.50),
    ("Beijing", 39.90, 116.40),
    ("Shanghai", 31.23, 121.47),
    ("Yangtze plain", 30.50, 114.30),
    ("Pearl River delta", 22.80, 113.50),
    ("Seoul", 37.57, 126.98),
    ("Delhi", 28.61, 77.21),
    ("Mumbai", 19.08, 72.88),
    ("Ganges delta", 22.50, 89.50),
    ("Punjab", 30.90, 75.80),
    ("Kerala", 10.00, 76.30),
    ("Bangalore", 12.97, 77.59),
    ("Kathmandu", 27.72, 85.32),
    ("Dhaka", 23.81, 90.41),
    ("Mekong delta", 10.00, 105.80),
    ("Bangkok", 13.76, 100.50),
    ("Jakarta", -6.21, 106.85),
    ("Merapi", -7.54, 110.45),
    ("Manila", 14.60, 120.98),
    ("Mindanao", 7.50, 125.00),
    ("Borneo, Kalimantan", -1.00, 114.00),
    ("Tehran", 35.69, 51.39),
    ("Mesopotamia", 33.00, 44.50),
    ("Riyadh", 24.71, 46.68),
    ("Aral Sea", 45.00, 59.50),
    ("Almaty", 43.24, 76.95),
    ("Novosibirsk", 55.03, 82.92),
    ("Lake Baikal", 53.50, 108.00),
    ("Kamchatka", 56.06, 160.64),
    ("Istanbul", 41.01, 28.98),
    ("Karachi", 24.86, 67.01),
    ("Tibetan plateau", 31.00, 88.00),
    # Americas
    ("New York", 40.71, -74.01),
    ("Los Angeles", 34.05, -118.24),
    ("Central Valley", 36.70, -119.80),
    ("Mississippi delta", 29.50, -89.80),
    ("Corn Belt, Iowa", 42.00, -93.50),
    ("Kansas wheat", 38.50, -98.50),
    ("Houston", 29.76, -95.37),
    ("Florida Everglades", 25.80, -80.80),
    ("Yellowstone", 44.60, -110.50),
    ("Mount St. Helens", 46.19, -122.19),
    ("Toronto", 43.65, -79.38),
    ("Montreal", 45.50, -73.57),
    ("Canadian prairies", 51.00, -106.00),
    ("Alberta oil sands", 57.00, -111.50),
    ("British Columbia forests", 53.00, -122.00),
    ("Mexico City", 19.43, -99.13),
    ("Popocatepetl", 19.02, -98.62),
    ("Guatemala, Fuego", 14.47, -90.88),
    ("Bogota", 4.71, -74.07),
    ("Amazon, Manaus", -3.12, -60.02),
    ("Amazon, Rondonia", -10.50, -63.00),
    ("Sao Paulo", -23.55, -46.63),
    ("Mato Grosso soy", -13.00, -56.00),
    ("Lima", -12.05, -77.04),
    ("Atacama", -23.50, -68.50),
    ("Santiago", -33.45, -70.67),
    ("Pampas", -35.00, -61.00),
    ("Patagonian ice field", -49.50, -73.50),
    ("Caracas", 10.48, -66.90),
    ("Haiti", 18.60, -72.30),
    ("Alaska, Anchorage", 61.22, -149.90),
    # Oceania
    ("Sydney", -33.87, 151.21),
    ("Murray-Darling basin", -34.50, 144.00),
    ("Queensland coast", -19.30, 146.80),
    ("Perth", -31.95, 115.86),
    ("Pilbara", -22.30, 118.50),
    ("Auckland", -36.85, 174.76),
    ("Canterbury plains", -43.60, 172.00),
    ("Papua highlands", -6.00, 145.00),
)
JITTER_DEG = 0.6

# Planning parameters the consortium does not hold: agile platforms (settling time,
# roll rate) and on-board memories of the order of the real ones (Gbit).
SPACECRAFT: tuple[dict[str, Any], ...] = (
    {"id": "pleiades-1a", "memory_gbit": 600, "transition_fixed_s": 8.0, "slew_rate_deg_s": 2.0},
    {"id": "pleiades-1b", "memory_gbit": 600, "transition_fixed_s": 8.0, "slew_rate_deg_s": 2.0},
    {"id": "resurs-p4", "memory_gbit": 768, "transition_fixed_s": 15.0, "slew_rate_deg_s": 1.0},
    {"id": "resurs-p5", "memory_gbit": 768, "transition_fixed_s": 15.0, "slew_rate_deg_s": 1.0},
    {"id": "sentinel-2a", "memory_gbit": 2400},
    {"id": "sentinel-2b", "memory_gbit": 2400},
    {"id": "sentinel-2c", "memory_gbit": 2400},
)

# Request profiles: (weight, kinds, max resolution choices m, max off-nadir choices
# deg, min Sun elevation choices deg). None = no limit.
PROFILES: tuple[tuple[float, tuple[str, ...], tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]],
                ...] = (
    (0.30, ("optical",), (1.0, 5.0, 10.0, 30.0, None), (None, 20.0, 30.0), (None, 15.0, 25.0)),
    (0.25, ("sar",), (3.0, 10.0, 25.0, None), (None, 45.0), (None,)),
    (0.10, ("optical", "sar"), (10.0, 30.0, None), (None,), (None,)),
    (0.10, ("optical",), (300.0, None), (None,), (None, 10.0)),
    (0.08, ("thermal",), (100.0, None), (None,), (None,)),
    (0.07, ("hyperspectral",), (30.0,), (None, 20.0), (None, 20.0)),
    (0.10, (), (None,), (None,), (None,)),
)  # fmt: skip


def eo_entitlements() -> dict[str, float]:
    """The eo-pool agreement's shares of the 8 partners, renormalised to sum to 1."""
    shares = load_consortium().agreement("eo-pool").entitlements()
    total = math.fsum(shares[p] for p in PARTNERS)
    normalised = {p: shares[p] / total for p in PARTNERS}
    # make the sum exactly 1 within the checker's tolerance
    last = PARTNERS[-1]
    normalised[last] = 1.0 - math.fsum(normalised[p] for p in PARTNERS[:-1])
    return normalised


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _area(lat: float, lon: float, size_km: float) -> dict[str, Any]:
    half_lat = size_km / 2.0 / 111.0
    half_lon = half_lat / max(0.2, math.cos(math.radians(lat)))
    ring = [
        [lon - half_lon, lat - half_lat],
        [lon + half_lon, lat - half_lat],
        [lon + half_lon, lat + half_lat],
        [lon - half_lon, lat + half_lat],
        [lon - half_lon, lat - half_lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def generate(n_requests: int, *, seed: int = 0, fairness: str = "proportional") -> dict[str, Any]:
    """The scenario (as the data of a TOML file) of ``n_requests`` requests."""
    rng = random.Random(seed)
    entitlements = eo_entitlements()
    partners = list(PARTNERS)
    # partners ask in rough proportion to their entitlement, never less than 5 %
    asking = [max(0.05, entitlements[p]) for p in partners]
    profile_weights = [p[0] for p in PROFILES]
    horizon_s = DAYS * 86400.0
    requests = []
    for k in range(n_requests):
        partner = rng.choices(partners, asking)[0]
        _, kinds, resolutions, off_nadirs, suns = rng.choices(PROFILES, profile_weights)[0]
        _, lat, lon = rng.choice(PLACES)
        lat = max(-80.0, min(80.0, lat + rng.uniform(-JITTER_DEG, JITTER_DEG)))
        lon = lon + rng.uniform(-JITTER_DEG, JITTER_DEG)
        lon = (lon + 180.0) % 360.0 - 180.0
        if rng.random() < 0.25:
            target: dict[str, Any] = {"area": _area(lat, lon, rng.uniform(5.0, 40.0))}
        else:
            target = {"lat": round(lat, 4), "lon": round(lon, 4)}
        length_s = rng.choice((12, 24, 36, 48, 72)) * 3600.0
        begin_s = rng.uniform(0.0, horizon_s - length_s)
        begin = START + timedelta(seconds=round(begin_s))
        end = begin + timedelta(seconds=length_s)
        requirements: dict[str, Any] = {"kinds": list(kinds)}
        for key, choices in (
            ("max_resolution_m", resolutions),
            ("max_off_nadir_deg", off_nadirs),
            ("min_sun_elevation_deg", suns),
        ):
            value = rng.choice(choices)
            if value is not None:
                requirements[key] = value
        request: dict[str, Any] = {
            "id": f"r{k:05d}",
            "partner": partner,
            "target": target,
            "window": {"start": _iso(begin), "end": _iso(end)},
            "requirements": requirements,
            "value": float(rng.randint(1, 10)),
        }
        draw = rng.random()
        if draw < 0.002:
            request["urgency"] = "activation"
            request["value"] = 20.0
        elif draw < 0.02:
            request["urgency"] = "urgent"
        if length_s >= 48 * 3600 and rng.random() < 0.3:
            request["revisit_every"] = "24h"
        requests.append(request)
    return {
        "name": f"generated: {n_requests} requests, {len(partners)} partners, {DAYS} days",
        "consortium": "bundled",
        "fairness": fairness,
        "entitlements": entitlements,
        "horizon": {"start": _iso(START), "end": _iso(START + timedelta(days=DAYS))},
        "spacecraft": list(SPACECRAFT),
        "requests": requests,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 requests instead of 5000")
    parser.add_argument("--requests", type=int, default=None, help="number of requests")
    parser.add_argument(
        "--time-limit", type=float, default=50.0, help="heuristic limit (s); target: 60"
    )
    parser.add_argument("--bound-time", type=float, default=30.0, help="CP-SAT bound limit (s)")
    parser.add_argument("--fairness", choices=("none", "proportional", "leximin"),
                        default="proportional")  # fmt: skip
    parser.add_argument("--cpsat", action="store_true", help="also run the exact solver")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    n = args.requests or (500 if args.quick else 5000)
    print(
        f"planning benchmark: {n} requests from {len(PARTNERS)} partners over {DAYS} days, "
        f"fairness {args.fairness}, seed {args.seed}; OR-Tools {ortools_version}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f} at start"
    )
    began = time.perf_counter()
    scenario = Scenario.from_dict(generate(n, seed=args.seed, fairness=args.fairness))
    check_s = time.perf_counter() - began

    began = time.perf_counter()
    instance = build_instance(scenario, workers=args.workers)
    build_s = time.perf_counter() - began
    areas = sum(1 for r in scenario.requests if isinstance(r.target, AreaTarget))
    print(
        f"scenario: {len(scenario.requests)} requests ({areas} areas), "
        f"{len(instance.demands)} demands; checked in {check_s:.1f} s"
    )
    print(
        f"build (access engine, {args.workers} processes): {build_s:.1f} s -> "
        f"{len(instance.candidates)} candidates, {len(instance.contacts)} contacts"
    )
    for warning in instance.warnings:
        print(f"  warning: {warning}")

    plan = plan_from_candidates(
        instance, solver="heuristic", time_limit_s=args.time_limit, seed=args.seed
    )
    prep = Prepared(instance)
    lp_bound = value_bound(prep)
    bound = conflict_bound(prep, time_limit_s=args.bound_time, workers=args.workers,
                           seed=args.seed)  # fmt: skip
    served = len(instance.demands) - len(plan.unserved)
    print(
        f"heuristic: {plan.solve_time_s:.1f} s (limit {args.time_limit:g} s), value "
        f"{plan.objective:.1f}, {served} of {len(instance.demands)} demands served; "
        f"{plan.message.split('; ')[-1]}"
    )
    reasons = Counter(u.reason for u in plan.unserved)
    print("  not served: " + ", ".join(f"{r} {k}" for r, k in sorted(reasons.items())))
    print(
        f"bounds: LP (best candidate per demand) {lp_bound:.1f}, gap "
        f"{100 * _gap(plan.objective, lp_bound):.2f} %; CP-SAT conflict relaxation "
        f"{bound.value:.1f} ({'optimal' if bound.proven else 'not proven'}, "
        f"{bound.components} components, {bound.conflicts} conflict groups, "
        f"{bound.time_s:.1f} s), gap {100 * _gap(plan.objective, bound.value):.2f} %"
    )
    target = plan.solve_time_s <= 60.0 and _gap(plan.objective, bound.value) <= 0.02
    print(f"target (within 2 % of the bound in under 60 s): {'met' if target else 'NOT met'}")
    _fairness_table(plan)
    if args.cpsat:
        exact = plan_from_candidates(
            instance, solver="cpsat", time_limit_s=args.time_limit, seed=args.seed
        )
        print(
            f"cpsat: {exact.solve_time_s:.1f} s, status {exact.status}, value "
            f"{exact.objective:.1f}, bound {exact.bound}"
        )
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


def _gap(value: float, bound: float) -> float:
    return (bound - value) / bound if bound > 0 else 0.0


def _fairness_table(plan: Plan) -> None:
    print(
        f"fairness ({plan.fairness}): share = received / total received; deviation = "
        "share - entitlement"
    )
    print(
        f"  {'partner':<9}{'entitled':>9}{'share':>9}{'dev pts':>9}{'target':>10}"
        f"{'received':>10}{'ideal':>10}"
    )
    for a in plan.accounts:
        ideal = "-" if a.ideal_value is None else f"{a.ideal_value:.1f}"
        print(
            f"  {a.partner:<9}{100 * a.entitlement:>8.2f}%{100 * a.share:>8.2f}%"
            f"{100 * (a.share - a.entitlement):>+9.2f}{a.target_value:>10.1f}"
            f"{a.received_value:>10.1f}{ideal:>10}"
        )
    print(f"  largest |share - entitlement|: {100 * plan.max_share_deviation():.2f} points")


if __name__ == "__main__":
    sys.exit(main())
