"""``GET /fleet/tracks``: where the pooled satellites are, for the dashboard's map.

Sub-satellite points of every pooled satellite on a regular time grid, computed with
the engine's batched SGP4 (:class:`spacepool.orbits.propagate.Propagator`) and its
WGS84 geodetic conversion (:func:`spacepool.orbits.frames.itrs_to_geodetic`), plus
the ground stations with the radius of their visibility circle. The browser
interpolates between the samples to animate the map; it never propagates.

Where the satellites come from: the registry's spacecraft with their newest
uploaded element set (nominal elements from the spacecraft's published orbit when
none was uploaded). When the registry holds no spacecraft, the bundled reference
consortium's fleet on its nominal elements.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, Final

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from numpy.typing import NDArray

from spacepool.access.sensors import look_geometry
from spacepool.api.auth import store_of, viewer_of
from spacepool.consortium.model import Consortium, GroundStation, Instrument, Spacecraft
from spacepool.errors import InputError
from spacepool.orbits.elements import ElementSet
from spacepool.orbits.frames import itrs_to_geodetic
from spacepool.orbits.propagate import Propagator
from spacepool.orbits.timebase import TimeBase, format_time, parse_time

router = APIRouter(tags=["Fleet"])

DEFAULT_MINUTES: Final = 120.0
MAX_MINUTES: Final = 1440.0  # one day: the map shows hours, not weeks
DEFAULT_STEP_S: Final = 30.0
MIN_STEP_S: Final = 1.0
MAX_STEP_S: Final = 600.0
# Samples per satellite; 2,881 is one day at 30 s. Bounds the answer (~50 kB per
# satellite at most) whatever the combination of minutes and step.
MAX_SAMPLES: Final = 2881
# Decimals of degrees in the answer: 1e-4 deg is 11 m on the ground, far below what a
# map shows and below the SGP4 error of even fresh elements (~1 km, Vallado et al.
# 2006, AIAA 2006-6753, sec. "Accuracy").
DEGREE_DECIMALS: Final = 4
# The visibility circles are drawn for one orbit altitude: a station's circle grows
# with the satellite's altitude, and the map shows one circle per station.
FALLBACK_ALTITUDE_KM: Final = 700.0  # a typical Earth-observation orbit

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class PooledSatellite:
    """One satellite of the pool: its record and the element set to propagate."""

    spacecraft: Spacecraft
    elements: ElementSet


@dataclass(frozen=True)
class PooledFleet:
    """The satellites and stations drawn on the map, and where they came from
    (``"registry"`` or ``"consortium"``)."""

    source: str
    satellites: tuple[PooledSatellite, ...]
    stations: tuple[GroundStation, ...]


@lru_cache(maxsize=1)
def bundled_fleet() -> PooledFleet:
    """The bundled consortium's fleet on nominal elements (read once per process)."""
    from spacepool.consortium import load_consortium

    return fleet_of_consortium(load_consortium())


def fleet_of_consortium(consortium: Consortium) -> PooledFleet:
    satellites = tuple(PooledSatellite(sc, sc.element_set()) for sc in consortium.fleet)
    return PooledFleet("consortium", satellites, consortium.stations)


def registry_fleet(request: Request) -> PooledFleet | None:
    """The registry's spacecraft (each on its newest stored element set, else its
    nominal one) and stations, or ``None`` when the registry holds no spacecraft."""
    from spacepool.store.element_sets import current_element_sets, to_element_set
    from spacepool.store.registry import registry_consortium, registry_is_empty

    with store_of(request).transaction() as session:
        if registry_is_empty(session):
            return None
        consortium = registry_consortium(session, epoch=request.app.state.clock())
        if not consortium.fleet:
            return None
        records, _ = current_element_sets(
            session, norad_ids=[sc.norad_id for sc in consortium.fleet]
        )
        newest = {r.norad_id: to_element_set(r) for r in records}
    satellites = tuple(
        PooledSatellite(sc, newest.get(sc.norad_id) or sc.element_set()) for sc in consortium.fleet
    )
    return PooledFleet("registry", satellites, consortium.stations)


def pooled_fleet(request: Request) -> PooledFleet:
    return registry_fleet(request) or bundled_fleet()


def visibility_radius_km(station: GroundStation, altitude_km: float) -> float:
    """Ground range from ``station`` to the farthest sub-satellite point at which a
    satellite at ``altitude_km`` is above the station's lowest elevation mask
    (spherical Earth; Wertz, Space Mission Analysis and Design, 3rd ed., sec. 5.2, via
    :func:`spacepool.access.sensors.look_geometry`). A mask below the horizon counts as
    0 deg: the circle then shows the geometric horizon."""
    lowest = min([station.min_elevation_deg, *(elevation for _, elevation in station.azimuth_mask)])
    return look_geometry(altitude_km, elevation_deg=max(lowest, 0.0)).ground_range_km


def _rounded(values: FloatArray, decimals: int) -> list[float | None]:
    """JSON numbers; NaN (where SGP4 failed) becomes ``null``."""
    rounded = np.round(values, decimals)
    if not np.isnan(rounded).any():
        result: list[float | None] = rounded.tolist()
        return result
    return [None if math.isnan(v) else v for v in rounded.tolist()]


