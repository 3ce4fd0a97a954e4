"""From an activation to urgent planning requests, with precedence.

The rules, in the order applied (each request's ``rule`` says which one made it):

1. **Primary sensor.** Radar (``sar``) first for floods, oil spills, sea ice and
   storms (water and oil show in radar backscatter whatever the clouds, which
   accompany floods and storms), and for any type when the area is dark at the
   event time (Sun below the horizon at the area's centre): radar needs no light.
   Otherwise optical first for damage-mapping types (earthquake, fire, landslide,
   volcano, tsunami, snow, explosion, industrial accident): building damage, burn
   scars and debris are read in optical images, which need daylight.
2. **Secondary sensor.** The other of the two, worth less.
3. **Thermal** for fires and volcanoes (hot spots, lava), worth less again.
4. **Pre/post pair.** When the catalogue holds an archive image of the area
   (:class:`ArchiveImage`: see :func:`select_archive` for what counts), one more
   request asks for a post-event acquisition of the same instrument kind, so the
   pair can be compared (change detection); its products link to the archive item.

Precedence among the activation's own requests is carried by their values
(:data:`PRIMARY_VALUE` > :data:`SECONDARY_VALUE` > :data:`PAIR_VALUE` >
:data:`THERMAL_VALUE`); all of them have urgency ``activation``, so together they
take precedence over any routine or urgent work they are planned with
(:mod:`spacepool.planning`), and their value is charged to every partner by
entitlement. The primary request wants one acquisition every
:data:`PRIMARY_REVISIT_HOURS`, the secondary every :data:`SECONDARY_REVISIT_HOURS`
(one over the whole horizon when it is shorter).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

import numpy as np

from spacepool._reading import format_time
from spacepool.activation.model import ACTIVATION, Activation
from spacepool.planning.requests import AreaTarget, Request, Requirements

# Request values (one consortium-wide scale, as in spacepool.planning): relative
# weights that order the activation's requests; chosen, not measured.
PRIMARY_VALUE: Final = 10.0
SECONDARY_VALUE: Final = 5.0
PAIR_VALUE: Final = 4.0
THERMAL_VALUE: Final = 3.0

# Revisit periods (h): the primary sensor twice a day (a flood's extent changes
# within a day; Copernicus EMS delineation maps are typically updated daily or
# faster), the secondary once a day.
PRIMARY_REVISIT_HOURS: Final = 12.0
SECONDARY_REVISIT_HOURS: Final = 24.0

# Coarsest useful resolution (m) per kind for mapping: 30 m keeps Sentinel-1/2,
# Landsat, RCM, ALOS, COSMO-SkyMed and ASTER and drops the 250 m - 1 km wide-swath
# imagers, whose pixels are larger than the streets and fields being mapped.
# Thermal: 100 m (Landsat TIRS, ECOSTRESS 70 m) resolves individual fire fronts.
MAX_RESOLUTION_M: Final[dict[str, float]] = {"sar": 30.0, "optical": 30.0, "thermal": 100.0}

SAR_FIRST: Final = frozenset({"flood", "oil_spill", "ice", "cyclone", "storm", "hurricane",
                              "typhoon"})  # fmt: skip
DAMAGE_MAPPING: Final = frozenset({"earthquake", "fire", "landslide", "volcano", "tsunami", "snow",
                                   "explosion", "industrial_accident"})  # fmt: skip
THERMAL_TYPES: Final = frozenset({"fire", "volcano"})

# The archive: an image taken at most this long before the event (days) — a year
# keeps the same season's vegetation and water levels comparable ...
ARCHIVE_MAX_AGE_DAYS: Final = 365.0
# ... that covers at least this fraction of the area.
ARCHIVE_MIN_COVER: Final = 0.5


@dataclass(frozen=True)
class ArchiveImage:
    """A catalogue item that may serve as the pre-event image of a pair."""

    collection: str
    item_id: str
    datetime: datetime
    kind: str
    platform: str
    instrument: str
    covered_fraction: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "item_id": self.item_id,
            "datetime": format_time(self.datetime, dialect=ACTIVATION),
            "kind": self.kind,
            "platform": self.platform,
            "instrument": self.instrument,
            "covered_fraction": self.covered_fraction,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ArchiveImage:
        from spacepool._reading import parse_time

        return cls(
            collection=str(data["collection"]),
            item_id=str(data["item_id"]),
            datetime=parse_time(data["datetime"], "datetime", dialect=ACTIVATION),
            kind=str(data["kind"]),
            platform=str(data["platform"]),
            instrument=str(data["instrument"]),
            covered_fraction=float(data["covered_fraction"]),
        )


@dataclass(frozen=True)
class Tasking:
    """One urgent request of an activation and the rule that made it."""

    request: Request = field(hash=False)
    role: str  # primary | secondary | thermal | post
    kind: str
    rule: str
    archive: ArchiveImage | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {
            "request": self.request.id,
            "role": self.role,
            "kind": self.kind,
            "value": self.request.value,
            "revisit_every_hours": None
            if self.request.revisit_every_s is None
            else self.request.revisit_every_s / 3600.0,
            "max_resolution_m": self.request.requirements.max_resolution_m,
            "rule": self.rule,
        }
        if self.archive is not None:
            data["archive"] = self.archive.to_dict()
        return data


def sun_elevation_deg(latitude_deg: float, longitude_deg: float, when: datetime) -> float:
    """The Sun's elevation (deg) above the WGS84 geodetic horizon at a ground point
    (DE421 Sun, :func:`spacepool.orbits.frames.sun_itrs_km`)."""
    from spacepool.orbits.frames import geodetic_to_itrs, sun_itrs_km, up_vector
    from spacepool.orbits.timebase import TimeBase

    timebase = TimeBase.around(when, when, margin_s=3600.0)
    sun = sun_itrs_km(timebase, np.zeros(1))[:, 0]
    ground = np.asarray(geodetic_to_itrs(np.array([latitude_deg]), np.array([longitude_deg])))
    ground = ground.reshape(3, -1)[:, 0]
    up = np.asarray(up_vector(latitude_deg, longitude_deg)).reshape(3)
    rel = sun - ground
    return float(np.degrees(np.arcsin(float(rel @ up) / float(np.linalg.norm(rel)))))


def task(
    activation: Activation,
    *,
    archive: Sequence[ArchiveImage] = (),
    sun_elevation: float | None = None,
) -> tuple[Tasking, ...]:
    """The activation's urgent requests (see the module docstring).

    ``archive``: candidate pre-event images (filter them with
    :func:`select_archive`); ``sun_elevation``: the Sun's elevation at the area's
    centre at the event time (computed when not given).
    """
    if sun_elevation is None:
        lat, lon = activation.target().centre_deg
        sun_elevation = sun_elevation_deg(lat, lon, activation.start)
    dark = sun_elevation < 0.0
    kind = activation.disaster_type
    if kind in SAR_FIRST:
        order = ("sar", "optical")
        rule = f"radar first: {kind.replace('_', ' ')} shows in radar whatever the clouds"
    elif dark:
        order = ("sar", "optical")
        rule = (
            f"radar first: the area is dark at the event time (Sun {sun_elevation:.1f} deg); "
            "radar needs no light"
        )
    else:
        order = ("optical", "sar")
        rule = (
            f"optical first: damage mapping of a {kind.replace('_', ' ')} in daylight "
            f"(Sun {sun_elevation:.1f} deg)"
        )
    out = [
        _tasking(activation, "primary", order[0], PRIMARY_VALUE, PRIMARY_REVISIT_HOURS, rule),
        _tasking(
            activation,
            "secondary",
            order[1],
            SECONDARY_VALUE,
            SECONDARY_REVISIT_HOURS,
            f"{order[1]} second, to complement the {order[0]} images",
        ),
    ]
    if kind in THERMAL_TYPES:
        out.append(
            _tasking(
                activation,
                "thermal",
                "thermal",
                THERMAL_VALUE,
                None,
                f"thermal: hot spots of a {kind}",
            )
        )
    usable = [a for a in archive if a.kind in order]
    if usable:
        best = max(usable, key=lambda a: (a.kind == order[0], a.datetime, a.item_id))
        out.append(
            _tasking(
                activation,
                "post",
                best.kind,
                PAIR_VALUE,
                None,
                f"pre/post pair: post-event {best.kind} image to compare with archive item "
                f"{best.collection}/{best.item_id} of {best.platform} "
                f"({format_time(best.datetime, dialect=ACTIVATION)})",
                archive=best,
            )
        )
    return tuple(out)


def _tasking(
    activation: Activation,
    role: str,
    kind: str,
    value: float,
    revisit_hours: float | None,
    rule: str,
    *,
    archive: ArchiveImage | None = None,
) -> Tasking:
    revisit_s = None
    if revisit_hours is not None and revisit_hours < activation.horizon_hours:
        revisit_s = revisit_hours * 3600.0
    request = Request(
        id=f"{activation.id}-{role}-{kind}",
        partner=activation.requester,
        target=AreaTarget(activation.area),
        start=activation.start,
        end=activation.end,
        requirements=Requirements(kinds=(kind,), max_resolution_m=MAX_RESOLUTION_M[kind]),
        value=value,
        revisit_every_s=revisit_s,
        urgency="activation",
    )
    return Tasking(request, role, kind, rule, archive)


def select_archive(
    candidates: Sequence[ArchiveImage], activation: Activation
) -> tuple[ArchiveImage, ...]:
    """The candidates that count as an archive for ``activation``: taken before the
    event time and at most :data:`ARCHIVE_MAX_AGE_DAYS` earlier, covering at least
    :data:`ARCHIVE_MIN_COVER` of the area, by a radar or optical instrument."""
    oldest = activation.event_time - timedelta(days=ARCHIVE_MAX_AGE_DAYS)
    return tuple(
        a
        for a in candidates
        if oldest <= a.datetime < activation.event_time
        and a.covered_fraction >= ARCHIVE_MIN_COVER
        and a.kind in ("sar", "optical")
        and math.isfinite(a.covered_fraction)
    )


__all__ = [
    "ARCHIVE_MAX_AGE_DAYS",
    "ARCHIVE_MIN_COVER",
    "MAX_RESOLUTION_M",
    "PAIR_VALUE",
    "PRIMARY_REVISIT_HOURS",
    "PRIMARY_VALUE",
    "SECONDARY_REVISIT_HOURS",
    "SECONDARY_VALUE",
    "THERMAL_VALUE",
    "ArchiveImage",
    "Tasking",
    "select_archive",
    "sun_elevation_deg",
    "task",
]
