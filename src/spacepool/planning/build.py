"""From a scenario to a planning instance, with the access engine.

For each request, the instruments that meet its requirements (kind, resolution) are
searched for imaging opportunities over the horizon
(:func:`spacepool.access.imaging.find_opportunities`, nominal elements of the
consortium's spacecraft unless others are given); every opportunity that falls in a
revisit period of the request becomes a
:class:`~spacepool.planning.model.Candidate` of that period's demand. Station
contacts come from :func:`spacepool.access.contacts.find_contacts` for every
spacecraft and station that share a band.

How an instrument images depends on its spacecraft's pointing (scenario
``[[spacecraft]]``):

* **fixed** (default; no ``slew_rate_deg_s`` given): a nadir-pointing push-broom
  swath (``swath_km``). The acquisition is centred on the opportunity's best time and
  all acquisitions of one instrument share its strip (one swath images every target
  in it at once). An instrument with a minimum off-nadir angle (side-looking radar)
  images its field of regard one acquisition at a time instead.
* **agile** (``slew_rate_deg_s`` given): the instrument points anywhere within
  ``min(instrument, request) max_off_nadir_deg``; the acquisition may start anywhere
  in the opportunity window and transitions follow the slew model.

Assumed values (override them in the scenario where a field exists):
:data:`DEFAULT_MEMORY_GBIT`, :data:`SCENE_S`; an area's acquisition lasts
``sqrt(area) / ground speed`` (at least :data:`SCENE_S`). A candidate is worth its
demand's value times the opportunity's covered fraction of an area. The pointing
angle used for transitions is the opportunity's smallest off-nadir angle (the side
of the track is not known, so it is taken as positive).

Engine calls. The engine evaluates every (sensor, target) pair of a call, so its
cost grows with those pairs: each request is searched only with the sensors that can
serve it. Every (spacecraft, sensor) pair is given the requests it may serve, and
pairs with the same requests share one call (twin spacecraft such as
Sentinel-2A/B/C); each spacecraft is propagated once per call, not once per
requirement set. ``workers > 1`` spreads the calls over processes
(:func:`spacepool.orbits.parallel.map_chunks`).

What the engine reports goes into :attr:`Instance.warnings
<spacepool.planning.model.Instance.warnings>` (and from there into the plan):
element sets used beyond their validity (the engine's policy: warn, see
:func:`spacepool.orbits.validity.check_age`) and SGP4 failures (the spacecraft's
opportunities and contacts after the failure are missing).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from spacepool._reading import seconds_between
from spacepool.consortium import Instrument, Spacecraft
from spacepool.planning.model import Candidate, Demand, Instance, Satellite, StationContact
from spacepool.planning.plan import Plan
from spacepool.planning.requests import AreaTarget, Request
from spacepool.planning.scenario import Scenario, SpacecraftPlanning
from spacepool.planning.solve import plan_from_candidates

if TYPE_CHECKING:
    from spacepool.access.contacts import ContactResult
    from spacepool.access.imaging import Opportunity, OpportunityResult, Sensor
    from spacepool.errors import PropagationError
    from spacepool.orbits.elements import ElementSet
    from spacepool.orbits.validity import AgeWarning

# Assumed on-board memory when the scenario gives none (Gbit): the order of magnitude
# of current Earth-observation mass memories; set memory_gbit per spacecraft.
DEFAULT_MEMORY_GBIT: Final = 1000.0
# Assumed acquisition time of a point target (s): about 70 km along track.
SCENE_S: Final = 10.0
# Ground-track speed at 700 km altitude (km/s), derived: sqrt(mu / a) * R / a with
# mu = 398600.4418 km3/s2, R = 6378.137 km, a = R + 700 km.
GROUND_SPEED_KM_S: Final = 6.76
# Opportunities shorter than this (s) are not planned (a grazing view).
MIN_WINDOW_S: Final = 1.0
MBIT_PER_GBIT: Final = 1000.0
# Below this many (sensor, target) pairs the searches run in this process even when
# workers are allowed: starting worker processes takes seconds (measured: the
# flood example's ~60 pairs take well under a second in-process).
PARALLEL_MIN_PAIRS: Final = 1000


@dataclass(frozen=True)
class _Use:
    """An instrument that can serve a request, and the sensor that models it."""

    spacecraft: Spacecraft
    instrument: Instrument
    agile: bool
    strip: bool


@dataclass(frozen=True)
class _Asked:
    """A request with what every candidate of it needs: its demands, their periods
    (s from the horizon start) and the acquisition time."""

    request: Request
    demands: tuple[Demand, ...]
    slots_s: tuple[tuple[float, float], ...]
    duration_s: float


def build_instance(
    scenario: Scenario,
    *,
    workers: int = 1,
    elements: Mapping[int, ElementSet] | None = None,
) -> Instance:
    """The planning instance of ``scenario`` (opportunities and contacts computed
    over its horizon). ``elements`` (by NORAD id) replace the nominal elements of
    those spacecraft, e.g. the newest uploaded sets of the data service.
    ``workers > 1`` runs the engine's searches in that many processes.

    Element sets used beyond their validity and SGP4 failures do not stop the build:
    they are listed in the instance's ``warnings``.
    """
    from spacepool.access.contacts import find_contacts
    from spacepool.access.imaging import Sensor
    from spacepool.orbits.parallel import map_chunks

    consortium = scenario.consortium
    planning = {p.id: p for p in scenario.spacecraft}
    fleet = list(consortium.fleet)
    given = elements or {}
    chosen = {sc.norad_id: given.get(sc.norad_id) or sc.element_set() for sc in fleet}
    asked = [_asked(scenario, request) for request in scenario.requests]
    targets = {a.request.id: a.request.target.to_access(a.request.id) for a in asked}

    # (spacecraft index, sensor) -> the requests it may serve
    serves: dict[tuple[int, Sensor], list[str]] = defaultdict(list)
    uses: dict[tuple[int, str], _Use] = {}
    for k, sc in enumerate(fleet):
        agile = _agile(planning.get(sc.id))
        for instrument in sc.instruments:
            for a in asked:
                if not _meets(instrument, a.request):
                    continue
                sensor, strip = _sensor(Sensor, instrument, a.request, agile)
                serves[k, sensor].append(a.request.id)
                uses[k, instrument.id] = _Use(sc, instrument, agile, strip)
    # pairs with the same requests share one engine call
    calls: dict[tuple[str, ...], list[tuple[int, Sensor]]] = defaultdict(list)
    for pair, ids in serves.items():
        calls[tuple(ids)].append(pair)
    tasks = []
    for request_ids, pairs in calls.items():
        members = sorted({k for k, _ in pairs})
        tasks.append(
            (
                tuple(chosen[fleet[k].norad_id] for k in members),
                tuple(tuple(s for k2, s in pairs if k2 == k) for k in members),
                tuple(targets[i] for i in request_ids),
                scenario.start,
                scenario.end,
            )
        )
    # largest calls first, so that parallel workers finish together
    tasks.sort(key=lambda task: -len(task[2]) * sum(len(s) for s in task[1]))
    pairs_total = sum(len(task[2]) * sum(len(s) for s in task[1]) for task in tasks)
    processes = workers if pairs_total >= PARALLEL_MIN_PAIRS else 1
    by_norad = {sc.norad_id: k for k, sc in enumerate(fleet)}
    found: dict[str, list[tuple[Opportunity, _Use]]] = defaultdict(list)
    age: dict[int, AgeWarning] = {}
    failures: dict[str, PropagationError] = {}
    for result in map_chunks(_search, tasks, workers=processes):
        for opportunity in result:
            use = uses[by_norad[opportunity.norad_id], opportunity.instrument]
            found[opportunity.target].append((opportunity, use))
        age.update((w.norad_id, w) for w in result.age_warnings)
        failures.update((f.satellite, f) for f in result.failures)

    demands: list[Demand] = []
    candidates: list[Candidate] = []
    used: set[str] = set()
    rank = {sc.id: k for k, sc in enumerate(fleet)}
    for a in asked:
        demands.extend(a.demands)
        mine = sorted(
            found[a.request.id],
            key=lambda item: (
                item[0].start,
                rank[item[1].spacecraft.id],
                item[1].instrument.id,
            ),
        )
        for opportunity, use in mine:
            made = _candidates(scenario, a, opportunity, use, len(candidates))
            candidates.extend(made)
            if made:
                used.add(use.spacecraft.id)
    satellites = tuple(_satellite(sc, planning.get(sc.id)) for sc in fleet)
    contacts, contact_result = _contacts(
        scenario, [sc for sc in fleet if sc.id in used], find_contacts, chosen
    )
    if contact_result is not None:
        age.update((w.norad_id, w) for w in contact_result.age_warnings)
        failures.update((f.satellite, f) for f in contact_result.failures)
    return Instance(
        start=scenario.start,
        horizon_s=scenario.horizon_s,
        demands=tuple(demands),
        candidates=tuple(candidates),
        satellites=satellites,
        contacts=contacts,
        blocks=scenario.model_blocks(),
        entitlements=dict(scenario.entitlements),
        fairness=scenario.fairness,
        name=scenario.name,
        warnings=_warnings(age, failures),
    )


def _search(
    elements: tuple[ElementSet, ...],
    sensors: tuple[tuple[Sensor, ...], ...],
    targets: tuple[Any, ...],
    start: datetime,
    end: datetime,
) -> OpportunityResult:
    """One engine call (module level, so that worker processes can run it). Only the
    covered fraction of an area is used, not the covered part: bringing that part
    back to lon/lat was a fifth of the build (1,000 requests, cProfile)."""
    from spacepool.access.imaging import find_opportunities

    return find_opportunities(elements, targets, start, end, sensors=sensors, covered_shapes=False)


def _warnings(
    age: Mapping[int, AgeWarning], failures: Mapping[str, PropagationError]
) -> tuple[str, ...]:
    out = [f"element age: {w.message}" for _, w in sorted(age.items())]
    out += [
        f"propagation: {f.satellite}: SGP4 error {f.error_code} ({f.meaning}); its "
        "opportunities and contacts after the failure are missing"
        for _, f in sorted(failures.items())
    ]
    return tuple(out)


def _asked(scenario: Scenario, request: Request) -> _Asked:
    demands = request.demands()
    slots = []
    for demand in demands:
        first, last = request.slot_window(demand.slot)
        slots.append(
            (seconds_between(scenario.start, first), seconds_between(scenario.start, last))
        )
    return _Asked(request, demands, tuple(slots), _duration_s(request))


def _agile(planning: SpacecraftPlanning | None) -> bool:
    return planning is not None and planning.slew_rate_deg_s is not None


def _meets(instrument: Instrument, request: Request) -> bool:
    r = request.requirements
    if r.kinds and instrument.kind not in r.kinds:
        return False
    if r.max_resolution_m is not None and instrument.resolution_m > r.max_resolution_m:
        return False
    return not (
        r.max_off_nadir_deg is not None and instrument.min_off_nadir_deg >= r.max_off_nadir_deg
    )


def _sensor(
    sensor_type: Any, instrument: Instrument, request: Request, agile: bool
) -> tuple[Any, bool]:
    """The access engine's sensor for ``instrument`` serving ``request``, and whether
    its acquisitions share a strip."""
    r = request.requirements
    sun = instrument.min_sun_elevation_deg
    if r.min_sun_elevation_deg is not None:
        sun = r.min_sun_elevation_deg if sun is None else max(sun, r.min_sun_elevation_deg)
    if agile or instrument.min_off_nadir_deg > 0.0:
        reach = instrument.max_off_nadir_deg
        if r.max_off_nadir_deg is not None:
            reach = min(reach, r.max_off_nadir_deg)
        sensor = sensor_type(
            max_off_nadir_deg=reach,
            min_off_nadir_deg=instrument.min_off_nadir_deg,
            min_sun_elevation_deg=sun,
            name=instrument.id,
        )
        return sensor, False
    sensor = sensor_type(
        swath_km=instrument.swath_km, min_sun_elevation_deg=sun, name=instrument.id
    )
    return sensor, True


def _duration_s(request: Request) -> float:
    if isinstance(request.target, AreaTarget):
        area_km2 = request.target.to_access(request.id).area_km2
        return max(SCENE_S, math.sqrt(area_km2) / GROUND_SPEED_KM_S)
    return SCENE_S


def _candidates(
    scenario: Scenario, asked: _Asked, opportunity: Opportunity, use: _Use, first_index: int
) -> list[Candidate]:
    opp_start = seconds_between(scenario.start, opportunity.start)
    opp_end = seconds_between(scenario.start, opportunity.end)
    best = seconds_between(scenario.start, opportunity.best_time)
    if opp_end - opp_start < MIN_WINDOW_S:
        return []
    r = asked.request.requirements
    if (
        not use.agile
        and r.max_off_nadir_deg is not None
        and opportunity.min_off_nadir_deg > r.max_off_nadir_deg
    ):
        return []
    duration = min(asked.duration_s, opp_end - opp_start)
    fraction = opportunity.covered_fraction
    quality = 1.0 if fraction is None else float(fraction)
    out: list[Candidate] = []
    for demand, (slot_start, slot_end) in zip(asked.demands, asked.slots_s, strict=True):
        if use.agile:
            earliest = max(opp_start, slot_start)
            latest = min(opp_end, slot_end) - duration
            if latest < earliest:
                continue
        else:
            if not slot_start <= best < slot_end:
                continue
            earliest = latest = min(max(best - duration / 2.0, opp_start), opp_end - duration)
        sc, instrument = use.spacecraft, use.instrument
        out.append(
            Candidate(
                id=f"{demand.id}:{sc.id}/{instrument.id}/{first_index + len(out)}",
                demand=demand.id,
                satellite=sc.id,
                instrument=instrument.id,
                earliest_start_s=earliest,
                latest_start_s=latest,
                duration_s=duration,
                value=demand.value * quality,
                volume_mbit=instrument.data_rate_mbps * duration,
                off_nadir_deg=min(max(opportunity.min_off_nadir_deg, 0.0), 89.9),
                strip=f"{sc.id}/{instrument.id}" if use.strip else None,
            )
        )
    return out


def _satellite(sc: Spacecraft, planning: SpacecraftPlanning | None) -> Satellite:
    memory = DEFAULT_MEMORY_GBIT * MBIT_PER_GBIT
    fixed = 0.0
    slew = None
    if planning is not None:
        memory = planning.memory_mbit if planning.memory_mbit is not None else memory
        fixed = planning.transition_fixed_s or 0.0
        slew = planning.slew_rate_deg_s
    return Satellite(sc.id, memory, transition_fixed_s=fixed, slew_rate_deg_s=slew)


def _contacts(
    scenario: Scenario,
    spacecraft: Sequence[Spacecraft],
    find_contacts: Any,
    elements: Mapping[int, ElementSet],
) -> tuple[tuple[StationContact, ...], ContactResult | None]:
    # in this process: the contacts of a whole fleet over days take a fraction of a
    # second, less than starting worker processes
    if not spacecraft:
        return (), None
    stations = list(scenario.consortium.stations)
    by_name = {s.name: s for s in stations}
    by_norad = {sc.norad_id: sc for sc in spacecraft}
    result = find_contacts(
        [elements[sc.norad_id] for sc in spacecraft],
        stations,
        scenario.start,
        scenario.end,
    )
    out: list[StationContact] = []
    count: dict[tuple[str, str], int] = defaultdict(int)
    for contact in result:
        sc = by_norad[contact.norad_id]
        station = by_name[contact.station]
        if not set(sc.bands) & set(station.bands):
            continue
        start_s = max(0.0, seconds_between(scenario.start, contact.aos))
        end_s = min(scenario.horizon_s, seconds_between(scenario.start, contact.los))
        if end_s - start_s <= 0.0:
            continue
        k = count[sc.id, station.id]
        count[sc.id, station.id] += 1
        out.append(
            StationContact(
                id=f"{sc.id}:{station.id}#{k}",
                satellite=sc.id,
                station=station.id,
                start_s=start_s,
                end_s=end_s,
                rate_mbps=min(sc.downlink_rate_mbps, station.downlink_rate_mbps),
            )
        )
    return tuple(out), result


def plan_scenario(
    scenario: Scenario,
    *,
    solver: str = "cpsat",
    time_limit_s: float = 10.0,
    seed: int = 0,
    workers: int = 2,
) -> Plan:
    """Build the instance of ``scenario`` and plan it (see
    :func:`~spacepool.planning.solve.plan_from_candidates`)."""
    instance = build_instance(scenario, workers=workers)
    return plan_from_candidates(
        instance, solver=solver, time_limit_s=time_limit_s, seed=seed, workers=workers
    )
