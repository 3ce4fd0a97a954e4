"""Revisit and coverage statistics: definitions, grouping, properties and areas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imaging_satellites import satellites

from spacepool.access.areas import parse_geojson
from spacepool.access.coverage import (
    POOL,
    UNASSIGNED,
    area_coverage,
    coverage_timeline,
    interval_statistics,
    merge_intervals,
    revisit_statistics,
)
from spacepool.access.imaging import Opportunity, find_opportunities
from spacepool.errors import TimeRangeError

START = datetime(2026, 5, 31, tzinfo=UTC)
DAY_S = 86400.0


def opp(satellite: str, norad: int, start_s: float, end_s: float, target: str = "T") -> Opportunity:
    begin = START + timedelta(seconds=start_s)
    return Opportunity(
        satellite=satellite, norad_id=norad, target=target,
        start=begin, end=START + timedelta(seconds=end_s),
        best_time=begin, min_off_nadir_deg=0.0, sun_elevation_deg=0.0, sunlit=True,
    )  # fmt: skip


def test_intervals_are_clipped_to_the_period_and_merged_where_they_touch() -> None:
    s, e = merge_intervals(np.array([50.0, -10.0, 20.0, 30.0, 90.0]),
                           np.array([60.0, 10.0, 30.0, 40.0, 120.0]), 100.0)  # fmt: skip
    assert s.tolist() == [0.0, 20.0, 50.0, 90.0]
    assert e.tolist() == [10.0, 40.0, 60.0, 100.0]


def test_gaps_count_the_edges_of_the_period() -> None:
    # Accesses [100, 200] and [500, 600] in a 1000 s period: gaps 100, 300, 400.
    n, accessed, first, gaps = interval_statistics(np.array([100.0, 500.0]),
                                                   np.array([200.0, 600.0]), 1000.0)  # fmt: skip
    assert (n, accessed, first, gaps) == (2, 200.0, 100.0, (100.0, 300.0, 400.0))


def test_no_access_is_one_gap_the_whole_period_and_no_first_access() -> None:
    assert interval_statistics(np.zeros(0), np.zeros(0), 1000.0) == (0, 0.0, None, (1000.0,))


def test_access_under_way_at_the_start_is_a_first_access_at_zero() -> None:
    n, _, first, gaps = interval_statistics(np.array([-50.0]), np.array([100.0]), 1000.0)
    assert (n, first, gaps) == (1, 0.0, (900.0,))


def test_statistics_per_partner_and_for_the_pool() -> None:
    opps = [
        opp("A1", 1, 3600, 3700), opp("A2", 2, 30000, 30100), opp("B1", 3, 10000, 10100),
        opp("X", 9, 50000, 50100),
    ]  # fmt: skip
    stats = revisit_statistics(opps, START, START + timedelta(days=1),
                               partner_of={1: "esa", "A2": "esa", 3: "jaxa"},
                               partners=["esa", "jaxa", "nasa"])  # fmt: skip
    by_group = {s.group: s for s in stats}
    assert list(by_group) == ["esa", "jaxa", "nasa", UNASSIGNED, POOL]
    assert by_group["esa"].accesses == 2
    assert by_group["esa"].time_to_first_access_s == 3600.0
    assert by_group["esa"].gaps_s == (3600.0, 30000.0 - 3700.0, DAY_S - 30100.0)
    assert by_group["esa"].max_revisit_s == DAY_S - 30100.0
    assert by_group["nasa"].accesses == 0 and by_group["nasa"].time_to_first_access_s is None
    assert by_group["nasa"].max_revisit_s == DAY_S
    assert by_group[POOL].accesses == 4
    assert by_group[POOL].time_to_first_access_s == 3600.0
    assert by_group[POOL].mean_revisit_s == pytest.approx((DAY_S - 400.0) / 5)
    data = by_group[POOL].to_dict()
    assert data["start"] == "2026-05-31T00:00:00.000Z" and data["group"] == "pool"


def test_statistics_reject_an_empty_period() -> None:
    with pytest.raises(TimeRangeError):
        revisit_statistics([], START, START)


# --- properties -------------------------------------------------------------------------------

intervals = st.lists(
    st.tuples(st.floats(-500.0, 10_500.0), st.floats(0.0, 2_000.0)), min_size=0, max_size=12
)
partners = st.dictionaries(st.sampled_from(["esa", "nasa", "jaxa", "csa"]), intervals,
                           min_size=1, max_size=4)  # fmt: skip


def _opps(by_partner: dict[str, list[tuple[float, float]]]) -> tuple[list[Opportunity], dict]:  # type: ignore[type-arg]
    opps, owner = [], {}
    for k, (partner, spans) in enumerate(sorted(by_partner.items())):
        owner[k + 1] = partner
        opps += [opp(f"S{k + 1}", k + 1, a, a + length) for a, length in spans]
    return opps, owner


@settings(max_examples=200, deadline=None)
@given(partners)
def test_the_pool_is_never_later_than_any_partner(by_partner) -> None:  # type: ignore[no-untyped-def]
    opps, owner = _opps(by_partner)
    stats = revisit_statistics(opps, START, START + timedelta(seconds=10_000), partner_of=owner,
                               targets=["T"])  # fmt: skip
    pool = next(s for s in stats if s.group == POOL)
    for s in stats:
        if s.time_to_first_access_s is not None:
            assert pool.time_to_first_access_s is not None
            assert pool.time_to_first_access_s <= s.time_to_first_access_s
        assert pool.max_revisit_s <= s.max_revisit_s


@settings(max_examples=200, deadline=None)
@given(intervals, intervals)
def test_merging_a_partner_never_lengthens_the_longest_gap(a, b) -> None:  # type: ignore[no-untyped-def]
    def max_gap(spans: list[tuple[float, float]]) -> float:
        start = np.array([x for x, _ in spans])
        end = np.array([x + length for x, length in spans])
        return max(interval_statistics(start, end, 10_000.0)[3], default=0.0)

    assert max_gap(a + b) <= max_gap(a)
    assert max_gap(a + b) <= max_gap(b)


@settings(max_examples=100, deadline=None)
@given(intervals)
def test_accessed_time_and_gaps_add_up_to_the_period(spans) -> None:  # type: ignore[no-untyped-def]
    start = np.array([x for x, _ in spans])
    end = np.array([x + length for x, length in spans])
    _, accessed, _, gaps = interval_statistics(start, end, 10_000.0)
    assert accessed + sum(gaps) == pytest.approx(10_000.0)


# --- areas on a grid of points -------------------------------------------------------------


def test_area_coverage_grows_over_time_and_the_pool_covers_at_least_each_partner() -> None:
    sats = satellites()
    chosen = [sats["OPTICAL-SSO"], sats["AGILE-SSO"]]
    (area,) = parse_geojson({"type": "Polygon", "coordinates": [
        [[8.0, 58.0], [12.0, 58.0], [12.0, 61.0], [8.0, 61.0], [8.0, 58.0]]]}, name="south Norway")  # fmt: skip
    end = START + timedelta(days=2)
    owner = {90001: "esa", 90002: "jaxa"}
    cov = area_coverage(chosen, area, START, end, max_off_nadir_deg=20.0, partner_of=owner,
                        spacing_km=25.0, curve_step_s=3600.0)  # fmt: skip
    assert cov.groups == ("esa", "jaxa", POOL)
    assert cov.latitude_deg.size > 50
    assert area.contains(cov.longitude_deg, cov.latitude_deg).all()
    for g in cov.groups:
        curve = cov.covered_fraction[g]
        assert np.all(np.diff(curve) >= 0.0)
        assert curve[-1] == pytest.approx(cov.final_fraction(g))
        assert cov.final_fraction(POOL) >= cov.final_fraction(g)
    assert 0.0 < cov.final_fraction(POOL) <= 1.0
    # A point's first access equals that of a direct search for the point.
    i = int(np.nanargmin(cov.first_access_s[POOL]))
    from spacepool.access.areas import PointTarget

    point = PointTarget("p", float(cov.latitude_deg[i]), float(cov.longitude_deg[i]))
    direct = find_opportunities(chosen, [point], START, end, max_off_nadir_deg=20.0)
    first = (direct.opportunities[0].start - START).total_seconds()
    assert cov.first_access_s[POOL][i] == pytest.approx(max(first, 0.0), abs=1e-6)
    t50 = cov.time_to_fraction_s(0.5)
    if t50 is not None:
        assert np.mean(cov.first_access_s[POOL] <= t50) >= 0.5
    timeline = coverage_timeline(cov)
    assert timeline[0][0] == START and timeline[-1][0] == end
    summary = cov.to_dict()
    assert summary["points"] == cov.latitude_deg.size
    assert set(summary["groups"]) == {"esa", "jaxa", POOL}
