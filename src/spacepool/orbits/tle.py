"""Reading two-line element sets (TLE), with errors that name line and column.

Accepted: 2-line records, 3-line records (a name line before line 1, optionally
written ``0 NAME`` as Space-Track's 3LE does), both mixed in one file; LF or CRLF line
ends; trailing whitespace; blank lines. Every data line is checked against the TLE
format of Spacetrack Report #3 (Hoots & Roehrich 1980, appendix) as CelesTrak
documents it ("FAQs: Two-Line Element Set Format"):

1. printable ASCII only (a no-break space or a tab is named, with its column);
2. the fixed column layout, field by field (spaces between fields, digits and
   decimal points where the format has them, Alpha-5 satellite numbers allowed);
3. 69 characters after trailing whitespace is removed;
4. the checksum in column 69 (digits summed, ``-`` counts 1, modulo 10);
5. value ranges (inclination 0-180 degrees, other angles 0-360, mean motion above
   zero, epoch day from 1 to the length of the year) and the same satellite number
   on both lines.

Each failure is one :class:`~spacepool.errors.TLEFormatError` giving the file, the
1-based line in the file, the 1-based column, what was expected and what was found.
Strict mode raises the first; lenient mode skips the bad record, reports it in
:attr:`ParseResult.problems` and goes on.

Numbers are read from the validated columns here (a few string slices per field);
the ``sgp4`` record is still built from the original two lines
(:meth:`ElementSet.satrec`), so propagation is exactly ``sgp4``'s.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sgp4.alpha5 import from_alpha5

from spacepool.errors import ElementSetError, TLEFormatError
from spacepool.orbits.elements import ElementSet, ParseResult, cospar_designator, tle_checksum

__all__ = ["dump_tle", "load_tle", "parse_tle"]

TLE_LINE_LENGTH = 69


# Column classes, one letter per column, used to point at the first bad column:
_CLASSES = {
    "N": frozenset("0123456789"),  # a digit
    "n": frozenset("0123456789 "),  # a digit or a leading blank
    "A": frozenset("0123456789 ABCDEFGHJKLMNPQRSTUVWXYZ"),  # Alpha-5: no I, no O
    "L": frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ "),  # launch piece letters
    "C": frozenset("UCS "),  # classification
    "S": frozenset(" +-"),  # sign of a number
    "E": frozenset("+-"),  # sign of an exponent
    ".": frozenset("."),
    " ": frozenset(" "),
    "1": frozenset("1"),
    "2": frozenset("2"),
}


@dataclass(frozen=True)
class _Field:
    """Columns ``first``..``last`` (1-based, inclusive) of a TLE line.

    ``columns`` has one class letter (see ``_CLASSES``) per column; ``pattern`` is the
    whole field (it also rejects, say, a space between two digits).
    """

    first: int
    last: int
    pattern: re.Pattern[str]
    columns: tuple[frozenset[str], ...]
    expected: str


def _field(first: int, columns: str, pattern: str, expected: str) -> _Field:
    last = first + len(columns) - 1
    classes = tuple(_CLASSES[letter] for letter in columns)
    return _Field(first, last, re.compile(pattern), classes, expected)


def _space(column: int) -> _Field:
    return _field(column, " ", " ", "a space")


_SATNUM = r"[A-HJ-NP-Z0-9]\d{4}| {1,4}\d+"
_SATNUM_TEXT = "the satellite number (5 digits, or Alpha-5: a letter and 4 digits)"
_EXPONENT = r"[ +-]\d{5}[+-]\d"
_ANGLE = r" *\d+\.\d{4}"

# Line 1 (Spacetrack Report #3; CelesTrak "Two-Line Element Set Format").
LINE1_FIELDS = (
    _field(1, "1", "1", "'1' (the line number of TLE line 1)"),
    _space(2),
    _field(3, "AnnnN", _SATNUM, _SATNUM_TEXT),
    _field(8, "C", "[UCS ]", "the classification U, C or S"),
    _space(9),
    _field(
        10,
        "nnnnnLLL",
        r"\d{5}[A-Z]{1,3} *| {8}",
        "the international designator YYNNNPPP (or blanks)",
    ),
    _space(18),
    _field(
        19,
        "NNnnN.NNNNNNNN",
        r"\d{2}(?:\d{3}| \d{2}|  \d)\.\d{8}",
        "the epoch YYDDD.DDDDDDDD (year, day of year and fraction)",
    ),
    _space(33),
    _field(34, "S.NNNNNNNN", r"[ +-]\.\d{8}", "the first derivative of mean motion as ±.NNNNNNNN"),
    _space(44),
    _field(
        45,
        "SNNNNNEN",
        _EXPONENT,
        "the second derivative of mean motion as ±NNNNN±N (assumed decimal point)",
    ),
    _space(53),
    _field(54, "SNNNNNEN", _EXPONENT, "the drag term BSTAR as ±NNNNN±N (assumed decimal point)"),
    _space(62),
    _field(63, "n", r"[\d ]", "the ephemeris type (a digit)"),
    _space(64),
    _field(65, "nnnN", r" *\d+", "the element set number (right-aligned digits)"),
    _field(69, "N", r"\d", "the checksum digit"),
)

# Line 2.
LINE2_FIELDS = (
    _field(1, "2", "2", "'2' (the line number of TLE line 2)"),
    _space(2),
    _field(3, "AnnnN", _SATNUM, _SATNUM_TEXT),
    _space(8),
    _field(9, "nnN.NNNN", _ANGLE, "the inclination as NNN.NNNN degrees"),
    _space(17),
    _field(18, "nnN.NNNN", _ANGLE, "the right ascension of the node as NNN.NNNN degrees"),
    _space(26),
    _field(
        27,
        "NNNNNNN",
        r"\d{7}",
        "the eccentricity as 7 digits (the leading decimal point is assumed, not written)",
    ),
    _space(34),
    _field(35, "nnN.NNNN", _ANGLE, "the argument of perigee as NNN.NNNN degrees"),
    _space(43),
    _field(44, "nnN.NNNN", _ANGLE, "the mean anomaly as NNN.NNNN degrees"),
    _space(52),
    _field(
        53, "nN.NNNNNNNN", r" *\d+\.\d{8}", "the mean motion as NN.NNNNNNNN revolutions per day"
    ),
    _field(64, "nnnnN", r" *\d+", "the revolution number (right-aligned digits)"),
    _field(69, "N", r"\d", "the checksum digit"),
)


def _right_aligned(width: int) -> str:
    """Exactly ``width`` characters: digits right-aligned after optional spaces."""
    return "(?:" + "|".join(f" {{{j}}}\\d{{{width - j}}}" for j in range(width)) + ")"


# One regex per line accepting exactly what the field table accepts, all 69 columns
# at once: the common case costs one C-level match. Only a line that fails it goes
# through the field-by-field diagnosis (which finds the column to report).
_SATNUM_EXACT = f"(?:[A-HJ-NP-Z]\\d{{4}}|{_right_aligned(5)})"
_ANGLE_EXACT = _right_aligned(3) + r"\.\d{4}"
_EXPONENT_EXACT = r"[ +-]\d{5}[+-]\d"
LINE1_EXACT = re.compile(
    "1 " + _SATNUM_EXACT + "[UCS ] "
    r"(?:\d{5}[A-Z]{3}|\d{5}[A-Z]{2} |\d{5}[A-Z]  | {8}) "
    r"\d{2}" + _right_aligned(3) + r"\.\d{8} "
    r"[ +-]\.\d{8} " + _EXPONENT_EXACT + " " + _EXPONENT_EXACT + " "
    r"[\d ] " + _right_aligned(4) + r"\d"
)
LINE2_EXACT = re.compile(
    "2 "
    + _SATNUM_EXACT
    + " "
    + _ANGLE_EXACT
    + " "
    + _ANGLE_EXACT
    + r" \d{7} "
    + _ANGLE_EXACT
    + " "
    + _ANGLE_EXACT
    + " "
    + _right_aligned(2)
    + r"\.\d{8}"
    + _right_aligned(5)
    + r"\d"
)

_NOT_PRINTABLE_ASCII = re.compile(r"[^ -~]")
_CHAR_NAMES = {"\t": "tab", "\x00": "NUL", "\x0b": "vertical tab", "\x0c": "form feed"}


def describe_char(char: str) -> str:
    """``'x'`` for printable ASCII, else the Unicode name and code point."""
    if char == " ":
        return "a space"
    if " " < char <= "~":
        return repr(char)
    name = _CHAR_NAMES.get(char) or unicodedata.name(char, "").lower() or "a character"
    return f"{name} (U+{ord(char):04X})"


@dataclass(frozen=True)
class _Line:
    number: int  # 1-based line in the file
    text: str  # trailing whitespace removed


class _Record:
    """One record's lines and the checks that turn them into an ElementSet."""

    def __init__(
        self,
        name: _Line | None,
        line1: _Line,
        line2: _Line,
        *,
        source: str,
        origin: str,
        verify_checksums: bool,
    ) -> None:
        self.name = name
        self.line1 = line1
        self.line2 = line2
        self.source = source
        self.origin = origin
        self.verify_checksums = verify_checksums

    def error(self, line: _Line, column: int | None, expected: str, found: str) -> TLEFormatError:
        return TLEFormatError(
            source=self.source,
            line=line.number,
            column=column,
            expected=expected,
            found=found,
            text=line.text,
        )

    def check_line(self, line: _Line, fields: Sequence[_Field], exact: re.Pattern[str]) -> None:
        text = line.text
        if not exact.fullmatch(text):
            self.diagnose_layout(line, fields)
        if self.verify_checksums:
            expected_sum = tle_checksum(text)
            if int(text[68]) != expected_sum:
                raise self.error(
                    line,
                    69,
                    f"checksum {expected_sum} (digits summed, '-' counts 1, modulo 10)",
                    repr(text[68]),
                )

    def diagnose_layout(self, line: _Line, fields: Sequence[_Field]) -> None:
        """Raise the error for the first bad column of a line the exact regex rejected."""
        text = line.text
        bad = _NOT_PRINTABLE_ASCII.search(text)
        if bad:
            raise self.error(
                line,
                bad.start() + 1,
                "printable ASCII (TLE lines are plain ASCII)",
                describe_char(bad.group()),
            )
        length = len(text)
        for field in fields:
            if field.last > length:
                break
            piece = text[field.first - 1 : field.last]
            if field.pattern.fullmatch(piece):
                continue
            for offset, (char, allowed) in enumerate(zip(piece, field.columns, strict=True)):
                if char not in allowed:
                    raise self.error(
                        line, field.first + offset, field.expected, describe_char(char)
                    )
            raise self.error(line, field.first, field.expected, repr(piece))
        if length != TLE_LINE_LENGTH:
            found = f"{length} characters"
            raise self.error(
                line,
                min(length, TLE_LINE_LENGTH) + 1,
                f"{TLE_LINE_LENGTH} characters (the line ends with the checksum in column 69)",
                found,
            )

    def range_error(self, line: _Line, column: int, expected: str, found: str) -> TLEFormatError:
        return self.error(line, column, expected, repr(found.strip()))

    def element_set(self) -> ElementSet:
        line1, line2 = self.line1, self.line2
        self.check_line(line1, LINE1_FIELDS, LINE1_EXACT)
        self.check_line(line2, LINE2_FIELDS, LINE2_EXACT)
        t1, t2 = line1.text, line2.text

        if t2[2:7] != t1[2:7]:
            raise self.error(
                line2,
                3,
                f"satellite number {t1[2:7].strip()} as on line 1 (line {line1.number})",
                repr(t2[2:7].strip()),
            )

        year2 = int(t1[18:20])
        year = year2 + (1900 if year2 >= 57 else 2000)
        day = int(t1[20:23])
        days_in_year = 366 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 365
        if not 1 <= day <= days_in_year:
            raise self.range_error(
                line1,
                21,
                f"a day of year from 1 to {days_in_year}.99999999 ({year} has {days_in_year} days)",
                t1[20:32],
            )
        # 1e-8 day is exactly 864 microseconds, so the epoch is exact in microseconds.
        epoch = datetime(year, 1, 1, tzinfo=UTC) + timedelta(
            days=day - 1, microseconds=int(t1[24:32]) * 864
        )

        inclination = float(t2[8:16])
        if inclination > 180.0:
            raise self.range_error(line2, 9, "an inclination from 0 to 180 degrees", t2[8:16])
        angles = []
        for first, what in (
            (18, "right ascension of the node"),
            (35, "argument of perigee"),
            (44, "mean anomaly"),
        ):
            piece = t2[first - 1 : first + 7]
            value = float(piece)
            if value > 360.0:
                raise self.range_error(line2, first, f"a {what} from 0 to 360 degrees", piece)
            angles.append(value)
        mean_motion = float(t2[52:63])
        if mean_motion <= 0.0:
            raise self.range_error(
                line2, 53, "a mean motion above 0 revolutions per day", t2[52:63]
            )

        name = ""
        if self.name is not None:
            name = self.name.text
            if name.startswith("0 "):
                name = name[2:]
            name = name.strip()
        classification = t1[7] if t1[7] != " " else "U"
        return ElementSet(
            name=name,
            norad_id=from_alpha5(t1[2:7].strip()),
            epoch=epoch,
            mean_motion_rev_per_day=mean_motion,
            eccentricity=float("0." + t2[26:33]),
            inclination_deg=inclination,
            raan_deg=angles[0],
            arg_perigee_deg=angles[1],
            mean_anomaly_deg=angles[2],
            bstar=_exponent_value(t1[53:61]),
            mean_motion_dot=float(t1[33:43]),
            mean_motion_ddot=_exponent_value(t1[44:52]),
            classification=classification,
            international_designator=cospar_designator(t1[9:17]),
            element_set_no=int(t1[64:68]),
            rev_at_epoch=int(t2[63:68]),
            source=self.origin,
            line1=t1,
            line2=t2,
        )


