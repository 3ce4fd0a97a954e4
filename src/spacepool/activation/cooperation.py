"""The value of cooperation: what the pool can do over an area that no partner can alone.

For one area and one period, and for every *coalition* of partners (the whole pool,
each partner alone, the pool without each partner), four measures of geometric
potential, before any planning:

* **first acquisition**: the start of the first imaging opportunity over the area of an
  instrument the coalition owns (clipped to the period start when one is under way);
* **first delivery**: the earliest time at which an image of the area can be on the
  ground: over every acquisition of the coalition, the end (LOS) of the first contact of
  *the same satellite* with a ground station *of the coalition* that ends after the
  acquisition window ends (a contact already under way counts: the data goes down
  before its LOS), the earliest over all acquisitions;
* **acquisitions**: the passes over the area, i.e. opportunities merged per satellite
  where they overlap (two instruments on one pass are one acquisition);
* **revisit**: the gaps between accesses (any of the coalition's satellites able to
  image the area), including the stretches from the period start to the first and from
  the last to the period end, as in :mod:`spacepool.access.coverage`; mean and longest,
  ``None`` when the coalition never sees the area.

Ownership: an opportunity belongs to the partner owning the *instrument* (the spacecraft
owner unless the consortium names another, e.g. ISRO's S-band radar on NISAR); a contact
to the partner owning the *station*, and counts only when the spacecraft and the station
share a radio band. Contacts cut by the period end are left out (their LOS, the delivery
time, is not known within the period).

Consequences, checked by property tests: the pool's first acquisition and first delivery
are never later than any coalition's, and the pool without a partner is never better
than the pool in first acquisition, first delivery or longest revisit. When each
satellite's instruments belong to one partner, each partner alone also has at most the
pool's acquisitions and the pool without a partner at most as many; a satellite that
carries several partners' instruments can break that count's order, since one partner's
long window may join two windows of another into one pass.

Speed: one SGP4 propagation of the satellites that carry a wanted instrument serves one
imaging search over the area and one contact search over every station
(:func:`potential`); every coalition is then a few array operations on those results
(:func:`evaluate`), so adding coalitions costs microseconds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from spacepool.access.areas import AreaTarget, PointTarget, parse_geojson
from spacepool.access.contacts import find_contacts
from spacepool.access.coverage import interval_statistics
from spacepool.access.imaging import Sensor, find_opportunities
from spacepool.consortium.model import Consortium
from spacepool.errors import GeometryError, UnknownNameError
from spacepool.orbits.elements import ElementSet
from spacepool.orbits.propagate import Propagator
from spacepool.orbits.timebase import TimeBase, check_window, format_time, parse_time

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Target = PointTarget | AreaTarget

IMAGING_KINDS: Final[tuple[str, ...]] = ("optical", "hyperspectral", "thermal", "sar")
"""Instrument kinds that image an area (radiometers and altimeters do not)."""
POOL: Final = "pool"
WITHOUT: Final = "without:"
_SECONDS_PER_HOUR: Final = 3600.0


# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CoalitionResult:
    """What one coalition can do over the area in the period (see the module docstring).

    ``name``: ``"pool"``, a partner id (that partner alone) or ``"without:<partner>"``;
    ``partners``: its members. Times are aware UTC datetimes or ``None`` (never in the
    period); hours are counted from the period start.
    """

    name: str
    partners: tuple[str, ...]
    first_acquisition: datetime | None
    first_acquisition_satellite: str | None
    first_delivery: datetime | None
    hours_to_first_acquisition: float | None
    hours_to_first_delivery: float | None
    acquisitions: int
    mean_revisit_hours: float | None
    max_revisit_hours: float | None
    first_acquisition_instrument: str | None = None
    first_acquisition_partner: str | None = None
    first_delivery_satellite: str | None = None
    first_delivery_station: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values; times ISO 8601 UTC ending in ``Z``, hours rounded to 1 ms."""
        return {
            "name": self.name,
            "partners": list(self.partners),
            "first_acquisition": _time_or_none(self.first_acquisition),
            "first_acquisition_satellite": self.first_acquisition_satellite,
            "first_acquisition_instrument": self.first_acquisition_instrument,
            "first_acquisition_partner": self.first_acquisition_partner,
            "first_delivery": _time_or_none(self.first_delivery),
            "first_delivery_satellite": self.first_delivery_satellite,
            "first_delivery_station": self.first_delivery_station,
            "hours_to_first_acquisition": _hours_json(self.hours_to_first_acquisition),
            "hours_to_first_delivery": _hours_json(self.hours_to_first_delivery),
            "acquisitions": self.acquisitions,
            "mean_revisit_hours": _hours_json(self.mean_revisit_hours),
            "max_revisit_hours": _hours_json(self.max_revisit_hours),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CoalitionResult:
        def when(key: str) -> datetime | None:
            value = data.get(key)
            return None if value is None else parse_time(value, field=key)

        def number(key: str) -> float | None:
            value = data.get(key)
            return None if value is None else float(value)

        return cls(
            name=str(data["name"]),
            partners=tuple(str(p) for p in data["partners"]),
            first_acquisition=when("first_acquisition"),
            first_acquisition_satellite=data.get("first_acquisition_satellite"),
            first_delivery=when("first_delivery"),
            hours_to_first_acquisition=number("hours_to_first_acquisition"),
            hours_to_first_delivery=number("hours_to_first_delivery"),
            acquisitions=int(data["acquisitions"]),
            mean_revisit_hours=number("mean_revisit_hours"),
            max_revisit_hours=number("max_revisit_hours"),
            first_acquisition_instrument=data.get("first_acquisition_instrument"),
            first_acquisition_partner=data.get("first_acquisition_partner"),
            first_delivery_satellite=data.get("first_delivery_satellite"),
            first_delivery_station=data.get("first_delivery_station"),
        )


@dataclass(frozen=True)
class Marginal:
    """What the pool loses without ``partner``: ``acquisitions_lost`` (passes),
    ``first_acquisition_delay_hours`` / ``first_delivery_delay_hours`` (``None`` when
    the pool has none, or has none left without the partner: see ``indispensable``).
    ``indispensable``: the pool images (or delivers) the area only with this partner."""

    partner: str
    acquisitions_lost: int
    first_acquisition_delay_hours: float | None
    first_delivery_delay_hours: float | None
    indispensable: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "acquisitions_lost": self.acquisitions_lost,
            "first_acquisition_delay_hours": _hours_json(self.first_acquisition_delay_hours),
            "first_delivery_delay_hours": _hours_json(self.first_delivery_delay_hours),
            "indispensable": self.indispensable,
        }

    def _rank(self) -> tuple[bool, int, float, float]:
        return (
            self.indispensable,
            self.acquisitions_lost,
            self.first_acquisition_delay_hours or 0.0,
            self.first_delivery_delay_hours or 0.0,
        )


