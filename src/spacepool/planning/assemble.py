"""Turn a solved schedule (ticks) into a :class:`~spacepool.planning.plan.Plan`."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

from spacepool.planning.fairness import water_fill
from spacepool.planning.plan import (
    Acquisition,
    Downlink,
    PartnerAccount,
    Plan,
    Stage,
    relative_gap,
)
from spacepool.planning.prepare import TICK_S
from spacepool.planning.reasons import diagnose
from spacepool.planning.schedule import Schedule


def received_values(schedule: Schedule) -> tuple[dict[str, float], dict[str, float]]:
    """Per partner: value delivered for routine + urgent demands, and for its
    activations."""
    received: dict[str, float] = defaultdict(float)
    activation: dict[str, float] = defaultdict(float)
    for i in schedule.start:
        pc = schedule.prep.candidates[i]
        target = activation if pc.urgency == "activation" else received
        target[pc.partner] += pc.candidate.value
    return dict(received), dict(activation)


def assemble_plan(
    schedule: Schedule,
    *,
    solver: str,
    status: str,
    bound: float | None,
    stages: Sequence[Stage],
    proven: bool,
    solve_time_s: float,
    ideals: Mapping[str, float] | None = None,
    best_total: float | None = None,
    note: str = "",
) -> Plan:
    """The plan of ``schedule``, with accounting and a reason per unserved demand.

    ``ideals``: each partner's best value alone (fairness modes); ``best_total``:
    the best total ``T*`` that proportional targets share out.
    """
    schedule.trim_downlinks()
    prep = schedule.prep
    inst = prep.instance
    acquisitions = []
    for i in sorted(schedule.start, key=lambda k: (schedule.start[k], k)):
        pc = prep.candidates[i]
        cand = pc.candidate
        start_s = prep.real_start_s(i, schedule.start[i])
        demand = inst.demands[pc.demand]
        acquisitions.append(
            Acquisition(
                candidate=cand.id,
                demand=demand.id,
                request=demand.request,
                partner=demand.partner,
                urgency=demand.urgency,
                satellite=cand.satellite,
                instrument=cand.instrument,
                start_s=start_s,
                end_s=start_s + cand.duration_s,
                start=inst.time(start_s),
                end=inst.time(start_s + cand.duration_s),
                value=cand.value,
                volume_mbit=cand.volume_mbit,
                off_nadir_deg=cand.off_nadir_deg,
                downlink=f"dl-{prep.pieces[schedule.piece_of[i]].id}",
            )
        )
    downlinks = []
    for p in sorted(schedule.downlink, key=lambda k: (schedule.downlink[k][0], k)):
        piece = prep.pieces[p]
        start, end = schedule.downlink[p]
        members = sorted(schedule.members[p], key=lambda k: (schedule.start[k], k))
        downlinks.append(
            Downlink(
                id=f"dl-{piece.id}",
                contact=piece.contact.id,
                satellite=piece.contact.satellite,
                station=piece.station,
                start_s=start * TICK_S,
                end_s=end * TICK_S,
                start=inst.time(start * TICK_S),
                end=inst.time(end * TICK_S),
                volume_mbit=math.fsum(prep.candidates[k].candidate.volume_mbit for k in members),
                acquisitions=tuple(prep.candidates[k].candidate.id for k in members),
            )
        )
    accounts = _accounts(schedule, ideals, best_total)
    objective = math.fsum(a.value for a in acquisitions)
    activation_value = math.fsum(a.value for a in acquisitions if a.urgency == "activation")
    unserved = diagnose(schedule, proven=proven)
    served = len(schedule.served)
    message = (
        f"{status} plan ({solver}, fairness {inst.fairness}): {served} of {len(inst.demands)} "
        f"demands served, value {objective:g}"
        + (f" of at most {bound:g}" if bound is not None else "")
        + (f"; {note}" if note else "")
    )
    return Plan(
        name=inst.name,
        status=status,
        message=message,
        solver=solver,
        fairness=inst.fairness,
        start=inst.start,
        horizon_s=inst.horizon_s,
        objective=objective,
        bound=bound,
        gap=relative_gap(objective, bound),
        activation_value=activation_value,
        acquisitions=tuple(acquisitions),
        downlinks=tuple(downlinks),
        accounts=accounts,
        unserved=unserved,
        stages=tuple(stages),
        solve_time_s=solve_time_s,
        warnings=inst.warnings,
    )


def _accounts(
    schedule: Schedule, ideals: Mapping[str, float] | None, best_total: float | None
) -> tuple[PartnerAccount, ...]:
    inst = schedule.prep.instance
    received, activation = received_values(schedule)
    requested: dict[str, float] = defaultdict(float)
    for demand in inst.demands:
        if demand.urgency != "activation":
            requested[demand.partner] += demand.value
    partners = sorted(set(inst.entitlements) | {d.partner for d in inst.demands})
    total = math.fsum(received.values())
    total_activation = math.fsum(activation.values())
    if inst.fairness == "proportional" and ideals is not None and best_total is not None:
        targets = water_fill(best_total, inst.entitlements, ideals)
    else:
        targets = {p: inst.entitlements.get(p, 0.0) * total for p in partners}
    accounts = []
    for p in partners:
        share_of = inst.entitlements.get(p, 0.0)
        got = received.get(p, 0.0)
        ideal = None if ideals is None else ideals.get(p)
        accounts.append(
            PartnerAccount(
                partner=p,
                entitlement=share_of,
                requested_value=requested.get(p, 0.0),
                received_value=got,
                share=got / total if total > 0 else 0.0,
                target_value=targets.get(p, 0.0),
                ideal_value=ideal,
                satisfaction=(got / ideal) if ideal else None,
                activation_value=activation.get(p, 0.0),
                activation_charge=share_of * total_activation,
            )
        )
    return tuple(accounts)
