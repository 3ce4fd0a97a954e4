"""Access matrix: every viewer x every policy x before/after embargo x every
endpoint that returns items, against the pure predicate ``can_view``.

The world (stac_world.py) has one item per (owner, policy, embargo) for three
owners; ``csa`` owns nothing and is named in no share list. Each case pages through
the whole result with a small ``limit`` and checks: no item the viewer may not see
(no leak), every item it may see that matches (no over-blocking), no repeats, and
``numberMatched`` equal to the visible matches on every page.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from urllib.parse import quote

import pytest
import shapely
from stac_world import (
    AFTER,
    BEFORE,
    MOMENTS,
    VIEWERS,
    Spec,
    World,
    build_world,
    check_pages,
    expected_visible,
    follow_pages,
)

from spacepool.catalog.access import can_view


@pytest.fixture(scope="module")
def world(module_database_url: str) -> Iterator[World]:
    yield from build_world(module_database_url)


BOX = (-15.0, -8.0, 0.0, 2.0)  # lon/lat degrees: catches a handful of the item squares
TRIANGLE = {"type": "Polygon", "coordinates": [[[-21, -11], [10, -11], [-21, 20], [-21, -11]]]}
T0 = "2026-01-05T00:00:00Z"
T1 = "2026-01-15T00:00:00Z"


def _square(spec: Spec) -> shapely.Polygon:
    return shapely.box(spec.lon, spec.lat, spec.lon + 0.5, spec.lat + 0.5)


def _in_time(spec: Spec, start: str | None, end: str | None) -> bool:
    from spacepool.catalog.items import parse_rfc3339

    return (start is None or spec.when >= parse_rfc3339(start, field_name="t")) and (
        end is None or spec.when <= parse_rfc3339(end, field_name="t")
    )


# name -> (GET query string, POST body, predicate on an item)
FILTERS: dict[str, tuple[str, dict, Callable[[Spec], bool]]] = {
    "none": ("", {}, lambda s: True),
    "bbox": (
        "bbox=" + ",".join(str(v) for v in BOX),
        {"bbox": list(BOX)},
        lambda s: _square(s).intersects(shapely.box(*BOX)),
    ),
    "intersects": (
        "intersects=" + quote(json.dumps(TRIANGLE)),
        {"intersects": TRIANGLE},
        lambda s: _square(s).intersects(shapely.geometry.shape(TRIANGLE)),
    ),
    "closed interval": (
        f"datetime={T0}/{T1}",
        {"datetime": f"{T0}/{T1}"},
        lambda s: _in_time(s, T0, T1),
    ),
    "open start": (f"datetime=../{T0}", {"datetime": f"../{T0}"}, lambda s: _in_time(s, None, T0)),
    "open end": (f"datetime={T1}/..", {"datetime": f"{T1}/"}, lambda s: _in_time(s, T1, None)),
    "instant": (
        "datetime=2026-01-03T00:00:00Z",
        {"datetime": "2026-01-03T00:00:00Z"},
        lambda s: _in_time(s, "2026-01-03T00:00:00Z", "2026-01-03T00:00:00Z"),
    ),
    "ids": (
        "ids=esa-owner-plain,nasa-partners-embargo,jaxa-open-plain,csa-nothing",
        {"ids": ["esa-owner-plain", "nasa-partners-embargo", "jaxa-open-plain", "csa-nothing"]},
        lambda s: s.id in {"esa-owner-plain", "nasa-partners-embargo", "jaxa-open-plain"},
    ),
    "collections": ("collections=sar", {"collections": ["sar"]}, lambda s: s.collection == "sar"),
    "combined": (
        f"collections=eo,sar&bbox=-30,-20,30,20&datetime={T0}/..",
        {"collections": ["eo", "sar"], "bbox": [-30, -20, 30, 20], "datetime": f"{T0}/.."},
        lambda s: _in_time(s, T0, None),
    ),
}


@pytest.mark.parametrize("moment", list(MOMENTS))
@pytest.mark.parametrize("label", VIEWERS)
def test_search_get_and_post_show_exactly_the_visible_items(
    world: World, label: str, moment: str
) -> None:
    world.clock.now = MOMENTS[moment]
    for name, (query, body, keep) in FILTERS.items():
        expected = expected_visible(world, label, keep)
        seen, pages = follow_pages(world, label, "GET", f"/stac/search?limit=4&{query}")
        check_pages(world, label, expected, seen, pages)
        seen, pages = follow_pages(world, label, "POST", "/stac/search", {**body, "limit": 3})
        check_pages(world, label, expected, seen, pages)
        assert name  # keeps the filter name in the traceback


@pytest.mark.parametrize("moment", list(MOMENTS))
@pytest.mark.parametrize("label", VIEWERS)
def test_collection_items_show_exactly_the_visible_items(
    world: World, label: str, moment: str
) -> None:
    world.clock.now = MOMENTS[moment]
    for collection in ("eo", "sar"):
        for query, keep in (
            ("", lambda s: True),
            ("bbox=" + ",".join(str(v) for v in BOX), FILTERS["bbox"][2]),
            (f"datetime={T0}/{T1}", FILTERS["closed interval"][2]),
        ):
            expected = expected_visible(
                world, label, lambda s, c=collection, k=keep: s.collection == c and k(s)
            )
            seen, pages = follow_pages(
                world, label, "GET", f"/stac/collections/{collection}/items?limit=2&{query}"
            )
            check_pages(world, label, expected, seen, pages)


@pytest.mark.parametrize("moment", list(MOMENTS))
@pytest.mark.parametrize("label", VIEWERS)
def test_item_get_answers_404_for_hidden_items_exactly(
    world: World, label: str, moment: str
) -> None:
    world.clock.now = MOMENTS[moment]
    viewer = world.viewer(label)
    for spec in world.items:
        response = world.client.get(
            f"/stac/collections/{spec.collection}/items/{spec.id}", headers=world.headers(label)
        )
        if can_view(viewer, spec.access, world.clock.now):
            assert response.status_code == 200, (label, spec.id)
            props = response.json()["properties"]
            assert props["spacepool:owner"] == spec.access.owner
            assert props["spacepool:access"] == spec.access.policy.value
            assert props["spacepool:shared_with"] == sorted(spec.access.shared_with)
        else:
            assert response.status_code == 404, (label, spec.id)
            assert response.json() == {
                "code": "not_found",
                "description": f"item '{spec.collection}/{spec.id}' not found",
            }


def test_the_matrix_covers_every_policy_and_visibility_changes_at_the_embargo(world: World) -> None:
    """Guards the matrix itself: all policies present, and the embargo flips answers."""
    assert {s.access.policy.value for s in world.items} == {
        "open",
        "consortium",
        "owner",
        "partners",
    }
    anonymous = world.viewer("anonymous")
    before = {s.id for s in world.items if can_view(anonymous, s.access, BEFORE)}
    after = {s.id for s in world.items if can_view(anonymous, s.access, AFTER)}
    assert before < after
    assert len(world.items) == 24 and timedelta(hours=2) == AFTER - BEFORE
