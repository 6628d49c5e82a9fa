"""``yingji relief`` — dispatch planning from files, no database needed.

Heavy libraries (numpy, OR-Tools, HiGHS) are imported inside the commands so ``yingji --help`` stays
quick.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from yingji.cli_common import JsonObject
from yingji.errors import InvalidInput

app = typer.Typer(
    name="relief",
    help="Relief supplies (救灾物资): dispatch plans from depot stock to demand points, with roads cut.",
    no_args_is_help=True,
)

METHODS = ("optimal", "greedy", "vehicles")


@app.command()
def plan(
    depots: Path = typer.Option(
        ...,
        "--depots",
        help="Depot stock CSV: id,lon,lat,item,quantity (+ trucks, truck_capacity_kg for --method vehicles).",
    ),
    demands: Path = typer.Option(..., "--demands", help="Demand CSV: id,lon,lat,item,quantity (+ cut_off)."),
    roads: Path | None = typer.Option(
        None, "--roads", help="Road network, GeoJSON lines (else great-circle fallback)."
    ),
    cut: str = typer.Option("", "--cut", help="Closed road features, by GeoJSON id or properties.id: ID,ID,…"),
    cut_areas: Path | None = typer.Option(None, "--cut-areas", help="GeoJSON polygons of areas cut off by road."),
    landing_sites: Path | None = typer.Option(
        None, "--landing-sites", help="Helicopter landing sites CSV: id,lon,lat."
    ),
    helicopters: Path | None = typer.Option(
        None, "--helicopters", help="Helicopters CSV: id,lon,lat[,speed_kmh,range_km] (base position)."
    ),
    catalogue: str | None = typer.Option(
        None, "--catalogue", help="Relief-item catalogue YAML, or 'builtin'; items not in it are rejected."
    ),
    method: str = typer.Option("optimal", "--method", help="optimal (min-cost flow), greedy, or vehicles (MILP)."),
    detour: float | None = typer.Option(None, "--detour", help="Fallback detour factor (default 1.4)."),
    speed: float | None = typer.Option(None, "--speed", help="Fallback terrain speed, km/h (default 40)."),
    horizon: float | None = typer.Option(None, "--horizon", help="Hours charged to unmet need (default 72)."),
    candidates: int = typer.Option(0, "--candidates", help="Keep the k fastest depots per place (0 = all)."),
    gap: float = typer.Option(0.01, "--gap", help="MILP relative gap (vehicles)."),
    time_limit: float = typer.Option(60.0, "--time-limit", help="MILP time limit, seconds (vehicles)."),
    as_json: JsonObject = False,
) -> None:
    """Plan shipments from depots to demand points; need no route can serve is reported as unmet."""
    from yingji.relief import planning

    if method not in METHODS:
        raise InvalidInput(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    result = planning.plan_from_files(
        depots=depots, demands=demands, roads=roads,
        cut=[c.strip() for c in cut.split(",") if c.strip()], cut_areas=cut_areas,
        landing_sites=landing_sites, helicopters=helicopters, catalogue=catalogue, method=method,
        detour=detour, speed=speed, horizon=horizon, candidates=candidates or None, gap=gap,
        time_limit=time_limit,
    )  # fmt: skip
    out = result.to_dict()
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    _print_summary(out)


def _print_summary(out: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"Shipments ({out['solver_status']}, objective {out['objective']:.2f})")
    for col in ("from", "to", "item", "quantity", "hours", "mode"):
        table.add_column(col)
    for s in out["shipments"]:
        table.add_row(s["from"], s["to"], s["item"], str(s["quantity"]), f"{s['hours']:.2f}", s.get("mode", ""))
    console.print(table)
    if out["unmet"]:
        unmet = Table(title="Unmet need")
        for col in ("to", "item", "quantity"):
            unmet.add_column(col)
        for u in out["unmet"]:
            unmet.add_row(u["to"], u["item"], str(u["quantity"]))
        console.print(unmet)
    else:
        console.print("All need met.")


@app.command("plan-db")
def plan_db(
    ctx: typer.Context,
    incident: int | None = typer.Option(None, "--incident", help="Plan for this incident's relocated people."),
    assessment: int | None = typer.Option(None, "--assessment", help="Plan for this earthquake assessment."),
    days: int = typer.Option(3, "--days", help="Days of water and food to send (1–30)."),
    commit: bool = typer.Option(False, "--commit", help="Also turn the plan into transfer orders and tasks."),
) -> None:
    """Plan from the database (supply: the depots' stock; demand: an incident or an assessment), store
    the plan and print it as JSON; with --commit make its transfer orders (created) and tasks."""
    from pydantic import ValidationError

    from yingji.cli_common import command_session, echo_json
    from yingji.relief import service
    from yingji.relief.schemas import PlanIn, PlanRead

    try:
        plan_in = PlanIn(incident_id=incident, assessment_id=assessment, days=days)
    except ValidationError as exc:
        raise InvalidInput(
            f"give exactly one of --incident or --assessment, days 1–30 ({exc.errors()[0]['msg']})"
        ) from None
    with command_session(ctx) as (session, scope):
        plan = service.create_plan(session=session, scope=scope, plan_in=plan_in)
        if commit:
            plan = service.commit_plan(session=session, scope=scope, plan_id=plan.id)
        echo_json(PlanRead.model_validate(plan).model_dump(mode="json"))


def _settle(ctx: typer.Context, plan_id: int, action: str) -> None:
    from yingji.cli_common import command_session, echo_json
    from yingji.relief import service
    from yingji.relief.schemas import PlanRead

    with command_session(ctx) as (session, scope):
        run = service.confirm_plan if action == "confirm" else service.cancel_plan
        plan = run(session=session, scope=scope, plan_id=plan_id)
        echo_json(PlanRead.model_validate(plan).model_dump(mode="json"))


@app.command("plan-confirm")
def plan_confirm(ctx: typer.Context, plan_id: int = typer.Argument(..., help="A committed plan's id.")) -> None:
    """Confirm a committed plan: its open transfer orders are confirmed and its direct shipments issued
    (stock moves through the ledger; the reservation ends). Prints the plan as JSON."""
    _settle(ctx, plan_id, "confirm")


@app.command("plan-cancel")
def plan_cancel(
    ctx: typer.Context, plan_id: int = typer.Argument(..., help="A planned or committed plan's id.")
) -> None:
    """Cancel a plan: its open transfer orders are cancelled and the stock it reserved is free again.
    Prints the plan as JSON."""
    _settle(ctx, plan_id, "cancel")


@app.command("roads-import")
def roads_import(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Road network, GeoJSON lines (LineString / MultiLineString)."),
    network: str = typer.Option(..., "--network", help="Name of the stored network (new)."),
    division: str | None = typer.Option(None, "--division", help="12-digit division it belongs to (default: yours)."),
) -> None:
    """Store a road network in the database; a broken feature is rejected naming it and the reason, and
    nothing is stored. Prints a JSON summary."""
    from pydantic import ValidationError

    from yingji.cli_common import command_session, echo_json
    from yingji.relief import service
    from yingji.relief.schemas import RoadImport

    try:
        geojson = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{file}: not a readable GeoJSON file ({exc})") from None
    try:
        road_in = RoadImport(network=network, division_code=division, geojson=geojson)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInput(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    with command_session(ctx) as (session, scope):
        echo_json(service.import_roads(session=session, scope=scope, road_in=road_in))


@app.command("roads-list")
def roads_list(
    ctx: typer.Context,
    network: str | None = typer.Option(None, "--network", help="Only this network."),
    cut_only: bool = typer.Option(False, "--cut", help="Only cut segments."),
) -> None:
    """Stored road segments you may read, cut ones first (JSON)."""
    from yingji.cli_common import command_session, echo_json
    from yingji.relief import service
    from yingji.relief.schemas import RoadSegmentRead

    with command_session(ctx) as (session, scope):
        rows, total = service.list_roads(session=session, scope=scope, network=network,
                                         cut=True if cut_only else None, limit=None)  # fmt: skip
        echo_json({"total": total, "items": [RoadSegmentRead.model_validate(r).model_dump(mode="json") for r in rows]})


@app.command("road-cut")
def road_cut(
    ctx: typer.Context,
    segment_id: int = typer.Argument(..., help="Road segment id (see roads-list)."),
    reason: str = typer.Option(..., "--reason", help="Why it is cut (landslide, bridge down …)."),
) -> None:
    """Close a stored road segment with the reason; plans made from now on route around it."""
    from yingji.cli_common import command_session, echo_json
    from yingji.relief import service
    from yingji.relief.schemas import RoadSegmentRead

    if not reason.strip():
        raise InvalidInput("--reason must say why the road is cut")
    with command_session(ctx) as (session, scope):
        row = service.cut_road(session=session, scope=scope, segment_id=segment_id, reason=reason.strip()[:2000])
        echo_json(RoadSegmentRead.model_validate(row).model_dump(mode="json"))


@app.command("road-reopen")
def road_reopen(ctx: typer.Context, segment_id: int = typer.Argument(..., help="Road segment id.")) -> None:
    """Reopen a cut road segment."""
    from yingji.cli_common import command_session, echo_json
    from yingji.relief import service
    from yingji.relief.schemas import RoadSegmentRead

    with command_session(ctx) as (session, scope):
        row = service.reopen_road(session=session, scope=scope, segment_id=segment_id)
        echo_json(RoadSegmentRead.model_validate(row).model_dump(mode="json"))
