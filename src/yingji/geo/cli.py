"""``yingji division``: list, show, import, seed, locate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from yingji.cli_common import JsonText, command_session, echo_json, echo_rows, in_transaction
from yingji.errors import InvalidInput

if TYPE_CHECKING:
    from yingji.geo.models import Division

app = typer.Typer(help="Administrative divisions (行政区划).", no_args_is_help=True)


def _row(d: Division) -> dict[str, object]:
    return {
        "code": d.code,
        "parent": d.parent_code,
        "name": d.name,
        "level": d.level,
        "pinyin": d.pinyin,
        "lon": d.lon,
        "lat": d.lat,
        "population": d.population,
    }


@app.command("list")
def list_(
    ctx: typer.Context,
    level: str | None = typer.Option(None, help="province|prefecture|county|township|village"),
    parent: str | None = typer.Option(None, help="Only the direct children of this code."),
    q: str | None = typer.Option(None, help="Search name or pinyin."),
    as_json: JsonText = False,
) -> None:
    """List divisions."""
    from yingji.geo import service

    with command_session(ctx) as (session, scope):
        rows, _ = service.list_divisions(session=session, scope=scope, level=level, parent=parent, q=q, limit=None)
        data = [_row(d) for d in rows]
    echo_rows(data, as_json, lambda d: f"{d['code']}  {d['level']:<10} {d['name']}")


@app.command()
def show(ctx: typer.Context, code: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """One division with its ancestors and children."""
    from yingji.geo import service

    with command_session(ctx) as (session, scope):
        d = service.get(session=session, scope=scope, code=code)
        data = {
            **_row(d),
            "ancestors": [a.code for a in service.ancestors(session=session, scope=scope, code=code)],
            "children": [c.code for c in service.children(session=session, scope=scope, code=code)],
        }
    echo_json(data) if as_json else typer.echo("\n".join(f"{k}: {v}" for k, v in data.items()))


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CSV, GeoJSON or Shapefile (.shp beside its .dbf, .prj, .cpg) file."),
    gcj02: bool = typer.Option(False, help="Coordinates are GCJ-02 (Chinese map apps): convert to WGS 84."),
    population: Path | None = typer.Option(
        None, help="Population raster for the imported divisions without a population (default: the packaged one)."
    ),
) -> None:
    """Import divisions with codes, names and optionally boundaries (docs/divisions.md); the whole file is
    rejected (line and reason printed) on any error, including a boundary outside its parent's. Then the
    imported divisions without a population get the raster's sum over their boundary, and approximate
    areas, where there are any, are rebuilt around the new boundaries."""
    from yingji.cli_common import settings_from
    from yingji.geo import service

    if not file.exists():
        raise InvalidInput(f"file {file} does not exist")
    with command_session(ctx) as (session, scope):
        if file.suffix.lower() == ".shp":
            part = file.with_suffix
            if not part(".dbf").exists():
                raise InvalidInput(f"{part('.dbf')} is missing (a shapefile's attributes)")
            prj = part(".prj").read_text(encoding="utf-8", errors="replace") if part(".prj").exists() else None
            cpg = part(".cpg").read_text(encoding="ascii", errors="replace").strip() if part(".cpg").exists() else None
            count = service.import_shapefile(
                session=session, scope=scope, shp=file.read_bytes(), dbf=part(".dbf").read_bytes(), prj=prj,
                encoding=cpg or None, gcj02=gcj02, source=f"import:{file.name}",
            )  # fmt: skip
        else:
            text = file.read_text(encoding="utf-8-sig")
            fmt = "geojson" if file.suffix.lower() in (".geojson", ".json") else "csv"
            count = service.import_text(
                session=session, scope=scope, text=text, fmt=fmt, gcj02=gcj02, source=f"import:{file.name}"
            )
        raster = population or settings_from(ctx).population_raster or _packaged_raster()
        made = service.refresh_after_import(
            session=session, scope=scope, population_raster=str(raster) if raster else None
        )
    typer.echo(f"imported {count} divisions" + (f"; {made} populations set" if made else ""))


@app.command()
def seed(
    ctx: typer.Context,
    approximate: bool = typer.Option(
        True, help="Then build approximate areas and populations for divisions without a boundary (see approximate)."
    ),
) -> None:
    """Load the national seed: provinces, prefectures and counties (cpca package, real codes)."""
    from yingji.geo import service

    count = in_transaction(ctx, service.seed_national)
    typer.echo(f"seeded {count} divisions")
    if approximate:
        approximate_command(ctx, population=None)


@app.command("approximate")
def approximate_command(
    ctx: typer.Context,
    population: Path | None = typer.Option(
        None,
        help="Population raster (GeoTIFF, WGS 84, people per cell); default: YINGJI_POPULATION_RASTER, "
        "else the packaged WorldPop 2020 raster.",
    ),
) -> None:
    """Approximate areas for divisions with a position and no boundary — counties as Voronoi cells of the
    county positions, townships inside their county, prefectures and provinces as unions — marked
    approximate (they place points, never refuse one); and each division's population as the raster's
    sum over its area. Real boundaries, imported with `division import`, are kept and win."""
    from yingji.cli_common import settings_from
    from yingji.geo import service

    raster = population or settings_from(ctx).population_raster or _packaged_raster()
    made = in_transaction(ctx, service.approximate_areas, population_raster=str(raster) if raster else None)
    summary = ", ".join(f"{k} {v}" for k, v in sorted(made.items()))
    typer.echo(f"approximate areas: {summary}" if made else "nothing to do")


def _packaged_raster() -> Path | None:
    try:
        from yingji.quake.data import population_raster
    except ImportError:  # the earthquake domain's packaged data (not yet on this branch)
        return None
    path = population_raster()
    return path if path.exists() else None


@app.command()
def locate(ctx: typer.Context, lon: float, lat: float, level: str = typer.Option("township")) -> None:
    """The division of LEVEL containing a point."""
    from yingji.geo import service

    codes = in_transaction(ctx, service.locate, lons=[lon], lats=[lat], level=level)
    typer.echo(codes[0] or "none")
