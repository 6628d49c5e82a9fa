from __future__ import annotations

import json
from typing import Annotated

import shapely
from fastapi import APIRouter, Path, Query, UploadFile

from yingji.api_common import ListRequestDep, Page, ScopeDep, SessionDep
from yingji.errors import InvalidInput
from yingji.geo import service
from yingji.geo.models import Division
from yingji.geo.schemas import (
    DivisionFeature,
    DivisionFeatures,
    DivisionRead,
    ImportResult,
    LevelName,
    LocateIn,
    LocateOut,
)

router = APIRouter(prefix="/api/v1/divisions", tags=["divisions"])
CodePath = Annotated[str, Path(max_length=20, description="12-digit (or 6-digit) division code")]


def read(d: Division) -> DivisionRead:
    out = DivisionRead.model_validate(d)
    out.has_boundary = d.boundary_wkb is not None
    return out


@router.get("", response_model=Page[DivisionRead], operation_id="divisions_list")
def list_divisions(
    req: ListRequestDep,
    level: LevelName | None = None,
    parent: Annotated[str | None, Query(pattern=r"^\d{6}(\d{3}){0,2}$")] = None,
    q: Annotated[str | None, Query(max_length=50)] = None,
) -> Page[DivisionRead]:
    """Divisions the caller may read: own subtree and ancestor chain; ``parent`` gives direct children."""
    return req.of(service.list_divisions, read, level=level, parent=parent, q=q)


@router.get("/boundaries", response_model=DivisionFeatures, operation_id="divisions_boundaries")
def boundaries(
    session: SessionDep,
    scope: ScopeDep,
    level: LevelName = "county",
    parent: Annotated[str | None, Query(pattern=r"^\d{6}(\d{3}){0,2}$")] = None,
) -> DivisionFeatures:
    """Boundaries (GeoJSON) of readable divisions of a level — the offline base layer of the map."""
    rows, _ = service.list_divisions(session=session, scope=scope, level=level, parent=parent, limit=5000)
    features = []
    for d in rows:
        geometry = json.loads(shapely.to_geojson(shapely.from_wkb(d.boundary_wkb))) if d.boundary_wkb else None
        features.append(
            DivisionFeature(
                id=d.code,
                geometry=geometry,
                properties={
                    "code": d.code,
                    "name": d.name,
                    "level": d.level,
                    "population": d.population,
                    "approximate": d.boundary_approximate,
                },
            )
        )
    return DivisionFeatures(features=features)


@router.post("/locate", response_model=LocateOut, operation_id="divisions_locate")
def locate(body: LocateIn, session: SessionDep, scope: ScopeDep) -> LocateOut:
    """The division of a level containing each point (null where none in your jurisdiction does)."""
    for lon, lat in body.points:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidInput(f"point ({lon}, {lat}) is not a longitude/latitude pair", field="points")
    codes = service.locate(
        session=session,
        scope=scope,
        lons=[p[0] for p in body.points],
        lats=[p[1] for p in body.points],
        level=body.level,
    )
    return LocateOut(codes=codes)


@router.post("/import", response_model=ImportResult, operation_id="divisions_import")
async def import_file(file: UploadFile, session: SessionDep, scope: ScopeDep, gcj02: bool = False) -> ImportResult:
    """Import a CSV or GeoJSON file of divisions; rejected whole (with the line and reason) on any error."""
    raw = await file.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("file is not UTF-8 text", field="file") from None
    name = (file.filename or "").lower()
    fmt = "geojson" if name.endswith((".geojson", ".json")) or text.lstrip().startswith("{") else "csv"
    count = service.import_text(
        session=session, scope=scope, text=text, fmt=fmt, gcj02=gcj02, source=f"import:{file.filename}"
    )
    return ImportResult(imported=count)


@router.get("/{code}", response_model=DivisionRead, operation_id="divisions_get")
def get_division(code: CodePath, session: SessionDep, scope: ScopeDep) -> DivisionRead:
    return read(service.get(session=session, scope=scope, code=code))


@router.get("/{code}/children", response_model=list[DivisionRead], operation_id="divisions_children")
def children(code: CodePath, session: SessionDep, scope: ScopeDep) -> list[DivisionRead]:
    return [read(d) for d in service.children(session=session, scope=scope, code=code)]


@router.get("/{code}/ancestors", response_model=list[DivisionRead], operation_id="divisions_ancestors")
def ancestors(code: CodePath, session: SessionDep, scope: ScopeDep) -> list[DivisionRead]:
    return [read(d) for d in service.ancestors(session=session, scope=scope, code=code)]


@router.get("/{code}/descendants", response_model=list[DivisionRead], operation_id="divisions_descendants")
def descendants(
    code: CodePath, session: SessionDep, scope: ScopeDep, level: LevelName | None = None
) -> list[DivisionRead]:
    return [read(d) for d in service.descendants(session=session, scope=scope, code=code, level=level)]
