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
from sqlalchemy import ColumnElement, exists, select, true
from sqlalchemy.orm import Session

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.db import paginate
from yingji.errors import InvalidInput, NotFound
from yingji.geo.codes import COUNTRY_CODE
from yingji.geo.models import Division
from yingji.geo.spatial import service as spatial
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

# The event as a request, the engine's input and the stored assessment all name it: epicentre, depth, magnitude.
_EVENT = ("lon", "lat", "depth_km", "magnitude", "magnitude_type")
# The request's options the engine takes as they are.
_OPTIONS = ("strike_deg", "region", "step_deg", "loss_intensity", "model", "aftershock_set", "temperature_c")


def engine_input(assessment_in: AssessmentIn, *, now: dt.datetime, population_raster: Path | None) -> Any:
    """The pure engine's input for a request (population filled in later when there is no raster)."""
    from yingji.quake.assess import EarthquakeInput

    origin = assessment_in.origin_time or now
    at = assessment_in.at or (now if origin <= now else origin)
    given = {name: getattr(assessment_in, name) for name in (*_EVENT, *_OPTIONS)}
    return EarthquakeInput(**given, origin_time=origin, at=at, population_raster=population_raster)


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


def _has_settlements(session: Session, grid: Any) -> bool:
    return len(settlements_in(session, grid.west, grid.south, grid.east, grid.north)[4]) > 0


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
    raise NotFound(
        "no division of your jurisdiction holds the epicentre or lies within reach of the shaking",
        key="quake.error.outside",
    )


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
        incident_id=assessment_in.incident_id,
        create_incident=assessment_in.create_incident,
    )


