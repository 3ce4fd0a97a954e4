"""A seeded ``spacepool serve`` on loopback for the dashboard's browser tests.

The database (a temporary SQLite file) holds the bundled consortium in the registry,
API keys for two partners (``esa`` = partner A, ``nasa`` = partner B) and the
coordinator, a collection with items under every access rule that matters here
(open, consortium, owner-only, and partner A's embargoed item), submitted requests,
one plan, and partner A's activation with one reported acquisition. Everything but
the registry and the keys is posted over HTTP, as partners would.
"""

from __future__ import annotations

import signal
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from datastore_factory import collection_doc, item_doc
from serve_support import launch_serve
from spacepool.demo import DEMO_AREA

PARTNER_A = "esa"
PARTNER_B = "nasa"
COLLECTION = "eo"
PLAN_ID = "plan-june-1"
PLAN_WINDOW = ("2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z")  # near the consortium epoch


@dataclass(frozen=True)
class Seed:
    """One catalogue item: id, owner, access rule, embargo, footprint corner (lon, lat)."""

    id: str
    owner: str
    access: str
    lon: float
    lat: float
    embargoed: bool = False


SEEDS = (
    Seed("nasa-open-valencia", PARTNER_B, "open", -0.6, 39.2),
    Seed("nasa-open-kyushu", PARTNER_B, "open", 130.2, 32.4),
    Seed("esa-embargoed-etna", PARTNER_A, "owner", 14.8, 37.5, embargoed=True),
    Seed("esa-consortium-rhine", PARTNER_A, "consortium", 6.5, 50.6),
    Seed("nasa-owner-mississippi", PARTNER_B, "owner", -91.2, 32.0),
)


def visible_to(viewer: str) -> set[str]:
    """Item ids ``viewer`` (anonymous, esa, nasa) may see; embargoes run 30 days on."""
    out = set()
    for seed in SEEDS:
        if (
            seed.access == "open"
            or (seed.access == "consortium" and viewer != "anonymous")
            or seed.owner == viewer
        ):
            out.add(seed.id)
    return out


# Requests of both partners inside PLAN_WINDOW; the last needs a resolution no
# pooled instrument has, so the plan names a reason for it.
REQUESTS = (
    (PARTNER_A, "esa-po-flood", 45.0, 11.0, 30.0),
    (PARTNER_A, "esa-etna", 37.75, 15.0, 30.0),
    (PARTNER_B, "nasa-mississippi", 32.3, -90.9, 30.0),
    (PARTNER_B, "nasa-la-fires", 34.1, -118.3, 30.0),
    (PARTNER_A, "esa-very-sharp", 48.85, 2.35, 0.05),
)


# Partner A's flood activation over the lower Po valley (the demo's area), visible
# to every partner (not to anonymous callers).
ACTIVATION = {
    "aoi": DEMO_AREA,
    "type": "flood",
    "event_time": "2026-06-01T03:00:00Z",
    "access": "consortium",
    "horizon_hours": 24,
    "name": "Po valley flood",
}


@dataclass
class DashboardServer:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def headers(self, label: str) -> dict[str, str]:
        return {} if label == "anonymous" else {"Authorization": f"Bearer {self.keys[label]}"}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


def seed_registry(database_url: str) -> dict[str, str]:
    """The bundled consortium in the registry, and keys: label -> key."""
    from spacepool.consortium import load_consortium
    from spacepool.store import Store
    from spacepool.store.keys import create_api_key
    from spacepool.store.registry import load_consortium_into

    now = datetime.now(UTC)
    store = Store(database_url)
    try:
        load_consortium_into(store, load_consortium(), now=now)
        with store.transaction() as session:
            keys = {
                label: create_api_key(session, partner_id=label, admin=False, now=now).key
                for label in (PARTNER_A, PARTNER_B)
            }
            keys["admin"] = create_api_key(session, partner_id=None, admin=True, now=now).key
    finally:
        store.close()
    return keys


def start(database_url: str, log: Path, env: dict[str, str] | None = None) -> DashboardServer:
    """``spacepool serve`` on a free loopback port; waits until it answers."""
    process, port = launch_serve(database_url, log, env)
    return DashboardServer(process, port, log)


def _check(response: httpx.Response) -> Any:
    if response.status_code >= 300:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.text}")
    return response.json()


def seed_over_http(server: DashboardServer) -> None:
    """The collection, the items, the requests and the plan, through the API (the
    activation: :func:`seed_activation`)."""
    now = datetime.now(UTC)
    with httpx.Client(base_url=server.base, timeout=60.0) as client:
        _check(
            client.post(
                "/stac/collections",
                json=collection_doc(COLLECTION),
                headers=server.headers("admin"),
            )
        )
        for n, seed in enumerate(SEEDS):
            document = item_doc(
                seed.id,
                lon=seed.lon,
                lat=seed.lat,
                size_deg=0.8,
                when=now - timedelta(days=2 + n),
                access=seed.access,
                embargo_until=now + timedelta(days=30) if seed.embargoed else None,
                platform="sentinel-2a" if seed.owner == PARTNER_A else "landsat-9",
            )
            _check(
                client.post(
                    f"/stac/collections/{COLLECTION}/items",
                    json=document,
                    headers=server.headers(seed.owner),
                )
            )
        for owner, request_id, lat, lon, resolution_m in REQUESTS:
            body = {
                "id": request_id,
                "target": {"lat": lat, "lon": lon},
                "window": {"start": PLAN_WINDOW[0], "end": PLAN_WINDOW[1]},
                "requirements": {"kinds": ["optical", "sar"], "max_resolution_m": resolution_m},
                "value": 5,
                "urgency": "routine",
            }
            _check(client.post("/requests", json=body, headers=server.headers(owner)))
        plan = {
            "id": PLAN_ID,
            "start": PLAN_WINDOW[0],
            "end": PLAN_WINDOW[1],
            "time_limit_s": 1,
            "fairness": "proportional",
            "agreement": "eo-pool",
        }
        _check(client.post("/plans", json=plan, headers=server.headers("admin")))


def seed_activation(server: DashboardServer) -> str:
    """Partner A's activation, and one of its planned acquisitions reported as made (a
    product with its footprint). Seconds of work for the server: the browser tests run
    it in a thread while the pages that do not need it are tested."""
    with httpx.Client(base_url=server.base, timeout=120.0) as client:
        activation = _check(
            client.post("/activations", json=ACTIVATION, headers=server.headers(PARTNER_A))
        )
        activation_id: str = activation["id"]
        plan_url = f"/activations/{activation_id}/plan"
        made = _check(client.get(plan_url, headers=server.headers(PARTNER_A)))["acquisitions"][0]
        report = {k: made[k] for k in ("satellite", "instrument", "start", "end", "request")}
        _check(
            client.post(
                f"/activations/{activation_id}/acquisitions",
                json={**report, "plan_acquisition": made["candidate"]},
                headers=server.headers("admin"),
            )
        )
    return activation_id
