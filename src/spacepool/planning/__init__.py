"""spacepool.planning: one schedule for the pooled fleet and ground network.

Requests (:class:`Request`) become demands; opportunities become
:class:`Candidate` acquisitions in an :class:`Instance` together with station
contacts, satellites' memory and agility, owner blocks and entitlements;
:func:`plan_from_candidates` solves it with CP-SAT or the heuristic and returns a
:class:`Plan` (acquisitions and downlinks with exact times, the fairness accounting,
and a named reason for every demand not served).

>>> from datetime import UTC, datetime
>>> from spacepool.planning import (
...     Candidate, Demand, Instance, Satellite, StationContact, plan_from_candidates)
>>> instance = Instance(
...     start=datetime(2026, 6, 1, tzinfo=UTC),
...     horizon_s=3600.0,
...     demands=(Demand("flood", "flood", "esa", 5.0), Demand("crops", "crops", "nasa", 3.0)),
...     candidates=(
...         Candidate("c1", "flood", "s2b", "msi", 100.0, 100.0, 20.0, 5.0, 800.0),
...         Candidate("c2", "crops", "s2b", "msi", 110.0, 110.0, 20.0, 3.0, 800.0),
...     ),
...     satellites=(Satellite("s2b", memory_mbit=2_400_000.0),),
...     contacts=(StationContact("k1", "s2b", "kiruna", 900.0, 1500.0, 520.0),),
... )
>>> plan = plan_from_candidates(instance, time_limit_s=2.0)
>>> plan.status, [a.candidate for a in plan.acquisitions], plan.unserved[0].reason
('optimal', ['c1'], 'conflict')
"""

from __future__ import annotations

from spacepool.planning.model import (
    FAIRNESS_MODES,
    URGENCIES,
    Block,
    Candidate,
    Demand,
    Instance,
    Satellite,
    StationContact,
)
from spacepool.planning.plan import (
    REASONS,
    Acquisition,
    Downlink,
    PartnerAccount,
    Plan,
    Stage,
    Unserved,
)
from spacepool.planning.requests import AreaTarget, PointTarget, Request, Requirements
from spacepool.planning.scenario import OwnerBlock, Scenario, SpacecraftPlanning, load_scenario
from spacepool.planning.solve import SOLVERS, plan_from_candidates, write_plan

__all__ = [
    "FAIRNESS_MODES",
    "REASONS",
    "SOLVERS",
    "URGENCIES",
    "Acquisition",
    "AreaTarget",
    "Block",
    "Candidate",
    "Demand",
    "Downlink",
    "Instance",
    "OwnerBlock",
    "PartnerAccount",
    "Plan",
    "PointTarget",
    "Request",
    "Requirements",
    "Satellite",
    "Scenario",
    "SpacecraftPlanning",
    "Stage",
    "StationContact",
    "Unserved",
    "load_scenario",
    "plan_from_candidates",
    "write_plan",
]
