"""An independent feasibility checker for plans.

It reads only the instance (plain data) and the plan (real seconds), and re-derives
every rule from the model's documentation — it shares no code with the solvers:

* each acquisition is a candidate of its demand, starting inside the candidate's
  window, lasting its duration, outside the owner blocks of its satellite/instrument;
* at most one acquisition per demand;
* two acquisitions of one instrument (not in one strip) are separated by
  ``transition_fixed_s + |Δ pointing| / slew_rate_deg_s``;
* every acquisition is in exactly one downlink of its satellite that starts after it
  ends; a downlink lies inside its contact, outside blocks of its station and
  satellite, and lasts at least ``volume / rate``;
* downlinks at one station, and of one satellite, do not overlap;
* memory: initial data + data acquired and not yet downlinked (from the acquisition
  start to its downlink end) never exceeds the satellite's memory;
* the accounting adds up and every demand is served or has a named reason.
"""

from __future__ import annotations

import math
from collections import defaultdict

from spacepool.planning import REASONS, Instance, Plan

TOLERANCE_S = 1e-6  # 1 µs: float rounding of sums of seconds
TOLERANCE_MBIT = 1e-6  # 1 bit
TOLERANCE_VALUE = 1e-9


def _transition_s(instance: Instance, a: dict, b: dict) -> float:
    if a["strip"] is not None and a["strip"] == b["strip"]:
        return 0.0
    sat = next(s for s in instance.satellites if s.id == a["satellite"])
    slew = 0.0
    if sat.slew_rate_deg_s is not None:
        slew = abs(a["look"] - b["look"]) / sat.slew_rate_deg_s
    return sat.transition_fixed_s + slew


def _overlaps(a0: float, a1: float, b0: float, b1: float) -> bool:
    return a0 < b1 - TOLERANCE_S and b0 < a1 - TOLERANCE_S


