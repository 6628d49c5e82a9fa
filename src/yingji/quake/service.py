"""Earthquake assessments with the database: run the pure engine on a population from the configured
raster or from the demo data's settlements, work out the divisions it affects, store it, and read it back
within the caller's jurisdiction.

Jurisdiction rule (docs/quake.md): an assessment belongs to the divisions it affects — every county and
township shaken at degree VI or more, plus the county and township holding the epicentre. A caller may
*run* an assessment when the epicentre's county or any affected division lies in their subtree, and may
*read* one when any of its divisions does (national users: all). Shaking does not stop at a border, so a
county sees the earthquakes that shake it wherever they struck; a county no earthquake reaches sees
nothing of it (404), as for any other row outside its scope.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, exists, func, select, true
from sqlalchemy.orm import Session

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.errors import InvalidInput, NotFound
from yingji.geo import spatial
from yingji.geo.codes import COUNTRY_CODE
from yingji.geo.models import Division
from yingji.quake.models import AssessmentDivision, QuakeAssessment
from yingji.quake.schemas import AssessmentIn

# A grid of more cells than this is refused (an M8.5 at 0.01° has about 0.65 million): one request must
# stay within seconds.
MAX_CELLS = 1_500_000
DEMO_SOURCE = "synthetic demo data (yingji demo)"  # the Division.source of the demo's townships and villages
DEMO_POPULATION = "demo data settlements (villages of the divisions table, synthetic)"
AFFECTED_LEVELS = ("county", "township")
MIN_AFFECTING_DEGREE = 6


# -- inputs ------------------------------------------------------------------------------------------


def engine_input(assessment_in: AssessmentIn, *, now: dt.datetime, population_raster: Path | None) -> Any:
    """The pure engine's input for a request (population filled in later when there is no raster)."""
    from yingji.quake.assess import EarthquakeInput

    origin = assessment_in.origin_time or now
    at = assessment_in.at or (now if origin <= now else origin)
    return EarthquakeInput(
        lon=assessment_in.lon,
        lat=assessment_in.lat,
        depth_km=assessment_in.depth_km,
        magnitude=assessment_in.magnitude,
        magnitude_type=assessment_in.magnitude_type,
        origin_time=origin,
        at=at,
        strike_deg=assessment_in.strike_deg,
        population_raster=population_raster,
        region=assessment_in.region,
        step_deg=assessment_in.step_deg,
        loss_intensity=assessment_in.loss_intensity,
        aftershock_set=assessment_in.aftershock_set,
        temperature_c=assessment_in.temperature_c,
    )


