"""CQL2 filters (STAC API Filter extension) as conditions on stored items.

A filter arrives as CQL2 text or CQL2 JSON (OGC 21-065r2); the ``cql2`` package
parses either into CQL2 JSON, which :func:`compile_filter` translates into an
:class:`ItemFilter`: an SQL condition on :class:`~spacepool.store.models.Item`
that runs unchanged on SQLite and PostgreSQL, plus the exact spatial tests that
SQL without a spatial extension cannot do. Those work like the ``intersects``
search parameter (:mod:`spacepool.store.search`): the SQL condition holds the
bounding-box prefilter, and the rows it lets through are tested with shapely.
The caller ANDs the condition with the access filter in the same query, so a
filter never reaches items the viewer may not see.

What translates (anything else is a :class:`~spacepool.errors.FilterError` that
names the operator):

- ``and``, ``or``, ``not``; ``=``, ``<>``, ``<``, ``<=``, ``>``, ``>=``, ``like``,
  ``between``, ``in``, ``isNull``, each between one property and literals;
- ``a_equals``, ``a_contains``, ``a_containedby``, ``a_overlaps`` between an array
  property and a list of strings or numbers (compared as sets);
- ``s_intersects``, ``s_disjoint``, ``s_within``, ``s_contains``, ``s_equals``,
  ``s_touches``, ``s_crosses``, ``s_overlaps`` between ``geometry`` and a geometry
  literal, combined with each other by ``and`` / ``or`` / ``not``, and with other
  conditions by ``and`` at the top of the filter;
- the temporal functions ``t_after`` ... ``t_starts`` and ``anyinteracts``
  between a time property and a timestamp, date or interval literal.

Properties: ``id``, ``collection``, ``datetime`` (the item's time range: its
``datetime``, or ``start_datetime`` to ``end_datetime``; compared as its start),
``start_datetime``, ``end_datetime``, ``spacepool:owner``, ``spacepool:access`` and
``spacepool:embargo_until`` are columns; any other name is looked up in the
item's properties, read as the type of the literal it is compared with (a
property holding another type does not match). As in SQL, a comparison on a
property an item lacks is unknown, so neither it nor its ``not`` matches.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import cql2
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    ColumnElement,
    Float,
    Numeric,
    and_,
    case,
    cast,
    false,
    literal,
    not_,
    or_,
    true,
)

from spacepool.catalog.items import parse_geometry, parse_rfc3339
from spacepool.errors import FilterError, InputError
from spacepool.store.cql2_sql import (
    JsonArrayHasInside,
    JsonArrayHasOutside,
    JsonBoolean,
    JsonIsArray,
    JsonIsNull,
    JsonNumber,
    JsonString,
    Like,
    Ordered,
    glob_pattern,
    like_pattern,
    sqlite_path,
)
from spacepool.store.models import Item
from spacepool.store.queryables import QUERYABLE_PROPERTIES as QUERYABLE_PROPERTIES
from spacepool.store.queryables import queryables_document as queryables_document

FilterLang = Literal["cql2-text", "cql2-json"]
FILTER_LANGS: tuple[FilterLang, ...] = ("cql2-text", "cql2-json")
# The only CRS spatial literals may use (STAC API Filter: CRS84 is the default and
# the one a server must support).
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

# Conformance classes of what this module translates (OGC 21-065r2, section 2 and
# annex A; STAC API Filter extension README), advertised by the STAC API.
CONFORMANCE_CLASSES = (
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "https://api.stacspec.org/v1.0.0-rc.2/item-search#filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/array-functions",
)

Kind = Literal["string", "number", "boolean", "timestamp"]

# Queryables held in columns: name -> (column, the kind of literal it compares with).
_COLUMNS: dict[str, tuple[Any, Kind]] = {
    "id": (Item.item_id, "string"),
    "collection": (Item.collection_id, "string"),
    "datetime": (Item.datetime_start, "timestamp"),
    "start_datetime": (Item.datetime_start, "timestamp"),
    "end_datetime": (Item.datetime_end, "timestamp"),
    "spacepool:owner": (Item.owner_id, "string"),
    "spacepool:access": (Item.access, "string"),
    "spacepool:embargo_until": (Item.embargo_until, "timestamp"),
}
# Properties that exist but cannot be filtered on, with the reason.
_NOT_FILTERABLE = {
    "spacepool:shared_with": "it is a list of partners (array operators are not supported)",
}

_COMPARISONS: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "=": lambda a, b: a == b,
    "<>": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
# The same comparison with its operands swapped (``5 < gsd`` is ``gsd > 5``).
_FLIPPED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

SpatialOp = Literal[
    "intersects", "disjoint", "within", "contains", "equals", "touches", "crosses", "overlaps"
]
_SPATIAL_OPS: dict[str, SpatialOp] = {
    "s_intersects": "intersects",
    "s_disjoint": "disjoint",
    "s_within": "within",
    "s_contains": "contains",
    "s_equals": "equals",
    "s_touches": "touches",
    "s_crosses": "crosses",
    "s_overlaps": "overlaps",
}
# The predicate with its operands swapped (``s_within(literal, geometry)``).
_SPATIAL_SWAPPED: dict[SpatialOp, SpatialOp] = {
    "within": "contains",
    "contains": "within",
}
_SHAPELY: dict[SpatialOp, Callable[[Any, BaseGeometry], Any]] = {
    "intersects": shapely.intersects,
    "disjoint": shapely.disjoint,
    "within": shapely.within,
    "contains": shapely.contains,
    "equals": shapely.equals,
    "touches": shapely.touches,
    "crosses": shapely.crosses,
    "overlaps": shapely.overlaps,
}

_ARRAY_OPS = frozenset({"a_equals", "a_contains", "a_containedby", "a_overlaps"})

_TEMPORAL_OPS = frozenset(
    {
        "t_after",
        "t_before",
        "t_contains",
        "t_disjoint",
        "t_during",
        "t_equals",
        "t_finishedby",
        "t_finishes",
        "t_intersects",
        "t_meets",
        "t_metby",
        "t_overlappedby",
        "t_overlaps",
        "t_startedby",
        "t_starts",
        "anyinteracts",
    }
)

_SUPPORTED_TEXT = (
    "and, or, not, =, <>, <, <=, >, >=, like, between, in, isNull, "
    + ", ".join(sorted(_ARRAY_OPS))
    + ", "
    + ", ".join(sorted(_SPATIAL_OPS))
    + ", "
    + ", ".join(sorted(_TEMPORAL_OPS))
)


# --- the compiled filter ---------------------------------------------------------------


@dataclass(frozen=True)
class SpatialTest:
    """One exact spatial condition: the item's geometry ``op`` ``geometry`` (a
    shapely geometry in longitude/latitude degrees), negated when ``negate``."""

    op: SpatialOp
    geometry: BaseGeometry
    negate: bool = False


@dataclass(frozen=True)
class SpatialCombination:
    """Spatial tests joined by ``and`` / ``or`` (``any_``), negated when ``negate``."""

    parts: tuple[SpatialTest | SpatialCombination, ...]
    any_: bool
    negate: bool = False


SpatialNode = SpatialTest | SpatialCombination


def _evaluate(node: SpatialNode, shapes: np.ndarray) -> np.ndarray:
    """The node's truth for each of ``shapes`` (shape ``(N,)``), vectorised."""
    if isinstance(node, SpatialTest):
        result = np.asarray(_SHAPELY[node.op](shapes, node.geometry), dtype=bool)
    else:
        results = [_evaluate(part, shapes) for part in node.parts]
        result = np.logical_or.reduce(results) if node.any_ else np.logical_and.reduce(results)
    return ~result if node.negate else result


