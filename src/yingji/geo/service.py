"""Administrative divisions: queries (scoped), imports (whole or nothing), the national seed."""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from importlib.resources import files
from typing import Any

import numpy as np
import shapely
import shapely.geometry
import shapely.prepared
from shapely.geometry.base import BaseGeometry
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.db import utcnow
from yingji.errors import InvalidInput, NotFound
from yingji.geo import boundaries
from yingji.geo.codes import COUNTRY_CODE, code_range, depth, level_of, normalise_code, prefix
from yingji.geo.importers import DivisionRecord, ImportRejected, parse_csv, parse_geojson, pinyin_of
from yingji.geo.models import Division
from yingji.geo.spatial import service as spatial


def _code(raw: str) -> str:
    try:
        return normalise_code(raw)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="code") from None


def get_unscoped(*, session: Session, code: str) -> Division:
    division = session.get(Division, _code(code))
    if division is None:
        raise NotFound(f"division {code} not found")
    return division


def get(*, session: Session, scope: Scope, code: str) -> Division:
    """A division the caller may read (own subtree or ancestor chain); else NotFound."""
    division = session.get(Division, _code(code))
    if division is None or not scope.can_read(division.code):
        raise NotFound(f"division {code} not found")
    return division


def facts(*, session: Session, scope: Scope, code: str) -> tuple[str, str, int | None]:
    """``(code, level, population)`` of a division the caller may read (else NotFound, as :func:`get`),
    without loading the row: its boundary polygon can be megabytes, and a hot path (a township's report)
    needs none of it."""
    normal = _code(code)
    row = session.execute(select(Division.level, Division.population).where(Division.code == normal)).first()
    if row is None or not scope.can_read(normal):
        raise NotFound(f"division {code} not found")
    return normal, row[0], row[1]


def get_writable(*, session: Session, scope: Scope, code: str) -> Division:
    """A division the caller may write to (its own subtree): one it cannot read is "not found", one it only
    reads (an ancestor) is refused (403)."""
    division = get(session=session, scope=scope, code=code)
    scope.require_write(division.code, "division")
    return division


def ancestors_unscoped(*, session: Session, code: str) -> list[Division]:
    """From the parent up to the root."""
    chain: list[Division] = []
    current = session.get(Division, code)
    while current is not None and current.parent_code is not None:
        current = session.get(Division, current.parent_code)
        if current is not None:
            chain.append(current)
    return chain


def ancestors(*, session: Session, scope: Scope, code: str) -> list[Division]:
    division = get(session=session, scope=scope, code=code)
    return [d for d in ancestors_unscoped(session=session, code=division.code) if scope.can_read(d.code)]


def children(*, session: Session, scope: Scope, code: str) -> list[Division]:
    division = get(session=session, scope=scope, code=code)
    stmt = select(Division).where(Division.parent_code == division.code, scope.where_readable(Division.code))
    return list(session.scalars(stmt.order_by(Division.code)))


def descendants(*, session: Session, scope: Scope, code: str, level: str | None = None) -> list[Division]:
    division = get(session=session, scope=scope, code=code)
    low, high = code_range(prefix(division.code, division.level))
    stmt = select(Division).where(
        Division.code > division.code, Division.code >= low, Division.code <= high, scope.where_covered(Division.code)
    )
    if level:
        stmt = stmt.where(Division.level == level)
    return list(session.scalars(stmt.order_by(Division.code)))


def _matching(q: str) -> Any:
    pattern = f"%{q.strip()}%"
    return or_(Division.name.like(pattern), Division.pinyin.like(pattern.lower()))


# Readable divisions, filtered; ``parent`` gives direct children, ``q`` searches name and pinyin.
list_divisions = access.Listing(
    Division,
    rows=lambda session, scope: select(Division).where(scope.where_readable(Division.code)),
    order=(Division.code,),
    equal=("level",),
    where={"parent": lambda parent: Division.parent_code == _code(parent), "q": _matching},
)


