"""Passes and imaging opportunities over the registry, computed on request.

The satellites are those with a stored element set (the newest of each); stations
are the registry's (or ``LAT,LON[,ALT_M]``). The JSON records are those of
``spacepool passes`` and ``spacepool access`` (DESIGN.md). Windows are at most
7 days: the computation runs inside the request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from spacepool.api.auth import store_of
from spacepool.api.common import NoradId
from spacepool.api.pagination import Page, PageParams, page, page_params
from spacepool.errors import GeometryError, InputError, TimeRangeError, UnknownNameError
from spacepool.orbits.elements import ElementSet
from spacepool.orbits.timebase import check_window, parse_time
from spacepool.store.assets import spacecraft_by_norad, stations_by_id
from spacepool.store.element_sets import current_element_sets, to_element_set

router = APIRouter(tags=["Passes and access"])

MAX_WINDOW: Final = timedelta(days=7)
MAX_STATIONS: Final = 50
MAX_TARGETS: Final = 100


class EngineAnswer(Page[dict[str, Any]]):
    """A page of passes or opportunities, with the engine's warnings (stale elements,
    satellites SGP4 could not propagate)."""

    warnings: list[str] = Field(default_factory=list)


def _window(start: str, end: str) -> tuple[datetime, datetime]:
    t_start = parse_time(start, field="start")
    t_end = parse_time(end, field="end")
    check_window(t_start, t_end)
    if t_end - t_start > MAX_WINDOW:
        raise TimeRangeError(
            f"window of {(t_end - t_start).total_seconds() / 86400:g} days is longer than the "
            f"{MAX_WINDOW.days} days allowed; ask for shorter windows"
        )
    return t_start, t_end


def _elements(session: Any, satellites: Sequence[int] | None) -> list[ElementSet]:
    """The newest element set of each satellite named (all when none named), or
    :class:`UnknownNameError` for one without any."""
    wanted = list(dict.fromkeys(satellites or []))
    records, _ = current_element_sets(session, norad_ids=wanted or None)
    found = {r.norad_id: r for r in records}
    for norad in wanted:
        if norad not in found:
            known, _ = current_element_sets(session)
            raise UnknownNameError(
                "satellite", str(norad), [f"{r.norad_id} {r.name}" for r in known]
            )
    order = wanted or sorted(found)
    return [to_element_set(found[n]) for n in order]


# --- passes -----------------------------------------------------------------------


@dataclass(frozen=True)
class PassQuery:
    station: list[str]
    start: str
    end: str
    min_elevation_deg: float | None
    satellite: list[int] | None


def pass_query(
    station: Annotated[
        list[str],
        Query(
            description="Registry station id, or LAT,LON[,ALT_M]. Repeatable.",
            min_length=1,
            max_length=MAX_STATIONS,
        ),
    ],
    start: Annotated[str, Query(description="Window start, ISO 8601 (UTC if no zone).")],
    end: Annotated[str, Query(description="Window end, ISO 8601; at most 7 days after start.")],
    min_elevation_deg: Annotated[
        float | None,
        Query(ge=-5.0, lt=90.0, description="Constant mask (default: each station's)."),
    ] = None,
    satellite: Annotated[
        list[NoradId] | None, Query(description="NORAD id. Repeatable; default: all.")
    ] = None,
) -> PassQuery:
    return PassQuery(station, start, end, min_elevation_deg, satellite)


def find_passes(request: Request, query: PassQuery) -> Any:
    """The :class:`~spacepool.access.contacts.ContactResult` of ``query``."""
    from spacepool.access.contacts import find_contacts
    from spacepool.access.geometry import looks_like_coordinates, parse_site

    start, end = _window(query.start, query.end)
    with store_of(request).transaction() as session:
        names = [s for s in query.station if not looks_like_coordinates(s)]
        registered = {s.id: s for s in stations_by_id(session, names)}
        elements = _elements(session, query.satellite)
    stations = [
        parse_site(s) if looks_like_coordinates(s) else registered[s] for s in query.station
    ]
    return find_contacts(elements, stations, start, end, min_elevation_deg=query.min_elevation_deg)


def _warnings(result: Any) -> list[str]:
    return [w.message for w in result.age_warnings] + [str(f) for f in result.failures]


@router.get("/passes", summary="Ground-station passes", response_model=EngineAnswer)
def passes(
    request: Request,
    query: Annotated[PassQuery, Depends(pass_query)],
    paging: Annotated[PageParams, Depends(page_params)],
) -> dict[str, Any]:
    """Passes (AOS, TCA, LOS, max elevation) of the stored satellites over the
    stations, sorted by AOS; records as ``spacepool passes --format json``."""
    result = find_passes(request, query)
    contacts = result.contacts
    window = contacts[paging.offset : paging.offset + paging.limit]
    answer = page(request, paging, [c.to_dict() for c in window], len(contacts))
    answer["warnings"] = _warnings(result)
    return answer


@router.get(
    "/passes.csv",
    summary="Ground-station passes as CSV",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def passes_csv(
    request: Request, query: Annotated[PassQuery, Depends(pass_query)]
) -> PlainTextResponse:
    """The same passes as ``/passes`` (all of them, not paged) as CSV."""
    from spacepool.access.contacts import contacts_csv

    result = find_passes(request, query)
    return PlainTextResponse(contacts_csv(result.contacts), media_type="text/csv")


@router.get(
    "/passes.ics",
    summary="Ground-station passes as iCalendar",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/calendar": {}}}},
)
def passes_ics(
    request: Request, query: Annotated[PassQuery, Depends(pass_query)]
) -> PlainTextResponse:
    """The same passes as ``/passes`` (all of them) as an iCalendar file (RFC 5545)."""
    from spacepool.access.contacts import contacts_ics

    result = find_passes(request, query)
    return PlainTextResponse(contacts_ics(result.contacts), media_type="text/calendar")


# --- imaging opportunities ----------------------------------------------------------


class PointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90.0, le=90.0)
    lon: float = Field(ge=-180.0, le=180.0)
    name: str | None = None


class AccessIn(BaseModel):
    """An imaging-opportunity query: a point ``target`` or an ``aoi`` (GeoJSON
    Polygon, MultiPolygon, Feature or FeatureCollection), a window, and optionally a
    maximum off-nadir angle (else each instrument's), a minimum Sun elevation and
    the satellites (NORAD ids; default: the registry's spacecraft)."""

    model_config = ConfigDict(extra="forbid")

    target: PointIn | list[PointIn] | None = None
    aoi: dict[str, Any] | None = None
    start: str = Field(examples=["2026-06-01T00:00:00Z"])
    end: str = Field(examples=["2026-06-02T00:00:00Z"])
    max_off_nadir_deg: float | None = Field(None, gt=0.0, lt=90.0)
    min_sun_elevation_deg: float | None = Field(None, ge=-90.0, le=90.0)
    satellites: list[NoradId] | None = Field(None, max_length=1000)


def _targets(body: AccessIn) -> list[Any]:
    from spacepool.access.areas import PointTarget, parse_geojson

    if (body.target is None) == (body.aoi is None):
        raise InputError("give either target {lat, lon} or aoi (GeoJSON), one of them")
    if body.aoi is not None:
        targets: list[Any] = list(parse_geojson(body.aoi, source="aoi"))
    else:
        points = body.target if isinstance(body.target, list) else [body.target]
        targets = [PointTarget(p.name or f"{p.lat:g},{p.lon:g}", p.lat, p.lon) for p in points if p]
    if not targets or len(targets) > MAX_TARGETS:
        raise GeometryError(f"give 1 to {MAX_TARGETS} targets, found {len(targets)}")
    return targets


@router.post("/access", summary="Imaging opportunities", response_model=EngineAnswer)
def access(
    request: Request, body: AccessIn, paging: Annotated[PageParams, Depends(page_params)]
) -> dict[str, Any]:
    """Imaging windows of the stored satellites over a point or an area, with each
    registry spacecraft's instruments (off-nadir range, Sun limit); records as
    ``spacepool access --format json``. A satellite outside the registry needs
    ``max_off_nadir_deg``."""
    from spacepool.access.imaging import find_opportunities
    from spacepool.access.sensors import Sensor

    start, end = _window(body.start, body.end)
    targets = _targets(body)
    with store_of(request).transaction() as session:
        elements = _elements(session, body.satellites)
        crafts = spacecraft_by_norad(session)
    sensors: list[list[Sensor]] = []
    for element in elements:
        craft = crafts.get(element.norad_id)
        if craft is not None:
            group = [Sensor.from_instrument(i, body.max_off_nadir_deg) for i in craft.instruments]
        elif body.max_off_nadir_deg is not None:
            group = [Sensor(body.max_off_nadir_deg)]
        else:
            raise InputError(
                f"satellite {element.norad_id} ({element.name}) is not a registry spacecraft: "
                "give max_off_nadir_deg"
            )
        if body.min_sun_elevation_deg is not None:
            group = [replace(s, min_sun_elevation_deg=body.min_sun_elevation_deg) for s in group]
        sensors.append(group)
    result = find_opportunities(elements, targets, start, end, sensors=sensors)
    found = result.opportunities
    window = found[paging.offset : paging.offset + paging.limit]
    answer = page(request, paging, [o.to_dict() for o in window], len(found))
    answer["warnings"] = _warnings(result)
    return answer