def _exponent_value(text: str) -> float:
    """``" 64291-3"`` -> 0.64291e-3, parsed as one decimal literal (correctly rounded)."""
    sign = "-" if text[0] == "-" else ""
    return float(f"{sign}0.{text[1:6]}e{text[6:8]}")


def _is_data_line(text: str) -> bool:
    """Line 1 / line 2 of a TLE, or a line that can only be a damaged one."""
    if text[:2] in ("1 ", "2 "):
        return True
    # A long line starting with a digit is a data line with a bad line number or
    # separator ("3 25544...", "1\xa025544..."); names are at most 24 characters.
    return len(text) >= 60 and "1" <= text[0] <= "9"


def _split_lines(text: str) -> list[_Line]:
    """Non-blank lines with their 1-based numbers; LF, CRLF (and CR-only) line ends."""
    if text.startswith("\ufeff"):  # byte-order mark written by some editors
        text = text[1:]
    raw = text.split("\r") if "\n" not in text and "\r" in text else text.split("\n")
    lines = []
    for number, line in enumerate(raw, start=1):
        stripped = line.rstrip(" \t\r")
        if stripped:
            lines.append(_Line(number, stripped))
    return lines


def parse_tle(
    text: str,
    *,
    source: str = "<string>",
    lenient: bool = False,
    verify_checksums: bool = True,
    origin: str = "tle",
) -> ParseResult:
    """Parse TLE text (2-line and 3-line records, mixed) into element sets.

    ``source`` names the text in errors (a file name). Strict (default): the first
    bad record raises :class:`~spacepool.errors.TLEFormatError`. ``lenient=True``:
    bad records are skipped and listed in :attr:`ParseResult.problems`, one error
    each. ``verify_checksums=False`` accepts wrong checksum digits (as
    ``Satrec.twoline2rv`` does; Vallado's test file has hand-edited records).
    ``origin`` is stored as :attr:`ElementSet.source`.
    """
    lines = _split_lines(text)
    elements: list[ElementSet] = []
    problems: list[ElementSetError] = []

    def record(name: _Line | None, line1: _Line, line2: _Line) -> None:
        parsed = _Record(
            name, line1, line2, source=source, origin=origin, verify_checksums=verify_checksums
        )
        try:
            elements.append(parsed.element_set())
        except TLEFormatError as exc:
            if not lenient:
                raise
            problems.append(exc)

    def problem(line: _Line | None, column: int | None, expected: str, found: str) -> None:
        exc = TLEFormatError(
            source=source,
            line=line.number if line else 1,
            column=column,
            expected=expected,
            found=found,
            text=line.text if line else "",
        )
        if not lenient:
            raise exc
        problems.append(exc)

    if not lines:
        problem(
            None,
            None,
            "at least one TLE record",
            "an empty file" if not text.removeprefix("\ufeff") else "only blank lines",
        )
        return ParseResult((), tuple(problems))

    data = [_is_data_line(line.text) for line in lines]
    count = len(lines)
    i = 0
    while i < count:
        name: _Line | None = None
        if not data[i]:
            name = lines[i]
            if i + 1 >= count or not data[i + 1]:
                following = (
                    f"the name line {lines[i + 1].text!r}"
                    if i + 1 < count
                    else "the end of the file"
                )
                problem(name, None, "TLE line 1 after the name line", following)
                i += 1
                continue
            i += 1
        first = lines[i]
        has_next = i + 1 < count and data[i + 1]
        next_number = lines[i + 1].text[0] if has_next else ""
        if first.text[0] == "2" and not (has_next and next_number == "2"):
            # A line 2 whose line 1 is missing: report it alone, keep what follows.
            problem(first, 1, "TLE line 1 before line 2", "line 2")
            i += 1
            continue
        if not has_next or next_number == "1":
            following = (
                f"line {lines[i + 1].number} starting another record"
                if has_next
                else (
                    f"the name line {lines[i + 1].text!r}"
                    if i + 1 < count
                    else "the end of the file"
                )
            )
            problem(first, None, "TLE line 2 on the next line", following)
            i += 1
            continue
        record(name, first, lines[i + 1])
        i += 2
    return ParseResult(tuple(elements), tuple(problems))


def load_tle(
    path: str | Path, *, lenient: bool = False, verify_checksums: bool = True
) -> ParseResult:
    """Parse a TLE file; errors name the file by its path as given."""
    path = Path(path)
    text = decode_text(path.read_bytes())
    return parse_tle(text, source=str(path), lenient=lenient, verify_checksums=verify_checksums)


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Latin-1 so that every byte keeps a name.

    A stray 0xA0 byte from a Latin-1 editor then shows as a no-break space in its
    column rather than as an undecodable file.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def dump_tle(elements: Iterable[ElementSet], *, names: bool = True) -> str:
    """TLE text for ``elements`` (3-line records when ``names`` and a name is known)."""
    out = []
    for element in elements:
        if names and element.name:
            out.append(element.name)
        out.extend(element.to_tle_lines())
    return "\n".join(out) + "\n" if out else ""
