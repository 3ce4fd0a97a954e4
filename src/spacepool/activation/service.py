"""The activation workflow with the database: what the CLI and the REST API call.

Each function reads and computes first and writes in one transaction at the end, so
a bad activation or report writes nothing, and every state change is stored with
its notification (:func:`spacepool.store.activations.record_event`).

:func:`planning_basis` says what an activation is planned with: the registry (its
partners, spacecraft, stations and agreements, each spacecraft on its newest stored
element set) or, when the registry holds no spacecraft, a fallback consortium on
its nominal elements, with a warning kept in the activation. Summaries and reported
acquisitions fly each spacecraft on the stored set its plan used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from spacepool._reading import format_time
from spacepool.activation.execution import AcquisitionReport, Product, make_product, simulate
from spacepool.activation.model import ACTIVATION, Activation
from spacepool.activation.summary import build_summary, compare_activation
from spacepool.activation.tasking import ArchiveImage
from spacepool.activation.workflow import ActivationPlan, Clock, raise_activation
from spacepool.catalog.access import Viewer
from spacepool.consortium import Consortium
from spacepool.errors import ActivationError, PermissionDeniedError, UnknownNameError
from spacepool.orbits.elements import ElementSet
from spacepool.store import Store
from spacepool.store.activations import (
    activation_plan,
    find_archive,
    get_activation,
    products_of,
    publish_product,
    save_activation,
    set_cooperation,
)
from spacepool.store.element_sets import element_sets_at, newest_element_sets
from spacepool.store.partners import get_partner
from spacepool.store.registry import registry_consortium, registry_is_empty

Now = Callable[[], datetime]


@dataclass(frozen=True)
class PlanningBasis:
    """What activations are planned with: the consortium, the element sets that
    replace nominal ones (by NORAD id), warnings to keep with the activation, and
    ``source``: ``"registry"`` or ``"fallback"`` (the registry holds no spacecraft)."""

    consortium: Consortium
    elements: Mapping[int, ElementSet] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    source: str = "registry"


def planning_basis(
    store: Store, *, epoch: datetime, fallback: Callable[[], Consortium]
) -> PlanningBasis:
    """The registry's partners, spacecraft, stations and agreements, each spacecraft
    on its newest stored element set (a partner's upload newer than the loader's
    nominal set wins); ``fallback()`` on its nominal elements, with a warning, when
    the registry holds no spacecraft. ``epoch``: the consortium's reference time."""
    with store.transaction() as session:
        if not registry_is_empty(session):
            consortium = registry_consortium(session, epoch=epoch)
            if consortium.fleet:
                norads = [sc.norad_id for sc in consortium.fleet]
                return PlanningBasis(consortium, newest_element_sets(session, norads))
    consortium = fallback()
    warning = (
        f"the registry holds no spacecraft: planned with the {consortium.name!r} consortium "
        "on its nominal element sets; run 'spacepool consortium load' and upload current "
        "element sets (POST /element-sets)"
    )
    return PlanningBasis(consortium, {}, (warning,), source="fallback")


def recorded_elements(session: Session, result: ActivationPlan) -> dict[int, ElementSet]:
    """The stored element sets the activation's plan used (by NORAD id); the others
    are nominal and rebuilt from the orbit."""
    return element_sets_at(session, [(e.norad_id, e.epoch) for e in result.elements])


def open_activation(
    store: Store,
    data: Mapping[str, Any],
    consortium: Consortium,
    *,
    viewer: Viewer,
    clock: Clock,
    now: Now,
    activation_id: str | None = None,
    **planning: Any,
) -> ActivationPlan:
    """Check, task, plan and store an activation raised by ``viewer``.

    A partner raises activations for itself (naming another partner is a
    :class:`PermissionDeniedError`); the coordinator may name the requesting partner
    or raise one for the consortium. The archive for a pre/post pair is searched
    among the catalogue items the requester may see. ``clock`` gives the chain's
    received / validated / planned times, ``now`` the wall clock of the database
    rows. ``planning``: solver options of
    :func:`~spacepool.activation.workflow.raise_activation`.
    """
    partner = _requester(viewer, data)

    def archive(activation: Activation) -> list[ArchiveImage]:
        who = Viewer.admin() if activation.partner is None else Viewer.partner(activation.partner)
        with store.transaction() as session:
            return find_archive(session, activation, who, now(), consortium)

    result = raise_activation(
        data,
        consortium,
        clock=clock,
        partner=partner,
        activation_id=activation_id,
        archive=archive,
        **planning,
    )
    with store.transaction() as session:
        activation = result.activation
        if activation.partner is not None:
            _registered(session, activation.partner, "partner")
        for index, shared in enumerate(activation.access.shared_with):
            _registered(session, shared, f"shared_with[{index}]")
        save_activation(session, result, now=now())
    return result


