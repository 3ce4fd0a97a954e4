"""What an activation is: area, disaster type, event time, requester, access, horizon.

An :class:`Activation` is a disaster-response request in the model of the
International Charter "Space and Major Disasters": an area struck by a disaster of
one of the Charter's types, the time it struck, the partner that asks (or the
consortium itself, ``partner = None``), who may see the products, and how far ahead
to plan (72 h by default).

:func:`read_activation` turns plain data (the REST body, the CLI options) into an
activation and checks everything that can be checked without the catalogue: the
area (GeoJSON rules of :mod:`spacepool.access.areas`, plus the ring orientation of
RFC 7946 section 3.1.6), the type, the partner, the access policy, and that the
horizon lies within the validity of the consortium's element sets. Every mistake
raises :class:`~spacepool.errors.ActivationError` whose ``field`` names the place
(``aoi.coordinates[0]``, ``event_time``, ``type``, ...), before anything is written.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from spacepool._reading import Dialect, Reader, describe, format_time
from spacepool.errors import ActivationError, GeoJSONError, StaleElementsError

if TYPE_CHECKING:
    from spacepool.access.areas import AreaTarget
    from spacepool.consortium import Consortium
    from spacepool.orbits.elements import ElementSet

ACTIVATION: Final = Dialect(
    error=ActivationError,
    ident_pattern=re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"),
    ident_rule="letters, digits, '.', '_', ':' or '-' starting with a letter or digit",
    time_example="2026-06-01T03:00:00Z",
    strip_time_text=True,
    fixed_fraction=True,
)

# The disaster types of the International Charter "Space and Major Disasters"
# (disasterscharter.org, "Disaster types": cyclone, earthquake, fire, flood,
# ice and snow, landslide, ocean storm, ocean wave / tsunami, oil spill, volcano,
# and "other" — industrial accidents and explosions), with the common names of
# tropical cyclones as their own entries. Each maps to the tasking profile that
# spacepool.activation.tasking applies.
DISASTER_TYPES: Final[tuple[str, ...]] = (
    "flood",
    "fire",
    "earthquake",
    "cyclone",
    "storm",
    "hurricane",
    "typhoon",
    "volcano",
    "landslide",
    "oil_spill",
    "tsunami",
    "ice",
    "snow",
    "explosion",
    "industrial_accident",
)

POLICIES: Final[tuple[str, ...]] = ("open", "consortium", "owner", "partners")

# Planning horizon (h): 72 h by default — the Charter's aim is data within hours to
# days of the call; the first three days matter most. At most 10 days, inside the
# 14-day validity of near-Earth element sets (spacepool.orbits.validity).
DEFAULT_HORIZON_HOURS: Final = 72.0
MAX_HORIZON_HOURS: Final = 240.0
# At least an hour: less holds no useful pass of a low-Earth orbit (about 100 min).
MIN_HORIZON_HOURS: Final = 1.0
# A Point + radius area: at most 500 km (an area of ~785,000 km2, the order of the
# largest flood extents mapped in one activation), drawn as a 64-gon.
MAX_RADIUS_KM: Final = 500.0
CIRCLE_VERTICES: Final = 64
# Activation ids appear in URLs and item ids (the database allows 128 characters).
MAX_ID_LENGTH: Final = 100
# An embargo longer than a year is almost certainly a unit mistake (hours vs days).
MAX_EMBARGO_HOURS: Final = 8760.0

_KNOWN_KEYS = (
    "id",
    "name",
    "aoi",
    "radius_km",
    "type",
    "event_time",
    "partner",
    "access",
    "shared_with",
    "embargo_hours",
    "horizon_hours",
)


@dataclass(frozen=True)
class AccessSpec:
    """Who may see the activation and its products (DESIGN.md "Access policy").

    ``open``: everyone; ``consortium``: any partner; ``owner``: the requesting
    partner (and, for a product, the partner whose instrument took it); ``partners``:
    those and ``shared_with``. From ``embargo_until`` on, everything is open.
    """

    policy: str = "consortium"
    shared_with: tuple[str, ...] = ()
    embargo_until: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "shared_with": list(self.shared_with),
            "embargo_until": None
            if self.embargo_until is None
            else format_time(self.embargo_until, dialect=ACTIVATION),
        }


@dataclass(frozen=True)
class Activation:
    """A checked disaster activation (see the module docstring).

    ``area`` is a GeoJSON ``Polygon`` or ``MultiPolygon`` (longitude, latitude in
    degrees); a Point + radius input is kept in ``point`` ``(lat_deg, lon_deg,
    radius_km)`` and its area is the circle drawn as a polygon. The planning
    horizon is ``[event_time, event_time + horizon_hours]``.
    """

    id: str
    name: str
    area: Mapping[str, Any] = field(hash=False)
    disaster_type: str
    event_time: datetime
    partner: str | None
    access: AccessSpec
    horizon_hours: float = DEFAULT_HORIZON_HOURS
    point: tuple[float, float, float] | None = None

    @property
    def start(self) -> datetime:
        return self.event_time

    @property
    def end(self) -> datetime:
        return self.event_time + timedelta(hours=self.horizon_hours)

    @property
    def requester(self) -> str:
        """The partner that asked, or ``"consortium"`` when the coordinator did."""
        return self.partner or CONSORTIUM_REQUESTER

    def target(self) -> AreaTarget:
        """The access engine's area (unwrapped across the antimeridian, checked)."""
        from spacepool.access.areas import parse_geojson

        return parse_geojson(dict(self.area), source=self.id, name=self.id)[0]

    def to_dict(self) -> dict[str, Any]:
        """The activation as the REST API and ``activation.json`` show it."""
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "type": self.disaster_type,
            "event_time": format_time(self.event_time, dialect=ACTIVATION),
            "horizon_hours": self.horizon_hours,
            "horizon": {
                "start": format_time(self.start, dialect=ACTIVATION),
                "end": format_time(self.end, dialect=ACTIVATION),
            },
            "partner": self.partner,
            "access": self.access.to_dict(),
            "area": json.loads(json.dumps(self.area)),
        }
        if self.point is not None:
            lat, lon, radius = self.point
            data["point"] = {"lat": lat, "lon": lon, "radius_km": radius}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Activation:
        """Read back :meth:`to_dict` (a stored activation: not checked again)."""
        access = data["access"]
        embargo = access.get("embargo_until")
        point = data.get("point")
        from spacepool._reading import parse_time

        return cls(
            id=str(data["id"]),
            name=str(data.get("name", "")),
            area=dict(data["area"]),
            disaster_type=str(data["type"]),
            event_time=parse_time(data["event_time"], "event_time", dialect=ACTIVATION),
            partner=None if data.get("partner") is None else str(data["partner"]),
            access=AccessSpec(
                policy=str(access["policy"]),
                shared_with=tuple(str(p) for p in access.get("shared_with", ())),
                embargo_until=None
                if embargo is None
                else parse_time(embargo, "access.embargo_until", dialect=ACTIVATION),
            ),
            horizon_hours=float(data["horizon_hours"]),
            point=None
            if point is None
            else (float(point["lat"]), float(point["lon"]), float(point["radius_km"])),
        )


