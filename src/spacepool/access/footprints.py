"""The covered part of an area during an imaging window.

During a window the sensor sweeps a strip: the ground track (geocentric nadir points
every :data:`FOOTPRINT_STEP_S`) buffered by the ground radius of the off-nadir limit
(spherical Earth of the local radius, mean over the window), with round ends for an
agile sensor or a field of view (the union of the footprint circles) and flat ends for
a push-broom (its first and last scan lines). It is built in the area's equal-area
plane, whose distances are true to 0.2 % within 800 km of the area's centre (0.5 %
within 1200 km), intersected with the area there, and brought back to lon/lat.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from spacepool.access.areas import EARTH_MEAN_RADIUS_KM, AreaTarget
from spacepool.access.events import HermiteTable
from spacepool.access.sensors import geocentric_nadir_deg
from spacepool.access.windows import expand_count
from spacepool.orbits.frames import geodetic_to_itrs

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

# Sample the track at most this far apart (s), and at most this many times a window.
FOOTPRINT_STEP_S = 10.0
FOOTPRINT_MAX_SAMPLES = 400
# Buffer arcs: segments per quarter circle (the inscribed 64-gon has 0.16 % less area
# than its circle).
QUAD_SEGMENTS = 16


def covered_parts(
    hermite: HermiteTable,
    sat: IntArray,
    start_s: FloatArray,
    end_s: FloatArray,
    half_angle_deg: FloatArray,
    push_broom: BoolArray,
    areas: Sequence[AreaTarget],
) -> list[tuple[float, BaseGeometry]]:
    """``(covered fraction, covered part)`` of each window (``(M,)`` arrays: the
    satellite's row in ``hermite``, start and end in its seconds, the sensor's off-nadir
    half-angle and whether it is a push-broom; ``areas[m]`` the window's area)."""
    planes = _covered_planes(hermite, sat, start_s, end_s, half_angle_deg, push_broom, areas)
    return [
        (fraction, area.from_plane(plane))
        for (fraction, plane), area in zip(planes, areas, strict=True)
    ]


def covered_fractions(
    hermite: HermiteTable,
    sat: IntArray,
    start_s: FloatArray,
    end_s: FloatArray,
    half_angle_deg: FloatArray,
    push_broom: BoolArray,
    areas: Sequence[AreaTarget],
) -> list[float]:
    """The covered fraction of each window, as :func:`covered_parts` computes it,
    without bringing the covered part back to lon/lat (most of the cost when only the
    fraction is wanted)."""
    planes = _covered_planes(hermite, sat, start_s, end_s, half_angle_deg, push_broom, areas)
    return [fraction for fraction, _ in planes]


def _covered_planes(
    hermite: HermiteTable,
    sat: IntArray,
    start_s: FloatArray,
    end_s: FloatArray,
    half_angle_deg: FloatArray,
    push_broom: BoolArray,
    areas: Sequence[AreaTarget],
) -> list[tuple[float, BaseGeometry]]:
    """``(covered fraction, covered part in the area's plane)`` of each window
    (arguments as :func:`covered_parts`)."""
    if sat.size == 0:
        return []
    duration = end_s - start_s
    count = np.clip(np.ceil(duration / FOOTPRINT_STEP_S).astype(np.int64) + 1, 2,
                    FOOTPRINT_MAX_SAMPLES)  # fmt: skip
    owner, k = expand_count(count)
    times = start_s[owner] + k / (count[owner] - 1) * duration[owner]
    r, _ = hermite.states(sat[owner], times)
    lat, lon = geocentric_nadir_deg(r)
    ground = geodetic_to_itrs(lat, lon)
    radius = np.sqrt(np.einsum("ck,ck->k", ground, ground))
    dist = np.sqrt(np.einsum("ck,ck->k", r, r))
    eta = np.radians(half_angle_deg[owner])
    ratio = np.clip(dist * np.sin(eta) / radius, -1.0, 1.0)
    reach = np.where(ratio < 1.0, np.arcsin(ratio) - eta, np.arccos(radius / dist))
    starts = np.cumsum(count) - count
    out = []
    for j, area in enumerate(areas):
        sl = slice(int(starts[j]), int(starts[j] + count[j]))
        if push_broom[j]:
            outline = _scan_lines(lat[sl], lon[sl], reach[sl], area)
        else:
            outline = _circles(lat[sl], lon[sl], reach[sl], area)
        plane = shapely.intersection(outline, area.projected)
        fraction = float(plane.area / area.area_km2) if area.area_km2 > 0 else 0.0
        out.append((min(fraction, 1.0), plane))
    return out


def _circles(
    lat: FloatArray, lon: FloatArray, reach_rad: FloatArray, area: AreaTarget
) -> BaseGeometry:
    """The ground track buffered by the footprint radius (mean over the window; round
    ends), in the area's plane: the union of the footprint circles along the track."""
    xy = area.project(lon, lat).T
    radius = float(np.mean(reach_rad)) * EARTH_MEAN_RADIUS_KM
    track = shapely.linestrings(xy) if xy.shape[0] > 1 else shapely.points(xy[0])
    return shapely.buffer(track, radius, quad_segs=QUAD_SEGMENTS)


def _scan_lines(
    lat: FloatArray, lon: FloatArray, reach_rad: FloatArray, area: AreaTarget
) -> BaseGeometry:
    """The ground track buffered by the half swath with flat ends (the first and last
    scan lines, square to the track), in the area's plane."""
    xy = area.project(lon, lat).T
    radius = float(np.mean(reach_rad)) * EARTH_MEAN_RADIUS_KM
    if xy.shape[0] < 2 or not np.any(np.ptp(xy, axis=0) > 0.0):
        return shapely.Polygon()
    return shapely.buffer(shapely.linestrings(xy), radius, cap_style="flat",
                          quad_segs=QUAD_SEGMENTS)  # fmt: skip


__all__ = [
    "FOOTPRINT_MAX_SAMPLES",
    "FOOTPRINT_STEP_S",
    "QUAD_SEGMENTS",
    "covered_fractions",
    "covered_parts",
]
