"""The consortium's records: partners, assets and the agreements that share them.

Every record is a frozen dataclass with ``to_dict`` / ``from_dict``. ``from_dict``
validates as it reads and raises :class:`spacepool.errors.ConsortiumDataError` whose
``field`` is the path of the offending value, e.g.
``spacecraft[3].instruments[0].swath_km``. ``to_dict`` gives plain JSON-compatible
values (times as ISO 8601 UTC ending in ``Z``), and
``Consortium.from_dict(c.to_dict()) == c``.

Words (DESIGN.md): a **Partner** contributes **assets** (``Spacecraft`` carrying
``Instrument``\\ s, ``GroundStation``\\ s, ``Facility``\\ s); an **Agreement** turns
contributions into **entitlements**, each partner's share of a pool, summing to 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import numpy.typing as npt

from spacepool._reading import (
    CONSORTIUM,
    Reader,
    check_number,
    describe,
    drop_none,
    format_time,
    parse_clock_hours,
    reject_duplicates,
    show,
)
from spacepool.errors import ConsortiumDataError, UnknownNameError

if TYPE_CHECKING:
    from spacepool.orbits.elements import ElementSet

InstrumentKind = Literal[
    "optical", "hyperspectral", "thermal", "sar", "microwave_radiometer", "altimeter"
]
INSTRUMENT_KINDS: Final[tuple[str, ...]] = (
    "optical",
    "hyperspectral",
    "thermal",
    "sar",
    "microwave_radiometer",
    "altimeter",
)
# Kinds that see reflected sunlight and so need a minimum sun elevation.
SUNLIT_KINDS: Final[tuple[str, ...]] = ("optical", "hyperspectral")

AgreementKind = Literal["value_weighted", "fixed_shares"]
AGREEMENT_KINDS: Final[tuple[str, ...]] = ("value_weighted", "fixed_shares")
CONTRIBUTION_BASES: Final[tuple[str, ...]] = ("data_rate", "declared")
FACILITY_KINDS: Final[tuple[str, ...]] = ("rack", "crew_time", "segment")

ENTITLEMENT_TOLERANCE: Final = 1e-9  # |sum of shares - 1| allowed


# --- partners -----------------------------------------------------------------------


@dataclass(frozen=True)
class Partner:
    """An agency or organisation in the consortium."""

    id: str
    name: str
    country: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "country": self.country, "source": self.source}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: str = "partner") -> Partner:
        return cls._read(Reader(data, path, CONSORTIUM))

    @classmethod
    def _read(cls, r: Reader) -> Partner:
        partner = cls(
            id=r.ident("id"),
            name=r.text("name"),
            country=r.text("country"),
            source=r.text("source"),
        )
        r.finish()
        return partner


# --- spacecraft, orbits, instruments -----------------------------------------------


@dataclass(frozen=True)
class Orbit:
    """A spacecraft's published mission orbit, from which nominal elements are built.

    Sun-synchronous orbits give ``ltan_hours`` (mean local solar time of the
    ascending node, as agencies publish it); others give ``inclination_deg`` and
    ``raan_deg`` at ``epoch``. The size comes from ``repeat_cycle_days`` /
    ``repeat_cycle_orbits`` when published (exact ground-track repeat), else from
    ``semi_major_axis_km`` or ``altitude_km`` (mean semi-major axis minus the
    equatorial radius). ``arg_latitude_deg`` places the spacecraft along its orbit at
    ``epoch`` (constellation phasing). ``maintained`` is false for spacecraft that no
    longer hold their mission orbit (the nominal orbit then differs from reality).
    """

    sun_synchronous: bool
    epoch: datetime
    source: str
    altitude_km: float | None = None
    semi_major_axis_km: float | None = None
    repeat_cycle_days: int | None = None
    repeat_cycle_orbits: int | None = None
    inclination_deg: float | None = None
    ltan_hours: float | None = None
    raan_deg: float | None = None
    arg_latitude_deg: float = 0.0
    eccentricity: float = 1.3e-4
    arg_perigee_deg: float = 90.0
    bstar: float = 1.0e-4
    maintained: bool = True
    phasing_source: str = ""
    notes: str = ""

    @property
    def ltdn_hours(self) -> float | None:
        """Local time of the descending node (12 h from the ascending node)."""
        return None if self.ltan_hours is None else (self.ltan_hours + 12.0) % 24.0

    def to_dict(self) -> dict[str, Any]:
        return drop_none(
            {
                "sun_synchronous": self.sun_synchronous,
                "epoch": format_time(self.epoch, dialect=CONSORTIUM),
                "altitude_km": self.altitude_km,
                "semi_major_axis_km": self.semi_major_axis_km,
                "repeat_cycle_days": self.repeat_cycle_days,
                "repeat_cycle_orbits": self.repeat_cycle_orbits,
                "inclination_deg": self.inclination_deg,
                "ltan_hours": self.ltan_hours,
                "raan_deg": self.raan_deg,
                "arg_latitude_deg": self.arg_latitude_deg,
                "eccentricity": self.eccentricity,
                "arg_perigee_deg": self.arg_perigee_deg,
                "bstar": self.bstar,
                "maintained": self.maintained,
                "source": self.source,
                "phasing_source": self.phasing_source or None,
                "notes": self.notes or None,
            }
        )

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], path: str = "orbit", default_epoch: datetime | None = None
    ) -> Orbit:
        return cls._read(Reader(data, path, CONSORTIUM), default_epoch)

    @classmethod
    def _read(cls, r: Reader, default_epoch: datetime | None) -> Orbit:
        sso = r.boolean("sun_synchronous")
        epoch = r.time("epoch", default_epoch)
        altitude = r.optional_number("altitude_km", gt=100.0, lt=40000.0)
        sma = r.optional_number("semi_major_axis_km", gt=6478.0, lt=50000.0)
        days = r.optional_integer("repeat_cycle_days", minimum=1)
        orbits = r.optional_integer("repeat_cycle_orbits", minimum=1)
        if (days is None) != (orbits is None):
            missing = "repeat_cycle_orbits" if orbits is None else "repeat_cycle_days"
            raise ConsortiumDataError(
                "is required when the other repeat-cycle field is given", field=r.at(missing)
            )
        if altitude is None and sma is None and days is None:
            raise ConsortiumDataError(
                "is required (or semi_major_axis_km, or repeat_cycle_days with "
                "repeat_cycle_orbits)",
                field=r.at("altitude_km"),
            )
        if altitude is not None and sma is not None:
            raise ConsortiumDataError(
                "give altitude_km or semi_major_axis_km, not both", field=r.at("semi_major_axis_km")
            )
        inclination = r.optional_number("inclination_deg", ge=0.0, le=180.0)
        raan = r.optional_number("raan_deg", ge=0.0, lt=360.0)
        ltan = _read_node_time(r)
        if sso:
            if ltan is None:
                raise ConsortiumDataError(
                    "is required for a sun-synchronous orbit (or ltdn / ltan_hours)",
                    field=r.at("ltan"),
                )
            for key, value in (("inclination_deg", inclination), ("raan_deg", raan)):
                if value is not None:
                    raise ConsortiumDataError(
                        "must be absent for a sun-synchronous orbit: it follows from the "
                        "altitude (inclination) and the node time (RAAN)",
                        field=r.at(key),
                    )
        else:
            if ltan is not None:
                raise ConsortiumDataError(
                    "applies only to sun-synchronous orbits; give raan_deg instead",
                    field=r.at("ltan"),
                )
            if inclination is None:
                raise ConsortiumDataError(
                    "is required for an orbit that is not sun-synchronous",
                    field=r.at("inclination_deg"),
                )
            if raan is None:
                raise ConsortiumDataError(
                    "is required for an orbit that is not sun-synchronous", field=r.at("raan_deg")
                )
        orbit = cls(
            sun_synchronous=sso,
            epoch=epoch,
            source=r.text("source"),
            altitude_km=altitude,
            semi_major_axis_km=sma,
            repeat_cycle_days=days,
            repeat_cycle_orbits=orbits,
            inclination_deg=inclination,
            ltan_hours=ltan,
            raan_deg=raan,
            arg_latitude_deg=r.number("arg_latitude_deg", default=0.0, ge=0.0, lt=360.0),
            eccentricity=r.number("eccentricity", default=1.3e-4, ge=0.0, lt=0.1),
            arg_perigee_deg=r.number("arg_perigee_deg", default=90.0, ge=0.0, lt=360.0),
            bstar=r.number("bstar", default=1.0e-4, ge=-1.0, le=1.0),
            maintained=r.boolean("maintained", True),
            phasing_source=r.text("phasing_source", ""),
            notes=r.text("notes", ""),
        )
        r.finish()
        return orbit


def _read_node_time(r: Reader) -> float | None:
    """``ltan = "HH:MM"``, ``ltdn = "HH:MM"`` or ``ltan_hours``: at most one."""
    given = [key for key in ("ltan", "ltdn", "ltan_hours") if r.has(key)]
    if len(given) > 1:
        raise ConsortiumDataError(
            f"give only one of ltan, ltdn, ltan_hours (found {', '.join(given)})",
            field=r.at(given[1]),
        )
    if not given:
        return None
    key = given[0]
    if key == "ltan_hours":
        return r.number(key, ge=0.0, lt=24.0)
    hours = parse_clock_hours(r.text(key), r.at(key), dialect=CONSORTIUM)
    return hours if key == "ltan" else (hours + 12.0) % 24.0


@dataclass(frozen=True)
class Instrument:
    """A sensor on a spacecraft, described by one representative ``mode``.

    ``min_off_nadir_deg`` / ``max_off_nadir_deg`` bound the look angle at the
    spacecraft (a side-looking SAR has a non-zero minimum); ``min_sun_elevation_deg``
    is required for sunlit kinds (optical, hyperspectral). ``data_rate_mbps`` is the
    rate at which an acquisition produces data. ``owner`` is set only when the
    instrument belongs to another partner than the spacecraft (NISAR's S-band SAR).
    """

    id: str
    name: str
    kind: str
    mode: str
    swath_km: float
    resolution_m: float
    max_off_nadir_deg: float
    data_rate_mbps: float
    source: str
    min_off_nadir_deg: float = 0.0
    min_sun_elevation_deg: float | None = None
    owner: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return drop_none(
            {
                "id": self.id,
                "name": self.name,
                "kind": self.kind,
                "mode": self.mode,
                "swath_km": self.swath_km,
                "resolution_m": self.resolution_m,
                "min_off_nadir_deg": self.min_off_nadir_deg,
                "max_off_nadir_deg": self.max_off_nadir_deg,
                "min_sun_elevation_deg": self.min_sun_elevation_deg,
                "data_rate_mbps": self.data_rate_mbps,
                "owner": self.owner,
                "source": self.source,
            }
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: str = "instrument") -> Instrument:
        return cls._read(Reader(data, path, CONSORTIUM))

    @classmethod
    def _read(cls, r: Reader) -> Instrument:
        ident = r.ident("id")
        name = r.text("name")
        kind = r.text("kind")
        if kind not in INSTRUMENT_KINDS:
            raise ConsortiumDataError(
                f"must be one of {', '.join(INSTRUMENT_KINDS)}, got {kind!r}", field=r.at("kind")
            )
        min_off = r.number("min_off_nadir_deg", default=0.0, ge=0.0, lt=90.0)
        max_off = r.number("max_off_nadir_deg", ge=0.0, lt=90.0)
        if max_off < min_off:
            raise ConsortiumDataError(
                f"must be >= min_off_nadir_deg ({show(min_off)}), got {show(max_off)}",
                field=r.at("max_off_nadir_deg"),
            )
        sun = r.optional_number("min_sun_elevation_deg", ge=-90.0, le=90.0)
        if sun is None and kind in SUNLIT_KINDS:
            raise ConsortiumDataError(
                f"is required for a {kind} instrument", field=r.at("min_sun_elevation_deg")
            )
        instrument = cls(
            id=ident,
            name=name,
            kind=kind,
            mode=r.text("mode"),
            swath_km=r.number("swath_km", gt=0.0),
            resolution_m=r.number("resolution_m", gt=0.0),
            min_off_nadir_deg=min_off,
            max_off_nadir_deg=max_off,
            min_sun_elevation_deg=sun,
            data_rate_mbps=r.number("data_rate_mbps", gt=0.0),
            owner=r.optional_text("owner"),
            source=r.text("source"),
        )
        r.finish()
        return instrument


@dataclass(frozen=True)
class Spacecraft:
    """A satellite (or station) with its NORAD id, mission orbit and instruments.

    ``element_source`` is ``"nominal"``: elements are built from ``orbit`` until the
    user supplies live ones (TLE / OMM).
    """

    id: str
    name: str
    norad_id: int
    owner: str
    orbit: Orbit
    instruments: tuple[Instrument, ...]
    downlink_rate_mbps: float
    bands: tuple[str, ...]
    source: str
    element_source: str = "nominal"

    def instrument(self, instrument_id: str) -> Instrument:
        for instrument in self.instruments:
            if instrument.id == instrument_id:
                return instrument
        raise UnknownNameError(
            f"instrument of {self.id}", instrument_id, [i.id for i in self.instruments]
        )

    def instrument_owner(self, instrument: Instrument) -> str:
        """The partner owning ``instrument`` (the spacecraft owner unless stated)."""
        return instrument.owner or self.owner

    def element_set(self) -> ElementSet:
        """Nominal SGP4 elements built from the published orbit."""
        from spacepool.consortium.nominal import nominal_element_set

        return nominal_element_set(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "norad_id": self.norad_id,
            "owner": self.owner,
            "element_source": self.element_source,
            "downlink_rate_mbps": self.downlink_rate_mbps,
            "bands": list(self.bands),
            "source": self.source,
            "orbit": self.orbit.to_dict(),
            "instruments": [instrument.to_dict() for instrument in self.instruments],
        }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        path: str = "spacecraft",
        default_epoch: datetime | None = None,
    ) -> Spacecraft:
        return cls._read(Reader(data, path, CONSORTIUM), default_epoch)

    @classmethod
    def _read(cls, r: Reader, default_epoch: datetime | None) -> Spacecraft:
        ident = r.ident("id")
        name = r.text("name")
        norad = r.integer("norad_id", minimum=1)
        if norad > 999_999_999:
            raise ConsortiumDataError(f"must be <= 999999999, got {norad}", field=r.at("norad_id"))
        owner = r.text("owner")
        element_source = r.text("element_source", "nominal")
        if element_source != "nominal":
            raise ConsortiumDataError(
                "must be 'nominal' in a consortium file (live elements come from TLE / OMM "
                f"files), got {element_source!r}",
                field=r.at("element_source"),
            )
        orbit = Orbit._read(r.table("orbit"), default_epoch)
        instruments = tuple(Instrument._read(item) for item in r.table_list("instruments"))
        reject_duplicates(
            [i.id for i in instruments], r.at("instruments"), "id", dialect=CONSORTIUM
        )
        spacecraft = cls(
            id=ident,
            name=name,
            norad_id=norad,
            owner=owner,
            orbit=orbit,
            instruments=instruments,
            downlink_rate_mbps=r.number("downlink_rate_mbps", gt=0.0),
            bands=r.text_list("bands"),
            source=r.text("source"),
            element_source=element_source,
        )
        r.finish()
        return spacecraft


# --- ground stations ---------------------------------------------------------------


@dataclass(frozen=True)
class GroundStation:
    """A receiving station at a WGS84 position.

    ``min_elevation_deg`` is the constant mask; ``azimuth_mask`` optionally adds
    ``(azimuth_deg, elevation_deg)`` points (terrain, buildings), interpolated linearly
    in azimuth and wrapping at 360 deg. The effective mask is the larger of the two.
    """

    id: str
    name: str
    owner: str
    latitude_deg: float
    longitude_deg: float
    altitude_m: float
    min_elevation_deg: float
    bands: tuple[str, ...]
    downlink_rate_mbps: float
    source: str
    azimuth_mask: tuple[tuple[float, float], ...] = ()

    def elevation_mask_deg(self, azimuth_deg: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Minimum usable elevation at each azimuth (degrees from north, eastwards).

        ``azimuth_deg`` has any shape; the result has the same shape.
        """
        azimuth = np.asarray(azimuth_deg, dtype=np.float64)
        floor = np.full(azimuth.shape, self.min_elevation_deg)
        if not self.azimuth_mask:
            return floor
        points = np.array(sorted(self.azimuth_mask), dtype=np.float64).T  # (2, K)
        interpolated = np.interp(np.mod(azimuth, 360.0), points[0], points[1], period=360.0)
        mask: npt.NDArray[np.float64] = np.maximum(floor, interpolated)
        return mask

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "owner": self.owner,
            "latitude_deg": self.latitude_deg,
            "longitude_deg": self.longitude_deg,
            "altitude_m": self.altitude_m,
            "min_elevation_deg": self.min_elevation_deg,
            "bands": list(self.bands),
            "downlink_rate_mbps": self.downlink_rate_mbps,
            "source": self.source,
        }
        if self.azimuth_mask:
            data["azimuth_mask"] = [[az, el] for az, el in self.azimuth_mask]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: str = "station") -> GroundStation:
        return cls._read(Reader(data, path, CONSORTIUM))

    @classmethod
    def _read(cls, r: Reader) -> GroundStation:
        station = cls(
            id=r.ident("id"),
            name=r.text("name"),
            owner=r.text("owner"),
            latitude_deg=r.number("latitude_deg", ge=-90.0, le=90.0),
            longitude_deg=r.number("longitude_deg", ge=-180.0, le=180.0),
            altitude_m=r.number("altitude_m", ge=-500.0, le=9000.0),
            min_elevation_deg=r.number("min_elevation_deg", ge=-5.0, lt=90.0),
            azimuth_mask=_read_azimuth_mask(r),
            bands=r.text_list("bands"),
            downlink_rate_mbps=r.number("downlink_rate_mbps", gt=0.0),
            source=r.text("source"),
        )
        r.finish()
        return station


