"""CCSDS OMM in KVN, XML, JSON and CSV; format sniffing; agreement with sgp4.omm.

The sample files in tests/data/elements hold the same four satellites as
``sample.tle`` (ISS, Vanguard 1, a Molniya and a geostationary satellite), written
the way CelesTrak writes each format (CSV and XML with CelesTrak's number spelling,
e.g. ``.0006703`` and ``-.11606E-4``; KVN with units in brackets).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from sgp4 import omm as sgp4_omm
from sgp4.api import Satrec

from spacepool.errors import OMMFormatError, TLEFormatError
from spacepool.orbits.elements import ElementSet
from spacepool.orbits.omm import load_elements, parse_omm, sniff_format
from spacepool.orbits.tle import load_tle

DATA = Path(__file__).resolve().parents[1] / "data" / "elements"
FORMATS = ["kvn", "xml", "json", "csv"]
MINUTES = [0.0, 90.0, 720.0, 1440.0, 4320.0]


def as_source(elements: tuple[ElementSet, ...], source: str) -> list[ElementSet]:
    return [dataclasses.replace(e, source=source) for e in elements]


def sgp4_fields(encoding: str) -> list[dict[str, Any]]:
    """The records as sgp4's own OMM readers see them."""
    text = (DATA / f"sample.{encoding}").read_text()
    if encoding == "xml":
        return list(sgp4_omm.parse_xml(StringIO(text)))
    if encoding == "csv":
        return list(sgp4_omm.parse_csv(StringIO(text)))
    if encoding == "json":
        return list(json.loads(text))
    raise AssertionError(encoding)


def assert_satrecs_identical(ours: Satrec, theirs: Satrec) -> None:
    """Every public attribute equal, as sgp4's tests compare two records."""
    for name in dir(theirs):
        if name.startswith("_"):
            continue
        value = getattr(theirs, name, None)
        if value is None or callable(value):
            continue
        assert getattr(ours, name) == value, name


@pytest.mark.parametrize("encoding", FORMATS)
def test_each_omm_encoding_gives_the_elements_of_the_tle_file(encoding: str) -> None:
    from_tle = load_tle(DATA / "sample.tle").elements
    result = load_elements(DATA / f"sample.{encoding}")
    assert result.ok
    assert [e.source for e in result.elements] == ["omm"] * 4
    # Field for field (epoch to the microsecond, floats bit for bit); only the source
    # and the kept TLE lines differ.
    assert list(result.elements) == as_source(from_tle, "omm")
    assert all(e.line1 is None for e in result.elements)


@pytest.mark.parametrize("encoding", ["xml", "json", "csv"])
def test_omm_satrec_is_identical_to_sgp4_omm_initialize(encoding: str) -> None:
    ours = parse_omm((DATA / f"sample.{encoding}").read_text(), encoding=encoding).elements  # type: ignore[arg-type]
    for element, fields in zip(ours, sgp4_fields(encoding), strict=True):
        theirs = Satrec()
        sgp4_omm.initialize(theirs, fields)
        mine = element.satrec()
        assert_satrecs_identical(mine, theirs)
        for minutes in MINUTES:
            assert mine.sgp4_tsince(minutes) == theirs.sgp4_tsince(minutes)


def test_omm_and_tle_records_of_one_satellite_propagate_alike() -> None:
    # OMM goes through sgp4init with an epoch from a datetime, TLE through
    # twoline2rv's own day-of-year arithmetic: the epochs differ by float rounding only.
    one_mm_km = 1e-6
    from_tle = load_tle(DATA / "sample.tle").elements
    from_omm = load_elements(DATA / "sample.json").elements
    for a, b in zip(from_tle, from_omm, strict=True):
        sat_a, sat_b = a.satrec(), b.satrec()
        for minutes in MINUTES:
            _, ra, _ = sat_a.sgp4_tsince(minutes)
            _, rb, _ = sat_b.sgp4_tsince(minutes)
            assert max(abs(x - y) for x, y in zip(ra, rb, strict=True)) < one_mm_km