CONSORTIUM_REQUESTER: Final = "consortium"
"""The requester named in the plan when the coordinator raises an activation."""


def new_activation_id(disaster_type: str, event_time: datetime) -> str:
    """``<type>-<YYYYMMDDTHHMM>-<6 hex>``: readable, sortable per type, unique."""
    return f"{disaster_type}-{event_time:%Y%m%dT%H%M}-{uuid.uuid4().hex[:6]}"


def normalise_type(value: str) -> str:
    """``"Oil spill"`` / ``"oil-spill"`` -> ``"oil_spill"``."""
    return re.sub(r"[\s-]+", "_", value.strip().lower())


def read_activation(
    data: Mapping[str, Any],
    consortium: Consortium,
    *,
    activation_id: str | None = None,
    partner: str | None = None,
    elements: Mapping[int, ElementSet] | None = None,
) -> Activation:
    """Check plain data (the REST body / CLI options) and return the activation.

    Keys: ``aoi`` (GeoJSON Polygon / MultiPolygon / Feature, or a Point with
    ``radius_km``), ``type``, ``event_time``, optional ``partner``, ``access``
    (default ``consortium``), ``shared_with``, ``embargo_hours``, ``horizon_hours``
    (default 72), ``name``, ``id``. ``partner`` given here (the caller's key) wins
    over the body's. ``elements`` (by NORAD id) replace the nominal elements of those
    spacecraft in the validity check. Raises :class:`~spacepool.errors.ActivationError`.
    """
    r = Reader(data, "", ACTIVATION)
    ident = activation_id or r.optional_ident("id")
    if ident is not None and len(ident) > MAX_ID_LENGTH:
        raise ActivationError(
            f"must be at most {MAX_ID_LENGTH} characters, got {len(ident)}", field="id"
        )
    name = r.text("name", "")
    type_text = r.text("type")
    disaster_type = normalise_type(type_text)
    if disaster_type not in DISASTER_TYPES:
        raise ActivationError(
            f"unknown disaster type {type_text!r}; known types: {', '.join(DISASTER_TYPES)}",
            field="type",
        )
    event_time = r.time("event_time")
    horizon_hours = r.number(
        "horizon_hours", default=DEFAULT_HORIZON_HOURS, ge=MIN_HORIZON_HOURS, le=MAX_HORIZON_HOURS
    )
    known_partners = sorted(p.id for p in consortium.partners)
    body_partner = r.optional_text("partner")
    requester = partner if partner is not None else body_partner
    if requester is not None and requester not in known_partners:
        raise ActivationError(
            f"unknown partner {requester!r}; known partners: {', '.join(known_partners)}",
            field="partner",
        )
    area, point = read_area(r.raw("aoi", required=True), r.raw("radius_km"))
    access = _read_access(r, event_time, known_partners)
    r.finish()
    activation = Activation(
        id=ident or new_activation_id(disaster_type, event_time),
        name=name,
        area=area,
        disaster_type=disaster_type,
        event_time=event_time,
        partner=requester,
        access=access,
        horizon_hours=horizon_hours,
        point=point,
    )
    check_element_validity(activation, consortium, elements=elements)
    return activation


