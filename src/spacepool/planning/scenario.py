"""Planning scenarios: a TOML file with the consortium, horizon, fairness rule,
requests and owner blocks (format: ``docs/planning.md``; examples in ``examples/``).

:func:`load_scenario` reads and checks a file against its consortium; every mistake
raises :class:`~spacepool.errors.ScenarioError` naming the field
(``requests[3].window.end``, ``blocked[0].partner``, ``entitlements``) before any
output is written.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from spacepool._reading import (
    PLANNING,
    Reader,
    format_time,
    reject_duplicates,
    seconds_between,
)
from spacepool.consortium import Consortium, load_consortium
from spacepool.errors import ScenarioError, StaleElementsError, UnknownNameError
from spacepool.planning.model import FAIRNESS_MODES, Block, Demand, check_entitlements
from spacepool.planning.requests import Request

BUNDLED: Final = "bundled"
# Mbit per Gbit (decimal prefixes, as data volumes and rates are quoted by agencies).
MBIT_PER_GBIT: Final = 1000.0


@dataclass(frozen=True)
class SpacecraftPlanning:
    """Planning parameters of one spacecraft that the consortium file does not hold
    (``None``: the builder's default)."""

    id: str
    memory_mbit: float | None = None
    transition_fixed_s: float | None = None
    slew_rate_deg_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id}
        if self.memory_mbit is not None:
            data["memory_gbit"] = self.memory_mbit / MBIT_PER_GBIT
        if self.transition_fixed_s is not None:
            data["transition_fixed_s"] = self.transition_fixed_s
        if self.slew_rate_deg_s is not None:
            data["slew_rate_deg_s"] = self.slew_rate_deg_s
        return data


@dataclass(frozen=True)
class OwnerBlock:
    """``partner`` withholds its satellite, instrument or station in ``[start, end]``."""

    partner: str
    start: datetime
    end: datetime
    satellite: str | None = None
    instrument: str | None = None
    station: str | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"partner": self.partner}
        for key in ("satellite", "instrument", "station"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        data["start"] = format_time(self.start, dialect=PLANNING)
        data["end"] = format_time(self.end, dialect=PLANNING)
        if self.reason:
            data["reason"] = self.reason
        return data


@dataclass(frozen=True)
class Scenario:
    """A checked planning scenario."""

    name: str
    consortium_ref: str
    consortium: Consortium = field(repr=False, compare=False)
    start: datetime
    end: datetime
    fairness: str
    entitlements: Mapping[str, float] = field(hash=False)
    requests: tuple[Request, ...]
    blocks: tuple[OwnerBlock, ...] = ()
    spacecraft: tuple[SpacecraftPlanning, ...] = ()
    agreement: str | None = None

    @property
    def horizon_s(self) -> float:
        return seconds_between(self.start, self.end)

    def demands(self) -> tuple[Demand, ...]:
        """Every request's demands (one per revisit period)."""
        return tuple(d for r in self.requests for d in r.demands())

    def model_blocks(self) -> tuple[Block, ...]:
        """The owner blocks in seconds from the horizon start."""
        return tuple(
            Block(
                id=f"block-{k}",
                partner=b.partner,
                start_s=seconds_between(self.start, b.start),
                end_s=seconds_between(self.start, b.end),
                satellite=b.satellite,
                instrument=b.instrument,
                station=b.station,
                reason=b.reason,
            )
            for k, b in enumerate(self.blocks)
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "consortium": self.consortium_ref,
            "fairness": self.fairness,
            "horizon": {
                "start": format_time(self.start, dialect=PLANNING),
                "end": format_time(self.end, dialect=PLANNING),
            },
        }
        if self.agreement is not None:
            data["agreement"] = self.agreement
        else:
            data["entitlements"] = dict(self.entitlements)
        data["spacecraft"] = [s.to_dict() for s in self.spacecraft]
        data["requests"] = [r.to_dict() for r in self.requests]
        data["blocked"] = [b.to_dict() for b in self.blocks]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base_dir: Path | None = None) -> Scenario:
        """Read and check a scenario; ``base_dir`` resolves a relative consortium
        path (default: the working directory)."""
        return _read_scenario(Reader(data, "", PLANNING), base_dir or Path.cwd())


