"""Durability: SIGKILL the server during a bulk load through the Transactions API.

Loader threads POST items (one at a time, and FeatureCollections of several) to a
``spacepool serve`` process; once some have been acknowledged the process gets
SIGKILL with requests still in flight. After a restart on the same database every
acknowledged item must be there and complete (geometry, properties, assets and its
``partners`` shares), every FeatureCollection must be there whole or not at all,
and nothing that was never sent may exist. A request in flight at the kill may
have committed without its answer arriving: its items may be there, but whole.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from live_server import running_server, start_server
from sqlalchemy import func, select

from datastore_factory import collection_doc, item_doc
from spacepool.store import Store
from spacepool.store.collections import create_collection
from spacepool.store.keys import create_api_key
from spacepool.store.models import Item, ItemShare
from spacepool.store.partners import add_partner

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LOADERS = 3
BATCH = 5  # items per FeatureCollection
# Acknowledged requests to wait for before the kill; enough to be mid-load.
ACKS_BEFORE_KILL = 40
SHARED_WITH = ["jaxa", "nasa"]


@dataclass
class Ledger:
    """What the client sent and what the server acknowledged, per request."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: dict[str, list[str]] = field(default_factory=dict)  # request -> item ids
    acknowledged: set[str] = field(default_factory=set)  # request names
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # item id -> doc
    refused: list[str] = field(default_factory=list)  # 4xx/5xx answers: a bug here
    stop: threading.Event = field(default_factory=threading.Event)


def _document(item_id: str, n: int) -> dict[str, Any]:
    return item_doc(
        item_id,
        lon=-179.0 + (n * 0.37) % 358.0,
        lat=-80.0 + (n * 0.23) % 160.0,
        size_deg=0.5,
        when=NOW - timedelta(minutes=n),
        access="partners",
        shared_with=SHARED_WITH,
        embargo_until=NOW + timedelta(days=30 + n % 7),
        platform="sentinel-2a",
        instruments=["msi"],
        **{"eo:cloud_cover": n % 100},
    ) | {"assets": {"data": {"href": f"https://example.org/{item_id}.tif", "roles": ["data"]}}}


def _load(base: str, key: str, worker: int, ledger: Ledger) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    url = f"{base}/stac/collections/eo/items"
    with httpx.Client(timeout=10.0) as client:
        for n in range(100_000):
            if ledger.stop.is_set():
                return
            name = f"w{worker}-r{n}"
            size = BATCH if n % 2 else 1
            documents = [
                _document(f"{name}-{k}", worker * 1000 + n * BATCH + k) for k in range(size)
            ]
            body: dict[str, Any] = (
                documents[0] if size == 1 else {"type": "FeatureCollection", "features": documents}
            )
            with ledger.lock:
                ledger.sent[name] = [d["id"] for d in documents]
                ledger.documents.update({d["id"]: d for d in documents})
            try:
                response = client.post(url, json=body, headers=headers)
            except httpx.TransportError:
                return  # the server is gone; this request's fate is unknown
            if response.status_code in (200, 201):
                with ledger.lock:
                    ledger.acknowledged.add(name)
            else:
                with ledger.lock:
                    ledger.refused.append(f"{name}: {response.status_code} {response.text}")


def _seed(database_url: str) -> str:
    store = Store(database_url)
    try:
        with store.transaction() as session:
            for partner in ["esa", *SHARED_WITH]:
                add_partner(session, partner, partner.upper(), now=NOW)
            create_collection(session, collection_doc("eo"), now=NOW)
            key = create_api_key(session, partner_id="esa", admin=False, now=NOW).key
    finally:
        store.close()
    return key


def _stored_ids(database_url: str) -> tuple[set[str], dict[str, int]]:
    """Item ids in the database and the number of share rows of each."""
    store = Store(database_url, migrate=False)
    try:
        with store.transaction() as session:
            ids = set(session.scalars(select(Item.item_id)))
            shares = dict(
                session.execute(
                    select(Item.item_id, func.count(ItemShare.partner_id))
                    .join(ItemShare, ItemShare.item_pk == Item.pk, isouter=True)
                    .group_by(Item.item_id)
                ).all()
            )
            orphans = session.scalar(
                select(func.count())
                .select_from(ItemShare)
                .where(~ItemShare.item_pk.in_(select(Item.pk)))
            )
            assert orphans == 0, "share rows without their item"
    finally:
        store.close()
    return ids, {item_id: int(count) for item_id, count in shares.items()}


def test_sigkill_during_a_bulk_load_keeps_every_acknowledged_item_whole(
    database_url: str, tmp_path: Path
) -> None:
    key = _seed(database_url)
    ledger = Ledger()
    log = tmp_path / "server.log"
    server = start_server(database_url, log)
    loaders = [
        threading.Thread(target=_load, args=(server.base, key, w, ledger), daemon=True)
        for w in range(LOADERS)
    ]
    for thread in loaders:
        thread.start()
    deadline = time.monotonic() + 60.0
    while len(ledger.acknowledged) < ACKS_BEFORE_KILL and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill()
    ledger.stop.set()
    for thread in loaders:
        thread.join(timeout=30)

    assert ledger.refused == []
    assert len(ledger.acknowledged) >= ACKS_BEFORE_KILL, "the load did not get going"
    unanswered = set(ledger.sent) - ledger.acknowledged
    assert unanswered, "no request was in flight at the kill: the test proves nothing"

    stored, shares = _stored_ids(database_url)
    sent_ids = {i for ids in ledger.sent.values() for i in ids}
    assert stored <= sent_ids, f"items that were never sent: {sorted(stored - sent_ids)[:5]}"
    for name, ids in ledger.sent.items():
        present = set(ids) & stored
        if name in ledger.acknowledged:
            assert present == set(ids), f"acknowledged {name} lost {sorted(set(ids) - present)}"
        else:
            assert present in (set(), set(ids)), f"{name} is partly stored: {sorted(present)}"
    assert all(shares[i] == len(SHARED_WITH) for i in stored), "an item lost its shares"

    # Restarted, the server serves each stored item exactly as it was posted.
    with running_server(database_url, log) as restarted, httpx.Client(timeout=10.0) as client:
        for item_id in sorted(stored):
            response = client.get(
                f"{restarted.base}/stac/collections/eo/items/{item_id}",
                headers={"Authorization": f"Bearer {key}"},
            )
            assert response.status_code == 200, (item_id, response.text)
            served = response.json()
            posted = ledger.documents[item_id]
            assert served["geometry"] == posted["geometry"], item_id
            assert served["assets"] == posted["assets"], item_id
            assert served["properties"] == posted["properties"] | {"spacepool:owner": "esa"}
        count = client.get(
            f"{restarted.base}/stac/search?limit=1", headers={"Authorization": f"Bearer {key}"}
        ).json()["numberMatched"]
        assert count == len(stored)
