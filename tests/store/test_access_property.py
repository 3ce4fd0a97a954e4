"""The SQL access filter agrees with the pure predicate on random catalogues.

Hypothesis draws item sets (owner, policy, named partners, embargo around "now",
time and place) and a viewer, then pages through ``search_items`` with and without
filters. Every item returned must be visible by ``can_view`` (no leak), every
visible matching item must come back exactly once (no over-blocking), and the count
must equal the number of visible matches.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from datastore_factory import NOW, collection_doc, item_doc
from spacepool.catalog.access import AccessPolicy, ItemAccess, Viewer, can_view
from spacepool.catalog.items import parse_item
from spacepool.errors import NotFoundError
from spacepool.store import Store
from spacepool.store.collections import create_collection
from spacepool.store.items import create_item, get_item
from spacepool.store.models import Item
from spacepool.store.partners import add_partner
from spacepool.store.search import ItemQuery, count_items, search_items

PARTNERS = ["p0", "p1", "p2", "p3"]
COLLECTIONS = ["c0", "c1"]


@pytest.fixture(scope="module")
def store(module_database_url: str) -> Iterator[Store]:
    store = Store(module_database_url)
    with store.transaction() as session:
        for partner in PARTNERS:
            add_partner(session, partner, partner.upper(), now=NOW)
        for collection in COLLECTIONS:
            create_collection(session, collection_doc(collection), now=NOW)
    yield store
    store.close()


item_specs = st.fixed_dictionaries(
    {
        "owner": st.sampled_from(PARTNERS[:3]),
        "policy": st.sampled_from(list(AccessPolicy)),
        "shared": st.frozensets(st.sampled_from(PARTNERS), max_size=3),
        # Hours from "now"; 0 puts the embargo end exactly at now (public from then).
        "embargo_h": st.none() | st.integers(-2, 2),
        "day": st.integers(0, 5),
        "lon": st.integers(-3, 3),
        "lat": st.integers(-3, 3),
        "collection": st.sampled_from(COLLECTIONS),
    }
)
viewers = st.sampled_from(
    [Viewer.anonymous(), Viewer.admin()] + [Viewer.partner(p) for p in PARTNERS]
)


def _load(store: Store, specs: list[dict]) -> dict[tuple[str, str], tuple[ItemAccess, dict]]:
    truth = {}
    with store.transaction() as session:
        session.execute(delete(Item))
        for n, spec in enumerate(specs):
            shared = spec["shared"] if spec["policy"] is AccessPolicy.PARTNERS else frozenset()
            embargo = (
                None if spec["embargo_h"] is None else NOW + timedelta(hours=spec["embargo_h"])
            )
            doc = item_doc(
                f"item-{n}",
                lon=spec["lon"],
                lat=spec["lat"],
                when=NOW - timedelta(days=spec["day"]),
                access=spec["policy"].value,
                shared_with=sorted(shared),
                embargo_until=embargo,
            )
            owner = Viewer.partner(spec["owner"])
            create_item(session, parse_item(doc, collection=spec["collection"]), owner, now=NOW)
            access = ItemAccess(spec["owner"], spec["policy"], frozenset(shared), embargo)
            truth[(spec["collection"], f"item-{n}")] = (access, spec)
    return truth


def _page_through(store: Store, viewer: Viewer, query: ItemQuery) -> tuple[list, set[int]]:
    seen: list[tuple[str, str]] = []
    counts: set[int] = set()
    after = None
    for _ in range(100):
        with store.transaction() as session:
            page = search_items(
                session,
                viewer,
                NOW,
                ItemQuery(**{**query.__dict__, "after": after}),
            )
        seen.extend((item.collection, item.id) for item in page.items)
        counts.add(page.number_matched)
        after = page.next
        if after is None:
            break
    return seen, counts


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=st.lists(item_specs, max_size=14),
    viewer=viewers,
    limit=st.integers(1, 5),
    box=st.none() | st.tuples(st.integers(-3, 3), st.integers(-3, 3), st.integers(0, 4)),
    window=st.none() | st.tuples(st.none() | st.integers(0, 5), st.none() | st.integers(0, 5)),
    only=st.none() | st.sampled_from(COLLECTIONS),
)
def test_search_returns_exactly_the_visible_matches(
    store: Store, specs, viewer, limit, box, window, only
) -> None:
    truth = _load(store, specs)
    area = None if box is None else shapely.box(box[0], box[1], box[0] + box[2], box[1] + box[2])
    start = end = None
    if window is not None and window != (None, None):
        # days ago -> interval bounds; an open end stays None
        end = None if window[0] is None else NOW - timedelta(days=window[0])
        start = None if window[1] is None else NOW - timedelta(days=window[1])
        if start is not None and end is not None and start > end:
            start, end = end, start
    query = ItemQuery(
        collections=None if only is None else (only,), area=area, start=start, end=end, limit=limit
    )

    def matches(key: tuple[str, str], spec: dict) -> bool:
        when = NOW - timedelta(days=spec["day"])
        return (
            (only is None or key[0] == only)
            and (area is None or area.intersects(shapely.Point(spec["lon"], spec["lat"])))
            and (start is None or when >= start)
            and (end is None or when <= end)
        )

    expected = {
        key
        for key, (access, spec) in truth.items()
        if can_view(viewer, access, NOW) and matches(key, spec)
    }
    seen, counts = _page_through(store, viewer, query)
    leaked = set(seen) - expected
    blocked = expected - set(seen)
    assert not leaked, f"{viewer.label} was shown items it may not see: {sorted(leaked)}"
    assert not blocked, f"{viewer.label} was refused items it may see: {sorted(blocked)}"
    assert len(seen) == len(set(seen)), "an item appeared on two pages"
    assert counts == {len(expected)}
    with store.transaction() as session:
        assert count_items(session, viewer, NOW, query) == len(expected)
        for key, (access, _spec) in truth.items():
            if can_view(viewer, access, NOW):
                assert get_item(session, viewer, NOW, *key).id == key[1]
            else:
                with pytest.raises(NotFoundError):
                    get_item(session, viewer, NOW, *key)