def _read_azimuth_mask(r: Reader) -> tuple[tuple[float, float], ...]:
    raw = r.raw("azimuth_mask")
    if raw is None:
        return ()
    path = r.at("azimuth_mask")
    if not isinstance(raw, list | tuple) or len(raw) < 2:
        raise ConsortiumDataError(
            f"must be a list of at least two [azimuth_deg, elevation_deg] pairs, got "
            f"{describe(raw)}",
            field=path,
        )
    points: list[tuple[float, float]] = []
    for index, pair in enumerate(raw):
        where = f"{path}[{index}]"
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ConsortiumDataError(
                f"must be a pair [azimuth_deg, elevation_deg], got {describe(pair)}", field=where
            )
        azimuth = check_number(f"{where}[0]", pair[0], ge=0.0, lt=360.0, dialect=CONSORTIUM)
        elevation = check_number(f"{where}[1]", pair[1], ge=-5.0, lt=90.0, dialect=CONSORTIUM)
        points.append((azimuth, elevation))
    azimuths = [az for az, _ in points]
    if len(set(azimuths)) != len(azimuths):
        raise ConsortiumDataError("azimuths must be distinct", field=path)
    return tuple(points)


# --- facilities --------------------------------------------------------------------


@dataclass(frozen=True)
class Facility:
    """A laboratory rack set, crew-time pool or segment with a capacity in units."""

    id: str
    name: str
    owner: str
    kind: str
    host: str
    capacity: float
    capacity_unit: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "owner": self.owner,
            "kind": self.kind,
            "host": self.host,
            "capacity": self.capacity,
            "capacity_unit": self.capacity_unit,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: str = "facility") -> Facility:
        return cls._read(Reader(data, path, CONSORTIUM))

    @classmethod
    def _read(cls, r: Reader) -> Facility:
        ident = r.ident("id")
        name = r.text("name")
        owner = r.text("owner")
        kind = r.text("kind")
        if kind not in FACILITY_KINDS:
            raise ConsortiumDataError(
                f"must be one of {', '.join(FACILITY_KINDS)}, got {kind!r}", field=r.at("kind")
            )
        facility = cls(
            id=ident,
            name=name,
            owner=owner,
            kind=kind,
            host=r.text("host"),
            capacity=r.number("capacity", gt=0.0),
            capacity_unit=r.text("capacity_unit"),
            source=r.text("source"),
        )
        r.finish()
        return facility


