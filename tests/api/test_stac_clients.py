"""Outside STAC tools against a running ``spacepool serve``: stac-api-validator
checks the API's conformance, pystac-client searches it.

The server runs as a subprocess on loopback over a seeded catalogue (SQLite file,
and PostgreSQL under scripts/with-postgres.sh); the real clock decides embargoes, so
the seed puts them a day in the past or a year ahead.
"""

from __future__ import annotations

import json
import types
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import shapely
from live_server import (
    LiveServer,
    SeededCatalogue,
    SeedItem,
    running_server,
    seed_catalogue,
    viewer_for,
)
from offline_stac_schemas import OfflineLinter, OfflineStacValidate, rustac_command

from spacepool.catalog.access import can_view
from spacepool.catalog.items import format_rfc3339

NOW = datetime.now(UTC).replace(microsecond=0)
LABELS = ["anonymous", "esa", "nasa", "csa", "admin"]


@dataclass
class Served:
    server: LiveServer
    catalogue: SeededCatalogue


@pytest.fixture(scope="module")
def served(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    catalogue = seed_catalogue(module_database_url, now=NOW)
    log = tmp_path_factory.mktemp("server") / "server.log"
    with running_server(module_database_url, log) as server:
        yield Served(server, catalogue)


def _expected(served: Served, label: str, keep: Callable[[SeedItem], bool]) -> set[str]:
    viewer = viewer_for(label)
    return {
        item.id
        for item in served.catalogue.items
        if can_view(viewer, item.access, datetime.now(UTC)) and keep(item)
    }


# --- stac-api-validator ----------------------------------------------------------------

# Conformance classes spacepool advertises and the validator checks. Not run:
# "browseable" and "children" (not advertised), the sort/fields/query extensions
# (not offered), and "transaction": the validator's own test item has no
# "links" (required by the STAC Item schema, so spacepool's request model refuses
# it) and it expects PATCH and 204 answers, where spacepool offers no PATCH and
# answers PUT with the item (200). Transactions are tested in
# test_errors_and_writes.py and test_durability.py instead.
# The validator's filter checks send CQL2 text and JSON on /search (its spatial and
# temporal checks look for older conformance names and do not run).
VALIDATED_CLASSES = ["core", "item-search", "features", "collections", "filter"]
# Intersects with the seeded items in the south-west.
INTERSECTS = {
    "type": "Polygon",
    "coordinates": [[[-180, -70], [-100, -70], [-100, -20], [-180, -20], [-180, -70]]],
}


def _validator() -> types.ModuleType:
    pytest.importorskip("stac_api_validator", reason="stac-api-validator is not installed")
    if rustac_command() is None:
        pytest.skip("rustac is not installed (it carries the STAC schemas for offline checks)")
    from stac_api_validator import validations

    return validations


@pytest.mark.parametrize("label", ["anonymous", "esa"])
def test_stac_api_validator_finds_no_errors(
    served: Served, label: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    validations = _validator()
    # The JSON-schema checks run on the bundled schemas (the tests are offline).
    monkeypatch.setattr(validations, "StacValidate", OfflineStacValidate)
    monkeypatch.setattr(validations, "Linter", OfflineLinter)
    # The validator calls pystac APIs that pystac deprecates; that is its business,
    # so its warnings are not turned into errors here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        notes, errors = validations.validate_api(
            root_url=served.server.root,
            ccs_to_validate=VALIDATED_CLASSES,
            collection="eo",
            geometry=json.dumps(INTERSECTS),
            auth_bearer_token=None,
            auth_query_parameter=None,
            fields_nested_property=None,
            validate_pagination=True,
            query_config=validations.QueryConfig(*[None] * 13),
            transaction_collection=None,
            headers=served.catalogue.headers(label),
        )
    assert [message for _, message in errors.errors] == []
    assert len(notes.errors) <= 2  # "returned 0 results" notes on searches, at most


def test_the_offline_schema_check_refuses_an_invalid_item() -> None:
    """Guards the validator test: the stand-in for stac-validator does reject."""
    _validator()
    good = {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": "a",
        "geometry": {"type": "Point", "coordinates": [1.0, 2.0]},
        "bbox": [1.0, 2.0, 1.0, 2.0],
        "properties": {"datetime": "2024-01-01T00:00:00Z"},
        "assets": {},
        "links": [],
    }
    assert OfflineStacValidate().validate_dict(good)
    no_time = {**good, "properties": {"datetime": None}}
    checker = OfflineStacValidate()
    assert not checker.validate_dict(no_time)
    assert checker.message[0]["error_message"]
    assert not OfflineStacValidate().validate_dict({**good, "bbox": [1.0, 2.0, 1.0]})


# --- pystac-client -----------------------------------------------------------------------


def _client(served: Served, label: str) -> Any:
    pystac_client = pytest.importorskip("pystac_client", reason="pystac-client is not installed")
    return pystac_client.Client.open(served.server.root, headers=served.catalogue.headers(label))


def _box(item: SeedItem) -> Any:
    return shapely.geometry.shape(item.geometry)


BBOX = (-150.0, -60.0, -90.0, -30.0)
START, END = NOW - timedelta(days=30), NOW - timedelta(days=20)
# (name, pystac-client search arguments, which seeded items match)
SEARCHES: list[tuple[str, dict[str, Any], Callable[[SeedItem], bool]]] = [
    ("everything", {}, lambda item: True),
    ("bbox", {"bbox": BBOX}, lambda item: _box(item).intersects(shapely.box(*BBOX))),
    (
        "datetime",
        {"datetime": f"{format_rfc3339(START)}/{format_rfc3339(END)}"},
        lambda item: START <= item.when <= END,
    ),
    (
        "intersects",
        {"intersects": INTERSECTS},
        lambda item: _box(item).intersects(shapely.geometry.shape(INTERSECTS)),
    ),
    (
        "ids",
        {"ids": ["esa-open-0", "nasa-owner-20", "jaxa-partners-33", "missing"]},
        lambda item: item.id in {"esa-open-0", "nasa-owner-20", "jaxa-partners-33"},
    ),
    ("collections", {"collections": ["sar"]}, lambda item: item.collection == "sar"),
    (
        "bbox, datetime and collection",
        {
            "bbox": (-180.0, -90.0, 0.0, 90.0),
            "datetime": f"{format_rfc3339(START)}/..",
            "collections": ["eo"],
        },
        lambda item: (
            item.collection == "eo"
            and _box(item).intersects(shapely.box(-180.0, -90.0, 0.0, 90.0))
            and item.when >= START
        ),
    ),
]


@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_pystac_client_finds_exactly_the_items_the_policy_allows(
    served: Served, label: str, method: str
) -> None:
    client = _client(served, label)
    for name, arguments, keep in SEARCHES:
        search = client.search(method=method, limit=2, **arguments)
        pages = list(search.pages_as_dicts())
        found = [feature["id"] for page in pages for feature in page["features"]]
        expected = _expected(served, label, keep)
        assert sorted(found) == sorted(expected), (name, label)
        assert len(found) == len(set(found)), f"{name}: an item came on two pages"
        assert len(pages) == max(1, -(-len(expected) // 2)), name  # pages of 2
        assert search.matched() == len(expected), name


def test_pystac_client_pages_through_a_search_as_pystac_items(served: Served) -> None:
    client = _client(served, "nasa")
    items = list(client.search(limit=3, max_items=100).items())
    expected = _expected(served, "nasa", lambda item: True)
    assert len(expected) > 9  # several pages of 3
    assert sorted(item.id for item in items) == sorted(expected)
    times = [item.datetime for item in items]
    assert times == sorted(times, reverse=True)  # newest first
    owners = {item.properties["spacepool:owner"] for item in items}
    assert owners == {"esa", "nasa", "jaxa"}


def test_pystac_client_reads_collections_and_single_items(served: Served) -> None:
    client = _client(served, "anonymous")
    assert sorted(c.id for c in client.get_collections()) == ["eo", "sar"]
    visible = sorted(_expected(served, "anonymous", lambda item: item.collection == "eo"))
    items = list(client.get_collection("eo").get_items())
    assert sorted(item.id for item in items) == visible
    hidden = next(
        item
        for item in served.catalogue.items
        if item.collection == "eo" and item.id not in visible
    )
    assert client.get_collection("eo").get_item(hidden.id) is None


def test_the_server_is_a_separate_process(served: Served) -> None:
    """Guards the fixture: the checks above went over loopback HTTP."""
    assert served.server.process.poll() is None
    assert served.server.root.startswith("http://127.0.0.1:")
    assert Path(served.server.log).exists()
