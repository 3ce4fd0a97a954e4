"""The planning instance as plain data: what can be acquired, when, and at what cost.

Times are float seconds from ``Instance.start`` (aware UTC). The words:

* :class:`Demand`: one unit of service — a request, or one revisit period of it.
  At most one acquisition serves a demand.
* :class:`Candidate`: one way to serve a demand — an acquisition by one instrument
  of one satellite, starting anywhere in ``[earliest_start_s, latest_start_s]``
  (equal for a fixed push-broom pass) and lasting ``duration_s``; it is worth
  ``value`` and produces ``volume_mbit`` of data.
* :class:`Satellite`: on-board memory, and the pointing agility that sets the
  transition time between two acquisitions of one instrument:
  ``transition_fixed_s + |Δ pointing| / slew_rate_deg_s`` (the usual first-order
  model of an agile satellite's manoeuvre: a settling time plus a slew at constant
  rate, e.g. Lemaître, Verfaillie, Jouhaud, Lachiver & Bataille 2002, "Selecting and
  scheduling observations of agile satellites", Aerospace Science and Technology 6).
  Two candidates of one push-broom instrument with the same ``strip`` lie in one
  swath strip of one pass: they may overlap and need no transition.
* :class:`StationContact`: a window in which a satellite can downlink to a station
  at ``rate_mbps``. A station serves one satellite at a time; a satellite downlinks
  to one station at a time.
* :class:`Block`: a window in which an owner withholds its satellite, instrument or
  station from the pool (maintenance, own priority use).

Entitlements (partner -> share of the pool, summing to 1) come from the consortium's
agreements; ``fairness`` is ``none``, ``proportional`` or ``leximin``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from spacepool._reading import (
    PLANNING,
    Reader,
    format_time,
    parse_time,
    reject_duplicates,
    show,
)
from spacepool.errors import ScenarioError

URGENCIES: Final[tuple[str, ...]] = ("routine", "urgent", "activation")
FAIRNESS_MODES: Final[tuple[str, ...]] = ("none", "proportional", "leximin")
# |sum of entitlements - 1| allowed (same tolerance as the consortium's agreements).
ENTITLEMENT_TOLERANCE: Final = 1e-9


@dataclass(frozen=True)
class Demand:
    """One unit of service: a request (``slot`` 0) or one revisit period of it."""

    id: str
    request: str
    partner: str
    value: float
    urgency: str = "routine"
    slot: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "request": self.request,
            "partner": self.partner,
            "value": self.value,
            "urgency": self.urgency,
            "slot": self.slot,
        }

    @classmethod
    def _read(cls, r: Reader) -> Demand:
        ident = r.ident("id")
        urgency = r.text("urgency", "routine")
        if urgency not in URGENCIES:
            raise ScenarioError(
                f"must be one of {', '.join(URGENCIES)}, got {urgency!r}", field=r.at("urgency")
            )
        demand = cls(
            id=ident,
            request=r.ident("request") if r.has("request") else ident,
            partner=r.ident("partner"),
            value=r.number("value", ge=0.0),
            urgency=urgency,
            slot=r.integer("slot", default=0, minimum=0),
        )
        r.finish()
        return demand


@dataclass(frozen=True)
class Candidate:
    """One possible acquisition serving ``demand`` (times in s from the instance start).

    ``pointing_deg`` (default: ``off_nadir_deg``) is the signed across-track look
    angle used for transition times; ``strip`` groups the candidates of one swath
    strip of a push-broom pass.
    """

    id: str
    demand: str
    satellite: str
    instrument: str
    earliest_start_s: float
    latest_start_s: float
    duration_s: float
    value: float
    volume_mbit: float
    off_nadir_deg: float = 0.0
    pointing_deg: float | None = None
    strip: str | None = None

    @property
    def look_deg(self) -> float:
        return self.off_nadir_deg if self.pointing_deg is None else self.pointing_deg

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "demand": self.demand,
            "satellite": self.satellite,
            "instrument": self.instrument,
            "earliest_start_s": self.earliest_start_s,
            "latest_start_s": self.latest_start_s,
            "duration_s": self.duration_s,
            "value": self.value,
            "volume_mbit": self.volume_mbit,
            "off_nadir_deg": self.off_nadir_deg,
        }
        if self.pointing_deg is not None:
            data["pointing_deg"] = self.pointing_deg
        if self.strip is not None:
            data["strip"] = self.strip
        return data

    @classmethod
    def _read(cls, r: Reader) -> Candidate:
        earliest = r.number("earliest_start_s", ge=0.0)
        latest = r.number("latest_start_s", default=earliest, ge=0.0)
        if latest < earliest:
            raise ScenarioError(
                f"must be >= earliest_start_s ({show(earliest)}), got {show(latest)}",
                field=r.at("latest_start_s"),
            )
        candidate = cls(
            id=r.ident("id"),
            demand=r.ident("demand"),
            satellite=r.ident("satellite"),
            instrument=r.ident("instrument"),
            earliest_start_s=earliest,
            latest_start_s=latest,
            duration_s=r.number("duration_s", gt=0.0),
            value=r.number("value", ge=0.0),
            volume_mbit=r.number("volume_mbit", ge=0.0),
            off_nadir_deg=r.number("off_nadir_deg", default=0.0, ge=0.0, lt=90.0),
            pointing_deg=r.optional_number("pointing_deg", gt=-90.0, lt=90.0),
            strip=r.optional_ident("strip"),
        )
        r.finish()
        return candidate


@dataclass(frozen=True)
class Satellite:
    """Memory and agility of one satellite (shared by its instruments' data)."""

    id: str
    memory_mbit: float
    initial_memory_mbit: float = 0.0
    transition_fixed_s: float = 0.0
    slew_rate_deg_s: float | None = None

    def transition_s(self, first: Candidate, second: Candidate) -> float:
        """Time needed after ``first`` ends before ``second`` can start (same
        instrument): zero within one strip, else settle + slew."""
        if first.strip is not None and first.strip == second.strip:
            return 0.0
        slew = 0.0
        if self.slew_rate_deg_s is not None:
            slew = abs(first.look_deg - second.look_deg) / self.slew_rate_deg_s
        return self.transition_fixed_s + slew

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "memory_mbit": self.memory_mbit,
            "initial_memory_mbit": self.initial_memory_mbit,
            "transition_fixed_s": self.transition_fixed_s,
        }
        if self.slew_rate_deg_s is not None:
            data["slew_rate_deg_s"] = self.slew_rate_deg_s
        return data

    @classmethod
    def _read(cls, r: Reader) -> Satellite:
        memory = r.number("memory_mbit", gt=0.0)
        satellite = cls(
            id=r.ident("id"),
            memory_mbit=memory,
            initial_memory_mbit=r.number("initial_memory_mbit", default=0.0, ge=0.0, lt=memory),
            transition_fixed_s=r.number("transition_fixed_s", default=0.0, ge=0.0),
            slew_rate_deg_s=r.optional_number("slew_rate_deg_s", gt=0.0),
        )
        r.finish()
        return satellite


