"""The registry over HTTP: partners, agreements, assets and element sets.

Partners, agreements and assets are public (the consortium's composition is no
secret); adding a partner is the coordinator's. Element sets are public to read;
any partner may upload TLE or OMM text, but only for its own spacecraft or for
satellites outside the registry.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from spacepool.api.auth import store_of, viewer_of
from spacepool.api.common import NoradId, author, json_object, now_of
from spacepool.api.pagination import Page, PageParams, page, page_params
from spacepool.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from spacepool.orbits.elements import ElementSet
from spacepool.store.agreements import (
    agreement_to_dict,
    entitlements_of,
    get_agreement,
    list_agreements,
)
from spacepool.store.assets import (
    asset_to_dict,
    contribution_summary,
    get_asset,
    list_assets,
    spacecraft_owners,
)
from spacepool.store.element_sets import (
    add_element_sets,
    current_element_sets,
    element_set_history,
    element_set_to_dict,
)
from spacepool.store.models import Partner as PartnerRecord
from spacepool.store.partners import add_partner
from spacepool.store.registry import list_partner_records

router = APIRouter(tags=["Registry"])

MAX_UPLOAD_BYTES = 5_000_000
"""Largest element-set upload (bytes): a full public catalogue in TLE is ~3 MB."""

AssetKind = Literal["spacecraft", "station", "facility"]


# --- partners ---------------------------------------------------------------------


class PartnerIn(BaseModel):
    """A new partner."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Short lower-case id, e.g. esa.", examples=["esa"])
    name: str = Field(examples=["European Space Agency"])
    country: str | None = None
    source: str | None = None


def _partner_dicts(session: Any, records: list[PartnerRecord]) -> list[dict[str, Any]]:
    ids = [p.id for p in records]
    contributions = contribution_summary(session, ids)
    entitlements = entitlements_of(session, ids)
    return [
        {
            "id": p.id,
            "name": p.name,
            "country": p.country,
            "source": p.source,
            "contributions": contributions[p.id],
            "entitlements": entitlements[p.id],
        }
        for p in records
    ]


@router.get("/partners", summary="Partners", response_model=Page[dict[str, Any]])
def partners_list(
    request: Request, paging: Annotated[PageParams, Depends(page_params)]
) -> dict[str, Any]:
    """Every partner with what it contributes (counts of spacecraft, instruments,
    stations, facilities) and its entitlement in each agreement."""
    with store_of(request).transaction() as session:
        records, total = list_partner_records(session, limit=paging.limit, offset=paging.offset)
        items = _partner_dicts(session, records)
    return page(request, paging, items, total)


@router.get("/partners/{partner_id}", summary="One partner")
def partners_get(request: Request, partner_id: str) -> dict[str, Any]:
    with store_of(request).transaction() as session:
        record = session.get(PartnerRecord, partner_id)
        if record is None:
            raise NotFoundError("partner", partner_id)
        return _partner_dicts(session, [record])[0]


@router.post("/partners", summary="Add a partner", status_code=201)
def partners_add(request: Request, response: Response, body: PartnerIn) -> dict[str, Any]:
    """Register a partner. Posting the same partner again is harmless (200); the
    same id with other fields is a 409."""
    with store_of(request).transaction() as session:
        existing = session.get(PartnerRecord, body.id)
        if existing is not None:
            same = (existing.name, existing.country, existing.source) == (
                body.name.strip(),
                body.country,
                body.source,
            )
            if not same:
                raise ConflictError(
                    f"partner {body.id!r} exists already with other fields",
                    kind="partner",
                    name=body.id,
                )
            response.status_code = 200
            record = existing
        else:
            record = add_partner(session, body.id, body.name, now=now_of(request))
            record.country, record.source = body.country, body.source
            session.flush()
        return _partner_dicts(session, [record])[0]


# --- agreements -------------------------------------------------------------------


@router.get("/agreements", summary="Agreements", response_model=Page[dict[str, Any]])
def agreements_list(
    request: Request, paging: Annotated[PageParams, Depends(page_params)]
) -> dict[str, Any]:
    """Agreements with their kind, pool and entitlements ``{partner: share}``."""
    with store_of(request).transaction() as session:
        records, total = list_agreements(session, limit=paging.limit, offset=paging.offset)
        items = [agreement_to_dict(r) for r in records]
    return page(request, paging, items, total)


@router.get("/agreements/{agreement_id}", summary="One agreement")
def agreements_get(request: Request, agreement_id: str) -> dict[str, Any]:
    with store_of(request).transaction() as session:
        return agreement_to_dict(get_agreement(session, agreement_id))


# --- assets -----------------------------------------------------------------------


@router.get("/assets", summary="Assets", response_model=Page[dict[str, Any]])
def assets_list(
    request: Request,
    paging: Annotated[PageParams, Depends(page_params)],
    kind: Annotated[AssetKind | None, Query(description="Only this kind.")] = None,
    owner: Annotated[str | None, Query(description="Only this partner's assets.")] = None,
) -> dict[str, Any]:
    """Spacecraft (with their instruments), ground stations (position, elevation
    mask, downlink rate) and facilities, ordered by kind and id."""
    with store_of(request).transaction() as session:
        records, total = list_assets(
            session, kind=kind, owner=owner, limit=paging.limit, offset=paging.offset
        )
        items = [asset_to_dict(r) for r in records]
    return page(request, paging, items, total)


@router.get("/assets/{kind}/{asset_id}", summary="One asset")
def assets_get(request: Request, kind: AssetKind, asset_id: str) -> dict[str, Any]:
    with store_of(request).transaction() as session:
        return asset_to_dict(get_asset(session, kind, asset_id))


