"""SPOT5 benchmark: reader, exact solver against Bensana et al. 1999, checker, CLI.

Reference values: E. Bensana, M. Lemaître, G. Verfaillie, "Earth Observation
Satellite Management", Constraints 4(3):293-299, 1999, Table 1 (the optima of the
single-orbit instances and of 1502, 1504). File sizes of 11.spot and 1021.spot:
SOURCE.txt of the instance files. Every returned solution is verified with the
independent checker (spacepool.planning.spot5_check).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from spacepool.cli import app
from spacepool.errors import BenchmarkFormatError
from spacepool.planning.spot5 import (
    Spot5Result,
    clique_cover,
    heuristic_spot5,
    paper_name,
    parse_spot5,
    read_spot5,
    solve_spot5,
)
from spacepool.planning.spot5_check import check_spot5, solution_value

REPO = Path(__file__).resolve().parents[2]
SPOT5_DIR = REPO / ".." / "shared" / "benchmarks" / "spot5"
TINY = REPO / "tests" / "data" / "spot5" / "tiny_multi.spot"

# Bensana et al. 1999, Table 1 (paper names; file 11 is the paper's 414).
PUBLISHED_OPTIMUM = {
    "8": 10,
    "54": 70,
    "29": 12032,
    "404": 49,
    "503": 9096,
    "42": 108067,
    "505": 13100,
    "5": 115,
    "1502": 61158,
    "1504": 124243,
}
ALL_FILES = [
    "8", "54", "29", "404", "503", "42", "408", "28", "505", "412", "5", "507", "509",
    "11", "1502", "1504", "1401", "1403", "1405", "1506", "1021",
]  # fmt: skip
MULTI_ORBIT = {"1502", "1504", "1401", "1403", "1405", "1506", "1021"}
# Generous limits: the targets are 10 s, but the suite may share the machine.
TEST_LIMIT_S = 30.0

EIGHT = """8
0 1 3 1 0 2 0 3 0
1 1 3 1 0 2 0 3 0
2 1 3 1 0 2 0 3 0
3 1 3 1 0 2 0 3 0
4 2 1 13 0
5 2 1 13 0
6 2 1 13 0
7 2 1 13 0
7
2 1 0 3 3 2 2 1 1
2 2 0 3 3 2 2 1 1
2 3 0 3 3 2 2 1 1
2 5 4 13 13
2 5 6 13 13
2 2 1 3 3 2 2 1 1
2 3 1 3 3 2 2 1 1
"""  # the text of 8.spot (the benchmark's smallest instance), kept inline


def shared(stem: str) -> Path:
    path = SPOT5_DIR / f"{stem}.spot"
    if not path.is_file():
        pytest.skip(f"SPOT5 instances not found at {SPOT5_DIR}")
    return path


# --- reader -------------------------------------------------------------------------


@pytest.mark.shared_data
@pytest.mark.parametrize("stem", ALL_FILES)
def test_every_instance_parses_and_every_line_is_used(stem: str) -> None:
    path = shared(stem)
    instance = read_spot5(path)
    # Independent count: count line + N photo lines + count line + M constraint lines.
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    assert len(lines) == 2 + len(instance.photos) + instance.constraint_lines
    assert int(lines[0]) == len(instance.photos)
    assert int(lines[1 + len(instance.photos)]) == instance.constraint_lines
    assert instance.is_multi_orbit == (stem in MULTI_ORBIT)
    if instance.is_multi_orbit:
        assert instance.capacity == 90000.0
    else:
        assert all(c == 0.0 for p in instance.photos for c in p.consumptions)
    assert all(len(p.extra) in (0, 2) for p in instance.photos)
    assert all(len(c.photo_ids) in (2, 3) for c in instance.constraints)


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("stem", "photos", "constraint_lines"),
    [("11", 364, 9744), ("1021", 1057, 20730)],  # SOURCE.txt: paper's 414 and 1407
)
def test_renamed_instances_have_the_sizes_stated_in_source(
    stem: str, photos: int, constraint_lines: int
) -> None:
    instance = read_spot5(shared(stem))
    assert (len(instance.photos), instance.constraint_lines) == (photos, constraint_lines)


@pytest.mark.shared_data
def test_crlf_file_reads_like_its_lf_copy(tmp_path: Path) -> None:
    crlf = shared("1021").read_bytes()
    assert b"\r\n" in crlf
    lf = tmp_path / "1021.spot"
    lf.write_bytes(crlf.replace(b"\r\n", b"\n"))
    assert read_spot5(lf) == read_spot5(shared("1021"))


def test_the_two_extra_integers_are_kept_and_the_paper_name_is_mapped() -> None:
    instance = read_spot5(TINY)
    assert instance.photo(1).extra == (7, 9)
    assert instance.photo(0).extra == ()
    assert instance.capacity == 2255.5
    assert (paper_name("11"), paper_name("1021"), paper_name("54")) == ("414", "1407", "54")


def _replace(line_number: int, text: str) -> str:
    lines = EIGHT.splitlines()
    lines[line_number - 1] = text
    return "\n".join(lines) + "\n"


BAD_INPUTS = [
    ("empty file", "", "line 1: file ends after line 0; expected the number of photos"),
    (
        "count is not an integer",
        "eight\n",
        "line 1: the number of photos must be an integer, found 'eight'",
    ),
    (
        "truncated in the photo lines",
        "\n".join(EIGHT.splitlines()[:5]) + "\n",
        "line 6: file ends after line 5; expected photo line 5 of 8",
    ),
    (
        "truncated in the constraint lines",
        "\n".join(EIGHT.splitlines()[:12]) + "\n",
        "line 13: file ends after line 12; expected constraint line 3 of 7",
    ),
    (
        "non-integer weight",
        _replace(2, "0 1.5 3 1 0 2 0 3 0"),
        "line 2: weight of photo 0 must be an integer, found '1.5'",
    ),
    (
        "photo line shorter than its domain size",
        _replace(2, "0 1 3 1 0 2 0"),
        "line 2: photo 0 has domain size 3: expected 9 tokens (or 11 with the 2 extra "
        "integers), found 7",
    ),
    (
        "one extra integer instead of two",
        _replace(2, "0 1 3 1 0 2 0 3 0 5"),
        "line 2: photo 0 has domain size 3: expected 9 tokens (or 11 with the 2 extra "
        "integers), found 10",
    ),
    (
        "non-numeric consumption",
        _replace(6, "4 2 1 13 lots"),
        "line 6: consumption 1 of photo 4 must be a number, found 'lots'",
    ),
    (
        "value that is not an instrument",
        _replace(6, "4 2 1 12 0"),
        "line 6: photo 4: value 12 is not an instrument value (expected 1, 2, 3 or 13)",
    ),
    (
        "photo id defined twice",
        _replace(3, "0 1 3 1 0 2 0 3 0"),
        "line 3: photo id 0 already defined on line 2",
    ),
    (
        "forbidden value not in the photo's domain",
        _replace(14, "2 5 4 13 1"),
        "line 14: forbidden value 1 of photo 4 is not in its domain [13]",
    ),
    (
        "arity 4",
        _replace(11, "4 1 0 2 3 1 1 1 1"),
        "line 11: constraint arity must be 2 or 3, found 4",
    ),
    (
        "tuple shorter than the arity",
        _replace(11, "2 1 0 3 3 2"),
        "line 11: arity-2 constraint: expected forbidden tuples of 2 values, found 3 values "
        "(not a positive multiple of 2)",
    ),
    (
        "constraint on an undefined photo",
        _replace(11, "2 1 9 3 3"),
        "line 11: constraint names photo 9, which is not defined",
    ),
    (
        "constraint naming a photo twice",
        _replace(11, "2 1 1 3 3"),
        "line 11: constraint names a photo twice: [1, 1]",
    ),
    (
        "capacity line that is not the last constraint line",
        _replace(11, "90000"),
        "line 11: a single number (the recording capacity) may only be the last of the 7 "
        "constraint lines; found '90000' on constraint line 1",
    ),
    (
        "content after the constraints",
        EIGHT + "2 1 0 3 3\n",
        "line 18: expected the end of the file after 17 lines, found '2 1 0 3 3'",
    ),
    (
        "empty line inside the photo section",
        _replace(3, ""),
        "line 3: expected photo line 2 of 8, found an empty line",
    ),
    (
        "consumption but no capacity line",
        _replace(6, "4 2 1 13 1804.6"),
        "line 6: photo 4 has recorder consumption but the file has no capacity line (a "
        "multi-orbit file ends its constraint section with the capacity, e.g. 90000)",
    ),
]


@pytest.mark.parametrize(
    ("text", "message"), [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS]
)
def test_bad_file_is_rejected_naming_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.spot"
    path.write_text(text)
    with pytest.raises(BenchmarkFormatError) as error:
        read_spot5(path)
    assert str(error.value) == f"bad.spot, {message}"
    assert error.value.source == "bad.spot"
    assert error.value.line == int(message.split(":")[0].removeprefix("line "))


def test_crlf_text_parses_like_lf_text() -> None:
    lf = parse_spot5(EIGHT, name="8")
    assert parse_spot5(EIGHT.replace("\n", "\r\n"), name="8") == lf
    assert len(lf.photos) == 8
    assert len(lf.constraints) == 7
    assert lf.capacity is None


# --- exact solver against Table 1 -----------------------------------------------------


@pytest.mark.shared_data
@pytest.mark.parametrize("stem", ["8", "54", "29", "404", "503", "42", "505", "5", "1502"])
def test_small_instances_are_solved_to_the_published_optimum(stem: str) -> None:
    instance = read_spot5(shared(stem))
    result = solve_spot5(instance, time_limit_s=TEST_LIMIT_S)
    assert result.status == "OPTIMAL"
    assert result.value == result.bound == PUBLISHED_OPTIMUM[paper_name(stem)]
    assert result.gap == 0.0
    assert check_spot5(instance, result.selected, claimed_value=result.value) == []


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize(("mode", "optimum"), [("units", 124243), ("literal", 124242)])
def test_capacity_convention_decides_1504(mode: str, optimum: int) -> None:
    # SOURCE.txt: the integer-unit model gives Table 1's 124243; the literal float
    # capacity allows one mono image less and gives 124242.
    instance = read_spot5(shared("1504"))
    result = solve_spot5(instance, time_limit_s=60.0, capacity_mode=mode)  # type: ignore[arg-type]
    assert (result.status, result.value) == ("OPTIMAL", optimum)
    assert check_spot5(instance, result.selected, capacity_mode=mode) == []
    assert result.capacity_mode == mode
    assert ("integer-unit" in result.capacity_note) == (mode == "units")


def test_tiny_multi_orbit_instance_respects_each_capacity_convention() -> None:
    instance = read_spot5(TINY)
    # By hand: {0, 1, 3} uses 1 + 4 = 5 units (capacity round(2255.5 / 451) = 5) but
    # 2255.75 > 2255.5 in consumption; {0, 2, 3} fits both; either is worth 6 of 8.
    for mode in ("units", "literal"):
        result = solve_spot5(instance, time_limit_s=5.0, capacity_mode=mode)  # type: ignore[arg-type]
        assert (result.status, result.value, result.bound) == ("OPTIMAL", 6, 6)
        assert check_spot5(instance, result.selected, capacity_mode=mode) == []


def test_result_round_trips_through_json() -> None:
    result = solve_spot5(read_spot5(TINY), time_limit_s=5.0)
    data = json.loads(json.dumps(result.to_dict()))
    assert set(data) == {
        "instance", "value", "status", "bound", "selected",
        "gap", "capacity_mode", "capacity_note", "wall_seconds",
    }  # fmt: skip
    again = Spot5Result.from_dict(data)
    assert again.to_dict() == data
    assert again.selected == result.selected


# --- heuristic ----------------------------------------------------------------------


@pytest.mark.shared_data
@pytest.mark.parametrize("stem", ["54", "503", "1502"])
def test_heuristic_returns_a_checked_solution_no_better_than_the_optimum(stem: str) -> None:
    instance = read_spot5(shared(stem))
    result = heuristic_spot5(instance, time_limit_s=0.5)
    assert check_spot5(instance, result.selected, claimed_value=result.value) == []
    assert 0 < result.value <= PUBLISHED_OPTIMUM[stem]
    assert result.wall_s < 2.0


# --- independent checker ------------------------------------------------------------


CAPACITY_TEXT = """3
0 5 1 2 451.15
1 5 1 2 451.15
2 5 1 2 451.15
1
902
"""  # three mono images; 902 is 2 units (round(902 / 451)) but 902.3 > 902


def test_checker_applies_each_capacity_convention() -> None:
    instance = parse_spot5(CAPACITY_TEXT, name="cap")
    two = {0: 2, 1: 2}
    assert check_spot5(instance, two, capacity_mode="units") == []
    [literal] = check_spot5(instance, two, capacity_mode="literal")
    assert (literal.kind, literal.message) == (
        "capacity",
        "recorder: consumption 902.300000 exceeds capacity 902",
    )
    [units] = check_spot5(instance, {0: 2, 1: 2, 2: 2}, capacity_mode="units")
    assert (units.kind, units.message) == (
        "capacity",
        "recorder: 3 units used, capacity 2 units (round(902 / 451))",
    )


def test_checker_catches_a_forbidden_pair_and_a_forbidden_triple() -> None:
    instance = read_spot5(TINY)
    [pair] = check_spot5(instance, {0: 2, 3: 2})
    assert (pair.kind, pair.message) == (
        "forbidden_tuple",
        "forbidden tuple (0=2, 3=2) of the constraint on line 7",
    )
    [triple] = check_spot5(instance, {0: 1, 2: 2, 3: 3})
    assert (triple.kind, triple.message) == (
        "forbidden_tuple",
        "forbidden tuple (0=1, 2=2, 3=3) of the constraint on line 9",
    )
    assert check_spot5(instance, {0: 1, 2: 2, 3: 2}) == []


def test_checker_catches_wrong_values_unknown_photos_and_a_wrong_total() -> None:
    instance = read_spot5(TINY)
    violations = check_spot5(instance, {1: 2, 9: 1, 2: 2}, claimed_value=5)
    assert [(v.kind, v.message) for v in violations] == [
        ("value_not_in_domain", "photo 1: value 2 is not in its domain [13]"),
        ("unknown_photo", "photo 9 is not in the instance"),
        ("value_mismatch", "claimed value 5, weights of the selection sum to 4"),
    ]
    assert solution_value(instance, {0: 1, 3: 2}) == 4


@pytest.mark.shared_data
def test_checker_catches_each_break_of_an_optimal_solution() -> None:
    instance = read_spot5(shared("1502"))
    result = solve_spot5(instance, time_limit_s=TEST_LIMIT_S)
    assert check_spot5(instance, result.selected) == []
    # A forbidden pair: force both photos of a binary constraint onto a forbidden tuple.
    constraint = next(c for c in instance.constraints if len(c.photo_ids) == 2)
    broken = dict(result.selected) | dict(
        zip(constraint.photo_ids, constraint.forbidden[0], strict=True)
    )
    assert "forbidden_tuple" in {v.kind for v in check_spot5(instance, broken)}
    # Capacity: take every photo with recorder use, on its first value.
    full = {p.id: p.values[0] for p in instance.photos if p.consumptions[0] > 0}
    assert "capacity" in {v.kind for v in check_spot5(instance, full)}
    # A value outside the domain.
    photo = instance.photos[0]
    wrong = dict(result.selected) | {photo.id: 7}
    assert [v.kind for v in check_spot5(instance, wrong)] == ["value_not_in_domain"]


# --- model pieces -------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=2, max_value=14),
    st.floats(min_value=0.0, max_value=1.0),
    st.integers(min_value=0, max_value=10_000),
)
def test_clique_cover_covers_every_edge_with_cliques(n: int, density: float, seed: int) -> None:
    rng = random.Random(seed)
    nodes = [(i, 1) for i in range(n)]
    adjacent: dict[tuple[int, int], set[tuple[int, int]]] = {node: set() for node in nodes}
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            if rng.random() < density:
                adjacent[a].add(b)
                adjacent[b].add(a)
    cliques = clique_cover(adjacent, nodes)
    covered = set()
    for clique in cliques:
        for i, a in enumerate(clique):
            for b in clique[i + 1 :]:
                assert b in adjacent[a]
                covered.add(frozenset((a, b)))
    assert covered == {frozenset((a, b)) for a in nodes for b in adjacent[a]}


# --- CLI ------------------------------------------------------------------------------


def test_cli_json_follows_the_contract_and_names_the_paper_instance(tmp_path: Path) -> None:
    renamed = tmp_path / "11.spot"
    renamed.write_text(TINY.read_text())
    out = CliRunner().invoke(app, ["spot5", str(renamed), "--time-limit", "5", "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["instance"] == "11"
    assert data["paper_instance"] == "414"
    assert (data["value"], data["status"], data["bound"]) == (6, "OPTIMAL", 6)
    assert all(isinstance(k, str) and isinstance(v, int) for k, v in data["selected"].items())
    assert data["capacity_mode"] == "units"
    instance = read_spot5(TINY)
    selected = {int(k): v for k, v in data["selected"].items()}
    assert check_spot5(instance, selected, claimed_value=data["value"]) == []


def test_cli_heuristic_literal_and_table_output() -> None:
    args = ["spot5", str(TINY), "--time-limit", "0.2", "--solver", "heuristic"]
    out = CliRunner().invoke(app, [*args, "--capacity", "literal"])
    assert out.exit_code == 0, out.output
    assert "recording capacity as the literal float sum" in out.output
    assert "tiny_multi" in out.output


def test_cli_reports_a_bad_file_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.spot"
    bad.write_text(_replace(2, "0 x 3 1 0 2 0 3 0"))
    out = CliRunner().invoke(app, ["spot5", str(bad)])
    assert out.exit_code == 2
    # Rich wraps long lines at the terminal width: compare the words.
    assert " ".join(out.stderr.split()) == (
        "error: bad.spot, line 2: weight of photo 0 must be an integer, found 'x'"
    )
    assert "Traceback" not in out.output


@pytest.mark.shared_data
def test_python_example_of_the_docs_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    import doctest
    import re

    shared("54")
    monkeypatch.chdir(REPO)  # the example's paths are relative to the repository root
    text = (REPO / "docs" / "spot5.md").read_text("utf-8")
    [example] = re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)
    test = doctest.DocTestParser().get_doctest(example, {}, "spot5.md", "docs/spot5.md", 0)
    runner = doctest.DocTestRunner()
    runner.run(test)
    assert runner.summarize(verbose=False) == doctest.TestResults(failed=0, attempted=6)


@pytest.mark.shared_data
def test_a_heuristic_hint_seeds_the_exact_solver() -> None:
    instance = read_spot5(shared("503"))
    start = heuristic_spot5(instance, time_limit_s=0.2)
    result = solve_spot5(instance, time_limit_s=TEST_LIMIT_S, hint=start.selected)
    assert (result.status, result.value) == ("OPTIMAL", PUBLISHED_OPTIMUM["503"])
    assert check_spot5(instance, result.selected) == []
