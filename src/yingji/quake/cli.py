"""``yingji quake``: earthquake rapid assessment from the command line (works with no database).

Heavy libraries are imported inside the commands so ``yingji --help`` stays quick.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from yingji.cli_common import JsonObject
from yingji.errors import InvalidInput

app = typer.Typer(help="Earthquake rapid assessment (地震灾害快速评估): intensity, exposure, losses, aftershocks.")


def _parse_time(value: str | None, name: str, default: datetime) -> datetime:
    if value is None:
        return default
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name} {value!r} is not an ISO 8601 time (e.g. 2025-01-07T01:05:16Z)") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _population_raster(option: Path | None) -> Path:
    if option is not None:
        return option
    configured = os.environ.get("YINGJI_POPULATION_RASTER")
    if configured:
        return Path(configured)
    raise InvalidInput("population: no raster given — pass --population FILE.tif or set YINGJI_POPULATION_RASTER")


def _settlement_population(path: Path) -> Any:
    """A population provider for the assessment grid from settlement points."""
    from yingji.quake.exposure import population_from_points, read_settlements

    lons, lats, people = read_settlements(path)
    return lambda grid: population_from_points(lons, lats, people, grid)


def _recorded_aftershocks(path: Path, origin: datetime) -> list[tuple[float, float]]:
    """(days after origin, magnitude) from a CSV with columns ``time`` (ISO 8601) and ``magnitude``."""
    import csv

    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        events = [
            (
                (_parse_time(r["time"], "aftershock time", origin) - origin).total_seconds() / 86400.0,
                float(r["magnitude"]),
            )
            for r in rows
        ]
    except (OSError, KeyError, ValueError) as exc:
        raise InvalidInput(f"aftershocks file {path} is not readable (time, magnitude): {exc}") from None
    return [(t, m) for t, m in events if t > 0]


def _report_html(data: dict[str, Any], zones: dict[str, Any]) -> str:
    from yingji.quake.report import cpca_seats, render_report

    return render_report(data, zones, cpca_seats())


def _write(path: Path, text: str, what: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{what}: cannot write {path}: {exc}") from None


def _configured_raster(option: Path | None) -> Path | None:
    """--population, else $YINGJI_POPULATION_RASTER, else None (the database's settlements, if any)."""
    if option is not None:
        return option
    configured = os.environ.get("YINGJI_POPULATION_RASTER")
    return Path(configured) if configured else None


def _database_problem(ctx: typer.Context) -> str | None:
    """Why the database cannot take an assessment (None when it can)."""
    from sqlalchemy import inspect

    from yingji.cli_common import settings_from
    from yingji.db import make_engine

    url = settings_from(ctx).database_url
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        path = Path(url.split("///", 1)[1]).expanduser()
        if not path.exists():  # do not create an empty database file just to look into it
            return "not created (run 'yingji db upgrade')"
    try:
        engine = make_engine(url)
        try:
            ready = inspect(engine).has_table("assessments")
        finally:
            engine.dispose()
    except Exception as exc:  # any failure to reach it: assess without it, and say so
        return f"unavailable ({type(exc).__name__})"
    return None if ready else "not migrated (run 'yingji db upgrade')"


def _print(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@app.command()
def assess(
    ctx: typer.Context,
    lon: float = typer.Option(..., help="Epicentre longitude (degrees east)."),
    lat: float = typer.Option(..., help="Epicentre latitude (degrees north)."),
    depth: float = typer.Option(..., help="Focal depth (km)."),
    magnitude: float = typer.Option(..., help="Magnitude."),
    magnitude_type: str = typer.Option(..., "--magnitude-type", help="Ms or Mw."),
    strike: float | None = typer.Option(None, help="Fault strike (degrees) for the long axis of the ellipses."),
    faults: Path | None = typer.Option(
        None, help="GeoJSON of fault traces: the nearest one gives the strike (default: the packaged GEM GAF-DB)."
    ),
    population: Path | None = typer.Option(
        None,
        help="GeoTIFF of people per cell (WGS 84); default $YINGJI_POPULATION_RASTER, else the packaged "
        "WorldPop 2020 raster (with the database: its settlements when it holds some near the epicentre).",
    ),
    origin_time: str | None = typer.Option(None, "--origin-time", help="Origin time, ISO 8601 (default now)."),
    at: str | None = typer.Option(None, help="Assessment time for the aftershock forecast, ISO 8601 (default now)."),
    region: str | None = typer.Option(None, help="Attenuation region (default: chosen from the epicentre)."),
    step: float = typer.Option(0.01, help="Grid step (degrees)."),
    loss_intensity: str | None = typer.Option(
        None, "--loss-intensity", help="PAGER's China curve fed mmi (Allen 2012) or chinese, instead of --model."
    ),
    model: str | None = typer.Option(
        None, "--model", help="Deaths model: a calibrated one (default: the cross-validated choice) or pager-mmi."
    ),
    country: str = typer.Option("CN", help="Country of the PAGER loss models."),
    aftershock_set: str | None = typer.Option(None, "--aftershock-set", help="Generic Reasenberg–Jones set."),
    temperature: float | None = typer.Option(None, help="Mean air temperature (°C) for the relief needs."),
    geohazards: Path | None = typer.Option(None, help="Inventory of geohazard sites (CSV or GeoJSON)."),
    settlements: Path | None = typer.Option(
        None, help="Settlement points with population (CSV lon,lat,population or GeoJSON) instead of a raster."
    ),
    aftershocks: Path | None = typer.Option(
        None, help="Recorded aftershocks (CSV: time ISO 8601, magnitude) to re-fit the forecast."
    ),
    completeness: float | None = typer.Option(
        None, help="Completeness magnitude of --aftershocks (default: smallest)."
    ),
    no_db: bool = typer.Option(False, "--no-db", help="Do not use the database: nothing is recorded."),
    geojson: Path | None = typer.Option(None, help="Write the intensity zones to this GeoJSON file."),
    report: Path | None = typer.Option(None, help="Write the one-page printable HTML report to this file."),
    incident: int | None = typer.Option(
        None, help="Attach the stored assessment to this earthquake incident and update its figures."
    ),
    no_incident: bool = typer.Option(
        False, "--no-incident", help="Store the assessment without creating an incident for it."
    ),
    as_json: JsonObject = False,
) -> None:
    """Assess an earthquake: zones, people, deaths, losses, displaced, needs, aftershocks, response level."""
    started = time.perf_counter()
    from yingji.quake.assess import EarthquakeInput
    from yingji.quake.assess import assess as run_assessment
    from yingji.quake.geohazards import read_inventory

    if magnitude_type not in ("Ms", "Mw"):
        raise InvalidInput(f"magnitude-type {magnitude_type!r} must be Ms or Mw")
    if loss_intensity not in (None, "mmi", "chinese"):
        raise InvalidInput(f"loss-intensity {loss_intensity!r} must be mmi or chinese")
    now = datetime.now(UTC)
    origin = _parse_time(origin_time, "origin-time", now)
    assessed_at = _parse_time(at, "at", now if origin <= now else origin)
    # what the engine and the stored record share (the record takes the rest as text: paths, times)
    given: dict[str, Any] = {
        "lon": lon,
        "lat": lat,
        "depth_km": depth,
        "magnitude": magnitude,
        "magnitude_type": magnitude_type,
        "strike_deg": strike,
        "region": region,
        "step_deg": step,
        "loss_intensity": loss_intensity,
        "model": model,
        "country": country,
        "aftershock_set": aftershock_set,
        "temperature_c": temperature,
    }
    inp = EarthquakeInput(
        **given,
        origin_time=origin,
        at=assessed_at,
        faults=faults,
        population_raster=None if settlements else _configured_raster(population),
        population=_settlement_population(settlements) if settlements else None,
        population_source=f"settlement points ({settlements.name})" if settlements else None,
        geohazard_sites=read_inventory(geohazards) if geohazards else (),
        recorded_aftershocks=_recorded_aftershocks(aftershocks, origin) if aftershocks else (),
        aftershock_completeness=completeness,
    )
    problem = "not used (--no-db)" if no_db else _database_problem(ctx)
    if problem is not None and incident is not None:
        raise InvalidInput(f"incident: attaching to incident {incident} needs the database, which is {problem}")
    if problem is not None:
        result = run_assessment(inp)
        data = result.to_dict()
        zones = result.zones_geojson()
        html = _report_html(data, zones) if report is not None else None
        data["recorded"] = False
        data["database"] = problem
    else:
        from yingji.cli_common import command_session
        from yingji.quake import service

        inputs = {
            **given,
            "origin_time": origin.isoformat(),
            "at": assessed_at.isoformat(),
            "population": str(population) if population else None,
            "settlements": str(settlements) if settlements else None,
            "faults": str(faults) if faults else None,
            "geohazards": str(geohazards) if geohazards else None,
            "via": "cli",
        }
        with command_session(ctx) as (session, scope):
            row = service.run_input(
                session=session,
                scope=scope,
                inp=inp,
                inputs=inputs,
                now=now,
                incident_id=incident,
                create_incident=incident is None and not no_incident,
            )
            data = dict(row.results)
            zones = row.zones
            html = service.report_html(scope=scope, row=row) if report is not None else None
            data["assessment_id"] = row.id
            data["incident_id"] = row.incident_id
        data["recorded"] = True
    if geojson is not None:
        geojson.write_text(json.dumps(zones, ensure_ascii=False), encoding="utf-8")
        data["geojson"] = str(geojson)
    if report is not None and html is not None:
        _write(report, html, "report")
        data["report"] = str(report)
    data["elapsed_s"] = round(time.perf_counter() - started, 4)
    _print(data, as_json)


@app.command()
def losses(
    exposure: str = typer.Option(..., help='People per intensity as JSON, e.g. \'{"6": 61485, "7": 27679}\'.'),
    country: str = typer.Option("CN", help="Country of the PAGER models (ISO 3166-1 alpha-2)."),
    year: int | None = typer.Option(None, help="Event year (GDP per capita of that year)."),
    as_json: JsonObject = False,
) -> None:
    """PAGER empirical deaths and economic loss, with range probabilities and alerts, for an exposure."""
    from yingji.quake import losses as pager

    try:
        raw = json.loads(exposure)
        table = {int(k): float(v) for k, v in raw.items()}
    except (ValueError, AttributeError, TypeError):
        raise InvalidInput('exposure must be a JSON object of intensity → people, e.g. {"7": 1000}') from None
    fatalities = pager.fatality_estimate(table, country)
    economic = pager.economic_estimate(table, country, year)
    _print(
        {
            "fatalities": fatalities,
            "economic_loss_usd": economic,
            "alert": pager.summary_alert(fatalities["alert"], economic["alert"]),
        },
        as_json,
    )


@app.command()
def scenarios(
    catalogue: Path | None = typer.Option(
        None, help="CSV of scenarios: lon, lat, depth_km, magnitude[, strike, rate]."
    ),
    generate: int | None = typer.Option(None, help="Generate this many stochastic scenarios instead."),
    seed: int = typer.Option(0, help="Seed of the generated set."),
    population: Path | None = typer.Option(
        None, help="GeoTIFF of people per cell (WGS 84); default $YINGJI_POPULATION_RASTER."
    ),
    counties: Path | None = typer.Option(None, help="CSV of county seats (code, name, lon, lat); default cpca's."),
    scheduler: str | None = typer.Option(
        None, help="Dask scheduler address or scheduler file (default: a local cluster); 'sync' runs in-process."
    ),
    workers: int = typer.Option(2, help="Workers of the local cluster."),
    step: float = typer.Option(0.05, help="Grid step of each scenario (degrees)."),
    loss_intensity: str = typer.Option("mmi", "--loss-intensity", help="Scale fed to PAGER: mmi or chinese."),
    top: int = typer.Option(20, help="Counties to print (most expected deaths first)."),
    out: Path | None = typer.Option(None, help="Write every county's expected figures to this JSON file."),
    as_json: JsonObject = False,
) -> None:
    """Scenario set (大震巨灾应对准备): expected exposure, deaths, displaced and needs per county, on Dask."""
    started = time.perf_counter()
    from rich.progress import Progress

    from yingji.quake import scenarios as sets

    if (catalogue is None) == (generate is None):
        raise InvalidInput("give exactly one of --catalogue FILE or --generate N")
    if loss_intensity not in ("mmi", "chinese"):
        raise InvalidInput(f"loss-intensity {loss_intensity!r} must be mmi or chinese")
    scenario_list = sets.read_catalogue(catalogue) if catalogue else sets.stochastic_set(generate or 0, seed=seed)
    seats = sets.read_counties(counties) if counties else sets.counties_from_cpca()
    with Progress(transient=True) as progress:
        task = progress.add_task("scenarios", total=len(scenario_list))
        result = sets.run_scenario_set(
            scenario_list,
            population_raster=_population_raster(population),
            counties=seats,
            step=step,
            loss_intensity=loss_intensity,
            scheduler=scheduler,
            workers=workers,
            on_progress=lambda done, total: progress.update(task, completed=done),
        )
    rows = result.by_county()
    if out is not None:
        out.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    expected = result.expected()
    data = {
        "scenarios": result.scenarios,
        "skipped": result.skipped,
        "expectation": "annual (Σ rate × value)" if result.annual else "mean over the scenarios",
        "counties_reached": len(rows),
        "total_deaths": float(expected[:, -2].sum()),
        "total_displaced": float(expected[:, -1].sum()),
        "counties": rows[:top],
        "elapsed_s": round(time.perf_counter() - started, 3),
    }
    _print(data, as_json)


def _register_feeds() -> None:
    from yingji.quake.feeds import cli as feeds_cli

    app.command("feeds")(feeds_cli.feeds)


_register_feeds()
