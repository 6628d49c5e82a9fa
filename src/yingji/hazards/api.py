"""Work-safety reference routes: the determination standards and GB 18218-2018 identification."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from yingji.api_common import ScopeDep
from yingji.errors import NotFound
from yingji.hazards import determination, gb18218
from yingji.hazards.installations import service as installation_service
from yingji.hazards.installations.schemas import InventoryLineIn

router = APIRouter(prefix="/api/v1", tags=["work safety"])


class IdentifyIn(BaseModel):
    exposed_people: int = Field(ge=0, le=10_000_000)
    lines: list[InventoryLineIn] = Field(max_length=200)


@router.get("/determination-standards", operation_id="determination_standards_list")
def list_standards(scope: ScopeDep) -> list[dict[str, Any]]:
    """The major-accident-hazard determination standards: title, order, published total, items stored."""
    scope.require("hazards:read")
    return [
        {
            "id": s.id, "title": s.title, "issuer": s.issuer, "in_force": s.in_force, "source": s.source,
            "counted": s.counted, "published_total": s.published_total, "stored": len(s.counted_items()),
        }
        for s in determination.standards()
    ]  # fmt: skip


@router.get("/determination-standards/{standard_id}", operation_id="determination_standards_get")
def get_standard(standard_id: Annotated[str, Path(max_length=64)], scope: ScopeDep) -> dict[str, Any]:
    """One standard with every item: id, article, text, industries, status."""
    scope.require("hazards:read")
    for std in determination.standards():
        if std.id == standard_id:
            return {
                "id": std.id, "title": std.title, "issuer": std.issuer, "in_force": std.in_force,
                "source": std.source, "published_total": std.published_total,
                "items": [
                    {"id": i.id, "article": i.article, "text": i.text, "categories": list(i.categories),
                     "sub_sectors": list(i.sub_sectors), "status": i.status, "parent": i.parent}
                    for i in std.items
                ],
            }  # fmt: skip
    raise NotFound("determination standard not found")


@router.post("/hazards/identify", operation_id="hazards_identify")
def identify(body: IdentifyIn, scope: ScopeDep) -> dict[str, Any]:
    """GB 18218-2018 identification and grading of an inventory, exactly (nothing is stored)."""
    scope.require("hazards:read")
    result, _lines = installation_service.assess_lines(body.lines, body.exposed_people)
    return gb18218.assessment_json(result)
