"""The activation workflow: validate -> task -> plan -> record, as plain functions.

:func:`raise_activation` takes the plain data of an activation (REST body, CLI
options), checks it (:func:`~spacepool.activation.model.read_activation`), makes
its urgent requests (:func:`~spacepool.activation.tasking.task`) and plans them
over the horizon across every partner's spacecraft and ground stations
(:func:`spacepool.planning.build.build_instance`). Entitlements come from the
consortium's Earth-observation agreement, so the plan's accounting charges the
activation's delivered value to every partner by entitlement
(``activation_charge``, see :class:`spacepool.planning.plan.PartnerAccount`);
:func:`accounting` sets that charge beside what each partner's assets delivered.

The timestamps of the Charter's chain are kept in a :class:`Chain`: received,
validated and planned from the ``clock``; the first acquisition and the first
delivery to the ground as planned; and, once acquisitions are reported
(:func:`record_execution`), the first actual acquisition, delivery and published
product. The planning horizon starts at the event time.

Each spacecraft flies on the element set given for its NORAD id (``elements``, e.g.
the newest stored in the registry), else on its nominal elements; the activation
records which (:class:`ElementUse`) with any ``warnings`` of the caller (e.g. that
the bundled consortium stood in for an empty registry).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

# The planning modules are imported here, not on first use: an activation's
# compute_seconds measures the computation, as in a running service that has them
# loaded, not Python's one-off import of OR-Tools (about a second).
import spacepool.planning.cpsat  # noqa: F401
from spacepool._reading import format_time, parse_time
from spacepool.activation.model import (
    ACTIVATION,
    Activation,
    planning_elements,
    read_activation,
)
from spacepool.activation.tasking import ArchiveImage, Tasking, select_archive, task
from spacepool.planning.build import build_instance
from spacepool.planning.plan import Plan
from spacepool.planning.scenario import BUNDLED, Scenario
from spacepool.planning.solve import plan_from_candidates

if TYPE_CHECKING:
    from spacepool.activation.execution import Product
    from spacepool.consortium import Consortium
    from spacepool.orbits.elements import ElementSet

Clock = Callable[[], datetime]

# The agreement whose entitlements share the cost of activations: the consortium's
# Earth-observation pool (bundled consortium: value-weighted contributions).
DEFAULT_AGREEMENT: Final = "eo-pool"
# Solver and time limit (s) for an activation's plan: CP-SAT proves the bundled
# consortium's 72-h activations optimal in well under a second; the limit bounds
# the worst case so an activation is planned within seconds.
DEFAULT_SOLVER: Final = "cpsat"
DEFAULT_TIME_LIMIT_S: Final = 2.0
# One process and one solver thread: an activation's access search is one area over
# a few days, done in about a second in this process; spawning a process pool for it
# costs more than it saves (measured: 1.3-2.1 s with 1 worker, 6.6-7.5 s with 2 on
# a 2-core machine, each pool re-importing the engine).
WORKERS: Final = 1

_CHAIN_FIELDS: Final = (
    "received",
    "validated",
    "planned",
    "first_acquisition_planned",
    "first_acquisition_actual",
    "first_delivery_planned",
    "first_delivery_actual",
    "first_product_published",
)


class TimelineClock:
    """A clock that reads ``anchor`` on its first call and then runs with real
    elapsed time.

    An exercise or a replay of a past event runs on the event's timeline: the
    activation is received at ``anchor`` (e.g. the event time) and validated and
    planned as many seconds later as the computation really took.
    """

    def __init__(self, anchor: datetime) -> None:
        self.anchor = anchor
        self._started: float | None = None

    def __call__(self) -> datetime:
        now = time.perf_counter()
        if self._started is None:
            self._started = now
        return self.anchor + timedelta(seconds=now - self._started)


@dataclass(frozen=True)
class Chain:
    """The timestamps of the Charter's chain (``None``: not reached yet)."""

    received: datetime
    validated: datetime | None = None
    planned: datetime | None = None
    first_acquisition_planned: datetime | None = None
    first_acquisition_actual: datetime | None = None
    first_delivery_planned: datetime | None = None
    first_delivery_actual: datetime | None = None
    first_product_published: datetime | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {
            name: None if getattr(self, name) is None else _t(getattr(self, name))
            for name in _CHAIN_FIELDS
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Chain:
        values = {
            name: None
            if data.get(name) is None
            else parse_time(data[name], name, dialect=ACTIVATION)
            for name in _CHAIN_FIELDS
        }
        received = values.pop("received")
        assert received is not None
        return cls(received=received, **values)


@dataclass(frozen=True)
class ElementUse:
    """The element set one spacecraft flew on in an activation's plan: its epoch and
    where it came from (``ElementSet.source``: ``"nominal"`` for elements built from
    the published orbit, ``"tle"`` / ``"omm"`` for uploaded ones)."""

    satellite: str
    norad_id: int
    epoch: datetime
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "satellite": self.satellite,
            "norad_id": self.norad_id,
            "epoch": _t(self.epoch),
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ElementUse:
        return cls(
            satellite=str(data["satellite"]),
            norad_id=int(data["norad_id"]),
            epoch=parse_time(data["epoch"], "epoch", dialect=ACTIVATION),
            source=str(data["source"]),
        )


def element_uses(
    consortium: Consortium, elements: Mapping[int, ElementSet] | None = None
) -> tuple[ElementUse, ...]:
    """Which element set each spacecraft of the fleet flies on (see the module
    docstring)."""
    return tuple(
        ElementUse(sc.id, e.norad_id, e.epoch, e.source)
        for sc, e in zip(consortium.fleet, planning_elements(consortium, elements), strict=True)
    )


@dataclass(frozen=True)
class ActivationPlan:
    """An activation with its requests, plan, chain timestamps and accounting basis.

    ``compute_seconds``: the computation from the received data to the plan
    (validation, tasking, access and contacts, solving). ``elements``: the element
    set each spacecraft flew on; ``warnings``: what the reader of the plan should
    know about its inputs (empty for records written before they were kept).
    """

    activation: Activation
    tasking: tuple[Tasking, ...]
    plan: Plan = field(repr=False)
    chain: Chain
    compute_seconds: float
    sun_elevation_deg: float
    agreement: str = DEFAULT_AGREEMENT
    elements: tuple[ElementUse, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "activation": self.activation.to_dict(),
            "tasking": [t.to_dict() for t in self.tasking],
            "chain": self.chain.to_dict(),
            "compute_seconds": self.compute_seconds,
            "sun_elevation_deg": self.sun_elevation_deg,
            "agreement": self.agreement,
            "elements": [e.to_dict() for e in self.elements],
            "warnings": list(self.warnings),
            "plan": self.plan.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ActivationPlan:
        """Read back :meth:`to_dict` (tasking is rebuilt from the stored rules)."""
        activation = Activation.from_dict(data["activation"])
        archive = [
            ArchiveImage.from_dict(t["archive"]) for t in data["tasking"] if t.get("archive")
        ]
        tasking = task(activation, archive=archive, sun_elevation=float(data["sun_elevation_deg"]))
        return cls(
            activation=activation,
            tasking=tasking,
            plan=Plan.from_dict(data["plan"]),
            chain=Chain.from_dict(data["chain"]),
            compute_seconds=float(data["compute_seconds"]),
            sun_elevation_deg=float(data["sun_elevation_deg"]),
            agreement=str(data.get("agreement", DEFAULT_AGREEMENT)),
            elements=tuple(ElementUse.from_dict(e) for e in data.get("elements", ())),
            warnings=tuple(str(w) for w in data.get("warnings", ())),
        )

    def tasking_for(self, request: str | None) -> Tasking | None:
        for tasking in self.tasking:
            if tasking.request.id == request:
                return tasking
        return None


def _t(when: datetime) -> str:
    return format_time(when, dialect=ACTIVATION)


def raise_activation(
    data: Mapping[str, Any],
    consortium: Consortium,
    *,
    clock: Clock,
    partner: str | None = None,
    activation_id: str | None = None,
    archive: Callable[[Activation], Sequence[ArchiveImage]] | None = None,
    solver: str = DEFAULT_SOLVER,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    agreement: str = DEFAULT_AGREEMENT,
    elements: Mapping[int, ElementSet] | None = None,
    warnings: Sequence[str] = (),
) -> ActivationPlan:
    """Check, task and plan an activation (see the module docstring).

    ``partner``: the requesting partner from the caller's key (wins over the data's
    ``partner``); ``archive``: returns candidate pre-event images for the checked
    activation (e.g. from the catalogue), filtered by
    :func:`~spacepool.activation.tasking.select_archive`; ``elements`` (by NORAD id)
    replace the nominal elements of those spacecraft, in the validity check and the
    plan; ``warnings`` are kept with the activation. Raises
    :class:`~spacepool.errors.ActivationError` for a bad activation; nothing is
    written anywhere.
    """
    received = clock()
    started = time.perf_counter()
    activation = read_activation(
        data, consortium, activation_id=activation_id, partner=partner, elements=elements
    )
    validated = clock()
    found = select_archive(archive(activation), activation) if archive is not None else ()
    tasking, plan, sun = plan_activation(
        activation,
        consortium,
        archive=found,
        solver=solver,
        time_limit_s=time_limit_s,
        agreement=agreement,
        elements=elements,
    )
    compute_seconds = time.perf_counter() - started
    planned = clock()
    chain = Chain(
        received=received,
        validated=validated,
        planned=planned,
        first_acquisition_planned=min((a.start for a in plan.acquisitions), default=None),
        first_delivery_planned=min((d.end for d in plan.downlinks), default=None),
    )
    return ActivationPlan(
        activation,
        tasking,
        plan,
        chain,
        compute_seconds,
        sun,
        agreement,
        elements=element_uses(consortium, elements),
        warnings=tuple(warnings),
    )


def plan_activation(
    activation: Activation,
    consortium: Consortium,
    *,
    archive: Sequence[ArchiveImage] = (),
    solver: str = DEFAULT_SOLVER,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    agreement: str = DEFAULT_AGREEMENT,
    elements: Mapping[int, ElementSet] | None = None,
) -> tuple[tuple[Tasking, ...], Plan, float]:
    """The activation's requests, their plan over the horizon, and the Sun's
    elevation (deg) at the area's centre at the event time. ``elements`` (by NORAD
    id) replace the nominal elements of those spacecraft."""
    from spacepool.activation.tasking import sun_elevation_deg

    lat, lon = activation.target().centre_deg
    sun = sun_elevation_deg(lat, lon, activation.start)
    tasking = task(activation, archive=archive, sun_elevation=sun)
    scenario = Scenario(
        name=f"activation {activation.id}",
        consortium_ref=BUNDLED,
        consortium=consortium,
        start=activation.start,
        end=activation.end,
        fairness="none",
        entitlements=dict(consortium.agreement(agreement).entitlements()),
        requests=tuple(t.request for t in tasking),
        agreement=agreement,
    )
    instance = build_instance(scenario, workers=WORKERS, elements=elements)
    plan = plan_from_candidates(instance, solver=solver, time_limit_s=time_limit_s, workers=WORKERS)
    return tasking, plan, sun


def record_execution(result: ActivationPlan, products: Sequence[Product]) -> ActivationPlan:
    """The chain with the first actual acquisition, delivery and published product
    among ``products`` (all the activation's products so far)."""
    if not products:
        return result
    delivered = [p.delivered for p in products if p.delivered is not None]
    chain = replace(
        result.chain,
        first_acquisition_actual=min(p.start for p in products),
        first_delivery_actual=min(delivered) if delivered else None,
        first_product_published=min(p.published for p in products),
    )
    return replace(result, chain=chain)


def accounting(
    result: ActivationPlan, consortium: Consortium, products: Sequence[Product] = ()
) -> list[dict[str, Any]]:
    """Per partner: its entitlement, the activation value charged to it
    (``activation_charge`` = entitlement x the activation's delivered value, from
    the plan), what its instruments and stations delivered for the activation, and
    the balance (value delivered by its instruments minus the charge)."""
    plan = result.plan
    accounts = {a.partner: a for a in plan.accounts}
    owner_of: dict[tuple[str, str], str] = {
        (sc.id, i.id): sc.instrument_owner(i) for sc, i in consortium.instruments()
    }
    station_owner = {s.id: s.owner for s in consortium.stations}
    acquisitions: dict[str, int] = defaultdict(int)
    value: dict[str, float] = defaultdict(float)
    for a in plan.acquisitions:
        owner = owner_of[(a.satellite, a.instrument)]
        acquisitions[owner] += 1
        value[owner] += a.value
    downlinks: dict[str, int] = defaultdict(int)
    for d in plan.downlinks:
        downlinks[station_owner[d.station]] += 1
    published: dict[str, int] = defaultdict(int)
    for p in products:
        published[p.owner] += 1
    rows = []
    for partner in sorted(p.id for p in consortium.partners):
        account = accounts.get(partner)
        charge = 0.0 if account is None else account.activation_charge
        rows.append(
            {
                "partner": partner,
                "entitlement": 0.0 if account is None else account.entitlement,
                "activation_charge": round(charge, 6),
                "acquisitions": acquisitions[partner],
                "value_delivered": round(value[partner], 6),
                "downlinks": downlinks[partner],
                "products_published": published[partner],
                "balance": round(value[partner] - charge, 6),
            }
        )
    return rows


__all__ = [
    "DEFAULT_AGREEMENT",
    "DEFAULT_SOLVER",
    "DEFAULT_TIME_LIMIT_S",
    "ActivationPlan",
    "Chain",
    "Clock",
    "ElementUse",
    "TimelineClock",
    "accounting",
    "element_uses",
    "plan_activation",
    "raise_activation",
    "record_execution",
]