@dataclass(frozen=True)
class ItemFilter:
    """A translated CQL2 filter.

    ``where`` is an SQL condition on :class:`~spacepool.store.models.Item`; it holds
    the non-spatial conditions and a bounding-box prefilter for each spatial test.
    ``spatial`` are the exact tests every item must also pass
    (:meth:`matches_geometry`), each a spatial function or an ``and`` / ``or`` /
    ``not`` of spatial functions; empty when the filter has none. ``text`` is the
    filter as CQL2 text, for messages and logs.
    """

    where: ColumnElement[bool]
    spatial: tuple[SpatialNode, ...] = ()
    text: str = ""

    def matches_geometry(self, geometries: Sequence[str]) -> np.ndarray:
        """Which of ``geometries`` (GeoJSON texts, shape ``(N,)``) pass every
        spatial test: a boolean array of shape ``(N,)``."""
        keep = np.ones(len(geometries), dtype=bool)
        if not self.spatial or not len(geometries):
            return keep
        shapes = shapely.from_geojson(np.asarray(geometries, dtype=object))
        for test in self.spatial:
            keep &= _evaluate(test, shapes)
        return keep


def parse_filter(value: object, lang: str | None, *, default: FilterLang) -> cql2.Expr:
    """Parse a ``filter`` parameter in the language ``lang`` (``None``: ``default``).

    CQL2 text must come as a string; CQL2 JSON as an object or its JSON text (a
    GET parameter)."""
    language = default if lang is None else lang
    if language not in FILTER_LANGS:
        raise FilterError(
            f"filter-lang: expected one of {', '.join(FILTER_LANGS)}; got {language!r}"
        )
    if language == "cql2-text":
        if not isinstance(value, str):
            raise FilterError(
                f"filter: CQL2 text must be a string, got {type(value).__name__}; "
                "send a JSON filter with filter-lang=cql2-json"
            )
        if value.lstrip().startswith("{"):
            raise FilterError(
                "filter: this looks like CQL2 JSON but filter-lang is cql2-text; "
                "send filter-lang=cql2-json"
            )
        try:
            return cql2.parse_text(value)
        except (cql2.ParseError, ValueError) as exc:
            raise FilterError(f"filter: not valid CQL2 text:{_indented(exc)}") from None
    document = value
    if isinstance(value, str):
        try:
            document = json.loads(value)
        except ValueError as exc:
            raise FilterError(f"filter: CQL2 JSON that is not JSON: {exc}") from None
    if not isinstance(document, dict | bool):
        raise FilterError(f"filter: CQL2 JSON must be an object, got {type(document).__name__}")
    try:
        return cql2.parse_json(json.dumps(document))
    except (cql2.ParseError, ValueError) as exc:
        raise FilterError(f"filter: not valid CQL2 JSON: {exc}") from None


