"""Small hand-made planning instances for the tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from spacepool.planning import (
    Block,
    Candidate,
    Demand,
    Instance,
    Satellite,
    StationContact,
)

T0 = datetime(2026, 6, 1, tzinfo=UTC)
HORIZON_S = 3600.0


def demand(
    ident: str, partner: str = "esa", value: float = 1.0, urgency: str = "routine"
) -> Demand:
    return Demand(ident, ident, partner, value, urgency)


def cand(
    ident: str,
    demand_id: str,
    start_s: float,
    *,
    latest_s: float | None = None,
    duration_s: float = 10.0,
    value: float = 1.0,
    volume_mbit: float = 100.0,
    satellite: str = "s1",
    instrument: str = "i1",
    look_deg: float = 0.0,
    strip: str | None = None,
) -> Candidate:
    return Candidate(
        id=ident,
        demand=demand_id,
        satellite=satellite,
        instrument=instrument,
        earliest_start_s=start_s,
        latest_start_s=start_s if latest_s is None else latest_s,
        duration_s=duration_s,
        value=value,
        volume_mbit=volume_mbit,
        off_nadir_deg=abs(look_deg),
        pointing_deg=look_deg,
        strip=strip,
    )


def big_contact(
    satellite: str = "s1", station: str = "ks", ident: str | None = None
) -> StationContact:
    """A long fast contact near the end of the horizon: never the bottleneck."""
    return StationContact(ident or f"k-{satellite}", satellite, station, 3000.0, 3590.0, 1000.0)


def instance(
    demands: Sequence[Demand],
    candidates: Sequence[Candidate],
    *,
    satellites: Sequence[Satellite] | None = None,
    contacts: Sequence[StationContact] | None = None,
    blocks: Sequence[Block] = (),
    entitlements: Mapping[str, float] | None = None,
    fairness: str = "none",
) -> Instance:
    sats = {c.satellite for c in candidates} | {"s1"}
    return Instance(
        start=T0,
        horizon_s=HORIZON_S,
        demands=tuple(demands),
        candidates=tuple(candidates),
        satellites=tuple(satellites)
        if satellites is not None
        else tuple(Satellite(s, memory_mbit=1e6) for s in sorted(sats)),
        contacts=tuple(contacts)
        if contacts is not None
        else tuple(big_contact(s, station=f"st-{s}") for s in sorted(sats)),
        blocks=tuple(blocks),
        entitlements=dict(entitlements or {}),
        fairness=fairness,
    )