def check_plan(instance: Instance, plan: Plan) -> list[str]:
    """Every rule the plan breaks, as text (empty: the plan is feasible)."""
    problems: list[str] = []
    candidates = {c.id: c for c in instance.candidates}
    demands = {d.id: d for d in instance.demands}
    contacts = {c.id: c for c in instance.contacts}
    acquired: list[dict] = []
    per_demand: dict[str, int] = defaultdict(int)
    for acq in plan.acquisitions:
        cand = candidates.get(acq.candidate)
        if cand is None:
            problems.append(f"{acq.candidate}: not a candidate")
            continue
        if cand.demand != acq.demand or demands[cand.demand].request != acq.request:
            problems.append(f"{acq.candidate}: wrong demand {acq.demand}")
        per_demand[acq.demand] += 1
        if not (
            cand.earliest_start_s - TOLERANCE_S <= acq.start_s <= cand.latest_start_s + TOLERANCE_S
        ):
            problems.append(f"{acq.candidate}: start {acq.start_s} outside its window")
        if abs(acq.end_s - acq.start_s - cand.duration_s) > TOLERANCE_S:
            problems.append(f"{acq.candidate}: lasts {acq.end_s - acq.start_s}")
        if acq.value != cand.value or acq.satellite != cand.satellite:
            problems.append(f"{acq.candidate}: value or satellite differs from its candidate")
        if abs((acq.start - plan.start).total_seconds() - acq.start_s) > 1e-3:
            problems.append(f"{acq.candidate}: UTC start disagrees with start_s")
        for block in instance.blocks:
            hits = block.satellite == cand.satellite and block.instrument in (None, cand.instrument)
            if hits and _overlaps(acq.start_s, acq.end_s, block.start_s, block.end_s):
                problems.append(f"{acq.candidate}: inside block {block.id}")
        acquired.append(
            {
                "id": acq.candidate,
                "satellite": cand.satellite,
                "instrument": cand.instrument,
                "start": acq.start_s,
                "end": acq.end_s,
                "strip": cand.strip,
                "look": cand.off_nadir_deg if cand.pointing_deg is None else cand.pointing_deg,
                "volume": cand.volume_mbit,
                "downlink": acq.downlink,
            }
        )
    for demand, count in per_demand.items():
        if count > 1:
            problems.append(f"demand {demand} served {count} times")
    # instruments: all pairs (the transition rule obeys the triangle inequality)
    for k, a in enumerate(acquired):
        for b in acquired[k + 1 :]:
            if (a["satellite"], a["instrument"]) != (b["satellite"], b["instrument"]):
                continue
            if a["strip"] is not None and a["strip"] == b["strip"]:
                continue
            a_first = a["end"] + _transition_s(instance, a, b) <= b["start"] + TOLERANCE_S
            b_first = b["end"] + _transition_s(instance, b, a) <= a["start"] + TOLERANCE_S
            if not (a_first or b_first):
                problems.append(f"{a['id']} and {b['id']}: overlap or too short a transition")
    # downlinks
    by_id = {a["id"]: a for a in acquired}
    in_downlink: dict[str, int] = defaultdict(int)
    for dl in plan.downlinks:
        contact = contacts.get(dl.contact)
        if contact is None:
            problems.append(f"{dl.id}: unknown contact {dl.contact}")
            continue
        if contact.satellite != dl.satellite or contact.station != dl.station:
            problems.append(f"{dl.id}: satellite/station differ from its contact")
        if dl.start_s < contact.start_s - TOLERANCE_S or dl.end_s > contact.end_s + TOLERANCE_S:
            problems.append(f"{dl.id}: outside its contact")
        if dl.end_s > instance.horizon_s + TOLERANCE_S:
            problems.append(f"{dl.id}: after the horizon")
        for block in instance.blocks:
            hits = block.station == dl.station or (
                block.satellite == dl.satellite and block.instrument is None
            )
            if hits and _overlaps(dl.start_s, dl.end_s, block.start_s, block.end_s):
                problems.append(f"{dl.id}: inside block {block.id}")
        volume = 0.0
        for acq_id in dl.acquisitions:
            in_downlink[acq_id] += 1
            a = by_id.get(acq_id)
            if a is None:
                problems.append(f"{dl.id}: carries {acq_id}, which is not acquired")
                continue
            volume += a["volume"]
            if a["satellite"] != dl.satellite:
                problems.append(f"{dl.id}: carries {acq_id} of another satellite")
            if a["end"] > dl.start_s + TOLERANCE_S:
                problems.append(f"{dl.id}: starts before {acq_id} ends")
            if a["downlink"] != dl.id:
                problems.append(f"{acq_id}: names downlink {a['downlink']}, carried by {dl.id}")
        if abs(volume - dl.volume_mbit) > TOLERANCE_MBIT:
            problems.append(f"{dl.id}: volume {dl.volume_mbit} != {volume}")
        needed_s = volume / contact.rate_mbps
        if dl.end_s - dl.start_s + TOLERANCE_S < needed_s:
            problems.append(f"{dl.id}: {dl.end_s - dl.start_s} s < {needed_s} s needed")
    for a in acquired:
        if in_downlink[a["id"]] != 1:
            problems.append(f"{a['id']}: in {in_downlink[a['id']]} downlinks (must be 1)")
    for key in ("station", "satellite"):
        groups: dict[str, list] = defaultdict(list)
        for dl in plan.downlinks:
            groups[getattr(dl, key)].append(dl)
        for name, items in groups.items():
            for k, d1 in enumerate(items):
                for d2 in items[k + 1 :]:
                    if _overlaps(d1.start_s, d1.end_s, d2.start_s, d2.end_s):
                        problems.append(f"{key} {name}: {d1.id} and {d2.id} overlap")
    # memory
    downlink_end = {dl.id: dl.end_s for dl in plan.downlinks}
    for sat in instance.satellites:
        events = []
        for a in acquired:
            if a["satellite"] == sat.id and a["downlink"] in downlink_end:
                events.append((a["start"], a["volume"]))
                events.append((downlink_end[a["downlink"]], -a["volume"]))
        events.sort()
        level = sat.initial_memory_mbit
        for _, delta in events:
            level += delta
            if level > sat.memory_mbit + TOLERANCE_MBIT:
                problems.append(f"{sat.id}: memory {level} Mbit > {sat.memory_mbit}")
                break
    # accounting and reasons
    received: dict[str, float] = defaultdict(float)
    activation_total = 0.0
    for acq in plan.acquisitions:
        if acq.urgency == "activation":
            activation_total += acq.value
        else:
            received[acq.partner] += acq.value
    total = math.fsum(received.values())
    for account in plan.accounts:
        if abs(account.received_value - received.get(account.partner, 0.0)) > TOLERANCE_VALUE:
            problems.append(f"account {account.partner}: received {account.received_value}")
        if abs(account.activation_charge - account.entitlement * activation_total) > 1e-9:
            problems.append(f"account {account.partner}: activation charge")
    if total > 0 and abs(math.fsum(a.share for a in plan.accounts) - 1.0) > 1e-9:
        problems.append("shares do not sum to 1")
    if abs(plan.objective - math.fsum(a.value for a in plan.acquisitions)) > 1e-9:
        problems.append("objective is not the delivered value")
    unserved = {u.demand: u for u in plan.unserved}
    for demand in instance.demands:
        served = demand.id in per_demand
        if served == (demand.id in unserved):
            problems.append(f"demand {demand.id}: served={served} and listed unserved")
        if demand.id in unserved and unserved[demand.id].reason not in REASONS:
            problems.append(f"demand {demand.id}: unknown reason {unserved[demand.id].reason}")
    return problems
