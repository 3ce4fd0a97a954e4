"""The import surface of ``spacepool.activation`` (pinned)."""

from __future__ import annotations

import pytest

import spacepool.activation

EXPECTED = [
    "DISASTER_TYPES",
    "AccessSpec",
    "AcquisitionReport",
    "Activation",
    "ActivationPlan",
    "ArchiveImage",
    "Chain",
    "CoalitionResult",
    "Comparison",
    "Product",
    "ReportData",
    "Tasking",
    "TimelineClock",
    "accounting",
    "build_summary",
    "compare",
    "make_product",
    "raise_activation",
    "read_activation",
    "record_execution",
    "simulate",
    "task",
    "write_report",
]


def test_all_lists_exactly_the_curated_names() -> None:
    assert spacepool.activation.__all__ == EXPECTED
    assert sorted(spacepool.activation._EXPORTS) == sorted(EXPECTED)


@pytest.mark.parametrize("name", EXPECTED)
def test_every_exported_name_resolves(name: str) -> None:
    value = getattr(spacepool.activation, name)
    assert getattr(value, "__name__", name) == name


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        _ = spacepool.activation.nope  # type: ignore[attr-defined]