def locate(
    *, session: Session, scope: Scope, lons: Sequence[float], lats: Sequence[float], level: str = "township"
) -> list[str | None]:
    """The division of ``level`` containing each point (None where none does or it is out of scope)."""
    codes = spatial.locate_points(session, lons, lats, level)
    return [c if c is not None and scope.can_read(c) else None for c in codes]


# -- imports -----------------------------------------------------------------------------------------


def import_text(
    *, session: Session, scope: Scope, text: str, fmt: str, gcj02: bool = False, source: str = "import"
) -> int:
    """Import a CSV or GeoJSON file: every line checked first; nothing is written unless all pass."""
    scope.require("divisions:write")
    try:
        records = parse_csv(text, gcj02=gcj02) if fmt == "csv" else parse_geojson(text, gcj02=gcj02)
    except ImportRejected as exc:
        raise InvalidInput(f"rejected: line {exc.line}: {exc.reason}", line=exc.line, reason=exc.reason) from None
    return upsert_records(session=session, scope=scope, records=records, source=source)


def import_shapefile(
    *,
    session: Session,
    scope: Scope,
    shp: bytes,
    dbf: bytes,
    prj: str | None,
    encoding: str | None,
    gcj02: bool = False,
    source: str = "import",
) -> int:
    """Import an ESRI Shapefile's divisions, all or nothing like the other forms."""
    from yingji.geo.importers import parse_shapefile

    scope.require("divisions:write")
    try:
        records = parse_shapefile(shp, dbf, prj=prj, encoding=encoding, gcj02=gcj02)
    except ImportRejected as exc:
        raise InvalidInput(f"rejected: line {exc.line}: {exc.reason}", line=exc.line, reason=exc.reason) from None
    return upsert_records(session=session, scope=scope, records=records, source=source)


def upsert_records(*, session: Session, scope: Scope, records: list[DivisionRecord], source: str) -> int:
    _check_tree(session, scope, records)
    _check_within_parents(session, records)
    missing_pinyin = [r for r in records if not r.pinyin]
    for rec, py in zip(missing_pinyin, pinyin_of(r.name for r in missing_pinyin), strict=True):
        rec.pinyin = py
    existing = {
        d.code: d for d in session.scalars(select(Division).where(Division.code.in_([r.code for r in records])))
    }
    # Parents first, so foreign keys hold inside the transaction.
    for rec in sorted(records, key=lambda r: depth(r.level)):
        row = existing.get(rec.code)
        before = audit.snapshot(row) if row is not None else None
        if row is None:
            row = Division(code=rec.code)
            session.add(row)
        _apply(row, rec, source)
        session.flush()
        audit.record(
            session=session,
            scope=scope,
            action="update" if before else "create",
            entity="division",
            entity_id=rec.code,
            division_code=rec.code,
            before=before,
            after=audit.snapshot(row),
        )
    return len(records)


def _apply(row: Division, rec: DivisionRecord, source: str) -> None:
    row.parent_code = rec.parent_code
    row.name = rec.name
    row.level = rec.level
    row.pinyin = rec.pinyin
    row.lon, row.lat = rec.lon, rec.lat
    if rec.population is not None:
        row.population = rec.population
    if rec.boundary is not None:
        row.boundary_wkb = shapely.to_wkb(rec.boundary)
        row.min_lon, row.min_lat, row.max_lon, row.max_lat = (float(v) for v in rec.boundary.bounds)
    row.source = source
    row.updated_at = utcnow()


# A child's boundary may stick out of its parent's by this share of its area (surveys of neighbouring
# levels are drawn at different scales; a whole misplaced county is far more)
OUTSIDE_PARENT_SHARE = 0.02


