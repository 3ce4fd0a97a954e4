"""Shared inputs for the activation tests: the bundled consortium, a flood area, and
small planned activations (short horizons keep the engine fast)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from spacepool.activation.workflow import ActivationPlan, TimelineClock, raise_activation
from spacepool.consortium import Consortium, load_consortium

# The demo's area: the lower Romagna plain (lon, lat degrees, counterclockwise).
ROMAGNA: dict[str, Any] = {
    "type": "Polygon",
    "coordinates": [
        [[11.72, 44.17], [12.10, 44.12], [12.36, 44.20], [12.34, 44.52], [11.95, 44.56],
         [11.70, 44.42], [11.72, 44.17]]
    ],
}  # fmt: skip
# A square of exactly representable coordinates (no rounding in any check).
SQUARE: list[list[float]] = [[12.0, 44.0], [12.5, 44.0], [12.5, 44.5], [12.0, 44.5], [12.0, 44.0]]
EVENT = "2026-06-01T03:00:00Z"
EVENT_TIME = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)


@lru_cache(maxsize=1)
def consortium() -> Consortium:
    return load_consortium()


def body(**changes: Any) -> dict[str, Any]:
    """An activation body (REST / CLI fields) over the Romagna plain."""
    data: dict[str, Any] = {"aoi": ROMAGNA, "type": "flood", "event_time": EVENT}
    data.update(changes)
    return data


@lru_cache(maxsize=8)
def planned(horizon_hours: float = 12.0, partner: str | None = "asi") -> ActivationPlan:
    """A flood activation over the Romagna plain, planned (cached per arguments)."""
    data = body(horizon_hours=horizon_hours, id=f"flood-{horizon_hours:g}h-{partner}")
    if partner is not None:
        data["partner"] = partner
    return raise_activation(data, consortium(), clock=TimelineClock(EVENT_TIME))
