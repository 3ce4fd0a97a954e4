"""create_items, the bulk path: the answers of create_item, item by item, in one go."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from datastore_factory import NOW, collection_doc, item_doc
from spacepool.catalog.access import Viewer
from spacepool.catalog.items import item_document, parse_item
from spacepool.errors import ConflictError, PermissionDeniedError, UnknownNameError
from spacepool.store import Store
from spacepool.store.collections import create_collection
from spacepool.store.items import create_items, get_item
from spacepool.store.models import Item, ItemShare
from spacepool.store.partners import add_partner

ESA = Viewer.partner("esa")


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url)
    with store.transaction() as session:
        for partner in ("esa", "nasa", "jaxa"):
            add_partner(session, partner, partner.upper(), now=NOW)
        create_collection(session, collection_doc("eo"), now=NOW)
    yield store
    store.close()


def _new(item_id: str, **kwargs: object):  # type: ignore[no-untyped-def]
    return parse_item(item_doc(item_id, **kwargs), collection="eo")  # type: ignore[arg-type]


def _counts(store: Store) -> tuple[int, int]:
    with store.transaction() as session:
        items = session.scalar(select(func.count()).select_from(Item))
        shares = session.scalar(select(func.count()).select_from(ItemShare))
    return int(items or 0), int(shares or 0)


def test_bulk_insert_stores_items_with_their_shares_and_a_repost_changes_nothing(
    store: Store,
) -> None:
    batch = [
        _new("a", access="partners", shared_with=["nasa", "jaxa"], lon=1.0),
        _new("b", access="open", lon=2.0),
        _new("c", access="owner", lon=3.0),
    ]
    with store.transaction() as session:
        results = create_items(session, batch, ESA, now=NOW)
    assert [(stored.id, created) for stored, created in results] == [
        ("a", True),
        ("b", True),
        ("c", True),
    ]
    assert _counts(store) == (3, 2)
    with store.transaction() as session:
        stored = get_item(session, Viewer.partner("jaxa"), NOW, "eo", "a")
        assert stored.access.shared_with == frozenset({"nasa", "jaxa"})
        assert item_document(stored) == item_document(results[0][0])
        again = create_items(session, [batch[1], batch[0]], ESA, now=NOW)
    assert [(stored.id, created) for stored, created in again] == [("b", False), ("a", False)]
    assert _counts(store) == (3, 2)


def test_an_id_twice_in_one_batch_is_a_repost_when_identical_and_a_conflict_otherwise(
    store: Store,
) -> None:
    with store.transaction() as session:
        results = create_items(session, [_new("a"), _new("a")], ESA, now=NOW)
    assert [created for _, created in results] == [True, False]
    with pytest.raises(ConflictError) as caught, store.transaction() as session:
        create_items(session, [_new("x"), _new("x", lon=50.0)], ESA, now=NOW)
    assert str(caught.value) == (
        "item eo/x exists already with different content; use PUT on your own item to replace it"
    )
    assert _counts(store) == (1, 0)


# (reason, batch, viewer, error class) -- each refuses the whole batch
BAD_BATCHES = [
    ("a taken id with other content", lambda: [_new("n1"), _new("a", lon=9.0)], ESA, ConflictError),
    (
        "an unknown partner in shared_with",
        lambda: [_new("n1"), _new("n2", access="partners", shared_with=["isro"])],
        ESA,
        UnknownNameError,
    ),
    ("another owner claimed", lambda: [_new("n1", owner="nasa")], ESA, PermissionDeniedError),
    ("an anonymous writer", lambda: [_new("n1")], Viewer.anonymous(), PermissionDeniedError),
]


@pytest.mark.parametrize(
    ("reason", "batch", "viewer", "error"), BAD_BATCHES, ids=[b[0] for b in BAD_BATCHES]
)
def test_a_bad_item_refuses_the_whole_batch(
    store: Store,
    reason: str,
    batch,
    viewer: Viewer,
    error: type[Exception],  # type: ignore[no-untyped-def]
) -> None:
    with store.transaction() as session:
        create_items(session, [_new("a")], ESA, now=NOW)
    with pytest.raises(error), store.transaction() as session:
        create_items(session, batch(), viewer, now=NOW)
    assert _counts(store) == (1, 0), reason