def _requester(viewer: Viewer, data: Mapping[str, Any]) -> str | None:
    named = data.get("partner") if isinstance(data, Mapping) else None
    if viewer.kind == "partner":
        if named is not None and named != viewer.partner_id:
            raise PermissionDeniedError(
                f"partner: your key belongs to {viewer.partner_id!r}; a partner raises "
                f"activations for itself, got {named!r}",
                required="coordinator",
            )
        return viewer.partner_id
    if viewer.kind == "admin":
        return None  # the body's partner, if any, is read with the activation
    raise PermissionDeniedError(
        "raising an activation needs a partner or coordinator key", required="partner"
    )


def _registered(session: Session, partner: str, field: str) -> None:
    try:
        get_partner(session, partner)
    except UnknownNameError as exc:
        raise ActivationError(
            f"partner {partner!r} is not registered in this database; known partners: "
            f"{', '.join(exc.known) or '(none)'} (spacepool consortium load, or "
            "spacepool partners add)",
            field=field,
        ) from None


def report_acquisition(
    store: Store,
    activation_id: str,
    data: Mapping[str, Any] | AcquisitionReport,
    consortium: Consortium,
    *,
    viewer: Viewer,
    now: Now,
) -> tuple[Product, bool]:
    """Publish the product of an acquisition a partner reports (``POST
    /activations/{id}/acquisitions``); returns the product and whether it is new.

    The caller must see the activation and own the instrument (the coordinator may
    report any); the acquisition must lie in the horizon and have ended by now.
    """
    report = data if isinstance(data, AcquisitionReport) else AcquisitionReport.from_dict(data)
    when = now()
    with store.transaction() as session:
        record = get_activation(session, viewer, when, activation_id)
        result = activation_plan(record)
        elements = recorded_elements(session, result)
    product = _product(result, report, consortium, elements=elements)
    if viewer.kind == "partner" and product.owner != viewer.partner_id:
        raise PermissionDeniedError(
            f"{product.satellite}/{product.instrument} belongs to {product.owner!r}; a partner "
            f"reports only its own acquisitions (your key: {viewer.partner_id!r})",
            required="owner",
        )
    if report.end > when:
        raise ActivationError(
            f"the acquisition ends at {_t(report.end)}, after now ({_t(when)}); report "
            "acquisitions once made",
            field="end",
        )
    product = _product(result, report, consortium, published=when, elements=elements)
    with store.transaction() as session:
        record = get_activation(session, viewer, when, activation_id)
        published = publish_product(session, record, product, now=when)
    return published.product, published.created


def _product(
    result: ActivationPlan,
    report: AcquisitionReport,
    consortium: Consortium,
    *,
    published: datetime | None = None,
    area: Any = None,
    elements: Mapping[int, ElementSet] | None = None,
) -> Product:
    tasking = result.tasking_for(report.request)
    pre = None if tasking is None else tasking.archive
    return make_product(
        report,
        result.activation,
        consortium,
        published=published,
        pre_event=pre,
        area=area,
        elements=elements,
    )


def _t(when: datetime) -> str:
    return format_time(when, dialect=ACTIVATION)


def execute_simulated(
    store: Store, activation_id: str, consortium: Consortium, *, now: Now
) -> list[Product]:
    """Run the simulator on a stored activation's plan and publish every product (one
    transaction); products are published at delivery + processing time."""
    when = now()
    admin = Viewer.admin()
    with store.transaction() as session:
        result = activation_plan(get_activation(session, admin, when, activation_id))
        elements = recorded_elements(session, result)
    area = result.activation.target()
    products = [
        _product(result, r, consortium, area=area, elements=elements) for r in simulate(result)
    ]
    with store.transaction() as session:
        record = get_activation(session, admin, when, activation_id)
        for product in products:
            publish_product(session, record, product, now=when)
    return products


def activation_summary(
    store: Store, activation_id: str, consortium: Consortium, *, viewer: Viewer, now: Now
) -> dict[str, Any]:
    """The summary (``summary.json`` fields) of a stored activation ``viewer`` may see.
    The value of cooperation is computed on first use and kept."""
    from spacepool.activation.cooperation import Comparison

    when = now()
    with store.transaction() as session:
        record = get_activation(session, viewer, when, activation_id)
        result = activation_plan(record)
        products = products_of(session, record)
        kept = record.cooperation
        elements = recorded_elements(session, result)
    if kept is None:
        comparison = compare_activation(result, consortium, elements=elements)
        with store.transaction() as session:
            record = get_activation(session, Viewer.admin(), when, activation_id)
            set_cooperation(session, record, comparison.to_json(), now=when)
    else:
        comparison = Comparison.from_json(kept)
    return build_summary(result, consortium, products, comparison)


__all__ = [
    "PlanningBasis",
    "activation_summary",
    "execute_simulated",
    "open_activation",
    "planning_basis",
    "recorded_elements",
    "report_acquisition",
]
