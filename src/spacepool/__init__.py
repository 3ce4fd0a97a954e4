"""spacepool: one open system for space agencies that pool their assets.

The few names most users need, importable from ``spacepool`` directly::

    from spacepool import load_consortium, find_contacts, find_opportunities

They load on first use, so ``import spacepool`` (and the CLI) stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> module that defines it
_EXPORTS: dict[str, str] = {
    "load_consortium": "spacepool.consortium",
    "Consortium": "spacepool.consortium",
    "ElementSet": "spacepool.orbits.elements",
    "parse_tle": "spacepool.orbits.tle",
    "load_tle": "spacepool.orbits.tle",
    "load_elements": "spacepool.orbits.omm",
    "Propagator": "spacepool.orbits.propagate",
    "Site": "spacepool.access.geometry",
    "find_contacts": "spacepool.access.contacts",
    "PointTarget": "spacepool.access.areas",
    "AreaTarget": "spacepool.access.areas",
    "Sensor": "spacepool.access.imaging",
    "find_opportunities": "spacepool.access.imaging",
    "revisit_statistics": "spacepool.access.coverage",
    "load_scenario": "spacepool.planning",
    "plan_from_candidates": "spacepool.planning",
}

__all__ = [
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

if TYPE_CHECKING:  # pragma: no cover
    from spacepool.access.areas import AreaTarget, PointTarget
    from spacepool.access.contacts import find_contacts
    from spacepool.access.coverage import revisit_statistics
    from spacepool.access.geometry import Site
    from spacepool.access.imaging import Sensor, find_opportunities
    from spacepool.consortium import Consortium, load_consortium
    from spacepool.orbits.elements import ElementSet
    from spacepool.orbits.omm import load_elements
    from spacepool.orbits.propagate import Propagator
    from spacepool.orbits.tle import load_tle, parse_tle
    from spacepool.planning import load_scenario, plan_from_candidates


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'spacepool' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