def run_input(
    *,
    session: Session,
    scope: Scope,
    inp: Any,
    inputs: dict[str, Any],
    now: dt.datetime,
    max_cells: int = MAX_CELLS,
    incident_id: int | None = None,
    create_incident: bool = False,
) -> QuakeAssessment:
    """Run the engine on ``inp`` (an ``EarthquakeInput``; without a population or raster the database's
    settlements are used, without geohazard sites the demo region's synthetic ones) and store the result
    with ``inputs`` as its recorded inputs. ``incident_id`` attaches it to (and updates) that earthquake
    incident; ``create_incident`` creates one. Any refusal rolls the whole unit back."""
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
    if inp.population is None and inp.population_raster is None and _has_settlements(session, grid):
        inp.population = demo_population(session)
        inp.population_source = DEMO_POPULATION
    # else: the packaged WorldPop 2020 raster (the engine's default)
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
        raise NotFound(
            "no division of your jurisdiction holds the epicentre or is shaken at degree VI or more",
            key="quake.error.outside",
        )
    data = result.to_dict()
    if demo_sites:
        data["notes"].append("geohazard sites: the demo region's synthetic inventory (clearly labelled, not real)")
    source = inp.population_source or (Path(str(inp.population_raster)).name if inp.population_raster else "given")
    row = QuakeAssessment(
        division_code=epicentre_county or COUNTRY_CODE,
        **{name: getattr(inp, name) for name in _EVENT},
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
    if incident_id is not None:
        row.incident_id = attach_to_incident(session=session, scope=scope, row=row, incident_id=incident_id, now=now)
    elif create_incident:
        row.incident_id = create_incident_for(session=session, scope=scope, row=row, now=now)
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


# -- the incident (through Command's service) -------------------------------------------------------


def incident_figures(row: QuakeAssessment, *, with_deaths: bool) -> Any:
    """The figures an assessment gives an earthquake incident: magnitude and the density class of the
    VI+ area (Command's initial grading, 初判), and — only when asked and at least one — the expected
    deaths in whole people, recorded with the assessment as their source so reported counts replace them."""
    import math

    from yingji.incidents.schemas import FiguresIn

    response = row.results.get("response", {})
    deaths = math.floor(row.expected_deaths)
    return FiguresIn(
        magnitude=row.magnitude,
        population_density=response.get("density_class"),
        deaths=deaths if with_deaths and deaths >= 1 else None,
    )


def _figures_source(row: QuakeAssessment) -> str:
    return f"earthquake rapid assessment #{row.id} (estimate)"


def _timeline_text(row: QuakeAssessment) -> str:
    level = f"response level {row.response_level}" if row.response_level else "no response level"
    return (
        f"earthquake rapid assessment #{row.id}: M{row.magnitude:.1f} {row.magnitude_type}, max intensity "
        f"{row.max_intensity:.1f}, expected deaths {row.expected_deaths:.0f}, {level}"
    )


def _timeline_data(row: QuakeAssessment) -> dict[str, Any]:
    return {
        "assessment_id": row.id,
        "page": f"/quake/{row.id}",
        "report": f"/api/v1/quake/assessments/{row.id}/report",
        "zones": f"/api/v1/quake/assessments/{row.id}/zones",
        "max_intensity": row.max_intensity,
        "expected_deaths": round(row.expected_deaths, 1),
        "response_level": row.response_level,
        "magnitude": round(float(row.magnitude), 1),
    }


def vi_outline(row: QuakeAssessment) -> dict[str, Any] | None:
    """The outline of the area shaken at VI or more, simplified to at most a few hundred vertices (the
    incident's area)."""
    from shapely.geometry import Polygon, mapping, shape
    from shapely.ops import unary_union

    geometries = [shape(f["geometry"]) for f in row.zones.get("features", []) if f.get("geometry")]
    if not geometries:
        return None
    union = unary_union(geometries).simplify(0.02, preserve_topology=True)
    largest = max(getattr(union, "geoms", [union]), key=lambda g: g.area)
    if not isinstance(largest, Polygon) or largest.is_empty:
        return None
    outline = Polygon(largest.exterior.coords)
    if len(outline.exterior.coords) > 900:
        outline = (
            Polygon(outline.convex_hull.exterior.coords) if outline.convex_hull.geom_type == "Polygon" else outline
        )
    return dict(mapping(outline))


def create_incident_for(*, session: Session, scope: Scope, row: QuakeAssessment, now: dt.datetime) -> int:
    """Create an earthquake incident over the affected counties the caller may write (the epicentre's
    first), with the assessment's figures, its VI+ outline as the area, and a timeline entry linking it."""
    from yingji.incidents import service as incident_service
    from yingji.incidents.schemas import IncidentCreate

    counties = [c for c in row.division_codes if c.endswith("000000") and scope.covers(c)]
    counties.sort(key=lambda c: (c != row.division_code, c))
    if not counties:
        raise NotFound("no county of your jurisdiction is affected: the incident cannot be created")
    names = _division_rows(session, counties[:1])
    place = names.get(counties[0], ("", ""))[0]
    incident = incident_service.create(
        session=session,
        scope=scope,
        incident_in=IncidentCreate(
            title=f"{place} M{row.magnitude:.1f} 地震",
            incident_type="earthquake",  # type: ignore[arg-type]
            divisions=counties[:50],
            lon=row.lon,
            lat=row.lat,
            area=vi_outline(row),  # type: ignore[arg-type]
            description=_timeline_text(row),
            occurred_at=row.origin_time,
            reported_at=max(now, row.origin_time),
            figures=incident_figures(row, with_deaths=True),
            figures_source=_figures_source(row)[:100],
        ),
        place_checked=True,  # the epicentre and the VI+ outline may lie beyond the affected counties
    )
    incident_service.add_timeline_entry(
        session=session,
        scope=scope,
        incident_id=incident.id,
        kind="quake_assessment",
        text=_timeline_text(row),
        data=_timeline_data(row),
    )
    return int(incident.id)


def attach_to_incident(
    *, session: Session, scope: Scope, row: QuakeAssessment, incident_id: int, now: dt.datetime
) -> int:
    """Update an earthquake incident the caller may change: magnitude and density always, the estimated
    deaths only while no death count is recorded; and a timeline entry linking the assessment."""
    from yingji.incidents import service as incident_service

    incident = incident_service.get_for_change(session=session, scope=scope, incident_id=incident_id)
    if incident.incident_type != "earthquake":
        raise InvalidInput(
            f"incident_id: incident {incident_id} is a {incident.incident_type} incident, not an earthquake",
            field="incident_id",
        )
    incident_service.change_figures(
        session=session,
        scope=scope,
        incident_id=incident_id,
        version=incident.version,
        figures=incident_figures(row, with_deaths=incident.figures.get("deaths") is None),
        source=_figures_source(row)[:100],
        at=now,
    )
    incident_service.add_timeline_entry(
        session=session,
        scope=scope,
        incident_id=incident_id,
        kind="quake_assessment",
        text=_timeline_text(row),
        data=_timeline_data(row),
    )
    return incident_id


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
    return paginate(
        session, stmt, QuakeAssessment.origin_time.desc(), QuakeAssessment.id.desc(), limit=limit, offset=offset
    )


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
