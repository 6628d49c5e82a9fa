"""Division queries and imports, on SQLite and on PostgreSQL/PostGIS (the same tests)."""

import json

import numpy as np
import pytest
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji.auth.scope import system_scope
from yingji.errors import InvalidInput, NotFound
from yingji.geo import service
from yingji.geo.models import Division

SYSTEM = system_scope("test")


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Division)) or 0)


def test_ancestors_run_from_parent_to_root(session: Session) -> None:
    chain = service.ancestors(session=session, scope=SYSTEM, code="540223001000")
    assert [d.code for d in chain] == ["540223000000", "540200000000", "540000000000", "000000000000"]


def test_children_are_the_direct_children_only(session: Session) -> None:
    kids = service.children(session=session, scope=SYSTEM, code="540200")
    assert {d.level for d in kids} == {"county"}
    assert "540223000000" in {d.code for d in kids}
    assert len(kids) == 18


def test_descendants_reach_villages(session: Session) -> None:
    villages = service.descendants(session=session, scope=SYSTEM, code="540223", level="village")
    assert villages and all(v.code.startswith("540223") for v in villages)


def test_search_by_chinese_name_and_pinyin(session: Session) -> None:
    by_name, _ = service.list_divisions(session=session, scope=SYSTEM, q="定日县")
    by_pinyin, _ = service.list_divisions(session=session, scope=SYSTEM, q="ding ri xian")
    assert [d.code for d in by_name] == ["540223000000"]
    assert "540223000000" in [d.code for d in by_pinyin]


def test_unknown_division_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        service.get(session=session, scope=SYSTEM, code="999999")


@pytest.mark.parametrize("n", [500, 6000])  # 6000: PostGIS fetches candidates and tests in GEOS
def test_locate_matches_an_exact_geometric_test(session: Session, n: int) -> None:
    towns = service.descendants(session=session, scope=SYSTEM, code="540200", level="township")
    polygons = shapely.from_wkb([t.boundary_wkb for t in towns])
    rng = np.random.default_rng(7)
    lons, lats = rng.uniform(85, 90, n), rng.uniform(27.5, 30, n)
    found = service.locate(session=session, scope=SYSTEM, lons=lons.tolist(), lats=lats.tolist())
    hits = shapely.intersects(polygons[:, None], shapely.points(lons, lats)[None, :])  # towns × points
    codes = np.array([t.code for t in towns])
    for j, code in enumerate(found):
        inside = codes[hits[:, j]]
        assert code == (min(inside) if len(inside) else None)


def test_locate_with_no_points_returns_nothing(session: Session) -> None:
    assert service.locate(session=session, scope=SYSTEM, lons=[], lats=[]) == []


CSV_OK = "code,name,level,parent,lon,lat\n540223001001,测试村甲,village,540223001000,87.1,28.6\n"


def test_csv_import_creates_divisions_with_pinyin(session: Session) -> None:
    assert service.import_text(session=session, scope=SYSTEM, text=CSV_OK, fmt="csv") == 1
    row = session.get(Division, "540223001001")
    assert row is not None and row.name == "测试村甲" and row.pinyin == "ce shi cun jia"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("code,name,parent\n540223001901,A,540223001000\n54022300190,B,540223001000\n", 3, "digits"),
        ("code,name,parent\n540223001901,A,540223001000\n540223001902,,540223001000\n", 3, "name is empty"),
        ("code,name,parent,lon,lat\n540223001901,A,540223001000,87,28\n540223001902,B,540223001000,870,28\n", 3, "lon"),
        ("code,name,parent\n540223001901,A,540223001000\n540224001901,B,540223001000\n", 3, "prefix"),
        ("code,name,parent\n540223001901,A,540223001000\n540223001902,B,540299001000\n", 3, "neither"),
        ("code,name,parent\n540223001901,A,540223001000\n540223001901,B,540223001000\n", 3, "repeats"),
    ],
)
def test_malformed_csv_is_rejected_whole_with_line_and_reason(
    session: Session, text: str, line: int, reason: str
) -> None:
    before = count(session)
    with pytest.raises(InvalidInput) as err:
        service.import_text(session=session, scope=SYSTEM, text=text, fmt="csv")
    assert f"line {line}" in err.value.detail and reason in err.value.detail
    assert count(session) == before


def _feature(code: str, coords: list[list[float]]) -> dict[str, object]:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": f"区{code[-3:]}", "parent": "540223001000"},
        "geometry": {"type": "Polygon", "coordinates": [coords]},
    }


def test_geojson_import_stores_boundaries_for_locate(session: Session) -> None:
    import shapely

    village = session.get(Division, "540223001002")
    assert village is not None and village.boundary_wkb is not None
    inside = shapely.from_wkb(village.boundary_wkb).representative_point()
    x, y, d = inside.x, inside.y, 0.0005
    square = [[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]
    doc = {"type": "FeatureCollection", "features": [_feature("540223001002", square)]}  # a resurveyed village
    service.import_text(session=session, scope=SYSTEM, text=json.dumps(doc), fmt="geojson")
    stored = session.get(Division, "540223001002")
    assert stored is not None and shapely.from_wkb(stored.boundary_wkb).area < (3 * d) ** 2
    assert service.locate(session=session, scope=SYSTEM, lons=[x], lats=[y], level="village") == ["540223001002"]
    beside = service.locate(session=session, scope=SYSTEM, lons=[x + 3 * d], lats=[y], level="village")
    assert beside != ["540223001002"]


def test_a_boundary_outside_its_parent_rejects_the_file(session: Session) -> None:
    square = [[100.0, 40.0], [100.01, 40.0], [100.01, 40.01], [100.0, 40.01], [100.0, 40.0]]  # far from the demo
    doc = {"type": "FeatureCollection", "features": [_feature("540223001777", square)]}
    with pytest.raises(InvalidInput, match="outside its parent"):
        service.import_text(session=session, scope=SYSTEM, text=json.dumps(doc), fmt="geojson")


def test_geojson_with_a_broken_polygon_is_rejected_whole(session: Session) -> None:
    good = [[87.0, 28.5], [87.01, 28.5], [87.01, 28.51], [87.0, 28.5]]
    bowtie = [[87.0, 28.5], [87.01, 28.51], [87.01, 28.5], [87.0, 28.51], [87.0, 28.5]]
    doc = {"type": "FeatureCollection", "features": [_feature("540223001771", good), _feature("540223001772", bowtie)]}
    before = count(session)
    with pytest.raises(InvalidInput) as err:
        service.import_text(session=session, scope=SYSTEM, text=json.dumps(doc), fmt="geojson")
    assert "line 2" in err.value.detail and "invalid polygon" in err.value.detail
    assert count(session) == before


def test_gcj02_input_is_converted_on_import(session: Session) -> None:
    text = "code,name,parent,lon,lat\n540223001901,甲,540223001000,87.1,28.6\n"
    service.import_text(session=session, scope=SYSTEM, text=text, fmt="csv", gcj02=True)
    row = session.get(Division, "540223001901")
    assert row is not None and row.lon is not None and row.lat is not None
    assert 1e-4 < abs(row.lon - 87.1) < 1e-2 and abs(row.lat - 28.6) < 1e-2


def test_national_seed_has_real_codes_and_positions(session: Session) -> None:
    dingri = session.get(Division, "540223000000")
    assert dingri is not None and dingri.name == "定日县" and dingri.level == "county"
    assert dingri.lon == pytest.approx(87.126, abs=0.01) and dingri.lat == pytest.approx(28.659, abs=0.01)
    _provinces, total = service.list_divisions(session=session, scope=SYSTEM, level="province", limit=None)
    assert total >= 31
