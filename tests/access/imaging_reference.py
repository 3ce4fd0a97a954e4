"""A brute-force imaging-window finder, written independently of spacepool's engine.

Scans every second whether a satellite can image a target (any of a set of ground
points), then refines every change of that condition by bisection to 1 ms, and every
local minimum of the off-nadir angle by golden-section search to 1 ms, so that
windows shorter than the scan step are found too. Satellite positions come straight
from ``sgp4`` with Skyfield's TEME -> ITRF rotation and time scale; ground points from
Skyfield's ``wgs84``; the Sun from Skyfield's DE421 ``altaz``. Nothing here imports
spacepool. Slow but simple: a reference for tests, not a product.

Definitions (the contract's): off-nadir angle at the satellite between the direction
to the Earth's centre and the line of sight; the target is usable when the satellite
is above its geodetic horizon, the off-nadir angle is at most the limit, and (when
given) the Sun is at least the given elevation at the Sun point.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import numpy as np
from sgp4.api import Satrec
from skyfield.api import load, wgs84
from skyfield.sgp4lib import TEME_to_ITRF

TS = load.timescale(builtin=True)
ONE_MS_S = 1e-3
_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


@dataclass(frozen=True)
class RefWindow:
    start_s: float  # seconds after the scan start
    end_s: float
    best_s: float
    min_off_nadir_deg: float


def ground_points(
    lat_deg: np.ndarray, lon_deg: np.ndarray, height_m: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """ITRS positions (km) and geodetic up vectors of ground points, ``(3, P)`` each."""
    lat = np.atleast_1d(np.asarray(lat_deg, dtype=np.float64))
    lon = np.atleast_1d(np.asarray(lon_deg, dtype=np.float64))
    pos = np.asarray(wgs84.latlon(lat, lon, height_m).itrs_xyz.km).reshape(3, -1)
    la, lo = np.radians(lat), np.radians(lon)
    up = np.stack((np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)))
    return pos, up


class Scene:
    """One satellite over a set of ground points."""

    def __init__(
        self,
        line1: str,
        line2: str,
        start: datetime,
        points: tuple[np.ndarray, np.ndarray],
        max_off_nadir_deg: float,
        sun: tuple[float, float, float] | None = None,
        min_off_nadir_deg: float = 0.0,
    ) -> None:
        """``sun``: ``(latitude, longitude, min_elevation_deg)`` of the Sun check;
        ``min_off_nadir_deg``: points nearer nadir than this are not usable."""
        self.sat = Satrec.twoline2rv(line1, line2)
        self.start = start
        self.pos, self.up = points
        self.limit = max_off_nadir_deg
        self.inner = min_off_nadir_deg
        unix_days = start.timestamp() / 86400.0
        self.jd_whole = 2440587.5 + np.floor(unix_days)
        self.jd_fraction = unix_days - np.floor(unix_days)
        self.sun = sun
        if sun is not None:
            self.eph = load_de421()
            self.topos = wgs84.latlon(sun[0], sun[1])

    def times(self, seconds: np.ndarray):  # type: ignore[no-untyped-def]
        t0 = self.start
        return TS.utc(t0.year, t0.month, t0.day, t0.hour, t0.minute,
                      t0.second + t0.microsecond * 1e-6 + seconds)  # fmt: skip

    def satellite_km(self, seconds: np.ndarray) -> np.ndarray:
        s = np.atleast_1d(np.asarray(seconds, dtype=np.float64))
        t = self.times(s)
        err, r, v = self.sat.sgp4_array(np.full(s.shape, self.jd_whole),
                                        self.jd_fraction + s / 86400.0)  # fmt: skip
        r_itrs, _ = TEME_to_ITRF(t.whole, r.T, v.T, fraction_ut1=t.ut1_fraction)
        r_itrs = np.asarray(r_itrs).reshape(3, -1)
        r_itrs[:, err != 0] = np.nan
        return r_itrs

    def point_off_nadir(self, seconds: np.ndarray) -> np.ndarray:
        """Off-nadir angle (deg) of every point, inf where hidden: ``(P, K)``."""
        r = self.satellite_km(seconds)  # (3, K)
        rho = self.pos[:, :, None] - r[:, None, :]  # (3, P, K)
        nadir = -r / np.linalg.norm(r, axis=0)
        cos_eta = np.einsum("ck,cpk->pk", nadir, rho) / np.linalg.norm(rho, axis=0)
        eta = np.degrees(np.arccos(np.clip(cos_eta, -1.0, 1.0)))
        visible = np.einsum("cp,cpk->pk", self.up, -rho) >= 0.0
        return np.where(visible, eta, np.inf)

    def off_nadir(self, seconds: np.ndarray) -> np.ndarray:
        """Smallest off-nadir angle (deg) over the visible points; inf if none visible."""
        return self.point_off_nadir(seconds).min(axis=0)

    def maybe_visible(self, seconds: np.ndarray) -> np.ndarray:
        """False where no point can be above the horizon: the satellite is farther
        (geocentric angle) from the points' centre than the farthest point plus the
        horizon's central angle over a sphere of the polar radius, plus 1 deg."""
        r = self.satellite_km(seconds)
        unit = self.pos / np.linalg.norm(self.pos, axis=0)
        centre = unit.mean(axis=1)
        centre /= np.linalg.norm(centre)
        spread = np.arccos(np.clip(centre @ unit, -1.0, 1.0)).max()
        dist = np.linalg.norm(r, axis=0)
        horizon = np.arccos(np.clip(6356.752 / dist, -1.0, 1.0))
        angle = np.arccos(np.clip(centre @ r / dist, -1.0, 1.0))
        return ~(angle > spread + horizon + np.radians(1.0))

    def sun_elevation(self, seconds: np.ndarray) -> np.ndarray:
        t = self.times(np.atleast_1d(seconds))
        observer = self.eph["earth"] + self.topos
        alt, _, _ = observer.at(t).observe(self.eph["sun"]).apparent().altaz()
        return np.asarray(alt.degrees)

    def usable(self, seconds: np.ndarray) -> np.ndarray:
        eta = self.point_off_nadir(seconds)
        ok = np.any((eta <= self.limit) & (eta >= self.inner), axis=0)
        if self.sun is not None and ok.any():
            # The Sun only where the geometry allows imaging (the expensive part).
            where = np.flatnonzero(ok)
            ok[where] = self.sun_elevation(np.atleast_1d(seconds)[where]) >= self.sun[2]
        return ok


