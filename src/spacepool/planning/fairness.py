"""Fairness: how entitlements turn into targets and normalised satisfactions.

Values are on one consortium-wide scale (request values). A partner's
**received value** counts its routine and urgent demands; activations are pooled
(their value is charged to all partners by entitlement, see
:class:`~spacepool.planning.plan.PartnerAccount`).

* ``none``: maximise the total delivered value.
* ``proportional``: each partner should receive its entitlement of the best total
  ``T*``. A partner that cannot use all of it (its **ideal** — the most it could
  receive if the plan served it alone — is smaller) is capped there, and the excess
  goes to the others in proportion to their entitlements (:func:`water_fill`). The
  solver maximises the smallest ``min(received / target, 1)``, then the total.
* ``leximin``: the satisfaction ``received / ideal`` (scale-free: a partner gains
  nothing by inflating its values), divided by the entitlement, is maximised in
  the leximin order — the worst-off partner first, then the next, ... — and then
  the total. This is the sharing rule studied for an Earth-observation satellite
  co-funded by several countries by Lemaître, Verfaillie & Bataille (1999),
  "Sharing the use of a satellite: an overview of methods", SSGRR; exact leximin
  over a constraint model follows Bouveret & Lemaître (2009), "Computing
  leximin-optimal solutions in constraint networks", Artificial Intelligence 173.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from spacepool.planning.model import Instance


def fair_partners(instance: Instance) -> list[str]:
    """Partners with a positive entitlement that have at least one non-activation
    demand, sorted."""
    asking = {d.partner for d in instance.demands if d.urgency != "activation"}
    return sorted(p for p, share in instance.entitlements.items() if share > 0 and p in asking)


def water_fill(
    total: float, entitlements: Mapping[str, float], caps: Mapping[str, float]
) -> dict[str, float]:
    """Targets ``min(cap_p, λ e_p)`` with ``λ`` chosen so they sum to
    ``min(total, Σ cap_p)``: each partner's entitlement of ``total``, capped by what
    it can use, the excess shared among the others by entitlement."""
    targets = {p: 0.0 for p in entitlements}
    active = {p for p, share in entitlements.items() if share > 0}
    remaining = min(total, math.fsum(caps.get(p, 0.0) for p in active))
    while active and remaining > 1e-12:
        weight = math.fsum(entitlements[p] for p in active)
        level = remaining / weight
        capped = {p for p in active if caps.get(p, 0.0) <= level * entitlements[p]}
        if not capped:
            for p in active:
                targets[p] = level * entitlements[p]
            break
        for p in capped:
            targets[p] = caps.get(p, 0.0)
            remaining -= targets[p]
        active -= capped
    return targets


def proportional_score(received: Mapping[str, float], targets: Mapping[str, float]) -> float:
    """Smallest ``min(received / target, 1)`` over partners with a positive target
    (1 when there is none)."""
    ratios = [min(received.get(p, 0.0) / t, 1.0) for p, t in targets.items() if t > 0]
    return min(ratios, default=1.0)


def normalised_satisfaction(
    received: Mapping[str, float],
    ideals: Mapping[str, float],
    entitlements: Mapping[str, float],
    partners: list[str],
) -> dict[str, float]:
    """``received / ideal / entitlement`` for partners with a positive ideal."""
    return {
        p: received.get(p, 0.0) / ideals[p] / entitlements[p]
        for p in partners
        if ideals.get(p, 0.0) > 0 and entitlements.get(p, 0.0) > 0
    }


def leximin_key(utilities: Mapping[str, float], digits: int = 9) -> tuple[float, ...]:
    """The sorted utilities (ascending): compare two plans with ``>`` on these keys
    for the leximin order."""
    return tuple(sorted(round(u, digits) for u in utilities.values()))
