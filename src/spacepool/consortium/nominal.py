"""Nominal SGP4 elements built from a spacecraft's published mission orbit.

No element set can ship with spacepool, so the bundled consortium describes each
orbit the way agencies publish it (altitude or repeat cycle, sun-synchronous or an
inclination, local time of the ascending node) and this module turns that into an
:class:`~spacepool.orbits.elements.ElementSet` with ``source == "nominal"``. Users
replace these with live TLE / OMM elements for real planning.

How the elements are made
-------------------------
SGP4 takes a *Kozai* mean motion and converts it to the *Brouwer* mean motion and
semi-major axis it propagates with (Hoots & Roehrich, Spacetrack Report #3, 1980,
Sect. 6). Rather than approximate that chain, the elements are solved against
SGP4's own secular rates (``sgp4init`` gives the Brouwer ``a``, ``mdot``, ``argpdot``,
``nodedot``, which include the J2, J2^2 and J4 terms), so the nominal orbit is exact
*in the SGP4 model*:

* size: Brouwer mean semi-major axis ``a'' = R + altitude`` (``R`` = WGS72 equatorial
  radius 6378.135 km, the constants SGP4 uses); or, when a repeat cycle of
  ``N`` orbits in ``D`` days is published, the draconic rate
  ``dM/dt + domega/dt = (N / D) * (omega_earth - dOmega/dt)`` so the ground track repeats
  exactly (Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed., 2013,
  Sect. 11.4, repeat-groundtrack orbits).
* sun-synchronous inclination: ``dOmega/dt`` equals the mean Sun's rate
  360 deg / 365.2421897 d. The first guess is the J2 formula
  ``dOmega/dt = -3/2 n J2 (R / p)^2 cos i`` (Vallado, Eq. 9-41); the solve then
  matches SGP4's full secular node rate, which moves the inclination by ~0.025 deg.
* RAAN from the local time of the ascending node. Agencies publish *mean* local
  solar time (a sun-synchronous plane follows the mean Sun), so the node longitude
  is ``15 deg/h * (LTAN - UT)`` and ``RAAN = GMST + longitude`` with GMST the IAU-82
  sidereal time that defines SGP4's TEME frame (Vallado Eq. 3-45). The apparent
  local time differs by the equation of time (up to 16 min); see
  :func:`equation_of_time_minutes`.
* near-circular frozen orbit: ``e`` ~ 1.3e-4, argument of perigee 90 deg (the
  values CelesTrak TLEs of these sun-synchronous missions carry), and the mean
  anomaly placing the spacecraft at its phasing argument of latitude at the epoch.

Expected error against real elements (measured on the CelesTrak TLEs of
2026-05-07 / 2026-05-30, see ``docs/consortium.md``): inclination within 0.01 deg
and mean motion within 0.002 rev/day for maintained orbits with a published repeat
cycle; within 0.1 deg and 0.05 rev/day when only a rounded altitude is published.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from sgp4.api import WGS72, Satrec, jday
from sgp4.earth_gravity import wgs72
from sgp4.propagation import gstime

from spacepool.orbits.elements import ElementSet

if TYPE_CHECKING:
    from spacepool.consortium.model import Orbit, Spacecraft

EARTH_RADIUS_KM: Final = wgs72.radiusearthkm  # 6378.135 km, WGS72 (SGP4's constants)
_XKE: Final = wgs72.xke  # sqrt(GM) in earth-radii^1.5 / min, WGS72
_J2: Final = wgs72.j2  # 0.001082616, WGS72
# Mean Sun's motion in right ascension: 360 deg per tropical year of 365.2421897 days
# (Vallado 4th ed., Sect. 9.6, sun-synchronous orbits).
MEAN_SUN_RATE_DEG_PER_DAY: Final = 360.0 / 365.2421897
# Earth's rotation rate, 7.292115146706979e-5 rad/s (Vallado 4th ed., Eq. 3-40, IERS).
EARTH_ROTATION_RAD_PER_MIN: Final = 7.292115146706979e-5 * 60.0
_MIN_PER_DAY: Final = 1440.0
_RAD_PER_DEG: Final = math.pi / 180.0
_SUN_RATE_RAD_PER_MIN: Final = MEAN_SUN_RATE_DEG_PER_DAY * _RAD_PER_DEG / _MIN_PER_DAY
_SGP4_EPOCH0: Final = datetime(1949, 12, 31, tzinfo=UTC)


@dataclass(frozen=True)
class NominalOrbit:
    """The solved mean elements of a published orbit (SGP4 conventions).

    ``mean_motion_rev_per_day`` is Kozai (as in a TLE); ``semi_major_axis_km`` and
    ``altitude_km`` are Brouwer mean values (``altitude = a - 6378.135 km``);
    ``nodal_revs_per_day`` is the draconic (node-to-node) rate; ``node_rate_deg_per_day``
    the secular RAAN drift.
    """

    epoch: datetime
    mean_motion_rev_per_day: float
    inclination_deg: float
    raan_deg: float
    eccentricity: float
    arg_perigee_deg: float
    mean_anomaly_deg: float
    semi_major_axis_km: float
    altitude_km: float
    nodal_revs_per_day: float
    node_rate_deg_per_day: float
    ltan_hours: float | None


def sun_synchronous_inclination_deg(semi_major_axis_km: float, eccentricity: float = 0.0) -> float:
    """Inclination whose J2 nodal precession equals the mean Sun's motion.

    ``dOmega/dt = -3/2 n J2 (R/p)^2 cos i`` (Vallado 4th ed., Eq. 9-41) with Kepler
    ``n``; first-order in J2, about 0.025 deg below SGP4's full secular solution.
    """
    a_er = semi_major_axis_km / EARTH_RADIUS_KM
    n_rad_per_min = _XKE * a_er**-1.5
    p_er = a_er * (1.0 - eccentricity**2)
    cos_i = -_SUN_RATE_RAD_PER_MIN / (1.5 * n_rad_per_min * _J2 / p_er**2)
    if not -1.0 <= cos_i <= 1.0:
        raise ValueError(f"no sun-synchronous inclination at a = {semi_major_axis_km:.1f} km")
    return math.degrees(math.acos(cos_i))


def _julian(epoch: datetime) -> tuple[float, float]:
    t = epoch.astimezone(UTC)
    jd, fr = jday(t.year, t.month, t.day, t.hour, t.minute, t.second + t.microsecond * 1e-6)
    return float(jd), float(fr)


def gmst_deg(epoch: datetime) -> float:
    """Greenwich mean sidereal time (IAU-82, Vallado Eq. 3-45), UT1 taken as UTC.

    |UT1 - UTC| < 0.9 s, i.e. < 0.004 deg. This is the angle from TEME to the
    Earth-fixed frame, so it places a node in SGP4's own frame.
    """
    jd, fr = _julian(epoch)
    return math.degrees(gstime(jd + fr))


def _ut_hours(epoch: datetime) -> float:
    t = epoch.astimezone(UTC)
    return t.hour + t.minute / 60.0 + (t.second + t.microsecond * 1e-6) / 3600.0


def raan_from_ltan_deg(ltan_hours: float, epoch: datetime) -> float:
    """RAAN (TEME, degrees) of a plane whose ascending node is at mean local solar
    time ``ltan_hours`` at ``epoch``.

    Mean local solar time at east longitude L is ``UT + L / 15``, so the node lies at
    ``L = 15 * (LTAN - UT)`` and ``RAAN = GMST + L``.
    """
    longitude = 15.0 * (ltan_hours - _ut_hours(epoch))
    return (gmst_deg(epoch) + longitude) % 360.0


def ltan_from_raan_hours(raan_deg: float, epoch: datetime) -> float:
    """Mean local solar time (hours) of the ascending node of a plane at ``epoch``."""
    longitude = raan_deg - gmst_deg(epoch)
    return (_ut_hours(epoch) + longitude / 15.0) % 24.0


def sun_right_ascension_deg(epoch: datetime) -> float:
    """Apparent right ascension of the Sun, degrees of date.

    The Astronomical Almanac's low-precision formula (Section C, "Sun: low precision
    formulas"): accuracy 0.01 deg between 1950 and 2050.
    """
    jd, fr = _julian(epoch)
    n = (jd - 2451545.0) + fr
    mean_longitude = 280.460 + 0.9856474 * n
    g = math.radians(357.528 + 0.9856003 * n)
    ecliptic_longitude = math.radians(
        mean_longitude + 1.915 * math.sin(g) + 0.020 * math.sin(2.0 * g)
    )
    obliquity = math.radians(23.439 - 0.0000004 * n)
    ra = math.atan2(
        math.cos(obliquity) * math.sin(ecliptic_longitude), math.cos(ecliptic_longitude)
    )
    return math.degrees(ra) % 360.0


def equation_of_time_minutes(epoch: datetime) -> float:
    """Apparent minus mean solar time, minutes (Almanac low-precision Sun).

    Mean Sun right ascension is the Almanac's mean longitude ``L``; 1 deg = 4 min.
    """
    jd, fr = _julian(epoch)
    mean_longitude = 280.460 + 0.9856474 * ((jd - 2451545.0) + fr)
    difference = (mean_longitude - sun_right_ascension_deg(epoch) + 180.0) % 360.0 - 180.0
    return 4.0 * difference


def _satrec(n_kozai_rad_min: float, inclination_rad: float, eccentricity: float) -> Satrec:
    sat = Satrec()
    sat.sgp4init(
        WGS72,
        "i",
        1,
        27000.0,
        0.0,
        0.0,
        0.0,
        eccentricity,
        math.pi / 2.0,
        inclination_rad,
        0.0,
        n_kozai_rad_min,
        0.0,
    )
    return sat


def _residuals(
    orbit: Orbit, n_kozai: float, inclination: float, target_brouwer: float | None
) -> tuple[float, float]:
    """Relative errors of (size condition, inclination condition) for a trial."""
    sat = _satrec(n_kozai, inclination, orbit.eccentricity)
    if orbit.repeat_cycle_days is not None and orbit.repeat_cycle_orbits is not None:
        ratio = orbit.repeat_cycle_orbits / orbit.repeat_cycle_days
        wanted = ratio * (EARTH_ROTATION_RAD_PER_MIN - sat.nodedot)
        size = (sat.mdot + sat.argpdot - wanted) / wanted
    else:
        assert target_brouwer is not None
        # sgp4init stores the Brouwer semi-major axis a = (xke / n'')^(2/3).
        size = (_XKE * sat.a**-1.5 - target_brouwer) / target_brouwer
    if orbit.sun_synchronous:
        tilt = (sat.nodedot - _SUN_RATE_RAD_PER_MIN) / _SUN_RATE_RAD_PER_MIN
    else:
        assert orbit.inclination_deg is not None
        tilt = inclination - orbit.inclination_deg * _RAD_PER_DEG
    return size, tilt


def _first_guess(orbit: Orbit) -> tuple[float, float, float | None]:
    """(Kozai mean motion rad/min, inclination rad, target Brouwer motion or None)."""
    if orbit.semi_major_axis_km is not None:
        a_km = orbit.semi_major_axis_km
    elif orbit.altitude_km is not None:
        a_km = EARTH_RADIUS_KM + orbit.altitude_km
    else:
        assert orbit.repeat_cycle_days is not None and orbit.repeat_cycle_orbits is not None
        revs_per_day = orbit.repeat_cycle_orbits / orbit.repeat_cycle_days
        n = revs_per_day * 2.0 * math.pi / _MIN_PER_DAY
        a_km = EARTH_RADIUS_KM * (_XKE / n) ** (2.0 / 3.0)
    target = _XKE * (a_km / EARTH_RADIUS_KM) ** -1.5
    if orbit.sun_synchronous:
        inclination = sun_synchronous_inclination_deg(a_km, orbit.eccentricity) * _RAD_PER_DEG
    else:
        assert orbit.inclination_deg is not None
        inclination = orbit.inclination_deg * _RAD_PER_DEG
    uses_repeat = orbit.repeat_cycle_days is not None
    return target, inclination, None if uses_repeat else target


def solve_nominal_orbit(orbit: Orbit) -> NominalOrbit:
    """Mean elements realising ``orbit`` in SGP4 (Newton's method on two conditions).

    Converges to 1e-13 relative in about four iterations; each evaluation is one
    ``sgp4init``.
    """
    n, inclination, target = _first_guess(orbit)
    for _ in range(30):
        f_size, f_tilt = _residuals(orbit, n, inclination, target)
        if abs(f_size) < 1e-13 and abs(f_tilt) < 1e-13:
            break
        dn, di = n * 1e-7, 1e-6
        a_size, a_tilt = _residuals(orbit, n + dn, inclination, target)
        b_size, b_tilt = _residuals(orbit, n, inclination + di, target)
        j11, j12 = (a_size - f_size) / dn, (b_size - f_size) / di
        j21, j22 = (a_tilt - f_tilt) / dn, (b_tilt - f_tilt) / di
        det = j11 * j22 - j12 * j21
        n -= (f_size * j22 - f_tilt * j12) / det
        inclination -= (f_tilt * j11 - f_size * j21) / det
    else:  # pragma: no cover - only for impossible orbits
        raise ValueError(f"nominal orbit did not converge: {orbit}")

    sat = _satrec(n, inclination, orbit.eccentricity)
    if orbit.sun_synchronous:
        assert orbit.ltan_hours is not None
        raan = raan_from_ltan_deg(orbit.ltan_hours, orbit.epoch)
    else:
        assert orbit.raan_deg is not None
        raan = orbit.raan_deg
    rad_per_min_to_deg_per_day = _MIN_PER_DAY / _RAD_PER_DEG
    return NominalOrbit(
        epoch=orbit.epoch,
        mean_motion_rev_per_day=n * _MIN_PER_DAY / (2.0 * math.pi),
        inclination_deg=inclination / _RAD_PER_DEG,
        raan_deg=raan,
        eccentricity=orbit.eccentricity,
        arg_perigee_deg=orbit.arg_perigee_deg,
        mean_anomaly_deg=(orbit.arg_latitude_deg - orbit.arg_perigee_deg) % 360.0,
        semi_major_axis_km=sat.a * EARTH_RADIUS_KM,
        altitude_km=(sat.a - 1.0) * EARTH_RADIUS_KM,
        nodal_revs_per_day=(sat.mdot + sat.argpdot) * _MIN_PER_DAY / (2.0 * math.pi),
        node_rate_deg_per_day=sat.nodedot * rad_per_min_to_deg_per_day,
        ltan_hours=ltan_from_raan_hours(raan, orbit.epoch),
    )


def nominal_element_set(spacecraft: Spacecraft) -> ElementSet:
    """The spacecraft's nominal :class:`ElementSet` (``source == "nominal"``)."""
    solved = solve_nominal_orbit(spacecraft.orbit)
    return ElementSet(
        name=spacecraft.name,
        norad_id=spacecraft.norad_id,
        epoch=solved.epoch,
        mean_motion_rev_per_day=solved.mean_motion_rev_per_day,
        eccentricity=solved.eccentricity,
        inclination_deg=solved.inclination_deg,
        raan_deg=solved.raan_deg,
        arg_perigee_deg=solved.arg_perigee_deg,
        mean_anomaly_deg=solved.mean_anomaly_deg,
        bstar=spacecraft.orbit.bstar,
        source="nominal",
    )