# --- agreements --------------------------------------------------------------------


@dataclass(frozen=True)
class Agreement:
    """The rule that turns contributions into entitlements for one pool.

    ``fixed_shares``: ``shares`` are declared (e.g. the space-station barter).
    ``value_weighted``: each member's share is its contribution value over the sum.
    The value follows ``basis``: ``"data_rate"`` sums, over the member's assets,
    ``data_rate_mbps`` of its instruments plus ``station_weight`` times
    ``downlink_rate_mbps`` of its ground stations (computed by :class:`Consortium`);
    ``"declared"`` takes ``declared_values`` as given.
    ``contributions`` holds the values in force (pairs, in member order).
    """

    id: str
    name: str
    kind: str
    pool: str
    members: tuple[str, ...]
    source: str
    shares: tuple[float, ...] = ()
    basis: str | None = None
    station_weight: float = 0.0
    declared_values: tuple[float, ...] = ()
    contributions: tuple[float, ...] = ()
    facilities: tuple[str, ...] = ()
    notes: str = ""

    def entitlements(self) -> dict[str, float]:
        """Each member's share of the pool; the values sum to 1 (within 1e-9)."""
        if self.kind == "fixed_shares":
            return dict(zip(self.members, self.shares, strict=True))
        if not self.contributions:
            raise ValueError(
                f"agreement {self.id!r}: contributions are computed from the assets; "
                "read it through Consortium.from_dict"
            )
        total = math.fsum(self.contributions)
        return {m: value / total for m, value in zip(self.members, self.contributions, strict=True)}

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "pool": self.pool,
            "source": self.source,
        }
        if self.facilities:
            data["facilities"] = list(self.facilities)
        if self.kind == "fixed_shares":
            data["shares"] = dict(zip(self.members, self.shares, strict=True))
        else:
            data["basis"] = self.basis
            if self.basis == "declared":
                data["declared_values"] = dict(zip(self.members, self.declared_values, strict=True))
            else:
                data["members"] = list(self.members)
                data["station_weight"] = self.station_weight
        if self.notes:
            data["notes"] = self.notes
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: str = "agreement") -> Agreement:
        """Read one agreement. A ``data_rate`` agreement read alone has no
        contributions yet; :meth:`Consortium.from_dict` computes them."""
        return cls._read(Reader(data, path, CONSORTIUM))

    @classmethod
    def _read(cls, r: Reader) -> Agreement:
        ident = r.ident("id")
        name = r.text("name")
        kind = r.text("kind")
        if kind not in AGREEMENT_KINDS:
            raise ConsortiumDataError(
                f"must be one of {', '.join(AGREEMENT_KINDS)}, got {kind!r}", field=r.at("kind")
            )
        pool = r.text("pool")
        source = r.text("source")
        facilities = r.text_list("facilities", ())
        notes = r.text("notes", "")
        if kind == "fixed_shares":
            members, shares = _read_member_numbers(r, "shares", ge=0.0, le=1.0)
            total = math.fsum(shares)
            if abs(total - 1.0) > ENTITLEMENT_TOLERANCE:
                raise ConsortiumDataError(
                    f"must sum to 1 (within {ENTITLEMENT_TOLERANCE:g}), got {total!r}",
                    field=r.at("shares"),
                )
            agreement = cls(
                id=ident,
                name=name,
                kind=kind,
                pool=pool,
                members=members,
                source=source,
                shares=shares,
                facilities=facilities,
                notes=notes,
            )
        else:
            basis = r.text("basis")
            if basis not in CONTRIBUTION_BASES:
                raise ConsortiumDataError(
                    f"must be one of {', '.join(CONTRIBUTION_BASES)}, got {basis!r}",
                    field=r.at("basis"),
                )
            if basis == "declared":
                members, values = _read_member_numbers(r, "declared_values", ge=0.0)
                if math.fsum(values) <= 0.0:
                    raise ConsortiumDataError(
                        "must include at least one value > 0", field=r.at("declared_values")
                    )
                agreement = cls(
                    id=ident,
                    name=name,
                    kind=kind,
                    pool=pool,
                    members=members,
                    source=source,
                    basis=basis,
                    declared_values=values,
                    contributions=values,
                    facilities=facilities,
                    notes=notes,
                )
            else:
                members = r.text_list("members")
                if not members:
                    raise ConsortiumDataError(
                        "must name at least one partner", field=r.at("members")
                    )
                reject_duplicates(list(members), r.at("members"), "partner", dialect=CONSORTIUM)
                agreement = cls(
                    id=ident,
                    name=name,
                    kind=kind,
                    pool=pool,
                    members=members,
                    source=source,
                    basis=basis,
                    station_weight=r.number("station_weight", default=0.0, ge=0.0),
                    facilities=facilities,
                    notes=notes,
                )
        r.finish()
        return agreement


