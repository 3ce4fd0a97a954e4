"""TLE reading: accepted layouts, values, errors with line and column, round trips."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sgp4.api import Satrec
from sgp4.io import compute_checksum

from spacepool.errors import TLEFormatError
from spacepool.orbits.elements import ElementSet, tle_checksum
from spacepool.orbits.tle import (
    LINE1_EXACT,
    LINE1_FIELDS,
    LINE2_EXACT,
    LINE2_FIELDS,
    dump_tle,
    load_tle,
    parse_tle,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "elements"

# The ISS element set printed in CelesTrak's TLE format documentation and many texts.
ISS_NAME = "ISS (ZARYA)"
ISS_1 = "1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927"
ISS_2 = "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537"
# Vanguard 1 as CelesTrak served it on 2020-10-13 (quoted in sgp4's documentation).
VANGUARD_1 = "1 00005U 58002B   20287.20333880 -.00000016  00000-0 -22483-4 0  9998"
VANGUARD_2 = "2 00005  34.2443 225.5254 1845686 162.2516 205.2356 10.84869164218149"


def fixed(line: str) -> str:
    """``line`` with its checksum recomputed by sgp4 (an independent implementation)."""
    return line[:68] + str(compute_checksum(line))


def replace_at(line: str, column: int, text: str) -> str:
    """Overwrite ``line`` from 1-based ``column`` with ``text``."""
    return line[: column - 1] + text + line[column - 1 + len(text) :]


# --- accepted layouts -----------------------------------------------------------------


def test_three_line_record_gives_named_element_set_with_exact_epoch() -> None:
    (iss,) = parse_tle(f"{ISS_NAME}\n{ISS_1}\n{ISS_2}\n").elements
    assert iss.name == "ISS (ZARYA)"
    assert iss.norad_id == 25544
    assert iss.label == "ISS (ZARYA) (25544)"
    # Day 264 of leap year 2008 is 20 September (31+29+31+30+31+30+31+31 = 244 days
    # before it); 0.51782528 day = 44740.104192 s = 12:25:40.104192.
    assert iss.epoch == datetime(2008, 9, 20, 12, 25, 40, 104192, tzinfo=UTC)
    assert iss.international_designator == "1998-067A"
    assert iss.classification == "U"
    assert iss.mean_motion_rev_per_day == 15.72125391
    assert iss.eccentricity == 0.0006703
    assert iss.inclination_deg == 51.6416
    assert iss.raan_deg == 247.4627
    assert iss.arg_perigee_deg == 130.5360
    assert iss.mean_anomaly_deg == 325.0288
    assert iss.mean_motion_dot == -0.00002182
    assert iss.mean_motion_ddot == 0.0
    assert iss.bstar == -0.11606e-4
    assert iss.element_set_no == 292
    assert iss.rev_at_epoch == 56353
    assert iss.source == "tle"
    assert (iss.line1, iss.line2) == (ISS_1, ISS_2)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (f"{ISS_1}\n{ISS_2}\n{VANGUARD_1}\n{VANGUARD_2}\n", "2-line records"),
        (f"{ISS_NAME}\n{ISS_1}\n{ISS_2}\nVANGUARD 1\n{VANGUARD_1}\n{VANGUARD_2}", "3-line"),
        (f"0 {ISS_NAME}\n{ISS_1}\n{ISS_2}\n0 VANGUARD 1\n{VANGUARD_1}\n{VANGUARD_2}", "3LE"),
        (
            f"{ISS_NAME:<24}\r\n{ISS_1}\r\n{ISS_2}\r\nVANGUARD 1\r\n{VANGUARD_1}\r\n{VANGUARD_2}\r\n",
            "CRLF",
        ),
        (f"{ISS_NAME}\r{ISS_1}\r{ISS_2}\rVANGUARD 1\r{VANGUARD_1}\r{VANGUARD_2}\r", "CR only"),
        (
            f"\n\n{ISS_NAME}  \n{ISS_1}   \n{ISS_2}\t\n\n  \nVANGUARD 1\n{VANGUARD_1}\n{VANGUARD_2}\n\n",
            "blanks",
        ),
        (f"{ISS_1}\n{ISS_2}\nVANGUARD 1\n{VANGUARD_1}\n{VANGUARD_2}", "2- and 3-line mixed"),
        (f"\ufeff{ISS_NAME}\n{ISS_1}\n{ISS_2}\nVANGUARD 1\n{VANGUARD_1}\n{VANGUARD_2}", "BOM"),
    ],
)
def test_accepted_layouts_give_the_same_elements(text: str, reason: str) -> None:
    result = parse_tle(text)
    assert result.ok, reason
    assert [e.norad_id for e in result.elements] == [25544, 5], reason
    assert [(e.line1, e.line2) for e in result.elements] == [
        (ISS_1, ISS_2),
        (VANGUARD_1, VANGUARD_2),
    ], reason
    assert result.elements[1].name in ("VANGUARD 1", ""), reason


def test_two_line_record_has_empty_name_and_numeric_label() -> None:
    (iss,) = parse_tle(f"{ISS_1}\n{ISS_2}").elements
    assert iss.name == ""
    assert iss.label == "25544"


@pytest.mark.parametrize(
    ("epoch_field", "expected"),
    [
        ("57001.00000000", datetime(1957, 1, 1, tzinfo=UTC)),  # first year of the 1900s
        ("99365.50000000", datetime(1999, 12, 31, 12, tzinfo=UTC)),
        ("00001.00000000", datetime(2000, 1, 1, tzinfo=UTC)),
        ("56366.99999999", datetime(2056, 12, 31, 23, 59, 59, 999136, tzinfo=UTC)),  # leap
        ("24060.25000000", datetime(2024, 2, 29, 6, tzinfo=UTC)),
        ("26  1.00000000", datetime(2026, 1, 1, tzinfo=UTC)),  # day padded with spaces
    ],
)
def test_epoch_two_digit_year_and_day_of_year(epoch_field: str, expected: datetime) -> None:
    line1 = fixed(replace_at(ISS_1, 19, epoch_field))
    (element,) = parse_tle(f"{line1}\n{ISS_2}").elements
    assert element.epoch == expected
    assert element.epoch.tzinfo is UTC


def test_values_agree_with_sgp4s_own_reading_of_the_lines() -> None:
    for element in parse_tle((DATA / "sample.tle").read_text()).elements:
        sat = Satrec.twoline2rv(element.line1, element.line2)
        assert element.norad_id == sat.satnum
        assert element.eccentricity == sat.ecco
        assert math.radians(element.inclination_deg) == pytest.approx(sat.inclo, rel=1e-15)
        assert math.radians(element.raan_deg) == pytest.approx(sat.nodeo, rel=1e-15)
        assert element.bstar == pytest.approx(sat.bstar, rel=1e-12)
        assert element.rev_at_epoch == sat.revnum
        assert element.element_set_no == sat.elnum


def test_alpha5_catalogue_numbers_are_read_and_written() -> None:
    base = parse_tle(f"{ISS_1}\n{ISS_2}").elements[0]
    for norad_id, alpha5 in [(100000, "A0000"), (182345, "J2345"), (339999, "Z9999")]:
        line1, line2 = dataclasses.replace(base, norad_id=norad_id).to_tle_lines()
        assert line1[2:7] == alpha5 and line2[2:7] == alpha5
        (parsed,) = parse_tle(f"{line1}\n{line2}").elements
        assert parsed.norad_id == norad_id
        assert Satrec.twoline2rv(line1, line2).satnum == norad_id


def test_geo_and_molniya_records_are_deep_space() -> None:
    by_name = {e.name: e for e in load_tle(DATA / "sample.tle").elements}
    assert by_name["MOLNIYA 2-14"].eccentricity == 0.6877146
    assert by_name["MOLNIYA 2-14"].is_deep_space
    assert by_name["XM-3"].is_deep_space  # geostationary, 1.0027 rev/day
    assert not by_name["ISS (ZARYA)"].is_deep_space
    for element in by_name.values():
        # sgp4 chose SDP4 ('d') exactly for the deep-space ones.
        assert (element.satrec().method == "d") == element.is_deep_space


def test_load_tle_names_the_file_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.tle"
    path.write_text(f"{ISS_NAME}\n{ISS_1[:-1]}8\n{ISS_2}\n")
    with pytest.raises(TLEFormatError) as caught:
        load_tle(path)
    assert caught.value.source == str(path)
    assert (caught.value.line, caught.value.column) == (2, 69)


def test_latin1_no_break_space_byte_is_named_with_its_column(tmp_path: Path) -> None:
    path = tmp_path / "latin1.tle"
    line1 = ISS_1[:17] + "\xa0" + ISS_1[18:]
    path.write_bytes(f"{line1}\n{ISS_2}\n".encode("latin-1"))
    with pytest.raises(TLEFormatError) as caught:
        load_tle(path)
    assert (caught.value.line, caught.value.column) == (1, 18)
    assert caught.value.found == "no-break space (U+00A0)"


def test_checksum_matches_sgp4_on_every_sample_line() -> None:
    for line in (DATA / "sample.tle").read_text().splitlines():
        if line[:1] in "12":
            assert tle_checksum(line) == compute_checksum(line) == int(line[68])


def test_checksums_can_be_left_unchecked() -> None:
    bad = ISS_1[:-1] + "0"
    assert parse_tle(f"{bad}\n{ISS_2}", verify_checksums=False).elements[0].norad_id == 25544


# --- bad input ------------------------------------------------------------------------

# Each case: text, then (line, column, a part of "expected", the whole "found"), reason.
L1, L2 = ISS_1, ISS_2
BAD_INPUTS = [
    (f"{L1[:-1]}8\n{L2}", (1, 69, "checksum 7", "'8'"), "checksum of line 1"),
    (f"{L1}\n{L2[:-1]}0", (2, 69, "checksum 7", "'0'"), "checksum of line 2"),
    (f"{L1[:60]}\n{L2}", (1, 61, "69 characters", "60 characters"), "line 1 cut off"),
    (f"{L1}\n{L2[:68]}", (2, 69, "69 characters", "68 characters"), "checksum missing"),
    (f"{L1}\n{L2} 17", (2, 70, "69 characters", "72 characters"), "text after column 69"),
    (
        f"{replace_at(L1, 18, chr(0xA0))}\n{L2}",
        (1, 18, "printable ASCII", "no-break space (U+00A0)"),
        "no-break space pasted from a web page",
    ),
    (f"{replace_at(L1, 9, chr(9))}\n{L2}", (1, 9, "printable ASCII", "tab (U+0009)"), "tab"),
    (
        f"{L1}\n{replace_at(L2, 20, 'é')}",
        (2, 20, "printable ASCII", "latin small letter e with acute (U+00E9)"),
        "non-ASCII letter",
    ),
    (f"{L1}\n{fixed('3' + L2[1:])}", (2, 1, "'2' (the line number", "'3'"), "line number 3"),
    (f"{fixed('2' + L1[1:])}\n{L2}", (1, 1, "'1' (the line number", "'2'"), "line 1 labelled 2"),
    (f"{L2}\n{L1}", (1, 1, "TLE line 1 before line 2", "line 2"), "lines swapped"),
    (
        f"{L1}\n{fixed(replace_at(L2, 3, '25545'))}",
        (2, 3, "satellite number 25544 as on line 1 (line 1)", "'25545'"),
        "NORAD ids differ",
    ),
    (
        f"{L1}\n{fixed(replace_at(L2, 27, '.006703'))}",
        (2, 27, "the eccentricity as 7 digits", "'.'"),
        "eccentricity written with its decimal point",
    ),
    (
        f"{L1}\n{fixed(L2[:26] + L2[27:33] + L2[33:68] + '0')}",
        (2, 33, "the eccentricity as 7 digits", "a space"),
        "eccentricity one digit short: the columns shift",
    ),
    (
        f"{L1}\n{fixed(replace_at(L2, 14, 'I'))}",
        (2, 14, "the inclination as NNN.NNNN degrees", "'I'"),
        "letter in the inclination",
    ),
    (
        f"{L1}\n{fixed(replace_at(L2, 54, 'O'))}",
        (2, 54, "the mean motion", "'O'"),
        "letter O for a zero in the mean motion",
    ),
    (
        f"{fixed(replace_at(L1, 58, '.'))}\n{L2}",
        (1, 58, "the drag term BSTAR", "'.'"),
        "decimal point inside BSTAR",
    ),
    (
        f"{fixed(replace_at(L1, 8, 'X'))}\n{L2}",
        (1, 8, "the classification U, C or S", "'X'"),
        "unknown classification",
    ),
    (
        f"{fixed(replace_at(L1, 3, 'I5544'))}\n{fixed(replace_at(L2, 3, 'I5544'))}",
        (1, 3, "Alpha-5", "'I'"),
        "Alpha-5 never uses I (it looks like 1)",
    ),
    (
        f"{fixed(replace_at(L1, 3, ' 5 44'))}\n{L2}",
        (1, 3, "the satellite number", "' 5 44'"),
        "space inside the satellite number",
    ),
    (
        f"{L1}\n{fixed(L2[:40] + ' ' + L2[40:67])}",
        (2, 41, "the argument of perigee", "a space"),
        "character inserted: columns shift",
    ),
    (
        f"{L1}\n{fixed(replace_at(L2, 9, '190.0000'))}",
        (2, 9, "an inclination from 0 to 180 degrees", "'190.0000'"),
        "inclination out of range",
    ),
    (
        f"{L1}\n{fixed(replace_at(L2, 18, '361.0000'))}",
        (2, 18, "a right ascension of the node from 0 to 360 degrees", "'361.0000'"),
        "node out of range",
    ),
    (
        f"{L1}\n{fixed(replace_at(L2, 53, ' 0.00000000'))}",
        (2, 53, "a mean motion above 0", "'0.00000000'"),
        "zero mean motion",
    ),
    (
        f"{fixed(replace_at(L1, 19, '23366.50000000'))}\n{L2}",
        (1, 21, "a day of year from 1 to 365.99999999 (2023 has 365 days)", "'366.50000000'"),
        "day 366 in a common year",
    ),
    (
        f"{fixed(replace_at(L1, 19, '08000.50000000'))}\n{L2}",
        (1, 21, "a day of year from 1 to 366.99999999 (2008 has 366 days)", "'000.50000000'"),
        "day 0",
    ),
    ("", (1, None, "at least one TLE record", "an empty file"), "empty file"),
    ("\r\n  \r\n", (1, None, "at least one TLE record", "only blank lines"), "blank file"),
    (
        f"{ISS_NAME}\n",
        (1, None, "TLE line 1 after the name line", "the end of the file"),
        "name only",
    ),
    (
        f"{ISS_NAME}\nVANGUARD 1\n{L1}\n{L2}",
        (1, None, "TLE line 1 after the name line", "the name line 'VANGUARD 1'"),
        "two names in a row",
    ),
    (
        f"{ISS_NAME}\n{L1}\n",
        (2, None, "TLE line 2 on the next line", "the end of the file"),
        "no line 2",
    ),
    (
        f"{L1}\n{VANGUARD_1}\n{VANGUARD_2}",
        (1, None, "TLE line 2 on the next line", "line 2 starting another record"),
        "line 2 lost between records",
    ),
]


@pytest.mark.parametrize(
    ("text", "where", "reason"), BAD_INPUTS, ids=[case[2] for case in BAD_INPUTS]
)
def test_bad_input_is_reported_with_line_column_expected_and_found(
    text: str, where: tuple[int, int | None, str, str], reason: str
) -> None:
    line, column, expected, found = where
    with pytest.raises(TLEFormatError) as caught:
        parse_tle(text, source="bad.tle")
    error = caught.value
    assert (error.source, error.line, error.column) == ("bad.tle", line, column), reason
    assert expected in error.expected, reason
    assert error.found == found, reason
    assert error.code == "invalid_tle"


def test_checksum_error_message_in_full() -> None:
    with pytest.raises(TLEFormatError) as caught:
        parse_tle(f"{ISS_NAME}\n{ISS_1[:-1]}8\n{ISS_2}", source="stations.tle")
    assert str(caught.value) == (
        "stations.tle, line 2, column 69: expected checksum 7 (digits summed, '-' counts 1, "
        "modulo 10), found '8'\n"
        "  1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2928\n"
        "                                                                      ^\n"
        "  1 NNNNNC NNNNNAAA NNNNN.NNNNNNNN +.NNNNNNNN +NNNNN-N +NNNNN-N N NNNNN"
        "  (TLE column template)"
    )


def test_no_break_space_message_in_full() -> None:
    line2 = replace_at(ISS_2, 17, "\xa0")
    with pytest.raises(TLEFormatError) as caught:
        parse_tle(f"{ISS_1}\n{line2}", source="paste.txt")
    assert str(caught.value) == (
        "paste.txt, line 2, column 17: expected printable ASCII (TLE lines are plain ASCII), "
        "found no-break space (U+00A0)\n"
        "  2 25544  51.6416\xa0247.4627 0006703 130.5360 325.0288 15.72125391563537\n"
        "                  ^\n"
        "  2 NNNNN NNN.NNNN NNN.NNNN NNNNNNN NNN.NNNN NNN.NNNN NN.NNNNNNNNNNNNNN"
        "  (TLE column template)"
    )


def test_lenient_mode_loads_good_records_and_reports_bad_ones_with_their_lines() -> None:
    good = (DATA / "sample.tle").read_text().splitlines()  # 4 records, 12 lines
    text = "\n".join(
        [
            *good[0:3],  # lines 1-3: ISS
            "BROKEN CHECKSUM",  # line 4
            VANGUARD_1[:-1] + "0",  # line 5 (checksum 8)
            VANGUARD_2,  # line 6
            *good[6:9],  # lines 7-9: MOLNIYA 2-14
            "MISMATCHED",  # line 10
            ISS_1,  # line 11
            fixed(replace_at(ISS_2, 3, "25545")),  # line 12
            *good[9:12],  # lines 13-15: XM-3
        ]
    )
    result = parse_tle(text, source="mixed.tle", lenient=True)
    assert [e.name for e in result.elements] == ["ISS (ZARYA)", "MOLNIYA 2-14", "XM-3"]
    assert [(p.line, p.column) for p in result.problems] == [(5, 69), (12, 3)]
    assert not result.ok
    with pytest.raises(TLEFormatError) as caught:
        parse_tle(text, source="mixed.tle")
    assert caught.value.line == 5


def test_lenient_mode_on_an_empty_file_reports_it() -> None:
    result = parse_tle("", lenient=True)
    assert result.elements == ()
    assert [p.expected for p in result.problems] == ["at least one TLE record"]


# --- the fast line check and the field table agree --------------------------------------


def _field_table_accepts(line: str, fields: tuple) -> bool:  # type: ignore[type-arg]
    if len(line) != 69 or not line.isascii() or not line.isprintable():
        return False
    return all(f.pattern.fullmatch(line[f.first - 1 : f.last]) for f in fields)


@settings(max_examples=400, deadline=None)
@given(
    which=st.sampled_from([1, 2]),
    edits=st.lists(
        st.tuples(st.integers(1, 69), st.sampled_from(list("0123456789 .+-AIOUXZ\xa0\t"))),
        max_size=3,
    ),
)
def test_exact_line_regex_accepts_exactly_what_the_field_table_accepts(
    which: int, edits: list[tuple[int, str]]
) -> None:
    line = ISS_1 if which == 1 else ISS_2
    for column, char in edits:
        line = replace_at(line, column, char)
    exact, fields = (LINE1_EXACT, LINE1_FIELDS) if which == 1 else (LINE2_EXACT, LINE2_FIELDS)
    assert (exact.fullmatch(line) is not None) == _field_table_accepts(line, fields)


# --- writing --------------------------------------------------------------------------


def test_to_tle_lines_reproduces_the_original_lines() -> None:
    # Older element sets write a zero exponent field as " 00000-0"; CelesTrak now
    # writes " 00000+0", and so does to_tle_lines (the real-data test checks 27,000
    # current CelesTrak records character for character).
    for element in load_tle(DATA / "sample.tle").elements:
        assert element.line1 is not None and element.line2 is not None
        modern = fixed(element.line1.replace(" 00000-0", " 00000+0"))
        assert element.to_tle_lines() == (modern, element.line2)


def test_elements_survive_tle_lines_and_parse() -> None:
    original = load_tle(DATA / "sample.tle").elements
    again = parse_tle(dump_tle(original)).elements
    assert again == original  # dataclass equality: every field, lines excluded
    assert [e.name for e in again] == [e.name for e in original]


def test_to_tle_lines_rounds_the_epoch_to_the_nearest_1e8_day() -> None:
    base = parse_tle(f"{ISS_1}\n{ISS_2}").elements[0]
    shifted = dataclasses.replace(base, epoch=base.epoch + timedelta(microseconds=431))
    assert shifted.to_tle_lines()[0][18:32] == "08264.51782528"  # 431 us < half of 864 us
    shifted = dataclasses.replace(base, epoch=base.epoch + timedelta(microseconds=433))
    assert shifted.to_tle_lines()[0][18:32] == "08264.51782529"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"norad_id": 340000}, "beyond Alpha-5's Z9999"),
        ({"epoch": datetime(2057, 1, 1, tzinfo=UTC)}, "two-digit year would read as 1957"),
        ({"mean_motion_rev_per_day": 100.0}, "mean motion wider than NN.NNNNNNNN"),
        ({"mean_motion_dot": 1.5}, "first derivative must be below 1"),
        ({"bstar": 2e9}, "exponent above 9"),
        ({"eccentricity": 1.0}, "eccentricity must be below 1"),
    ],
)
def test_to_tle_lines_refuses_values_a_tle_cannot_hold(
    change: dict[str, object], reason: str
) -> None:
    base = parse_tle(f"{ISS_1}\n{ISS_2}").elements[0]
    with pytest.raises(ValueError):
        dataclasses.replace(base, **change).to_tle_lines()  # type: ignore[arg-type]


def test_element_set_built_in_code_round_trips_through_tle() -> None:
    element = ElementSet(
        name="SENTINEL-2C",
        norad_id=60989,
        # 0.44517504 day = 44517504 x 864 us = 38463.123456 s after midnight.
        epoch=datetime(2026, 5, 30, 10, 41, 3, 123456, tzinfo=UTC),
        mean_motion_rev_per_day=14.30818153,
        eccentricity=0.0001139,
        inclination_deg=98.5682,
        raan_deg=224.0013,
        arg_perigee_deg=92.4471,
        mean_anomaly_deg=267.6841,
        bstar=0.00012345,
        mean_motion_dot=0.00000123,
        mean_motion_ddot=-0.12345e-7,
        international_designator="2024-157A",
        element_set_no=999,
        rev_at_epoch=9876,
    )
    line1, line2 = element.to_tle_lines()
    assert line1 == fixed("1 60989U 24157A   26150.44517504  .00000123 -12345-7  12345-3 0  999")
    assert line2 == fixed("2 60989  98.5682 224.0013 0001139  92.4471 267.6841 14.30818153 9876")
    assert parse_tle(f"SENTINEL-2C\n{line1}\n{line2}").elements == (element,)


def test_name_line_without_tle_lines_message_in_full() -> None:
    with pytest.raises(TLEFormatError) as caught:
        parse_tle("ISS (ZARYA)\n", source="one.tle")
    # No column template under a name line: it would point at nothing.
    assert str(caught.value) == (
        "one.tle, line 1: expected TLE line 1 after the name line, found the end of the file\n"
        "  ISS (ZARYA)"
    )
