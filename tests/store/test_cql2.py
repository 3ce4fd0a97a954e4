"""CQL2 filters translated to SQL (spacepool.store.cql2), on SQLite and PostgreSQL.

Every filter of the table runs against the same small item set; the ids it selects
are compared with a hand-computed set and, where the ``cql2`` package's own
evaluator (``Expr.matches``, an outside implementation of the CQL2 semantics) can
judge every item, with that too. Bad filters are refused with whole messages.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import cql2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from datastore_factory import NOW, collection_doc, item_doc
from spacepool.catalog.access import Viewer
from spacepool.catalog.items import item_document, parse_item
from spacepool.errors import FilterError
from spacepool.store import Store
from spacepool.store.collections import create_collection
from spacepool.store.cql2 import (
    CRS84,
    QUERYABLE_PROPERTIES,
    compile_filter,
    queryables_document,
)
from spacepool.store.items import create_items
from spacepool.store.models import Item
from spacepool.store.partners import add_partner
from spacepool.store.search import ItemQuery, search_items

ADMIN = Viewer.admin()


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# (collection, item document) of the item set; square footprints have size_deg > 0.
ITEMS: list[tuple[str, dict[str, Any]]] = [
    ("eo", item_doc("a1", lon=10.0, lat=45.0, when=_t("2025-06-01T10:00:00Z"), owner="esa",
                    platform="sentinel-2a", gsd=10, constellation="sentinel-2",
                    instruments=["msi"], **{"eo:cloud_cover": 5})),
    ("eo", item_doc("a2", lon=12.0, lat=44.0, size_deg=2.0, when=_t("2025-06-02T10:00:00Z"),
                    owner="esa", access="consortium", platform="sentinel-2b", gsd=10,
                    constellation="sentinel-2", instruments=["msi", "tirs"],
                    **{"eo:cloud_cover": 40})),
    ("eo", item_doc("a3", lon=-70.0, lat=-33.0, when=_t("2025-05-20T14:30:00Z"), owner="nasa",
                    platform="Landsat-9", gsd=30, instruments=["oli", "tirs"],
                    **{"eo:cloud_cover": 0})),
    ("sar", item_doc("a4", lon=139.0, lat=35.0, size_deg=1.0, when=_t("2025-06-01T00:00:00Z"),
                     owner="jaxa", platform="alos-2", gsd=3.0, instruments=["palsar-2"],
                     start_datetime="2025-06-01T00:00:00Z", end_datetime="2025-06-01T00:00:30Z",
                     **{"sar:instrument_mode": "SM"})),
    ("sar", item_doc("a5", lon=0.0, lat=0.0, when=_t("2025-07-01T06:00:00Z"), owner="esa",
                     access="partners", shared_with=["nasa"], platform="sentinel-1a", gsd=5,
                     flag=True, instruments=["c-sar"], **{"sar:instrument_mode": "IW"})),
    ("eo", item_doc("a6", lon=10.5, lat=45.5, when=_t("2024-12-31T23:59:59Z"), owner="nasa",
                    platform="PLEIADES", gsd=0.5, name="100% done_ok", instruments="hri",
                    **{"eo:cloud_cover": 12.5})),
    ("eo", item_doc("a7", lon=179.0, lat=-1.0, size_deg=0.9, when=_t("2025-01-01T00:00:00Z"),
                    owner="jaxa", access="owner", embargo_until=_t("2025-03-01T00:00:00Z"),
                    platform="sentinel-2a", gsd="ten", instruments=[],
                    **{"eo:cloud_cover": None})),
    ("eo", item_doc("a8", lon=2.0, lat=48.0, when=_t("2025-06-15T12:00:00Z"), owner="esa",
                    platform=5, flag=False, name="50% done", instruments=[5, "msi"])),
]  # fmt: skip
ALL = frozenset(doc["id"] for _, doc in ITEMS)

# (filter as CQL2 text, ids it selects, whether cql2's evaluator judges every item).
# The evaluator cannot judge an item that lacks a compared property (it raises), nor
# time ranges (it reads "datetime" only), nor the access columns.
CASES: list[tuple[str, set[str], bool]] = [
    ("platform = 'sentinel-2a'", {"a1", "a7"}, False),
    ("gsd = 10", {"a1", "a2"}, False),
    ("gsd <> 10", {"a3", "a4", "a5", "a6"}, False),  # a7's text, a8's absence: unknown
    ("gsd < 5", {"a4", "a6"}, False),
    ("gsd <= 5", {"a4", "a5", "a6"}, False),
    ("gsd > 5", {"a1", "a2", "a3"}, False),
    ("gsd >= 30", {"a3"}, False),
    ("5 < gsd", {"a1", "a2", "a3"}, False),
    ("eo:cloud_cover < 10", {"a1", "a3"}, False),
    ("eo:cloud_cover BETWEEN 5 AND 12.5", {"a1", "a6"}, False),
    ("gsd NOT BETWEEN 1 AND 10", {"a3", "a6"}, False),
    ("platform IN ('sentinel-2a', 'alos-2', 'nothing')", {"a1", "a4", "a7"}, False),
    ("platform NOT IN ('sentinel-2a', 'alos-2')", {"a2", "a3", "a5", "a6"}, False),
    ("platform IN (5)", {"a8"}, False),
    ("platform = 5", {"a8"}, False),
    ("platform > 'm'", {"a2", "a5", "a7", "a1"}, False),  # code-point order: 'L', 'P' < 'm'
    ("platform LIKE 'sentinel-2%'", {"a1", "a2", "a7"}, False),
    ("platform LIKE 'sentinel-_a'", {"a1", "a5", "a7"}, False),
    ("platform LIKE 'SENTINEL%'", set(), False),  # LIKE is case-sensitive
    ("platform LIKE 'Landsat%'", {"a3"}, False),
    ("name LIKE '100\\% done\\_ok'", {"a6"}, False),
    ("name LIKE '%\\%%'", {"a6", "a8"}, False),
    ("platform NOT LIKE 'sentinel%'", {"a3", "a4", "a6"}, False),
    ("flag = true", {"a5"}, False),
    ("flag = false", {"a8"}, False),
    ("flag <> true", {"a8"}, False),
    ("eo:cloud_cover IS NULL", {"a4", "a5", "a7", "a8"}, True),
    ("eo:cloud_cover IS NOT NULL", {"a1", "a2", "a3", "a6"}, True),
    ("constellation IS NULL AND gsd > 1", {"a3", "a4", "a5"}, False),
    ("id = 'a3'", {"a3"}, True),
    ("id IN ('a1', 'a2', 'zz')", {"a1", "a2"}, True),
    ("id > 'a6'", {"a7", "a8"}, True),
    ("collection = 'sar'", {"a4", "a5"}, True),
    ("collection = 'sar' OR gsd >= 30", {"a3", "a4", "a5"}, False),
    ("NOT (collection = 'eo')", {"a4", "a5"}, True),
    ("collection = 'eo' AND NOT (id = 'a1' OR id = 'a2')", {"a3", "a6", "a7", "a8"}, True),
    ("spacepool:owner = 'esa'", {"a1", "a2", "a5", "a8"}, True),
    ("spacepool:access = 'open'", {"a1", "a3", "a4", "a6", "a8"}, True),
    ("spacepool:access IN ('owner', 'partners')", {"a5", "a7"}, True),
    ("spacepool:embargo_until IS NULL", ALL - {"a7"}, False),
    ("spacepool:embargo_until < TIMESTAMP('2025-06-01T00:00:00Z')", {"a7"}, False),
    ("datetime > TIMESTAMP('2025-06-01T10:00:00Z')", {"a2", "a5", "a8"}, False),
    ("datetime >= TIMESTAMP('2025-06-01T10:00:00Z')", {"a1", "a2", "a5", "a8"}, False),
    ("datetime < DATE('2025-01-01')", {"a6"}, False),
    ("end_datetime = TIMESTAMP('2025-06-01T00:00:30Z')", {"a4"}, False),
    (
        "T_INTERSECTS(datetime, INTERVAL('2025-06-01T00:00:10Z', '2025-06-01T10:00:00Z'))",
        {"a1", "a4"},  # a4's range holds the start; a1 is the end
        False,
    ),
    ("T_INTERSECTS(datetime, INTERVAL('2025-06-02T00:00:00Z', '..'))", {"a2", "a5", "a8"}, True),
    ("T_INTERSECTS(datetime, INTERVAL('..', '2025-01-01T00:00:00Z'))", {"a6", "a7"}, True),
    ("T_INTERSECTS(datetime, DATE('2025-06-01'))", {"a1", "a4"}, False),
    ("T_INTERSECTS(datetime, TIMESTAMP('2025-06-01T00:00:15Z'))", {"a4"}, False),
    ("ANYINTERACTS(datetime, INTERVAL('2025-06-02', '2025-06-15'))", {"a2", "a8"}, False),
    ("T_BEFORE(datetime, TIMESTAMP('2025-01-01T00:00:00Z'))", {"a6"}, True),
    ("T_AFTER(datetime, TIMESTAMP('2025-06-02T10:00:00Z'))", {"a5", "a8"}, True),
    (
        "T_DURING(datetime, INTERVAL('2025-05-31T00:00:00Z', '2025-06-01T12:00:00Z'))",
        {"a1", "a4"},
        False,
    ),
    (
        "T_DISJOINT(datetime, INTERVAL('2025-01-01T00:00:00Z', '2025-06-30T00:00:00Z'))",
        {"a5", "a6"},
        True,
    ),
    ("T_EQUALS(datetime, TIMESTAMP('2025-06-01T10:00:00Z'))", {"a1"}, True),
    ("T_STARTS(datetime, INTERVAL('2025-06-01T00:00:00Z', '2025-06-02T00:00:00Z'))", {"a4"}, False),
    ("T_MEETS(datetime, INTERVAL('2025-06-01T00:00:30Z', '..'))", {"a4"}, False),
    (
        "T_CONTAINS(datetime, INTERVAL('2025-06-01T00:00:10Z', '2025-06-01T00:00:20Z'))",
        {"a4"},
        False,
    ),
    ("S_INTERSECTS(geometry, POLYGON((9 44, 11 44, 11 46, 9 46, 9 44)))", {"a1", "a6"}, True),
    ("S_INTERSECTS(geometry, BBOX(9, 43, 12.5, 46))", {"a1", "a2", "a6"}, True),
    # the triangle's envelope holds a6 (10.5, 45.5) but the triangle does not
    ("S_INTERSECTS(geometry, POLYGON((9 44, 11 44, 9 46, 9 44)))", {"a1"}, True),
    ("S_INTERSECTS(geometry, POINT(13 45))", {"a2"}, True),
    ("S_INTERSECTS(geometry, LINESTRING(139.5 30, 139.5 40))", {"a4"}, True),
    (
        "S_INTERSECTS(geometry, POLYGON((9 44, 11 44, 11 46, 9 46, 9 44))) AND gsd > 1",
        {"a1"},
        False,
    ),
    (
        "NOT S_INTERSECTS(geometry, POLYGON((9 44, 11 44, 11 46, 9 46, 9 44))) AND collection = 'eo'",
        {"a2", "a3", "a7", "a8"},
        True,
    ),
    ("S_DISJOINT(geometry, BBOX(-180, -90, 100, 90))", {"a4", "a7"}, True),
    ("S_WITHIN(geometry, BBOX(9, 43, 15, 47))", {"a1", "a2", "a6"}, True),
    ("S_CONTAINS(geometry, POINT(13 45))", {"a2"}, True),
    ("S_WITHIN(POINT(13 45), geometry)", {"a2"}, True),
    (
        "S_INTERSECTS(geometry, POINT(13 45)) OR S_INTERSECTS(geometry, BBOX(-71, -34, -69, -32))",
        {"a2", "a3"},
        True,
    ),
    (
        "collection = 'eo' AND NOT (S_INTERSECTS(geometry, POINT(13 45)) "
        "OR S_INTERSECTS(geometry, BBOX(-71, -34, -69, -32)))",
        {"a1", "a6", "a7", "a8"},
        True,
    ),
    (
        "S_INTERSECTS(geometry, BBOX(9, 43, 15, 47)) AND "
        "(S_DISJOINT(geometry, POINT(10 45)) OR S_INTERSECTS(geometry, BBOX(0, 0, 1, 1)))",
        {"a2", "a6"},
        True,
    ),
    ("A_CONTAINS(instruments, ('msi'))", {"a1", "a2", "a8"}, False),
    ("A_CONTAINS(instruments, ('msi', 'tirs'))", {"a2"}, False),
    ("A_CONTAINS(instruments, (5))", {"a8"}, False),
    ("A_CONTAINEDBY(instruments, ('msi', 'tirs'))", {"a1", "a2", "a7"}, False),
    ("A_OVERLAPS(instruments, ('tirs', 'c-sar'))", {"a2", "a3", "a5"}, False),
    ("A_EQUALS(instruments, ('tirs', 'msi'))", {"a2"}, False),
    # a6's instruments is a text, not an array: unknown, so neither way
    ("NOT A_OVERLAPS(instruments, ('msi'))", {"a3", "a4", "a5", "a7"}, False),
    ("true", set(ALL), True),
    ("false", set(), True),
]

# Hand-written CQL2 JSON, each the same filter as a text case above.
JSON_CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({"op": "<", "args": [{"property": "eo:cloud_cover"}, 10]}, {"a1", "a3"}),
    (
        {
            "op": "and",
            "args": [
                {"op": "=", "args": [{"property": "collection"}, "eo"]},
                {
                    "op": "not",
                    "args": [
                        {
                            "op": "or",
                            "args": [
                                {"op": "=", "args": [{"property": "id"}, "a1"]},
                                {"op": "=", "args": [{"property": "id"}, "a2"]},
                            ],
                        }
                    ],
                },
            ],
        },
        {"a3", "a6", "a7", "a8"},
    ),
    ({"op": "like", "args": [{"property": "platform"}, "sentinel-_a"]}, {"a1", "a5", "a7"}),
    ({"op": "between", "args": [{"property": "eo:cloud_cover"}, 5, 12.5]}, {"a1", "a6"}),
    # a lone backslash at the end stands for itself (PostgreSQL refuses it in LIKE)
    ({"op": "like", "args": [{"property": "name"}, "50% done\\"]}, set()),
    ({"op": "like", "args": [{"property": "name"}, "%done\\_ok"]}, {"a6"}),
    # the form of CQL2 drafts before 1.0 (stac-api-validator sends it)
    ({"op": "between", "args": [{"property": "eo:cloud_cover"}, [5, 12.5]]}, {"a1", "a6"}),
    ({"op": "in", "args": [{"property": "id"}, ["a1", "a2", "zz"]]}, {"a1", "a2"}),
    ({"op": "isNull", "args": [{"property": "eo:cloud_cover"}]}, {"a4", "a5", "a7", "a8"}),
    (
        {
            "op": "s_intersects",
            "args": [
                {"property": "geometry"},
                {"type": "Polygon", "coordinates": [[[9, 44], [11, 44], [9, 46], [9, 44]]]},
            ],
        },
        {"a1"},
    ),
    (
        {
            "op": "t_intersects",
            "args": [{"property": "datetime"}, {"interval": ["2025-06-02T00:00:00Z", ".."]}],
        },
        {"a2", "a5", "a8"},
    ),
    (
        {"op": ">", "args": [{"property": "datetime"}, {"timestamp": "2025-06-01T10:00:00Z"}]},
        {"a2", "a5", "a8"},
    ),
]


@pytest.fixture(scope="module")
def store(module_database_url: str) -> Iterator[Store]:
    store = Store(module_database_url)
    with store.transaction() as session:
        for partner in ("esa", "nasa", "jaxa"):
            add_partner(session, partner, partner.upper(), now=NOW)
        for collection in ("eo", "sar"):
            create_collection(session, collection_doc(collection), now=NOW)
        news = [parse_item(doc, collection=collection) for collection, doc in ITEMS]
        for new in news:
            create_items(session, [new], Viewer.partner(new.owner_claim or "esa"), now=NOW)
    yield store
    store.close()


def _selected(store: Store, filter_value: object, lang: str | None = None) -> set[str]:
    """The ids the compiled filter selects: its SQL condition, then its exact
    spatial tests, as the search does."""
    compiled = compile_filter(filter_value, lang)
    with store.transaction(read_only=True) as session:
        rows = list(session.execute(select(Item.item_id, Item.geometry).where(compiled.where)))
    keep = compiled.matches_geometry([row.geometry for row in rows])
    return {row.item_id for row, ok in zip(rows, keep, strict=True) if ok}


def _documents(store: Store) -> list[dict[str, Any]]:
    with store.transaction(read_only=True) as session:
        page = search_items(session, ADMIN, NOW, ItemQuery(limit=100))
    return [item_document(item) for item in page.items]


@pytest.mark.parametrize(("text", "expected", "reference"), CASES, ids=[case[0] for case in CASES])
def test_text_filter_selects_the_expected_items(
    store: Store, text: str, expected: set[str], reference: bool
) -> None:
    assert _selected(store, text) == expected
    if reference:
        expression = cql2.parse_text(text)
        matched = {doc["id"] for doc in _documents(store) if expression.matches(doc)}
        assert matched == expected


@pytest.mark.parametrize(
    ("text", "expected", "reference"), CASES[:40], ids=[c[0] for c in CASES[:40]]
)
def test_the_same_filter_as_cql2_json_selects_the_same_items(
    store: Store, text: str, expected: set[str], reference: bool
) -> None:
    document = cql2.parse_text(text).to_json()
    assert _selected(store, document, "cql2-json") == expected
    assert _selected(store, json.dumps(document), "cql2-json") == expected


@pytest.mark.parametrize(
    ("document", "expected"), JSON_CASES, ids=[json.dumps(c[0])[:60] for c in JSON_CASES]
)
def test_hand_written_cql2_json_selects_the_expected_items(
    store: Store, document: dict[str, Any], expected: set[str]
) -> None:
    assert _selected(store, document, "cql2-json") == expected


def test_filter_combines_with_the_search_parameters(store: Store) -> None:
    with store.transaction(read_only=True) as session:
        page = search_items(session, ADMIN, NOW, ItemQuery(limit=100, collections=("eo",)))
    assert {item.id for item in page.items} & _selected(store, "gsd > 5") == {"a1", "a2", "a3"}


# (filter, filter-lang, the whole message) of filters that are refused.
BAD: list[tuple[object, str | None, str]] = [
    (
        "gsd >",
        None,
        "filter: not valid CQL2 text:\n --> 1:6\n  |\n1 | gsd >\n  |      ^---\n  |\n"
        "  = expected GEOMETRY, Identifier, Negative, UnaryNot, True, False, Null, DECIMAL, "
        "Double, SingleQuotedString, ExpressionInParentheses, or Array",
    ),
    (
        "CASEI(platform) = casei('a')",
        None,
        "filter: =: functions and arithmetic ('casei') are not supported as operands; "
        "compare a property with a literal",
    ),
    (
        "gsd + 1 > 3",
        None,
        "filter: >: functions and arithmetic ('+') are not supported as operands; "
        "compare a property with a literal",
    ),
    (
        "myfunc(platform, 3)",
        None,
        "filter: operator 'myfunc' is not supported; supported: and, or, not, =, <>, <, <=, "
        ">, >=, like, between, in, isNull, a_containedby, a_contains, a_equals, a_overlaps, "
        "s_contains, s_crosses, s_disjoint, s_equals, s_intersects, s_overlaps, s_touches, "
        "s_within, anyinteracts, t_after, t_before, t_contains, t_disjoint, t_during, "
        "t_equals, t_finishedby, t_finishes, t_intersects, t_meets, t_metby, "
        "t_overlappedby, t_overlaps, t_startedby, t_starts",
    ),
    (
        "A_CONTAINS(id, ('a'))",
        None,
        "filter: a_contains applies to array properties (such as instruments); "
        "'id' is not an array",
    ),
    (
        "A_CONTAINS(instruments, ('a', 1))",
        None,
        'filter: a_contains needs a list of strings or a list of numbers, got ["a", 1.0]',
    ),
    (
        "gsd = eo:cloud_cover",
        None,
        "filter: = compares a property with a literal; comparing two properties "
        "(property 'eo:cloud_cover') is not supported",
    ),
    ("id = 5", None, "filter: =: 'id' is a string; compare it with a string, not a number"),
    (
        "datetime > '2025-01-01T00:00:00Z'",
        None,
        "filter: >: 'datetime' is a timestamp (TIMESTAMP('...') or DATE('...')); compare it "
        "with a timestamp (TIMESTAMP('...') or DATE('...')), not a string",
    ),
    (
        "published > TIMESTAMP('2025-01-01T00:00:00Z')",
        None,
        "filter: >: TIMESTAMP and DATE literals compare only with datetime, start_datetime, "
        "end_datetime, spacepool:embargo_until; 'published' is not one of them",
    ),
    ("flag < true", None, "filter: < orders values; booleans have no order (use = or <>)"),
    (
        "spacepool:shared_with IS NULL",
        None,
        "filter: isNull: 'spacepool:shared_with' cannot be filtered on: it is a list of "
        "partners (array operators are not supported)",
    ),
    (
        "S_INTERSECTS(geometry, POINT(1 1)) OR gsd > 3",
        None,
        "filter: or mixes spatial functions with other conditions; spatial functions can be "
        "combined by OR and NOT only with each other: join the other conditions with AND at "
        "the top of the filter",
    ),
    (
        "S_INTERSECTS(geometry, POINT(200 1))",
        None,
        "filter: s_intersects geometry: coordinates must be longitude in [-180, 180] and "
        "latitude in [-90, 90] degrees (WGS84, RFC 7946); got bounds (200, 1, 200, 1)",
    ),
    (
        "T_INTERSECTS(gsd, TIMESTAMP('2025-01-01T00:00:00Z'))",
        None,
        "filter: t_intersects applies to the time properties datetime, start_datetime, "
        "end_datetime, spacepool:embargo_until; got 'gsd'",
    ),
    (
        "T_INTERSECTS(datetime, INTERVAL('2025-02-01T00:00:00Z', '2025-01-01T00:00:00Z'))",
        None,
        "filter: t_intersects: the interval starts after it ends",
    ),
    ("gsd IN ('a', 1)", None, 'filter: in needs literals of one type, got ["a", 1.0]'),
    (
        {"op": "=", "args": [{"property": "platform"}, "a\x00b"]},
        "cql2-json",
        "filter: =: text may not contain NUL characters",
    ),
    (
        '{"op": "=", "args": [{"property": "id"}, "a1"]}',
        None,
        "filter: this looks like CQL2 JSON but filter-lang is cql2-text; "
        "send filter-lang=cql2-json",
    ),
    ("{not json", "cql2-json", "filter: CQL2 JSON that is not JSON: "
     "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    ("[1, 2]", "cql2-json", "filter: CQL2 JSON must be an object, got list"),
    (
        {"op": "=", "args": [{"property": "id"}]},
        "cql2-json",
        "filter: operator '=' takes 2 arguments, got 1",
    ),
    ({"op": "=", "args": 3}, "cql2-json", "filter: not valid CQL2 JSON: "
     "data did not match any variant of untagged enum Expr"),
    ("id = 'a'", "cql3", "filter-lang: expected one of cql2-text, cql2-json; got 'cql3'"),
    ({"op": "=", "args": []}, "cql2-text", "filter: CQL2 text must be a string, got dict; "
     "send a JSON filter with filter-lang=cql2-json"),
]  # fmt: skip


@pytest.mark.parametrize(("value", "lang", "message"), BAD, ids=[str(b[0])[:50] for b in BAD])
def test_bad_filter_is_refused_with_a_message_naming_the_problem(
    value: object, lang: str | None, message: str
) -> None:
    with pytest.raises(FilterError) as caught:
        compile_filter(value, lang)
    assert str(caught.value) == message
    assert caught.value.code == "invalid_filter"


def test_unsupported_operator_is_named_in_the_error() -> None:
    with pytest.raises(FilterError) as caught:
        compile_filter("myfunc(platform, 3)")
    assert caught.value.operator == "myfunc"


def test_only_crs84_is_accepted_as_filter_crs() -> None:
    assert compile_filter("id = 'a'", crs=CRS84).text == "id = 'a'"
    with pytest.raises(FilterError) as caught:
        compile_filter("id = 'a'", crs="http://www.opengis.net/def/crs/EPSG/0/4326")
    assert str(caught.value) == (
        "filter-crs: only http://www.opengis.net/def/crs/OGC/1.3/CRS84 is supported; "
        "got 'http://www.opengis.net/def/crs/EPSG/0/4326'"
    )


def test_queryables_name_the_columns_and_the_product_properties() -> None:
    document = queryables_document("https://example.test/stac/queryables")
    assert document["$id"] == "https://example.test/stac/queryables"
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    names = set(document["properties"])
    assert {"id", "collection", "datetime", "geometry", "spacepool:owner"} <= names
    assert {"platform", "gsd", "eo:cloud_cover", "spacepool:access"} <= names
    assert document["properties"] == QUERYABLE_PROPERTIES


def test_every_queryable_but_geometry_can_be_filtered() -> None:
    samples = {"string": "'x'", "number": "1"}
    for name, schema in QUERYABLE_PROPERTIES.items():
        if name == "geometry":
            continue
        if schema["type"] == "array":
            compile_filter(f"A_CONTAINS({name}, ('x'))")
        elif schema.get("format") == "date-time":
            compile_filter(f"{name} < TIMESTAMP('2025-01-01T00:00:00Z')")
        else:
            compile_filter(f"{name} = {samples[schema['type']]}")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["op", "args", "property", "interval", "timestamp", "date", "bbox", "type"]
            ),
            inner,
            max_size=3,
        )
    ),
    max_leaves=12,
)
OPS = st.sampled_from(
    ["and", "or", "not", "=", "<", "like", "between", "in", "isNull", "s_intersects",
     "t_intersects", "t_before", "casei", "a_contains", "+"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(op=OPS, args=st.lists(JSON_VALUES, max_size=4))
def test_any_json_filter_compiles_or_raises_filter_error(op: str, args: list[Any]) -> None:
    """Whatever arrives, the answer is a compiled filter or a FilterError (a 400),
    never another exception (a 500)."""
    with contextlib.suppress(FilterError):
        compile_filter({"op": op, "args": args}, "cql2-json")


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="abgs_:'()<>=%., 0123456789TINLKEWXS", max_size=40))
def test_any_text_filter_compiles_or_raises_filter_error(text: str) -> None:
    with contextlib.suppress(FilterError):
        compile_filter(text, "cql2-text")


def test_numbers_beyond_double_precision_compare_without_overflow(database_url: str) -> None:
    """A stored integer of 401 digits: PostgreSQL's double precision would overflow
    (a 500); compared as NUMERIC it is simply large."""
    store = Store(database_url)
    try:
        with store.transaction() as session:
            add_partner(session, "esa", "ESA", now=NOW)
            create_collection(session, collection_doc("eo"), now=NOW)
            docs = [item_doc("big", huge=10**400), item_doc("small", huge=1)]
            news = [parse_item(doc, collection="eo") for doc in docs]
            create_items(session, news, Viewer.partner("esa"), now=NOW)
        assert _selected(store, "huge > 1e300") == {"big"}
        assert _selected(store, "huge BETWEEN 0 AND 2") == {"small"}
        assert _selected(store, "huge IN (1, 2)") == {"small"}
    finally:
        store.close()
