"""A real ``spacepool serve`` process on loopback, for the checks that talk HTTP to a
running server (stac-api-validator, pystac-client, the durability test)."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from datastore_factory import collection_doc, item_doc
from serve_support import launch_serve
from spacepool.catalog.access import AccessPolicy, ItemAccess, Viewer
from spacepool.catalog.items import parse_item
from spacepool.store import Store
from spacepool.store.collections import create_collection
from spacepool.store.items import create_item
from spacepool.store.keys import create_api_key
from spacepool.store.partners import add_partner


@dataclass
class LiveServer:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def root(self) -> str:
        """The STAC landing page URL."""
        return f"http://127.0.0.1:{self.port}/stac/"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, no rollback by the server itself."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def start_server(database_url: str, log: Path) -> LiveServer:
    """Start ``spacepool serve`` on a free loopback port over ``database_url`` and
    wait until it answers; output goes to ``log``."""
    process, port = launch_serve(database_url, log)
    return LiveServer(process, port, log)


@contextmanager
def running_server(database_url: str, log: Path) -> Iterator[LiveServer]:
    server = start_server(database_url, log)
    try:
        yield server
    finally:
        server.stop()


# --- a seeded catalogue --------------------------------------------------------------

SEED_PARTNERS = ["esa", "nasa", "jaxa", "csa"]  # csa owns nothing and is named nowhere
SEED_OWNERS = ["esa", "nasa", "jaxa"]
SEED_COLLECTIONS = ["eo", "sar"]


@dataclass(frozen=True)
class SeedItem:
    collection: str
    id: str
    access: ItemAccess
    geometry: dict[str, Any]
    when: datetime


@dataclass
class SeededCatalogue:
    keys: dict[str, str]  # viewer label -> API key ("admin" is the coordinator)
    items: list[SeedItem] = field(default_factory=list)

    def headers(self, label: str) -> dict[str, str]:
        return {} if label == "anonymous" else {"Authorization": f"Bearer {self.keys[label]}"}


def viewer_for(label: str) -> Viewer:
    if label == "anonymous":
        return Viewer.anonymous()
    if label == "admin":
        return Viewer.admin()
    return Viewer.partner(label)


def seed_catalogue(database_url: str, *, now: datetime) -> SeededCatalogue:
    """Partners, keys, two collections and one item for every (owner, policy,
    embargo) combination, embargoes ending a day before or a year after ``now``.
    Items are 1-degree squares spread over the globe, one day apart."""
    store = Store(database_url)
    try:
        with store.transaction() as session:
            keys: dict[str, str] = {}
            for partner in SEED_PARTNERS:
                add_partner(session, partner, partner.upper(), now=now)
                keys[partner] = create_api_key(
                    session, partner_id=partner, admin=False, now=now
                ).key
            keys["admin"] = create_api_key(session, partner_id=None, admin=True, now=now).key
            for collection in SEED_COLLECTIONS:
                create_collection(session, collection_doc(collection), now=now)
            catalogue = SeededCatalogue(keys)
            n = 0
            for owner_index, owner in enumerate(SEED_OWNERS):
                for policy in AccessPolicy:
                    for embargo in (None, now - timedelta(days=1), now + timedelta(days=365)):
                        shared = (
                            [SEED_OWNERS[(owner_index + 1) % 3]]
                            if policy is AccessPolicy.PARTNERS
                            else []
                        )
                        collection = SEED_COLLECTIONS[n % 2]
                        doc = item_doc(
                            f"{owner}-{policy.value}-{n}",
                            lon=-170.0 + 9.0 * n,
                            lat=-60.0 + 3.0 * n,
                            size_deg=1.0,
                            when=now - timedelta(days=40 - n),
                            access=policy.value,
                            shared_with=shared,
                            embargo_until=embargo,
                            platform="sentinel-2a",
                        )
                        create_item(
                            session,
                            parse_item(doc, collection=collection),
                            Viewer.partner(owner),
                            now=now,
                        )
                        catalogue.items.append(
                            SeedItem(
                                collection,
                                doc["id"],
                                ItemAccess(owner, policy, frozenset(shared), embargo),
                                doc["geometry"],
                                now - timedelta(days=40 - n),
                            )
                        )
                        n += 1
    finally:
        store.close()
    return catalogue
