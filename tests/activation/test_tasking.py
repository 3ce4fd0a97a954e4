"""Urgent requests with precedence: radar for floods and at night, optical for damage
mapping in daylight, thermal for fires, a post-event image where an archive exists."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from activation_factory import body, consortium

from spacepool.activation.model import read_activation
from spacepool.activation.tasking import (
    PAIR_VALUE,
    PRIMARY_VALUE,
    SECONDARY_VALUE,
    THERMAL_VALUE,
    ArchiveImage,
    select_archive,
    sun_elevation_deg,
    task,
)


def activation(**changes: object) -> object:
    return read_activation(body(id="t", **changes), consortium())


def roles(taskings: tuple) -> list[tuple[str, str, float]]:
    return [(t.role, t.kind, t.request.value) for t in taskings]


# (type, Sun elevation at the event, expected (role, kind, value) list)
CASES = [
    ("flood", 40.0, [("primary", "sar", PRIMARY_VALUE), ("secondary", "optical", SECONDARY_VALUE)]),
    ("flood", -20.0, [("primary", "sar", PRIMARY_VALUE), ("secondary", "optical", SECONDARY_VALUE)]),
    ("earthquake", 40.0, [("primary", "optical", PRIMARY_VALUE), ("secondary", "sar", SECONDARY_VALUE)]),
    ("earthquake", -5.0, [("primary", "sar", PRIMARY_VALUE), ("secondary", "optical", SECONDARY_VALUE)]),
    ("fire", 30.0, [("primary", "optical", PRIMARY_VALUE), ("secondary", "sar", SECONDARY_VALUE),
                    ("thermal", "thermal", THERMAL_VALUE)]),
    ("volcano", -30.0, [("primary", "sar", PRIMARY_VALUE), ("secondary", "optical", SECONDARY_VALUE),
                        ("thermal", "thermal", THERMAL_VALUE)]),
    ("oil_spill", 60.0, [("primary", "sar", PRIMARY_VALUE), ("secondary", "optical", SECONDARY_VALUE)]),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "sun", "expected"), CASES)
def test_precedence_follows_type_and_daylight(kind: str, sun: float, expected: list) -> None:
    taskings = task(activation(type=kind), sun_elevation=sun)
    assert roles(taskings) == expected
    for t in taskings:
        assert t.request.urgency == "activation"
        assert t.request.partner == "consortium"
        assert t.request.start == datetime(2026, 6, 1, 3, tzinfo=UTC)
        assert t.request.end - t.request.start == timedelta(hours=72)


def test_night_rule_is_named_with_the_sun_elevation() -> None:
    primary = task(activation(type="earthquake"), sun_elevation=-5.04)[0]
    assert primary.rule == (
        "radar first: the area is dark at the event time (Sun -5.0 deg); radar needs no light"
    )


def test_revisit_periods_shrink_to_the_horizon() -> None:
    long = task(activation(), sun_elevation=10.0)
    assert [t.request.revisit_every_s for t in long] == [12 * 3600.0, 24 * 3600.0]
    short = task(activation(horizon_hours=10), sun_elevation=10.0)
    assert [t.request.revisit_every_s for t in short] == [None, None]


def archive_image(**changes: object) -> ArchiveImage:
    image = ArchiveImage(
        collection="eo",
        item_id="s1-before",
        datetime=datetime(2026, 5, 20, tzinfo=UTC),
        kind="sar",
        platform="Sentinel-1A",
        instrument="c-sar",
        covered_fraction=0.9,
    )
    return replace(image, **changes)


def test_archive_adds_a_post_event_request_of_the_same_kind() -> None:
    act = activation()
    older_optical = archive_image(item_id="s2", kind="optical")
    taskings = task(act, archive=[older_optical, archive_image()], sun_elevation=10.0)
    post = taskings[-1]
    assert (post.role, post.kind, post.request.value) == ("post", "sar", PAIR_VALUE)
    assert post.archive is not None and post.archive.item_id == "s1-before"
    assert post.request.revisit_every_s is None
    assert post.rule == (
        "pre/post pair: post-event sar image to compare with archive item eo/s1-before of "
        "Sentinel-1A (2026-05-20T00:00:00.000Z)"
    )


# (why it does not count, the archive image)
NOT_ARCHIVE = [
    ("taken after the event", archive_image(datetime=datetime(2026, 6, 1, 4, tzinfo=UTC))),
    ("taken at the event time", archive_image(datetime=datetime(2026, 6, 1, 3, tzinfo=UTC))),
    ("older than a year", archive_image(datetime=datetime(2025, 5, 31, tzinfo=UTC))),
    ("covers less than half the area", archive_image(covered_fraction=0.49)),
    ("a thermal image", archive_image(kind="thermal")),
]


@pytest.mark.parametrize(("why", "image"), NOT_ARCHIVE, ids=[n[0] for n in NOT_ARCHIVE])
def test_what_does_not_count_as_archive(why: str, image: ArchiveImage) -> None:
    assert select_archive([image], activation()) == ()


def test_what_counts_as_archive() -> None:
    good = archive_image(covered_fraction=0.5, datetime=datetime(2025, 6, 2, tzinfo=UTC))
    assert select_archive([good], activation()) == (good,)


def meeus_sun_elevation_deg(latitude_deg: float, longitude_deg: float, when: datetime) -> float:
    """The Sun's elevation by Meeus's low-precision solar coordinates (Astronomical
    Algorithms, 2nd ed., 1998, ch. 25, about 0.01 deg; apparent longitude, true
    obliquity; GMST from eq. 12.4; no refraction): an independent reference."""
    jd = when.timestamp() / 86400.0 + 2440587.5
    t = (jd - 2451545.0) / 36525.0
    l0 = 280.46646 + 36000.76983 * t + 0.0003032 * t * t
    m = math.radians(357.52911 + 35999.05029 * t - 0.0001537 * t * t)
    c = ((1.914602 - 0.004817 * t - 0.000014 * t * t) * math.sin(m)
         + (0.019993 - 0.000101 * t) * math.sin(2 * m) + 0.000289 * math.sin(3 * m))  # fmt: skip
    omega = math.radians(125.04 - 1934.136 * t)
    lam = math.radians(l0 + c - 0.00569 - 0.00478 * math.sin(omega))
    eps0 = 23.0 + (26.0 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60.0) / 60.0
    eps = math.radians(eps0 + 0.00256 * math.cos(omega))
    dec = math.asin(math.sin(eps) * math.sin(lam))
    ra = math.atan2(math.cos(eps) * math.sin(lam), math.cos(lam))
    gmst = 280.46061837 + 360.98564736629 * (jd - 2451545.0) + 0.000387933 * t * t
    hour_angle = math.radians(gmst + longitude_deg) - ra
    lat = math.radians(latitude_deg)
    sin_el = math.sin(lat) * math.sin(dec) + math.cos(lat) * math.cos(dec) * math.cos(hour_angle)
    return math.degrees(math.asin(sin_el))


@pytest.mark.parametrize(
    ("lat", "lon", "when"),
    [
        (44.29, 11.88, datetime(2026, 6, 1, 3, 0, tzinfo=UTC)),  # Faenza before sunrise
        (44.29, 11.88, datetime(2026, 6, 1, 11, 10, tzinfo=UTC)),  # Faenza near noon
        (-30.03, -51.23, datetime(2026, 6, 5, 18, 30, tzinfo=UTC)),  # Porto Alegre, dusk
        (23.01, 91.40, datetime(2026, 5, 25, 0, 0, tzinfo=UTC)),  # Feni, sunrise
    ],
)
def test_sun_elevation_agrees_with_meeus(lat: float, lon: float, when: datetime) -> None:
    # 0.05 deg: Meeus's low-precision series (0.01 deg) plus the 0.01 deg of geocentric
    # versus topocentric direction (parallax 8.8 arcsec) and UT1 - UTC.
    assert sun_elevation_deg(lat, lon, when) == pytest.approx(
        meeus_sun_elevation_deg(lat, lon, when), abs=0.05
    )
