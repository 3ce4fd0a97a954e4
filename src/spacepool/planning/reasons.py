"""Why a demand is not in the plan: one named reason per unserved demand.

After solving, every unserved demand is tested against the final schedule, candidate
by candidate (:meth:`~spacepool.planning.schedule.Schedule.try_insert`):

1. no candidate at all -> ``no_opportunity``;
2. every candidate's window lies in owner blocks -> ``blocked_by_owner``;
3. no contact after any candidate can take its data -> ``no_downlink``;
4. otherwise the most hopeful candidate outcome wins, in this order: one still fits
   (``time_limit`` when optimality is not proven, else ``not_selected``: it adds no
   value), ``memory``, ``no_downlink`` (the contacts are taken by other downlinks),
   and ``conflict`` — reported as ``outranked_by_activation`` when, for some
   candidate, every acquisition in its way serves an activation.
"""

from __future__ import annotations

from spacepool.planning.model import Instance
from spacepool.planning.plan import Unserved
from spacepool.planning.prepare import Prepared
from spacepool.planning.schedule import Outcome, Schedule

_ORDER = ("ok", "memory", "no_downlink", "conflict")


def diagnose(schedule: Schedule, *, proven: bool) -> tuple[Unserved, ...]:
    """A named reason for every demand the schedule does not serve."""
    prep = schedule.prep
    out = []
    for d, demand in enumerate(prep.instance.demands):
        if d in schedule.served:
            continue
        reason, message, related = _diagnose_one(schedule, d, proven)
        out.append(
            Unserved(
                demand=demand.id,
                request=demand.request,
                partner=demand.partner,
                reason=reason,
                message=message,
                related=tuple(related),
            )
        )
    return tuple(out)


def _diagnose_one(schedule: Schedule, d: int, proven: bool) -> tuple[str, str, list[str]]:
    prep = schedule.prep
    demand = prep.instance.demands[d]
    candidates = prep.demand_candidates[d]
    if not candidates:
        return (
            "no_opportunity",
            f"no opportunity: no instrument can serve {demand.id} within its window and "
            "requirements",
            [],
        )
    open_ = [i for i in candidates if prep.candidates[i].windows]
    if not open_:
        blocks = sorted({b for i in candidates for b in prep.candidates[i].blocked_by})
        shown = "; ".join(_describe_block(prep, b) for b in blocks)
        return (
            "blocked_by_owner",
            f"blocked by owner: every opportunity of {demand.id} falls in a block ({shown})",
            blocks,
        )
    linked = [i for i in open_ if prep.candidates[i].pieces]
    if not linked:
        i = open_[0]
        pc = prep.candidates[i]
        sat = pc.candidate.satellite
        return (
            "no_downlink",
            f"no downlink: no contact of {sat} after its opportunities ({_names(prep, open_)}) "
            f"can take {pc.candidate.volume_mbit:g} Mbit before the horizon ends",
            [],
        )
    outcomes = {i: schedule.try_insert(i) for i in linked}
    best = min(outcomes.values(), key=lambda o: _ORDER.index("ok" if o.ok else o.reason))
    if best.ok:
        fitting = [prep.candidates[i].candidate.id for i, o in outcomes.items() if o.ok]
        if not proven:
            return (
                "time_limit",
                f"time limit: opportunity {fitting[0]} still fits; the solver stopped before "
                "proving the plan optimal",
                fitting,
            )
        return (
            "not_selected",
            f"not selected: opportunity {fitting[0]} fits but adds no value",
            fitting,
        )
    if best.reason == "memory":
        satellite = prep.instance.satellites[prep.candidates[linked[0]].satellite]
        return (
            "memory",
            f"memory: {satellite.id}'s memory ({satellite.memory_mbit:g} Mbit) stays too full "
            "until the "
            f"downlinks after {_names(prep, linked)}",
            [],
        )
    if best.reason == "no_downlink":
        busy = sorted({p for o in outcomes.values() for p in o.busy})
        ids = [f"dl-{prep.pieces[p].id}" for p in busy]
        detail = ", ".join(
            f"{i} ({prep.pieces[p].contact.satellite} at {prep.pieces[p].station})"
            for i, p in zip(ids, busy, strict=True)
        )
        return (
            "no_downlink",
            "no downlink: the contacts after its opportunities are taken"
            + (f" by downlinks {detail}" if detail else ""),
            ids,
        )
    return _conflict(prep, demand.urgency, outcomes)


def _conflict(
    prep: Prepared, urgency: str, outcomes: dict[int, Outcome]
) -> tuple[str, str, list[str]]:
    blockers = sorted({j for o in outcomes.values() for j in o.blockers})
    ids = [prep.candidates[j].candidate.id for j in blockers]
    by_activation = urgency != "activation" and any(
        o.blockers and all(prep.candidates[j].urgency == "activation" for j in o.blockers)
        for o in outcomes.values()
    )
    detail = ", ".join(_describe_acquisition(prep, j) for j in blockers)
    if by_activation:
        activations = [j for j in blockers if prep.candidates[j].urgency == "activation"]
        return (
            "outranked_by_activation",
            "outranked by activation: its opportunities are taken by "
            + ", ".join(_describe_acquisition(prep, j) for j in activations),
            [prep.candidates[j].candidate.id for j in activations],
        )
    return "conflict", f"conflict with {detail} (overlap or transition time)", ids


def _describe_acquisition(prep: Prepared, index: int) -> str:
    pc = prep.candidates[index]
    demand = prep.instance.demands[pc.demand]
    cand = pc.candidate
    return f"{cand.id} ({demand.request} of {demand.partner} on {cand.satellite}/{cand.instrument})"


def _describe_block(prep: Prepared, block_id: str) -> str:
    inst = prep.instance
    for block in inst.blocks:
        if block.id == block_id:
            window = f"{_clock(inst, block.start_s)}-{_clock(inst, block.end_s)}"
            why = f": {block.reason}" if block.reason else ""
            return f"{block.id}: {block.partner} blocks {block.asset} {window}{why}"
    return block_id


def _clock(inst: Instance, seconds: float) -> str:
    return inst.time(seconds).strftime("%Y-%m-%dT%H:%M:%SZ")


def _names(prep: Prepared, indices: list[int]) -> str:
    names = [prep.candidates[i].candidate.id for i in indices]
    return ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
