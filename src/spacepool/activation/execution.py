"""Execution: acquisitions (simulated or reported) become products for the catalogue.

A real deployment learns of each acquisition from the partner that operates the
satellite (``POST /activations/{id}/acquisitions``: an :class:`AcquisitionReport`);
:func:`simulate` makes the same reports from a plan, for exercises and the demo.
Both go the same way afterwards: :func:`make_product` turns a report into a
:class:`Product` (footprint from the geometry when the report has none), and
:meth:`Product.to_item` into a STAC item carrying the activation's access policy.

Footprint: the strip the instrument images during the acquisition — the ground
track (geocentric nadir points, SGP4 with the spacecraft's elements) offset and
buffered in the activation area's equal-area plane
(:meth:`spacepool.access.areas.AreaTarget.project`). A nadir-looking instrument
images ``swath_km`` centred on the track; a side-looking one (minimum off-nadir
angle above 0, i.e. a radar) images ``swath_km`` along the track shifted towards the
area's centre, by the ground range at which it sees that centre (kept within its
field of regard, its minimum to maximum off-nadir angle): sideways for a broadside
look, obliquely when the access engine's off-nadir model has it look ahead or
behind. Flat ends: the first and last lines.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import shapely

from spacepool._reading import Reader, format_time, parse_time
from spacepool.activation.model import ACTIVATION, Activation
from spacepool.activation.tasking import ArchiveImage
from spacepool.errors import ActivationError

if TYPE_CHECKING:
    from spacepool.access.areas import AreaTarget
    from spacepool.activation.workflow import ActivationPlan
    from spacepool.consortium import Consortium, Instrument, Spacecraft
    from spacepool.orbits.elements import ElementSet

# Assumed time (s) from the end of a downlink to a published product: systematic
# processing of one scene, of the order of the Sentinel-1 "NRT-3h" timeliness
# (products within 3 h of sensing, of which most is the wait for the downlink).
PROCESSING_S: Final = 3600.0
# Track samples for a footprint: at most this far apart (s), at least 2, at most 200.
TRACK_STEP_S: Final = 2.0
TRACK_MAX_SAMPLES: Final = 200
# The collection activation products are published in.
COLLECTION: Final = "activations"


@dataclass(frozen=True)
class AcquisitionReport:
    """One acquisition made for an activation (simulated, or reported by a partner).

    ``footprint`` (GeoJSON geometry) is computed from the orbit when ``None``;
    ``delivered`` is the end of the downlink that brought its data to ``station``;
    ``plan_acquisition`` / ``request`` / ``downlink`` link it to the plan.
    """

    satellite: str
    instrument: str
    start: datetime
    end: datetime
    footprint: Mapping[str, Any] | None = field(default=None, hash=False)
    delivered: datetime | None = None
    station: str | None = None
    plan_acquisition: str | None = None
    request: str | None = None
    downlink: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "satellite": self.satellite,
            "instrument": self.instrument,
            "start": format_time(self.start, dialect=ACTIVATION),
            "end": format_time(self.end, dialect=ACTIVATION),
            "footprint": None if self.footprint is None else dict(self.footprint),
            "delivered": None
            if self.delivered is None
            else format_time(self.delivered, dialect=ACTIVATION),
            "station": self.station,
            "plan_acquisition": self.plan_acquisition,
            "request": self.request,
            "downlink": self.downlink,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: str = "acquisition") -> AcquisitionReport:
        """Read and check a report (the body of ``POST .../acquisitions``)."""
        r = Reader(data, path, ACTIVATION)
        satellite = r.text("satellite")
        instrument = r.text("instrument")
        start, end = r.time("start"), r.time("end")
        if end <= start:
            raise ActivationError(
                f"must be after the start {format_time(start, dialect=ACTIVATION)}, got "
                f"{format_time(end, dialect=ACTIVATION)}",
                field=r.at("end"),
            )
        footprint = r.raw("footprint")
        if footprint is not None:
            from spacepool.catalog.items import parse_geometry
            from spacepool.errors import GeometryError

            try:
                parse_geometry(footprint, field_name=r.at("footprint"))
            except GeometryError as exc:
                raise ActivationError(str(exc).split(": ", 1)[1], field=r.at("footprint")) from None
        delivered = None if r.raw("delivered") is None else r.time("delivered")
        if delivered is not None and delivered < end:
            raise ActivationError(
                f"must not be before the acquisition's end "
                f"{format_time(end, dialect=ACTIVATION)}, got "
                f"{format_time(delivered, dialect=ACTIVATION)}",
                field=r.at("delivered"),
            )
        report = cls(
            satellite=satellite,
            instrument=instrument,
            start=start,
            end=end,
            footprint=None if not isinstance(footprint, Mapping) else dict(footprint),
            delivered=delivered,
            station=r.optional_text("station"),
            plan_acquisition=r.optional_text("plan_acquisition"),
            request=r.optional_text("request"),
            downlink=r.optional_text("downlink"),
        )
        r.finish()
        return report


@dataclass(frozen=True)
class Product:
    """A product of an activation, ready to publish as a STAC item."""

    id: str
    activation: str
    satellite: str
    platform: str
    instrument: str
    kind: str
    owner: str
    start: datetime
    end: datetime
    footprint: Mapping[str, Any] = field(hash=False)
    published: datetime
    delivered: datetime | None = None
    station: str | None = None
    request: str | None = None
    plan_acquisition: str | None = None
    downlink: str | None = None
    resolution_m: float | None = None
    pre_event: ArchiveImage | None = None

    def to_dict(self) -> dict[str, Any]:
        t = _optional_time
        return {
            "id": self.id,
            "activation": self.activation,
            "satellite": self.satellite,
            "platform": self.platform,
            "instrument": self.instrument,
            "kind": self.kind,
            "owner": self.owner,
            "start": t(self.start),
            "end": t(self.end),
            "footprint": dict(self.footprint),
            "published": t(self.published),
            "delivered": t(self.delivered),
            "station": self.station,
            "request": self.request,
            "plan_acquisition": self.plan_acquisition,
            "downlink": self.downlink,
            "resolution_m": self.resolution_m,
            "pre_event": None if self.pre_event is None else self.pre_event.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Product:
        def t(key: str) -> datetime:
            return parse_time(data[key], key, dialect=ACTIVATION)

        pre = data.get("pre_event")
        resolution = data.get("resolution_m")
        return cls(
            id=str(data["id"]),
            activation=str(data["activation"]),
            satellite=str(data["satellite"]),
            platform=str(data["platform"]),
            instrument=str(data["instrument"]),
            kind=str(data["kind"]),
            owner=str(data["owner"]),
            start=t("start"),
            end=t("end"),
            footprint=dict(data["footprint"]),
            published=t("published"),
            delivered=None if data.get("delivered") is None else t("delivered"),
            station=data.get("station"),
            request=data.get("request"),
            plan_acquisition=data.get("plan_acquisition"),
            downlink=data.get("downlink"),
            resolution_m=None if resolution is None else float(resolution),
            pre_event=None if pre is None else ArchiveImage.from_dict(pre),
        )

    def to_item(self, activation: Activation, *, collection: str = COLLECTION) -> dict[str, Any]:
        """The STAC item (RFC 7946 Feature, STAC 1.0 common metadata) with the
        activation's access policy (see :func:`item_access`) and links to the
        activation, its plan and, for a pair, the pre-event item."""
        policy, shared = item_access(activation, self.owner)
        t = _time
        properties: dict[str, Any] = {
            "datetime": t(self.start),
            "start_datetime": t(self.start),
            "end_datetime": t(self.end),
            "platform": self.platform,
            "instruments": [self.instrument],
            "gsd": self.resolution_m,
            "spacepool:owner": self.owner,
            "spacepool:access": policy,
            "spacepool:shared_with": list(shared),
            "spacepool:embargo_until": None
            if activation.access.embargo_until is None
            else t(activation.access.embargo_until),
            "spacepool:activation": activation.id,
            "spacepool:disaster_type": activation.disaster_type,
            "spacepool:satellite": self.satellite,
            "spacepool:instrument_kind": self.kind,
            "spacepool:request": self.request,
            "spacepool:plan_acquisition": self.plan_acquisition,
            "spacepool:downlink": self.downlink,
            "spacepool:station": self.station,
            "spacepool:delivered": None if self.delivered is None else t(self.delivered),
            "spacepool:published": t(self.published),
        }
        if properties["spacepool:embargo_until"] is None:
            del properties["spacepool:embargo_until"]
        links = [
            {"rel": "spacepool:activation", "href": f"/activations/{activation.id}",
             "type": "application/json", "title": f"activation {activation.id}"},
            {"rel": "spacepool:plan", "href": f"/activations/{activation.id}/plan",
             "type": "application/json", "title": "the activation's plan"},
        ]  # fmt: skip
        if self.pre_event is not None:
            pre = self.pre_event
            properties["spacepool:pre_event"] = f"{pre.collection}/{pre.item_id}"
            links.append(
                {
                    "rel": "spacepool:pre-event",
                    "href": f"/stac/collections/{pre.collection}/items/{pre.item_id}",
                    "type": "application/geo+json",
                    "title": "archive image before the event (pre/post pair)",
                }
            )
        geometry = dict(self.footprint)
        bounds = shapely.geometry.shape(geometry).bounds
        return {
            "type": "Feature",
            "stac_version": "1.0.0",
            "stac_extensions": [],
            "id": self.id,
            "collection": collection,
            "geometry": geometry,
            "bbox": [float(v) for v in bounds],
            "properties": properties,
            "assets": {},
            "links": links,
        }


def _time(when: datetime) -> str:
    return format_time(when, dialect=ACTIVATION)


def _optional_time(when: datetime | None) -> str | None:
    return None if when is None else format_time(when, dialect=ACTIVATION)


def item_access(activation: Activation, owner: str) -> tuple[str, tuple[str, ...]]:
    """A product's ``spacepool:access`` and ``spacepool:shared_with``.

    The product belongs to ``owner`` (the partner whose instrument took it). The
    requesting partner always sees it: ``owner`` becomes ``partners`` shared with
    the requester (``owner`` when the two are the same, or the coordinator asked);
    ``partners`` adds the requester to ``shared_with``.
    """
    access = activation.access
    if access.policy in ("open", "consortium"):
        return access.policy, ()
    named = set(access.shared_with) if access.policy == "partners" else set()
    if activation.partner is not None:
        named.add(activation.partner)
    named.discard(owner)
    if not named:
        return "owner", ()
    return "partners", tuple(sorted(named))


def footprint(
    spacecraft: Spacecraft,
    instrument: Instrument,
    start: datetime,
    end: datetime,
    area: AreaTarget,
    *,
    element: ElementSet | None = None,
) -> dict[str, Any]:
    """The imaged strip (GeoJSON geometry, cut at the antimeridian); see the module
    docstring. ``element``: the spacecraft's element set (default: nominal)."""
    from spacepool.access.areas import EARTH_MEAN_RADIUS_KM
    from spacepool.access.sensors import geocentric_nadir_deg, look_geometry, mean_altitude_km
    from spacepool.errors import GeometryError
    from spacepool.orbits.propagate import Propagator
    from spacepool.orbits.timebase import TimeBase

    element = element or spacecraft.element_set()
    duration_s = max((end - start).total_seconds(), 0.0)
    count = int(np.clip(math.ceil(duration_s / TRACK_STEP_S) + 1, 2, TRACK_MAX_SAMPLES))
    seconds = np.linspace(0.0, duration_s, count)
    ephemeris = Propagator([element], TimeBase.around(start, end, margin_s=3600.0)).grid(seconds)
    lat, lon = geocentric_nadir_deg(ephemeris.r_itrs_km[0])
    xy = area.project(lon, lat)
    track = shapely.LineString(xy.T)
    altitude_km = max(mean_altitude_km(element), 1.0)
    half_km = instrument.swath_km / 2.0
    horizon_km = math.acos(EARTH_MEAN_RADIUS_KM / (EARTH_MEAN_RADIUS_KM + altitude_km))
    horizon_km *= EARTH_MEAN_RADIUS_KM
    if instrument.min_off_nadir_deg > 0.0:
        near = look_geometry(altitude_km, off_nadir_deg=instrument.min_off_nadir_deg)
        far_angle = min(instrument.max_off_nadir_deg, 89.0)
        try:
            far_km = look_geometry(altitude_km, off_nadir_deg=far_angle).ground_range_km
        except GeometryError:  # beyond the limb: the horizon bounds the field of regard
            far_km = horizon_km
        # The swath moves with the satellite at the ground range where it sees the
        # area's centre (kept within the field of regard), in that direction from
        # the nadir point: broadside, the track shifted sideways; looking ahead or
        # behind (as the access engine's off-nadir model allows), shifted obliquely.
        middle = xy[:, count // 2]
        to_centre = -middle
        distance = float(np.hypot(to_centre[0], to_centre[1]))
        low, high = near.ground_range_km + half_km, far_km - half_km
        look_km = (low + high) / 2.0 if low > high else min(max(distance, low), high)
        if distance > 0.0:
            shift = to_centre / distance * look_km
        else:
            along = xy[:, -1] - xy[:, 0]
            shift = np.array([-along[1], along[0]]) / max(float(np.hypot(*along)), 1e-9) * look_km
        moved = shapely.transform(track, lambda p: p + shift)
        strip = shapely.buffer(moved, half_km, cap_style="flat")
    else:
        strip = shapely.buffer(track, min(half_km, horizon_km), cap_style="flat")
    if strip.is_empty:  # a zero-length track: the scene around the single point
        strip = shapely.buffer(shapely.Point(xy[:, 0]), half_km)
    return _to_lonlat(strip, area)


def _to_lonlat(plane: Any, area: AreaTarget) -> dict[str, Any]:
    from spacepool.access.areas import split_antimeridian

    ring = np.asarray(shapely.segmentize(plane, 10.0).exterior.coords, dtype=np.float64).T
    lonlat = area.unproject(ring)
    polygon = shapely.Polygon(lonlat.T)
    if not polygon.is_valid:
        polygon = shapely.make_valid(polygon)
    # Shift so the smallest longitude lies in [-180, 180); then cut at 180.
    shift = -360.0 * math.floor((polygon.bounds[0] + 180.0) / 360.0)
    if shift:
        polygon = shapely.transform(polygon, lambda p: p + np.array([shift, 0.0]))
    rounded = shapely.set_precision(split_antimeridian(polygon), 1e-6)
    geometry: dict[str, Any] = _plain(shapely.geometry.mapping(rounded))
    return geometry


def _plain(value: Any) -> Any:
    """Tuples to lists (JSON shape), recursively."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def simulate(result: ActivationPlan) -> tuple[AcquisitionReport, ...]:
    """The reports a perfect execution of the plan gives: every planned acquisition
    made at its planned time, delivered at the end of its planned downlink."""
    plan = result.plan
    downlinks = {d.id: d for d in plan.downlinks}
    reports = []
    for acquisition in plan.acquisitions:
        downlink = downlinks.get(acquisition.downlink)
        reports.append(
            AcquisitionReport(
                satellite=acquisition.satellite,
                instrument=acquisition.instrument,
                start=acquisition.start,
                end=acquisition.end,
                delivered=None if downlink is None else downlink.end,
                station=None if downlink is None else downlink.station,
                plan_acquisition=acquisition.candidate,
                request=acquisition.request,
                downlink=acquisition.downlink,
            )
        )
    return tuple(reports)


def make_product(
    report: AcquisitionReport,
    activation: Activation,
    consortium: Consortium,
    *,
    published: datetime | None = None,
    pre_event: ArchiveImage | None = None,
    area: AreaTarget | None = None,
    elements: Mapping[int, ElementSet] | None = None,
) -> Product:
    """The product of one acquisition (footprint computed when the report has none,
    from ``elements`` by NORAD id, else the nominal elements).

    ``published``: when it reaches the catalogue (default: delivery +
    :data:`PROCESSING_S`, or the acquisition's end + that when not delivered).
    Raises :class:`~spacepool.errors.ActivationError` for an unknown satellite or
    instrument and for an acquisition outside the activation's horizon.
    """
    from spacepool.errors import UnknownNameError

    try:
        spacecraft = consortium.spacecraft(report.satellite)
    except UnknownNameError as exc:
        raise ActivationError(exc.message, field="satellite") from None
    known = [i.id for i in spacecraft.instruments]
    if report.instrument not in known:
        raise ActivationError(
            f"unknown instrument {report.instrument!r} of {spacecraft.id}; known instruments: "
            f"{', '.join(known)}",
            field="instrument",
        )
    instrument = spacecraft.instrument(report.instrument)
    if report.start < activation.start or report.end > activation.end:
        raise ActivationError(
            f"the acquisition {format_time(report.start, dialect=ACTIVATION)} .. "
            f"{format_time(report.end, dialect=ACTIVATION)} lies outside the activation's "
            f"horizon {format_time(activation.start, dialect=ACTIVATION)} .. "
            f"{format_time(activation.end, dialect=ACTIVATION)}",
            field="start",
        )
    geometry = report.footprint
    if geometry is None:
        geometry = footprint(
            spacecraft,
            instrument,
            report.start,
            report.end,
            area or activation.target(),
            element=(elements or {}).get(spacecraft.norad_id),
        )
    ready = report.delivered if report.delivered is not None else report.end
    when = published or ready + timedelta(seconds=PROCESSING_S)
    return Product(
        id=f"{activation.id}-{spacecraft.id}-{report.start:%Y%m%dT%H%M%S}",
        activation=activation.id,
        satellite=spacecraft.id,
        platform=spacecraft.name,
        instrument=instrument.id,
        kind=instrument.kind,
        owner=spacecraft.instrument_owner(instrument),
        start=report.start,
        end=report.end,
        footprint=dict(geometry),
        published=when,
        delivered=report.delivered,
        station=report.station,
        request=report.request,
        plan_acquisition=report.plan_acquisition,
        downlink=report.downlink,
        resolution_m=instrument.resolution_m,
        pre_event=pre_event,
    )


__all__ = [
    "COLLECTION",
    "PROCESSING_S",
    "AcquisitionReport",
    "Product",
    "footprint",
    "item_access",
    "make_product",
    "simulate",
]
