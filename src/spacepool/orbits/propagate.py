"""Batched SGP4 propagation into the Earth-fixed frame.

One :class:`Propagator` holds the ``sgp4`` records of many satellites. ``grid``
evaluates all satellites at all times in one ``SatrecArray`` call (the C++
SGP4 of Vallado et al. 2006, as shipped by the ``sgp4`` package), then rotates
TEME -> ITRS. ``at`` evaluates each satellite at its own times, which the event
refinement needs.

A bad row becomes an error code and NaNs, never an exception that kills the
batch (as ``sgp4_array`` does); :meth:`Ephemeris.failures` reports each failing
satellite once with the SGP4 meaning of its code.

Shapes: satellites first, then components, then time: ``(S, 3, N)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sgp4.api import SatrecArray
from skyfield.sgp4lib import theta_GMST1982

from spacepool.errors import PropagationError
from spacepool.orbits.elements import ElementSet
from spacepool.orbits.timebase import TimeBase

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# Satellites per SGP4 call in grid(): measured fastest between 64 and 512 on 1,000 to
# 15,000 objects (the (block, N, 3) outputs then stay in cache for the rotation).
_BLOCK_SATELLITES = 256

# Meanings of SGP4 error codes, from the sgp4 package documentation (sgp4/api.py,
# SGP4_ERRORS) and Vallado et al. 2006, sgp4unit.cpp comments.
SGP4_ERRORS: dict[int, str] = {
    1: "mean eccentricity is outside the range 0 <= e < 1",
    2: "mean motion has fallen below zero",
    3: "perturbed eccentricity is outside the range 0 <= e <= 1",
    4: "length of the orbit's semi-latus rectum has fallen below zero",
    5: "(no longer used)",
    6: "mean motion has decayed below the Earth's surface (satellite has decayed)",
}


@dataclass(frozen=True)
class Ephemeris:
    """States of ``S`` satellites at ``N`` times.

    ``seconds``: ``(N,)`` seconds since ``timebase.t0``.
    ``r_itrs_km``, ``v_itrs_km_s``: ``(S, 3, N)``, NaN where SGP4 failed.
    ``error``: ``(S, N)`` SGP4 error codes (0 = fine).
    """

    elements: tuple[ElementSet, ...]
    timebase: TimeBase
    seconds: FloatArray
    r_itrs_km: FloatArray
    v_itrs_km_s: FloatArray
    error: NDArray[np.uint8]

    def failures(self) -> list[PropagationError]:
        """One :class:`PropagationError` per satellite that failed somewhere."""
        out: list[PropagationError] = []
        bad = np.flatnonzero(self.error.any(axis=1))
        for k in bad:
            code = int(self.error[k][self.error[k] != 0][0])
            out.append(
                PropagationError(
                    satellite=self.elements[k].label,
                    error_code=code,
                    meaning=SGP4_ERRORS.get(code, "unknown SGP4 error"),
                )
            )
        return out


class Propagator:
    """SGP4 for a fixed list of element sets on one time base."""

    def __init__(self, elements: Sequence[ElementSet], timebase: TimeBase) -> None:
        self.elements = tuple(elements)
        self.timebase = timebase
        self._satrecs = [e.satrec() for e in self.elements]
        self._array = SatrecArray(self._satrecs) if self._satrecs else None
        # Blocks of satellites for grid(): each block's SGP4 output and rotation stay
        # small enough for the CPU cache instead of streaming catalogue-sized temporaries.
        self._blocks = [
            (a, min(a + _BLOCK_SATELLITES, len(self._satrecs)),
             SatrecArray(self._satrecs[a : a + _BLOCK_SATELLITES]))
            for a in range(0, len(self._satrecs), _BLOCK_SATELLITES)
        ]  # fmt: skip

    def __len__(self) -> int:
        return len(self.elements)

    def grid(
        self,
        seconds: FloatArray,
        *,
        out: tuple[FloatArray, FloatArray, NDArray[np.uint8]] | None = None,
    ) -> Ephemeris:
        """All satellites at all ``seconds`` (shape ``(N,)``).

        ``out``: arrays ``(S, 3, N)``, ``(S, 3, N)``, ``(S, N)`` to write the states and
        error codes into (e.g. shared memory), which the result then holds.
        """
        s = np.ascontiguousarray(seconds, dtype=np.float64)
        n_sat = len(self.elements)
        if out is None:
            out = (np.empty((n_sat, 3, s.size)), np.empty((n_sat, 3, s.size)),
                   np.empty((n_sat, s.size), dtype=np.uint8))  # fmt: skip
        r_itrs, v_itrs, error = out
        if self._array is None or s.size == 0:
            r_itrs[...] = 0.0
            v_itrs[...] = 0.0
            error[...] = 0
            return Ephemeris(self.elements, self.timebase, s, r_itrs, v_itrs, error)
        jd, fr = self.timebase.jd_utc(s)
        ut1_w, ut1_f = self.timebase.jd_ut1(s)
        theta, theta_dot = theta_GMST1982(ut1_w, ut1_f)
        c, sn = np.cos(theta), np.sin(theta)
        omega = theta_dot / 86400.0  # rad/s; theta_dot is radians per day
        for a, b, array in self._blocks:
            e, r, v = array.sgp4(jd, fr)  # (B, N), (B, N, 3), (B, N, 3) TEME
            error[a:b] = e
            _rotate_into(r, v, c, sn, omega, r_itrs[a:b], v_itrs[a:b])
        return Ephemeris(self.elements, self.timebase, s, r_itrs, v_itrs, error)

    def at(
        self, sat_index: IntArray, seconds: FloatArray
    ) -> tuple[FloatArray, FloatArray, NDArray[np.uint8]]:
        """Satellite ``sat_index[k]`` at ``seconds[k]`` for every ``k``.

        Returns ``(r_itrs_km (3, K), v_itrs_km_s (3, K), error (K,))``. One
        vectorised ``sgp4_array`` call per distinct satellite, on contiguous slices of
        the requests sorted by satellite; one rotation for all.
        """
        idx = np.asarray(sat_index, dtype=np.int64)
        s = np.asarray(seconds, dtype=np.float64)
        k = idx.size
        if k == 0:
            return np.empty((3, 0)), np.empty((3, 0)), np.zeros(0, dtype=np.uint8)
        order = np.argsort(idx, kind="stable")
        sorted_idx = idx[order]
        sorted_s = s[order]
        starts = np.flatnonzero(np.diff(sorted_idx, prepend=-1))
        ends = np.append(starts[1:], k)
        jd, fr = self.timebase.jd_utc(sorted_s)
        r = np.empty((k, 3))
        v = np.empty((k, 3))
        err = np.empty(k, dtype=np.uint8)
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            err[a:b], r[a:b], v[a:b] = self._satrecs[int(sorted_idx[a])].sgp4_array(
                jd[a:b], fr[a:b]
            )
        ut1_w, ut1_f = self.timebase.jd_ut1(sorted_s)
        theta, theta_dot = theta_GMST1982(ut1_w, ut1_f)
        r_itrs = np.empty((3, k))
        v_itrs = np.empty((3, k))
        # The inverse permutation puts every request back in its place.
        _rotate_into(
            r[None], v[None], np.cos(theta), np.sin(theta), theta_dot / 86400.0,
            r_itrs[None], v_itrs[None], order,
        )  # fmt: skip
        out_err = np.empty(k, dtype=np.uint8)
        out_err[order] = err
        return r_itrs, v_itrs, out_err


def _rotate_into(
    r: FloatArray,
    v: FloatArray,
    c: FloatArray,
    sn: FloatArray,
    omega: FloatArray,
    r_out: FloatArray,
    v_out: FloatArray,
    place: IntArray | None = None,
) -> None:
    """TEME ``(B, N, 3)`` -> ITRS written into ``(B, 3, N)`` outputs, no temporaries
    beyond one ``(B, N)`` buffer. Same rotation as :func:`frames.teme_to_itrs`. With
    ``place`` (``(N,)``), time ``n`` of the inputs goes to column ``place[n]``."""
    x, y = r[:, :, 0], r[:, :, 1]
    vx, vy = v[:, :, 0], v[:, :, 1]
    if place is None:  # straight into the outputs
        xr, yr, vxr, vyr = r_out[:, 0, :], r_out[:, 1, :], v_out[:, 0, :], v_out[:, 1, :]
    else:
        xr, yr, vxr, vyr = (np.empty_like(x) for _ in range(4))
    tmp = np.empty_like(x)
    np.multiply(x, c, out=xr)
    xr += np.multiply(y, sn, out=tmp)
    np.multiply(y, c, out=yr)
    yr -= np.multiply(x, sn, out=tmp)
    np.multiply(vx, c, out=vxr)
    vxr += np.multiply(vy, sn, out=tmp)
    vxr += np.multiply(yr, omega, out=tmp)
    np.multiply(vy, c, out=vyr)
    vyr -= np.multiply(vx, sn, out=tmp)
    vyr -= np.multiply(xr, omega, out=tmp)
    if place is None:
        r_out[:, 2, :] = r[:, :, 2]
        v_out[:, 2, :] = v[:, :, 2]
        return
    r_out[:, 0, place], r_out[:, 1, place], r_out[:, 2, place] = xr, yr, r[:, :, 2]
    v_out[:, 0, place], v_out[:, 1, place], v_out[:, 2, place] = vxr, vyr, v[:, :, 2]


def propagate(elements: Sequence[ElementSet], timebase: TimeBase, seconds: FloatArray) -> Ephemeris:
    """Convenience: ``Propagator(elements, timebase).grid(seconds)``."""
    return Propagator(elements, timebase).grid(seconds)