def _check_within_parents(session: Session, records: list[DivisionRecord]) -> None:
    """A boundary lies inside its parent's real boundary (from the file, else the database); approximate
    parent areas judge nothing."""
    in_file = {r.code: r.boundary for r in records if r.boundary is not None}
    wanted = {r.parent_code for r in records if r.boundary is not None and r.parent_code}
    stored = {
        code: shapely.from_wkb(wkb)
        for code, wkb in session.execute(
            select(Division.code, Division.boundary_wkb).where(
                Division.code.in_(wanted), Division.boundary_wkb.is_not(None), Division.boundary_approximate.is_(False)
            )
        )
    }
    for rec in records:
        parent = in_file.get(rec.parent_code or "") or stored.get(rec.parent_code or "")
        if rec.boundary is None or parent is None or rec.boundary.area == 0:
            continue
        outside = shapely.difference(rec.boundary, parent).area / rec.boundary.area
        if outside > OUTSIDE_PARENT_SHARE:
            raise InvalidInput(
                f"rejected: line {rec.line}: the boundary of {rec.code} lies {outside:.0%} outside its parent "
                f"{rec.parent_code}'s (at most {OUTSIDE_PARENT_SHARE:.0%} allowed)",
                line=rec.line,
            )


def _check_tree(session: Session, scope: Scope, records: list[DivisionRecord]) -> None:
    """Parents exist (in the file or the database), are shallower, and prefix their children's codes."""
    in_file = {r.code: r.level for r in records}
    parent_codes = {r.parent_code for r in records if r.parent_code and r.parent_code not in in_file}
    in_db = {
        code: level
        for code, level in session.execute(select(Division.code, Division.level).where(Division.code.in_(parent_codes)))
    }
    for rec in records:
        if not scope.covers(rec.code):
            raise InvalidInput(
                f"rejected: line {rec.line}: division {rec.code} is outside your jurisdiction", line=rec.line
            )
        if rec.level == "country":
            continue
        if rec.parent_code is None:
            raise InvalidInput(f"rejected: line {rec.line}: parent is missing", line=rec.line)
        parent_level = in_file.get(rec.parent_code) or in_db.get(rec.parent_code)
        if parent_level is None:
            raise InvalidInput(
                f"rejected: line {rec.line}: parent {rec.parent_code} is neither in the file nor in the database",
                line=rec.line,
            )
        if depth(parent_level) >= depth(rec.level):
            raise InvalidInput(
                f"rejected: line {rec.line}: a {rec.level} cannot be under a {parent_level}", line=rec.line
            )
        if not rec.code.startswith(prefix(rec.parent_code, parent_level)):
            raise InvalidInput(
                f"rejected: line {rec.line}: code {rec.code} does not start with its parent's "
                f"prefix {prefix(rec.parent_code, parent_level)}",
                line=rec.line,
            )


