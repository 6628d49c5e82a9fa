"""Coverage of the reserves: the pure computations, then the tables, layers and report over the demo."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.auth.scope import Scope
from yingji.geo.models import Division
from yingji.relief.travel import FallbackSpeed
from yingji.resources import coverage, coverage_report, service
from yingji.resources.demo import load_demo_resources

SPEED = FallbackSpeed(detour_factor=1.0, speed_kmh=111.19)  # ≈ one degree of latitude per hour


def arr(*values: float) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def test_each_level_gives_its_own_nearest_depot() -> None:
    found = coverage.nearest_by_level(
        arr(0.0), arr(0.0), arr(0.0, 0.0, 0.0), arr(1.0, 3.0, 2.0), ["county", "county", "city"],
        ["county", "city", "provincial"], SPEED,
    )  # fmt: skip
    assert (int(found["county"].index[0]), int(found["city"].index[0])) == (0, 2)
    assert found["county"].hours[0] == pytest.approx(1.0, rel=1e-3)
    assert found["provincial"].index[0] == -1 and np.isinf(found["provincial"].hours[0])


def test_a_place_beyond_a_target_or_without_a_depot_of_that_level_misses_it() -> None:
    found = coverage.nearest_by_level(
        arr(0.0, 0.0), arr(0.0, 9.0), arr(0.0), arr(0.5), ["county"], ["county", "city"], SPEED
    )
    missed = coverage.missed_targets(found, {"county": 6.0, "city": 8.0})
    assert missed == [["city"], ["county", "city"]]


def test_shelter_area_is_judged_against_one_and_a_half_square_metres_per_resident() -> None:
    rows = coverage.shelter_adequacy([1000, 1000, None], [1500.0, 1499.0, 0.0], [1000, 999, 0], 1.5)
    assert [r["meets_area_norm"] for r in rows] == [True, False, True]
    assert rows[0]["area_per_resident_m2"] == 1.5


def test_team_coverage_looks_only_at_teams_with_the_capability() -> None:
    found = coverage.team_coverage(
        arr(0.0), arr(0.0), arr(0.0, 0.0), arr(0.1, 2.0), [["medical"], ["hazmat"]], ["hazmat", "water_rescue"], SPEED
    )
    assert int(found["hazmat"].index[0]) == 1 and found["water_rescue"].index[0] == -1


def test_the_delivery_targets_are_six_eight_and_ten_hours() -> None:
    assert coverage.delivery_targets() == {"county": 6.0, "city": 8.0, "provincial": 10.0}


# -- over the demo region ---------------------------------------------------------------------------


@pytest.fixture
def demo(session: Session, national: Scope) -> Session:
    load_demo_resources(session=session, scope=national)
    return session


def test_the_demo_counties_without_a_depot_are_reported(demo: Session, prefecture: Scope) -> None:
    table = service.depot_coverage(session=demo, scope=prefecture)
    counties = sorted(demo.scalars(select(Division.code).where(Division.parent_code == "540200000000")))
    assert [c["code"] for c in table["counties_without_county_depot"]] == counties[-2:]
    assert {p["level"] for p in table["places"]} == {"county", "township"}


def test_a_county_sees_the_prefecture_depot_as_its_nearest_city_depot(demo: Session, dingri: Scope) -> None:
    table = service.depot_coverage(session=demo, scope=dingri, level="county")
    (place,) = table["places"]
    assert place["code"] == "540223000000"
    assert place["nearest"]["city"]["name"].startswith("日喀则市") and place["nearest"]["county"]["hours"] < 1
    assert place["nearest"]["central"]["hours"] > 10


def test_townships_short_of_shelter_area_are_flagged(demo: Session, prefecture: Scope) -> None:
    rows = service.shelter_coverage(session=demo, scope=prefecture)["townships"]
    assert rows and all(r["shelters"] >= 1 for r in rows)
    assert any(not r["meets_area_norm"] for r in rows) and any(r["meets_area_norm"] for r in rows)


def test_team_coverage_reports_capabilities_nobody_has(demo: Session, prefecture: Scope) -> None:
    rows = service.team_coverage(session=demo, scope=prefecture)["rows"]
    forest = [r for r in rows if r["capability"] == "forest_fire"]
    assert forest and all(r["team_id"] is None and not r["within_target"] for r in forest)
    assert any(r["within_target"] for r in rows if r["capability"] == "search_rescue")


def test_the_gaps_layer_outlines_the_counties_without_a_depot(demo: Session, prefecture: Scope) -> None:
    missing = {
        c["code"] for c in service.depot_coverage(session=demo, scope=prefecture)["counties_without_county_depot"]
    }
    features = service.layer(session=demo, scope=prefecture, name="gaps")
    outlined = {f["properties"]["code"] for f in features if "no county-level depot" in f["properties"]["problems"]}
    assert outlined == missing
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon", "Point") for f in features)


def test_the_report_is_printable_html_with_every_section(demo: Session, prefecture: Scope) -> None:
    html = coverage_report.render(
        title="<覆盖>",
        generated_at="now",
        depots=service.depot_coverage(session=demo, scope=prefecture),
        shelters=service.shelter_coverage(session=demo, scope=prefecture),
        teams=service.team_coverage(session=demo, scope=prefecture),
    )
    assert html.startswith("<!DOCTYPE html>") and "@media print" in html and "&lt;覆盖&gt;" in html
    for heading in ("无县级储备库的县", "各级最近储备库", "避难场所容量", "救援能力覆盖"):
        assert heading in html


def test_layer_features_carry_a_label_and_a_colour_for_the_map(demo: Session, prefecture: Scope) -> None:
    for name in ("depots", "shelters", "teams", "gaps"):
        features = service.layer(session=demo, scope=prefecture, name=name)
        props = [f["properties"] for f in features]
        assert props and all(p["label"] and p["colour"].startswith("#") for p in props)


def test_gaps_come_as_codes_with_parameters_rendered_in_both_languages(demo: Session, prefecture: Scope) -> None:
    from yingji.web.i18n import translator

    coded = service.gap_codes(session=demo, scope=prefecture)
    kinds = {g["code"] for found in coded.values() for g in found}
    assert "no_county_depot" in kinds and kinds <= set(service.GAP_TEXTS)
    english = service.gaps(session=demo, scope=prefecture)
    assert english == {code: [service.gap_text(g) for g in found] for code, found in coded.items()}
    zh, en = translator("zh"), translator("en")
    for found in coded.values():
        for gap in found:
            params = {**gap["params"], **({"level": "县级"} if "level" in gap["params"] else {})}
            text_zh, text_en = zh("gap." + gap["code"], **params), en("gap." + gap["code"], **params)
            assert text_zh != text_en and "{" not in text_zh + text_en and not text_zh.startswith("gap.")
    features = service.layer(session=demo, scope=prefecture, name="gaps")
    assert all(f["properties"]["gaps"] == coded[f["properties"]["code"]] for f in features)
