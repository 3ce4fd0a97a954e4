"""What ``spacepool consortium show`` prints: a JSON summary and Rich tables."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from spacepool._reading import format_clock
from spacepool.consortium.model import Consortium, Orbit, Spacecraft
from spacepool.consortium.nominal import solve_nominal_orbit


def consortium_summary(consortium: Consortium) -> dict[str, Any]:
    """``Consortium.to_dict()`` plus derived values.

    Each spacecraft gains ``nominal_orbit`` (the solved SGP4 mean elements at the
    epoch) and each agreement ``contributions`` (value-weighted pools) and
    ``entitlements`` (shares summing to 1). Times are ISO 8601 UTC ending in ``Z``.
    """
    data = consortium.to_dict()
    for record, spacecraft in zip(data["spacecraft"], consortium.fleet, strict=True):
        solved = solve_nominal_orbit(spacecraft.orbit)
        record["nominal_orbit"] = {
            "mean_motion_rev_per_day": solved.mean_motion_rev_per_day,
            "inclination_deg": solved.inclination_deg,
            "raan_deg": solved.raan_deg,
            "arg_perigee_deg": solved.arg_perigee_deg,
            "mean_anomaly_deg": solved.mean_anomaly_deg,
            "eccentricity": solved.eccentricity,
            "altitude_km": solved.altitude_km,
            "source": "nominal",
        }
    for record, agreement in zip(data["agreements"], consortium.agreements, strict=True):
        if agreement.kind == "value_weighted":
            record["contributions"] = dict(
                zip(agreement.members, agreement.contributions, strict=True)
            )
        record["entitlements"] = agreement.entitlements()
    return data


def _orbit_text(orbit: Orbit) -> str:
    size = f"{orbit.altitude_km:g} km" if orbit.altitude_km is not None else ""
    if orbit.semi_major_axis_km is not None:
        size = f"a {orbit.semi_major_axis_km:g} km"
    if orbit.sun_synchronous and orbit.ltan_hours is not None:
        text = f"SSO {size}, LTAN {format_clock(orbit.ltan_hours)}"
    else:
        text = f"{orbit.inclination_deg:g} deg, {size}"
    if orbit.repeat_cycle_days is not None:
        text += f", {orbit.repeat_cycle_days} d repeat"
    if not orbit.maintained:
        text += " (not maintained)"
    return text


def _spacecraft_rows(spacecraft: Spacecraft) -> list[list[str]]:
    rows = []
    for index, instrument in enumerate(spacecraft.instruments):
        first = index == 0
        off_nadir = f"{instrument.max_off_nadir_deg:g}"
        if instrument.min_off_nadir_deg > 0.0:
            off_nadir = f"{instrument.min_off_nadir_deg:g}-{off_nadir}"
        sun = instrument.min_sun_elevation_deg
        rows.append(
            [
                spacecraft.name if first else "",
                str(spacecraft.norad_id) if first else "",
                spacecraft.owner if first else "",
                _orbit_text(spacecraft.orbit) if first else "",
                instrument.name + (f" ({instrument.owner})" if instrument.owner else ""),
                instrument.kind,
                f"{instrument.swath_km:g}",
                f"{instrument.resolution_m:g}",
                off_nadir,
                "" if sun is None else f"{sun:g}",
                f"{instrument.data_rate_mbps:g}",
            ]
        )
    return rows


def consortium_tables(consortium: Consortium) -> list[Table]:
    """One Rich table each for partners, spacecraft + instruments, ground stations,
    facilities and agreements."""
    partners = Table(title=f"{consortium.name}: partners")
    for column in ("id", "name", "country", "spacecraft", "stations", "facilities"):
        partners.add_column(column)
    for partner in consortium.partners:
        assets = consortium.assets_of(partner.id)
        partners.add_row(
            partner.id,
            partner.name,
            partner.country,
            str(len(assets.spacecraft)),
            str(len(assets.stations)),
            str(len(assets.facilities)),
        )

    fleet = Table(
        title=f"spacecraft and instruments (nominal elements at "
        f"{consortium.epoch:%Y-%m-%d %H:%M}Z, source = nominal)"
    )
    for column in ("spacecraft", "NORAD", "owner", "orbit", "instrument", "kind"):
        fleet.add_column(column)
    for column in ("swath km", "res m", "off-nadir deg", "min sun deg", "Mbps"):
        fleet.add_column(column, justify="right")
    for spacecraft in consortium.fleet:
        for row in _spacecraft_rows(spacecraft):
            fleet.add_row(*row)

    stations = Table(title="ground stations (WGS84)")
    for column in ("id", "name", "owner", "lat deg", "lon deg", "alt m", "mask deg"):
        stations.add_column(column, justify="right" if column.endswith(("deg", " m")) else "left")
    stations.add_column("bands")
    stations.add_column("Mbps", justify="right")
    for station in consortium.stations:
        mask = f"{station.min_elevation_deg:g}"
        if station.azimuth_mask:
            mask += f" + az mask ({len(station.azimuth_mask)} pts)"
        stations.add_row(
            station.id,
            station.name,
            station.owner,
            f"{station.latitude_deg:.3f}",
            f"{station.longitude_deg:.3f}",
            f"{station.altitude_m:g}",
            mask,
            "/".join(station.bands),
            f"{station.downlink_rate_mbps:g}",
        )

    facilities = Table(title="facilities")
    for column in ("id", "name", "owner", "kind", "host", "capacity"):
        facilities.add_column(column)
    for facility in consortium.facilities:
        facilities.add_row(
            facility.id,
            facility.name,
            facility.owner,
            facility.kind,
            facility.host,
            f"{facility.capacity:g} {facility.capacity_unit}",
        )

    agreements = Table(title="agreements and entitlements")
    for column in ("agreement", "kind", "pool", "partner"):
        agreements.add_column(column)
    agreements.add_column("contribution", justify="right")
    agreements.add_column("entitlement", justify="right")
    for agreement in consortium.agreements:
        shares = agreement.entitlements()
        for index, member in enumerate(agreement.members):
            contribution = (
                f"{agreement.contributions[index]:.1f}"
                if agreement.kind == "value_weighted"
                else "fixed"
            )
            agreements.add_row(
                agreement.id if index == 0 else "",
                agreement.kind if index == 0 else "",
                agreement.pool if index == 0 else "",
                member,
                contribution,
                f"{100.0 * shares[member]:.1f} %",
            )
    return [partners, fleet, stations, facilities, agreements]