@dataclass(frozen=True)
class Comparison:
    """The pool, each partner alone and the pool without each partner over one area.

    ``area``: the area as a GeoJSON geometry (longitudes cut at the antimeridian);
    ``alone`` and ``without`` are keyed by partner id, in the consortium's order.
    ``kinds``: the instrument kinds counted; ``warnings``: stale elements and
    propagation failures met on the way; ``compute_seconds``: wall time of the engine
    searches and evaluation.
    """

    area: dict[str, Any]
    start: datetime
    end: datetime
    pool: CoalitionResult
    alone: dict[str, CoalitionResult]
    without: dict[str, CoalitionResult]
    kinds: tuple[str, ...] = IMAGING_KINDS
    area_name: str = "area"
    compute_seconds: float = 0.0
    warnings: tuple[str, ...] = ()

    @property
    def partners(self) -> tuple[str, ...]:
        return tuple(self.alone)

    def marginal(self) -> tuple[Marginal, ...]:
        """Per partner, what the pool loses without it; the partner that adds most first
        (indispensable, then most passes lost, then longest delays), ties in
        consortium order."""
        pool = self.pool
        out = []
        for partner, rest in self.without.items():
            delay_acq = _delay(pool.hours_to_first_acquisition, rest.hours_to_first_acquisition)
            delay_del = _delay(pool.hours_to_first_delivery, rest.hours_to_first_delivery)
            indispensable = (
                pool.first_acquisition is not None and rest.first_acquisition is None
            ) or (pool.first_delivery is not None and rest.first_delivery is None)
            out.append(
                Marginal(
                    partner,
                    pool.acquisitions - rest.acquisitions,
                    delay_acq,
                    delay_del,
                    indispensable,
                )
            )
        order = sorted(range(len(out)), key=lambda i: tuple(-x for x in out[i]._rank()))
        return tuple(out[i] for i in order)

    @property
    def adds_most(self) -> str | None:
        """The partner whose absence costs the pool most, ``None`` if none costs anything."""
        ranked = self.marginal()
        if not ranked or not any(ranked[0]._rank()):
            return None
        return ranked[0].partner

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values: times ISO 8601 UTC ending in ``Z``."""
        return {
            "area_name": self.area_name,
            "area": self.area,
            "start": format_time(self.start),
            "end": format_time(self.end),
            "kinds": list(self.kinds),
            "pool": self.pool.to_json(),
            "alone": {k: v.to_json() for k, v in self.alone.items()},
            "without": {k: v.to_json() for k, v in self.without.items()},
            "marginal": [m.to_json() for m in self.marginal()],
            "adds_most": self.adds_most,
            "compute_seconds": round(self.compute_seconds, 3),
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Comparison:
        return cls(
            area=dict(data["area"]),
            start=parse_time(data["start"], field="start"),
            end=parse_time(data["end"], field="end"),
            pool=CoalitionResult.from_json(data["pool"]),
            alone={k: CoalitionResult.from_json(v) for k, v in data["alone"].items()},
            without={k: CoalitionResult.from_json(v) for k, v in data["without"].items()},
            kinds=tuple(data.get("kinds", IMAGING_KINDS)),
            area_name=str(data.get("area_name", "area")),
            compute_seconds=float(data.get("compute_seconds", 0.0)),
            warnings=tuple(data.get("warnings", ())),
        )


def _time_or_none(when: datetime | None) -> str | None:
    return None if when is None else format_time(when)


def _hours_json(hours: float | None) -> float | None:
    # 1e-6 h is 3.6 ms: the engine's times are good to about a millisecond.
    return None if hours is None else round(hours, 6)


def _delay(pool_hours: float | None, rest_hours: float | None) -> float | None:
    if pool_hours is None or rest_hours is None:
        return None
    return rest_hours - pool_hours


# --- the computed potential ----------------------------------------------------------------


@dataclass(frozen=True)
class Potential:
    """Every imaging opportunity over the area and every usable contact, as columns.

    ``partners`` ``(P,)``, ``satellites`` ``(S,)`` and ``stations`` ``(T,)`` are names;
    the arrays index into them. Opportunities, ``(M,)`` each: ``opp_satellite``,
    ``opp_partner`` (the instrument's owner), ``opp_start_s`` / ``opp_end_s`` (seconds
    after ``start``, inside ``[0, span_s]``), ``opp_instrument`` (ids),
    ``opp_sun_elevation_deg`` (at the best time). Contacts, ``(K,)`` each:
    ``contact_satellite``, ``contact_station``, ``contact_partner`` (the station's
    owner), ``contact_aos_s`` / ``contact_los_s``; only pairs sharing a radio band, and
    no contact cut by the period end.
    """

    start: datetime
    end: datetime
    partners: tuple[str, ...]
    satellites: tuple[str, ...]
    stations: tuple[str, ...]
    opp_satellite: IntArray
    opp_partner: IntArray
    opp_start_s: FloatArray
    opp_end_s: FloatArray
    opp_instrument: tuple[str, ...]
    contact_satellite: IntArray
    contact_station: IntArray
    contact_partner: IntArray
    contact_aos_s: FloatArray
    contact_los_s: FloatArray
    opp_sun_elevation_deg: FloatArray = field(default_factory=lambda: np.zeros(0))
    warnings: tuple[str, ...] = ()

    @property
    def span_s(self) -> float:
        return (self.end - self.start).total_seconds()

    @classmethod
    def of(
        cls,
        start: datetime,
        end: datetime,
        partners: Sequence[str],
        opportunities: Sequence[tuple[str, str, float, float, str]],
        contacts: Sequence[tuple[str, str, str, float, float]],
    ) -> Potential:
        """A potential from plain rows (small cases and tests): opportunities as
        ``(satellite, partner, start_s, end_s, instrument)``, contacts as
        ``(satellite, station, station_partner, aos_s, los_s)``."""
        sats = sorted({o[0] for o in opportunities} | {c[0] for c in contacts})
        stations = sorted({c[1] for c in contacts})
        p_index = {p: i for i, p in enumerate(partners)}
        s_index = {s: i for i, s in enumerate(sats)}
        t_index = {t: i for i, t in enumerate(stations)}
        for partner in [*(o[1] for o in opportunities), *(c[2] for c in contacts)]:
            if partner not in p_index:
                raise UnknownNameError("partner", partner, list(partners))
        return cls(
            start=start,
            end=end,
            partners=tuple(partners),
            satellites=tuple(sats),
            stations=tuple(stations),
            opp_satellite=np.array([s_index[o[0]] for o in opportunities], dtype=np.int64),
            opp_partner=np.array([p_index[o[1]] for o in opportunities], dtype=np.int64),
            opp_start_s=np.array([o[2] for o in opportunities], dtype=np.float64),
            opp_end_s=np.array([o[3] for o in opportunities], dtype=np.float64),
            opp_instrument=tuple(o[4] for o in opportunities),
            contact_satellite=np.array([s_index[c[0]] for c in contacts], dtype=np.int64),
            contact_station=np.array([t_index[c[1]] for c in contacts], dtype=np.int64),
            contact_partner=np.array([p_index[c[2]] for c in contacts], dtype=np.int64),
            contact_aos_s=np.array([c[3] for c in contacts], dtype=np.float64),
            contact_los_s=np.array([c[4] for c in contacts], dtype=np.float64),
            opp_sun_elevation_deg=np.full(len(opportunities), np.nan),
        )


def evaluate(potential: Potential, members: Collection[str], name: str) -> CoalitionResult:
    """The measures of the coalition ``members`` (partner ids) from ``potential``.

    No loop over opportunities or contacts: passes are counted by merging each
    satellite's windows (its windows shifted apart so that one running maximum serves
    every satellite), and each acquisition's delivery is found by one sorted search over
    the coalition's contacts keyed by (satellite, LOS).
    """
    p = potential
    known = set(p.partners)
    for member in members:
        if member not in known:
            raise UnknownNameError("partner", member, list(p.partners))
    inside = np.isin(np.array(p.partners, dtype=object), np.array(list(members), dtype=object))
    partners = tuple(x for x in p.partners if x in set(members))
    span = p.span_s
    chosen = np.flatnonzero(inside[p.opp_partner]) if p.opp_partner.size else np.zeros(0, np.int64)
    if chosen.size == 0:
        return CoalitionResult(name, partners, None, None, None, None, None, 0, None, None)
    sat = p.opp_satellite[chosen]
    s = p.opp_start_s[chosen]
    e = p.opp_end_s[chosen]
    # Windows of different satellites are moved apart by more than the period, so one
    # running maximum merges each satellite's overlapping windows and never two
    # satellites' windows.
    apart = 2.0 * (span + 1.0)
    order = np.lexsort((s, sat))
    s_key = s[order] + sat[order] * apart
    reach = np.maximum.accumulate(e[order] + sat[order] * apart)
    passes = 1 + int(np.count_nonzero(s_key[1:] > reach[:-1]))
    # Revisit over the union of the coalition's windows (coverage's definition).
    _, _, _, gaps = interval_statistics(s, e, span)
    # First acquisition: earliest start; ties go to the earlier row (the engine's order).
    first = int(np.lexsort((np.arange(s.size), s))[0])
    # Delivery of every acquisition: the first coalition contact of the same satellite
    # whose LOS is after the window's end.
    c = (
        np.flatnonzero(inside[p.contact_partner])
        if p.contact_partner.size
        else np.zeros(0, np.int64)
    )
    delivery = np.full(s.size, np.inf)
    via = np.full(s.size, -1, dtype=np.int64)
    if c.size:
        c_sat = p.contact_satellite[c]
        c_los = p.contact_los_s[c]
        c_order = np.lexsort((c_los, c_sat))
        key = c_sat[c_order] * apart + c_los[c_order]
        at = np.searchsorted(key, sat * apart + e, side="right")
        ok = at < key.size
        at_ok = np.minimum(at, key.size - 1)
        ok &= c_sat[c_order][at_ok] == sat
        delivery = np.where(ok, c_los[c_order][at_ok], np.inf)
        via = np.where(ok, c[c_order][at_ok], -1)
    t0 = p.start
    first_s = float(s[first])
    result_first = t0 + timedelta(seconds=first_s)
    k = int(np.argmin(delivery))
    delivered = bool(np.isfinite(delivery[k]))
    delivered_s = float(delivery[k]) if delivered else math.nan
    return CoalitionResult(
        name=name,
        partners=partners,
        first_acquisition=result_first,
        first_acquisition_satellite=p.satellites[int(sat[first])],
        first_delivery=t0 + timedelta(seconds=delivered_s) if delivered else None,
        hours_to_first_acquisition=first_s / _SECONDS_PER_HOUR,
        hours_to_first_delivery=delivered_s / _SECONDS_PER_HOUR if delivered else None,
        acquisitions=passes,
        mean_revisit_hours=float(np.mean(gaps)) / _SECONDS_PER_HOUR,
        max_revisit_hours=max(gaps) / _SECONDS_PER_HOUR,
        first_acquisition_instrument=p.opp_instrument[int(chosen[first])],
        first_acquisition_partner=p.partners[int(p.opp_partner[chosen[first]])],
        first_delivery_satellite=p.satellites[int(sat[k])] if delivered else None,
        first_delivery_station=p.stations[int(p.contact_station[via[k]])] if delivered else None,
    )


def coalitions(
    potential: Potential,
) -> tuple[CoalitionResult, dict[str, CoalitionResult], dict[str, CoalitionResult]]:
    """The pool, each partner alone and the pool without each partner."""
    everyone = potential.partners
    pool = evaluate(potential, everyone, POOL)
    alone = {p: evaluate(potential, (p,), p) for p in everyone}
    without = {
        p: evaluate(potential, tuple(q for q in everyone if q != p), WITHOUT + p) for p in everyone
    }
    return pool, alone, without


# --- from the consortium ----------------------------------------------------------------------


def as_target(area: Mapping[str, Any] | Target, *, name: str = "area") -> Target:
    """A point or area target from a GeoJSON geometry, Feature or FeatureCollection of
    one area (``Point`` geometries give a point target), or a target as it is."""
    if isinstance(area, PointTarget | AreaTarget):
        return area
    geometry: Any = area.get("geometry") if area.get("type") == "Feature" else area
    if isinstance(geometry, Mapping) and geometry.get("type") == "Point":
        coords = geometry.get("coordinates")
        if not (
            isinstance(coords, Sequence)
            and len(coords) >= 2
            and all(isinstance(x, int | float) for x in coords[:2])
        ):
            raise GeometryError(
                f"area: a Point needs coordinates [longitude, latitude], found {coords!r}"
            )
        props = area.get("properties") or {} if area.get("type") == "Feature" else {}
        label = str(props.get("name", name)) if isinstance(props, Mapping) else name
        return PointTarget(label, float(coords[1]), float(coords[0]))
    found = parse_geojson(dict(area), source="area", name=name)
    if len(found) != 1:
        raise GeometryError(
            f"area: expected one area, found {len(found)} features; give one Polygon or "
            "MultiPolygon (or merge the features into a MultiPolygon)"
        )
    return found[0]


def target_geojson(target: Target) -> dict[str, Any]:
    """The target as a GeoJSON geometry (longitudes in ``[-180, 180]``)."""
    if isinstance(target, PointTarget):
        lon = target.longitude_deg
        if not -180.0 <= lon <= 180.0:
            lon = (lon + 180.0) % 360.0 - 180.0
        return {"type": "Point", "coordinates": [lon, target.latitude_deg]}
    return target.to_geojson_geometry()


def _kinds(kinds: Collection[str] | None) -> tuple[str, ...]:
    if kinds is None:
        return IMAGING_KINDS
    wanted = tuple(dict.fromkeys(k.strip().lower() for k in kinds))
    for kind in wanted:
        if kind not in IMAGING_KINDS:
            raise UnknownNameError("imaging instrument kind", kind, list(IMAGING_KINDS))
    if not wanted:
        raise UnknownNameError("imaging instrument kind", "", list(IMAGING_KINDS))
    return wanted


def potential(
    consortium: Consortium,
    area: Mapping[str, Any] | Target,
    start: datetime | str,
    end: datetime | str,
    *,
    kinds: Collection[str] | None = None,
    elements: Mapping[int, ElementSet] | None = None,
    progress: bool = False,
    workers: int = 1,
) -> Potential:
    """The imaging opportunities of every wanted instrument of the fleet over ``area``
    and the contacts of the satellites carrying them with every station, computed once.

    ``elements`` (by NORAD id) replace the nominal elements of those spacecraft.
    Instruments: ``kinds`` of :data:`IMAGING_KINDS` (default all), each with its own
    off-nadir range and, for optical and hyperspectral ones, its minimum Sun elevation
    at the area. ``progress`` shows a bar on stderr.
    """
    t0 = parse_time(start, field="start")
    t1 = parse_time(end, field="end")
    check_window(t0, t1)
    wanted = _kinds(kinds)
    target = as_target(area)
    partners = tuple(p.id for p in consortium.partners)
    p_index = {p: i for i, p in enumerate(partners)}
    craft = [sc for sc in consortium.fleet if any(i.kind in wanted for i in sc.instruments)]
    sensors = [
        [Sensor.from_instrument(i) for i in sc.instruments if i.kind in wanted] for sc in craft
    ]
    owner = {
        (sc.norad_id, i.id): p_index[sc.instrument_owner(i)] for sc in craft for i in sc.instruments
    }
    overrides = elements or {}
    element_sets = [overrides.get(sc.norad_id) or sc.element_set() for sc in craft]
    stations = consortium.stations
    names = tuple(sc.name for sc in craft)
    if not craft:
        empty_i, empty_f = np.zeros(0, np.int64), np.zeros(0)
        return Potential(
            t0,
            t1,
            partners,
            names,
            tuple(s.name for s in stations),
            empty_i,
            empty_i,
            empty_f,
            empty_f,
            (),
            empty_i,
            empty_i,
            empty_i,
            empty_f,
            empty_f,
            empty_f,
        )
    propagator = Propagator(element_sets, TimeBase.around(t0, t1))
    with _progress(progress) as (on_imaging, on_contacts):
        found = find_opportunities(
            propagator,
            [target],
            t0,
            t1,
            sensors=sensors,
            covered_geometry=False,
            progress=on_imaging,
            workers=workers,
        )
        contacts = find_contacts(
            propagator, stations, t0, t1, progress=on_contacts, workers=workers
        )
    span = (t1 - t0).total_seconds()
    sat_of = {e.norad_id: k for k, e in enumerate(element_sets)}
    opps = found.opportunities
    table = contacts.table
    # Radio compatibility of every (satellite, station) pair, (S, T).
    shared = np.array([[bool(set(sc.bands) & set(st.bands)) for st in stations] for sc in craft])
    keep = shared[table.sat_index, table.site_index] & ~table.truncated_end
    station_owner = np.array([p_index[s.owner] for s in stations], dtype=np.int64)
    warnings = tuple(
        [w.message for w in (*found.age_warnings, *contacts.age_warnings)]
        + [str(f) for f in (*found.failures, *contacts.failures)]
    )
    return Potential(
        start=t0,
        end=t1,
        partners=partners,
        satellites=names,
        stations=tuple(s.name for s in stations),
        opp_satellite=np.array([sat_of[o.norad_id] for o in opps], dtype=np.int64),
        opp_partner=np.array([owner[o.norad_id, o.instrument] for o in opps], dtype=np.int64),
        opp_start_s=np.clip([(o.start - t0).total_seconds() for o in opps], 0.0, span),
        opp_end_s=np.clip([(o.end - t0).total_seconds() for o in opps], 0.0, span),
        opp_instrument=tuple(o.instrument for o in opps),
        contact_satellite=table.sat_index[keep],
        contact_station=table.site_index[keep],
        contact_partner=station_owner[table.site_index[keep]],
        contact_aos_s=table.aos_s[keep],
        contact_los_s=table.los_s[keep],
        opp_sun_elevation_deg=np.array([o.sun_elevation_deg for o in opps], dtype=np.float64),
        warnings=tuple(dict.fromkeys(warnings)),
    )


def compare(
    consortium: Consortium,
    area: Mapping[str, Any] | Target,
    start: datetime | str,
    end: datetime | str,
    *,
    kinds: Collection[str] | None = None,
    elements: Mapping[int, ElementSet] | None = None,
    progress: bool = False,
    workers: int = 1,
) -> Comparison:
    """The value of cooperation over ``area`` in ``[start, end]``: the pool, each
    partner alone and the pool without each partner (see the module docstring).

    ``area``: a GeoJSON ``Polygon`` / ``MultiPolygon`` / ``Point`` geometry (or a Feature
    or FeatureCollection of one area), or a
    :class:`~spacepool.access.areas.PointTarget` / :class:`~spacepool.access.areas.AreaTarget`.
    Other arguments as :func:`potential`. Raises
    :class:`~spacepool.errors.TimeRangeError`, :class:`~spacepool.errors.GeometryError`
    or :class:`~spacepool.errors.UnknownNameError` (an unknown kind) for bad input.
    """
    began = time.perf_counter()
    target = as_target(area)
    found = potential(
        consortium,
        target,
        start,
        end,
        kinds=kinds,
        elements=elements,
        progress=progress,
        workers=workers,
    )
    pool, alone, without = coalitions(found)
    return Comparison(
        area=target_geojson(target),
        start=found.start,
        end=found.end,
        pool=pool,
        alone=alone,
        without=without,
        kinds=_kinds(kinds),
        area_name=target.name,
        compute_seconds=time.perf_counter() - began,
        warnings=found.warnings,
    )


ProgressCallback = Callable[[int, int], None]


@contextmanager
def _progress(
    enabled: bool,
) -> Iterator[tuple[ProgressCallback | None, ProgressCallback | None]]:
    """Two progress callbacks (imaging, contacts) drawing a bar on stderr, or ``None``."""
    if not enabled:
        yield None, None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        imaging = bar.add_task("imaging opportunities", total=None)
        contacts = bar.add_task("station contacts", total=None)

        def on_imaging(done: int, total: int) -> None:
            bar.update(imaging, completed=done, total=total)

        def on_contacts(done: int, total: int) -> None:
            bar.update(contacts, completed=done, total=total)

        yield on_imaging, on_contacts


__all__ = [
    "IMAGING_KINDS",
    "POOL",
    "WITHOUT",
    "CoalitionResult",
    "Comparison",
    "Marginal",
    "Potential",
    "as_target",
    "coalitions",
    "compare",
    "evaluate",
    "potential",
    "target_geojson",
]
