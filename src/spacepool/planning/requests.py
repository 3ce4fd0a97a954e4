"""Requests: what a partner needs observed, when, how, and how much it is worth.

A :class:`Request` belongs to a partner and has a target (a point or a GeoJSON
area), a time window, instrument :class:`Requirements`, a value, an optional revisit
period and an urgency class:

* ``routine``: planned by the fairness rule of the scenario;
* ``urgent``: the requesting partner's own work with precedence over routine work
  (its value counts in that partner's share);
* ``activation``: a disaster-response activation (the International Charter model):
  precedence over everything, its value charged to all partners in proportion to
  their entitlements, not to the partner that triggered it.

A request with ``revisit_every_s`` wants one acquisition in each period of the
window; each period is one :class:`~spacepool.planning.model.Demand` worth
``value / number of periods`` (see :meth:`Request.demands`).

Records are frozen dataclasses with ``to_dict`` / ``from_dict``; ``from_dict``
raises :class:`~spacepool.errors.ScenarioError` naming the field, e.g.
``requests[3].window.end``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from spacepool._reading import (
    PLANNING,
    Reader,
    describe,
    format_time,
    parse_duration_s,
    seconds_between,
)
from spacepool.errors import ScenarioError
from spacepool.planning.model import URGENCIES, Demand

if TYPE_CHECKING:
    from spacepool.access import areas as access_areas

# Instrument kinds a request may ask for (the consortium's instrument kinds).
REQUEST_KINDS: Final[tuple[str, ...]] = (
    "optical",
    "hyperspectral",
    "thermal",
    "sar",
    "microwave_radiometer",
    "altimeter",
)


@dataclass(frozen=True)
class PointTarget:
    """A point on the WGS84 ellipsoid (geodetic degrees)."""

    latitude_deg: float
    longitude_deg: float

    def to_dict(self) -> dict[str, Any]:
        return {"lat": self.latitude_deg, "lon": self.longitude_deg}

    def to_access(self, name: str) -> access_areas.PointTarget:
        """The access engine's target for this point."""
        from spacepool.access.areas import PointTarget as AccessPoint

        return AccessPoint(name, self.latitude_deg, self.longitude_deg)


@dataclass(frozen=True)
class AreaTarget:
    """A GeoJSON ``Polygon`` or ``MultiPolygon`` (longitude, latitude in degrees).

    ``geometry`` is the GeoJSON geometry object as plain data; :meth:`shape` gives the
    shapely geometry.
    """

    geometry: Mapping[str, Any] = field(hash=False)

    def to_access(self, name: str) -> access_areas.AreaTarget:
        """The access engine's area (unwrapped across the antimeridian, checked)."""
        from spacepool.access.areas import parse_geojson

        return parse_geojson(dict(self.geometry), source=name, name=name)[0]

    def shape(self) -> Any:
        """The area as a planar shapely geometry in unwrapped longitude / latitude."""
        return self.to_access("area").geometry

    def to_dict(self) -> dict[str, Any]:
        return {"area": json.loads(json.dumps(self.geometry))}


Target = PointTarget | AreaTarget


@dataclass(frozen=True)
class Requirements:
    """What an instrument must offer to serve a request.

    ``kinds`` empty means any kind. ``None`` in a limit means no limit.
    """

    kinds: tuple[str, ...] = ()
    max_resolution_m: float | None = None
    max_off_nadir_deg: float | None = None
    min_sun_elevation_deg: float | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kinds": list(self.kinds)}
        for key in ("max_resolution_m", "max_off_nadir_deg", "min_sun_elevation_deg"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: str = "requirements") -> Requirements:
        return cls._read(Reader(data, path, PLANNING))

    @classmethod
    def _read(cls, r: Reader) -> Requirements:
        kinds = r.text_list("kinds", ())
        for index, kind in enumerate(kinds):
            if kind not in REQUEST_KINDS:
                raise ScenarioError(
                    f"must be one of {', '.join(REQUEST_KINDS)}, got {kind!r}",
                    field=f"{r.at('kinds')}[{index}]",
                )
        requirements = cls(
            kinds=kinds,
            max_resolution_m=r.optional_number("max_resolution_m", gt=0.0),
            max_off_nadir_deg=r.optional_number("max_off_nadir_deg", ge=0.0, lt=90.0),
            min_sun_elevation_deg=r.optional_number("min_sun_elevation_deg", ge=-90.0, le=90.0),
        )
        r.finish()
        return requirements


