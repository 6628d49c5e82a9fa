from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import Field

from yingji.schemas_common import Schema

LevelName = Literal["country", "province", "prefecture", "county", "township", "village"]


class DivisionRead(Schema):
    code: str
    parent: str | None = Field(validation_alias="parent_code")
    name: str
    pinyin: str
    level: str
    lon: float | None
    lat: float | None
    population: int | None
    has_boundary: bool = False
    boundary_approximate: bool = False  # an area built from positions (no boundary file imported)


class DivisionFeature(Schema):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


F = TypeVar("F", bound=DivisionFeature)


class FeatureCollectionOf(Schema, Generic[F]):
    """A GeoJSON FeatureCollection of ``F`` (the divisions' boundaries here, the reserves' map layers)."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[F]


class DivisionFeatures(FeatureCollectionOf[DivisionFeature]):
    pass


class LocateIn(Schema):
    points: list[tuple[float, float]] = Field(max_length=100_000, description="[lon, lat] pairs, WGS 84")
    level: LevelName = "township"


class LocateOut(Schema):
    codes: list[str | None]


class ImportResult(Schema):
    imported: int
