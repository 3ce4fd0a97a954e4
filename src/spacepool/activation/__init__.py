"""spacepool.activation: disaster-response activations and the value of cooperation.

An activation (International Charter model) goes: plain data ->
:func:`read_activation` (checked) -> :func:`task` (urgent requests with precedence)
-> a plan over the horizon across every partner's assets (:func:`raise_activation`
does the three and records the Charter chain) -> acquisitions, simulated
(:func:`simulate`) or reported, -> :func:`make_product` -> catalogue items.
:func:`compare` measures what the pool does that no partner does alone, and
:func:`write_report` draws it all on one offline page. :mod:`.service` runs the
workflow against the database; :mod:`.notify` sends its state changes to a webhook.

The names below load on first use, so importing one submodule stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# name -> module that defines it
_EXPORTS: dict[str, str] = {
    "Activation": "spacepool.activation.model",
    "AccessSpec": "spacepool.activation.model",
    "DISASTER_TYPES": "spacepool.activation.model",
    "read_activation": "spacepool.activation.model",
    "ArchiveImage": "spacepool.activation.tasking",
    "Tasking": "spacepool.activation.tasking",
    "task": "spacepool.activation.tasking",
    "ActivationPlan": "spacepool.activation.workflow",
    "Chain": "spacepool.activation.workflow",
    "TimelineClock": "spacepool.activation.workflow",
    "accounting": "spacepool.activation.workflow",
    "raise_activation": "spacepool.activation.workflow",
    "record_execution": "spacepool.activation.workflow",
    "AcquisitionReport": "spacepool.activation.execution",
    "Product": "spacepool.activation.execution",
    "make_product": "spacepool.activation.execution",
    "simulate": "spacepool.activation.execution",
    "build_summary": "spacepool.activation.summary",
    "compare": "spacepool.activation.cooperation",
    "Comparison": "spacepool.activation.cooperation",
    "CoalitionResult": "spacepool.activation.cooperation",
    "ReportData": "spacepool.activation.report",
    "write_report": "spacepool.activation.report",
}

__all__ = [
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

if TYPE_CHECKING:  # pragma: no cover
    from spacepool.activation.cooperation import CoalitionResult, Comparison, compare
    from spacepool.activation.execution import (
        AcquisitionReport,
        Product,
        make_product,
        simulate,
    )
    from spacepool.activation.model import (
        DISASTER_TYPES,
        AccessSpec,
        Activation,
        read_activation,
    )
    from spacepool.activation.report import ReportData, write_report
    from spacepool.activation.summary import build_summary
    from spacepool.activation.tasking import ArchiveImage, Tasking, task
    from spacepool.activation.workflow import (
        ActivationPlan,
        Chain,
        TimelineClock,
        accounting,
        raise_activation,
        record_execution,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'spacepool.activation' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