@dataclass(frozen=True)
class Request:
    """A partner's request for acquisitions of a target within a window (UTC)."""

    id: str
    partner: str
    target: Target
    start: datetime
    end: datetime
    requirements: Requirements = Requirements()
    value: float = 1.0
    revisit_every_s: float | None = None
    urgency: str = "routine"

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ScenarioError("must be an aware UTC datetime", field=f"{self.id}.window")
        if self.end <= self.start:
            raise ScenarioError(
                f"must be after the start {format_time(self.start, dialect=PLANNING)}, "
                f"got {format_time(self.end, dialect=PLANNING)}",
                field=f"{self.id}.window.end",
            )
        if self.urgency not in URGENCIES:
            raise ScenarioError(
                f"must be one of {', '.join(URGENCIES)}, got {self.urgency!r}",
                field=f"{self.id}.urgency",
            )
        if not (math.isfinite(self.value) and self.value > 0.0):
            raise ScenarioError(f"must be > 0, got {self.value!r}", field=f"{self.id}.value")

    @property
    def slot_count(self) -> int:
        """Number of revisit periods in the window (1 without revisit); a last
        partial period counts."""
        if self.revisit_every_s is None:
            return 1
        span_s = seconds_between(self.start, self.end)
        # 1e-9 s slack: a window of exactly N periods gives N, not N + 1.
        return max(1, math.ceil(span_s / self.revisit_every_s - 1e-9))

    def slot_window(self, slot: int) -> tuple[datetime, datetime]:
        """The sub-window of one revisit period (the whole window without revisit)."""
        if self.revisit_every_s is None:
            return self.start, self.end
        step = timedelta(seconds=self.revisit_every_s)
        return self.start + slot * step, min(self.start + (slot + 1) * step, self.end)

    def demands(self) -> tuple[Demand, ...]:
        """One :class:`Demand` per revisit period (one without revisit); ids are the
        request id, or ``<id>#<slot>`` with revisit."""
        count = self.slot_count
        if self.revisit_every_s is None:
            return (Demand(self.id, self.id, self.partner, self.value, self.urgency, 0),)
        return tuple(
            Demand(f"{self.id}#{k}", self.id, self.partner, self.value / count, self.urgency, k)
            for k in range(count)
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "partner": self.partner,
            "target": self.target.to_dict(),
            "window": {
                "start": format_time(self.start, dialect=PLANNING),
                "end": format_time(self.end, dialect=PLANNING),
            },
            "requirements": self.requirements.to_dict(),
            "value": self.value,
            "urgency": self.urgency,
        }
        if self.revisit_every_s is not None:
            data["revisit_every_s"] = self.revisit_every_s
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: str = "request") -> Request:
        """Read and check one request; errors name ``path`` + the field."""
        return cls._read(Reader(data, path, PLANNING))

    @classmethod
    def _read(cls, r: Reader) -> Request:
        ident = r.ident("id")
        partner = r.ident("partner")
        target = _read_target(r.table("target"))
        window = r.table("window")
        start = window.time("start")
        end = window.time("end")
        window.finish()
        if end <= start:
            raise ScenarioError(
                f"must be after the start {format_time(start, dialect=PLANNING)}, "
                f"got {format_time(end, dialect=PLANNING)}",
                field=window.at("end"),
            )
        requirements_reader = r.optional_table("requirements")
        requirements = (
            Requirements()
            if requirements_reader is None
            else Requirements._read(requirements_reader)
        )
        value = r.number("value", default=1.0, gt=0.0)
        urgency = r.text("urgency", "routine")
        if urgency not in URGENCIES:
            raise ScenarioError(
                f"must be one of {', '.join(URGENCIES)}, got {urgency!r}", field=r.at("urgency")
            )
        revisit = _read_revisit(r)
        if revisit is not None and revisit > seconds_between(start, end):
            raise ScenarioError(
                f"must not exceed the window length ({seconds_between(start, end):g} s), "
                f"got {revisit:g} s",
                field=r.at("revisit_every_s" if r.has("revisit_every_s") else "revisit_every"),
            )
        r.finish()
        return cls(
            id=ident,
            partner=partner,
            target=target,
            start=start,
            end=end,
            requirements=requirements,
            value=value,
            revisit_every_s=revisit,
            urgency=urgency,
        )


def _read_revisit(r: Reader) -> float | None:
    given = [key for key in ("revisit_every", "revisit_every_s") if r.raw(key) is not None]
    if len(given) > 1:
        raise ScenarioError(
            "give revisit_every or revisit_every_s, not both", field=r.at("revisit_every_s")
        )
    if not given:
        return None
    return parse_duration_s(r.raw(given[0]), r.at(given[0]), dialect=PLANNING)


def _read_target(r: Reader) -> Target:
    if r.has("area"):
        area = r.raw("area")
        r.finish()
        return AreaTarget(check_area(area, r.at("area")))
    latitude = r.number("lat", ge=-90.0, le=90.0)
    longitude = r.number("lon", ge=-180.0, le=180.0)
    r.finish()
    return PointTarget(latitude, longitude)


def check_area(value: object, path: str) -> dict[str, Any]:
    """Check a GeoJSON Polygon / MultiPolygon (or a Feature / FeatureCollection holding
    exactly one) by the access engine's area rules
    (:func:`spacepool.access.areas.parse_geojson`: closed rings, longitude and
    latitude ranges, antimeridian, validity).

    Returns the GeoJSON as plain JSON data. Raises :class:`ScenarioError` whose
    field is ``path`` followed by the place in the GeoJSON.
    """
    from spacepool.access.areas import parse_geojson
    from spacepool.errors import GeoJSONError

    if not isinstance(value, Mapping):
        raise ScenarioError(
            f"must be a GeoJSON geometry (a table), got {describe(value)}", field=path
        )
    plain = json.loads(json.dumps(dict(value)))
    try:
        areas = parse_geojson(plain, source=path)
    except GeoJSONError as exc:
        where = f"{path}.{exc.location}" if exc.location else path
        raise ScenarioError(exc.reason, field=where) from None
    if len(areas) != 1:
        raise ScenarioError(
            f"must hold exactly one area, found {len(areas)} features", field=f"{path}.features"
        )
    return dict(plain)
