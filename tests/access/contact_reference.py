"""A brute-force pass finder, written independently of spacepool's engine.

Scans elevation every second, then refines every crossing of the mask by bisection
to 1 ms, and every local maximum of the scan by golden-section search to 1 ms — so
that passes shorter than the scan step are found too. Positions come straight from
``sgp4`` with Skyfield's TEME -> ITRF rotation and time scale; the station from
Skyfield's ``wgs84``. Nothing here imports spacepool. Slow but simple: a reference
for tests and benchmarks, not a product.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from sgp4.api import Satrec
from skyfield.api import load, wgs84
from skyfield.sgp4lib import TEME_to_ITRF

TS = load.timescale(builtin=True)
ONE_MS_S = 1e-3
_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


@dataclass(frozen=True)
class RefPass:
    aos_s: float  # seconds after the window start
    tca_s: float
    los_s: float
    max_elevation_deg: float
    truncated_start: bool
    truncated_end: bool


class Elevation:
    """Elevation (deg) of one satellite above one site's geodetic horizon."""

    def __init__(
        self, line1: str, line2: str, lat_deg: float, lon_deg: float, alt_m: float, start: datetime
    ) -> None:
        self.sat = Satrec.twoline2rv(line1, line2)
        site = wgs84.latlon(lat_deg, lon_deg, alt_m)
        self.site_km = np.asarray(site.itrs_xyz.km)
        lat, lon = np.radians(lat_deg), np.radians(lon_deg)
        self.up = np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
        self.start = start
        unix_days = (start - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() / 86400.0
        self.jd0_whole = 2440587.5 + np.floor(unix_days)
        self.jd0_fraction = unix_days - np.floor(unix_days)

    def __call__(self, seconds: np.ndarray) -> np.ndarray:
        r_itrs, err = self.positions(seconds)
        el = self.from_positions(r_itrs)
        el[err != 0] = np.nan
        return el

    def from_positions(self, r_itrs: np.ndarray) -> np.ndarray:
        """Elevation (deg) of ITRS positions ``(3, N)`` (km)."""
        rho = r_itrs - self.site_km[:, None]
        return np.degrees(np.arcsin(self.up @ rho / np.linalg.norm(rho, axis=0)))

    def positions(self, seconds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ITRS positions ``(3, N)`` (km) and SGP4 error codes at ``seconds``."""
        s = np.atleast_1d(np.asarray(seconds, dtype=np.float64))
        t0 = self.start
        t = TS.utc(t0.year, t0.month, t0.day, t0.hour, t0.minute, t0.second + s)
        # SGP4 takes UTC Julian dates (as Skyfield's EarthSatellite does).
        whole = np.full(s.shape, self.jd0_whole)
        err, r, v = self.sat.sgp4_array(whole, self.jd0_fraction + s / 86400.0)
        r_itrs, _ = TEME_to_ITRF(t.whole, r.T, v.T, fraction_ut1=t.ut1_fraction)
        return r_itrs, err


def _bisect(f: Elevation, mask: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Roots of f - mask in [lo, hi] (opposite signs at the ends), to 1 ms."""
    lo, hi = lo.copy(), hi.copy()
    lo_above = f(lo) >= mask
    while np.any(hi - lo > ONE_MS_S):
        mid = 0.5 * (lo + hi)
        above = f(mid) >= mask
        go_hi = above == lo_above
        lo = np.where(go_hi, mid, lo)
        hi = np.where(go_hi, hi, mid)
    return 0.5 * (lo + hi)


def _golden_max(f: Elevation, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Maximum of a unimodal f in [lo, hi], to 1 ms."""
    a, b = lo.copy(), hi.copy()
    c = b - _GOLDEN * (b - a)
    d = a + _GOLDEN * (b - a)
    fc, fd = f(c), f(d)
    while np.any(b - a > ONE_MS_S):
        left = fc > fd
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        new_c = b - _GOLDEN * (b - a)
        new_d = a + _GOLDEN * (b - a)
        c_next = np.where(left, new_c, d)
        d_next = np.where(left, c, new_d)
        fc_next = np.where(left, f(new_c), fd)
        fd_next = np.where(left, fc, f(new_d))
        c, d, fc, fd = c_next, d_next, fc_next, fd_next
    return 0.5 * (a + b)


def scan_seconds(duration_s: float) -> np.ndarray:
    """The 1-s scan grid over ``[0, duration_s]`` (end included)."""
    grid = np.arange(int(np.floor(duration_s)) + 1, dtype=np.float64)
    return grid if grid[-1] >= duration_s else np.append(grid, duration_s)


def reference_passes(
    f: Elevation, mask_deg: float, duration_s: float, scan: np.ndarray | None = None
) -> list[RefPass]:
    """Every pass above ``mask_deg`` in ``[0, duration_s]`` (1-s scan, 1-ms refinement).

    ``scan``: the elevation on :func:`scan_seconds` if already computed (e.g. from
    positions shared by several sites).
    """
    grid = scan_seconds(duration_s)
    el = f(grid) if scan is None else scan
    above = el >= mask_deg
    # Local maxima of the scan (interior samples), refined: catches sub-second passes.
    i = np.flatnonzero((el[1:-1] > el[:-2]) & (el[1:-1] >= el[2:])) + 1
    peaks = _golden_max(f, grid[i - 1], grid[i + 1]) if i.size else np.zeros(0)
    peak_el = f(peaks) if i.size else np.zeros(0)
    # Breakpoints: scan samples plus refined maxima, in time order.
    t_all = np.concatenate((grid, peaks))
    el_all = np.concatenate((el, peak_el))
    order = np.argsort(t_all, kind="stable")
    t_all, el_all = t_all[order], el_all[order]
    up = el_all >= mask_deg
    k = np.flatnonzero(up[:-1] != up[1:])
    roots = _bisect(f, mask_deg, t_all[k], t_all[k + 1]) if k.size else np.zeros(0)
    rising = up[k + 1]
    events = [(t, bool(r)) for t, r in zip(roots, rising, strict=True)]
    passes = []
    start: float | None = 0.0 if above[0] else None
    for t, is_rise in events:
        if is_rise:
            start = t
        elif start is not None:
            passes.append((start, t, start == 0.0 and above[0], False))
            start = None
    if start is not None:
        passes.append((start, duration_s, start == 0.0 and above[0], True))
    out = []
    for aos, los, trunc_start, trunc_end in passes:
        inside = (t_all >= aos) & (t_all <= los)
        cand_t = np.concatenate(([aos, los], t_all[inside]))
        cand_el = np.concatenate((f(np.array([aos, los])), el_all[inside]))
        best = int(np.nanargmax(cand_el))
        out.append(RefPass(aos, cand_t[best], los, float(cand_el[best]), trunc_start, trunc_end))
    return out


def as_datetime(start: datetime, seconds: float) -> datetime:
    return start + timedelta(seconds=seconds)


class Margin:
    """Elevation minus an azimuth-dependent mask (deg), for :func:`reference_passes`
    with ``mask_deg=0``: the larger of ``floor_deg`` and the table
    ``((azimuth_deg, elevation_deg), ...)`` interpolated linearly with wrap-around."""

    def __init__(self, f: Elevation, floor_deg: float, table: tuple[tuple[float, float], ...]):
        self.f = f
        self.floor_deg = floor_deg
        self.az_pts, self.el_pts = np.array(sorted(table), dtype=np.float64).T
        lon = np.arctan2(f.up[1], f.up[0])
        self.east = np.array([-np.sin(lon), np.cos(lon), 0.0])
        self.north = np.cross(f.up, self.east)

    def __call__(self, seconds: np.ndarray) -> np.ndarray:
        r_itrs, err = self.f.positions(seconds)
        rho = r_itrs - self.f.site_km[:, None]
        el = np.degrees(np.arcsin(self.f.up @ rho / np.linalg.norm(rho, axis=0)))
        az = np.degrees(np.arctan2(self.east @ rho, self.north @ rho)) % 360.0
        mask = np.maximum(self.floor_deg, np.interp(az, self.az_pts, self.el_pts, period=360.0))
        margin = el - mask
        margin[err != 0] = np.nan
        return margin