def _indented(exc: Exception) -> str:
    text = str(exc).rstrip()
    return ("\n" + text) if "\n" in text else (" " + text.strip())


def compile_filter(
    value: object,
    lang: str | None = None,
    *,
    default: FilterLang = "cql2-text",
    crs: str | None = None,
) -> ItemFilter:
    """Translate a ``filter`` parameter (see :func:`parse_filter`) into an
    :class:`ItemFilter`. ``crs`` is the ``filter-crs`` parameter: only CRS84."""
    if crs is not None and crs != CRS84:
        raise FilterError(f"filter-crs: only {CRS84} is supported; got {crs!r}")
    expression = parse_filter(value, lang, default=default)
    document: Any = expression.to_json()
    where: list[ColumnElement[bool]] = []
    spatial: list[SpatialNode] = []
    for part in _conjuncts(document):
        test = _spatial_node(part)
        if test is None:
            where.append(_predicate(part))
        else:
            spatial.append(test)
            prefilter = _bbox_prefilter(test)
            if prefilter is not None:
                where.append(prefilter)
    condition = and_(true(), *where) if where else true()
    try:
        text = expression.to_text()
    except ValueError:  # forms cql2 reads but cannot write as text (pre-1.0 BETWEEN)
        text = json.dumps(document)
    return ItemFilter(condition, tuple(spatial), text)


def _conjuncts(node: Any) -> list[Any]:
    """The operands of the top-level ``and`` chain (the node itself otherwise)."""
    if isinstance(node, dict) and node.get("op") == "and":
        return [part for arg in _args(node, "and") for part in _conjuncts(arg)]
    return [node]


def _args(node: dict[str, Any], op: str, count: int | None = None) -> list[Any]:
    args = node.get("args")
    if not isinstance(args, list):
        raise FilterError(f"filter: operator {op!r} needs a list of arguments", operator=op)
    if count is not None and len(args) != count:
        raise FilterError(
            f"filter: operator {op!r} takes {count} arguments, got {len(args)}", operator=op
        )
    if op in ("and", "or") and len(args) < 2:
        raise FilterError(
            f"filter: operator {op!r} takes at least 2 arguments, got {len(args)}", operator=op
        )
    return args


def _op(node: Any) -> str | None:
    if isinstance(node, dict) and isinstance(node.get("op"), str):
        return str(node["op"]).lower()
    return None


# --- spatial ---------------------------------------------------------------------------


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _has_spatial(node: Any) -> bool:
    op = _op(node)
    if op in _SPATIAL_OPS:
        return True
    return op in ("and", "or", "not") and any(_has_spatial(arg) for arg in _list(node.get("args")))


def _only_spatial(node: Any) -> bool:
    op = _op(node)
    if op in _SPATIAL_OPS:
        return True
    return op in ("and", "or", "not") and all(_only_spatial(arg) for arg in _list(node.get("args")))