def _read_access(r: Reader, event_time: datetime, known: list[str]) -> AccessSpec:
    policy = r.text("access", "consortium")
    if policy not in POLICIES:
        raise ActivationError(
            f"must be one of {', '.join(POLICIES)}, got {policy!r}", field="access"
        )
    shared = r.text_list("shared_with", ())
    if shared and policy != "partners":
        raise ActivationError(
            f"only used with access 'partners'; this activation's access is {policy!r}",
            field="shared_with",
        )
    for index, partner in enumerate(shared):
        if partner not in known:
            raise ActivationError(
                f"unknown partner {partner!r}; known partners: {', '.join(known)}",
                field=f"shared_with[{index}]",
            )
    embargo_hours = r.optional_number("embargo_hours", ge=0.0, le=MAX_EMBARGO_HOURS)
    embargo = None if embargo_hours is None else event_time + timedelta(hours=embargo_hours)
    return AccessSpec(policy, tuple(dict.fromkeys(shared)), embargo)


def read_area(
    aoi: object, radius_km: object, path: str = "aoi"
) -> tuple[dict[str, Any], tuple[float, float, float] | None]:
    """The activation area as a GeoJSON geometry, and the ``(lat, lon, radius_km)``
    of a Point + radius input (else ``None``)."""
    from spacepool.access.areas import parse_geojson

    geometry = _single_geometry(aoi, path)
    if isinstance(geometry, Mapping) and geometry.get("type") == "Point":
        return _circle(geometry, radius_km, path)
    if radius_km is not None:
        raise ActivationError("only used with a Point aoi", field="radius_km")
    if not isinstance(aoi, Mapping):
        raise ActivationError(
            f"must be a GeoJSON Polygon, MultiPolygon or Point, got {describe(aoi)}", field=path
        )
    plain = json.loads(json.dumps(dict(aoi)))
    try:
        areas = parse_geojson(plain, source=path)
    except GeoJSONError as exc:
        where = f"{path}.{exc.location}" if exc.location else path
        raise ActivationError(exc.reason, field=where) from None
    if len(areas) != 1:
        raise ActivationError(
            f"must hold exactly one area, found {len(areas)} features", field=f"{path}.features"
        )
    _check_orientation(plain, path)
    geometry = _single_geometry(plain, path)
    assert isinstance(geometry, Mapping)
    return dict(geometry), None


