"""Partners, agreements, assets and element sets over HTTP: contents, pagination,
roles, uploads (TLE and OMM) and their errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from registry_world import NOW, VIEWERS, RegistryWorld, build_registry_world

from spacepool.consortium import load_consortium
from spacepool.orbits.elements import tle_checksum
from spacepool.orbits.tle import parse_tle

DATA = Path(__file__).resolve().parents[1] / "data" / "elements"

ISS_TLE = """ISS (ZARYA)
1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927
2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537
"""
VANGUARD_TLE = """VANGUARD 1
1 00005U 58002B   20287.20333880 -.00000016  00000-0 -22483-4 0  9998
2 00005  34.2443 225.5254 1845686 162.2516 205.2356 10.84869164218149
"""


@pytest.fixture(scope="module")
def world(module_database_url: str) -> Iterator[RegistryWorld]:
    yield from build_registry_world(module_database_url)


def _all_pages(world: RegistryWorld, url: str, label: str = "anonymous") -> list[dict[str, Any]]:
    """Every item of a paged list, following ``next``; checks the envelope."""
    items: list[dict[str, Any]] = []
    total = None
    for _ in range(100):
        response = world.get(url, label)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) >= {"items", "total", "limit", "offset", "next"}
        total = page["total"] if total is None else total
        assert page["total"] == total
        items.extend(page["items"])
        if page["next"] is None:
            assert len(items) == total
            return items
        url = page["next"].removeprefix("http://testserver")
    raise AssertionError("paging did not end")


# --- partners, agreements, assets ------------------------------------------------------


def test_partners_list_every_partner_with_contributions_and_entitlements(
    world: RegistryWorld,
) -> None:
    consortium = load_consortium()
    partners = _all_pages(world, "/partners?limit=3")
    assert [p["id"] for p in partners] == sorted(p.id for p in consortium.partners)
    esa = next(p for p in partners if p["id"] == "esa")
    assert esa["entitlements"] == {
        "eo-pool": pytest.approx(consortium.agreement("eo-pool").entitlements()["esa"], abs=1e-12),
        "iss-usos": 0.083,
    }
    assert esa["contributions"]["spacecraft"] == sum(sc.owner == "esa" for sc in consortium.fleet)
    assert world.get("/partners/esa", "anonymous").json() == esa


def test_agreements_carry_entitlements_summing_to_one(world: RegistryWorld) -> None:
    agreements = _all_pages(world, "/agreements?limit=1")
    assert [a["id"] for a in agreements] == ["eo-pool", "iss-rs", "iss-usos"]
    for agreement in agreements:
        assert sum(agreement["entitlements"].values()) == pytest.approx(1.0, abs=1e-9)
    usos = world.get("/agreements/iss-usos", "anonymous").json()
    assert (usos["kind"], usos["pool"]) == ("fixed_shares", "iss-usos-utilisation")
    assert usos["entitlements"] == {"nasa": 0.766, "jaxa": 0.128, "esa": 0.083, "csa": 0.023}


def test_assets_filter_by_kind_and_owner(world: RegistryWorld) -> None:
    consortium = load_consortium()
    everything = _all_pages(world, "/assets?limit=1000")
    assert len(everything) == len(consortium.fleet) + len(consortium.stations) + len(
        consortium.facilities
    )
    stations = _all_pages(world, "/assets?kind=station&owner=esa&limit=2")
    assert sorted(s["id"] for s in stations) == sorted(
        s.id for s in consortium.stations if s.owner == "esa"
    )
    kiruna = world.get("/assets/station/kiruna", "anonymous").json()
    assert kiruna == {"kind": "station", **consortium.station("kiruna").to_dict()}
    s2b = world.get("/assets/spacecraft/sentinel-2b", "anonymous").json()
    assert s2b["norad_id"] == 42063
    assert [i["id"] for i in s2b["instruments"]] == [
        i.id for i in consortium.spacecraft("sentinel-2b").instruments
    ]


def test_the_coordinator_adds_a_partner_once(world: RegistryWorld) -> None:
    body = {"id": "kari", "name": "Korea Aerospace Research Institute", "country": "KR"}
    first = world.post("/partners", "admin", json=body)
    again = world.post("/partners", "admin", json=body)
    other = world.post("/partners", "admin", json={**body, "name": "KARI"})
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert first.json() == again.json()
    assert first.json()["contributions"] == {
        "spacecraft": 0,
        "instruments": 0,
        "stations": 0,
        "facilities": 0,
    }
    assert other.json() == {
        "code": "conflict",
        "description": "partner 'kari' exists already with other fields",
    }
    assert world.get("/partners/kari", "anonymous").json()["name"] == body["name"]


@pytest.mark.parametrize(("label", "status"), [("anonymous", 401), ("esa", 403)])
def test_only_the_coordinator_adds_partners(world: RegistryWorld, label: str, status: int) -> None:
    response = world.post("/partners", label, json={"id": "acme", "name": "Acme"})
    assert response.status_code == status
    assert world.get("/partners/acme", "anonymous").status_code == 404


# --- element sets ------------------------------------------------------------------------


def test_a_partner_uploads_tle_text_for_its_own_spacecraft_and_history_keeps_it(
    world: RegistryWorld,
) -> None:
    response = world.post(
        "/element-sets", "nasa", content=ISS_TLE, headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 201, response.text
    (stored,) = response.json()["items"]
    assert stored["format"] == "tle" and stored["uploaded_by"] == "nasa"
    assert (stored["line1"], stored["line2"]) == tuple(ISS_TLE.splitlines()[1:])
    history = _all_pages(world, "/element-sets/25544/history?limit=1")
    assert [h["epoch"] for h in history] == [
        "2026-05-30T00:00:00Z",  # nominal, from the consortium load
        "2008-09-20T12:25:40.104192Z",
    ]
    (current,) = world.get("/element-sets?norad_id=25544", "anonymous").json()["items"]
    assert current["epoch"] == "2026-05-30T00:00:00Z"  # the newest by epoch
    repeat = world.post(
        "/element-sets",
        "nasa",
        headers={"Content-Type": "text/plain"},
        content=ISS_TLE,
    )
    assert repeat.status_code == 200
    assert repeat.json()["created"] == 0 and repeat.json()["unchanged"] == 1


def test_omm_json_uploads_name_their_format(world: RegistryWorld) -> None:
    text = (DATA / "sample.json").read_text()
    records = [r for r in json.loads(text) if r["NORAD_CAT_ID"] != 25544]  # ISS is nasa's
    response = world.post(
        "/element-sets", "esa", json={"format": "omm", "text": json.dumps(records)}
    )
    assert response.status_code == 201, response.text
    assert {e["norad_id"] for e in response.json()["items"]} == {r["NORAD_CAT_ID"] for r in records}
    assert {e["format"] for e in response.json()["items"]} == {"omm"}
    current = world.get("/element-sets?norad_id=5&norad_id=8195", "anonymous").json()
    assert [e["norad_id"] for e in current["items"]] == [5, 8195]


def test_only_the_owner_uploads_elements_of_a_registry_spacecraft(world: RegistryWorld) -> None:
    response = world.post(
        "/element-sets", "esa", content=ISS_TLE, headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 403
    assert response.json() == {
        "code": "permission_denied",
        "description": "NORAD 25544 is a spacecraft of 'nasa': only its owner or the "
        "coordinator may upload its elements",
    }


def _with_line(text: str, number: int, line: str) -> str:
    lines = text.splitlines()
    lines[number - 1] = line
    return "\n".join(lines) + "\n"


BAD_UPLOADS = [
    (
        "checksum digit wrong",
        "text/plain",
        _with_line(VANGUARD_TLE, 3, VANGUARD_TLE.splitlines()[2][:-1] + "0"),
        400,
        "invalid_tle",
        "upload, line 3, column 69: expected checksum 9 (digits summed, '-' counts 1, modulo "
        "10), found '0'",
    ),
    (
        "letter in the inclination",
        "text/plain",
        VANGUARD_TLE.replace("34.2443", "34.2X43"),
        400,
        "invalid_tle",
        "upload, line 3, column 14: expected the inclination as NNN.NNNN degrees, found 'X'",
    ),
    (
        "OMM field that is no number",
        "application/json",
        json.dumps(
            {
                "format": "omm",
                "text": '[{"OBJECT_NAME": "X", "NORAD_CAT_ID": 7, "EPOCH": '
                '"2026-05-30T00:00:00", "MEAN_MOTION": "fast"}]',
            }
        ),
        400,
        "invalid_omm",
        "upload, record 1, field MEAN_MOTION: expected a number, found 'fast'",
    ),
    (
        "unknown format",
        "application/json",
        json.dumps({"format": "sp3", "text": VANGUARD_TLE}),
        400,
        "invalid_input",
        "format: expected 'tle' or 'omm', found 'sp3'",
    ),
    (
        "JSON that is no object",
        "application/json",
        "[1, 2]",
        400,
        "invalid_input",
        "body: expected a JSON object, found an array",
    ),
    (
        "unknown JSON field",
        "application/json",
        json.dumps({"text": VANGUARD_TLE, "epoch": "now"}),
        400,
        "invalid_input",
        "body: unknown field 'epoch'; expected format and text",
    ),
    (
        "empty text",
        "text/plain",
        "\n\n",
        400,
        "invalid_tle",
        "upload, line 1: expected at least one TLE record, found only blank lines",
    ),
    (
        "other content type",
        "application/xml",
        "<omm/>",
        400,
        "invalid_input",
        "upload: content type 'application/xml' not accepted; send text/plain (TLE or OMM "
        'text) or application/json {"format", "text"}',
    ),
]


@pytest.mark.parametrize(
    ("reason", "content_type", "body", "status", "code", "description"),
    BAD_UPLOADS,
    ids=[case[0] for case in BAD_UPLOADS],
)
def test_a_bad_upload_is_a_4xx_naming_the_place_and_stores_nothing(
    world: RegistryWorld,
    reason: str,
    content_type: str,
    body: str,
    status: int,
    code: str,
    description: str,
) -> None:
    before = _all_pages(world, "/element-sets?limit=1000")
    response = world.post(
        "/element-sets", "esa", content=body, headers={"Content-Type": content_type}
    )
    assert response.status_code == status, reason
    assert response.json()["code"] == code
    assert response.json()["description"].split("\n")[0] == description
    assert _all_pages(world, "/element-sets?limit=1000") == before


def test_an_upload_with_one_bad_record_stores_none_of_the_good_ones(world: RegistryWorld) -> None:
    line1 = VANGUARD_TLE.splitlines()[1].replace("20287.20333880", "20288.20333880")
    good = _with_line(VANGUARD_TLE, 2, line1[:-1] + str(tle_checksum(line1)))  # a new epoch
    bad = _with_line(VANGUARD_TLE, 3, VANGUARD_TLE.splitlines()[2][:-1] + "0")
    assert len(parse_tle(good).elements) == 1  # the first record alone is fine
    # Whatever other tests stored for NORAD 5 before (none: 404; or some history),
    # the failed upload must leave it exactly so.
    before = world.get("/element-sets/5/history", "anonymous")
    response = world.post(
        "/element-sets", "esa", content=good + bad, headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 400
    assert "line 6, column 69" in response.json()["description"]
    after = world.get("/element-sets/5/history", "anonymous")
    assert (after.status_code, after.json()) == (before.status_code, before.json())
    if after.status_code == 200:
        assert all(h["epoch"] != "2020-10-14T04:52:48.472320Z" for h in after.json()["items"])


def test_uploads_need_a_key(world: RegistryWorld) -> None:
    response = world.post("/element-sets", "anonymous", content=VANGUARD_TLE)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


# --- errors and paging --------------------------------------------------------------------

BAD_QUERIES = [
    ("limit above 1000", "/partners?limit=1001", 400,
     "query.limit: Input should be less than or equal to 1000"),
    ("limit zero", "/assets?limit=0", 400, "query.limit: Input should be greater than or equal to 1"),
    ("negative offset", "/agreements?offset=-1", 400,
     "query.offset: Input should be greater than or equal to 0"),
    ("limit not a number", "/element-sets?limit=ten", 400,
     "query.limit: Input should be a valid integer, unable to parse string as an integer"),
    ("unknown asset kind", "/assets?kind=rocket", 400,
     "query.kind: Input should be 'spacecraft', 'station' or 'facility'"),
    ("unknown owner", "/assets?owner=acme", 400,
     "unknown partner 'acme'; known partners: {partners}"),
    ("unknown partner", "/partners/acme", 404, "partner 'acme' not found"),
    ("unknown agreement", "/agreements/nope", 404, "agreement 'nope' not found"),
    ("unknown station", "/assets/station/nowhere", 404, "station 'nowhere' not found"),
    ("satellite without elements", "/element-sets/99999/history", 404,
     "element sets of NORAD '99999' not found"),
    ("NORAD id zero", "/element-sets?norad_id=0", 400,
     "query.norad_id.0: Input should be greater than or equal to 1"),
    ("NORAD id beyond nine digits", "/element-sets/99999999999999999999/history", 400,
     "path.norad_id: Input should be less than or equal to 999999999"),
    ("offset beyond any list", "/assets?offset=99999999999999999999", 400,
     "query.offset: Input should be less than or equal to 2147483647"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("reason", "url", "status", "description"), BAD_QUERIES, ids=[c[0] for c in BAD_QUERIES]
)
def test_bad_queries_are_4xx_in_the_one_error_shape(
    world: RegistryWorld, reason: str, url: str, status: int, description: str
) -> None:
    partners = ", ".join(p["id"] for p in _all_pages(world, "/partners"))
    response = world.get(url, "anonymous")
    assert response.status_code == status, reason
    assert set(response.json()) == {"code", "description"}
    assert response.json()["description"] == description.format(partners=partners)


@pytest.mark.parametrize("label", VIEWERS)
def test_public_registry_lists_answer_everyone_alike(world: RegistryWorld, label: str) -> None:
    for url in ("/partners", "/agreements", "/assets?limit=1000", "/element-sets?limit=1000"):
        assert world.get(url, label).json() == world.get(url, "anonymous").json(), url


def test_the_clock_is_the_apps(world: RegistryWorld) -> None:
    (item,) = world.get("/element-sets?norad_id=42063", "anonymous").json()["items"]
    assert item["uploaded_at"] == NOW.isoformat().replace("+00:00", "Z")
