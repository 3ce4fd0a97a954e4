"""Element age warnings and the meaning of SGP4 error codes."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from sgp4.api import SGP4_ERRORS

from spacepool.errors import PropagationError, StaleElementsError
from spacepool.orbits.tle import load_tle
from spacepool.orbits.validity import (
    DEEP_SPACE_MAX_AGE_DAYS,
    NEAR_EARTH_MAX_AGE_DAYS,
    SGP4_ERROR_MEANINGS,
    AgeWarning,
    check_age,
    propagation_error,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "elements"
ELEMENTS = {e.name: e for e in load_tle(DATA / "sample.tle").elements}
ISS = ELEMENTS["ISS (ZARYA)"]  # near-Earth, epoch 2008-09-20T12:25:40.104192Z
# Geostationary (deep space); its epoch moved next to the ISS's so that one window
# serves both.
XM3 = dataclasses.replace(ELEMENTS["XM-3"], epoch=ISS.epoch + timedelta(hours=3))


def test_error_meanings_cover_every_code_sgp4_documents() -> None:
    assert set(SGP4_ERROR_MEANINGS) == set(SGP4_ERRORS) == {1, 2, 3, 4, 5, 6}


def test_propagation_error_carries_code_and_meaning() -> None:
    error = propagation_error("ISS (ZARYA) (25544)", 6)
    assert isinstance(error, PropagationError)
    assert (error.error_code, error.satellite) == (6, "ISS (ZARYA) (25544)")
    assert str(error) == (
        "ISS (ZARYA) (25544): SGP4 error 6: satellite has decayed "
        "(orbit radius below one Earth radius)"
    )
    assert propagation_error("X", 42).meaning == "unknown SGP4 error code"


def test_fresh_elements_give_no_warning() -> None:
    start = ISS.epoch + timedelta(days=1)
    assert check_age([ISS, XM3], start, start + timedelta(days=7)) == []


def test_window_end_beyond_the_near_earth_limit_warns_with_the_far_age() -> None:
    start = ISS.epoch + timedelta(days=10)
    end = ISS.epoch + timedelta(days=16)  # 16 > 14 days
    (warning,) = check_age([ISS, XM3], start, end)
    assert warning == AgeWarning(
        satellite="ISS (ZARYA) (25544)",
        norad_id=25544,
        age_days=16.0,
        max_age_days=NEAR_EARTH_MAX_AGE_DAYS,
        message=(
            "ISS (ZARYA) (25544): elements used 16.0 days after their epoch "
            "2008-09-20T12:25:40Z (limit 14 days); positions may be off by tens of km: "
            "load newer elements"
        ),
    )


def test_deep_space_elements_get_the_longer_default_limit() -> None:
    end = XM3.epoch + timedelta(days=20)
    assert check_age([XM3], XM3.epoch, end) == []
    (warning,) = check_age([XM3], XM3.epoch, XM3.epoch + timedelta(days=31))
    assert warning.max_age_days == DEEP_SPACE_MAX_AGE_DAYS


def test_windows_before_the_epoch_count_too() -> None:
    start = ISS.epoch - timedelta(days=20)
    (warning,) = check_age([ISS], start, start + timedelta(hours=6))
    assert warning.age_days == -20.0
    assert "20.0 days before their epoch" in warning.message


def test_explicit_limit_overrides_the_defaults() -> None:
    end = ISS.epoch + timedelta(days=3)  # ISS 3.0 days old, XM-3 2.875 days old
    warned = check_age([ISS, XM3], ISS.epoch, end, max_age_days=2.9)
    assert [(w.norad_id, w.max_age_days) for w in warned] == [(25544, 2.9)]


def test_strict_mode_raises_for_stale_elements() -> None:
    with pytest.raises(StaleElementsError) as caught:
        check_age([ISS], ISS.epoch, ISS.epoch + timedelta(days=15), strict=True)
    assert caught.value.satellite == "ISS (ZARYA) (25544)"
    assert caught.value.age_days == 15.0