def _read_member_numbers(
    r: Reader, key: str, *, ge: float | None = None, le: float | None = None
) -> tuple[tuple[str, ...], tuple[float, ...]]:
    table = r.table(key)
    if not table.data:
        raise ConsortiumDataError("must name at least one partner", field=table.path)
    members = tuple(str(member) for member in table.data)
    values = tuple(
        check_number(table.at(member), table.data[member], ge=ge, le=le, dialect=CONSORTIUM)
        for member in members
    )
    return members, values


def _member_path(agreement: Agreement, index: int, k: int) -> str:
    member = agreement.members[k]
    if agreement.kind == "fixed_shares":
        return f"agreements[{index}].shares.{member}"
    if agreement.basis == "declared":
        return f"agreements[{index}].declared_values.{member}"
    return f"agreements[{index}].members[{k}]"


# --- the consortium ----------------------------------------------------------------


@dataclass(frozen=True)
class PartnerAssets:
    """What one partner contributes; ``hosted_instruments`` are its instruments on
    other partners' spacecraft, as ``(spacecraft, instrument)`` pairs."""

    partner: Partner
    spacecraft: tuple[Spacecraft, ...]
    hosted_instruments: tuple[tuple[Spacecraft, Instrument], ...]
    stations: tuple[GroundStation, ...]
    facilities: tuple[Facility, ...]


