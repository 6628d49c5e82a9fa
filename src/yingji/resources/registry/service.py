"""What every reserves registry shares: the item catalogue, scoped reads and writes of registered rows, the
division a new row is registered at, and the check of a position against that division.

Jurisdiction: a row is registered at a division (``division_code``). Callers read and write rows in their
subtree, read (never write) rows registered on their ancestor chain, and see nothing else. Services never
commit; every write appends an audit entry."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.db import paginate, utcnow
from yingji.errors import InvalidInput
from yingji.geo import service as division_service
from yingji.geo.codes import code_range, prefix
from yingji.geo.models import Division
from yingji.geo.spatial import service as spatial
from yingji.relief.inputs import CatalogueItem, builtin_catalogue
from yingji.resources.models import (
    Depot,
    RescueTeam,
    Shelter,
    Vehicle,
)

R = TypeVar("R", Depot, Shelter, RescueTeam, Vehicle)
READ, WRITE = "resources:read", "resources:write"


# -- shared helpers -----------------------------------------------------------------------------------


def catalogue() -> dict[str, CatalogueItem]:
    """The relief-item catalogue (``standards/relief_items.yaml``, shared with the dispatch engine)."""
    return builtin_catalogue()


def item_id(raw: str) -> str:
    """A catalogue item by id or Chinese name; unknown items are refused."""
    items = catalogue()
    if raw in items:
        return raw
    for key, item in items.items():
        if item.name_zh == raw:
            return key
    raise InvalidInput(f"unknown item {raw!r}; the catalogue has {', '.join(items)}", field="item")


def paged(session: Session, stmt: Select[Any], order: Any, limit: int | None, offset: int) -> tuple[list[Any], int]:
    return paginate(session, stmt, order, limit=limit, offset=offset)


def _under(column: InstrumentedAttribute[str], code: str | None, session: Session, scope: Scope) -> Any:
    """Rows registered in the subtree of the division ``code`` (which the caller must be able to read)."""
    division = division_service.get(session=session, scope=scope, code=code or "")
    low, high = code_range(prefix(division.code, division.level))
    return column.between(low, high)


def registered(model: type[R], *equal: str, where: Mapping[str, access.Filter] | None = None) -> access.Listing[R]:
    """The list of ``model``'s rows the caller may read (in id order) — those registered under the filter
    ``division`` when given, and whose ``equal`` columns hold the values given (see ``access.Listing``)."""
    return access.Listing.readable(
        model,
        READ,
        order=(model.id,),
        equal=equal,
        where=where or {},
        within=lambda session, scope, code: _under(model.division_code, code, session, scope),
    )


def readable(session: Session, scope: Scope, model: type[R], row_id: int, what: str) -> R:
    return access.get_readable(
        session=session, scope=scope, model=model, row_id=row_id, what=f"{what} {row_id}", permission=READ
    )


def writable(session: Session, scope: Scope, model: type[R], row_id: int, what: str, lock: bool = False) -> R:
    row = access.get_readable(
        session=session, scope=scope, model=model, row_id=row_id, what=f"{what} {row_id}", lock=lock, permission=WRITE
    )
    scope.require_write(row.division_code, what)
    return row


def registering_division(session: Session, scope: Scope, code: str) -> Division:
    """The division a new row is registered at: readable, and in the caller's own subtree."""
    return division_service.get_writable(session=session, scope=scope, code=code)


def check_position(session: Session, division: Division, lon: float, lat: float, what: str) -> None:
    """Refuse a position outside the division it is registered at (when boundaries are known) or
    outside every known division.

    The division's own boundary decides when it has one; else the county boundary containing the point
    must lie in the division's subtree; else (no boundary there) the point must lie within the extent of
    the division's known places, widened by one degree.
    """
    if division.boundary_wkb is not None:  # the one check every domain uses (with its tolerance)
        division_service.check_position(
            session=session, division_codes=[division.code], lon=lon, lat=lat, what=f"{what} position"
        )
        return
    code_prefix = prefix(division.code, division.level)
    county = spatial.locate_points(session, [lon], [lat], "county")[0]
    if county is not None:
        if not county.startswith(code_prefix):
            raise InvalidInput(
                f"{what} position ({lon}, {lat}) lies in division {county}, outside {division.name} ({division.code})",
                field="lon",
            )
        return
    low, high = code_range(code_prefix)
    extent = session.execute(
        select(func.min(Division.lon), func.max(Division.lon), func.min(Division.lat), func.max(Division.lat)).where(
            Division.code.between(low, high), Division.lon.is_not(None)
        )
    ).one()
    if extent[0] is None:
        return  # nothing known about where this division lies
    min_lon, max_lon, min_lat, max_lat = (float(v) for v in extent)
    if not (min_lon - 1 <= lon <= max_lon + 1 and min_lat - 1 <= lat <= max_lat + 1):
        raise InvalidInput(
            f"{what} position ({lon}, {lat}) lies outside all divisions of {division.name} ({division.code})",
            field="lon",
        )


def _apply(row: Any, values: dict[str, Any]) -> None:
    for key, value in values.items():
        setattr(row, key, value)


def register(
    session: Session, scope: Scope, model: type[R], division: Division, *, entity: str, source: str, **values: Any
) -> R:
    """Add a new registered row at ``division`` (stamped, with its source) and audit its creation."""
    now = utcnow()
    row = model(**values, division_code=division.code, source=source, created_at=now, updated_at=now)
    audit.created(session, scope, row, entity=entity, division_code=division.code)
    return row


def patch_values(
    session: Session, row: Any, patch: BaseModel, what: str, nullable: Collection[str] = ()
) -> dict[str, Any]:
    """The fields a patch sets (``None`` means "leave alone" except for the ``nullable`` ones); a new
    position is checked against the division the row is registered at."""
    values = {k: v for k, v in patch.model_dump(exclude_unset=True).items() if v is not None or k in nullable}
    if "lon" in values or "lat" in values:
        division = session.get_one(Division, row.division_code)
        check_position(session, division, values.get("lon", row.lon), values.get("lat", row.lat), what)
    return values


def save_patch(
    session: Session, scope: Scope, row: Any, before: dict[str, Any], values: dict[str, Any], *, entity: str
) -> None:
    """Apply checked patch values to a registered row, stamp it and audit the change."""
    _apply(row, values)
    row.updated_at = utcnow()
    audit.changed(session, scope, row, before, entity=entity)
