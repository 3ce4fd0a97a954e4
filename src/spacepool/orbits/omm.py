"""Reading CCSDS Orbit Mean-elements Messages (OMM, CCSDS 502.0-B-3) for SGP4.

Four encodings, as CelesTrak's GP API serves them (``FORMAT=kvn|xml|json|csv``) and
Space-Track's ``class/gp`` returns them:

* **KVN**: ``KEYWORD = value [unit]`` lines; each message starts with
  ``CCSDS_OMM_VERS``; ``COMMENT`` lines and blank lines are skipped;
* **XML**: an ``<ndm>`` of ``<omm>`` messages (or one ``<omm>``), each
  ``body/segment`` holding ``metadata``, ``data/meanElements`` and
  ``data/tleParameters`` (namespaces are ignored);
* **JSON**: a list of objects keyed by OMM keywords (or a single object); values may
  be numbers or strings (Space-Track sends strings);
* **CSV**: a header row of OMM keywords, one record per row.

Every record becomes an :class:`~spacepool.orbits.elements.ElementSet` through
:meth:`ElementSet.from_omm_dict`, which validates each field; errors are
:class:`~spacepool.errors.OMMFormatError` naming file, record, keyword, expected,
found and the line when the encoding has lines (KVN, CSV, JSON syntax errors).

:func:`load_elements` reads any supported file, TLE included, choosing the reader
from the content (never from the file name).
"""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from spacepool.errors import ElementSetError, OMMFormatError
from spacepool.orbits.elements import ElementSet, ParseResult
from spacepool.orbits.tle import decode_text, parse_tle

__all__ = ["load_elements", "parse_omm", "sniff_format"]

OMMEncoding = Literal["kvn", "xml", "json", "csv"]
ElementFormat = Literal["tle", "kvn", "xml", "json", "csv"]

# Keywords without which SGP4 cannot start (CCSDS 502.0-B-3 table 4-3 mean elements
# plus the catalogue number SGP4 carries); the others default as in a TLE.
REQUIRED_KEYWORDS = (
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "NORAD_CAT_ID",
)


class _Collector:
    """Strict: raise the first problem. Lenient: keep it and carry on."""

    def __init__(self, lenient: bool) -> None:
        self.lenient = lenient
        self.elements: list[ElementSet] = []
        self.problems: list[ElementSetError] = []

    def problem(self, exc: ElementSetError) -> None:
        if not self.lenient:
            raise exc
        self.problems.append(exc)

    def record(
        self,
        fields: Mapping[str, object],
        *,
        origin: str,
        source: str,
        record: int,
        line: int | None = None,
        field_lines: Mapping[str, int] | None = None,
    ) -> None:
        try:
            self.elements.append(
                ElementSet.from_omm_dict(
                    fields,
                    origin=origin,
                    source=source,
                    record=record,
                    line=line,
                    field_lines=field_lines,
                )
            )
        except OMMFormatError as exc:
            self.problem(exc)

    def result(self) -> ParseResult:
        return ParseResult(tuple(self.elements), tuple(self.problems))


# --- KVN -------------------------------------------------------------------------------

_KVN_LINE = re.compile(r"([A-Z][A-Z0-9_]*)\s*=\s*(.*?)\s*(?:\[[^\]]*\])?\s*")
_KVN_BLOCK_MARK = re.compile(r"[A-Z_]+_(?:START|STOP)")


