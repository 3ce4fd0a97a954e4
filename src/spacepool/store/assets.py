"""Contributed assets: spacecraft (with their instruments), ground stations and
facilities, each owned by a partner.

An asset is stored as its consortium record's ``to_dict()`` (``document``) with the
fields that queries need as columns (kind, id, owner, name, NORAD id).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spacepool.consortium import Facility, GroundStation, Spacecraft
from spacepool.errors import InputError, NotFoundError, UnknownNameError
from spacepool.store.models import ASSET_KINDS, AssetRecord
from spacepool.store.paging import page_rows
from spacepool.store.partners import require_partners

Asset = Spacecraft | GroundStation | Facility

KIND_OF: Final[dict[type, str]] = {
    Spacecraft: "spacecraft",
    GroundStation: "station",
    Facility: "facility",
}


def check_kind(kind: str) -> str:
    if kind not in ASSET_KINDS:
        raise InputError(f"asset kind {kind!r}: expected one of {', '.join(ASSET_KINDS)}")
    return kind


def put_asset(session: Session, asset: Asset, *, now: datetime) -> bool:
    """Insert or update ``asset``; True when something changed. Its owner (and each
    instrument's owner) must be a registered partner."""
    kind = KIND_OF[type(asset)]
    owners = {asset.owner}
    if isinstance(asset, Spacecraft):
        owners |= {i.owner for i in asset.instruments if i.owner is not None}
    require_partners(session, frozenset(owners))
    document = asset.to_dict()
    norad_id = asset.norad_id if isinstance(asset, Spacecraft) else None
    record = session.get(AssetRecord, (kind, asset.id))
    if record is None:
        session.add(
            AssetRecord(
                kind=kind,
                id=asset.id,
                owner_id=asset.owner,
                name=asset.name,
                norad_id=norad_id,
                document=document,
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        return True
    if record.document == document and record.owner_id == asset.owner:
        return False
    record.owner_id, record.name, record.norad_id = asset.owner, asset.name, norad_id
    record.document = document
    record.updated_at = now
    session.flush()
    return True


def list_assets(
    session: Session,
    *,
    kind: str | None = None,
    owner: str | None = None,
    limit: int,
    offset: int,
) -> tuple[list[AssetRecord], int]:
    """A page of assets ordered by kind and id, optionally of one kind and owner."""
    query = select(AssetRecord)
    if kind is not None:
        query = query.where(AssetRecord.kind == check_kind(kind))
    if owner is not None:
        require_partners(session, frozenset({owner}))
        query = query.where(AssetRecord.owner_id == owner)
    statement = query.order_by(AssetRecord.kind, AssetRecord.id)
    return page_rows(session, statement, limit=limit, offset=offset)


def get_asset(session: Session, kind: str, asset_id: str) -> AssetRecord:
    record = session.get(AssetRecord, (check_kind(kind), asset_id))
    if record is None:
        raise NotFoundError(kind, asset_id)
    return record


def asset_to_dict(record: AssetRecord) -> dict[str, Any]:
    """The HTTP form: the consortium record plus ``kind``."""
    return {"kind": record.kind, **record.document}


def spacecraft_of(record: AssetRecord) -> Spacecraft:
    return Spacecraft.from_dict(record.document, path=f"spacecraft {record.id}")


def station_of(record: AssetRecord) -> GroundStation:
    return GroundStation.from_dict(record.document, path=f"station {record.id}")


def all_spacecraft(session: Session) -> list[Spacecraft]:
    rows = session.scalars(
        select(AssetRecord).where(AssetRecord.kind == "spacecraft").order_by(AssetRecord.id)
    )
    return [spacecraft_of(r) for r in rows]


def stations_by_id(session: Session, station_ids: Sequence[str]) -> list[GroundStation]:
    """The registry's stations named by ``station_ids`` (in that order), or
    :class:`UnknownNameError` listing the stations that exist."""
    wanted = list(dict.fromkeys(station_ids))
    rows = session.scalars(
        select(AssetRecord).where(AssetRecord.kind == "station", AssetRecord.id.in_(wanted))
    )
    found = {r.id: station_of(r) for r in rows}
    for station_id in wanted:
        if station_id not in found:
            known = list(
                session.scalars(select(AssetRecord.id).where(AssetRecord.kind == "station"))
            )
            raise UnknownNameError("station", station_id, known)
    return [found[s] for s in wanted]


def contribution_summary(session: Session, partner_ids: list[str]) -> dict[str, dict[str, int]]:
    """``{partner: {"spacecraft": n, "instruments": n, "stations": n, "facilities": n}}``;
    an instrument counts for its own owner (NISAR's S-band SAR for ISRO)."""
    out = {
        p: {"spacecraft": 0, "instruments": 0, "stations": 0, "facilities": 0} for p in partner_ids
    }
    counts = session.execute(
        select(AssetRecord.owner_id, AssetRecord.kind, func.count())
        .where(AssetRecord.owner_id.in_(partner_ids))
        .group_by(AssetRecord.owner_id, AssetRecord.kind)
    )
    plural = {"spacecraft": "spacecraft", "station": "stations", "facility": "facilities"}
    for owner, kind, n in counts:
        out[owner][plural[kind]] = n
    instruments: Counter[str] = Counter()
    for craft in session.scalars(select(AssetRecord).where(AssetRecord.kind == "spacecraft")):
        for instrument in craft.document.get("instruments", []):
            instruments[instrument.get("owner") or craft.owner_id] += 1
    for partner in partner_ids:
        out[partner]["instruments"] = instruments[partner]
    return out


def spacecraft_by_norad(session: Session) -> dict[int, Spacecraft]:
    """Every registered spacecraft by NORAD id."""
    return {sc.norad_id: sc for sc in all_spacecraft(session)}


def spacecraft_owners(session: Session, norad_ids: Sequence[int]) -> dict[int, str]:
    """``{NORAD id: owner}`` of the registered spacecraft among ``norad_ids``."""
    rows = session.execute(
        select(AssetRecord.norad_id, AssetRecord.owner_id).where(
            AssetRecord.norad_id.in_(list(norad_ids))
        )
    )
    return {norad: owner for norad, owner in rows if norad is not None}
