"""Landing page, conformance and OpenAPI locations."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from stac_world import World, build_world


@pytest.fixture(scope="module")
def world(module_database_url: str) -> Iterator[World]:
    yield from build_world(module_database_url)


def test_landing_page_links_the_catalogue_and_the_api_description(world: World) -> None:
    page = world.client.get("/stac/").json()
    assert (page["type"], page["id"], page["title"]) == (
        "Catalog",
        "spacepool",
        "spacepool catalogue",
    )
    rels = {link["rel"]: link["href"] for link in page["links"]}
    assert rels["data"] == "http://testserver/stac/collections"
    assert rels["conformance"] == "http://testserver/stac/conformance"
    assert rels["search"].startswith("http://testserver/stac/search")
    assert rels["service-desc"] == "http://testserver/openapi.json"
    assert rels["service-doc"] == "http://testserver/docs"


def test_conformance_names_item_search_and_transactions(world: World) -> None:
    classes = set(world.client.get("/stac/conformance").json()["conformsTo"])
    assert {
        "https://api.stacspec.org/v1.0.0/core",
        "https://api.stacspec.org/v1.0.0/item-search",
        "https://api.stacspec.org/v1.0.0/collections",
        "https://api.stacspec.org/v1.0.0/ogcapi-features/extensions/transaction",
    } <= classes