@dataclass(frozen=True)
class StationContact:
    """A window in which ``satellite`` can downlink to ``station`` at ``rate_mbps``."""

    id: str
    satellite: str
    station: str
    start_s: float
    end_s: float
    rate_mbps: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "satellite": self.satellite,
            "station": self.station,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "rate_mbps": self.rate_mbps,
        }

    @classmethod
    def _read(cls, r: Reader) -> StationContact:
        start = r.number("start_s", ge=0.0)
        end = r.number("end_s", gt=start)
        contact = cls(
            id=r.ident("id"),
            satellite=r.ident("satellite"),
            station=r.ident("station"),
            start_s=start,
            end_s=end,
            rate_mbps=r.number("rate_mbps", gt=0.0),
        )
        r.finish()
        return contact


@dataclass(frozen=True)
class Block:
    """``partner`` withholds a satellite (all its instruments and downlinks), one
    instrument (``satellite`` + ``instrument``) or a station from the pool."""

    id: str
    partner: str
    start_s: float
    end_s: float
    satellite: str | None = None
    instrument: str | None = None
    station: str | None = None
    reason: str = ""

    @property
    def asset(self) -> str:
        if self.station is not None:
            return f"station {self.station}"
        if self.instrument is not None:
            return f"instrument {self.satellite}/{self.instrument}"
        return f"satellite {self.satellite}"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "partner": self.partner,
            "start_s": self.start_s,
            "end_s": self.end_s,
        }
        for key in ("satellite", "instrument", "station"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.reason:
            data["reason"] = self.reason
        return data

    @classmethod
    def _read(cls, r: Reader) -> Block:
        start = r.number("start_s")
        block = cls(
            id=r.ident("id"),
            partner=r.ident("partner"),
            start_s=start,
            end_s=r.number("end_s", gt=start),
            satellite=r.optional_ident("satellite"),
            instrument=r.optional_ident("instrument"),
            station=r.optional_ident("station"),
            reason=r.text("reason", ""),
        )
        r.finish()
        check_block_target(block, r.path)
        return block


def check_block_target(block: Block, path: str) -> None:
    """Exactly one of satellite / station; an instrument needs its satellite."""
    if (block.satellite is None) == (block.station is None):
        raise ScenarioError("give exactly one of satellite or station", field=f"{path}.satellite")
    if block.instrument is not None and block.satellite is None:
        raise ScenarioError("an instrument block needs its satellite", field=f"{path}.instrument")


@dataclass(frozen=True)
class Instance:
    """Everything the solvers need, as plain data (times in s from ``start``).

    Construction checks the references and ranges and raises
    :class:`~spacepool.errors.ScenarioError` naming the field
    (``candidates[4].satellite``). ``warnings``: what the instance's builder wants
    the plan's reader to know (element sets used beyond their validity, SGP4
    failures); the plan carries them.
    """

    start: datetime
    horizon_s: float
    demands: tuple[Demand, ...]
    candidates: tuple[Candidate, ...]
    satellites: tuple[Satellite, ...]
    contacts: tuple[StationContact, ...] = ()
    blocks: tuple[Block, ...] = ()
    entitlements: Mapping[str, float] = field(default_factory=dict, hash=False)
    fairness: str = "none"
    name: str = ""
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_instance(self)

    def time(self, seconds: float) -> datetime:
        """The UTC time ``seconds`` after the start."""
        return self.start + timedelta(seconds=seconds)

    def satellite(self, satellite_id: str) -> Satellite:
        for satellite in self.satellites:
            if satellite.id == satellite_id:
                return satellite
        raise KeyError(satellite_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "start": format_time(self.start, dialect=PLANNING),
            "horizon_s": self.horizon_s,
            "fairness": self.fairness,
            "entitlements": dict(self.entitlements),
            "demands": [d.to_dict() for d in self.demands],
            "satellites": [s.to_dict() for s in self.satellites],
            "candidates": [c.to_dict() for c in self.candidates],
            "contacts": [c.to_dict() for c in self.contacts],
            "blocks": [b.to_dict() for b in self.blocks],
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Instance:
        """Read and check an instance (the JSON written by :meth:`to_dict`)."""
        r = Reader(data, "", PLANNING)
        name = r.text("name", "")
        start = parse_time(r.raw("start", required=True), "start", dialect=PLANNING)
        horizon_s = r.number("horizon_s", gt=0.0)
        fairness = r.text("fairness", "none")
        entitlements = _read_entitlements(r)
        demands = tuple(Demand._read(x) for x in r.table_list("demands"))
        satellites = tuple(Satellite._read(x) for x in r.table_list("satellites"))
        candidates = tuple(Candidate._read(x) for x in r.table_list("candidates"))
        contacts = tuple(StationContact._read(x) for x in r.table_list("contacts", required=False))
        blocks = tuple(Block._read(x) for x in r.table_list("blocks", required=False))
        warnings = r.text_list("warnings", ())
        r.finish()
        return cls(
            start=start,
            horizon_s=horizon_s,
            demands=demands,
            candidates=candidates,
            satellites=satellites,
            contacts=contacts,
            blocks=blocks,
            entitlements=entitlements,
            fairness=fairness,
            name=name,
            warnings=warnings,
        )


def _read_entitlements(r: Reader) -> dict[str, float]:
    table = r.optional_table("entitlements")
    if table is None:
        return {}
    shares = {str(key): table.number(str(key), ge=0.0, le=1.0) for key in table.data}
    table.finish()
    return shares


def check_entitlements(shares: Mapping[str, float], path: str) -> None:
    """Shares in [0, 1] summing to 1 (within :data:`ENTITLEMENT_TOLERANCE`)."""
    for partner, share in shares.items():
        if not (math.isfinite(share) and 0.0 <= share <= 1.0):
            raise ScenarioError(f"must be in [0, 1], got {share!r}", field=f"{path}.{partner}")
    total = math.fsum(shares.values())
    if abs(total - 1.0) > ENTITLEMENT_TOLERANCE:
        shown = ", ".join(f"{p} {s:g}" for p, s in shares.items())
        raise ScenarioError(
            f"must sum to 1 (within {ENTITLEMENT_TOLERANCE:g}), got {total!r} ({shown})",
            field=path,
        )


def _check_instance(inst: Instance) -> None:
    if inst.start.tzinfo is None:
        raise ScenarioError("must be an aware UTC datetime", field="start")
    if not (math.isfinite(inst.horizon_s) and inst.horizon_s > 0.0):
        raise ScenarioError(f"must be > 0, got {inst.horizon_s!r}", field="horizon_s")
    if inst.fairness not in FAIRNESS_MODES:
        raise ScenarioError(
            f"must be one of {', '.join(FAIRNESS_MODES)}, got {inst.fairness!r}", field="fairness"
        )
    if inst.entitlements:
        check_entitlements(inst.entitlements, "entitlements")
    elif inst.fairness != "none":
        raise ScenarioError(
            f"fairness {inst.fairness!r} needs entitlements (partner -> share)",
            field="entitlements",
        )
    reject_duplicates([d.id for d in inst.demands], "demands", "demand id", dialect=PLANNING)
    reject_duplicates(
        [s.id for s in inst.satellites], "satellites", "satellite id", dialect=PLANNING
    )
    reject_duplicates(
        [c.id for c in inst.candidates], "candidates", "candidate id", dialect=PLANNING
    )
    reject_duplicates([c.id for c in inst.contacts], "contacts", "contact id", dialect=PLANNING)
    reject_duplicates([b.id for b in inst.blocks], "blocks", "block id", dialect=PLANNING)
    demand_ids = {d.id for d in inst.demands}
    satellite_ids = {s.id for s in inst.satellites}
    for index, demand in enumerate(inst.demands):
        if demand.urgency not in URGENCIES:
            raise ScenarioError(
                f"must be one of {', '.join(URGENCIES)}, got {demand.urgency!r}",
                field=f"demands[{index}].urgency",
            )
        _check_finite(demand.value, f"demands[{index}].value", minimum=0.0)
    for index, satellite in enumerate(inst.satellites):
        path = f"satellites[{index}]"
        _check_finite(satellite.memory_mbit, f"{path}.memory_mbit", minimum=0.0, strict=True)
        _check_finite(satellite.initial_memory_mbit, f"{path}.initial_memory_mbit", minimum=0.0)
        if satellite.initial_memory_mbit >= satellite.memory_mbit:
            raise ScenarioError(
                f"must be < memory_mbit ({show(satellite.memory_mbit)}), got "
                f"{show(satellite.initial_memory_mbit)}",
                field=f"{path}.initial_memory_mbit",
            )
        _check_finite(satellite.transition_fixed_s, f"{path}.transition_fixed_s", minimum=0.0)
        if satellite.slew_rate_deg_s is not None:
            _check_finite(
                satellite.slew_rate_deg_s, f"{path}.slew_rate_deg_s", minimum=0.0, strict=True
            )
    for index, cand in enumerate(inst.candidates):
        path = f"candidates[{index}]"
        _check_known(cand.demand, demand_ids, "demand", f"{path}.demand")
        _check_known(cand.satellite, satellite_ids, "satellite", f"{path}.satellite")
        _check_finite(cand.earliest_start_s, f"{path}.earliest_start_s", minimum=0.0)
        _check_finite(cand.latest_start_s, f"{path}.latest_start_s", minimum=cand.earliest_start_s)
        _check_finite(cand.duration_s, f"{path}.duration_s", minimum=0.0, strict=True)
        _check_finite(cand.value, f"{path}.value", minimum=0.0)
        _check_finite(cand.volume_mbit, f"{path}.volume_mbit", minimum=0.0)
        if cand.latest_start_s + cand.duration_s > inst.horizon_s:
            raise ScenarioError(
                f"must end within the horizon ({show(inst.horizon_s)} s), got latest end "
                f"{show(cand.latest_start_s + cand.duration_s)} s",
                field=f"{path}.latest_start_s",
            )
    for index, contact in enumerate(inst.contacts):
        path = f"contacts[{index}]"
        _check_known(contact.satellite, satellite_ids, "satellite", f"{path}.satellite")
        _check_finite(contact.start_s, f"{path}.start_s", minimum=0.0)
        _check_finite(contact.rate_mbps, f"{path}.rate_mbps", minimum=0.0, strict=True)
        if not contact.end_s > contact.start_s:
            raise ScenarioError(
                f"must be > start_s ({show(contact.start_s)}), got {show(contact.end_s)}",
                field=f"{path}.end_s",
            )
        if contact.end_s > inst.horizon_s:
            raise ScenarioError(
                f"must be <= the horizon ({show(inst.horizon_s)} s), got {show(contact.end_s)}",
                field=f"{path}.end_s",
            )
    for index, block in enumerate(inst.blocks):
        path = f"blocks[{index}]"
        check_block_target(block, path)
        if block.satellite is not None:
            _check_known(block.satellite, satellite_ids, "satellite", f"{path}.satellite")
        if not block.end_s > block.start_s:
            raise ScenarioError(
                f"must be > start_s ({show(block.start_s)}), got {show(block.end_s)}",
                field=f"{path}.end_s",
            )


def _check_known(name: str, known: set[str], kind: str, path: str) -> None:
    if name not in known:
        shown = ", ".join(sorted(known)[:30]) or "(none)"
        raise ScenarioError(f"unknown {kind} {name!r}; known {kind}s: {shown}", field=path)


def _check_finite(value: float, path: str, *, minimum: float, strict: bool = False) -> None:
    ok = math.isfinite(value) and (value > minimum if strict else value >= minimum)
    if not ok:
        relation = ">" if strict else ">="
        raise ScenarioError(f"must be {relation} {show(minimum)}, got {value!r}", field=path)