def _instrument(spacecraft: Spacecraft, instrument: Instrument) -> dict[str, Any]:
    return {
        "id": instrument.id,
        "name": instrument.name,
        "kind": instrument.kind,
        "mode": instrument.mode,
        "resolution_m": instrument.resolution_m,
        "swath_km": instrument.swath_km,
        "owner": spacecraft.instrument_owner(instrument),
    }


def fleet_tracks(
    fleet: PooledFleet, start: datetime, minutes: float, step_s: float
) -> dict[str, Any]:
    """The answer of ``GET /fleet/tracks`` (see :func:`get_fleet_tracks`)."""
    seconds = np.arange(0.0, minutes * 60.0 + step_s / 2.0, step_s)
    elements = [s.elements for s in fleet.satellites]
    end = start + timedelta(seconds=float(seconds[-1]))
    ephemeris = Propagator(elements, TimeBase.around(start, end)).grid(seconds)
    lat_deg, lon_deg, height_km = itrs_to_geodetic(ephemeris.r_itrs_km)  # (S, N) each
    with np.errstate(all="ignore"):  # all-NaN rows of failed satellites
        mean_altitude_km = (
            np.nanmean(height_km, axis=1) if height_km.size else np.zeros(len(elements))
        )
    finite = mean_altitude_km[np.isfinite(mean_altitude_km)]
    reference_km = float(np.median(finite)) if finite.size else FALLBACK_ALTITUDE_KM
    satellites = []
    for k, pooled in enumerate(fleet.satellites):
        sc = pooled.spacecraft
        altitude = float(mean_altitude_km[k])
        satellites.append(
            {
                "norad_id": sc.norad_id,
                "id": sc.id,
                "name": sc.name,
                "owner": sc.owner,
                "element_source": pooled.elements.source,
                "element_epoch": format_time(pooled.elements.epoch),
                "altitude_km": round(altitude, 1) if math.isfinite(altitude) else None,
                "instruments": [_instrument(sc, i) for i in sc.instruments],
                "lat_deg": _rounded(lat_deg[k], DEGREE_DECIMALS),
                "lon_deg": _rounded(lon_deg[k], DEGREE_DECIMALS),
            }
        )
    stations = [
        {
            "id": st.id,
            "name": st.name,
            "owner": st.owner,
            "latitude_deg": st.latitude_deg,
            "longitude_deg": st.longitude_deg,
            "altitude_m": st.altitude_m,
            "min_elevation_deg": st.min_elevation_deg,
            "visibility_radius_km": round(visibility_radius_km(st, reference_km), 1),
        }
        for st in fleet.stations
    ]
    return {
        "start": format_time(start),
        "minutes": minutes,
        "step_s": step_s,
        "seconds": seconds.tolist(),
        "source": fleet.source,
        "reference_altitude_km": round(reference_km, 1),
        "satellites": satellites,
        "stations": stations,
        "failures": [str(f) for f in ephemeris.failures()],
    }


def check_grid(minutes: float, step_s: float) -> None:
    samples = math.floor(minutes * 60.0 / step_s) + 1
    if samples > MAX_SAMPLES:
        raise InputError(
            f"minutes={minutes:g} at step_s={step_s:g} gives {samples} samples per "
            f"satellite; at most {MAX_SAMPLES} are allowed: shorten the window or "
            "lengthen the step"
        )


@router.get(
    "/fleet/tracks",
    summary="Ground tracks of the pooled satellites",
    response_description=(
        "start (ISO 8601 UTC), minutes, step_s, seconds (offsets from start), source "
        "('registry' or 'consortium'), reference_altitude_km, satellites (norad_id, id, "
        "name, owner, element_source, element_epoch, altitude_km, instruments, lat_deg, "
        "lon_deg: one value per offset, null where SGP4 failed), stations (id, name, "
        "owner, latitude_deg, longitude_deg, altitude_m, min_elevation_deg, "
        "visibility_radius_km), failures"
    ),
)
def get_fleet_tracks(
    request: Request,
    start: Annotated[str | None, Query(description="ISO 8601 UTC start; default: now.")] = None,
    minutes: Annotated[
        float, Query(gt=0, le=MAX_MINUTES, description=f"Window length, up to {MAX_MINUTES:g}.")
    ] = DEFAULT_MINUTES,
    step_s: Annotated[
        float,
        Query(ge=MIN_STEP_S, le=MAX_STEP_S, description="Seconds between samples."),
    ] = DEFAULT_STEP_S,
) -> JSONResponse:
    """Sub-satellite latitude and longitude (WGS84, degrees) of every pooled satellite
    every ``step_s`` seconds from ``start`` for ``minutes``, with the ground stations
    and the radius of their visibility circles for the fleet's median altitude."""
    viewer_of(request)
    when = request.app.state.clock() if start is None else parse_time(start, field="start")
    check_grid(minutes, step_s)
    return JSONResponse(fleet_tracks(pooled_fleet(request), when, minutes, step_s))


__all__ = [
    "PooledFleet",
    "PooledSatellite",
    "bundled_fleet",
    "fleet_of_consortium",
    "fleet_tracks",
    "router",
    "visibility_radius_km",
]