@dataclass(frozen=True)
class Consortium:
    """Partners, their assets and the agreements between them."""

    name: str
    epoch: datetime
    source: str
    partners: tuple[Partner, ...]
    fleet: tuple[Spacecraft, ...]
    stations: tuple[GroundStation, ...]
    facilities: tuple[Facility, ...]
    agreements: tuple[Agreement, ...]

    # lookups -----------------------------------------------------------------------

    def partner(self, partner_id: str) -> Partner:
        for partner in self.partners:
            if partner.id == partner_id.lower():
                return partner
        raise UnknownNameError("partner", partner_id, [p.id for p in self.partners])

    def spacecraft(self, key: str | int) -> Spacecraft:
        """A spacecraft by id, name (case-insensitive) or NORAD id."""
        if isinstance(key, int) or key.strip().isdigit():
            norad = int(key)
            for sc in self.fleet:
                if sc.norad_id == norad:
                    return sc
        else:
            wanted = key.strip().lower()
            for sc in self.fleet:
                if wanted in (sc.id, sc.name.lower()):
                    return sc
        raise UnknownNameError("spacecraft", str(key), [sc.id for sc in self.fleet])

    def station(self, name: str) -> GroundStation:
        """A ground station by id or name (case-insensitive)."""
        wanted = name.strip().lower()
        for station in self.stations:
            if wanted in (station.id, station.name.lower()):
                return station
        raise UnknownNameError("station", name, [s.id for s in self.stations])

    def facility(self, facility_id: str) -> Facility:
        for facility in self.facilities:
            if facility.id == facility_id:
                return facility
        raise UnknownNameError("facility", facility_id, [f.id for f in self.facilities])

    def agreement(self, agreement_id: str) -> Agreement:
        for agreement in self.agreements:
            if agreement.id == agreement_id:
                return agreement
        raise UnknownNameError("agreement", agreement_id, [a.id for a in self.agreements])

    def assets_of(self, partner_id: str) -> PartnerAssets:
        partner = self.partner(partner_id)
        return PartnerAssets(
            partner=partner,
            spacecraft=tuple(sc for sc in self.fleet if sc.owner == partner.id),
            hosted_instruments=tuple(
                (sc, i) for sc, i in self.instruments() if i.owner == partner.id != sc.owner
            ),
            stations=tuple(s for s in self.stations if s.owner == partner.id),
            facilities=tuple(f for f in self.facilities if f.owner == partner.id),
        )

    def instruments(self) -> tuple[tuple[Spacecraft, Instrument], ...]:
        """Every instrument with the spacecraft that carries it."""
        return tuple((sc, i) for sc in self.fleet for i in sc.instruments)

    def element_sets(self) -> list[ElementSet]:
        """Nominal SGP4 elements for every spacecraft (``source == "nominal"``)."""
        return [sc.element_set() for sc in self.fleet]

    def contribution_value(self, partner_id: str, agreement: Agreement) -> float:
        """A partner's contribution to a ``data_rate`` pool (see :class:`Agreement`)."""
        instruments = math.fsum(
            i.data_rate_mbps for sc, i in self.instruments() if sc.instrument_owner(i) == partner_id
        )
        stations = math.fsum(s.downlink_rate_mbps for s in self.stations if s.owner == partner_id)
        return instruments + agreement.station_weight * stations

    # plain data --------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "epoch": format_time(self.epoch, dialect=CONSORTIUM),
            "source": self.source,
            "partners": [p.to_dict() for p in self.partners],
            "spacecraft": [sc.to_dict() for sc in self.fleet],
            "stations": [s.to_dict() for s in self.stations],
            "facilities": [f.to_dict() for f in self.facilities],
            "agreements": [a.to_dict() for a in self.agreements],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Consortium:
        """Read and check a whole consortium; errors name the field path."""
        r = Reader(data, "", CONSORTIUM)
        name = r.text("name")
        epoch = r.time("epoch")
        source = r.text("source")
        partners = tuple(Partner._read(item) for item in r.table_list("partners"))
        spacecraft = tuple(Spacecraft._read(item, epoch) for item in r.table_list("spacecraft"))
        stations = tuple(GroundStation._read(item) for item in r.table_list("stations"))
        facilities = tuple(
            Facility._read(item) for item in r.table_list("facilities", required=False)
        )
        agreements = tuple(
            Agreement._read(item) for item in r.table_list("agreements", required=False)
        )
        r.finish()
        reject_duplicates([p.id for p in partners], "partners", "partner id", dialect=CONSORTIUM)
        reject_duplicates(
            [sc.id for sc in spacecraft], "spacecraft", "spacecraft id", dialect=CONSORTIUM
        )
        reject_duplicates(
            [sc.norad_id for sc in spacecraft], "spacecraft", "NORAD id", dialect=CONSORTIUM
        )
        reject_duplicates([s.id for s in stations], "stations", "station id", dialect=CONSORTIUM)
        reject_duplicates(
            [f.id for f in facilities], "facilities", "facility id", dialect=CONSORTIUM
        )
        reject_duplicates(
            [a.id for a in agreements], "agreements", "agreement id", dialect=CONSORTIUM
        )
        known = [p.id for p in partners]
        for index, sc in enumerate(spacecraft):
            _check_partner(sc.owner, known, f"spacecraft[{index}].owner")
            for k, instrument in enumerate(sc.instruments):
                if instrument.owner is not None:
                    _check_partner(
                        instrument.owner, known, f"spacecraft[{index}].instruments[{k}].owner"
                    )
        for index, station in enumerate(stations):
            _check_partner(station.owner, known, f"stations[{index}].owner")
        facility_ids = [f.id for f in facilities]
        for index, facility in enumerate(facilities):
            _check_partner(facility.owner, known, f"facilities[{index}].owner")
        resolved: list[Agreement] = []
        for index, agreement in enumerate(agreements):
            for k, member in enumerate(agreement.members):
                _check_partner(member, known, _member_path(agreement, index, k))
            for k, facility_id in enumerate(agreement.facilities):
                if facility_id not in facility_ids:
                    raise ConsortiumDataError(
                        f"unknown facility {facility_id!r}; known facilities: "
                        f"{', '.join(sorted(facility_ids)) or '(none)'}",
                        field=f"agreements[{index}].facilities[{k}]",
                    )
            resolved.append(agreement)
        consortium = cls(
            name=name,
            epoch=epoch,
            source=source,
            partners=partners,
            fleet=spacecraft,
            stations=stations,
            facilities=facilities,
            agreements=(),
        )
        final: list[Agreement] = []
        for index, agreement in enumerate(resolved):
            if agreement.basis == "data_rate":
                values = tuple(
                    consortium.contribution_value(m, agreement) for m in agreement.members
                )
                if math.fsum(values) <= 0.0:
                    raise ConsortiumDataError(
                        "the members contribute no instrument data rate or station downlink "
                        "rate, so no entitlements can be derived",
                        field=f"agreements[{index}].members",
                    )
                agreement = replace(agreement, contributions=values)
            final.append(agreement)
        return cls(
            name=name,
            epoch=epoch,
            source=source,
            partners=partners,
            fleet=spacecraft,
            stations=stations,
            facilities=facilities,
            agreements=tuple(final),
        )


def _check_partner(partner_id: str, known: Sequence[str], path: str) -> None:
    if partner_id not in known:
        raise ConsortiumDataError(
            f"unknown partner {partner_id!r}; known partners: {', '.join(sorted(known))}",
            field=path,
        )
