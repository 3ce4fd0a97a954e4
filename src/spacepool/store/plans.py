"""Plans run over stored requests, and what each caller may see of them.

The coordinator sees a whole plan. A partner sees the plan's status and solver
figures, every partner's aggregate account (entitlement, share, values), and only
its own acquisitions, downlinks of its own data and unserved requests; never
another partner's targets, requests or acquisitions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from spacepool.catalog.access import Viewer
from spacepool.catalog.items import format_rfc3339
from spacepool.errors import ConflictError, NotFoundError
from spacepool.planning.plan import REASONS, Plan
from spacepool.store.models import PlanRecord
from spacepool.store.paging import page_rows


def add_plan(
    session: Session,
    plan_id: str,
    plan: Plan,
    *,
    end: datetime,
    created_by: str,
    now: datetime,
) -> PlanRecord:
    """Store ``plan`` under ``plan_id``; :class:`ConflictError` when the id is taken
    (a plan is not reproducible under a time limit, so a re-post is not idempotent)."""
    check_plan_id_free(session, plan_id)
    record = PlanRecord(
        id=plan_id,
        created_at=now,
        created_by=created_by,
        solver=plan.solver,
        fairness=plan.fairness,
        status=plan.status,
        objective=plan.objective,
        bound=plan.bound,
        gap=plan.gap,
        window_start=plan.start,
        window_end=end,
        document=plan.to_dict(),
    )
    session.add(record)
    session.flush()
    return record


def check_plan_id_free(session: Session, plan_id: str) -> None:
    """:class:`ConflictError` when a plan ``plan_id`` exists."""
    if session.get(PlanRecord, plan_id) is not None:
        raise ConflictError(
            f"plan {plan_id!r} exists already; choose another id", kind="plan", name=plan_id
        )


def list_plans(session: Session, *, limit: int, offset: int) -> tuple[list[PlanRecord], int]:
    """A page of plans, newest first (every caller with a key may list them; what
    each sees inside is :func:`plan_view`)."""
    statement = select(PlanRecord).order_by(PlanRecord.created_at.desc(), PlanRecord.id)
    return page_rows(session, statement, limit=limit, offset=offset)


def get_plan(session: Session, plan_id: str) -> PlanRecord:
    record = session.get(PlanRecord, plan_id)
    if record is None:
        raise NotFoundError("plan", plan_id)
    return record


def plan_summary(record: PlanRecord) -> dict[str, Any]:
    """The list form: the plan's columns, no acquisitions."""
    return {
        "id": record.id,
        "created_at": format_rfc3339(record.created_at),
        "created_by": record.created_by,
        "solver": record.solver,
        "fairness": record.fairness,
        "status": record.status,
        "objective": record.objective,
        "bound": record.bound,
        "gap": record.gap,
        "start": format_rfc3339(record.window_start),
        "end": format_rfc3339(record.window_end),
    }


def plan_view(record: PlanRecord, viewer: Viewer) -> dict[str, Any]:
    """The plan as ``viewer`` may see it: ``plan_summary`` plus the plan document,
    cut to the viewer's own work for a partner (see the module docstring)."""
    document = record.document
    if viewer.kind != "admin":
        assert viewer.partner_id is not None  # the route admits partners and admins only
        document = partner_view(document, viewer.partner_id)
    return {**plan_summary(record), "plan": document}


def partner_view(document: dict[str, Any], partner: str) -> dict[str, Any]:
    """``document`` (a :meth:`Plan.to_dict`) as ``partner`` may see it.

    Kept: status, message, solver figures, stages, every account (aggregate shares).
    Cut: acquisitions and unserved demands of other partners; downlinks carrying none
    of the partner's data, and from the others the ids of other partners'
    acquisitions. An unserved demand whose explanation names other partners' work
    keeps its reason with the generic text of :data:`REASONS`.
    """
    own = [a for a in document["acquisitions"] if a["partner"] == partner]
    own_volume_mbit = {a["candidate"]: a["volume_mbit"] for a in own}
    foreign_words = {
        word
        for a in document["acquisitions"]
        if a["partner"] != partner
        for word in (a["candidate"], a["demand"], a["request"])
    } | {
        word
        for u in document["unserved"]
        if u["partner"] != partner
        for word in (u["demand"], u["request"])
    }
    downlinks = []
    for downlink in document["downlinks"]:
        mine = [a for a in downlink["acquisitions"] if a in own_volume_mbit]
        if mine:
            # The pass times stay (the contact is shared); the volume counts only the
            # partner's data, so that the size of others' acquisitions does not show.
            volume = sum(own_volume_mbit[a] for a in mine)
            downlinks.append({**downlink, "acquisitions": mine, "volume_mbit": volume})
    unserved = []
    for item in document["unserved"]:
        if item["partner"] != partner:
            continue
        related = list(item.get("related", []))
        if any(r in foreign_words for r in related) or any(
            w in item["message"] for w in foreign_words
        ):
            item = {
                **item,
                "message": f"{item['reason'].replace('_', ' ')}: {REASONS[item['reason']]}",
                "related": [r for r in related if r not in foreign_words],
            }
        unserved.append(item)
    return {
        **{k: v for k, v in document.items() if k not in ("acquisitions", "downlinks", "unserved")},
        "acquisitions": own,
        "downlinks": downlinks,
        "unserved": unserved,
    }
