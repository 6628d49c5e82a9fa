"""Approximate areas in the database: every seeded county gets one (marked approximate) and a
population, real boundaries are kept and win, and points are placed in counties across the country."""

from __future__ import annotations

import pytest
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import SHARED_DATA

from yingji.auth.scope import system_scope
from yingji.geo import service
from yingji.geo.models import Division
from yingji.geo.spatial import service as spatial

RASTER = SHARED_DATA / "population" / "worldpop-2020-5arcmin-china.tif"


@pytest.mark.slow
def test_counties_everywhere_get_approximate_areas_and_populations(session: Session) -> None:
    if not RASTER.exists():
        pytest.skip(f"{RASTER} is missing")
    scope = system_scope("test")
    real_before = {
        d.code: d.boundary_wkb for d in session.scalars(select(Division).where(Division.boundary_wkb.is_not(None)))
    }
    made = service.approximate_areas(session=session, scope=scope, population_raster=str(RASTER))
    assert made["county"] > 2500 and made["province"] >= 30 and made["population"] > 2500
    for code, wkb in real_before.items():  # imported (here: the demo region's) boundaries are kept
        row = session.get(Division, code)
        assert row is not None and row.boundary_wkb == wkb and not row.boundary_approximate
    chengdu = session.get(Division, "510104000000")  # 锦江区
    assert chengdu is not None and chengdu.boundary_approximate and (chengdu.population or 0) > 0
    # a point beside a county's position lands in that county, from Xinjiang to Heilongjiang
    counties = session.scalars(
        select(Division).where(Division.level == "county", Division.boundary_approximate.is_(True))
    ).all()
    sample = counties[:: max(1, len(counties) // 40)]
    placed = spatial.locate_points(session, [d.lon for d in sample], [d.lat for d in sample], "county")  # type: ignore[misc]
    assert placed == [d.code for d in sample]
    dingri = session.get(Division, "540223000000")
    assert dingri is not None and not dingri.boundary_approximate
    inside_dingri = shapely.from_wkb(dingri.boundary_wkb).representative_point()
    assert spatial.locate_points(session, [inside_dingri.x], [inside_dingri.y], "county") == ["540223000000"]
    # an approximate area never refuses a position: a point in a neighbouring cell is still accepted
    qingyang = session.get(Division, "510105000000")
    assert qingyang is not None and qingyang.lon is not None
    service.check_position(session=session, division_codes=["510104000000"], lon=qingyang.lon, lat=qingyang.lat)