def _spatial_node(node: Any) -> SpatialNode | None:
    """The node as spatial tests when it is a spatial function or an ``and`` /
    ``or`` / ``not`` of spatial functions only; ``None`` when it holds none. A mix
    of spatial and other conditions under ``or`` / ``not`` is refused: the spatial
    tests run outside SQL, on the rows the other conditions let through."""
    if not _has_spatial(node):
        return None
    op = _op(node)
    if not _only_spatial(node):
        raise FilterError(
            f"filter: {op} mixes spatial functions with other conditions; spatial functions "
            "can be combined by OR and NOT only with each other: join the other conditions "
            "with AND at the top of the filter",
            operator=op,
        )
    if op == "not":
        (inner,) = _args(node, "not", 1)
        test = _spatial_node(inner)
        assert test is not None
        if isinstance(test, SpatialTest) and test.op in ("intersects", "disjoint"):
            # keep the form that has a prefilter
            flipped: SpatialOp = "disjoint" if test.op == "intersects" else "intersects"
            return SpatialTest(flipped, test.geometry, test.negate)
        if isinstance(test, SpatialTest):
            return SpatialTest(test.op, test.geometry, not test.negate)
        return SpatialCombination(test.parts, test.any_, not test.negate)
    if op in ("and", "or"):
        parts = tuple(_spatial_node(arg) for arg in _args(node, op))
        return SpatialCombination(tuple(p for p in parts if p is not None), op == "or")
    assert op is not None
    first, second = _args(node, op, 2)
    spatial_op = _SPATIAL_OPS[op]
    if _is_geometry_property(first):
        literal_value = second
    elif _is_geometry_property(second):
        literal_value = first
        spatial_op = _SPATIAL_SWAPPED.get(spatial_op, spatial_op)
    else:
        raise FilterError(
            f"filter: {op} compares the item's 'geometry' with a geometry literal; "
            f"got {_describe(first)} and {_describe(second)}",
            operator=op,
        )
    return SpatialTest(spatial_op, _geometry_literal(literal_value, op))


def _is_geometry_property(node: Any) -> bool:
    return isinstance(node, dict) and node.get("property") == "geometry"