def _parse_kvn(text: str, source: str, origin: str, out: _Collector) -> None:
    record = 0
    fields: dict[str, str] = {}
    field_lines: dict[str, int] = {}
    start_line = 0
    broken = False  # the current record already produced its (one) problem

    def finish() -> None:
        if record and not broken:
            out.record(
                fields,
                origin=origin,
                source=source,
                record=record,
                line=start_line,
                field_lines=dict(field_lines),
            )

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("COMMENT") or _KVN_BLOCK_MARK.fullmatch(line):
            continue
        match = _KVN_LINE.fullmatch(line)
        if match is None:
            if not broken:
                out.problem(
                    OMMFormatError(
                        source=source,
                        record=max(record, 1),
                        field=None,
                        expected="KEYWORD = value",
                        found=repr(line),
                        line=number,
                    )
                )
                broken = True
            continue
        key, value = match.groups()
        if key == "CCSDS_OMM_VERS":
            finish()
            record += 1
            fields, field_lines, start_line, broken = {}, {}, number, False
            continue
        if record == 0:
            out.problem(
                OMMFormatError(
                    source=source,
                    record=1,
                    field=key,
                    expected="CCSDS_OMM_VERS = <version> as the first keyword",
                    found=repr(line),
                    line=number,
                )
            )
            record, start_line, broken = 1, number, True
            continue
        if key in fields and not broken:
            out.problem(
                OMMFormatError(
                    source=source,
                    record=record,
                    field=key,
                    expected=f"one {key} per message (a new message starts with CCSDS_OMM_VERS)",
                    found=f"a second {key} (first on line {field_lines[key]})",
                    line=number,
                )
            )
            broken = True
        fields[key] = value
        field_lines.setdefault(key, number)
    finish()
    if record == 0:
        out.problem(
            OMMFormatError(
                source=source,
                record=1,
                field=None,
                expected="at least one OMM message (CCSDS_OMM_VERS = ...)",
                found="none",
                line=None,
            )
        )


# --- XML -------------------------------------------------------------------------------


_XML_POSITION = re.compile(r": line \d+, column \d+$")


def _local(tag: str) -> str:
    """Tag without its ``{namespace}``."""
    return tag.rsplit("}", 1)[-1]


def _parse_xml(text: str, source: str, origin: str, out: _Collector) -> None:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        line, column = exc.position
        before = "\n".join(text.splitlines()[: line - 1])
        out.problem(
            OMMFormatError(
                source=source,
                record=max(1, before.count("<segment")),
                field=None,
                expected="well-formed XML",
                found=f"{_XML_POSITION.sub('', str(exc))} (column {column + 1})",
                line=line,
            )
        )
        return
    segments = [element for element in root.iter() if _local(element.tag) == "segment"]
    if not segments:
        out.problem(
            OMMFormatError(
                source=source,
                record=1,
                field=None,
                expected="<omm> messages with body/segment elements",
                found=f"<{_local(root.tag)}> without any <segment>",
            )
        )
        return
    for record, segment in enumerate(segments, start=1):
        fields: dict[str, object] = {}
        found_parts = set()
        for part in segment.iter():
            name = _local(part.tag)
            if name in ("metadata", "meanElements", "tleParameters"):
                found_parts.add(name)
                for leaf in part:
                    fields[_local(leaf.tag)] = leaf.text or ""
        missing = [p for p in ("metadata", "meanElements") if p not in found_parts]
        if missing:
            out.problem(
                OMMFormatError(
                    source=source,
                    record=record,
                    field=None,
                    expected="<metadata> and <data><meanElements> in the segment",
                    found=f"no <{missing[0]}>",
                )
            )
            continue
        out.record(fields, origin=origin, source=source, record=record)


# --- JSON ------------------------------------------------------------------------------


def _parse_json(text: str, source: str, origin: str, out: _Collector) -> None:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        out.problem(
            OMMFormatError(
                source=source,
                # CelesTrak's objects are flat, so counting braces counts records.
                record=max(1, text[: exc.pos].count("{")),
                field=None,
                expected="valid JSON",
                found=f"{exc.msg} (column {exc.colno})",
                line=exc.lineno,
            )
        )
        return
    records = [document] if isinstance(document, dict) else document
    if not isinstance(records, list):
        out.problem(
            OMMFormatError(
                source=source,
                record=1,
                field=None,
                expected="a JSON list of OMM objects",
                found=f"a JSON {type(document).__name__}",
            )
        )
        return
    if not records:
        out.problem(
            OMMFormatError(
                source=source,
                record=1,
                field=None,
                expected="at least one OMM object",
                found="an empty list",
            )
        )
    for record, item in enumerate(records, start=1):
        if not isinstance(item, dict):
            out.problem(
                OMMFormatError(
                    source=source,
                    record=record,
                    field=None,
                    expected="a JSON object of OMM keywords",
                    found=f"a JSON {type(item).__name__}",
                )
            )
            continue
        out.record(item, origin=origin, source=source, record=record)