def load_scenario(path: Path | str) -> Scenario:
    """Read and check a scenario file (TOML).

    Every mistake raises :class:`~spacepool.errors.ScenarioError` whose message
    starts with the file and the field, e.g.
    ``flood.toml: requests[3].window.end: must lie within the horizon ...``.
    """
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read the file: {exc.strerror}", field=str(path)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"not valid TOML: {exc}", field=str(path)) from None
    try:
        return Scenario.from_dict(data, base_dir=path.parent)
    except ScenarioError as exc:
        raise ScenarioError(exc.reason, field=exc.field, source=str(path)) from None


def _read_scenario(r: Reader, base_dir: Path) -> Scenario:
    name = r.text("name", "")
    consortium_ref = r.text("consortium", BUNDLED)
    consortium = _load_consortium(consortium_ref, base_dir)
    fairness = r.text("fairness", "none")
    if fairness not in FAIRNESS_MODES:
        raise ScenarioError(
            f"must be one of {', '.join(FAIRNESS_MODES)}, got {fairness!r}", field="fairness"
        )
    horizon = r.table("horizon")
    start, end = horizon.time("start"), horizon.time("end")
    horizon.finish()
    if end <= start:
        raise ScenarioError(
            f"must be after horizon.start {format_time(start, dialect=PLANNING)}, "
            f"got {format_time(end, dialect=PLANNING)}",
            field="horizon.end",
        )
    _check_element_validity(consortium, start, end)
    known_partners = [p.id for p in consortium.partners]
    agreement, entitlements = _read_entitlements(r, consortium, known_partners)
    if fairness != "none" and not entitlements:
        raise ScenarioError(
            f'fairness {fairness!r} needs entitlements: give agreement = "<id>" or an '
            "[entitlements] table",
            field="agreement",
        )
    spacecraft = tuple(
        _read_spacecraft(item, consortium) for item in r.table_list("spacecraft", required=False)
    )
    reject_duplicates([s.id for s in spacecraft], "spacecraft", "spacecraft id", dialect=PLANNING)
    request_readers = r.table_list("requests")
    if not request_readers:
        raise ScenarioError("must list at least one request", field="requests")
    requests = []
    for item in request_readers:
        request = Request._read(item)
        _check_partner(request.partner, known_partners, item.at("partner"))
        window = item.path + ".window"
        if request.start < start or request.start >= end:
            raise ScenarioError(
                f"must lie within the horizon {format_time(start, dialect=PLANNING)} .. "
                f"{format_time(end, dialect=PLANNING)}, got "
                f"{format_time(request.start, dialect=PLANNING)}",
                field=f"{window}.start",
            )
        if request.end > end:
            raise ScenarioError(
                f"must lie within the horizon {format_time(start, dialect=PLANNING)} .. "
                f"{format_time(end, dialect=PLANNING)}, got "
                f"{format_time(request.end, dialect=PLANNING)}",
                field=f"{window}.end",
            )
        requests.append(request)
    reject_duplicates([q.id for q in requests], "requests", "request id", dialect=PLANNING)
    blocks = tuple(
        _read_block(item, consortium, known_partners)
        for item in r.table_list("blocked", required=False)
    )
    r.finish()
    return Scenario(
        name=name,
        consortium_ref=consortium_ref,
        consortium=consortium,
        start=start,
        end=end,
        fairness=fairness,
        entitlements=entitlements,
        requests=tuple(requests),
        blocks=blocks,
        spacecraft=spacecraft,
        agreement=agreement,
    )


def _load_consortium(ref: str, base_dir: Path) -> Consortium:
    if ref == BUNDLED:
        return load_consortium()
    path = Path(ref)
    if not path.is_absolute():
        path = base_dir / path
    if not path.exists():
        raise ScenarioError(
            f'no consortium file at {str(path)!r}; give "bundled" or a path relative to the '
            "scenario file",
            field="consortium",
        )
    return load_consortium(path)


def _check_element_validity(consortium: Consortium, start: datetime, end: datetime) -> None:
    from spacepool.orbits.validity import check_age

    try:
        check_age(consortium.element_sets(), start, end, strict=True)
    except StaleElementsError as exc:
        far_end = "horizon.end" if exc.age_days > 0 else "horizon.start"
        raise ScenarioError(
            f"outside the validity of the consortium's elements: {exc.message}", field=far_end
        ) from None


