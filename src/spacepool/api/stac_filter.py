"""The STAC API Filter extension: ``filter`` / ``filter-lang`` / ``filter-crs`` on
item search and collection items, and the queryables documents.

The filter itself is translated by :mod:`spacepool.store.cql2` and applied by the
store next to the access filter, in the same query; this module only carries the
parameters and serves ``/queryables`` and ``/collections/{collection_id}/queryables``.
"""

from __future__ import annotations

from typing import Annotated, Any

import attr
from fastapi import Query, Request
from pydantic import BaseModel, Field
from stac_fastapi.extensions.filter import FilterExtension
from stac_fastapi.extensions.filter.client import BaseFiltersClient
from stac_fastapi.types.requests import get_base_url

from spacepool.api.auth import store_of, viewer_of
from spacepool.store.collections import get_collection
from spacepool.store.cql2 import (
    CONFORMANCE_CLASSES,
    FilterLang,
    ItemFilter,
    compile_filter,
    queryables_document,
)

FILTER_TEXT = (
    "A CQL2 filter on the items' properties (STAC API Filter extension); see "
    "/stac/queryables for the names. It narrows the items the caller may see."
)
FILTER_LANG_TEXT = "The filter's encoding: cql2-text (default on GET) or cql2-json."
FILTER_CRS_TEXT = (
    "CRS of the filter's geometry literals; only http://www.opengis.net/def/crs/OGC/1.3/CRS84."
)


# The GET query parameters, as annotations for the attrs request models of
# spacepool.api.stac (fields filter_expr, filter_lang, filter_crs; default None).
FilterQuery = Annotated[str | None, Query(alias="filter", description=FILTER_TEXT)]
FilterLangQuery = Annotated[str | None, Query(alias="filter-lang", description=FILTER_LANG_TEXT)]
FilterCrsQuery = Annotated[str | None, Query(alias="filter-crs", description=FILTER_CRS_TEXT)]


class FilterPostFields(BaseModel):
    """``filter``, ``filter-lang`` and ``filter-crs`` in a POST search body."""

    filter_expr: dict[str, Any] | str | bool | None = Field(
        None, alias="filter", description=FILTER_TEXT
    )
    filter_lang: str | None = Field(None, alias="filter-lang", description=FILTER_LANG_TEXT)
    filter_crs: str | None = Field(None, alias="filter-crs", description=FILTER_CRS_TEXT)


def item_filter(
    value: object, lang: str | None, crs: str | None, *, default: FilterLang
) -> ItemFilter | None:
    """The compiled filter of a request, ``None`` when it has none. ``default`` is
    the language when ``filter-lang`` is absent: cql2-text on GET, cql2-json on
    POST (STAC API Filter extension, "filter-lang")."""
    if value is None or value == "":
        return None
    return compile_filter(value, lang, default=default, crs=crs)


@attr.s
class FiltersClient(BaseFiltersClient):
    """The queryables: one document for all collections (their items carry the same
    properties); a collection's is the same, served at its own URL, and 404 for a
    collection that does not exist."""

    def get_queryables(self, collection_id: str | None = None, **kwargs: Any) -> dict[str, Any]:
        request: Request = kwargs["request"]
        viewer_of(request)
        base = get_base_url(request)
        if collection_id is None:
            return queryables_document(f"{base}queryables")
        with store_of(request).transaction(read_only=True) as session:
            get_collection(session, collection_id)
        return queryables_document(f"{base}collections/{collection_id}/queryables")


def filter_extension() -> FilterExtension:
    """The extension object for StacApi: the two queryables routes and the
    conformance classes of what :mod:`spacepool.store.cql2` translates."""
    return FilterExtension(client=FiltersClient(), conformance_classes=list(CONFORMANCE_CLASSES))
