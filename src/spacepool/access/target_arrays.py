"""Imaging targets as flat arrays, and the off-nadir functions evaluated over them.

Points and areas are flattened into candidate points (a point target's position; an
area's boundary vertices) and straight boundary pieces, grouped by target, so that one
vectorised evaluation serves many (satellite state, target) entries. Long boundaries
are split into blocks with bounding caps so that an evaluation skips the blocks that
cannot hold the point nearest nadir. See :mod:`spacepool.access.imaging` for the
functions' meaning.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from spacepool.access.areas import AreaTarget, PointTarget
from spacepool.access.sensors import closest_on_pieces, geocentric_nadir_deg, off_nadir_tan2
from spacepool.access.windows import expand_count
from spacepool.orbits.frames import geodetic_to_itrs, up_vector

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

Target = PointTarget | AreaTarget

# Margin of the distance pre-filter: the largest geodetic/geocentric vertical deflection
# on WGS84 (0.19 deg) rounded up, plus the chord sag of 10 km boundary pieces.
PREFILTER_MARGIN_RAD = math.radians(0.25)
# Areas with more boundary points than this are searched block by block, in blocks of
# this many consecutive points (see Blocks), with these margins.
PRUNE_MIN = 64
BLOCK = 16
PRUNE_RELATIVE = 0.05
PRUNE_MARGIN_RAD = math.radians(0.2)


@dataclass(frozen=True)
class TargetArrays:
    """Targets flattened for vectorised evaluation.

    Candidate vertices ``(3, C)`` grouped by target (``v_start``/``v_count`` ``(T,)``);
    boundary pieces ``(3, G)`` from ``seg_a`` to ``seg_a + seg_e``, grouped likewise.
    ``centre``: ``(T, 3)`` unit vectors; ``cap_rad``: ``(T,)``; ``ref_pos``/``ref_up``:
    ``(3, T)`` the point where the Sun is evaluated.
    """

    names: tuple[str, ...]
    areas: tuple[AreaTarget | None, ...]
    v_pos: FloatArray
    v_up: FloatArray
    v_start: IntArray
    v_count: IntArray
    seg_a: FloatArray
    seg_e: FloatArray
    seg_up_a: FloatArray
    seg_up_b: FloatArray
    s_start: IntArray
    s_count: IntArray
    centre: FloatArray
    cap_rad: FloatArray
    ref_pos: FloatArray
    ref_up: FloatArray
    blocks: Blocks

    @classmethod
    def of(cls, targets: Sequence[Target], spacing_km: float) -> TargetArrays:
        v_pos, v_up, s_a, s_b, s_ua, s_ub = [], [], [], [], [], []
        v_count, s_count, centre, cap, ref_lat, ref_lon, ref_h = [], [], [], [], [], [], []
        areas: list[AreaTarget | None] = []
        for target in targets:
            if isinstance(target, PointTarget):
                lat = np.array([target.latitude_deg])
                lon = np.array([target.longitude_deg])
                pos = geodetic_to_itrs(lat, lon, target.altitude_m / 1000.0)
                v_pos.append(pos)
                v_up.append(up_vector(lat, lon))
                v_count.append(1)
                s_count.append(0)
                centre.append(pos[:, 0] / np.linalg.norm(pos[:, 0]))
                cap.append(0.0)
                ref_lat.append(target.latitude_deg)
                ref_lon.append(target.longitude_deg)
                ref_h.append(target.altitude_m / 1000.0)
                areas.append(None)
                continue
            rings = target.boundary_rings(spacing_km)
            pos_list, up_list = [], []
            for ring in rings:
                pos_list.append(geodetic_to_itrs(ring[1], ring[0]))
                up_list.append(up_vector(ring[1], ring[0]))
            # Vertices: every ring point except each ring's repeated last one.
            v_pos.append(np.concatenate([p[:, :-1] for p in pos_list], axis=1))
            v_up.append(np.concatenate([u[:, :-1] for u in up_list], axis=1))
            v_count.append(sum(p.shape[1] - 1 for p in pos_list))
            s_a.append(np.concatenate([p[:, :-1] for p in pos_list], axis=1))
            s_b.append(np.concatenate([p[:, 1:] for p in pos_list], axis=1))
            s_ua.append(np.concatenate([u[:, :-1] for u in up_list], axis=1))
            s_ub.append(np.concatenate([u[:, 1:] for u in up_list], axis=1))
            s_count.append(sum(p.shape[1] - 1 for p in pos_list))
            lat0, lon0 = target.centre_deg
            c = geodetic_to_itrs(np.array([lat0]), np.array([lon0]))[:, 0]
            centre.append(c / np.linalg.norm(c))
            # The cap is measured on the sphere; widen it by the geodetic/geocentric
            # latitude difference so it bounds geocentric directions too.
            cap.append(math.radians(target.cap_radius_deg) + PREFILTER_MARGIN_RAD)
            ref_lat.append(lat0)
            ref_lon.append(lon0)
            ref_h.append(0.0)
            areas.append(target)
        empty = np.zeros((3, 0))
        seg_a = np.concatenate(s_a, axis=1) if s_a else empty
        seg_b = np.concatenate(s_b, axis=1) if s_b else empty
        vc = np.array(v_count, dtype=np.int64)
        sc = np.array(s_count, dtype=np.int64)
        lat_r, lon_r = np.array(ref_lat), np.array(ref_lon)
        starts = np.cumsum(vc) - vc
        return cls(
            blocks=Blocks.of(np.concatenate(v_pos, axis=1), seg_b, starts, vc, sc),
            names=tuple(target_name(t) for t in targets),
            areas=tuple(areas),
            v_pos=np.concatenate(v_pos, axis=1),
            v_up=np.concatenate(v_up, axis=1),
            v_start=np.cumsum(vc) - vc,
            v_count=vc,
            seg_a=seg_a,
            seg_e=seg_b - seg_a,
            seg_up_a=np.concatenate(s_ua, axis=1) if s_ua else empty,
            seg_up_b=np.concatenate(s_ub, axis=1) if s_ub else empty,
            s_start=np.cumsum(sc) - sc,
            s_count=sc,
            centre=np.array(centre).reshape(len(targets), 3),
            cap_rad=np.array(cap, dtype=np.float64),
            ref_pos=geodetic_to_itrs(lat_r, lon_r, np.array(ref_h)).reshape(3, -1),
            ref_up=up_vector(lat_r, lon_r).reshape(3, -1),
        )

    def __len__(self) -> int:
        return len(self.names)

    # -- evaluation -----------------------------------------------------------------------

    def near(
        self,
        r: FloatArray,
        v: FloatArray,
        target: IntArray,
        tan2_max: FloatArray,
        kappa: FloatArray,
    ) -> Near:
        """The search and the off-nadir functions of each entry; see :class:`Near`.

        ``r``, ``v``: ``(3, K)`` satellite states; ``target``, ``tan2_max`` and
        ``kappa`` (the weight of the visibility term): ``(K,)``.
        """
        k = target.size
        pieces = []
        for ent, local in self.blocks.candidates(r, target):
            t = target[ent]
            cand = self.v_start[t] + local
            rk, vk = r[:, ent], v[:, ent]
            pieces.append(candidates(rk, vk, self.v_pos[:, cand], self.v_up[:, cand],
                                      tan2_max[ent], kappa[ent], ent))  # fmt: skip
            has = self.s_count[t] > 0
            if has.any():
                ent, local, t, rk, vk = ent[has], local[has], t[has], rk[:, has], vk[:, has]
                seg = self.s_start[t] + local
                q, up = closest_on_pieces(
                    rk, self.seg_a[:, seg], self.seg_e[:, seg],
                    self.seg_up_a[:, seg], self.seg_up_b[:, seg],
                )  # fmt: skip
                pieces.append(candidates(rk, vk, q, up, tan2_max[ent], kappa[ent], ent))
        inside = np.zeros(k, dtype=bool)
        area = np.flatnonzero(self.s_count[target] > 0)
        if area.size:
            inside[area] = self._inside(r[:, area], target[area])
        return Near.combine(pieces, k, inside)

    def far(self, r: FloatArray, v: FloatArray, target: IntArray) -> tuple[FloatArray, FloatArray]:
        """Largest ``tan^2(eta)`` over each target's vertices and its rate (``inf``
        where any vertex is hidden); ``(K,)`` each."""
        ent, cand = expand(self.v_start[target], self.v_count[target])
        t2, rate, sin_el, _ = off_nadir_tan2(
            r[:, ent], v[:, ent], self.v_pos[:, cand], self.v_up[:, cand]
        )
        t2 = np.where(sin_el >= 0.0, t2, np.inf)
        worst, arg = group_min(-t2, ent, target.size)
        return -worst, np.where(arg >= 0, rate[np.maximum(arg, 0)], 0.0)

    def _inside(self, r: FloatArray, target: IntArray) -> BoolArray:
        """Whether the geocentric nadir point of ``r`` (3, K) lies inside area ``target``."""
        out = np.zeros(target.size, dtype=bool)
        lat, lon = geocentric_nadir_deg(r)
        for t in np.unique(target):
            area = self.areas[int(t)]
            if area is None:
                continue
            sel = np.flatnonzero(target == t)
            out[sel] = area.contains(lon[sel], lat[sel])
        return out


@dataclass(frozen=True)
class Blocks:
    """Boundary points of large areas in blocks of :data:`BLOCK` consecutive
    candidates, each with a bounding cap, to skip the far side of a long boundary.

    ``centre`` ``(3, B)`` unit vectors and ``radius`` ``(B,)`` (rad) bound the block's
    vertices and piece ends; ``lo``/``size`` ``(B,)``: the block's candidates, as
    indices local to its target; ``first``/``count`` ``(T,)``: each target's blocks
    (``count`` 0: the target is small and always evaluated whole).
    """

    centre: FloatArray
    radius: FloatArray
    lo: IntArray
    size: IntArray
    first: IntArray
    count: IntArray
    candidates_per_target: IntArray

    @classmethod
    def of(
        cls, v_pos: FloatArray, seg_end: FloatArray, v_start: IntArray, v_count: IntArray,
        s_count: IntArray,
    ) -> Blocks:  # fmt: skip
        n_blocks = np.where(v_count > PRUNE_MIN, -(-v_count // BLOCK), 0)
        first = np.cumsum(n_blocks) - n_blocks
        owner, j = expand_count(n_blocks)
        lo = j * BLOCK
        size = np.minimum(BLOCK, v_count[owner] - lo)
        ent, local = expand(lo, size)
        unit = v_pos[:, v_start[owner][ent] + local]
        unit = unit / np.sqrt(np.einsum("ck,ck->k", unit, unit))
        seg_start = np.cumsum(s_count) - s_count
        ends = seg_end[:, seg_start[owner][ent] + local] if seg_end.shape[1] else unit
        ends = ends / np.sqrt(np.einsum("ck,ck->k", ends, ends))
        total = np.zeros((3, owner.size))
        np.add.at(total.T, ent, unit.T + ends.T)
        centre = total / np.sqrt(np.einsum("ck,ck->k", total, total))
        cos_unit = np.einsum("ck,ck->k", unit, centre[:, ent])
        cos_ends = np.einsum("ck,ck->k", ends, centre[:, ent])
        worst = np.full(owner.size, 1.0)
        np.minimum.at(worst, ent, np.minimum(cos_unit, cos_ends))
        radius = np.arccos(np.clip(worst, -1.0, 1.0)) + 1e-6
        return cls(centre, radius, lo, size, first, n_blocks, v_count)

    def candidates(self, r: FloatArray, target: IntArray) -> list[tuple[IntArray, IntArray]]:
        """``(entry, local candidate index)`` lists, each sorted by entry: whole targets
        where not blocked, else the blocks that may hold the point nearest to nadir.

        A block is skipped when even its nearest possible point is farther from the
        satellite's direction (geocentric angle) than the farthest point of the best
        block, by a margin covering the ellipsoid: the off-nadir angle grows with this
        angle and with the point's radius, which varies by 0.34 % (a to b), worth at
        most about 3 % of the angle for the orbits concerned; 5 % and 0.2 deg are used.
        """
        out = []
        blocked = self.count[target] > 0
        whole = np.flatnonzero(~blocked)
        if whole.size:
            ent, local = expand(np.zeros(whole.size, np.int64),
                                 self.candidates_per_target[target[whole]])  # fmt: skip
            out.append((whole[ent], local))
        part = np.flatnonzero(blocked)
        if part.size:
            ent, blk = expand(self.first[target[part]], self.count[target[part]])
            r_unit = r[:, part] / np.sqrt(np.einsum("ck,ck->k", r[:, part], r[:, part]))
            cos_c = np.einsum("ck,ck->k", r_unit[:, ent], self.centre[:, blk])
            angle = np.arccos(np.clip(cos_c, -1.0, 1.0))
            best_far, _ = group_min(angle + self.radius[blk], ent, part.size)
            limit = best_far * (1.0 + PRUNE_RELATIVE) + PRUNE_MARGIN_RAD
            keep = angle - self.radius[blk] <= limit[ent]
            ent, blk = ent[keep], blk[keep]
            owner, local = expand(self.lo[blk], self.size[blk])
            out.append((part[ent[owner]], local))
        return out


def target_name(target: Target) -> str:
    return target.name


def expand(start: IntArray, count: IntArray) -> tuple[IntArray, IntArray]:
    """Ragged expansion: entry ``k`` repeated ``count[k]`` times with candidate indices
    ``start[k] .. start[k] + count[k] - 1``."""
    ent = np.repeat(np.arange(count.size), count)
    first = np.cumsum(count) - count
    cand = start[ent] + (np.arange(ent.size) - first[ent])
    return ent, cand


def group_min(values: FloatArray, group: IntArray, n: int) -> tuple[FloatArray, IntArray]:
    """Minimum of ``values`` per group (``group`` sorted ascending) and the index of
    the first minimum; ``inf`` and ``-1`` for empty groups. ``(n,)`` each."""
    out = np.full(n, np.inf)
    arg = np.full(n, -1, dtype=np.int64)
    if values.size == 0:
        return out, arg
    counts = np.bincount(group, minlength=n)
    present = counts > 0
    starts = np.cumsum(counts) - counts
    out[present] = np.minimum.reduceat(values, starts[present])
    finite = np.isfinite(out)
    hit = np.flatnonzero((values == out[group]) & finite[group])
    groups, first = np.unique(group[hit], return_index=True)
    arg[groups] = hit[first]
    return out, arg


def candidates(
    r: FloatArray,
    v: FloatArray,
    q: FloatArray,
    up: FloatArray,
    tan2_max: FloatArray,
    kappa: FloatArray,
    entry: IntArray,
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per candidate point: ``(entry, search value, its rate, tan^2 where visible
    (else inf), its rate)``; see :class:`Near`."""
    t2, rate, sin_el, sin_rate = off_nadir_tan2(r, v, q, up)
    cone = tan2_max - t2
    horizon = kappa * sin_el
    use_cone = cone <= horizon
    value = np.where(use_cone, cone, horizon)
    value_rate = np.where(use_cone, -rate, kappa * sin_rate)
    return entry, value, value_rate, np.where(sin_el >= 0.0, t2, np.inf), rate


