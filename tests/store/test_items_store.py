"""Item writes: ownership from the key, idempotent re-posts, conflicts, rollback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from datastore_factory import NOW, collection_doc, item_doc
from spacepool.catalog.access import Viewer
from spacepool.catalog.items import parse_item
from spacepool.errors import (
    AuthenticationError,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    UnknownNameError,
)
from spacepool.store import Store
from spacepool.store.audit import list_reads, record_reads
from spacepool.store.collections import create_collection, delete_collection
from spacepool.store.items import create_item, delete_item, get_item, update_item
from spacepool.store.keys import authenticate, create_api_key
from spacepool.store.models import ApiKey, AuditRead, Item, ItemShare
from spacepool.store.partners import add_partner

ESA = Viewer.partner("esa")
NASA = Viewer.partner("nasa")


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url)
    with store.transaction() as session:
        add_partner(session, "esa", "European Space Agency", now=NOW)
        add_partner(session, "nasa", "NASA", now=NOW)
        create_collection(session, collection_doc("eo"), now=NOW)
    yield store
    store.close()


def _new(doc: dict, collection: str = "eo"):
    return parse_item(doc, collection=collection)


def _count(store: Store, table: type) -> int:
    with store.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_owner_comes_from_the_key_and_a_different_claim_is_refused(store: Store) -> None:
    with store.transaction() as session:
        item, created = create_item(session, _new(item_doc("a", access="owner")), ESA, now=NOW)
    assert created and item.access.owner == "esa"
    with pytest.raises(PermissionDeniedError) as info, store.transaction() as session:
        create_item(session, _new(item_doc("b", owner="nasa")), ESA, now=NOW)
    assert str(info.value) == (
        "item.properties.spacepool:owner: items you write belong to 'esa' (from your API "
        "key); got 'nasa'"
    )


def test_reposting_the_same_item_is_idempotent_and_different_content_conflicts(
    store: Store,
) -> None:
    doc = item_doc("a", access="consortium")
    with store.transaction() as session:
        create_item(session, _new(doc), ESA, now=NOW)
    with store.transaction() as session:
        _, created = create_item(session, _new(doc), ESA, now=NOW)
    assert not created
    with pytest.raises(ConflictError) as info, store.transaction() as session:
        create_item(session, _new(item_doc("a", access="open")), ESA, now=NOW)
    assert str(info.value) == (
        "item eo/a exists already with different content; use PUT on your own item to replace it"
    )
    with pytest.raises(ConflictError), store.transaction() as session:
        create_item(session, _new(doc), NASA, now=NOW)  # same body, another owner
    assert _count(store, Item) == 1


def test_a_failed_write_leaves_the_database_unchanged(store: Store) -> None:
    with store.transaction() as session:
        create_item(session, _new(item_doc("keep")), ESA, now=NOW)
    with pytest.raises(UnknownNameError), store.transaction() as session:
        create_item(session, _new(item_doc("x1")), ESA, now=NOW)  # succeeds, then...
        create_item(
            session,
            _new(item_doc("x2", access="partners", shared_with=["nobody"])),
            ESA,
            now=NOW,
        )
    assert _count(store, Item) == 1
    assert _count(store, ItemShare) == 0


def test_partners_change_only_their_own_items(store: Store) -> None:
    with store.transaction() as session:
        create_item(session, _new(item_doc("open", access="open")), ESA, now=NOW)
        create_item(session, _new(item_doc("closed", access="owner")), ESA, now=NOW)
    # visible but someone else's: 403; hidden: 404 (its existence does not leak)
    with pytest.raises(PermissionDeniedError), store.transaction() as session:
        update_item(session, _new(item_doc("open", access="owner")), NASA, now=NOW)
    with pytest.raises(NotFoundError) as info, store.transaction() as session:
        delete_item(session, NASA, NOW, "eo", "closed")
    assert str(info.value) == "item 'eo/closed' not found"
    with store.transaction() as session:
        updated = update_item(session, _new(item_doc("open", access="consortium")), ESA, now=NOW)
        delete_item(session, ESA, NOW, "eo", "closed")
    assert updated.access.policy.value == "consortium" and updated.access.owner == "esa"
    assert _count(store, Item) == 1


def test_the_coordinator_writes_for_a_named_partner(store: Store) -> None:
    admin = Viewer.admin()
    with pytest.raises(InputError), store.transaction() as session:
        create_item(session, _new(item_doc("a")), admin, now=NOW)
    with store.transaction() as session:
        item, _ = create_item(session, _new(item_doc("a", owner="nasa")), admin, now=NOW)
    assert item.access.owner == "nasa"


def test_collections_with_items_cannot_be_deleted(store: Store) -> None:
    with store.transaction() as session:
        create_item(session, _new(item_doc("a")), ESA, now=NOW)
    with pytest.raises(ConflictError), store.transaction() as session:
        delete_collection(session, "eo")
    with pytest.raises(NotFoundError), store.transaction() as session:
        get_item(session, ESA, NOW, "nope", "a")


def test_api_keys_are_stored_only_as_digests(store: Store) -> None:
    with store.transaction() as session:
        key = create_api_key(session, partner_id="esa", admin=False, now=NOW)
        admin_key = create_api_key(session, partner_id=None, admin=True, now=NOW)
    with store.transaction() as session:
        stored = [
            " ".join(str(v) for v in row)
            for row in session.execute(select(*ApiKey.__table__.columns))
        ]
        assert authenticate(session, key.key) == Viewer.partner("esa", key_id=key.id)
        assert authenticate(session, admin_key.key) == Viewer.admin(key_id=admin_key.id)
    secrets = [key.key.split("_", 2)[2], admin_key.key.split("_", 2)[2]]
    assert not any(secret in row for secret in secrets for row in stored)


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "empty"),
        ("Bearer", "no key"),
        ("sp_1234", "too few parts"),
        ("sp_12345678_notarealsecret", "well formed but unknown"),
        ("xx_12345678_notarealsecret", "wrong scheme prefix"),
    ],
)
def test_bad_keys_are_refused(store: Store, key: str, reason: str) -> None:
    with pytest.raises(AuthenticationError), store.transaction() as session:
        authenticate(session, key)


def test_reads_of_non_public_items_are_audited_for_their_owner(store: Store) -> None:
    with store.transaction() as session:
        create_item(session, _new(item_doc("c", access="consortium")), ESA, now=NOW)
        create_item(session, _new(item_doc("o", access="open")), ESA, now=NOW)
    with store.transaction() as session:
        items = [get_item(session, NASA, NOW, "eo", "c"), get_item(session, NASA, NOW, "eo", "o")]
        items.append(get_item(session, ESA, NOW, "eo", "c"))  # the owner's own read
        assert record_reads(session, NASA, items[:2], now=NOW, endpoint="item") == 1
        assert record_reads(session, ESA, items[2:], now=NOW, endpoint="item") == 0
    with store.transaction() as session:
        esa_reads = [r.to_dict() for r in list_reads(session, ESA, limit=10)]
        nasa_reads = list_reads(session, NASA, limit=10)
    assert esa_reads == [
        {
            "at": "2026-01-01T00:00:00Z",
            "viewer": "nasa",
            "owner": "esa",
            "collection": "eo",
            "item_id": "c",
            "endpoint": "item",
        }
    ]
    assert nasa_reads == []


def test_the_reads_of_one_page_are_logged_each_with_the_key_and_endpoint(store: Store) -> None:
    # One statement for the page on PostgreSQL (arrays of the item fields), one
    # parameter set per record on SQLite: the same records either way.
    with store.transaction() as session:
        for n, access in enumerate(["consortium", "owner", "open", "consortium", "consortium"]):
            create_item(session, _new(item_doc(f"i{n}", access=access)), ESA, now=NOW)
    admin = Viewer.admin(key_id=7)
    reader = Viewer.partner("nasa", key_id=3)
    with store.transaction() as session:
        items = [get_item(session, admin, NOW, "eo", f"i{n}") for n in range(5)]
        assert record_reads(session, reader, items, now=NOW, endpoint="search") == 4
        assert record_reads(session, admin, items[1:2], now=NOW, endpoint="item") == 1
        assert record_reads(session, reader, [], now=NOW, endpoint="search") == 0
    with store.transaction() as session:
        rows = session.execute(
            select(
                AuditRead.viewer, AuditRead.api_key_id, AuditRead.item_id, AuditRead.endpoint
            ).order_by(AuditRead.id)
        ).all()
        reads = list_reads(session, ESA, limit=10)
    assert [tuple(row) for row in rows] == [
        ("nasa", 3, "i0", "search"),
        ("nasa", 3, "i1", "search"),
        ("nasa", 3, "i3", "search"),
        ("nasa", 3, "i4", "search"),
        (admin.label, 7, "i1", "item"),
    ]
    assert {read.at for read in reads} == {NOW} and len(reads) == 5
