"""An independent feasibility checker for SPOT5 solutions.

It shares no code with the model in :mod:`spacepool.planning.spot5`: plain loops over
the parsed file data (photos with their domains and consumptions, constraint lines
with their forbidden tuples, the capacity), re-deriving every rule from the problem
statement of Bensana, Lemaître & Verfaillie (Constraints 4(3), 1999, section 2):

* every selected photo exists and its value is in the photo's domain;
* no forbidden tuple has all its values chosen (a tuple involving a photo that is
  not taken never matches);
* the recorder holds the chosen images under the capacity convention asked for:
  ``"units"`` — ``sum(round(consumption / 451)) <= round(capacity / 451)`` — or
  ``"literal"`` — ``sum(consumption) <= capacity``;
* the value, recomputed from the weights, equals the value claimed (if given).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from spacepool.planning.spot5_format import Spot5Instance

# Recorder use of one mono image in the literature's integer-unit convention (see
# the SOURCE.txt of the instance files); restated here so that the checker does not
# depend on the model's constants.
UNIT_CONSUMPTION: Final = 451.0
# Literal mode: the files' consumptions carry binary float noise of ~1e-10 on values
# such as 451.15; a sum within this of the capacity is accepted.
LITERAL_TOLERANCE: Final = 1e-6


@dataclass(frozen=True)
class Spot5Violation:
    """One broken rule. ``kind`` is ``unknown_photo``, ``value_not_in_domain``,
    ``forbidden_tuple``, ``capacity`` or ``value_mismatch``."""

    kind: str
    message: str


def solution_value(instance: Spot5Instance, selected: Mapping[int, int]) -> int:
    """Sum of the weights of the selected photos (unknown ids count 0)."""
    total = 0
    for photo in instance.photos:
        if photo.id in selected:
            total += photo.weight
    return total


def check_spot5(
    instance: Spot5Instance,
    selected: Mapping[int, int],
    *,
    capacity_mode: str = "units",
    claimed_value: int | None = None,
) -> list[Spot5Violation]:
    """Every rule ``selected`` (photo id -> value) breaks; empty when feasible."""
    violations: list[Spot5Violation] = []
    domains: dict[int, tuple[int, ...]] = {}
    for photo in instance.photos:
        domains[photo.id] = photo.values

    for photo_id, value in sorted(selected.items()):
        if photo_id not in domains:
            violations.append(
                Spot5Violation("unknown_photo", f"photo {photo_id} is not in the instance")
            )
        elif value not in domains[photo_id]:
            violations.append(
                Spot5Violation(
                    "value_not_in_domain",
                    f"photo {photo_id}: value {value} is not in its domain "
                    f"{list(domains[photo_id])}",
                )
            )

    for constraint in instance.constraints:
        for combination in constraint.forbidden:
            matched = True
            for photo_id, value in zip(constraint.photo_ids, combination, strict=True):
                if selected.get(photo_id) != value:
                    matched = False
                    break
            if matched:
                pairs = ", ".join(
                    f"{p}={v}" for p, v in zip(constraint.photo_ids, combination, strict=True)
                )
                violations.append(
                    Spot5Violation(
                        "forbidden_tuple",
                        f"forbidden tuple ({pairs}) of the constraint on line {constraint.line}",
                    )
                )

    if instance.capacity is not None:
        violations.extend(_capacity(instance, selected, capacity_mode))

    if claimed_value is not None:
        actual = solution_value(instance, selected)
        if actual != claimed_value:
            violations.append(
                Spot5Violation(
                    "value_mismatch",
                    f"claimed value {claimed_value}, weights of the selection sum to {actual}",
                )
            )
    return violations


def _capacity(
    instance: Spot5Instance, selected: Mapping[int, int], capacity_mode: str
) -> list[Spot5Violation]:
    assert instance.capacity is not None
    consumptions: list[float] = []
    for photo in instance.photos:
        value = selected.get(photo.id)
        if value is None or value not in photo.values:
            continue
        consumptions.append(photo.consumptions[photo.values.index(value)])
    if capacity_mode == "units":
        used = sum(round(c / UNIT_CONSUMPTION) for c in consumptions)
        limit = round(instance.capacity / UNIT_CONSUMPTION)
        if used > limit:
            return [
                Spot5Violation(
                    "capacity",
                    f"recorder: {used} units used, capacity {limit} units "
                    f"(round({instance.capacity:g} / {UNIT_CONSUMPTION:g}))",
                )
            ]
        return []
    if capacity_mode == "literal":
        total = math.fsum(consumptions)
        if total > instance.capacity + LITERAL_TOLERANCE:
            return [
                Spot5Violation(
                    "capacity",
                    f"recorder: consumption {total:.6f} exceeds capacity {instance.capacity:g}",
                )
            ]
        return []
    raise ValueError(f"capacity_mode must be 'units' or 'literal', got {capacity_mode!r}")
