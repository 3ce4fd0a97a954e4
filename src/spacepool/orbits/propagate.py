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

from spacepool.errors import PropagationError
from spacepool.orbits.elements import ElementSet
from spacepool.orbits.frames import teme_to_itrs
from spacepool.orbits.timebase import TimeBase

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

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

    def __len__(self) -> int:
        return len(self.elements)

    def grid(self, seconds: FloatArray) -> Ephemeris:
        """All satellites at all ``seconds`` (shape ``(N,)``)."""
        s = np.ascontiguousarray(seconds, dtype=np.float64)
        n_sat = len(self.elements)
        if self._array is None or s.size == 0:
            empty = np.zeros((n_sat, 3, s.size))
            return Ephemeris(
                self.elements, self.timebase, s, empty, empty.copy(),
                np.zeros((n_sat, s.size), np.uint8),
            )  # fmt: skip
        jd, fr = self.timebase.jd_utc(s)
        e, r, v = self._array.sgp4(jd, fr)
        # (S, N, 3) -> (S, 3, N)
        r_teme = np.moveaxis(r, 2, 1)
        v_teme = np.moveaxis(v, 2, 1)
        ut1_w, ut1_f = self.timebase.jd_ut1(s)
        r_itrs, v_itrs = teme_to_itrs(r_teme, v_teme, ut1_w, ut1_f)
        return Ephemeris(self.elements, self.timebase, s, r_itrs, v_itrs, e.astype(np.uint8))

    def at(
        self, sat_index: IntArray, seconds: FloatArray
    ) -> tuple[FloatArray, FloatArray, NDArray[np.uint8]]:
        """Satellite ``sat_index[k]`` at ``seconds[k]`` for every ``k``.

        Returns ``(r_itrs_km (3, K), v_itrs_km_s (3, K), error (K,))``. One
        vectorised ``sgp4_array`` call per distinct satellite.
        """
        idx = np.asarray(sat_index, dtype=np.int64)
        s = np.asarray(seconds, dtype=np.float64)
        k = idx.size
        r_teme = np.empty((3, k))
        v_teme = np.empty((3, k))
        err = np.zeros(k, dtype=np.uint8)
        if k == 0:
            return r_teme, v_teme, err
        order = np.argsort(idx, kind="stable")
        sorted_idx = idx[order]
        starts = np.flatnonzero(np.r_[True, np.diff(sorted_idx) != 0])
        ends = np.r_[starts[1:], k]
        jd, fr = self.timebase.jd_utc(s)
        for a, b in zip(starts, ends, strict=True):
            sel = order[a:b]
            sat = self._satrecs[int(sorted_idx[a])]
            e, r, v = sat.sgp4_array(jd[sel], fr[sel])
            r_teme[:, sel] = r.T
            v_teme[:, sel] = v.T
            err[sel] = e
        ut1_w, ut1_f = self.timebase.jd_ut1(s)
        r_itrs, v_itrs = teme_to_itrs(r_teme, v_teme, ut1_w, ut1_f)
        return r_itrs, v_itrs, err


def propagate(elements: Sequence[ElementSet], timebase: TimeBase, seconds: FloatArray) -> Ephemeris:
    """Convenience: ``Propagator(elements, timebase).grid(seconds)``."""
    return Propagator(elements, timebase).grid(seconds)
