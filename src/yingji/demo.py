"""``yingji demo load``: the demo region — the real prefecture of Xigaze (日喀则, 5402…) and its
counties from the national seed, with synthetic townships and villages (clearly labelled), and demo
users. Deterministic: the same database every time."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.auth.scope import Scope
from yingji.cli_common import in_transaction, settings_from
from yingji.geo.importers import DivisionRecord

if TYPE_CHECKING:
    from yingji.geo.synthetic import Cell

app = typer.Typer(help="The demo region and its users.", no_args_is_help=True)

DEMO_PREFECTURE = "540200000000"
DEMO_SEED = 20250107  # the Dingri earthquake's date
DEMO_PASSWORD = "Yingji-demo-2026!"
SYNTHETIC = "synthetic demo data (yingji demo)"
DEMO_USERS = (
    ("admin", "admin", "000000000000", "系统管理员"),
    ("xigaze_commander", "commander", "540200000000", "日喀则市指挥长"),
    ("xigaze_duty", "duty_officer", "540200000000", "日喀则市值班员"),
    ("dingri_duty", "duty_officer", "540223000000", "定日县值班员"),
    ("dingri_analyst", "analyst", "540223000000", "定日县分析员"),
    ("lazi_duty", "duty_officer", "540225000000", "拉孜县值班员"),
)


def _record(cell: Cell, name: str, level: str) -> DivisionRecord:
    """A demo division: a cell of its parent (a county of the prefecture, a township, a village), named."""
    return DivisionRecord(
        line=0,
        code=cell.code,
        name=name,
        level=level,
        parent_code=cell.parent_code,
        lon=cell.lon,
        lat=cell.lat,
        population=cell.population,
        boundary=cell.boundary,
    )


def build_demo_records(county_rows: list[tuple[str, str, float, float]], seed: int = DEMO_SEED) -> list[DivisionRecord]:
    """County boundaries, townships and villages for the demo prefecture (pure, deterministic)."""
    from yingji.geo.synthetic import Cell, region_hull, subdivide, voronoi_cells

    rng = np.random.default_rng(seed)
    lons = [r[2] for r in county_rows]
    lats = [r[3] for r in county_rows]
    hull = region_hull(lons, lats, buffer_deg=0.6)
    county_cells = voronoi_cells(lons, lats, hull)
    records: list[DivisionRecord] = []
    prefecture_pop = 0
    for (code, name, lon, lat), cell in zip(county_rows, county_cells, strict=True):
        population = int(rng.integers(40_000, 110_000))
        prefecture_pop += population
        records.append(_record(Cell(code, DEMO_PREFECTURE, lon, lat, cell, population), name, "county"))
        stem = name[:-1] if name.endswith(("县", "区")) else name
        for t_index, town in enumerate(
            subdivide(code, code[:6], cell, population, int(rng.integers(5, 11)), rng), start=1
        ):
            records.append(_record(town, f"{stem}第{t_index}乡（演示）", "township"))
            villages = subdivide(town.code, town.code[:9], town.boundary, town.population, int(rng.integers(3, 7)), rng)
            for v_index, village in enumerate(villages, start=1):
                records.append(_record(village, f"{stem}{t_index}乡{v_index}村（演示）", "village"))
    from shapely import union_all

    records.append(
        DivisionRecord(
            line=0,
            code=DEMO_PREFECTURE,
            name="日喀则市",
            level="prefecture",
            parent_code="540000000000",
            population=prefecture_pop,
            boundary=union_all(county_cells),
        )
    )
    return records


def load_demo(*, session: Session, scope: Scope, domain_data: bool = True) -> dict[str, int]:
    """The demo region and users; with ``domain_data`` also each domain's synthetic records."""
    from yingji.auth import service as auth_service
    from yingji.geo import service as division_service
    from yingji.geo.models import Division

    seeded = 0
    if session.get(Division, DEMO_PREFECTURE) is None:
        seeded = division_service.seed_national(session=session, scope=scope)
    counties = session.execute(
        select(Division.code, Division.name, Division.lon, Division.lat)
        .where(Division.parent_code == DEMO_PREFECTURE, Division.level == "county", Division.lon.is_not(None))
        .order_by(Division.code)
    ).all()
    records = build_demo_records([(c, n, float(x or 0), float(y or 0)) for c, n, x, y in counties])
    # The prefecture record keeps its real centroid and name from the seed.
    prefecture = session.get(Division, DEMO_PREFECTURE)
    for rec in records:
        if rec.code == DEMO_PREFECTURE and prefecture is not None:
            rec.lon, rec.lat = prefecture.lon, prefecture.lat
    division_service.upsert_records(session=session, scope=scope, records=records, source=SYNTHETIC)
    created = 0
    extras = _load_domain_demos(session=session, scope=scope) if domain_data else {}
    for username, role, division, display in DEMO_USERS:
        if auth_service.get_by_username(session=session, username=username) is None:
            auth_service.create_user(
                session=session,
                scope=scope,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                division_code=division,
                display_name=display,
            )
            created += 1
    return {"seeded": seeded, "demo_divisions": len(records), "users": created, **extras}


# Each domain's demo data, loaded after the divisions: (module, function). Every function takes
# (session=, scope=), is deterministic, labels its rows as synthetic, and returns counts by kind.
DOMAIN_DEMOS = (
    ("yingji.resources.demo", "load_demo_resources"),
    ("yingji.monitoring.demo", "load_demo_monitoring"),
    ("yingji.disasters.demo", "load_demo_disasters"),
)


def _load_domain_demos(*, session: Session, scope: Scope) -> dict[str, int]:
    import importlib
    import importlib.util

    counts: dict[str, int] = {}
    for module_name, function in DOMAIN_DEMOS:
        if importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        if hasattr(module, function):
            counts.update(getattr(module, function)(session=session, scope=scope))
    return counts


@app.command()
def load(ctx: typer.Context) -> None:
    """Load the demo region (national seed + synthetic Xigaze townships/villages) and demo users.

    Refused under ``YINGJI_ENV=production``: the demo users share a published password."""
    if settings_from(ctx).env == "production":
        typer.echo(
            "error: demo data is refused when YINGJI_ENV=production (its users share a published password); "
            "nothing was written",
            err=True,
        )
        raise typer.Exit(2)
    counts = in_transaction(ctx, load_demo)
    typer.echo(
        f"national seed: {counts['seeded']} divisions; demo region: {counts['demo_divisions']} divisions "
        f"(townships and villages synthetic); users created: {counts['users']}"
    )
    extras = {k: v for k, v in counts.items() if k not in ("seeded", "demo_divisions", "users")}
    if extras:
        typer.echo("synthetic demo records: " + ", ".join(f"{k} {v}" for k, v in extras.items()))
    typer.echo(f"demo users ({', '.join(u[0] for u in DEMO_USERS)}) share the password {DEMO_PASSWORD}")
