"""Boundaries from ESRI Shapefiles: projected files transformed to WGS 84, GB 18030 attributes read,
children that stray outside their parent refused whole, and populations summed from the raster."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import shapefile
import shapely
from pyproj import CRS, Transformer
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import SHARED_DATA

from yingji.auth.scope import system_scope
from yingji.db import make_engine, session_factory
from yingji.errors import InvalidInput
from yingji.geo import service
from yingji.geo.models import Division

MERCATOR = CRS.from_epsg(3857)
TO_M = Transformer.from_crs("EPSG:4326", MERCATOR, always_xy=True)
RASTER = SHARED_DATA / "population" / "worldpop-2020-5arcmin-china.tif"


def shapefile_bytes(rows: list[tuple[str, str, str, list[tuple[float, float]]]], encoding: str) -> tuple[bytes, bytes]:
    """(code, name, parent, ring in lon/lat) → the .shp and .dbf of a Web-Mercator shapefile."""
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON, encoding=encoding) as writer:
        writer.field("CODE", "C", 12)
        writer.field("NAME", "C", 40)
        writer.field("PARENT", "C", 12)
        for code, name, parent, ring in rows:
            writer.poly([[TO_M.transform(lon, lat) for lon, lat in ring]])
            writer.record(code, name, parent)
    return shp.getvalue(), dbf.getvalue()


def box(west: float, south: float, east: float, north: float) -> list[tuple[float, float]]:
    return [(west, south), (west, north), (east, north), (east, south), (west, south)]


def test_a_projected_gb18030_shapefile_imports_as_wgs84_boundaries(session: Session) -> None:
    chengdu = box(104.05, 30.6, 104.15, 30.68)
    shp, dbf = shapefile_bytes([("510104000000", "锦江区", "510100000000", chengdu)], "gb18030")
    count = service.import_shapefile(
        session=session, scope=system_scope("t"), shp=shp, dbf=dbf, prj=MERCATOR.to_wkt(), encoding=None
    )
    assert count == 1
    row = session.get(Division, "510104000000")
    assert row is not None and row.name == "锦江区" and not row.boundary_approximate
    bounds = shapely.from_wkb(row.boundary_wkb).bounds
    assert abs(bounds[0] - 104.05) < 1e-6 and abs(bounds[3] - 30.68) < 1e-6


def test_a_child_outside_its_parent_rejects_the_whole_file(session: Session) -> None:
    scope = system_scope("t")
    shp, dbf = shapefile_bytes(
        [
            ("510104000000", "锦江区", "510100000000", box(104.05, 30.6, 104.15, 30.68)),
            ("510104001000", "某街道", "510104000000", box(104.10, 30.6, 104.30, 30.65)),  # half outside
        ],
        "utf-8",
    )
    with pytest.raises(InvalidInput, match="outside its parent"):
        service.import_shapefile(
            session=session, scope=scope, shp=shp, dbf=dbf, prj=MERCATOR.to_wkt(), encoding="utf-8"
        )
    assert session.scalar(select(Division.code).where(Division.code == "510104001000")) is None


def test_cli_import_of_a_shapefile_sets_populations_from_the_raster(db_url: str, tmp_path: Path) -> None:
    if not RASTER.exists():
        pytest.skip(f"{RASTER} is missing")
    shp, dbf = shapefile_bytes([("510104000000", "锦江区", "510100000000", box(103.9, 30.5, 104.3, 30.8))], "utf-8")
    (tmp_path / "chengdu.shp").write_bytes(shp)
    (tmp_path / "chengdu.dbf").write_bytes(dbf)
    (tmp_path / "chengdu.prj").write_text(MERCATOR.to_wkt())
    (tmp_path / "chengdu.cpg").write_text("UTF-8")
    env = {**os.environ, "YINGJI_DATABASE_URL": db_url, "YINGJI_REDIS_URL": ""}
    yingji = str(Path(sys.executable).parent / "yingji")
    result = subprocess.run(
        [yingji, "division", "import", str(tmp_path / "chengdu.shp"), "--population", str(RASTER)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    engine = make_engine(db_url)
    with session_factory(engine)() as check:
        row = check.get(Division, "510104000000")
        assert row is not None and row.population is not None and row.population > 100_000  # central Chengdu
    engine.dispose()