def national_seed_records() -> list[DivisionRecord]:
    """Provinces, prefectures and counties from the ``cpca`` package (real codes and centroids)."""
    path = files("cpca").joinpath("resources/adcodes.csv")
    records = [
        DivisionRecord(
            line=1,
            code=COUNTRY_CODE,
            name="中华人民共和国",
            level="country",
            parent_code=None,
            pinyin="zhong hua ren min gong he guo",
        )
    ]
    with path.open(encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            code = normalise_code(row["adcode"])
            level = level_of(code)
            parent = {
                "province": COUNTRY_CODE,
                "prefecture": code[:2].ljust(12, "0"),
                "county": code[:4].ljust(12, "0"),
            }[level]
            lon = float(row["longitude"]) if row["longitude"] else None
            lat = float(row["latitude"]) if row["latitude"] else None
            records.append(
                DivisionRecord(
                    line=line, code=code, name=row["name"], level=level, parent_code=parent, lon=lon, lat=lat
                )
            )
    known = {r.code for r in records}
    # A few counties sit under prefectures the seed lacks; attach them to their province.
    for rec in records:
        if rec.parent_code and rec.parent_code not in known:
            rec.parent_code = rec.code[:2].ljust(12, "0")
    return records


def seed_national(*, session: Session, scope: Scope) -> int:
    scope.require("divisions:write")
    return upsert_records(
        session=session, scope=scope, records=national_seed_records(), source="cpca 0.5.5 adcodes.csv"
    )


def approximate_areas(*, session: Session, scope: Scope, population_raster: str | None) -> dict[str, int]:
    """Areas for the divisions that have a position but no boundary (geo.approximate): counties as cells
    among all counties, townships as cells inside their county, prefectures and provinces as the union
    of their children; each stored marked approximate. Real boundaries are kept and carved out of the
    approximate cells. Then, with a population raster, each division without a population gets the
    zonal sum over its area (real or approximate). Returns counts per level and of populations set."""
    from yingji.geo import approximate

    scope.require("divisions:write")
    rows = {d.code: d for d in session.scalars(select(Division))}
    areas: dict[str, Any] = {
        code: shapely.from_wkb(d.boundary_wkb) for code, d in rows.items() if d.boundary_wkb is not None
    }
    made: dict[str, int] = {}

    def store(code: str, area: Any) -> None:
        row = rows[code]
        row.boundary_wkb = shapely.to_wkb(area)
        row.boundary_approximate = True
        row.min_lon, row.min_lat, row.max_lon, row.max_lat = (float(v) for v in area.bounds)
        areas[code] = area
        made[row.level] = made.get(row.level, 0) + 1

    counties = [d for d in rows.values() if d.level == "county" and d.lon is not None and d.lat is not None]
    real = [areas[d.code] for d in counties if d.code in areas and not d.boundary_approximate]
    taken = shapely.union_all(real) if real else None
    cells = approximate.cells(
        [d.code for d in counties], [d.lon for d in counties], [d.lat for d in counties],  # type: ignore[misc]
        reach=approximate.COUNTY_REACH,
    )  # fmt: skip
    for code, cell in cells.items():
        if code in areas and not rows[code].boundary_approximate:
            continue
        cell = approximate.union([shapely.difference(cell, taken)]) if taken is not None else cell
        if cell is not None and not cell.is_empty:
            store(code, cell)
    townships: dict[str, list[Division]] = {}
    for d in rows.values():
        if d.level == "township" and d.lon is not None and d.lat is not None and d.parent_code:
            townships.setdefault(d.parent_code, []).append(d)
    for county, children in townships.items():
        if all(c.code in areas and not c.boundary_approximate for c in children):
            continue
        cells = approximate.cells(
            [c.code for c in children], [c.lon for c in children], [c.lat for c in children],  # type: ignore[misc]
            reach=approximate.TOWNSHIP_REACH, within=areas.get(county),
        )  # fmt: skip
        for code, cell in cells.items():
            if code not in areas or rows[code].boundary_approximate:
                store(code, cell)
    for level in ("prefecture", "province"):
        for d in rows.values():
            if d.level != level or (d.code in areas and not d.boundary_approximate):
                continue
            children = [areas[c.code] for c in rows.values() if c.parent_code == d.code and c.code in areas]
            union = approximate.union(children)
            if union is not None and not union.is_empty:
                store(d.code, union)
    if population_raster:
        for level in ("county", "township", "prefecture", "province"):
            missing = {c: areas[c] for c, d in rows.items() if d.level == level and d.population is None and c in areas}
            for code, people in approximate.zonal_sums(population_raster, missing).items():
                rows[code].population = people
                made["population"] = made.get("population", 0) + 1
    session.flush()
    audit.record(
        session=session, scope=scope, action="approximate", entity="division", entity_id="*",
        division_code=COUNTRY_CODE, before=None, after=made,
    )  # fmt: skip
    return made


def refresh_after_import(*, session: Session, scope: Scope, population_raster: str | None) -> int:
    """After an import: approximate areas rebuilt around the new boundaries (when the installation has
    any), and populations for the divisions that have a boundary but none. Returns populations set."""
    has_approximate = session.scalar(select(Division.code).where(Division.boundary_approximate.is_(True)).limit(1))
    if has_approximate is not None:
        return approximate_areas(session=session, scope=scope, population_raster=population_raster).get("population", 0)
    if not population_raster:
        return 0
    from yingji.geo import approximate

    missing = session.scalars(
        select(Division).where(Division.population.is_(None), Division.boundary_wkb.is_not(None))
    ).all()
    made = 0
    for level in ("village", "township", "county", "prefecture", "province"):
        areas = {d.code: shapely.from_wkb(d.boundary_wkb) for d in missing if d.level == level}
        for code, people in approximate.zonal_sums(population_raster, areas).items():
            row = session.get(Division, code)
            if row is not None:
                row.population = people
                made += 1
    return made


def names_of(*, session: Session, codes: Sequence[str]) -> dict[str, str]:
    """Names of the given divisions, in one query (for labelling rows the caller already may read)."""
    unique = sorted(set(codes))
    if not unique:
        return {}
    return dict(session.execute(select(Division.code, Division.name).where(Division.code.in_(unique))).all())


# -- positions and areas checked against the record's divisions ---------------------------------------------
# Every write that places a record (incident, site, depot, shelter, team, vehicle, duty item, road, warning
# area) with a division goes through these checks, so a county's record cannot be put at another province's
# coordinates. A division without a boundary polygon accepts any position (nothing known to judge by) unless
# the point lies in a known county outside its subtree.

BOUNDARY_TOLERANCE_KEY = "yingji.boundary_tolerance_m"  # Session.info, from YINGJI_BOUNDARY_TOLERANCE_M
DEFAULT_BOUNDARY_TOLERANCE_M = 3000.0
_BOUNDARY_TTL_S = 60.0
_boundaries: dict[tuple[str, str], tuple[float, BaseGeometry | None]] = {}


def boundary_tolerance_m(session: Session) -> float:
    return float(session.info.get(BOUNDARY_TOLERANCE_KEY, DEFAULT_BOUNDARY_TOLERANCE_M))


def _boundary(session: Session, code: str) -> BaseGeometry | None:
    """The division's real boundary polygon (parsed once a minute per process), or None — also for an
    approximate area (built from positions), which places points but never refuses one."""
    key = (str(session.get_bind().engine.url), code)
    now = time.monotonic()
    hit = _boundaries.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    wkb = session.scalar(
        select(Division.boundary_wkb).where(Division.code == code, Division.boundary_approximate.is_(False))
    )
    geometry = shapely.from_wkb(wkb) if wkb is not None else None
    if geometry is not None:
        shapely.prepare(geometry)
    if len(_boundaries) > 2_000:
        _boundaries.clear()
    _boundaries[key] = (now + _BOUNDARY_TTL_S, geometry)
    return geometry


def _outside_m(session: Session, codes: Sequence[str], lons: Sequence[float], lats: Sequence[float]) -> Any:
    """Per point, metres outside the nearest of the divisions' boundaries (0 inside one, or when one of
    them has no boundary), as a numpy array."""
    worst = np.full(len(lons), np.inf)
    for code in codes:
        geometry = _boundary(session, code)
        if geometry is None:
            return np.zeros(len(lons))
        worst = np.minimum(worst, boundaries.distances_outside_m(geometry, lons, lats))
    return worst if codes else np.zeros(len(lons))


def check_positions(
    *,
    session: Session,
    division_codes: Sequence[str],
    lons: Sequence[float],
    lats: Sequence[float],
    field: str = "lon",
    what: str = "position",
) -> None:
    """Refuse (422 naming ``field``) positions farther than the tolerance outside the boundary of every one
    of ``division_codes``; a division without a boundary accepts a point unless a known county outside its
    subtree contains it."""
    if not len(lons):
        return
    tolerance = boundary_tolerance_m(session)
    outside = _outside_m(session, division_codes, lons, lats)
    bad = np.flatnonzero(outside > tolerance)
    if len(bad):
        i = int(bad[0])
        raise InvalidInput(
            f"{field}: {what} ({lons[i]:.5f}, {lats[i]:.5f}) lies {outside[i] / 1000:.1f} km outside the boundary "
            f"of division {', '.join(division_codes)} (tolerance {tolerance:.0f} m)",
            field=field,
        )
    unbounded = [c for c in division_codes if _boundary(session, c) is None]
    if unbounded and len(unbounded) == len(division_codes):
        _check_county_of_unbounded(session, unbounded, lons, lats, field, what)


def _check_county_of_unbounded(
    session: Session, codes: Sequence[str], lons: Sequence[float], lats: Sequence[float], field: str, what: str
) -> None:
    divisions = [d for d in (session.get(Division, c) for c in codes) if d is not None]
    prefixes = [prefix(d.code, d.level) for d in divisions]
    approximate = set(session.scalars(select(Division.code).where(Division.boundary_approximate.is_(True))))
    for i, county in enumerate(spatial.locate_points(session, list(lons), list(lats), "county")):
        if county is not None and county not in approximate and not any(county.startswith(p) for p in prefixes):
            raise InvalidInput(
                f"{field}: {what} ({lons[i]:.5f}, {lats[i]:.5f}) lies in division {county}, outside {', '.join(codes)}",
                field=field,
            )


def check_position(
    *,
    session: Session,
    division_codes: Sequence[str],
    lon: float | None,
    lat: float | None,
    field: str = "lon",
    what: str = "position",
) -> None:
    """One position (nothing to check when it is not given)."""
    if lon is None or lat is None:
        return
    check_positions(session=session, division_codes=division_codes, lons=[lon], lats=[lat], field=field, what=what)


def check_area(
    *, session: Session, division_codes: Sequence[str], geometry: dict[str, Any], field: str = "area"
) -> BaseGeometry:
    """A GeoJSON (Multi)Polygon: rings closed, geometry valid, every vertex within the tolerance of the
    divisions' boundaries. Returns the shapely geometry."""
    for ring in boundaries.polygon_rings(geometry):
        problem = boundaries.ring_problem(ring)
        if problem:
            raise InvalidInput(f"{field}: {problem}", field=field)
    try:
        shape = shapely.geometry.shape(geometry)
    except Exception:
        raise InvalidInput(f"{field}: not a valid GeoJSON polygon", field=field) from None
    if shape.is_empty or not shape.is_valid or shape.geom_type not in ("Polygon", "MultiPolygon"):
        raise InvalidInput(f"{field}: the polygon is empty or invalid ({shapely.is_valid_reason(shape)})", field=field)
    lon0, lat0, lon1, lat1 = shape.bounds
    if lon0 < -180 or lon1 > 180 or lat0 < -90 or lat1 > 90:
        raise InvalidInput(f"{field}: coordinates must be longitude/latitude", field=field)
    xy = shapely.get_coordinates(shape)
    check_positions(
        session=session,
        division_codes=division_codes,
        lons=list(xy[:, 0]),
        lats=list(xy[:, 1]),
        field=field,
        what="area vertex",
    )
    return shape


def covered_children(*, session: Session, code: str, geometry: BaseGeometry) -> tuple[list[str], list[str]]:
    """The direct sub-divisions of ``code`` that an area (longitude/latitude) covers: those whose boundary it
    intersects, and — where a sub-division has no boundary — those whose position lies inside it. Returns
    (codes, the approximate ones among them: judged by position or by an approximate area)."""
    bounds = shapely.box(*geometry.bounds)
    prepared = shapely.prepared.prep(geometry)
    covered: list[str] = []
    approximate: list[str] = []
    for child in session.scalars(select(Division).where(Division.parent_code == code).order_by(Division.code)):
        if child.boundary_wkb is not None:
            if child.min_lon is not None and not bounds.intersects(
                shapely.box(child.min_lon, child.min_lat, child.max_lon, child.max_lat)
            ):
                continue
            if prepared.intersects(shapely.from_wkb(child.boundary_wkb)):
                covered.append(child.code)
                if child.boundary_approximate:
                    approximate.append(child.code)
        elif child.lon is not None and child.lat is not None and prepared.covers(shapely.Point(child.lon, child.lat)):
            covered.append(child.code)
            approximate.append(child.code)
    return covered, approximate
