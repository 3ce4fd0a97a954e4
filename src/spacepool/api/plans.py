"""Plans over HTTP: the coordinator runs a plan over the stored requests and the
registry's assets; partners and the coordinator read plans.

A partner reading a plan sees its own acquisitions and unserved requests and every
partner's aggregate account, never another partner's targets or acquisitions
(:func:`spacepool.store.plans.partner_view`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from spacepool.api.auth import store_of, viewer_of
from spacepool.api.common import author, now_of
from spacepool.api.pagination import Page, PageParams, page, page_params
from spacepool.catalog.items import format_rfc3339
from spacepool.errors import InputError, ScenarioError, TimeRangeError
from spacepool.orbits.elements import ElementSet
from spacepool.orbits.timebase import check_window, parse_time
from spacepool.planning.plan import Plan
from spacepool.planning.requests import Request as PlanningRequest
from spacepool.store.agreements import get_agreement
from spacepool.store.element_sets import current_element_sets, to_element_set
from spacepool.store.plans import (
    add_plan,
    check_plan_id_free,
    get_plan,
    list_plans,
    plan_summary,
    plan_view,
)
from spacepool.store.registry import registry_consortium
from spacepool.store.requests import requests_for_plan

router = APIRouter(tags=["Plans"])

MAX_TIME_LIMIT_S: Final = 60.0
"""Longest solver time a request may ask for (s): the plan runs inside the HTTP
request, so it must answer within a client's usual timeout."""
DEFAULT_TIME_LIMIT_S: Final = 10.0
MAX_WINDOW: Final = timedelta(days=7)
"""Longest planning window: opportunities and contacts are computed in the request."""
PLAN_ID_PATTERN: Final = r"^[a-z0-9][a-z0-9._-]{0,63}$"


class PlanIn(BaseModel):
    """What to plan: the window, the solver and its time limit, the fairness rule
    and its agreement, and optionally which requests (default: every submitted
    request whose window lies inside ``[start, end]``)."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(
        None,
        pattern=PLAN_ID_PATTERN,
        description="Plan id (default: generated). Re-posting an id is a 409.",
    )
    start: str = Field(examples=["2026-06-01T00:00:00Z"])
    end: str = Field(examples=["2026-06-02T00:00:00Z"])
    solver: Literal["cpsat", "heuristic"] = "cpsat"
    time_limit_s: float = Field(DEFAULT_TIME_LIMIT_S, gt=0.0, le=MAX_TIME_LIMIT_S)
    fairness: Literal["none", "proportional", "leximin"] = "none"
    agreement: str | None = Field(
        None,
        description="Agreement whose entitlements the fairness rule uses.",
        examples=["eo-pool"],
    )
    requests: list[str] | None = Field(None, max_length=10_000)


@dataclass(frozen=True)
class _Inputs:
    start: datetime
    end: datetime
    requests: tuple[PlanningRequest, ...]
    entitlements: dict[str, float]
    elements: dict[int, ElementSet]
    consortium: Any


def _window(body: PlanIn) -> tuple[datetime, datetime]:
    start = parse_time(body.start, field="start")
    end = parse_time(body.end, field="end")
    check_window(start, end)
    if end - start > MAX_WINDOW:
        raise TimeRangeError(
            f"plan window of {(end - start).total_seconds() / 86400:g} days is longer than "
            f"the {MAX_WINDOW.days} days allowed; plan shorter windows"
        )
    return start, end


def _read_inputs(request: Request, body: PlanIn) -> _Inputs:
    start, end = _window(body)
    with store_of(request).transaction() as session:
        requests = requests_for_plan(session, start, end, body.requests)
        if not requests:
            raise InputError(
                f"no submitted request has its window inside {format_rfc3339(start)} .. "
                f"{format_rfc3339(end)}; submit requests first (POST /requests)"
            )
        for planning_request in requests:
            if planning_request.start < start or planning_request.end > end:
                raise ScenarioError(
                    f"window {format_rfc3339(planning_request.start)} .. "
                    f"{format_rfc3339(planning_request.end)} is not inside the plan window",
                    field=f"requests.{planning_request.id}",
                )
        entitlements: dict[str, float] = {}
        if body.agreement is not None:
            agreement = get_agreement(session, body.agreement)
            entitlements = {e.partner_id: e.share for e in agreement.entitlements}
        elif body.fairness != "none":
            raise InputError(
                f"fairness {body.fairness!r} needs entitlements: give 'agreement' (see GET "
                "/agreements)"
            )
        consortium = registry_consortium(session, epoch=start)
        norads = [sc.norad_id for sc in consortium.fleet]
        records, _ = current_element_sets(session, norad_ids=norads)
        elements = {r.norad_id: to_element_set(r) for r in records}
    if not consortium.fleet:
        raise InputError(
            "the registry has no spacecraft: run 'spacepool consortium load' on the server"
        )
    return _Inputs(start, end, tuple(requests), entitlements, elements, consortium)


def run_plan(inputs: _Inputs, body: PlanIn, plan_id: str) -> Plan:
    """Plan the stored requests over the registry's assets (in this process)."""
    from spacepool.orbits.validity import check_age
    from spacepool.planning.build import build_instance
    from spacepool.planning.scenario import Scenario
    from spacepool.planning.solve import plan_from_candidates

    used = [inputs.elements.get(sc.norad_id) or sc.element_set() for sc in inputs.consortium.fleet]
    check_age(used, inputs.start, inputs.end, strict=True)
    scenario = Scenario(
        name=plan_id,
        consortium_ref="registry",
        consortium=inputs.consortium,
        start=inputs.start,
        end=inputs.end,
        fairness=body.fairness,
        entitlements=inputs.entitlements,
        requests=inputs.requests,
        agreement=body.agreement,
    )
    instance = build_instance(scenario, elements=inputs.elements)
    return plan_from_candidates(
        instance, solver=body.solver, time_limit_s=body.time_limit_s, workers=1
    )


