"""The Sun over a search period, interpolated for many evaluations.

Evaluating the Sun's ITRS position is costly (nutation at every time), so a period's
Sun is evaluated once, on 10-minute nodes, and then interpolated (cubic Hermite with
velocities) for every elevation and sunlight test of the imaging search.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from spacepool.access.events import HermiteTable, find_intervals
from spacepool.orbits.frames import sun_itrs_km
from spacepool.orbits.timebase import TimeBase

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# Hermite nodes this far apart (s): the frames module interpolates the DE421 Sun on the
# same 10-minute nodes (multiples of 600 s from the period start), so node values are
# exact; velocities come from a +-1 s central difference of that interpolant.
SUN_STEP_S = 600.0


class SunTrack:
    """The Sun in ITRS over a period: Hermite interpolation of the DE421 Sun
    (:func:`spacepool.orbits.frames.sun_itrs_km`) on 10-minute nodes, with velocities."""

    def __init__(self, timebase: TimeBase, span_s: float) -> None:
        self.nodes = np.arange(-SUN_STEP_S, span_s + 2.0 * SUN_STEP_S, SUN_STEP_S)
        n = self.nodes.size
        both = sun_itrs_km(timebase, np.concatenate((self.nodes, self.nodes - 1.0,
                                                     self.nodes + 1.0)))  # fmt: skip
        pos, before, after = both[:, :n], both[:, n : 2 * n], both[:, 2 * n :]
        self.table = HermiteTable(self.nodes, pos[None], ((after - before) / 2.0)[None])

    def at(self, seconds: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Sun position (km) and velocity (km/s) at ``seconds``, ``(3, K)`` each."""
        s = np.asarray(seconds, dtype=np.float64)
        return self.table.states(np.zeros(s.size, dtype=np.int64), s)

    def elevation(
        self, pos: FloatArray, up: FloatArray, seconds: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Sine of the Sun's elevation at ground points ``pos``/``up`` ``(3, K)`` at
        ``seconds`` ``(K,)``, and its time derivative (1/s)."""
        sun, sun_v = self.at(seconds)
        rel = sun - pos
        dist = np.sqrt(np.einsum("ck,ck->k", rel, rel))
        sin_el = np.einsum("ck,ck->k", rel, up) / dist
        rate = (np.einsum("ck,ck->k", sun_v, up)
                - sin_el * np.einsum("ck,ck->k", rel, sun_v) / dist) / dist  # fmt: skip
        return sin_el, rate

    def intervals(
        self, pos: FloatArray, up: FloatArray, min_deg: FloatArray, tolerance_s: float
    ) -> tuple[IntArray, FloatArray, FloatArray]:
        """When the Sun is at least ``min_deg`` high at each point ``pos`` ``(3, P)``:
        ``(point, start, end)`` sorted by point and start."""
        t = self.nodes
        p = pos.shape[1]
        sin_min = np.sin(np.radians(min_deg))

        def evaluate(row: IntArray, at_s: FloatArray) -> tuple[FloatArray, FloatArray]:
            sin_el, rate = self.elevation(pos[:, row], up[:, row], at_s)
            return sin_el - sin_min[row], rate

        row = np.repeat(np.arange(p), t.size)
        times = np.tile(t, p)
        val, der = evaluate(row, times)
        found = find_intervals(
            t, val.reshape(p, t.size), der.reshape(p, t.size), evaluate, tolerance_s=tolerance_s
        )
        return found.row, found.start_s, found.end_s


__all__ = ["SUN_STEP_S", "SunTrack"]