@lru_cache(maxsize=1)
def load_de421():  # type: ignore[no-untyped-def]
    """DE421 from the skyfield-data package folder (never downloads); opened once."""
    from pathlib import Path

    import skyfield_data
    from skyfield.api import Loader

    folder = Path(skyfield_data.__file__).resolve().parent / "data"
    return Loader(str(folder), verbose=False)("de421.bsp")


def _bisect(scene: Scene, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Change of ``usable`` between ``lo`` and ``hi`` (they differ), to 1 ms."""
    lo, hi = lo.copy(), hi.copy()
    lo_ok = scene.usable(lo)
    while np.any(hi - lo > ONE_MS_S):
        mid = 0.5 * (lo + hi)
        same = scene.usable(mid) == lo_ok
        lo = np.where(same, mid, lo)
        hi = np.where(same, hi, mid)
    return 0.5 * (lo + hi)


def _golden_min(scene: Scene, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Minimum of the off-nadir angle in each [lo, hi], to 1 ms."""
    a, b = lo.copy(), hi.copy()
    c = b - _GOLDEN * (b - a)
    d = a + _GOLDEN * (b - a)
    fc, fd = scene.off_nadir(c), scene.off_nadir(d)
    while np.any(b - a > ONE_MS_S):
        left = fc < fd
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        new_c = b - _GOLDEN * (b - a)
        new_d = a + _GOLDEN * (b - a)
        c_next = np.where(left, new_c, d)
        d_next = np.where(left, c, new_d)
        fc_next = np.where(left, scene.off_nadir(new_c), fd)
        fd_next = np.where(left, fc, scene.off_nadir(new_d))
        c, d, fc, fd = c_next, d_next, fc_next, fd_next
    return 0.5 * (a + b)


def reference_windows(scene: Scene, duration_s: float) -> list[RefWindow]:
    """Every window in ``[0, duration_s]``: 1-s scan, 1-ms refinement."""
    grid = np.arange(int(np.floor(duration_s)) + 1, dtype=np.float64)
    if grid[-1] < duration_s:
        grid = np.append(grid, duration_s)
    # Full evaluation only where some point may be visible (the rest is inf anyway).
    maybe = np.concatenate([scene.maybe_visible(grid[i : i + 20000])
                            for i in range(0, grid.size, 20000)])  # fmt: skip
    eta = np.full(grid.size, np.inf)
    where = np.flatnonzero(maybe)
    for i in range(0, where.size, 5000):
        eta[where[i : i + 5000]] = scene.off_nadir(grid[where[i : i + 5000]])
    # Local minima of the scan: refined, they catch windows shorter than a second.
    finite = np.isfinite(eta)
    i = np.flatnonzero((eta[1:-1] < eta[:-2]) & (eta[1:-1] <= eta[2:]) & finite[1:-1]) + 1
    minima = _golden_min(scene, grid[i - 1], grid[i + 1]) if i.size else np.zeros(0)
    t_all = np.concatenate((grid, minima))
    order = np.argsort(t_all, kind="stable")
    t_all = t_all[order]
    ok = np.zeros(t_all.size, dtype=bool)
    near = np.flatnonzero(np.isin(t_all, grid[where]) | ~np.isin(t_all, grid))
    for i in range(0, near.size, 5000):
        ok[near[i : i + 5000]] = scene.usable(t_all[near[i : i + 5000]])
    k = np.flatnonzero(ok[:-1] != ok[1:])
    roots = _bisect(scene, t_all[k], t_all[k + 1]) if k.size else np.zeros(0)
    rising = ok[k + 1]
    spans: list[tuple[float, float]] = []
    begin: float | None = 0.0 if ok[0] else None
    for t, is_rise in zip(roots, rising, strict=True):
        if is_rise:
            begin = float(t)
        elif begin is not None:
            spans.append((begin, float(t)))
            begin = None
    if begin is not None:
        spans.append((begin, float(duration_s)))
    out = []
    for a, b in spans:
        inside = t_all[(t_all >= a) & (t_all <= b)]
        cand = np.concatenate(([a, b], inside))
        values = scene.off_nadir(cand)
        # Refine the best sample's neighbourhood, clipped to the window.
        j = int(np.argmin(values))
        lo, hi = max(a, cand[j] - 1.0), min(b, cand[j] + 1.0)
        t_best = float(_golden_min(scene, np.array([lo]), np.array([hi]))[0])
        cand = np.append(cand, t_best)
        values = np.append(values, scene.off_nadir(np.array([t_best])))
        j = int(np.argmin(values))
        out.append(RefWindow(a, b, float(cand[j]), float(values[j])))
    return out