# --- CSV -------------------------------------------------------------------------------


def _parse_csv(text: str, source: str, origin: str, out: _Collector) -> None:
    reader = csv.reader(text.splitlines())
    header: list[str] | None = None
    record = 0
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip().upper() for cell in row]
            missing = [key for key in REQUIRED_KEYWORDS if key not in header]
            if missing:
                out.problem(
                    OMMFormatError(
                        source=source,
                        record=1,
                        field=missing[0],
                        expected=f"a header row with the columns {', '.join(REQUIRED_KEYWORDS)}",
                        found=f"no {missing[0]} column",
                        line=reader.line_num,
                    )
                )
                return
            continue
        record += 1
        if len(row) != len(header):
            out.problem(
                OMMFormatError(
                    source=source,
                    record=record,
                    field=None,
                    expected=f"{len(header)} comma-separated values as in the header",
                    found=f"{len(row)} values",
                    line=reader.line_num,
                )
            )
            continue
        out.record(
            dict(zip(header, row, strict=True)),
            origin=origin,
            source=source,
            record=record,
            line=reader.line_num,
        )
    if record == 0:
        out.problem(
            OMMFormatError(
                source=source,
                record=1,
                field=None,
                expected="a header row and at least one record",
                found="no records" if header else "an empty file",
            )
        )


_READERS = {"kvn": _parse_kvn, "xml": _parse_xml, "json": _parse_json, "csv": _parse_csv}


def parse_omm(
    text: str,
    *,
    source: str = "<string>",
    lenient: bool = False,
    encoding: OMMEncoding | None = None,
    origin: str = "omm",
) -> ParseResult:
    """Parse OMM text in KVN, XML, JSON or CSV into element sets.

    ``encoding`` picks the reader; ``None`` sniffs it from the content. Strict
    (default): the first bad record raises :class:`~spacepool.errors.OMMFormatError`.
    ``lenient=True``: bad records are skipped and listed in ``problems``. ``origin``
    is stored as :attr:`ElementSet.source`.
    """
    if encoding is None:
        sniffed = sniff_format(text)
        if sniffed == "tle":
            raise OMMFormatError(
                source=source,
                record=1,
                field=None,
                expected="OMM in KVN, XML, JSON or CSV",
                found="text that is none of them (a TLE? use load_elements)",
            )
        encoding = sniffed
    out = _Collector(lenient)
    _READERS[encoding](text.removeprefix("\ufeff"), source, origin, out)
    return out.result()


def sniff_format(text: str) -> ElementFormat:
    """Which element format ``text`` is, judged from its first non-blank content."""
    body = text.lstrip("\ufeff \t\r\n")
    if body.startswith("<"):
        return "xml"
    if body.startswith(("[", "{")):
        return "json"
    first_line = body.split("\n", 1)[0].strip()
    if first_line.startswith(("CCSDS_OMM_VERS", "COMMENT")) or re.match(
        r"[A-Z][A-Z0-9_]*\s*=", first_line
    ):
        return "kvn"
    header = first_line.upper()
    if "," in header and ("NORAD_CAT_ID" in header or "OBJECT_NAME" in header):
        return "csv"
    return "tle"


def load_elements(path: str | Path, *, lenient: bool = False) -> ParseResult:
    """Read element sets from a TLE, KVN, XML, JSON or CSV file, sniffing the format.

    Errors name the file by its path as given. Strict by default; ``lenient=True``
    loads the good records and reports the bad ones (see :class:`ParseResult`).
    """
    path = Path(path)
    text = decode_text(path.read_bytes())
    kind = sniff_format(text)
    if kind == "tle":
        return parse_tle(text, source=str(path), lenient=lenient)
    return parse_omm(text, source=str(path), lenient=lenient, encoding=kind)
