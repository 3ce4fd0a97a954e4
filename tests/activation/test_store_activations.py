"""Activations in the database, on SQLite and PostgreSQL: events and their outbox
entries are written together or not at all; visibility follows the access policy;
products publish once; the archive lookup finds earlier images over the area."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from activation_factory import SQUARE, consortium, planned
from sqlalchemy import func, select

from spacepool.activation.execution import make_product, simulate
from spacepool.activation.model import AccessSpec
from spacepool.activation.workflow import ActivationPlan
from spacepool.catalog.access import Viewer
from spacepool.catalog.items import parse_item
from spacepool.errors import NotFoundError
from spacepool.store import Store
from spacepool.store.activation_models import (
    ActivationEvent,
    ActivationProduct,
    ActivationRecord,
    OutboxEntry,
)
from spacepool.store.activations import (
    due_notifications,
    event_document,
    find_archive,
    get_activation,
    list_activations,
    list_events,
    may_view,
    outbox_counts,
    products_of,
    publish_product,
    save_activation,
)
from spacepool.store.collections import create_collection
from spacepool.store.items import create_item, get_item
from spacepool.store.partners import add_partner

NOW = datetime(2026, 6, 2, tzinfo=UTC)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url)
    with store.transaction() as session:
        for partner in consortium().partners:
            add_partner(session, partner.id, partner.name, now=NOW)
    yield store
    store.close()


def copy(
    result: ActivationPlan, ident: str, partner: str | None, access: AccessSpec
) -> ActivationPlan:
    activation = replace(result.activation, id=ident, partner=partner, access=access)
    return replace(result, activation=activation)


def count(store: Store, table: type) -> int:
    with store.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_saving_writes_the_record_three_events_and_their_outbox_entries(store: Store) -> None:
    result = planned(12.0)
    with store.transaction() as session:
        save_activation(session, result, now=NOW)
    with store.transaction() as session:
        record = get_activation(session, Viewer.admin(), NOW, result.activation.id)
        events, total = list_events(session, record, limit=10, offset=0)
        documents = [event_document(e) for e in events]
        due = due_notifications(session, NOW, limit=10)
    assert record.state == "planned" and record.owner_id == "asi"
    assert total == 3
    assert [(e["seq"], e["kind"]) for e in documents] == [
        (1, "received"),
        (2, "validated"),
        (3, "planned"),
    ]
    assert documents[0]["at"] == "2026-06-01T03:00:00.000Z"
    assert documents[2]["data"]["acquisitions"] == len(result.plan.acquisitions)
    assert [n.payload for n in due] == documents


def test_a_failure_inside_the_transaction_writes_neither_event_nor_outbox(store: Store) -> None:
    result = planned(12.0)
    with pytest.raises(RuntimeError, match="crash"), store.transaction() as session:
        save_activation(session, result, now=NOW)
        raise RuntimeError("crash before commit")
    assert [count(store, t) for t in (ActivationRecord, ActivationEvent, OutboxEntry)] == [0, 0, 0]


OWNERS = [None, "esa", "nasa"]
POLICIES = ["open", "consortium", "owner", "partners"]
EMBARGOES = [None, NOW - timedelta(hours=1), NOW + timedelta(hours=1)]
VIEWERS = [
    Viewer.anonymous(),
    Viewer.admin(),
    *(Viewer.partner(p) for p in ("esa", "nasa", "jaxa", "csa")),
]


def test_visibility_follows_the_policy_in_gets_lists_and_counts(store: Store) -> None:
    base = planned(12.0)
    saved = []
    for n, (owner, policy, embargo) in enumerate(itertools.product(OWNERS, POLICIES, EMBARGOES)):
        shared = ("jaxa",) if policy == "partners" else ()
        result = copy(base, f"act-{n:02d}", owner, AccessSpec(policy, shared, embargo))
        saved.append(result.activation)
        with store.transaction() as session:
            save_activation(session, result, now=NOW)
    for viewer in VIEWERS:
        expected = {a.id for a in saved if may_view(viewer, a, NOW)}
        seen: list[str] = []
        with store.transaction() as session:
            offset = 0
            while True:
                rows, total = list_activations(session, viewer, NOW, limit=5, offset=offset)
                assert total == len(expected), viewer
                seen.extend(r.id for r in rows)
                if len(rows) < 5:
                    break
                offset += 5
            for activation in saved:
                if activation.id in expected:
                    assert get_activation(session, viewer, NOW, activation.id).id == activation.id
                else:
                    with pytest.raises(
                        NotFoundError, match=f"activation '{activation.id}' not found"
                    ):
                        get_activation(session, viewer, NOW, activation.id)
        assert sorted(seen) == sorted(expected), viewer.label
    # Spot checks of the rule itself.
    by_id = {a.id: a for a in saved}
    nasa_owner_plain = next(
        a
        for a in saved
        if a.partner == "nasa" and a.access.policy == "owner" and not a.access.embargo_until
    )
    assert may_view(Viewer.partner("nasa"), nasa_owner_plain, NOW)
    assert not may_view(Viewer.partner("esa"), nasa_owner_plain, NOW)
    assert may_view(Viewer.anonymous(), by_id["act-00"], NOW)  # open: everyone


def test_publishing_is_idempotent_and_completes_the_activation(store: Store) -> None:
    result = planned(12.0)
    products = [make_product(r, result.activation, consortium()) for r in simulate(result)]
    with store.transaction() as session:
        record = save_activation(session, result, now=NOW)
        for product in products:
            assert publish_product(session, record, product, now=NOW).created
        assert not publish_product(session, record, products[0], now=NOW).created
    with store.transaction() as session:
        record = get_activation(session, Viewer.admin(), NOW, result.activation.id)
        events, _ = list_events(session, record, limit=100, offset=0)
        stored = products_of(session, record)
        item = get_item(session, Viewer.partner("asi"), NOW, "activations", products[0].id)
    assert record.state == "completed"
    kinds = [e.kind for e in events]
    assert kinds == ["received", "validated", "planned"] + [
        "acquisition_reported",
        "product_published",
    ] * len(products) + ["completed"]
    assert stored == products
    assert item.access.owner == products[0].owner
    assert record.document["chain"]["first_product_published"] is not None
    assert count(store, ActivationProduct) == len(products)
    assert outbox_counts_of(store) == {"pending": len(kinds), "delivered": 0}


def outbox_counts_of(store: Store) -> dict[str, int]:
    with store.transaction() as session:
        return outbox_counts(session)


def test_archive_lookup_finds_earlier_images_over_the_area(store: Store) -> None:
    result = planned(12.0)
    event = result.activation.event_time
    area = result.activation.area
    with store.transaction() as session:
        create_collection(
            session,
            {"type": "Collection", "stac_version": "1.0.0", "id": "eo", "description": "eo",
             "license": "CC-BY-4.0", "links": [],
             "extent": {"spatial": {"bbox": [[-180, -90, 180, 90]]},
                        "temporal": {"interval": [["2020-01-01T00:00:00Z", None]]}}},
            now=NOW,
        )  # fmt: skip
        for ident, when, platform, instruments, geometry in [
            ("s1-before", event - timedelta(days=10), "Sentinel-1A", ["C-SAR"], area),
            ("s2-after", event + timedelta(hours=1), "Sentinel-2A", ["msi"], area),
            ("unknown-platform", event - timedelta(days=3), "Unknown-1", ["cam"], area),
            ("elsewhere", event - timedelta(days=2), "Sentinel-2A", ["msi"],
             {"type": "Polygon", "coordinates": [[[x - 20.0, y] for x, y in SQUARE]]}),
        ]:  # fmt: skip
            item = {
                "type": "Feature", "stac_version": "1.0.0", "id": ident, "geometry": geometry,
                "properties": {"datetime": when.isoformat().replace("+00:00", "Z"),
                               "platform": platform, "instruments": instruments,
                               "spacepool:access": "open"},
                "assets": {}, "links": [],
            }  # fmt: skip
            create_item(session, parse_item(item, collection="eo"), Viewer.partner("esa"), now=NOW)
    with store.transaction() as session:
        found = find_archive(session, result.activation, Viewer.partner("asi"), NOW, consortium())
    assert [(a.item_id, a.kind, a.platform, a.instrument) for a in found] == [
        ("s1-before", "sar", "Sentinel-1A", "C-SAR")
    ]
    assert found[0].covered_fraction == pytest.approx(1.0, abs=1e-6)