def _single_geometry(aoi: object, path: str) -> object:
    """The geometry of a Feature or of a one-feature FeatureCollection; else ``aoi``."""
    if not isinstance(aoi, Mapping):
        return aoi
    if aoi.get("type") == "Feature":
        return aoi.get("geometry")
    if aoi.get("type") == "FeatureCollection":
        features = aoi.get("features")
        if isinstance(features, list) and len(features) == 1 and isinstance(features[0], Mapping):
            return features[0].get("geometry")
    return aoi


def _geometry_location(aoi: Mapping[str, Any], path: str) -> str:
    if aoi.get("type") == "Feature":
        return f"{path}.geometry"
    if aoi.get("type") == "FeatureCollection":
        return f"{path}.features[0].geometry"
    return path


def _check_orientation(aoi: Mapping[str, Any], path: str) -> None:
    """Exterior rings must run counterclockwise (RFC 7946 section 3.1.6).

    A clockwise exterior ring is what a spherical reader (d3-geo, BigQuery, ...)
    takes for the rest of the globe, and it is also what a ring typed as
    ``[latitude, longitude]`` becomes (swapping the axes mirrors the ring): both
    are mistakes that would send a whole constellation to the wrong place.
    """
    geometry = _single_geometry(aoi, path)
    assert isinstance(geometry, Mapping)
    where = _geometry_location(aoi, path)
    polygons = (
        [geometry["coordinates"]]
        if geometry.get("type") == "Polygon"
        else list(geometry["coordinates"])
    )
    for index, rings in enumerate(polygons):
        ring = np.asarray([position[:2] for position in rings[0]], dtype=np.float64).T
        step = (np.diff(ring[0]) + 180.0) % 360.0 - 180.0
        lon = np.concatenate(([ring[0, 0]], ring[0, 0] + np.cumsum(step)))
        if abs(lon[-1] - lon[0]) > 1e-9:
            continue  # a ring round a pole: orientation says which pole, checked elsewhere
        lat = ring[1]
        signed = 0.5 * float(np.sum(lon[:-1] * lat[1:] - lon[1:] * lat[:-1]))
        if signed < 0.0:
            location = (
                f"{where}.coordinates[0]"
                if geometry.get("type") == "Polygon"
                else f"{where}.coordinates[{index}][0]"
            )
            raise ActivationError(
                "the exterior ring runs clockwise; RFC 7946 (section 3.1.6) wants it "
                "counterclockwise, and positions as [longitude, latitude] (section 3.1.1): "
                "a ring written as [latitude, longitude] also turns clockwise. Reverse the "
                "ring, or swap the two numbers of every position",
                field=location,
            )