def test_json_round_trip_of_element_sets() -> None:
    for element in load_tle(DATA / "sample.tle").elements:
        text = json.dumps(element.to_omm_dict())
        again = ElementSet.from_omm_dict(json.loads(text), origin=element.source)
        assert again == element


def test_to_omm_dict_has_celestraks_json_keys_and_types() -> None:
    iss = load_tle(DATA / "sample.tle").elements[0]
    assert iss.to_omm_dict() == json.loads((DATA / "sample.json").read_text())[0]


def test_space_track_json_with_string_values_and_extra_keys() -> None:
    record = {
        "CCSDS_OMM_VERS": "3.0",
        "COMMENT": "GENERATED VIA SPACE-TRACK.ORG API",
        "CREATION_DATE": "2008-09-20T18:00:00",
        "ORIGINATOR": "18 SPCS",
        "OBJECT_NAME": "ISS (ZARYA)",
        "OBJECT_ID": "1998-067A",
        "CENTER_NAME": "EARTH",
        "REF_FRAME": "TEME",
        "TIME_SYSTEM": "UTC",
        "MEAN_ELEMENT_THEORY": "SGP4",
        "EPOCH": "2008-09-20T12:25:40.104192",
        "MEAN_MOTION": "15.72125391",
        "ECCENTRICITY": "0.00067030",
        "INCLINATION": "51.6416",
        "RA_OF_ASC_NODE": "247.4627",
        "ARG_OF_PERICENTER": "130.5360",
        "MEAN_ANOMALY": "325.0288",
        "EPHEMERIS_TYPE": "0",
        "CLASSIFICATION_TYPE": "U",
        "NORAD_CAT_ID": "25544",
        "ELEMENT_SET_NO": "292",
        "REV_AT_EPOCH": "56353",
        "BSTAR": "-0.00001160600000",
        "MEAN_MOTION_DOT": "-0.00002182",
        "MEAN_MOTION_DDOT": "0.0000000000000",
        "SEMIMAJOR_AXIS": "6724.529",
        "DECAY_DATE": None,
        "TLE_LINE0": "0 ISS (ZARYA)",
    }
    (element,) = parse_omm(json.dumps([record]), origin="space-track").elements
    expected = load_tle(DATA / "sample.tle").elements[0]
    assert element == dataclasses.replace(expected, source="space-track")


def test_day_of_year_epoch_and_trailing_z_are_accepted() -> None:
    fields = load_tle(DATA / "sample.tle").elements[0].to_omm_dict()
    fields["EPOCH"] = "2008-264T12:25:40.104192Z"
    element = ElementSet.from_omm_dict(fields)
    assert element.epoch == datetime(2008, 9, 20, 12, 25, 40, 104192, tzinfo=UTC)


def test_analyst_object_without_name_or_designator() -> None:
    fields = load_tle(DATA / "sample.tle").elements[0].to_omm_dict()
    fields.update(OBJECT_NAME="", OBJECT_ID="", NORAD_CAT_ID=81234)
    element = ElementSet.from_omm_dict(fields)
    assert (element.name, element.international_designator, element.label) == ("", "", "81234")
    assert element.to_tle_lines()[0][9:17] == " " * 8


# --- sniffing -------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", [*FORMATS, "tle"])
def test_format_is_sniffed_from_content_not_file_name(encoding: str, tmp_path: Path) -> None:
    text = (DATA / f"sample.{encoding}").read_text()
    assert sniff_format(text) == encoding
    disguised = tmp_path / "elements.txt"
    disguised.write_text(text)
    assert [e.norad_id for e in load_elements(disguised).elements] == [25544, 5, 8195, 28626]


def test_parse_omm_refuses_tle_text_with_a_hint() -> None:
    with pytest.raises(OMMFormatError) as caught:
        parse_omm((DATA / "sample.tle").read_text(), source="x.txt")
    assert str(caught.value) == (
        "x.txt, record 1: expected OMM in KVN, XML, JSON or CSV, "
        "found text that is none of them (a TLE? use load_elements)"
    )


