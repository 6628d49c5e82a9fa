"""Assessments with the database (SQLite and PostgreSQL): the demo data's population, exposure by division,
the jurisdiction rule, storage, and nothing written when the input is bad."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from yingji.auth.models import AuditEntry
from yingji.auth.roles import all_permissions
from yingji.auth.scope import Scope, system_scope
from yingji.db import session_factory, transaction
from yingji.errors import InvalidInput, NotFound
from yingji.quake import service
from yingji.quake.models import AssessmentDivision, QuakeAssessment
from yingji.quake.schemas import AssessmentIn

NOW = dt.datetime(2025, 1, 7, 3, 0, tzinfo=dt.UTC)
DINGRI = dict(lon=87.45, lat=28.5, depth_km=10.0, magnitude=6.8, step_deg=0.05)
LAZI_SMALL = dict(lon=87.75, lat=29.3, depth_km=10.0, magnitude=4.5, step_deg=0.02)


def county(prefix: str) -> Scope:
    return Scope(
        actor=f"user-{prefix}", division_code=prefix.ljust(12, "0"), prefix=prefix, permissions=all_permissions()
    )


def run(session: Session, scope: Scope, **values: object) -> QuakeAssessment:
    return service.run(session=session, scope=scope, assessment_in=AssessmentIn(**values), now=NOW)  # type: ignore[arg-type]


def test_without_a_raster_the_demo_settlements_give_the_people(session: Session) -> None:
    row = run(session, system_scope(), **DINGRI)
    assert row.population_source == service.DEMO_POPULATION
    assert sum(z["population"] for z in row.results["zones"]) > 10_000
    assert any("demo data settlements" in c for c in row.results["credits"])


def test_exposure_by_division_lists_the_shaken_counties_within_the_zone_totals(session: Session) -> None:
    row = run(session, system_scope(), **DINGRI)
    counties = [r for r in row.exposure_by_division if r["level"] == "county"]
    assert "540223000000" in {r["code"] for r in counties}  # 定日
    vi_plus = sum(z["population"] for z in row.results["zones"])
    assert sum(r["people_vi_plus"] for r in counties) <= vi_plus + 1e-6
    assert {r["code"] for r in counties if r["max_degree"] >= 6} <= set(row.division_codes)


def test_the_epicentre_county_is_the_assessments_division(session: Session) -> None:
    row = run(session, system_scope(), **LAZI_SMALL)
    assert row.division_code == "540225000000"
    assert all(code.startswith("540225") for code in row.division_codes)


def test_demo_geohazard_sites_are_labelled_synthetic(session: Session) -> None:
    row = run(session, system_scope(), **DINGRI)
    sites = row.results["geohazards"]
    assert sites and all("（演示）" in s["name"] and s["id"].startswith("demo-") for s in sites)
    assert [s["rank"] for s in sites] == list(range(1, len(sites) + 1))


def test_a_county_may_run_an_earthquake_that_shakes_it(session: Session) -> None:
    row = run(session, county("540223"), **DINGRI)
    assert row.id and any(c.startswith("540223") for c in row.division_codes)


def test_a_county_the_earthquake_does_not_reach_gets_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        run(session, county("540223"), **LAZI_SMALL)
    assert session.scalar(select(func.count()).select_from(QuakeAssessment)) == 0


def test_another_countys_assessment_is_not_found_and_not_listed(session: Session) -> None:
    foreign = run(session, county("540225"), **LAZI_SMALL)
    with pytest.raises(NotFound):
        service.get(session=session, scope=county("540223"), assessment_id=foreign.id)
    rows, total = service.list_assessments(session=session, scope=county("540223"))
    assert foreign.id not in {r.id for r in rows} and total == len(rows)
    assert foreign.id in {r.id for r in service.list_assessments(session=session, scope=county("540225"))[0]}


def test_exposure_and_sites_are_limited_to_the_readers_divisions(session: Session) -> None:
    row = run(session, system_scope(), **DINGRI)
    own = service.exposure_for(county("540223"), row)
    assert own and all(r["code"].startswith("540223") for r in own)
    sites = service.results_for(county("540223"), row)["geohazards"]
    assert all(s["id"][5:].startswith("540223") for s in sites)


def test_a_grid_beyond_the_cell_limit_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput, match="step_deg"):
        service.run(
            session=session,
            scope=system_scope(),
            assessment_in=AssessmentIn(**DINGRI),  # type: ignore[arg-type]
            now=NOW,
            max_cells=100,
        )


def _counts(engine: Engine) -> tuple[int, int, int]:
    with session_factory(engine)() as s:
        return (
            s.scalar(select(func.count()).select_from(QuakeAssessment)) or 0,
            s.scalar(select(func.count()).select_from(AssessmentDivision)) or 0,
            s.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


def _wrong_crs_raster(path: Path) -> Path:
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=4,
        height=4,
        count=1,
        dtype="float32",
        crs="EPSG:3857",
        transform=from_origin(9_700_000, 3_300_000, 1000, 1000),
    ) as dst:
        dst.write(np.ones((1, 4, 4), dtype="float32"))
    return path


@pytest.mark.parametrize(
    ("change", "raster", "names"),
    [
        ({"magnitude": 8.6}, None, "magnitude"),
        ({"lon": -40.0, "lat": 10.0}, None, "epicentre"),
        ({}, "unreadable", "population raster"),
        ({}, "wrong_crs", "population raster"),
        ({"region": "atlantis"}, None, "region"),
        ({"model": "no-such-model"}, None, "model"),
    ],
)
def test_bad_input_writes_nothing(
    engine: Engine, tmp_path: Path, change: dict[str, object], raster: str | None, names: str
) -> None:
    before = _counts(engine)
    path: Path | None = None
    if raster == "unreadable":
        path = tmp_path / "people.tif"
        path.write_text("not a raster")
    elif raster == "wrong_crs":
        path = _wrong_crs_raster(tmp_path / "people.tif")
    values = {**DINGRI, **change}
    with pytest.raises(InvalidInput) as caught, transaction(session_factory(engine)) as s:
        inp = service.engine_input(AssessmentIn.model_construct(**values), now=NOW, population_raster=path)  # type: ignore[arg-type]
        service.run_input(session=s, scope=system_scope(), inp=inp, inputs=values, now=NOW)
    assert names in caught.value.detail.lower() or names in str(caught.value).lower()
    assert _counts(engine) == before


def test_cli_with_the_database_stores_the_assessment_from_the_demo_population(db_url: str, tmp_path: Path) -> None:
    from yingji.cli import app

    report = tmp_path / "report.html"
    args = [
        "quake",
        "assess",
        "--lon",
        "87.45",
        "--lat",
        "28.5",
        "--depth",
        "10",
        "--magnitude",
        "6.8",
        "--magnitude-type",
        "Ms",
        "--step",
        "0.05",
        "--origin-time",
        "2025-01-07T01:05:16Z",
        "--report",
        str(report),
        "--json",
    ]
    env = {"YINGJI_DATABASE_URL": db_url, "YINGJI_POPULATION_RASTER": "", "YINGJI_REDIS_URL": ""}
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["recorded"] is True and data["assessment_id"] >= 1 and data["incident_id"] >= 1
    assert "定日县" in report.read_text(encoding="utf-8")
    result = CliRunner().invoke(app, [*args[:-3], "--no-db", "--json"], env=env)
    assert result.exit_code == 0, result.output
    offline = json.loads(result.output)
    assert offline["recorded"] is False and any("WorldPop" in c for c in offline["credits"])


def _incident(session: Session, scope: Scope, incident_type: str = "earthquake", **figures: object) -> int:
    from yingji.incidents import service as incident_service
    from yingji.incidents.schemas import IncidentCreate

    created = incident_service.create(
        session=session,
        scope=scope,
        incident_in=IncidentCreate.model_validate(
            {
                "title": "定日地震",
                "incident_type": incident_type,
                "divisions": ["540223000000"],
                "lon": 87.45,
                "lat": 28.5,
                "occurred_at": "2025-01-07T01:05:16+00:00",
                "figures": figures,
            }
        ),
    )
    return int(created.id)


def _timeline_kinds(session: Session, incident_id: int) -> list[tuple[str, object]]:
    from yingji.incidents import service as incident_service

    entries, _ = incident_service.timeline(session=session, scope=system_scope(), incident_id=incident_id)
    return [(e.kind, (e.data or {}).get("assessment_id")) for e in entries]


def test_an_assessment_can_create_its_earthquake_incident(session: Session) -> None:
    from yingji.incidents import service as incident_service

    row = service.run(
        session=session, scope=county("540223"), assessment_in=AssessmentIn(**DINGRI, create_incident=True), now=NOW
    )  # type: ignore[arg-type]
    assert row.incident_id is not None
    incident = incident_service.get(session=session, scope=county("540223"), incident_id=row.incident_id)
    assert incident.incident_type == "earthquake" and incident.division_code == "540223000000"
    assert incident.figures["magnitude"] == 6.8
    assert incident.figures["population_density"] == row.results["response"]["density_class"]
    assert incident.area is not None and incident.area["type"] == "Polygon"
    assert ("quake_assessment", row.id) in _timeline_kinds(session, row.incident_id)


def test_attaching_updates_the_incident_but_keeps_its_reported_deaths(session: Session) -> None:
    from yingji.incidents import service as incident_service

    incident_id = _incident(session, system_scope(), deaths=126)
    row = service.run(
        session=session, scope=county("540223"), assessment_in=AssessmentIn(**DINGRI, incident_id=incident_id), now=NOW
    )  # type: ignore[arg-type]
    incident = incident_service.get(session=session, scope=system_scope(), incident_id=incident_id)
    assert row.incident_id == incident_id
    assert incident.figures["deaths"] == 126 and incident.figures["magnitude"] == 6.8
    assert ("quake_assessment", row.id) in _timeline_kinds(session, incident_id)
    assert incident.recommended_level == 2  # 126 deaths: 重大 (Command's grading)


def test_attaching_to_a_foreign_or_non_earthquake_incident_writes_nothing(engine: Engine) -> None:
    factory = session_factory(engine)
    with transaction(factory) as s:
        flood = _incident(s, system_scope(), incident_type="flood")
        foreign = _incident(s, system_scope())
    before = _counts(engine)
    with pytest.raises(NotFound), transaction(factory) as s:
        service.run(
            session=s, scope=county("540225"), assessment_in=AssessmentIn(**LAZI_SMALL, incident_id=foreign), now=NOW
        )  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="incident_id"), transaction(factory) as s:
        service.run(session=s, scope=system_scope(), assessment_in=AssessmentIn(**DINGRI, incident_id=flood), now=NOW)  # type: ignore[arg-type]
    assert _counts(engine) == before


def test_cli_without_a_database_assesses_without_it_and_says_so(tmp_path: Path) -> None:
    from yingji.cli import app

    places = tmp_path / "places.csv"
    places.write_text("lon,lat,population\n87.40,28.55,5000\n")
    missing = tmp_path / "none.db"
    result = CliRunner().invoke(
        app,
        [
            "quake",
            "assess",
            "--lon",
            "87.45",
            "--lat",
            "28.5",
            "--depth",
            "10",
            "--magnitude",
            "6.0",
            "--magnitude-type",
            "Ms",
            "--step",
            "0.05",
            "--settlements",
            str(places),
            "--json",
        ],
        env={"YINGJI_DATABASE_URL": f"sqlite:///{missing}", "YINGJI_REDIS_URL": ""},
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["recorded"] is False and "yingji db upgrade" in data["database"]
    assert not missing.exists()
