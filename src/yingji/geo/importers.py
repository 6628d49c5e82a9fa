"""Parse division files (CSV, GeoJSON, Shapefile) into records, rejecting the whole file at the first bad line.

Pure: no database. The service checks what needs the database (parents that already exist) and writes
everything in one transaction, so a rejected file leaves nothing behind.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from struct import error as struct_error
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

from yingji.geo.codes import LEVELS, CodeError, level_of, normalise_code
from yingji.geo.coords import gcj02_to_wgs84

CSV_COLUMNS = ("code", "name", "level", "parent", "lon", "lat", "population", "pinyin")


class ImportRejected(ValueError):
    """A file rejected whole: ``line`` (1-based; for GeoJSON the feature number) and ``reason``."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass
class DivisionRecord:
    line: int
    code: str
    name: str
    level: str
    parent_code: str | None
    lon: float | None = None
    lat: float | None = None
    population: int | None = None
    pinyin: str = ""
    boundary: Polygon | MultiPolygon | None = None


def _float(value: Any, what: str, line: int, low: float, high: float) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ImportRejected(line, f"{what} {value!r} is not a number") from None
    if not low <= number <= high:
        raise ImportRejected(line, f"{what} {number} is outside [{low}, {high}]")
    return number


def _record(line: int, raw: dict[str, Any], boundary: Polygon | MultiPolygon | None) -> DivisionRecord:
    try:
        code = normalise_code(raw.get("code") or "")
    except CodeError as exc:
        raise ImportRejected(line, str(exc)) from None
    name = str(raw.get("name") or "").strip()
    if not name:
        raise ImportRejected(line, "name is empty")
    level = str(raw.get("level") or "").strip() or level_of(code)
    if level not in LEVELS:
        raise ImportRejected(line, f"level {level!r} is not one of {', '.join(LEVELS)}")
    parent_raw = raw.get("parent") or raw.get("parent_code")
    try:
        parent = normalise_code(parent_raw) if parent_raw not in (None, "") else None
    except CodeError as exc:
        raise ImportRejected(line, f"parent: {exc}") from None
    population = raw.get("population")
    pop: int | None = None
    if population not in (None, ""):
        try:
            pop = int(float(population))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ImportRejected(line, f"population {population!r} is not a number") from None
        if pop < 0:
            raise ImportRejected(line, "population is negative")
    lon = _float(raw.get("lon", raw.get("longitude")), "lon", line, -180, 180)
    lat = _float(raw.get("lat", raw.get("latitude")), "lat", line, -90, 90)
    if (lon is None) != (lat is None):
        raise ImportRejected(line, "lon and lat must be given together")
    if lon is None and boundary is not None:
        rep = boundary.representative_point()
        lon, lat = rep.x, rep.y
    return DivisionRecord(
        line=line,
        code=code,
        name=name,
        level=level,
        parent_code=parent,
        lon=lon,
        lat=lat,
        population=pop,
        pinyin=str(raw.get("pinyin") or ""),
        boundary=boundary,
    )


def parse_csv(text: str, *, gcj02: bool = False) -> list[DivisionRecord]:
    """CSV with a header; columns ``code,name`` required, the others of :data:`CSV_COLUMNS` optional."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in ("code", "name") if c not in header]
    if missing:
        raise ImportRejected(1, f"missing column(s): {', '.join(missing)}")
    records = [_record(reader.line_num, row, None) for row in reader]
    return _finish(records, gcj02)


def parse_geojson(text: str, *, gcj02: bool = False) -> list[DivisionRecord]:
    """A FeatureCollection whose features carry ``code``, ``name`` (and optionally the CSV columns) in
    ``properties`` and a Polygon/MultiPolygon (boundary) or Point (position) geometry."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRejected(exc.lineno, f"not JSON: {exc.msg}") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ImportRejected(1, "expected a GeoJSON FeatureCollection")
    features = doc.get("features")
    if not isinstance(features, list):
        raise ImportRejected(1, "FeatureCollection has no features list")
    records = []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
            raise ImportRejected(number, "feature without properties")
        props = dict(feature["properties"])
        boundary: Polygon | MultiPolygon | None = None
        geometry = feature.get("geometry")
        if geometry:
            try:
                geom = shape(geometry)
            except Exception as exc:  # shapely raises several types for malformed input
                raise ImportRejected(number, f"broken geometry: {exc}") from None
            if geom.geom_type == "Point":
                props.setdefault("lon", geom.x)
                props.setdefault("lat", geom.y)
            elif isinstance(geom, Polygon | MultiPolygon):
                if geom.is_empty or not geom.is_valid:
                    raise ImportRejected(number, f"invalid polygon: {shapely.is_valid_reason(geom)}")
                boundary = geom
            else:
                raise ImportRejected(number, f"geometry type {geom.geom_type} is not Point/Polygon/MultiPolygon")
        records.append(_record(number, props, boundary))
    return _finish(records, gcj02)