def _geometry_literal(node: Any, op: str) -> BaseGeometry:
    if isinstance(node, dict) and "bbox" in node:
        values = node["bbox"]
        if not isinstance(values, list) or len(values) not in (4, 6):
            raise FilterError(f"filter: {op}: a BBOX needs 4 (or 6) numbers", operator=op)
        if len(values) == 6:
            values = [values[0], values[1], values[3], values[4]]
        minx, miny, maxx, maxy = (float(v) for v in values)
        if minx > maxx or miny > maxy:
            raise FilterError(
                f"filter: {op}: a BBOX is (minlon, minlat, maxlon, maxlat) with min <= max; "
                f"got ({minx:g}, {miny:g}, {maxx:g}, {maxy:g})",
                operator=op,
            )
        node = {
            "type": "Polygon",
            "coordinates": [[[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]],
        }
    if not (isinstance(node, dict) and "type" in node):
        raise FilterError(
            f"filter: {op} needs a geometry literal (POINT, POLYGON, BBOX, ... or GeoJSON); "
            f"got {_describe(node)}",
            operator=op,
        )
    try:
        return parse_geometry(node, field_name=f"filter: {op} geometry")
    except InputError as exc:
        raise FilterError(str(exc), operator=op) from None


def _bbox_prefilter(test: SpatialNode) -> ColumnElement[bool] | None:
    """A bounding-box condition implied by the test (``None`` when there is none):
    only rows that pass it can pass the exact test."""
    if test.negate:
        return None
    if isinstance(test, SpatialCombination):
        parts = [_bbox_prefilter(part) for part in test.parts]
        if test.any_:  # one part without a prefilter lets every row through
            return None if any(p is None for p in parts) else or_(*parts)  # type: ignore[arg-type]
        kept = [p for p in parts if p is not None]
        return and_(*kept) if kept else None
    if test.op == "disjoint":
        return None
    minx, miny, maxx, maxy = (float(v) for v in test.geometry.bounds)
    if test.op == "within":  # the item's box lies inside the literal's
        return and_(Item.minx >= minx, Item.maxx <= maxx, Item.miny >= miny, Item.maxy <= maxy)
    if test.op == "contains":  # the literal's box lies inside the item's
        return and_(Item.minx <= minx, Item.maxx >= maxx, Item.miny <= miny, Item.maxy >= maxy)
    return and_(Item.minx <= maxx, Item.maxx >= minx, Item.miny <= maxy, Item.maxy >= miny)


# --- predicates ------------------------------------------------------------------------


def _predicate(node: Any) -> ColumnElement[bool]:
    """A boolean CQL2 JSON node (without spatial functions) as an SQL condition."""
    if isinstance(node, bool):
        return true() if node else false()
    op = _op(node)
    if op is None:
        raise FilterError(f"filter: expected a condition, got {_describe(node)}")
    if op in ("and", "or"):
        parts = [_predicate(arg) for arg in _args(node, op)]
        return and_(*parts) if op == "and" else or_(*parts)
    if op == "not":
        (inner,) = _args(node, op, 1)
        return not_(_predicate(inner))
    if op in _COMPARISONS:
        return _comparison(node, op)
    if op == "like":
        return _like(node)
    if op == "between":
        return _between(node)
    if op == "in":
        return _in(node)
    if op == "isnull":
        (target,) = _args(node, "isNull", 1)
        return _is_null(_property_name(target, "isNull"))
    if op in _SPATIAL_OPS:  # pragma: no cover - _spatial_node refuses these first
        raise FilterError(f"filter: {op} is not supported here", operator=op)
    if op in _TEMPORAL_OPS:
        return _temporal(node, op)
    if op in _ARRAY_OPS:
        return _array(node, op)
    raise FilterError(
        f"filter: operator {node['op']!r} is not supported; supported: {_SUPPORTED_TEXT}",
        operator=str(node["op"]),
    )


def _describe(node: Any) -> str:
    if isinstance(node, dict) and "property" in node:
        return f"property {node['property']!r}"
    if isinstance(node, dict) and "op" in node:
        return f"the result of {node['op']!r}"
    return json.dumps(node)


def _property_name(node: Any, op: str) -> str:
    if isinstance(node, dict) and "op" in node:
        raise FilterError(
            f"filter: {op}: functions and arithmetic ({node['op']!r}) are not supported "
            "as operands; compare a property with a literal",
            operator=str(node["op"]),
        )
    if not (isinstance(node, dict) and isinstance(node.get("property"), str)):
        raise FilterError(
            f"filter: {op} needs a property as its first argument, got {_describe(node)}",
            operator=op,
        )
    name = str(node["property"])
    if name in _NOT_FILTERABLE:
        raise FilterError(
            f"filter: {op}: {name!r} cannot be filtered on: {_NOT_FILTERABLE[name]}",
            operator=op,
        )
    if name == "geometry":
        raise FilterError(
            f"filter: {op}: 'geometry' is compared with the spatial functions "
            "(S_INTERSECTS, ...), not with {op}",
            operator=op,
        )
    _no_nul(name, op)
    if '"' in name or "\\" in name:
        raise FilterError(
            f"filter: property names may not contain '\"' or '\\'; got {name!r}", operator=op
        )
    return name


def _kind_of(value: Any, op: str) -> tuple[Kind, Any]:
    """A literal's kind and its value as SQL binds it."""
    if isinstance(value, bool):
        return "boolean", value
    if isinstance(value, int | float):
        return "number", float(value)
    if isinstance(value, str):
        return "string", _no_nul(value, op)
    if isinstance(value, dict) and ("timestamp" in value or "date" in value):
        return "timestamp", _instant(value, op)
    if isinstance(value, dict) and "property" in value:
        raise FilterError(
            f"filter: {op} compares a property with a literal; comparing two properties "
            f"({_describe(value)}) is not supported",
            operator=op,
        )
    if isinstance(value, dict) and "op" in value:
        raise FilterError(
            f"filter: {op}: functions and arithmetic ({value['op']!r}) are not supported "
            "as operands; compare a property with a literal",
            operator=op,
        )
    raise FilterError(
        f"filter: {op}: expected a string, number, boolean or TIMESTAMP/DATE literal; "
        f"got {_describe(value)}",
        operator=op,
    )


def _no_nul(text: str, op: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it here rather than fail in the driver
    if "\x00" in text:
        raise FilterError(f"filter: {op}: text may not contain NUL characters", operator=op)
    return text


def _instant(value: dict[str, Any], op: str) -> datetime:
    """A ``{"timestamp": ...}`` or ``{"date": ...}`` literal (a date: its start,
    00:00 UTC)."""
    try:
        if "timestamp" in value:
            return parse_rfc3339(value["timestamp"], field_name=f"filter: {op} timestamp")
        return datetime.fromisoformat(str(value["date"])).replace(tzinfo=UTC)
    except (InputError, ValueError) as exc:
        raise FilterError(f"filter: {op}: {exc}", operator=op) from None


def _operand(name: str, kind: Kind, op: str) -> ColumnElement[Any]:
    """The property ``name`` as an SQL value of ``kind``."""
    if name in _COLUMNS:
        column, column_kind = _COLUMNS[name]
        if column_kind != kind:
            raise FilterError(
                f"filter: {op}: {name!r} is a {_KIND_TEXT[column_kind]}; compare it with a "
                f"{_KIND_TEXT[column_kind]}, not a {_KIND_TEXT[kind]}",
                operator=op,
            )
        return column  # type: ignore[no-any-return]
    if kind == "timestamp":
        columns = ", ".join(n for n, (_, k) in _COLUMNS.items() if k == "timestamp")
        raise FilterError(
            f"filter: {op}: TIMESTAMP and DATE literals compare only with {columns}; "
            f"{name!r} is not one of them",
            operator=op,
        )
    args = (Item.properties, literal(name), literal(sqlite_path(name)))
    if kind == "number":
        return JsonNumber(*args)
    if kind == "string":
        return JsonString(*args)
    return JsonBoolean(*args)


_KIND_TEXT: dict[Kind, str] = {
    "string": "string",
    "number": "number",
    "boolean": "boolean",
    "timestamp": "timestamp (TIMESTAMP('...') or DATE('...'))",
}


def _bound(value: Any, kind: Kind) -> Any:
    """A literal as SQL binds it: numbers as NUMERIC, to meet the stored numbers in
    their own type (PostgreSQL would otherwise compare in double precision)."""
    if kind == "number":
        return cast(literal(value, Float()), Numeric())
    return value


def _ordered(value: ColumnElement[Any], kind: Kind) -> ColumnElement[Any]:
    return Ordered(value) if kind == "string" else value


def _comparison(node: dict[str, Any], op: str) -> ColumnElement[bool]:
    first, second = _args(node, op, 2)
    if (
        isinstance(second, dict)
        and "property" in second
        and not (isinstance(first, dict) and "property" in first)
    ):
        first, second, op = second, first, _FLIPPED[op]
    name = _property_name(first, op)
    kind, value = _kind_of(second, op)
    operand = _operand(name, kind, op)
    value = _bound(value, kind)
    if op not in ("=", "<>"):
        if kind == "boolean":
            raise FilterError(
                f"filter: {op} orders values; booleans have no order (use = or <>)",
                operator=op,
            )
        operand = _ordered(operand, kind)
    return _COMPARISONS[op](operand, value)


def _like(node: dict[str, Any]) -> ColumnElement[bool]:
    first, pattern = _args(node, "like", 2)
    name = _property_name(first, "like")
    if not isinstance(pattern, str):
        raise FilterError(
            f"filter: like needs a text pattern, got {_describe(pattern)}", operator="like"
        )
    _no_nul(pattern, "like")
    return Like(
        _operand(name, "string", "like"),
        literal(like_pattern(pattern)),
        literal(glob_pattern(pattern)),
    )


def _between(node: dict[str, Any]) -> ColumnElement[bool]:
    args = node.get("args")
    if isinstance(args, list) and len(args) == 2 and isinstance(args[1], list):
        # the form of CQL2 drafts before 1.0, still sent by some clients:
        # [property, [low, high]]
        args = [args[0], *args[1]]
        node = {**node, "args": args}
    first, low, high = _args(node, "between", 3)
    name = _property_name(first, "between")
    low_kind, low_value = _kind_of(low, "between")
    high_kind, high_value = _kind_of(high, "between")
    if low_kind != high_kind or low_kind == "boolean":
        raise FilterError(
            "filter: between needs two numbers, two strings or two timestamps as bounds; "
            f"got {_describe(low)} and {_describe(high)}",
            operator="between",
        )
    operand = _ordered(_operand(name, low_kind, "between"), low_kind)
    return operand.between(_bound(low_value, low_kind), _bound(high_value, low_kind))


def _in(node: dict[str, Any]) -> ColumnElement[bool]:
    first, values = _args(node, "in", 2)
    name = _property_name(first, "in")
    if not isinstance(values, list) or not values:
        raise FilterError(
            f"filter: in needs a non-empty list of literals, got {_describe(values)}",
            operator="in",
        )
    kinds = [_kind_of(value, "in") for value in values]
    kind_names = {kind for kind, _ in kinds}
    if len(kind_names) != 1:
        raise FilterError(
            f"filter: in needs literals of one type, got {json.dumps(values)}", operator="in"
        )
    (kind,) = kind_names
    return _operand(name, kind, "in").in_([_bound(value, kind) for _, value in kinds])


def _array(node: dict[str, Any], op: str) -> ColumnElement[bool]:
    """An array function between an array property and a list of literals (OGC
    21-065r2, section 7.13), with the element sets compared as sets (the cql2
    package's reading of ``a_equals``): ``a_contains``, every listed value is an
    element; ``a_containedby``, every element is listed; ``a_equals``, both;
    ``a_overlaps``, some element is listed."""
    first, values = _args(node, op, 2)
    if not (isinstance(first, dict) and "property" in first) and isinstance(values, dict):
        first, values = values, first  # a list first: the relation seen from the other side
        op = {"a_contains": "a_containedby", "a_containedby": "a_contains"}.get(op, op)
    name = _property_name(first, op)
    if name in _COLUMNS:
        raise FilterError(
            f"filter: {op} applies to array properties (such as instruments); "
            f"{name!r} is not an array",
            operator=op,
        )
    if not isinstance(values, list) or not values:
        raise FilterError(
            f"filter: {op} needs a non-empty list of literals, got {_describe(values)}",
            operator=op,
        )
    kinds = {_kind_of(value, op)[0] for value in values}
    if len(kinds) != 1 or not kinds <= {"string", "number"}:
        raise FilterError(
            f"filter: {op} needs a list of strings or a list of numbers, got {json.dumps(values)}",
            operator=op,
        )
    args = (Item.properties, literal(name), literal(sqlite_path(name)))

    def has(listed: list[Any], *, outside: bool) -> ColumnElement[bool]:
        cls = JsonArrayHasOutside if outside else JsonArrayHasInside
        return cls(*args, literal(json.dumps(listed)))

    contains = and_(*(has([value], outside=False) for value in values))
    contained = not_(has(values, outside=True))
    relation = {
        "a_contains": contains,
        "a_containedby": contained,
        "a_equals": and_(contains, contained),
        "a_overlaps": has(values, outside=False),
    }[op]
    # unknown (NULL) when the property is not an array: neither it nor its NOT matches
    return case((JsonIsArray(*args), relation))


def _is_null(name: str) -> ColumnElement[bool]:
    if name in _COLUMNS:
        column, _kind = _COLUMNS[name]
        return column.is_(None)  # type: ignore[no-any-return]
    return JsonIsNull(Item.properties, literal(name), literal(sqlite_path(name)))


# --- temporal --------------------------------------------------------------------------

# An interval end: a time, or None for an open end ("..").
Bound = datetime | None
_DAY = timedelta(days=1)
_RESOLUTION = timedelta(microseconds=1)  # finest time the database keeps


def _temporal(node: dict[str, Any], op: str) -> ColumnElement[bool]:
    """A temporal function between a time property and a literal, as Allen's
    interval relations on the endpoints (OGC 21-065r2, section 7.12, table 4)."""
    first, second = _args(node, op, 2)
    swapped = False
    if not (isinstance(first, dict) and "property" in first):
        first, second, swapped = second, first, True
    name = _property_name(first, op)
    if name not in _COLUMNS or _COLUMNS[name][1] != "timestamp":
        columns = ", ".join(n for n, (_, k) in _COLUMNS.items() if k == "timestamp")
        raise FilterError(
            f"filter: {op} applies to the time properties {columns}; got {name!r}", operator=op
        )
    if name == "datetime":
        start, end = Item.datetime_start, Item.datetime_end
    else:
        start = end = _COLUMNS[name][0]
    low, high = _interval(second, op)
    if swapped:  # t_op(literal, property): the relation seen from the literal's side
        return _allen(op, _Endpoints.of_literal(low, high), _Endpoints.of_columns(start, end))
    return _allen(op, _Endpoints.of_columns(start, end), _Endpoints.of_literal(low, high))


def _interval(node: Any, op: str) -> tuple[Bound, Bound]:
    """A timestamp, date or interval literal as ``(start, end)``, both inclusive; a
    date covers its whole day."""
    if isinstance(node, dict) and "interval" in node:
        ends = node["interval"]
        if not isinstance(ends, list) or len(ends) != 2:
            raise FilterError(f"filter: {op}: an INTERVAL has 2 ends", operator=op)
        low = _interval_end(ends[0], op, upper=False)
        high = _interval_end(ends[1], op, upper=True)
        if low is not None and high is not None and low > high:
            raise FilterError(f"filter: {op}: the interval starts after it ends", operator=op)
        return low, high
    if isinstance(node, dict) and "timestamp" in node:
        moment = _instant(node, op)
        return moment, moment
    if isinstance(node, dict) and "date" in node:
        day = _instant(node, op)
        return day, _end_of_day(day)
    raise FilterError(
        f"filter: {op} needs a TIMESTAMP, DATE or INTERVAL literal, got {_describe(node)}",
        operator=op,
    )


def _end_of_day(day: datetime) -> datetime:
    """The last instant of ``day``'s date (9999-12-31 ends at the largest time)."""
    try:
        return day + _DAY - _RESOLUTION
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)


def _interval_end(value: Any, op: str, *, upper: bool) -> Bound:
    if value == "..":
        return None
    if isinstance(value, dict):
        if "date" in value and upper:
            return _end_of_day(_instant(value, op))
        return _instant(value, op)
    if isinstance(value, str) and "T" in value.upper():
        return _instant({"timestamp": value}, op)
    if isinstance(value, str):
        day = _instant({"date": value}, op)
        return _end_of_day(day) if upper else day
    raise FilterError(f"filter: {op}: not an interval end: {json.dumps(value)}", operator=op)


@dataclass(frozen=True)
class _Endpoints:
    """An interval's ends: columns, times, or ``None`` for -infinity (start) and
    +infinity (end)."""

    start: Any
    end: Any
    literal: bool

    @classmethod
    def of_columns(cls, start: Any, end: Any) -> _Endpoints:
        return cls(start, end, False)

    @classmethod
    def of_literal(cls, start: Bound, end: Bound) -> _Endpoints:
        return cls(start, end, True)


_INFINITE_START = "-inf"
_INFINITE_END = "+inf"


def _point(value: Any, side: str) -> Any:
    if value is None:
        return _INFINITE_START if side == "start" else _INFINITE_END
    return value


def _compare(left: Any, op: str, right: Any) -> ColumnElement[bool]:
    """``left op right`` where either may be a column, a time or an infinity."""
    rank = {_INFINITE_START: -1, _INFINITE_END: 1}
    if isinstance(left, str) or isinstance(right, str):
        if isinstance(left, str) and isinstance(right, str):
            a, b = rank[left], rank[right]
            return true() if _COMPARISONS_PY[op](a, b) else false()
        if isinstance(left, str):  # infinity on the left: the opposite of the flip
            return _compare(right, _FLIPPED[op], left)
        # a finite value (column or time) against an infinity
        finite_below = rank[right] > 0  # every finite value is below +inf
        holds = {
            "<": finite_below,
            "<=": finite_below,
            ">": not finite_below,
            ">=": not finite_below,
            "=": False,
            "<>": True,
        }[op]
        return true() if holds else false()
    return _COMPARISONS[op](left, right)


_COMPARISONS_PY: dict[str, Callable[[int, int], bool]] = {
    "=": lambda a, b: a == b,
    "<>": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _allen(op: str, x: _Endpoints, y: _Endpoints) -> ColumnElement[bool]:
    """Relation ``op`` of interval ``x`` to interval ``y`` (OGC 21-065r2, table 4;
    ``anyinteracts`` is the old name of ``t_intersects``)."""
    xs, xe = _point(x.start, "start"), _point(x.end, "end")
    ys, ye = _point(y.start, "start"), _point(y.end, "end")
    if x.literal and y.literal:  # pragma: no cover - the property is always one side
        raise FilterError(f"filter: {op} needs a time property", operator=op)

    def c(a: Any, o: str, b: Any) -> ColumnElement[bool]:
        return _compare(a, o, b)

    relations: dict[str, list[ColumnElement[bool]]] = {
        "t_after": [c(xs, ">", ye)],
        "t_before": [c(xe, "<", ys)],
        "t_contains": [c(xs, "<", ys), c(xe, ">", ye)],
        "t_during": [c(xs, ">", ys), c(xe, "<", ye)],
        "t_equals": [c(xs, "=", ys), c(xe, "=", ye)],
        "t_finishedby": [c(xs, "<", ys), c(xe, "=", ye)],
        "t_finishes": [c(xs, ">", ys), c(xe, "=", ye)],
        "t_intersects": [c(xs, "<=", ye), c(xe, ">=", ys)],
        "anyinteracts": [c(xs, "<=", ye), c(xe, ">=", ys)],
        "t_meets": [c(xe, "=", ys)],
        "t_metby": [c(xs, "=", ye)],
        "t_overlappedby": [c(xs, ">", ys), c(xs, "<", ye), c(xe, ">", ye)],
        "t_overlaps": [c(xs, "<", ys), c(xe, ">", ys), c(xe, "<", ye)],
        "t_startedby": [c(xs, "=", ys), c(xe, ">", ye)],
        "t_starts": [c(xs, "=", ys), c(xe, "<", ye)],
    }
    if op == "t_disjoint":
        return or_(c(xs, ">", ye), c(xe, "<", ys))
    return and_(*relations[op])
