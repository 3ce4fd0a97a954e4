"""The result of planning: a :class:`Plan`.

A plan is a result even when it is partial or empty (``status`` says how good it
is, as SciPy's ``OptimizeResult`` does): the chosen acquisitions and downlinks with
exact times, the per-partner accounting, the solver's status, objective, bound and
gap, and for every demand not served a named reason (:data:`REASONS`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from spacepool._reading import PLANNING, format_time, parse_time

STATUSES: Final[tuple[str, ...]] = ("optimal", "feasible")
"""``optimal``: every solver stage proved optimal; ``feasible``: a valid plan whose
optimality is not proven (time limit, heuristic). A plan always exists (at worst the
empty one), so there is no "no plan" status; a stage that found nothing in time has
the stage status ``unknown``."""

REASONS: Final[dict[str, str]] = {
    "no_opportunity": "no instrument can serve it within its window and requirements",
    "blocked_by_owner": "every opportunity falls in a window its asset's owner blocked",
    "no_downlink": "no contact after its opportunities can take the data (none, or taken)",
    "memory": "the satellite's memory is full until the next downlinks",
    "conflict": "every opportunity conflicts with chosen acquisitions (overlap or transition)",
    "outranked_by_activation": "its opportunities are taken by a disaster-response activation",
    "time_limit": "an opportunity still fits; the solver stopped before proving optimality",
    "not_selected": "an opportunity fits but adds no value",
}


@dataclass(frozen=True)
class Acquisition:
    """A chosen candidate with its exact times (s from the plan start and UTC)."""

    candidate: str
    demand: str
    request: str
    partner: str
    urgency: str
    satellite: str
    instrument: str
    start_s: float
    end_s: float
    start: datetime
    end: datetime
    value: float
    volume_mbit: float
    off_nadir_deg: float
    downlink: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate,
            "demand": self.demand,
            "request": self.request,
            "partner": self.partner,
            "urgency": self.urgency,
            "satellite": self.satellite,
            "instrument": self.instrument,
            "start": format_time(self.start, dialect=PLANNING),
            "end": format_time(self.end, dialect=PLANNING),
            "start_s": self.start_s,
            "end_s": self.end_s,
            "value": self.value,
            "volume_mbit": self.volume_mbit,
            "off_nadir_deg": self.off_nadir_deg,
            "downlink": self.downlink,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Acquisition:
        return cls(
            candidate=str(data["candidate"]),
            demand=str(data["demand"]),
            request=str(data["request"]),
            partner=str(data["partner"]),
            urgency=str(data["urgency"]),
            satellite=str(data["satellite"]),
            instrument=str(data["instrument"]),
            start_s=float(data["start_s"]),
            end_s=float(data["end_s"]),
            start=parse_time(data["start"], "start", dialect=PLANNING),
            end=parse_time(data["end"], "end", dialect=PLANNING),
            value=float(data["value"]),
            volume_mbit=float(data["volume_mbit"]),
            off_nadir_deg=float(data["off_nadir_deg"]),
            downlink=str(data["downlink"]),
        )


@dataclass(frozen=True)
class Downlink:
    """Data of ``acquisitions`` sent by ``satellite`` to ``station`` within ``contact``."""

    id: str
    contact: str
    satellite: str
    station: str
    start_s: float
    end_s: float
    start: datetime
    end: datetime
    volume_mbit: float
    acquisitions: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "contact": self.contact,
            "satellite": self.satellite,
            "station": self.station,
            "start": format_time(self.start, dialect=PLANNING),
            "end": format_time(self.end, dialect=PLANNING),
            "start_s": self.start_s,
            "end_s": self.end_s,
            "volume_mbit": self.volume_mbit,
            "acquisitions": list(self.acquisitions),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Downlink:
        return cls(
            id=str(data["id"]),
            contact=str(data["contact"]),
            satellite=str(data["satellite"]),
            station=str(data["station"]),
            start_s=float(data["start_s"]),
            end_s=float(data["end_s"]),
            start=parse_time(data["start"], "start", dialect=PLANNING),
            end=parse_time(data["end"], "end", dialect=PLANNING),
            volume_mbit=float(data["volume_mbit"]),
            acquisitions=tuple(str(a) for a in data["acquisitions"]),
        )


@dataclass(frozen=True)
class PartnerAccount:
    """One partner's line in the fairness table.

    ``received_value``: value delivered for its routine and urgent requests;
    ``share``: that over all partners' received value; ``target_value``: what its
    entitlement asks for (proportional mode: its entitlement of the best total,
    capped by what it can use, the excess passed to the others; other modes:
    entitlement x total received); ``ideal_value``: the most it could receive if the
    plan served it alone (``None`` when not computed); ``satisfaction``:
    received / ideal; ``activation_value``: value delivered for its own activations;
    ``activation_charge``: its entitlement x all activations' delivered value — the
    activations' cost, borne by every partner in proportion to its entitlement.
    """

    partner: str
    entitlement: float
    requested_value: float
    received_value: float
    share: float
    target_value: float
    ideal_value: float | None
    satisfaction: float | None
    activation_value: float
    activation_charge: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "entitlement": self.entitlement,
            "requested_value": self.requested_value,
            "received_value": self.received_value,
            "share": self.share,
            "target_value": self.target_value,
            "ideal_value": self.ideal_value,
            "satisfaction": self.satisfaction,
            "activation_value": self.activation_value,
            "activation_charge": self.activation_charge,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PartnerAccount:
        ideal = data.get("ideal_value")
        satisfaction = data.get("satisfaction")
        return cls(
            partner=str(data["partner"]),
            entitlement=float(data["entitlement"]),
            requested_value=float(data["requested_value"]),
            received_value=float(data["received_value"]),
            share=float(data["share"]),
            target_value=float(data["target_value"]),
            ideal_value=None if ideal is None else float(ideal),
            satisfaction=None if satisfaction is None else float(satisfaction),
            activation_value=float(data["activation_value"]),
            activation_charge=float(data["activation_charge"]),
        )


@dataclass(frozen=True)
class Unserved:
    """A demand not in the plan, with its named reason (:data:`REASONS`), a message
    for people, and the ids of what stood in the way (acquisitions = candidate ids,
    downlinks, blocks)."""

    demand: str
    request: str
    partner: str
    reason: str
    message: str
    related: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "demand": self.demand,
            "request": self.request,
            "partner": self.partner,
            "reason": self.reason,
            "message": self.message,
            "related": list(self.related),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Unserved:
        return cls(
            demand=str(data["demand"]),
            request=str(data["request"]),
            partner=str(data["partner"]),
            reason=str(data["reason"]),
            message=str(data["message"]),
            related=tuple(str(x) for x in data.get("related", ())),
        )


@dataclass(frozen=True)
class Stage:
    """One optimisation stage (precedence, fairness, total) with its solver status."""

    name: str
    status: str
    objective: float | None
    bound: float | None
    time_s: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "time_s": self.time_s,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Stage:
        objective = data.get("objective")
        bound = data.get("bound")
        return cls(
            name=str(data["name"]),
            status=str(data["status"]),
            objective=None if objective is None else float(objective),
            bound=None if bound is None else float(bound),
            time_s=float(data["time_s"]),
        )


@dataclass(frozen=True)
class Plan:
    """A joint plan (see the module docstring).

    ``objective``: total delivered value (activations included); ``bound``: an upper
    bound of it from the last stage (``None`` when unknown); ``gap``:
    ``(bound - objective) / max(bound, 1e-9)``. ``warnings``: what the inputs'
    builder reported (element sets used beyond their validity, SGP4 failures), one
    sentence each.
    """

    name: str
    status: str
    message: str
    solver: str
    fairness: str
    start: datetime
    horizon_s: float
    objective: float
    bound: float | None
    gap: float | None
    activation_value: float
    acquisitions: tuple[Acquisition, ...]
    downlinks: tuple[Downlink, ...]
    accounts: tuple[PartnerAccount, ...]
    unserved: tuple[Unserved, ...]
    stages: tuple[Stage, ...]
    solve_time_s: float
    warnings: tuple[str, ...] = ()

    @property
    def total_value(self) -> float:
        return self.objective

    def account(self, partner: str) -> PartnerAccount:
        for account in self.accounts:
            if account.partner == partner:
                return account
        raise KeyError(partner)

    def reason(self, demand: str) -> Unserved | None:
        """The reason ``demand`` is unserved, or ``None`` when it is served."""
        for item in self.unserved:
            if item.demand == demand:
                return item
        return None

    def max_share_deviation(self) -> float:
        """Largest ``|share - entitlement|`` over partners with an entitlement."""
        deviations = [abs(a.share - a.entitlement) for a in self.accounts if a.entitlement > 0]
        return max(deviations, default=0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "message": self.message,
            "solver": self.solver,
            "fairness": self.fairness,
            "start": format_time(self.start, dialect=PLANNING),
            "horizon_s": self.horizon_s,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "activation_value": self.activation_value,
            "solve_time_s": self.solve_time_s,
            "stages": [s.to_dict() for s in self.stages],
            "accounts": [a.to_dict() for a in self.accounts],
            "acquisitions": [a.to_dict() for a in self.acquisitions],
            "downlinks": [d.to_dict() for d in self.downlinks],
            "unserved": [u.to_dict() for u in self.unserved],
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        bound = data.get("bound")
        gap = data.get("gap")
        return cls(
            name=str(data["name"]),
            status=str(data["status"]),
            message=str(data["message"]),
            solver=str(data["solver"]),
            fairness=str(data["fairness"]),
            start=parse_time(data["start"], "start", dialect=PLANNING),
            horizon_s=float(data["horizon_s"]),
            objective=float(data["objective"]),
            bound=None if bound is None else float(bound),
            gap=None if gap is None else float(gap),
            activation_value=float(data["activation_value"]),
            acquisitions=tuple(Acquisition.from_dict(a) for a in data["acquisitions"]),
            downlinks=tuple(Downlink.from_dict(d) for d in data["downlinks"]),
            accounts=tuple(PartnerAccount.from_dict(a) for a in data["accounts"]),
            unserved=tuple(Unserved.from_dict(u) for u in data["unserved"]),
            stages=tuple(Stage.from_dict(s) for s in data["stages"]),
            solve_time_s=float(data["solve_time_s"]),
            warnings=tuple(str(w) for w in data.get("warnings", ())),
        )


def relative_gap(objective: float, bound: float | None) -> float | None:
    """``(bound - objective) / max(|bound|, 1e-9)``, 0 when equal, ``None`` without a
    bound."""
    if bound is None or not math.isfinite(bound):
        return None
    if abs(bound - objective) <= 1e-9:
        return 0.0
    return max(0.0, (bound - objective) / max(abs(bound), 1e-9))