def _check_partner(partner: str, known: list[str], path: str) -> None:
    if partner not in known:
        raise ScenarioError(
            f"unknown partner {partner!r}; known partners: {', '.join(sorted(known))}",
            field=path,
        )


def _read_entitlements(
    r: Reader, consortium: Consortium, known: list[str]
) -> tuple[str | None, dict[str, float]]:
    agreement_id = r.optional_text("agreement")
    table = r.optional_table("entitlements")
    if agreement_id is not None and table is not None:
        raise ScenarioError("give agreement or [entitlements], not both", field="entitlements")
    if agreement_id is not None:
        try:
            agreement = consortium.agreement(agreement_id)
        except UnknownNameError as exc:
            raise ScenarioError(exc.message, field="agreement") from None
        return agreement_id, dict(agreement.entitlements())
    if table is None:
        return None, {}
    shares: dict[str, float] = {}
    for key in table.data:
        _check_partner(str(key), known, table.at(str(key)))
        shares[str(key)] = table.number(str(key), ge=0.0, le=1.0)
    table.finish()
    if not shares:
        raise ScenarioError("must name at least one partner", field="entitlements")
    check_entitlements(shares, "entitlements")
    return None, shares


def _read_spacecraft(r: Reader, consortium: Consortium) -> SpacecraftPlanning:
    ident = r.text("id")
    try:
        sc = consortium.spacecraft(ident)
    except UnknownNameError as exc:
        raise ScenarioError(exc.message, field=r.at("id")) from None
    memory_gbit = r.optional_number("memory_gbit", gt=0.0)
    planning = SpacecraftPlanning(
        id=sc.id,
        memory_mbit=None if memory_gbit is None else memory_gbit * MBIT_PER_GBIT,
        transition_fixed_s=r.optional_number("transition_fixed_s", ge=0.0),
        slew_rate_deg_s=r.optional_number("slew_rate_deg_s", gt=0.0),
    )
    r.finish()
    return planning


def _read_block(r: Reader, consortium: Consortium, known: list[str]) -> OwnerBlock:
    partner = r.text("partner")
    _check_partner(partner, known, r.at("partner"))
    satellite = r.optional_text("satellite")
    instrument = r.optional_text("instrument")
    station = r.optional_text("station")
    start, end = r.time("start"), r.time("end")
    reason = r.text("reason", "")
    r.finish()
    if (satellite is None) == (station is None):
        raise ScenarioError("give exactly one of satellite or station", field=r.at("satellite"))
    if end <= start:
        raise ScenarioError(
            f"must be after the start {format_time(start, dialect=PLANNING)}, "
            f"got {format_time(end, dialect=PLANNING)}",
            field=r.at("end"),
        )
    if station is not None:
        if instrument is not None:
            raise ScenarioError("an instrument block needs its satellite", field=r.at("instrument"))
        try:
            gs = consortium.station(station)
        except UnknownNameError as exc:
            raise ScenarioError(exc.message, field=r.at("station")) from None
        owner, asset, station = gs.owner, f"station {gs.id!r}", gs.id
    else:
        assert satellite is not None
        try:
            sc = consortium.spacecraft(satellite)
        except UnknownNameError as exc:
            raise ScenarioError(exc.message, field=r.at("satellite")) from None
        satellite = sc.id
        owner, asset = sc.owner, f"satellite {sc.id!r}"
        if instrument is not None:
            known_instruments = [i.id for i in sc.instruments]
            if instrument not in known_instruments:
                raise ScenarioError(
                    f"unknown instrument {instrument!r} of {sc.id}; known instruments: "
                    f"{', '.join(known_instruments)}",
                    field=r.at("instrument"),
                )
            inst = sc.instrument(instrument)
            owner, asset = sc.instrument_owner(inst), f"instrument {sc.id}/{inst.id}"
    if partner != owner:
        raise ScenarioError(
            f"{partner!r} cannot block {asset}: only its owner {owner!r} can",
            field=r.at("partner"),
        )
    return OwnerBlock(
        partner=partner,
        start=start,
        end=end,
        satellite=satellite,
        instrument=instrument,
        station=station,
        reason=reason,
    )


__all__ = [
    "BUNDLED",
    "OwnerBlock",
    "Scenario",
    "SpacecraftPlanning",
    "load_scenario",
]