def settlements_in(
    session: Session, west: float, south: float, east: float, north: float
) -> tuple[list[str], list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Settlements with positions and people inside the box: villages, else townships (the demo data's
    settlement layer). Unscoped on purpose: people across the border are shaken too."""
    for level in ("village", "township"):
        rows = session.execute(
            select(Division.code, Division.name, Division.lon, Division.lat, Division.population).where(
                Division.level == level,
                Division.population.is_not(None),
                Division.lon.between(west, east),
                Division.lat.between(south, north),
            )
        ).all()
        if rows:
            return (
                [r[0] for r in rows],
                [r[1] for r in rows],
                np.asarray([r[2] for r in rows], dtype=np.float64),
                np.asarray([r[3] for r in rows], dtype=np.float64),
                np.asarray([r[4] for r in rows], dtype=np.float64),
            )
    empty = np.zeros(0)
    return [], [], empty, empty, empty


def demo_population(session: Session) -> Callable[[Any], np.ndarray]:
    """A population provider for any grid from the settlements in the database (item 3 of the issue:
    without a raster, the demo data's population). Refuses clearly when there are none near."""
    from yingji.quake.exposure import population_from_points

    def on_grid(grid: Any) -> np.ndarray:
        _, _, lons, lats, people = settlements_in(session, grid.west, grid.south, grid.east, grid.north)
        if len(people) == 0:
            raise InvalidInput(
                "population: no raster given (--population FILE.tif or YINGJI_POPULATION_RASTER) and the "
                "database holds no settlements with population near the epicentre (load them with 'yingji demo load')"
            )
        result: np.ndarray = population_from_points(lons, lats, people, grid)
        return result

    return on_grid


def demo_geohazard_sites(session: Session, grid: Any) -> list[Any]:
    """The clearly labelled synthetic inventory, for the demo region's villages only."""
    from yingji.quake.geohazards import synthetic_sites

    rows = session.execute(
        select(Division.code, Division.name, Division.lon, Division.lat, Division.population).where(
            Division.level == "village",
            Division.source == DEMO_SOURCE,
            Division.population.is_not(None),
            Division.lon.between(grid.west, grid.east),
            Division.lat.between(grid.south, grid.north),
        )
    ).all()
    return synthetic_sites(
        [r[0] for r in rows],
        [r[1] for r in rows],
        [float(r[2] or 0.0) for r in rows],
        [float(r[3] or 0.0) for r in rows],
        [float(r[4] or 0) for r in rows],
    )


def boundaries_in(session: Session, grid: Any, levels: Sequence[str] = AFFECTED_LEVELS) -> dict[str, Any]:
    """Polygons (shapely) of the divisions of ``levels`` whose bounding boxes meet the grid."""
    import shapely

    rows = session.execute(
        select(Division.code, Division.boundary_wkb).where(
            Division.level.in_(list(levels)),
            Division.boundary_wkb.is_not(None),
            Division.max_lon >= grid.west,
            Division.min_lon <= grid.east,
            Division.max_lat >= grid.south,
            Division.min_lat <= grid.north,
        )
    ).all()
    return {code: shapely.from_wkb(wkb) for code, wkb in rows}


# -- running -----------------------------------------------------------------------------------------


def _epicentre_divisions(session: Session, lon: float, lat: float) -> tuple[str | None, str | None]:
    county = spatial.locate_points(session, [lon], [lat], "county")[0]
    township = spatial.locate_points(session, [lon], [lat], "township")[0]
    return county, township


def _check_may_run(scope: Scope, epicentre_county: str | None, candidates: Sequence[str]) -> None:
    """Before any work: the epicentre's county, or a division the shaking might reach, must be the caller's."""
    if not scope.prefix:
        return
    if scope.covers(epicentre_county) or scope.covers_any(candidates):
        return
    raise NotFound("no division of your jurisdiction holds the epicentre or lies within reach of the shaking")


def _division_rows(session: Session, codes: Sequence[str]) -> dict[str, tuple[str, str]]:
    if not codes:
        return {}
    rows = session.execute(select(Division.code, Division.name, Division.level).where(Division.code.in_(codes)))
    return {code: (name, level) for code, name, level in rows}


def exposure_rows(session: Session, result: Any, polygons: dict[str, Any]) -> list[dict[str, Any]]:
    """Exposure by division (county and township), most people at VI+ first; only divisions shaken."""
    from yingji.quake.exposure import division_shaking

    shaking = division_shaking(result.chinese.values, result.population, result.chinese.grid, polygons)
    named = _division_rows(session, list(shaking))
    rows: list[dict[str, Any]] = [
        {
            "code": code,
            "name": named.get(code, (code, ""))[0],
            "level": named.get(code, ("", ""))[1],
            "max_degree": s.max_degree,
            "people_by_degree": {str(k): round(v, 1) for k, v in sorted(s.people_by_degree.items())},
            "people_vi_plus": round(s.people_vi_plus, 1),
        }
        for code, s in shaking.items()
        if s.max_degree >= MIN_AFFECTING_DEGREE - 1
    ]
    rows.sort(key=lambda r: (r["level"] != "county", -float(r["people_vi_plus"]), -int(r["max_degree"]), r["code"]))
    return rows


def run(
    *,
    session: Session,
    scope: Scope,
    assessment_in: AssessmentIn,
    now: dt.datetime,
    population_raster: Path | None = None,
    max_cells: int = MAX_CELLS,
) -> QuakeAssessment:
    """Run the assessment a request describes and store it. Bad input raises before anything is written."""
    inp = engine_input(assessment_in, now=now, population_raster=population_raster)
    return run_input(
        session=session,
        scope=scope,
        inp=inp,
        inputs=assessment_in.model_dump(mode="json"),
        now=now,
        max_cells=max_cells,
    )


def run_input(
    *,
    session: Session,
    scope: Scope,
    inp: Any,
    inputs: dict[str, Any],
    now: dt.datetime,
    max_cells: int = MAX_CELLS,
) -> QuakeAssessment:
    """Run the engine on ``inp`` (an ``EarthquakeInput``; without a population or raster the database's
    settlements are used, without geohazard sites the demo region's synthetic ones) and store the result
    with ``inputs`` as its recorded inputs."""
    from yingji.quake.assess import assess, setup

    scope.require("quake:assess")
    prepared = setup(inp)
    grid = prepared.grid
    if grid.nx * grid.ny > max_cells:
        raise InvalidInput(
            f"step_deg {inp.step_deg}: the grid would have {grid.nx * grid.ny:,} cells (at most {max_cells:,}); "
            "use a larger step",
            field="step_deg",
        )
    epicentre_county, epicentre_township = _epicentre_divisions(session, inp.lon, inp.lat)
    polygons = boundaries_in(session, grid)
    _check_may_run(scope, epicentre_county, list(polygons))
    if inp.population is None and inp.population_raster is None:
        inp.population = demo_population(session)
        inp.population_source = DEMO_POPULATION
    if not inp.geohazard_sites:
        inp.geohazard_sites = demo_geohazard_sites(session, grid)
        demo_sites = bool(inp.geohazard_sites)
    else:
        demo_sites = False
    result = assess(inp, prepared)
    by_division = exposure_rows(session, result, polygons)
    affected = {r["code"] for r in by_division if r["max_degree"] >= MIN_AFFECTING_DEGREE}
    affected |= {c for c in (epicentre_county, epicentre_township) if c is not None}
    if scope.prefix and not scope.covers_any(affected):
        raise NotFound("no division of your jurisdiction holds the epicentre or is shaken at degree VI or more")
    data = result.to_dict()
    if demo_sites:
        data["notes"].append("geohazard sites: the demo region's synthetic inventory (clearly labelled, not real)")
    source = inp.population_source or (Path(str(inp.population_raster)).name if inp.population_raster else "given")
    row = QuakeAssessment(
        division_code=epicentre_county or COUNTRY_CODE,
        lon=inp.lon,
        lat=inp.lat,
        depth_km=inp.depth_km,
        magnitude=inp.magnitude,
        magnitude_type=inp.magnitude_type,
        origin_time=inp.origin_time,
        assessed_at=inp.at,
        max_intensity=float(data["max_intensity"]),
        expected_deaths=float(data["fatalities"]["expected"]),
        response_level=data["response_level"],
        population_source=source[:200],
        inputs=inputs,
        results=data,
        zones=result.zones_geojson(),
        exposure_by_division=by_division,
        incident_id=None,
        created_by=scope.actor,
        created_at=now,
    )
    row.divisions = [AssessmentDivision(code=code) for code in sorted(affected)]
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        scope=scope,
        action="create",
        entity="quake_assessment",
        entity_id=row.id,
        division_code=row.division_code if row.division_code != COUNTRY_CODE else None,
        after=_audit_view(row),
        divisions=sorted(affected),
    )
    return row


def _audit_view(row: QuakeAssessment) -> dict[str, Any]:
    """The audit's after-image: the stored figures, not the bulky results and zones."""
    view = audit.snapshot(row)
    for bulky in ("results", "zones", "exposure_by_division"):
        view.pop(bulky, None)
    return view


# -- reading -----------------------------------------------------------------------------------------


def readable_clause(scope: Scope) -> ColumnElement[bool]:
    if not scope.prefix:
        return true()
    return exists(
        select(AssessmentDivision.assessment_id).where(
            AssessmentDivision.assessment_id == QuakeAssessment.id, scope.where_covered(AssessmentDivision.code)
        )
    )


def get(*, session: Session, scope: Scope, assessment_id: int) -> QuakeAssessment:
    row = session.get(QuakeAssessment, assessment_id)
    if row is None or (scope.prefix and not scope.covers_any(row.division_codes)):
        raise NotFound(f"assessment {assessment_id} not found")
    return row


def list_assessments(
    *, session: Session, scope: Scope, limit: int = 100, offset: int = 0, incident_id: int | None = None
) -> tuple[list[QuakeAssessment], int]:
    """Readable assessments, newest origin first."""
    stmt = select(QuakeAssessment).where(readable_clause(scope))
    if incident_id is not None:
        stmt = stmt.where(QuakeAssessment.incident_id == incident_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(QuakeAssessment.origin_time.desc(), QuakeAssessment.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def exposure_for(scope: Scope, row: QuakeAssessment) -> list[dict[str, Any]]:
    """Exposure by division, limited to the divisions the caller may read."""
    return [r for r in row.exposure_by_division if scope.can_read(str(r["code"]))]


def results_for(scope: Scope, row: QuakeAssessment) -> dict[str, Any]:
    """The stored results with the demo geohazard sites of other jurisdictions' villages left out."""
    data = dict(row.results)
    sites = data.get("geohazards") or []
    data["geohazards"] = [
        s for s in sites if not str(s.get("id", "")).startswith("demo-") or scope.can_read(str(s["id"])[5:])
    ]
    return data


def report_html(*, scope: Scope, row: QuakeAssessment) -> str:
    """The one-page printable report of a stored assessment."""
    from yingji.quake.report import cpca_seats, render_report

    divisions = [
        {**r, "name": r["name"], "max_degree": r["max_degree"]}
        for r in exposure_for(scope, row)
        if r["level"] == "county" or len(row.exposure_by_division) <= 15
    ]
    return render_report(
        results_for(scope, row),
        row.zones,
        cpca_seats(),
        title=f"地震灾害快速评估报告 #{row.id}",
        generated_at=row.created_at.isoformat(),
        divisions=divisions,
    )