@router.post("/plans", summary="Run a plan", status_code=201)
def plans_run(request: Request, body: PlanIn) -> dict[str, Any]:
    """Plan the stored requests over the registry's spacecraft and stations (newest
    element set of each, else its nominal elements) and store the plan. The solver
    runs in the request, at most ``time_limit_s`` (<= 60) seconds; the window is at
    most 7 days."""
    viewer = viewer_of(request)
    created = now_of(request)
    plan_id = body.id or f"plan-{created:%Y%m%dt%H%M%S}-{secrets.token_hex(3)}"
    inputs = _read_inputs(request, body)
    if body.id is not None:  # fail fast, before the solver runs
        with store_of(request).transaction() as session:
            check_plan_id_free(session, plan_id)
    plan = run_plan(inputs, body, plan_id)
    with store_of(request).transaction() as session:
        record = add_plan(
            session, plan_id, plan, end=inputs.end, created_by=author(viewer), now=created
        )
        return plan_view(record, viewer)


@router.get("/plans", summary="Plans", response_model=Page[dict[str, Any]])
def plans_list(
    request: Request, paging: Annotated[PageParams, Depends(page_params)]
) -> dict[str, Any]:
    """Every plan's summary (status, solver, objective, bound, gap, window), newest
    first; read one plan for its acquisitions."""
    with store_of(request).transaction() as session:
        records, total = list_plans(session, limit=paging.limit, offset=paging.offset)
        items = [plan_summary(r) for r in records]
    return page(request, paging, items, total)


@router.get("/plans/{plan_id}", summary="One plan")
def plans_get(request: Request, plan_id: str) -> dict[str, Any]:
    """The plan: all of it for the coordinator; for a partner its own acquisitions,
    downlinks of its data and unserved requests, and every partner's account."""
    viewer = viewer_of(request)
    with store_of(request).transaction() as session:
        return plan_view(get_plan(session, plan_id), viewer)