def test_load_elements_on_an_empty_file_reports_it(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("")
    with pytest.raises(TLEFormatError) as caught:
        load_elements(path)
    assert caught.value.found == "an empty file"


# --- bad input ------------------------------------------------------------------------

KVN = (DATA / "sample.kvn").read_text()
JSON_TEXT = (DATA / "sample.json").read_text()
CSV_TEXT = (DATA / "sample.csv").read_text()
XML_TEXT = (DATA / "sample.xml").read_text()


def json_with(index: int, **changes: object) -> str:
    records = json.loads(JSON_TEXT)
    for key, value in changes.items():
        if value is ...:
            del records[index][key]
        else:
            records[index][key] = value
    return json.dumps(records)


def kvn_with_line(number: int, line: str) -> str:
    """The sample KVN with ``line`` inserted as line ``number``."""
    lines = KVN.split("\n")
    lines.insert(number - 1, line)
    return "\n".join(lines)


# text, (record, field, a part of expected, found, line), reason
BAD_OMM = [
    (
        json_with(1, EPOCH=...),
        (2, "EPOCH", "a value", "nothing (keyword missing)", None),
        "no epoch",
    ),
    (json_with(0, ECCENTRICITY="abc"), (1, "ECCENTRICITY", "a number", "'abc'", None), "text"),
    (json_with(0, ECCENTRICITY=1.2), (1, "ECCENTRICITY", "0 <= e < 1", "1.2", None), "hyperbolic"),
    (json_with(0, INCLINATION=-1), (1, "INCLINATION", "0 to 180 degrees", "-1", None), "negative"),
    (json_with(0, MEAN_MOTION=0), (1, "MEAN_MOTION", "above 0 rev/day", "0", None), "zero n"),
    (json_with(0, MEAN_MOTION="nan"), (1, "MEAN_MOTION", "a finite number", "'nan'", None), "NaN"),
    (
        json_with(0, NORAD_CAT_ID="25544A"),
        (1, "NORAD_CAT_ID", "an integer", "'25544A'", None),
        "id",
    ),
    (json_with(0, EPOCH="20/09/2008"), (1, "EPOCH", "a UTC time", "'20/09/2008'", None), "date"),
    (
        json_with(0, EPOCH="2008-02-30T00:00:00"),
        (1, "EPOCH", "a UTC time", "'2008-02-30T00:00:00'", None),
        "30 Feb",
    ),
    (json_with(0, EPOCH=None), (1, "EPOCH", "a value", "null", None), "null"),
    (json_with(0, EPHEMERIS_TYPE=4), (1, "EPHEMERIS_TYPE", "0 (SGP4/SDP4", "4", None), "not SGP4"),
    (json_with(0, REF_FRAME="GCRF"), (1, "REF_FRAME", "'TEME'", "'GCRF'", None), "frame"),
    (
        json_with(0, MEAN_ELEMENT_THEORY="DSST"),
        (1, "MEAN_ELEMENT_THEORY", "'SGP4'", "'DSST'", None),
        "theory",
    ),
    (
        json_with(0, CLASSIFICATION_TYPE="X"),
        (1, "CLASSIFICATION_TYPE", "U, C or S", "'X'", None),
        "class",
    ),
    (
        '[{"EPOCH": 1}',
        (1, None, "valid JSON", "Expecting ',' delimiter (column 14)", 1),
        "bad JSON",
    ),
    ('{"a": [1, 2]}', (1, "NORAD_CAT_ID", "a value", "nothing (keyword missing)", None), "not OMM"),
    ("[1, 2]", (1, None, "a JSON object of OMM keywords", "a JSON int", None), "list of numbers"),
    ("[]", (1, None, "at least one OMM object", "an empty list", None), "empty list"),
    (
        KVN.replace("ECCENTRICITY        = 0.1845686", "ECCENTRICITY        = 0.18456.86"),
        (2, "ECCENTRICITY", "a number", "'0.18456.86'", 39),
        "KVN number",
    ),
    (
        KVN.replace("MEAN_ANOMALY        = 205.2356", "MEAN_ANOMALY: 205.2356"),
        (2, None, "KEYWORD = value", "'MEAN_ANOMALY: 205.2356 [deg]'", 43),
        "KVN line without =",
    ),
    (
        "OBJECT_NAME = X\n" + KVN,
        (
            1,
            "OBJECT_NAME",
            "CCSDS_OMM_VERS = <version> as the first keyword",
            "'OBJECT_NAME = X'",
            1,
        ),
        "KVN header missing",
    ),
    (
        kvn_with_line(45, "EPOCH = 2020-10-14T00:00:00"),
        (2, "EPOCH", "one EPOCH per message", "a second EPOCH (first on line 37)", 45),
        "KVN keyword twice",
    ),
    (
        CSV_TEXT.replace("VANGUARD 1,", "VANGUARD 1,,"),
        (2, None, "17 comma-separated values", "18 values", 3),
        "CSV row too long",
    ),
    (
        CSV_TEXT.replace("NORAD_CAT_ID", "CATNR"),
        (1, "NORAD_CAT_ID", "a header row with the columns", "no NORAD_CAT_ID column", 1),
        "CSV header without the id",
    ),
    (
        XML_TEXT.replace("</meanElements>", "</meanElement>", 1),
        (1, None, "well-formed XML", "mismatched tag (column 585)", 4),
        "XML tag mismatch",
    ),
    (
        XML_TEXT.replace("<meanElements>", "<elements>").replace("</meanElements>", "</elements>"),
        (1, None, "<metadata> and <data><meanElements>", "no <meanElements>", None),
        "XML without mean elements",
    ),
]


@pytest.mark.parametrize(("text", "where", "reason"), BAD_OMM, ids=[c[2] for c in BAD_OMM])
def test_bad_omm_is_reported_with_record_field_expected_and_found(
    text: str, where: tuple[int, str | None, str, str, int | None], reason: str
) -> None:
    record, field, expected, found, line = where
    with pytest.raises(OMMFormatError) as caught:
        parse_omm(text, source="gp.omm")
    error = caught.value
    assert (error.source, error.record, error.field) == ("gp.omm", record, field), reason
    assert expected in error.expected, reason
    assert error.found == found, reason
    assert error.line == line, reason
    assert error.code == "invalid_omm"


def test_kvn_error_message_in_full() -> None:
    text = KVN.replace("ECCENTRICITY        = 0.1845686", "ECCENTRICITY        = 1.1845686")
    with pytest.raises(OMMFormatError) as caught:
        parse_omm(text, source="vanguard.kvn")
    assert str(caught.value) == (
        "vanguard.kvn, record 2 (line 39), field ECCENTRICITY: expected 0 <= e < 1, found 1.1845686"
    )


def test_missing_field_message_in_full() -> None:
    with pytest.raises(OMMFormatError) as caught:
        parse_omm(json_with(2, MEAN_MOTION=...), source="gp.json")
    assert str(caught.value) == (
        "gp.json, record 3, field MEAN_MOTION: expected a value, found nothing (keyword missing)"
    )


def test_lenient_mode_loads_good_records_and_reports_bad_ones() -> None:
    records = json.loads(JSON_TEXT)
    records[1]["ECCENTRICITY"] = 1.5
    records[3]["EPOCH"] = "yesterday"
    result = parse_omm(json.dumps(records), source="gp.json", lenient=True)
    assert [e.norad_id for e in result.elements] == [25544, 8195]
    assert [(p.record, p.field) for p in result.problems] == [
        (2, "ECCENTRICITY"),
        (4, "EPOCH"),
    ]


def test_lenient_kvn_skips_a_broken_message_and_keeps_the_rest() -> None:
    text = KVN.replace("MEAN_ANOMALY        = 205.2356", "MEAN_ANOMALY: 205.2356")
    result = parse_omm(text, lenient=True)
    assert [e.norad_id for e in result.elements] == [25544, 8195, 28626]
    assert [(p.record, p.line) for p in result.problems] == [(2, 43)]


def test_lenient_csv_reports_rows_with_their_lines() -> None:
    text = CSV_TEXT.replace(
        "MOLNIYA 2-14,1975-081A,2006-06-25", "MOLNIYA 2-14,1975-081A,2006-13-25"
    )
    result = parse_omm(text, lenient=True)
    assert [e.norad_id for e in result.elements] == [25544, 5, 28626]
    assert [(p.record, p.field, p.line) for p in result.problems] == [(3, "EPOCH", 4)]