def _circle(
    point: Mapping[str, Any], radius_km: object, path: str
) -> tuple[dict[str, Any], tuple[float, float, float]]:
    from spacepool._reading import check_number
    from spacepool.access.areas import EARTH_MEAN_RADIUS_KM, destination

    if radius_km is None:
        raise ActivationError(
            "a Point aoi needs radius_km (the radius of the area around it, km)",
            field="radius_km",
        )
    radius = check_number("radius_km", radius_km, dialect=ACTIVATION, gt=0.0, le=MAX_RADIUS_KM)
    coordinates = point.get("coordinates")
    if (
        not isinstance(coordinates, list | tuple)
        or len(coordinates) < 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in coordinates)
    ):
        raise ActivationError(
            f"expected a position [longitude, latitude] of numbers, found {coordinates!r}",
            field=f"{path}.coordinates",
        )
    lon, lat = float(coordinates[0]), float(coordinates[1])
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise ActivationError(
            f"longitude must be between -180 and 180 degrees, found {lon:g}",
            field=f"{path}.coordinates[0]",
        )
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise ActivationError(
            f"latitude must be between -90 and 90 degrees, found {lat:g}",
            field=f"{path}.coordinates[1]",
        )
    # Counterclockwise: azimuths decreasing from north through west.
    azimuth = -np.linspace(0.0, 360.0, CIRCLE_VERTICES, endpoint=False)
    ring_lat, ring_lon = destination(
        np.full(CIRCLE_VERTICES, lat),
        np.full(CIRCLE_VERTICES, lon),
        np.full(CIRCLE_VERTICES, radius / EARTH_MEAN_RADIUS_KM),
        azimuth,
    )
    ring_lon = (ring_lon + 180.0) % 360.0 - 180.0
    ring = [
        [round(float(x), 6), round(float(y), 6)] for x, y in zip(ring_lon, ring_lat, strict=True)
    ]
    ring.append(ring[0])
    geometry = {"type": "Polygon", "coordinates": [ring]}
    from spacepool.access.areas import parse_geojson

    try:
        parse_geojson(geometry, source=path)
    except GeoJSONError as exc:  # a circle over a pole
        raise ActivationError(
            f"the circle of {radius:g} km around ({lat:g}, {lon:g}) is not a usable area: "
            f"{exc.reason}",
            field="radius_km",
        ) from None
    return geometry, (lat, lon, radius)


def check_element_validity(
    activation: Activation,
    consortium: Consortium,
    *,
    elements: Mapping[int, ElementSet] | None = None,
) -> None:
    """The horizon must lie within the validity of the element sets the plan uses
    (:func:`spacepool.orbits.validity.check_age`, strict): first the event time,
    then the horizon's end. ``elements`` (by NORAD id) replace the nominal elements
    of those spacecraft."""
    from spacepool.orbits.validity import check_age

    used = planning_elements(consortium, elements)
    try:
        check_age(used, activation.start, activation.start, strict=True)
    except StaleElementsError as exc:
        raise ActivationError(
            f"outside the validity of the consortium's elements: {exc.message}",
            field="event_time",
        ) from None
    try:
        check_age(used, activation.start, activation.end, strict=True)
    except StaleElementsError as exc:
        raise ActivationError(
            f"the horizon ends outside the validity of the consortium's elements: "
            f"{exc.message}; shorten the horizon or load newer elements",
            field="horizon_hours",
        ) from None


def planning_elements(
    consortium: Consortium, elements: Mapping[int, ElementSet] | None = None
) -> list[ElementSet]:
    """The element set of each spacecraft of the fleet, in fleet order: the given one
    (by NORAD id), else its nominal elements."""
    given = elements or {}
    return [given.get(sc.norad_id) or sc.element_set() for sc in consortium.fleet]


__all__ = [
    "ACTIVATION",
    "CONSORTIUM_REQUESTER",
    "DEFAULT_HORIZON_HOURS",
    "DISASTER_TYPES",
    "POLICIES",
    "AccessSpec",
    "Activation",
    "check_element_validity",
    "new_activation_id",
    "normalise_type",
    "planning_elements",
    "read_activation",
    "read_area",
]
