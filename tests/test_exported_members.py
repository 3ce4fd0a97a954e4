"""The curated import surface of ``spacepool`` (pinned, as httpx pins its own)."""

from __future__ import annotations

import pytest

import spacepool

EXPECTED = [
    "AreaTarget",
    "Consortium",
    "ElementSet",
    "PointTarget",
    "Propagator",
    "Sensor",
    "Site",
    "find_contacts",
    "find_opportunities",
    "load_consortium",
    "load_elements",
    "load_scenario",
    "load_tle",
    "parse_tle",
    "plan_from_candidates",
    "revisit_statistics",
]


def test_all_lists_exactly_the_curated_names() -> None:
    assert spacepool.__all__ == EXPECTED
    assert sorted(spacepool._EXPORTS) == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_every_exported_name_resolves(name: str) -> None:
    value = getattr(spacepool, name)
    assert value is not None
    assert getattr(value, "__name__", name) == name


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        _ = spacepool.nope  # type: ignore[attr-defined]
