"""Disaster activations over HTTP.

``POST /activations`` raises one (partner or coordinator key) and answers with the
plan's headline within seconds; the ``GET`` routes show what the caller may see
under the activation's access policy (a hidden activation is a 404, and lists
neither return nor count it); ``POST /activations/{id}/acquisitions`` is how a
partner reports an acquisition it made, which publishes the product to the
catalogue (the simulator goes the same way).

Activations are planned with the registry: its partners, spacecraft, stations and
agreements, each spacecraft on its newest stored element set (``POST
/element-sets``), else its nominal elements. While the registry holds no spacecraft
the bundled consortium stands in (or ``app.state.consortium``), and the activation
keeps a warning saying so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, Response

from spacepool.api.auth import store_of, viewer_of
from spacepool.api.common import json_object, now_of
from spacepool.api.pagination import Page, PageParams, page, page_params
from spacepool.consortium import Consortium
from spacepool.demo import DEMO_AREA

if TYPE_CHECKING:
    from spacepool.activation.service import PlanningBasis

router = APIRouter(tags=["Activations"])

_EXAMPLE = {
    "aoi": DEMO_AREA,
    "type": "flood",
    "event_time": "2026-06-01T03:00:00Z",
    "access": "consortium",
    "horizon_hours": 72,
}


def consortium_of(request: Request) -> Consortium:
    """The consortium that stands in for an empty registry (``app.state.consortium``,
    else the bundled one, loaded once)."""
    consortium = getattr(request.app.state, "consortium", None)
    if consortium is None:
        from spacepool.consortium import load_consortium

        consortium = load_consortium()
        request.app.state.consortium = consortium
    assert isinstance(consortium, Consortium)
    return consortium


def basis_of(request: Request) -> PlanningBasis:
    """What activations are planned with now (see the module docstring)."""
    from spacepool.activation.service import planning_basis

    return planning_basis(
        store_of(request), epoch=now_of(request), fallback=lambda: consortium_of(request)
    )


def _clock(request: Request) -> Any:
    return request.app.state.clock


@router.post("/activations", summary="Raise a disaster activation", status_code=201)
def activations_raise(
    request: Request,
    body: Annotated[
        Any,
        Body(
            description=(
                "aoi (GeoJSON Polygon / MultiPolygon, or Point with radius_km), type (the "
                "Charter's disaster types), event_time, and optionally access (open, "
                "consortium, owner, partners), shared_with, embargo_hours, horizon_hours "
                "(default 72), name. A partner raises activations for itself; the "
                "coordinator may name the requesting 'partner'. See docs/activation.md."
            ),
            examples=[_EXAMPLE],
        ),
    ],
) -> dict[str, Any]:
    """Check, task and plan the activation over its horizon and store it with its
    events. The answer: the activation, its requests and the plan's headline."""
    from spacepool.activation.service import open_activation
    from spacepool.store.activations import get_activation

    viewer = viewer_of(request)
    data = json_object(body, "activation")
    store = store_of(request)
    basis = basis_of(request)
    result = open_activation(
        store,
        data,
        basis.consortium,
        viewer=viewer,
        clock=_clock(request),
        now=_clock(request),
        elements=basis.elements,
        warnings=basis.warnings,
    )
    with store.transaction() as session:
        record = get_activation(session, viewer, now_of(request), result.activation.id)
        return _detail(record)


def _detail(record: Any) -> dict[str, Any]:
    from spacepool.store.activations import activation_summary_row

    document = record.document
    plan = document["plan"]
    return {
        **activation_summary_row(record),
        "activation": document["activation"],
        "tasking": document["tasking"],
        "compute_seconds": document["compute_seconds"],
        "elements": document.get("elements", []),
        "warnings": document.get("warnings", []),
        "plan": {
            "status": plan["status"],
            "message": plan["message"],
            "acquisitions": len(plan["acquisitions"]),
            "downlinks": len(plan["downlinks"]),
        },
    }