# --- element sets -----------------------------------------------------------------

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/plain": {
                "schema": {"type": "string"},
                "example": (
                    "ISS (ZARYA)\n"
                    "1 25544U 98067A   26150.50000000  .00016717  00000-0  10270-3 0  9005\n"
                    "2 25544  51.6400 208.9163 0006317  69.9862  25.2906 15.50377579499263\n"
                ),
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["text"],
                    "properties": {
                        "format": {"type": "string", "enum": ["tle", "omm"]},
                        "text": {"type": "string"},
                    },
                    "additionalProperties": False,
                }
            },
        },
    }
}


def parse_upload(text: str, fmt: str | None) -> tuple[str, list[ElementSet]]:
    """Parse uploaded element text strictly (the first bad record fails the whole
    upload, naming its line and column or field); ``fmt`` ``tle``, ``omm`` or
    ``None`` to sniff. Returns the format and the element sets."""
    from spacepool.orbits.omm import parse_omm, sniff_format
    from spacepool.orbits.tle import parse_tle

    if fmt is None:
        fmt = "tle" if sniff_format(text) == "tle" else "omm"
    if fmt == "tle":
        elements = parse_tle(text, source="upload").elements
    elif fmt == "omm":
        elements = parse_omm(text, source="upload").elements
    else:
        raise InputError(f"format: expected 'tle' or 'omm', found {fmt!r}")
    if not elements:
        raise InputError("upload: no element set found in the text")
    return fmt, list(elements)


async def _upload_text(request: Request) -> tuple[str, str | None]:
    raw = await request.body()
    if len(raw) > MAX_UPLOAD_BYTES:
        raise InputError(
            f"upload: {len(raw)} bytes is more than the {MAX_UPLOAD_BYTES} allowed; split the file"
        )
    content_type = request.headers.get("content-type", "text/plain").split(";")[0].strip()
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"upload: not UTF-8 text (byte {exc.start})") from None
    if content_type == "application/json":
        try:
            body = json_object(json.loads(decoded), "body")
        except json.JSONDecodeError as exc:
            raise InputError(
                f"body: not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
            ) from None
        unknown = sorted(set(body) - {"format", "text"})
        if unknown:
            raise InputError(f"body: unknown field {unknown[0]!r}; expected format and text")
        text, fmt = body.get("text"), body.get("format")
        if not isinstance(text, str):
            raise InputError("body.text: expected the TLE or OMM text as a string")
        if fmt is not None and not isinstance(fmt, str):
            raise InputError("body.format: expected 'tle' or 'omm'")
        return text, fmt
    if content_type != "text/plain":
        raise InputError(
            f"upload: content type {content_type!r} not accepted; send text/plain (TLE or "
            'OMM text) or application/json {"format", "text"}'
        )
    return decoded, None


@router.post(
    "/element-sets",
    summary="Upload element sets (TLE or OMM)",
    status_code=201,
    openapi_extra=_UPLOAD_BODY,
)
async def element_sets_upload(request: Request, response: Response) -> dict[str, Any]:
    """Store TLE or OMM (KVN, XML, JSON, CSV) element sets; every upload is kept as
    history. The whole upload is rejected when one record is malformed (the error
    names its line and column, or record and field). Re-uploading a set already
    stored changes nothing (200); a different set with the same NORAD id and epoch is
    a 409. A partner may upload for its own spacecraft and for satellites not in the
    registry."""
    viewer = viewer_of(request)
    text, fmt = await _upload_text(request)
    fmt, elements = parse_upload(text, fmt)
    with store_of(request).transaction() as session:
        if viewer.kind == "partner":
            owners = spacecraft_owners(session, sorted({e.norad_id for e in elements}))
            for norad, owner in sorted(owners.items()):
                if owner != viewer.partner_id:
                    raise PermissionDeniedError(
                        f"NORAD {norad} is a spacecraft of {owner!r}: only its owner or the "
                        "coordinator may upload its elements",
                        required=f"owner {owner}",
                    )
        stored = add_element_sets(
            session, elements, fmt=fmt, uploaded_by=author(viewer), now=now_of(request)
        )
        items = [element_set_to_dict(s.record) for s in stored]
    created = sum(s.created for s in stored)
    if not created:
        response.status_code = 200
    return {"items": items, "created": created, "unchanged": len(stored) - created}


@router.get("/element-sets", summary="Current element sets", response_model=Page[dict[str, Any]])
def element_sets_current(
    request: Request,
    paging: Annotated[PageParams, Depends(page_params)],
    norad_id: Annotated[
        list[NoradId] | None, Query(description="Only these satellites (repeatable).")
    ] = None,
) -> dict[str, Any]:
    """The newest element set (by epoch) of each satellite, by NORAD id."""
    with store_of(request).transaction() as session:
        records, total = current_element_sets(
            session, norad_ids=norad_id, limit=paging.limit, offset=paging.offset
        )
        items = [element_set_to_dict(r) for r in records]
    return page(request, paging, items, total)


@router.get(
    "/element-sets/{norad_id}/history",
    summary="Element-set history of one satellite",
    response_model=Page[dict[str, Any]],
)
def element_sets_history(
    request: Request, norad_id: NoradId, paging: Annotated[PageParams, Depends(page_params)]
) -> dict[str, Any]:
    """Every stored element set of the satellite, newest epoch first; 404 when none."""
    with store_of(request).transaction() as session:
        records, total = element_set_history(
            session, norad_id, limit=paging.limit, offset=paging.offset
        )
        if total == 0:
            raise NotFoundError("element sets of NORAD", str(norad_id))
        items = [element_set_to_dict(r) for r in records]
    return page(request, paging, items, total)
