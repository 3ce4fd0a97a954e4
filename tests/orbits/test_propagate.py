"""Batched propagation against Skyfield, and its chunked / parallel forms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from spacepool.orbits import propagate as propagate_module
from spacepool.orbits.parallel import chunk_bounds, propagate_parallel, step_chunks
from spacepool.orbits.propagate import Propagator
from spacepool.orbits.timebase import TimeBase
from spacepool.orbits.tle import load_tle

REPO = Path(__file__).resolve().parents[2]
TLE_DIR = REPO / ".." / "shared" / "data" / "tle"
START = datetime(2026, 5, 31, tzinfo=UTC)
ONE_MM_KM = 1e-6
ONE_MM_S_KM_S = 1e-6


@pytest.fixture(scope="module")
def elements():
    path = TLE_DIR / "celestrak_resource_2026-05-30.tle"
    geo = TLE_DIR / "celestrak_geo_2026-05-30.tle"
    if not (path.exists() and geo.exists()):
        pytest.skip("shared TLE files are absent")
    # LEO and GEO (deep-space, SDP4) objects.
    return list(load_tle(path).elements[:6]) + list(load_tle(geo).elements[:3])


@pytest.mark.shared_data
def test_itrs_states_equal_skyfield_to_a_millimetre(elements):
    from skyfield.api import EarthSatellite
    from skyfield.framelib import itrs

    from spacepool.orbits.timebase import timescale

    tb = TimeBase.around(START, START + timedelta(days=1))
    seconds = np.linspace(0.0, 86400.0, 97)
    eph = Propagator(elements, tb).grid(seconds)
    ts = timescale()
    t = ts.utc(2026, 5, 31, 0, 0, seconds)
    for k, element in enumerate(elements):
        sat = EarthSatellite(element.line1, element.line2, element.name, ts)
        r, v = sat.at(t).frame_xyz_and_velocity(itrs)
        np.testing.assert_allclose(eph.r_itrs_km[k], r.km, rtol=0, atol=ONE_MM_KM)
        np.testing.assert_allclose(eph.v_itrs_km_s[k], v.km_per_s, rtol=0, atol=ONE_MM_S_KM_S)


@pytest.mark.shared_data
def test_grid_in_blocks_equals_at_and_the_frame_function(elements, monkeypatch):
    monkeypatch.setattr(propagate_module, "_BLOCK_SATELLITES", 4)  # several blocks
    tb = TimeBase.around(START, START + timedelta(hours=2))
    seconds = np.arange(0.0, 7200.0, 300.0)
    prop = Propagator(elements, tb)
    eph = prop.grid(seconds)
    idx = np.repeat(np.arange(len(elements)), seconds.size)
    r, v, err = prop.at(idx, np.tile(seconds, len(elements)))
    np.testing.assert_allclose(eph.r_itrs_km, r.reshape(3, len(elements), -1).transpose(1, 0, 2),
                               rtol=0, atol=1e-9)  # fmt: skip
    np.testing.assert_allclose(eph.v_itrs_km_s, v.reshape(3, len(elements), -1).transpose(1, 0, 2),
                               rtol=0, atol=1e-12)  # fmt: skip
    assert not err.any() and not eph.error.any()


@pytest.mark.shared_data
def test_parallel_propagation_equals_one_process(elements):
    tb = TimeBase.around(START, START + timedelta(hours=1))
    seconds = np.arange(0.0, 3600.0, 600.0)
    one = Propagator(elements, tb).grid(seconds)
    two = propagate_parallel(elements, tb, seconds, workers=2, chunks=3)
    np.testing.assert_array_equal(one.r_itrs_km, two.r_itrs_km)
    np.testing.assert_array_equal(one.v_itrs_km_s, two.v_itrs_km_s)
    np.testing.assert_array_equal(one.error, two.error)


def test_chunk_bounds_cover_every_index_once():
    assert chunk_bounds(10, 3) == [(0, 4), (4, 8), (8, 10)]
    assert chunk_bounds(2, 5) == [(0, 1), (1, 2)]
    assert chunk_bounds(0, 4) == []


def test_step_chunks_group_by_step_and_stay_within_the_budget():
    steps = [240.0, 600.0, 240.0, 240.0, 180.0, 240.0, 600.0]
    cost = {0: 4, 1: 2, 2: 4, 3: 4, 4: 9, 5: 4, 6: 2}
    chunks = list(step_chunks(steps, range(7), lambda i, _: cost[i], budget=8))
    # By increasing step; members in index order; at most 8 entries unless alone.
    assert chunks == [(180.0, [4]), (240.0, [0, 2]), (240.0, [3, 5]), (600.0, [1, 6])]
    # Several workers: every group is cut so that each has work.
    assert list(step_chunks(steps, [1, 6], lambda i, _: 1, budget=100, workers=2)) == [
        (600.0, [1]),
        (600.0, [6]),
    ]
    # Only the satellites asked for.
    assert list(step_chunks(steps, [5, 0], lambda i, _: 1, budget=100)) == [(240.0, [0, 5])]


def test_writing_into_given_arrays_gives_the_same_states(elements):
    tb = TimeBase.around(START, START + timedelta(hours=1))
    seconds = np.arange(0.0, 3600.0, 600.0)
    prop = Propagator(elements, tb)
    shape = (len(elements), 3, seconds.size)
    out = (np.empty(shape), np.empty(shape), np.empty((len(elements), seconds.size), np.uint8))
    eph = prop.grid(seconds, out=out)
    assert eph.r_itrs_km is out[0]
    np.testing.assert_array_equal(out[0], prop.grid(seconds).r_itrs_km)
    np.testing.assert_array_equal(out[1], prop.grid(seconds).v_itrs_km_s)