@router.get("/activations", summary="Activations", response_model=Page[dict[str, Any]])
def activations_list(
    request: Request, paging: Annotated[PageParams, Depends(page_params)]
) -> dict[str, Any]:
    """The activations the caller may see (their access policy), newest first."""
    from spacepool.store.activations import activation_summary_row, list_activations

    viewer = viewer_of(request)
    with store_of(request).transaction() as session:
        rows, total = list_activations(
            session, viewer, now_of(request), limit=paging.limit, offset=paging.offset
        )
        items = [activation_summary_row(r) for r in rows]
    return page(request, paging, items, total)


@router.get("/activations/{activation_id}", summary="One activation")
def activations_get(request: Request, activation_id: str) -> dict[str, Any]:
    """The activation, its state, requests, chain timestamps and plan headline."""
    from spacepool.store.activations import get_activation

    with store_of(request).transaction() as session:
        record = get_activation(session, viewer_of(request), now_of(request), activation_id)
        return _detail(record)


@router.get("/activations/{activation_id}/summary", summary="An activation's summary")
def activations_summary(request: Request, activation_id: str) -> dict[str, Any]:
    """The fields of ``summary.json``: chain timestamps, first acquisition and
    delivery, hours to the first acquisition for the pool and each partner alone,
    counts, per-partner accounting (the value of cooperation is computed on the first
    call, a few seconds, and kept)."""
    from spacepool.activation.service import activation_summary

    return activation_summary(
        store_of(request),
        activation_id,
        basis_of(request).consortium,
        viewer=viewer_of(request),
        now=_clock(request),
    )


@router.get("/activations/{activation_id}/plan", summary="An activation's plan")
def activations_plan(request: Request, activation_id: str) -> dict[str, Any]:
    """The plan (``plan.json`` of ``spacepool plan``): acquisitions, downlinks,
    accounting, reasons for what is not served."""
    from spacepool.store.activations import get_activation

    with store_of(request).transaction() as session:
        record = get_activation(session, viewer_of(request), now_of(request), activation_id)
        plan: dict[str, Any] = record.document["plan"]
        return plan


@router.get(
    "/activations/{activation_id}/events",
    summary="An activation's state changes",
    response_model=Page[dict[str, Any]],
)
def activations_events(
    request: Request, activation_id: str, paging: Annotated[PageParams, Depends(page_params)]
) -> dict[str, Any]:
    """Every state change in order (the same JSON the webhook receives)."""
    from spacepool.store.activations import event_document, get_activation, list_events

    with store_of(request).transaction() as session:
        record = get_activation(session, viewer_of(request), now_of(request), activation_id)
        rows, total = list_events(session, record, limit=paging.limit, offset=paging.offset)
        items = [event_document(r) for r in rows]
    return page(request, paging, items, total)


@router.post(
    "/activations/{activation_id}/acquisitions",
    summary="Report an acquisition made for an activation",
    status_code=201,
)
def activations_report(
    request: Request,
    response: Response,
    activation_id: str,
    body: Annotated[
        Any,
        Body(
            description=(
                "satellite, instrument, start, end; optionally footprint (GeoJSON; "
                "computed from the orbit when absent), delivered (end of the downlink), "
                "station, request, plan_acquisition, downlink. The caller must own the "
                "instrument (the coordinator may report any)."
            ),
        ),
    ],
) -> dict[str, Any]:
    """Publish the acquisition's product to the catalogue under the activation's
    policy. Reporting the same acquisition again answers 200 and changes nothing."""
    from spacepool.activation.execution import COLLECTION
    from spacepool.activation.service import report_acquisition

    product, created = report_acquisition(
        store_of(request),
        activation_id,
        json_object(body, "acquisition"),
        basis_of(request).consortium,
        viewer=viewer_of(request),
        now=_clock(request),
    )
    if not created:
        response.status_code = 200
    return {
        "product": product.to_dict(),
        "item": f"/stac/collections/{COLLECTION}/items/{product.id}",
    }


__all__ = ["basis_of", "consortium_of", "router"]