@dataclass(frozen=True)
class Near:
    """For each entry (a satellite state against a target), ``(K,)`` arrays:

    ``search``/``search_rate``: the function whose intervals ``>= 0`` are the windows,
    continuous in time: over the target's candidate points the largest
    ``min(tan^2(eta_max) - tan^2(eta), kappa sin(elevation))`` (the second term ends a
    window at the horizon without a jump), or, with the nadir inside an area,
    ``tan^2(eta_max) + tan^2(eta_boundary)``. ``tan2``/``tan2_rate``: the smallest
    ``tan^2(eta)`` over the visible candidates (``inf`` if none), which defines the best
    time. ``inside``: the geocentric nadir lies inside the area.
    """

    search: FloatArray
    search_rate: FloatArray
    tan2: FloatArray
    tan2_rate: FloatArray
    inside: BoolArray

    @classmethod
    def combine(
        cls,
        pieces: list[tuple[IntArray, FloatArray, FloatArray, FloatArray, FloatArray]],
        k: int,
        inside: BoolArray,
    ) -> Near:
        search = np.full(k, -np.inf)
        search_rate = np.zeros(k)
        tan2 = np.full(k, np.inf)
        tan2_rate = np.zeros(k)
        for ent, value, value_rate, t2, t2_rate in pieces:  # ``ent`` is sorted
            neg_best, arg = group_min(-value, ent, k)
            better = -neg_best > search
            search[better] = -neg_best[better]
            search_rate[better] = value_rate[arg[better]]
            best, arg = group_min(t2, ent, k)
            better = best < tan2
            tan2[better] = best[better]
            tan2_rate[better] = t2_rate[arg[better]]
        return cls(search, search_rate, tan2, tan2_rate, inside)


__all__ = ["BLOCK", "PREFILTER_MARGIN_RAD", "Blocks", "Near", "Target", "TargetArrays"]
