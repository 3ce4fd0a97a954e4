"""Sensor geometry: the Earth-satellite-target triangle, and the engine's inner formulas.

Reference case: the inputs of Vallado, Fundamentals of Astrodynamics and Applications
(4th ed.), Example 11-1 (sensor field of view): a satellite at 800 km altitude with a
25-degree total field of view, pointed at nadir (edges 12.5 deg off nadir) and then
40 deg off nadir (edges 27.5 and 52.5 deg). The example's printed results were not
available to us (only its inputs, from Vallado's companion code), so the expected
values below are derived independently: by intersecting the line of sight with a
sphere of radius R = 6378.137 km in vector form (``_ray_sphere``), a different route
from the law-of-sines relations the module uses (Wertz, Space Mission Analysis and
Design, 3rd ed., sec. 5.2: sin(eta) = sin(rho) cos(eps), lambda = 90 - eps - eta).
The literal numbers were produced by ``_ray_sphere`` and are kept to show the scale.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from spacepool.access.sensors import (
    closest_on_pieces,
    geocentric_nadir_deg,
    look_geometry,
    off_nadir_tan2,
    swath_half_angle_deg,
)
from spacepool.errors import GeometryError
from spacepool.orbits.frames import geodetic_to_itrs, itrs_to_geodetic, up_vector

R_KM = 6378.137  # WGS84 equatorial radius, the sphere of the relations
ONE_MILLIMETRE_KM = 1e-6
ONE_MICRODEGREE = 1e-6

# Vallado Example 11-1 inputs (800 km; edges of a 25 deg field of view at nadir and
# 40 deg off nadir) with values derived by _ray_sphere.
VALLADO_11_1 = [
    # (altitude km, off-nadir deg, slant range km, central angle deg, elevation deg)
    (800.0, 12.5, 821.965520, 1.59836320, 75.90163680),
    (800.0, 27.5, 917.795807, 3.80978558, 58.69021442),
    (800.0, 52.5, 1497.509662, 10.73517341, 26.76482659),
]


def _ray_sphere(altitude_km: float, off_nadir_deg: float) -> tuple[float, float, float]:
    """Slant range, central angle and elevation by intersecting the line of sight with
    the sphere: satellite at (0, r), direction (sin eta, -cos eta)."""
    r = R_KM + altitude_km
    eta = math.radians(off_nadir_deg)
    slant = r * math.cos(eta) - math.sqrt(R_KM**2 - (r * math.sin(eta)) ** 2)
    qx, qz = slant * math.sin(eta), r - slant * math.cos(eta)
    central = math.atan2(qx, qz)
    to_sat = np.array([-qx, r - qz])
    sin_el = to_sat @ np.array([qx, qz]) / (np.hypot(qx, qz) * np.linalg.norm(to_sat))
    return slant, math.degrees(central), math.degrees(math.asin(sin_el))


@pytest.mark.parametrize(("altitude", "eta", "slant", "central", "elevation"), VALLADO_11_1)
def test_vallado_example_11_1_field_of_view_edges(altitude, eta, slant, central, elevation):  # type: ignore[no-untyped-def]
    derived = _ray_sphere(altitude, eta)
    assert derived == pytest.approx((slant, central, elevation), abs=1e-6)
    g = look_geometry(altitude, off_nadir_deg=eta)
    assert abs(g.slant_range_km - slant) < ONE_MILLIMETRE_KM
    assert abs(g.central_angle_deg - central) < ONE_MICRODEGREE
    assert abs(g.elevation_deg - elevation) < ONE_MICRODEGREE
    assert g.ground_range_km == pytest.approx(math.radians(central) * R_KM, abs=1e-6)


def test_nadir_swath_of_the_25_degree_field_of_view_is_twice_the_edge_ground_range() -> None:
    edge = look_geometry(800.0, off_nadir_deg=12.5)
    swath_km = 2.0 * edge.ground_range_km
    assert swath_km == pytest.approx(2.0 * 177.928977, abs=1e-5)
    assert swath_half_angle_deg(swath_km, 800.0) == pytest.approx(12.5, abs=1e-9)


@pytest.mark.parametrize("altitude", [400.0, 800.0, 1000.0, 20200.0, 35786.0])
@pytest.mark.parametrize("elevation", [0.0, 5.0, 10.0, 30.0, 60.0, 89.0])
def test_the_three_ways_into_the_triangle_agree(altitude: float, elevation: float) -> None:
    by_el = look_geometry(altitude, elevation_deg=elevation)
    by_eta = look_geometry(altitude, off_nadir_deg=by_el.off_nadir_deg)
    by_range = look_geometry(altitude, ground_range_km=by_el.ground_range_km)
    for g in (by_eta, by_range):
        assert g.elevation_deg == pytest.approx(elevation, abs=1e-7)
        assert g.slant_range_km == pytest.approx(by_el.slant_range_km, rel=1e-9)
    # Angles of the triangle sum to 90 deg (Wertz eq. 5-17) and D by the law of cosines.
    assert by_el.off_nadir_deg + by_el.elevation_deg + by_el.central_angle_deg == pytest.approx(90)
    lam = math.radians(by_el.central_angle_deg)
    r = R_KM + altitude
    cosine_law = math.sqrt(R_KM**2 + r**2 - 2 * R_KM * r * math.cos(lam))
    assert by_el.slant_range_km == pytest.approx(cosine_law, rel=1e-9)


def test_horizon_of_an_800_km_satellite() -> None:
    g = look_geometry(800.0, elevation_deg=0.0)
    r = R_KM + 800.0
    assert g.off_nadir_deg == pytest.approx(math.degrees(math.asin(R_KM / r)), abs=1e-9)
    assert g.slant_range_km == pytest.approx(math.sqrt(r**2 - R_KM**2), rel=1e-12)
    assert g.off_nadir_deg == pytest.approx(62.691661, abs=1e-6)


BAD_LOOKS = [
    ({"off_nadir_deg": 70.0}, "off-nadir angle 70 deg misses the Earth: it must be between 0 and "
     "62.6917 deg (the Earth's angular radius) at 800 km", "beyond the limb"),
    ({"ground_range_km": 4000.0}, "ground range 4000 km is beyond the horizon (3040.0 km) at "
     "800 km", "beyond the horizon"),
    ({}, "give exactly one of off_nadir_deg, elevation_deg, ground_range_km", "nothing given"),
    ({"elevation_deg": 10.0, "off_nadir_deg": 10.0},
     "give exactly one of off_nadir_deg, elevation_deg, ground_range_km", "two given"),
]  # fmt: skip


@pytest.mark.parametrize(("kwargs", "message", "reason"), BAD_LOOKS, ids=[b[2] for b in BAD_LOOKS])
def test_impossible_lines_of_sight_are_rejected(kwargs, message, reason) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(GeometryError) as caught:
        look_geometry(800.0, **kwargs)
    assert str(caught.value) == message


# --- inner formulas -------------------------------------------------------------------------


def _satellite() -> tuple[np.ndarray, np.ndarray]:
    """A 700 km satellite over (40 N, 10 E) moving roughly north-west (ITRS)."""
    r = geodetic_to_itrs(np.array([40.0]), np.array([10.0]), np.array([700.0]))
    v = np.array([[-3.0], [-1.5], [6.4]])
    return r, v


def test_tan2_matches_the_angle_and_its_rate_matches_finite_differences() -> None:
    r, v = _satellite()
    lat = np.array([40.5, 42.0, 38.0, 45.0])
    lon = np.array([10.2, 8.0, 13.0, 20.0])
    q = geodetic_to_itrs(lat, lon)
    up = up_vector(lat, lon)
    rr = np.repeat(r, lat.size, axis=1)
    vv = np.repeat(v, lat.size, axis=1)
    t2, rate, sin_el, sin_rate = off_nadir_tan2(rr, vv, q, up)
    rho = q - rr
    cos_eta = np.sum(-rr * rho, axis=0) / (np.linalg.norm(rr, axis=0) * np.linalg.norm(rho, axis=0))
    assert np.tan(np.arccos(cos_eta)) ** 2 == pytest.approx(t2, rel=1e-12)
    h = 1e-3  # s
    t_plus, _, s_plus, _ = off_nadir_tan2(rr + h * vv, vv, q, up)
    t_minus, _, s_minus, _ = off_nadir_tan2(rr - h * vv, vv, q, up)
    assert rate == pytest.approx((t_plus - t_minus) / (2 * h), rel=1e-6)
    assert sin_rate == pytest.approx((s_plus - s_minus) / (2 * h), rel=1e-6)
    elevation = np.degrees(np.arcsin(sin_el))
    assert np.all(elevation > 0.0)


def test_closest_point_of_a_piece_is_the_smallest_angle_along_it() -> None:
    r, _ = _satellite()
    rng = np.random.default_rng(5)
    for _ in range(20):
        lat = 40.0 + rng.uniform(-4, 4, 2)
        lon = 10.0 + rng.uniform(-4, 4, 2)
        a, b = geodetic_to_itrs(lat, lon).T
        tau = np.linspace(0.0, 1.0, 20001)
        points = a[:, None] + tau * (b - a)[:, None]
        rho = points - r
        cos_eta = (-r[:, 0] @ rho) / (np.linalg.norm(r) * np.linalg.norm(rho, axis=0))
        best = points[:, int(np.argmax(cos_eta))]
        ups = up_vector(lat, lon)
        q, _ = closest_on_pieces(r, a[:, None], (b - a)[:, None], ups[:, :1], ups[:, 1:])
        assert np.linalg.norm(q[:, 0] - best) < 1e-3 * np.linalg.norm(b - a) + 1e-9


def test_geocentric_nadir_is_on_the_ellipsoid_below_the_satellite() -> None:
    r = geodetic_to_itrs(np.array([0.0, 45.0, 80.0]), np.array([0.0, 30.0, -120.0]),
                         np.array([700.0, 700.0, 35786.0]))  # fmt: skip
    lat, lon = geocentric_nadir_deg(r)
    ground = geodetic_to_itrs(lat, lon)
    _, _, height = itrs_to_geodetic(ground)
    assert np.all(np.abs(height) < ONE_MILLIMETRE_KM)
    cross = np.cross(ground.T, r.T)
    assert np.all(np.linalg.norm(cross, axis=1) / np.linalg.norm(r, axis=0) < 1e-6)
