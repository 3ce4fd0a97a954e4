"""Dialect-specific SQL pieces of the CQL2 translation (:mod:`spacepool.store.cql2`):
typed reads of JSON item properties, array membership, LIKE and ordering, each
compiled for SQLite and for PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Numeric,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

# JSON values are read through a type test first: PostgreSQL raises on casting a
# non-numeric text to a number, and SQLite orders every text above every number, so
# `platform > 3` would otherwise fail or match. A CASE (not AND) guards the cast:
# PostgreSQL does not promise to evaluate AND operands in order.


def sqlite_path(key: str) -> str:
    # SQLite JSON path with the key quoted, so ':' and '.' in names are plain
    # characters (SQLite "JSON Functions", section 3.3 "PATH arguments").
    return f'$."{key}"'


class JsonValue(FunctionElement[Any]):
    """A property of ``Item.properties`` read as one JSON kind; NULL when the item
    lacks the property or holds another kind. Arguments: the column, the key and
    the key as an SQLite JSON path."""

    inherit_cache = True
    kind: str = ""


class JsonNumber(JsonValue):
    type = Numeric()
    name = "spacepool_json_number"
    inherit_cache = True
    kind = "number"


class JsonString(JsonValue):
    type = String()
    name = "spacepool_json_string"
    inherit_cache = True
    kind = "string"


class JsonBoolean(JsonValue):
    type = Boolean()
    name = "spacepool_json_boolean"
    inherit_cache = True
    kind = "boolean"


class JsonIsNull(JsonValue):
    """True when the property is absent or JSON ``null``."""

    type = Boolean()
    name = "spacepool_json_is_null"
    inherit_cache = True
    kind = "null"


@compiles(JsonValue, "postgresql")
def _json_value_postgresql(element: JsonValue, compiler: SQLCompiler, **kw: Any) -> str:
    column, key, _path = element.clauses.clauses
    typeof = func.jsonb_typeof(column.op("->")(key))
    text = column.op("->>")(key)
    expression: ColumnElement[Any]
    if element.kind == "number":
        # NUMERIC, not double precision: a stored number may exceed its range
        expression = case((typeof == "number", cast(text, Numeric)))
    elif element.kind == "string":
        expression = case((typeof == "string", text))
    elif element.kind == "boolean":
        expression = case((typeof == "boolean", cast(text, Boolean)))
    elif element.kind == "array":
        expression = func.coalesce(typeof, "null") == "array"
    else:
        expression = func.coalesce(typeof, "null") == "null"
    return f"({compiler.process(expression, **kw)})"


@compiles(JsonValue, "sqlite")
def _json_value_sqlite(element: JsonValue, compiler: SQLCompiler, **kw: Any) -> str:
    column, _key, path = element.clauses.clauses
    kind = func.json_type(column, path)
    value = func.json_extract(column, path)
    expression: ColumnElement[Any]
    if element.kind == "number":
        expression = case((kind.in_(["integer", "real"]), value))
    elif element.kind == "string":
        expression = case((kind == "text", value))
    elif element.kind == "boolean":
        expression = case((kind.in_(["true", "false"]), kind == "true"))
    elif element.kind == "array":
        expression = func.coalesce(kind, "null") == "array"
    else:
        expression = func.coalesce(kind, "null") == "null"
    return f"({compiler.process(expression, **kw)})"


class JsonIsArray(JsonValue):
    """True when the property is a JSON array."""

    type = Boolean()
    name = "spacepool_json_is_array"
    inherit_cache = True
    kind = "array"


class JsonArrayHas(FunctionElement[bool]):
    """True when the array property has an element among the listed values, or
    (``outside``) one that is not among them; a string never equals a number.
    Arguments: the column, the key, the key as an SQLite JSON path, and the listed
    values as the text of one JSON array."""

    type = Boolean()
    inherit_cache = True
    outside: bool = False


class JsonArrayHasInside(JsonArrayHas):
    name = "spacepool_json_array_has_inside"
    inherit_cache = True


class JsonArrayHasOutside(JsonArrayHas):
    name = "spacepool_json_array_has_outside"
    inherit_cache = True
    outside = True


@compiles(JsonArrayHas, "postgresql")
def _array_has_postgresql(element: JsonArrayHas, compiler: SQLCompiler, **kw: Any) -> str:
    column, key, _path, values = element.clauses.clauses
    value = column.op("->")(key)
    array = case((func.jsonb_typeof(value) == "array", value), else_=cast(literal("[]"), JSONB))
    elements = func.jsonb_array_elements(array).table_valued("value").alias("element")
    # jsonb equality: a string never equals a number; 10 equals 10.0
    listed = exists(
        select(literal(1))
        .select_from(
            func.jsonb_array_elements(cast(values, JSONB)).table_valued("value").alias("listed")
        )
        .where(literal_column("listed.value") == elements.c.value)
    )
    condition = not_(listed) if element.outside else listed
    statement = exists(select(literal(1)).select_from(elements).where(condition))
    return f"({compiler.process(statement, **kw)})"


@compiles(JsonArrayHas, "sqlite")
def _array_has_sqlite(element: JsonArrayHas, compiler: SQLCompiler, **kw: Any) -> str:
    column, _key, path, values = element.clauses.clauses
    elements = func.json_each(column, path).table_valued("value", "type").alias("element")
    listed_values = func.json_each(values).table_valued("value", "type").alias("listed")
    # a number matches a number (integer or real), a text a text
    same_kind = or_(
        and_(elements.c.type == "text", listed_values.c.type == "text"),
        and_(
            elements.c.type.in_(["integer", "real"]), listed_values.c.type.in_(["integer", "real"])
        ),
    )
    listed = exists(
        select(literal(1))
        .select_from(listed_values)
        .where(same_kind, listed_values.c.value == elements.c.value)
    )
    condition = not_(listed) if element.outside else listed
    # json_each over a non-array walks the one value itself: require an array
    statement = and_(
        func.json_type(column, path) == "array",
        exists(select(literal(1)).select_from(elements).where(condition)),
    )
    return f"({compiler.process(statement, **kw)})"


class Like(FunctionElement[bool]):
    """CQL2 ``like`` (case-sensitive; ``%`` any text, ``_`` one character, ``\\``
    escapes). Arguments: the value, the pattern as SQL LIKE with ``\\`` as escape,
    and the same pattern as an SQLite GLOB (SQLite's LIKE ignores ASCII case)."""

    type = Boolean()
    name = "spacepool_like"
    inherit_cache = True


@compiles(Like)
def _like_default(element: Like, compiler: SQLCompiler, **kw: Any) -> str:
    value, pattern, _glob = element.clauses.clauses
    sql = compiler.process(value.like(pattern, escape="\\"), **kw)
    return f"({sql})"


@compiles(Like, "sqlite")
def _like_sqlite(element: Like, compiler: SQLCompiler, **kw: Any) -> str:
    value, _pattern, glob = element.clauses.clauses
    sql = compiler.process(value.op("GLOB")(glob), **kw)
    return f"({sql})"


class Ordered(FunctionElement[str]):
    """A text value compared by code point, as SQLite does: PostgreSQL orders text
    by the database's collation unless told ``COLLATE "C"``."""

    type = String()
    name = "spacepool_ordered"
    inherit_cache = True


@compiles(Ordered)
def _ordered_default(element: Ordered, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = element.clauses.clauses
    return compiler.process(value, **kw)


@compiles(Ordered, "postgresql")
def _ordered_postgresql(element: Ordered, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = element.clauses.clauses
    return f'({compiler.process(value, **kw)}) COLLATE "C"'


def like_pattern(like: str) -> str:
    """A CQL2 LIKE pattern as an SQL LIKE pattern with ``\\`` as escape character:
    the same, except that a lone ``\\`` at the end (which PostgreSQL refuses)
    stands for itself."""
    trailing = len(like) - len(like.rstrip("\\"))
    if trailing % 2 == 1:
        return like + "\\"
    return like


def glob_pattern(like: str) -> str:
    """A CQL2 LIKE pattern as an SQLite GLOB pattern: ``%`` -> ``*``, ``_`` -> ``?``;
    GLOB's own ``*?[`` and escaped characters become one-character classes."""
    out: list[str] = []
    chars = iter(like)
    for char in chars:
        if char == "\\":
            escaped = next(chars, "\\")
            out.append(f"[{escaped}]" if escaped in "*?[" else escaped)
        elif char == "%":
            out.append("*")
        elif char == "_":
            out.append("?")
        elif char in "*?[":
            out.append(f"[{char}]")
        else:
            out.append(char)
    return "".join(out)