def parse_shapefile(
    shp: bytes, dbf: bytes, *, prj: str | None = None, encoding: str | None = None, gcj02: bool = False
) -> list[DivisionRecord]:
    """An ESRI Shapefile (the ``.shp`` and ``.dbf`` parts; ``.prj`` and the ``.cpg`` encoding when given),
    read like the GeoJSON form: attribute columns ``code``, ``name`` (and optionally the CSV columns),
    polygons as boundaries, points as positions. A projected ``.prj`` is transformed to WGS 84; without
    ``.cpg`` the attributes are read as UTF-8, else GB 18030 (most Chinese shapefiles)."""
    import io

    import shapefile

    features = []
    for attempt in [encoding] if encoding else ["utf-8", "gb18030"]:
        try:
            reader = shapefile.Reader(shp=io.BytesIO(shp), dbf=io.BytesIO(dbf), encoding=attempt)
            features = [
                {"type": "Feature", "properties": dict(rec.record.as_dict()), "geometry": rec.shape.__geo_interface__}
                for rec in reader.iterShapeRecords()
            ]
            break
        except UnicodeDecodeError:
            continue
        except (shapefile.ShapefileException, ValueError, OSError, struct_error) as exc:
            if "decode" in str(exc) and not encoding:
                continue  # the next encoding
            raise ImportRejected(1, f"not a shapefile: {exc}") from None
    else:
        raise ImportRejected(1, "the attribute table is neither UTF-8 nor GB 18030 (give a .cpg file)")
    for feature in features:
        props = feature["properties"]
        for key in list(props):
            props[key.lower()] = props.pop(key)
        if props.get("code") is not None:
            props["code"] = str(props["code"]).strip()
        if feature["geometry"].get("type") == "Null":
            feature["geometry"] = None
    if prj:
        _to_geographic(features, prj)
    collection = {"type": "FeatureCollection", "features": features}
    return parse_geojson(json.dumps(collection, ensure_ascii=False, default=str), gcj02=gcj02)


def _to_geographic(features: list[dict[str, Any]], prj: str) -> None:
    """Geometries of a projected ``.prj`` transformed to WGS 84, in place."""
    from pyproj import CRS, Transformer
    from shapely.geometry import mapping

    try:
        crs = CRS.from_wkt(prj)
    except Exception as exc:  # pyproj raises CRSError and others for a broken .prj
        raise ImportRejected(1, f"the .prj is not a coordinate reference system: {exc}") from None
    if crs.is_geographic:
        return  # WGS 84 and CGCS2000 agree to well under a metre
    to_wgs84 = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    for number, feature in enumerate(features, start=1):
        if feature["geometry"] is None:
            continue
        try:
            geom = shape(feature["geometry"])
        except Exception as exc:  # shapely raises several types for malformed input
            raise ImportRejected(number, f"broken geometry: {exc}") from None
        moved = shapely.transform(geom, lambda xy: np.column_stack(to_wgs84.transform(xy[:, 0], xy[:, 1])))
        feature["geometry"] = mapping(moved)


def _finish(records: list[DivisionRecord], gcj02: bool) -> list[DivisionRecord]:
    seen: dict[str, int] = {}
    for rec in records:
        if rec.code in seen:
            raise ImportRejected(rec.line, f"code {rec.code} repeats line {seen[rec.code]}")
        seen[rec.code] = rec.line
    if gcj02:
        for rec in records:
            _to_wgs84(rec)
    return records


def _to_wgs84(rec: DivisionRecord) -> None:
    if rec.lon is not None and rec.lat is not None:
        lon, lat = gcj02_to_wgs84(rec.lon, rec.lat)
        rec.lon, rec.lat = float(lon), float(lat)
    if rec.boundary is not None:
        rec.boundary = shapely.transform(rec.boundary, _gcj_coords)


def _gcj_coords(xy: Any) -> Any:
    import numpy as np

    lon, lat = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def pinyin_of(names: Iterable[str]) -> list[str]:
    from pypinyin import lazy_pinyin

    return [" ".join(lazy_pinyin(n, errors="ignore")) for n in names]
