"""Requests over HTTP: a partner submits and reads its own; the coordinator submits
for any partner and reads all."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from spacepool.api.auth import store_of, viewer_of
from spacepool.api.common import author, json_object, now_of
from spacepool.api.pagination import Page, PageParams, page, page_params
from spacepool.errors import InputError, PermissionDeniedError
from spacepool.planning.requests import Request as PlanningRequest
from spacepool.store.requests import add_request, get_request, list_requests, request_to_dict

router = APIRouter(tags=["Requests"])

_EXAMPLE = {
    "id": "esa-flood-po",
    "target": {"lat": 45.0, "lon": 11.0},
    "window": {"start": "2026-06-01T00:00:00Z", "end": "2026-06-02T00:00:00Z"},
    "requirements": {"kinds": ["optical", "sar"], "max_resolution_m": 30},
    "value": 5,
    "urgency": "routine",
}


@router.post("/requests", summary="Submit a request", status_code=201)
def requests_submit(
    request: Request,
    response: Response,
    body: Annotated[
        Any,
        Body(
            description=(
                "The request fields of a planning scenario (docs/planning.md): id, target "
                "({lat, lon} or {area: GeoJSON Polygon}), window {start, end}, "
                "requirements, value, urgency, revisit_every_s. A partner may leave out "
                "'partner' (it is its own id); the coordinator must name it."
            ),
            examples=[_EXAMPLE],
        ),
    ],
) -> dict[str, Any]:
    """Store a request. Re-posting the same request is harmless (200); the same id
    with other fields is a 409."""
    viewer = viewer_of(request)
    data = dict(json_object(body, "request"))
    if viewer.kind == "partner":
        named = data.setdefault("partner", viewer.partner_id)
        if named != viewer.partner_id:
            raise PermissionDeniedError(
                f"request.partner: a partner submits for itself ({viewer.partner_id!r}), "
                f"not for {named!r}",
                required="coordinator",
            )
    elif "partner" not in data:
        raise InputError("request.partner: the coordinator must name the requesting partner")
    planning_request = PlanningRequest.from_dict(data)
    if "/" in planning_request.id:
        raise InputError(
            f"request.id: must not contain '/' (it is part of the URL), got {planning_request.id!r}"
        )
    with store_of(request).transaction() as session:
        record, created = add_request(
            session, planning_request, submitted_by=author(viewer), now=now_of(request)
        )
        result = request_to_dict(record)
    if not created:
        response.status_code = 200
    return result


@router.get("/requests", summary="Requests", response_model=Page[dict[str, Any]])
def requests_list(
    request: Request,
    paging: Annotated[PageParams, Depends(page_params)],
    partner: Annotated[str | None, Query(description="Only this partner's (coordinator).")] = None,
) -> dict[str, Any]:
    """A partner's own requests, or every request for the coordinator; newest first."""
    viewer = viewer_of(request)
    with store_of(request).transaction() as session:
        records, total = list_requests(
            session, viewer, partner=partner, limit=paging.limit, offset=paging.offset
        )
        items = [request_to_dict(r) for r in records]
    return page(request, paging, items, total)


@router.get("/requests/{request_id}", summary="One request")
def requests_get(request: Request, request_id: str) -> dict[str, Any]:
    """The request, if it is the caller's (or the caller is the coordinator); else 404."""
    viewer = viewer_of(request)
    with store_of(request).transaction() as session:
        return request_to_dict(get_request(session, viewer, request_id))
