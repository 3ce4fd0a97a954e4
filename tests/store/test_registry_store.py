"""The registry in the database: consortium import, agreements, assets, element-set
history, requests and the partner view of plans (SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from spacepool.catalog.access import Viewer
from spacepool.consortium import Consortium, load_consortium
from spacepool.errors import ConflictError, ConsortiumDataError, NotFoundError, UnknownNameError
from spacepool.orbits.tle import parse_tle
from spacepool.planning.requests import Request
from spacepool.store import Store
from spacepool.store.agreements import put_agreement
from spacepool.store.assets import all_spacecraft, contribution_summary, stations_by_id
from spacepool.store.element_sets import (
    add_element_sets,
    current_element_sets,
    element_set_history,
    to_element_set,
)
from spacepool.store.models import AgreementRecord, ElementSetRecord, Entitlement, RequestRecord
from spacepool.store.plans import partner_view
from spacepool.store.registry import load_consortium_into, registry_consortium
from spacepool.store.requests import add_request, get_request, list_requests, requests_for_plan

NOW = datetime(2026, 6, 1, tzinfo=UTC)

ISS_TLE = """ISS (ZARYA)
1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927
2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537
"""


@pytest.fixture(scope="module")
def consortium() -> Consortium:
    return load_consortium()


@pytest.fixture(scope="module")
def store(module_database_url: str, consortium: Consortium) -> Iterator[Store]:
    """One loaded registry per module and database: tests use their own ids and
    epochs and compare counts before and after, so they may run in any order."""
    store = Store(module_database_url)
    load_consortium_into(store, consortium, now=NOW)
    yield store
    store.close()


def _count(store: Store, table: type) -> int:
    with store.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_loading_the_bundled_consortium_twice_changes_nothing_the_second_time(
    store: Store, consortium: Consortium
) -> None:
    again = load_consortium_into(store, consortium, now=NOW + timedelta(days=1))
    assert again.created == {} and again.updated == {}
    assert again.unchanged == {
        "partners": 10,
        "assets": 31 + 20 + 5,
        "agreements": 3,
        "element_sets": 31,
    }
    assert _count(store, Entitlement) == 10 + 4 + 1 + _count_fine(store)


def _count_fine(store: Store) -> int:
    """Entitlement rows of the agreement another test adds."""
    with store.transaction() as session:
        return 2 if session.get(AgreementRecord, "fine") is not None else 0


def test_loading_a_changed_consortium_updates_only_what_changed(
    store: Store, consortium: Consortium
) -> None:
    station = consortium.stations[0]
    changed = replace(
        consortium,
        stations=(replace(station, min_elevation_deg=7.5), *consortium.stations[1:]),
        partners=(replace(consortium.partners[0], name="NASA (renamed)"), *consortium.partners[1:]),
    )
    try:
        summary = load_consortium_into(store, changed, now=NOW)
        with store.transaction() as session:
            (kiruna,) = stations_by_id(session, [station.id])
    finally:
        restored = load_consortium_into(store, consortium, now=NOW)
    assert summary.updated == {"partners": 1, "assets": 1}
    assert summary.created == {}
    assert kiruna.min_elevation_deg == 7.5
    assert restored.updated == {"partners": 1, "assets": 1}


def test_the_registry_reads_back_as_the_consortium_it_was_loaded_from(
    store: Store, consortium: Consortium
) -> None:
    with store.transaction() as session:
        fleet = all_spacecraft(session)
        rebuilt = registry_consortium(session, epoch=NOW)
    assert sorted(fleet, key=lambda sc: sc.id) == sorted(consortium.fleet, key=lambda sc: sc.id)
    assert sorted(rebuilt.stations, key=lambda s: s.id) == sorted(
        consortium.stations, key=lambda s: s.id
    )
    assert {p.id for p in rebuilt.partners} == {p.id for p in consortium.partners}


def test_contributions_count_each_asset_for_its_owner_and_an_instrument_for_its_own(
    store: Store, consortium: Consortium
) -> None:
    # NISAR is NASA's spacecraft; its S-band SAR belongs to ISRO.
    partners = [p.id for p in consortium.partners]
    expected = {
        p: {
            "spacecraft": sum(sc.owner == p for sc in consortium.fleet),
            "instruments": sum(sc.instrument_owner(i) == p for sc, i in consortium.instruments()),
            "stations": sum(s.owner == p for s in consortium.stations),
            "facilities": sum(f.owner == p for f in consortium.facilities),
        }
        for p in partners
    }
    with store.transaction() as session:
        summary = contribution_summary(session, partners)
    assert summary == expected
    assert summary["isro"]["instruments"] > summary["isro"]["spacecraft"]  # NISAR's S-SAR


BAD_SHARES = [
    ({"nasa": 0.5, "esa": 0.4}, "must sum to 1 (within 1e-09), got 0.9"),
    ({"nasa": 0.5, "esa": 0.5 + 2e-9}, "must sum to 1 (within 1e-09), got 1.000000002"),
    ({"nasa": 1.5, "esa": -0.5}, "must be in [0, 1], got 1.5"),
]


@pytest.mark.parametrize(("shares", "message"), BAD_SHARES)
def test_an_agreement_whose_shares_do_not_sum_to_one_is_refused_and_nothing_is_written(
    store: Store, consortium: Consortium, shares: dict[str, float], message: str
) -> None:
    base = consortium.agreement("iss-usos")
    bad = replace(
        base, id="bad", members=tuple(shares), shares=tuple(shares.values()), contributions=()
    )
    with pytest.raises(ConsortiumDataError) as info, store.transaction() as session:
        put_agreement(session, bad, now=NOW)
    assert message in str(info.value)
    with store.transaction() as session:
        assert session.get(AgreementRecord, "bad") is None


def test_shares_within_the_tolerance_are_accepted(store: Store, consortium: Consortium) -> None:
    base = consortium.agreement("iss-usos")
    fine = replace(base, id="fine", members=("nasa", "esa"), shares=(0.5, 0.5 + 5e-10))
    with store.transaction() as session:
        assert put_agreement(session, fine, now=NOW)
        assert not put_agreement(session, fine, now=NOW)
        stored = session.get(AgreementRecord, "fine")
        assert stored is not None
        assert {e.partner_id: e.share for e in stored.entitlements} == {
            "nasa": 0.5,
            "esa": 0.5 + 5e-10,
        }


def test_an_agreement_naming_an_unregistered_partner_is_refused(
    store: Store, consortium: Consortium
) -> None:
    base = consortium.agreement("iss-usos")
    bad = replace(base, id="acme-deal", members=("nasa", "acme"), shares=(0.5, 0.5))
    with pytest.raises(UnknownNameError) as info, store.transaction() as session:
        put_agreement(session, bad, now=NOW)
    assert str(info.value).startswith("unknown partner 'acme'; known partners: asi, cnes, csa")


# --- element sets ---------------------------------------------------------------------


def _iss(epoch_shift_days: float = 0.0, mean_anomaly_deg: float | None = None) -> Any:
    """The sample ISS set, at its epoch moved by ``epoch_shift_days`` (each test uses
    its own epochs: the module shares one database)."""
    element = parse_tle(ISS_TLE).elements[0]
    changes: dict[str, Any] = {"epoch": element.epoch + timedelta(days=epoch_shift_days)}
    if mean_anomaly_deg is not None:
        changes["mean_anomaly_deg"] = mean_anomaly_deg
    if epoch_shift_days or mean_anomaly_deg is not None:
        changes.update(line1=None, line2=None)
    return replace(element, **changes)


def _history(store: Store) -> list[ElementSetRecord]:
    with store.transaction() as session:
        return element_set_history(session, 25544, limit=1000, offset=0)[0]


def test_history_is_kept_and_the_current_set_is_the_newest_by_epoch(store: Store) -> None:
    before = len(_history(store))
    with store.transaction() as session:
        later = add_element_sets(session, [_iss(102.0)], fmt="tle", uploaded_by="nasa", now=NOW)
        earlier = add_element_sets(session, [_iss(100.0)], fmt="tle", uploaded_by="nasa", now=NOW)
    assert later[0].created and earlier[0].created
    history = _history(store)
    with store.transaction() as session:
        current, total = current_element_sets(session, norad_ids=[25544])
    assert total == 1 and len(history) == before + 2
    assert current[0].epoch == max(r.epoch for r in history)
    assert current[0].epoch == datetime(2026, 5, 30, tzinfo=UTC)  # the nominal set's epoch
    assert [r.epoch for r in history] == sorted((r.epoch for r in history), reverse=True)


def test_a_stored_tle_reads_back_as_the_same_elements_and_lines(store: Store) -> None:
    original = parse_tle(ISS_TLE).elements[0]  # the only test storing the sample's epoch
    with store.transaction() as session:
        (stored,) = add_element_sets(session, [original], fmt="tle", uploaded_by="nasa", now=NOW)
        back = to_element_set(stored.record)
        lines = (stored.record.line1, stored.record.line2)
    assert back == original
    assert lines == tuple(ISS_TLE.splitlines()[1:])


def test_re_storing_the_same_set_is_idempotent_and_different_elements_at_one_epoch_conflict(
    store: Store,
) -> None:
    with store.transaction() as session:
        (first,) = add_element_sets(session, [_iss(200.0)], fmt="tle", uploaded_by="nasa", now=NOW)
    with store.transaction() as session:
        (again,) = add_element_sets(session, [_iss(200.0)], fmt="omm", uploaded_by="esa", now=NOW)
    assert first.created and not again.created
    before = len(_history(store))
    with pytest.raises(ConflictError) as info, store.transaction() as session:
        add_element_sets(
            session, [_iss(200.0, mean_anomaly_deg=10.0)], fmt="tle", uploaded_by="nasa", now=NOW
        )
    assert str(info.value) == (
        "element set of NORAD 25544 at epoch 2009-04-08T12:25:40.104192Z exists already with "
        "different elements; a new set needs a new epoch"
    )
    assert len(_history(store)) == before


def test_a_failed_upload_stores_none_of_its_sets(store: Store) -> None:
    with store.transaction() as session:
        add_element_sets(session, [_iss(300.0)], fmt="tle", uploaded_by="nasa", now=NOW)
    before = len(_history(store))
    with pytest.raises(ConflictError), store.transaction() as session:
        add_element_sets(
            session,
            [_iss(305.0), _iss(300.0, mean_anomaly_deg=10.0)],  # first new, second conflicts
            fmt="tle",
            uploaded_by="nasa",
            now=NOW,
        )
    assert len(_history(store)) == before


# --- requests ---------------------------------------------------------------------------


def _request(request_id: str, partner: str, **extra: Any) -> Request:
    return Request.from_dict(
        {
            "id": request_id,
            "partner": partner,
            "target": {"lat": 45.0, "lon": 11.0},
            "window": {"start": "2026-06-01T00:00:00Z", "end": "2026-06-02T00:00:00Z"},
            **extra,
        }
    )


VIEWERS = {
    "anonymous": Viewer.anonymous(),
    "esa": Viewer.partner("esa"),
    "nasa": Viewer.partner("nasa"),
    "jaxa": Viewer.partner("jaxa"),
    "admin": Viewer.admin(),
}


def test_requests_are_seen_by_their_partner_and_the_coordinator_only(store: Store) -> None:
    mine = {"vis-a": "esa", "vis-b": "esa", "vis-c": "nasa"}
    with store.transaction() as session:
        for request_id, partner in mine.items():
            add_request(session, _request(request_id, partner), submitted_by=partner, now=NOW)
    with store.transaction() as session:
        seen = {}
        for label, viewer in VIEWERS.items():
            records, total = list_requests(session, viewer, limit=1000, offset=0)
            assert total == len(records)
            assert all(label == "admin" or r.partner_id == label for r in records)
            seen[label] = sorted(r.id for r in records if r.id in mine)
        assert get_request(session, Viewer.partner("nasa"), "vis-c").partner_id == "nasa"
        with pytest.raises(NotFoundError) as info:
            get_request(session, Viewer.partner("nasa"), "vis-a")
    assert seen == {
        "anonymous": [],
        "esa": ["vis-a", "vis-b"],
        "nasa": ["vis-c"],
        "jaxa": [],
        "admin": ["vis-a", "vis-b", "vis-c"],
    }
    assert str(info.value) == "request 'vis-a' not found"


def test_a_request_id_is_stored_once(store: Store) -> None:
    with store.transaction() as session:
        _, created = add_request(session, _request("once", "esa"), submitted_by="esa", now=NOW)
        _, again = add_request(session, _request("once", "esa"), submitted_by="esa", now=NOW)
    assert (created, again) == (True, False)
    before = _count(store, RequestRecord)
    for other in (_request("once", "esa", value=9), _request("once", "nasa")):
        with pytest.raises(ConflictError) as info, store.transaction() as session:
            add_request(session, other, submitted_by="x", now=NOW)
        assert str(info.value) == (
            "request 'once' exists already with different content; choose another id"
        )
    assert _count(store, RequestRecord) == before
    with store.transaction() as session:
        stored = get_request(session, Viewer.admin(), "once")
    assert (stored.partner_id, stored.document["value"]) == ("esa", 1.0)


def test_plans_take_the_requests_inside_their_window(store: Store) -> None:
    # Windows a year on, where no other test puts requests.
    year = timedelta(days=365)
    with store.transaction() as session:
        inside = _request("window-inside", "esa")
        inside = replace(inside, start=inside.start + year, end=inside.end + year)
        late = replace(inside, id="window-late", start=inside.start + timedelta(days=1),
                       end=inside.end + timedelta(days=1))  # fmt: skip
        add_request(session, inside, submitted_by="esa", now=NOW)
        add_request(session, late, submitted_by="esa", now=NOW)
    start = NOW + year
    with store.transaction() as session:
        day = requests_for_plan(session, start, start + timedelta(days=1))
        both = requests_for_plan(session, start, start + timedelta(days=2))
        with pytest.raises(NotFoundError):
            requests_for_plan(session, start, start + timedelta(days=1), ["window-inside", "nope"])
    assert [r.id for r in day] == ["window-inside"]
    assert [r.id for r in both] == ["window-inside", "window-late"]


# --- the partner view of a plan ---------------------------------------------------------


def _acquisition(candidate: str, partner: str, volume_mbit: float) -> dict[str, Any]:
    request = candidate.split("@")[0]
    return {
        "candidate": candidate,
        "demand": request,
        "request": request,
        "partner": partner,
        "volume_mbit": volume_mbit,
    }


PLAN_DOCUMENT: dict[str, Any] = {
    "name": "p",
    "status": "feasible",
    "message": "feasible plan (heuristic, fairness none): 2 of 4 demands served, value 8",
    "accounts": [{"partner": "esa", "share": 0.6}, {"partner": "nasa", "share": 0.4}],
    "stages": [],
    "acquisitions": [
        _acquisition("esa-po@s2b/msi/0", "esa", 100.0),
        _acquisition("nasa-iowa@s2b/msi/1", "nasa", 250.0),
    ],
    "downlinks": [
        {
            "id": "dl-1",
            "volume_mbit": 350.0,
            "acquisitions": ["esa-po@s2b/msi/0", "nasa-iowa@s2b/msi/1"],
        },
        {"id": "dl-2", "volume_mbit": 40.0, "acquisitions": ["nasa-other@l9/oli/0"]},
    ],
    "unserved": [
        {
            "demand": "esa-rhine",
            "request": "esa-rhine",
            "partner": "esa",
            "reason": "conflict",
            "message": "conflict with nasa-iowa@s2b/msi/1 (nasa-iowa of nasa on s2b/msi)",
            "related": ["nasa-iowa@s2b/msi/1"],
        },
        {
            "demand": "esa-alps",
            "request": "esa-alps",
            "partner": "esa",
            "reason": "no_opportunity",
            "message": "no opportunity: no instrument can serve esa-alps",
            "related": [],
        },
        {
            "demand": "nasa-secret",
            "request": "nasa-secret",
            "partner": "nasa",
            "reason": "memory",
            "message": "memory: ...",
            "related": [],
        },
    ],
}


def test_a_partner_sees_its_own_work_and_the_shares_but_nothing_of_the_others() -> None:
    document = copy.deepcopy(PLAN_DOCUMENT)
    view = partner_view(document, "esa")
    assert document == PLAN_DOCUMENT  # the stored document is not modified
    assert [a["candidate"] for a in view["acquisitions"]] == ["esa-po@s2b/msi/0"]
    assert view["downlinks"] == [
        {"id": "dl-1", "volume_mbit": 100.0, "acquisitions": ["esa-po@s2b/msi/0"]}
    ]
    assert view["unserved"] == [
        {
            "demand": "esa-rhine",
            "request": "esa-rhine",
            "partner": "esa",
            "reason": "conflict",
            "message": "conflict: every opportunity conflicts with chosen acquisitions "
            "(overlap or transition)",
            "related": [],
        },
        PLAN_DOCUMENT["unserved"][1],
    ]
    assert view["accounts"] == PLAN_DOCUMENT["accounts"]
    text = repr(view)
    for foreign in ("nasa-iowa", "nasa-secret", "nasa-other", "250.0", "350.0"):
        assert foreign not in text


def test_a_partner_with_no_work_in_a_plan_sees_only_the_aggregate() -> None:
    view = partner_view(copy.deepcopy(PLAN_DOCUMENT), "jaxa")
    assert (view["acquisitions"], view["downlinks"], view["unserved"]) == ([], [], [])
    assert view["accounts"] == PLAN_DOCUMENT["accounts"]
    assert view["status"] == "feasible"
