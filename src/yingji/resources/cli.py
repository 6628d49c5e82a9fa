"""``yingji resource``: depots and stock, transfers, shelters, rescue teams, vehicles; imports; coverage."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from yingji.cli_common import JsonText, command_session, echo_json, echo_rows, in_transaction
from yingji.errors import InvalidInput

app = typer.Typer(help="Reserves (应急资源): depots and stock, shelters, rescue teams, vehicles.", no_args_is_help=True)
DepotId = Annotated[int, typer.Argument(help="Depot id.")]

KINDS = ("depots", "shelters", "teams", "vehicles", "transfers")


def _columns(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: getattr(row, n) for n in names}


_LIST_COLUMNS: dict[str, tuple[str, ...]] = {
    "depots": ("id", "name", "level", "division_code", "lon", "lat", "active"),
    "shelters": ("id", "name", "shelter_class", "division_code", "capacity", "occupancy", "is_open"),
    "teams": ("id", "name", "kind", "specialty", "division_code", "headcount", "readiness", "capabilities"),
    "vehicles": ("id", "name", "kind", "division_code", "payload_kg", "passengers", "status"),
    "transfers": ("id", "from_depot_id", "to_depot_id", "status", "created_at", "created_by"),
}


@app.command("list")
def list_(
    ctx: typer.Context,
    kind: str = typer.Argument(..., help="depots | shelters | teams | vehicles | transfers"),
    as_json: JsonText = False,
) -> None:
    """List a registry."""
    from yingji.resources import service

    if kind not in KINDS:
        raise InvalidInput(f"unknown registry {kind!r}; one of {', '.join(KINDS)}")
    listers: dict[str, Any] = {
        "depots": service.list_depots,
        "shelters": service.list_shelters,
        "teams": service.list_teams,
        "vehicles": service.list_vehicles,
        "transfers": service.list_transfers,
    }
    with command_session(ctx) as (session, scope):
        rows, _ = listers[kind](session=session, scope=scope, limit=None)
        data = [_columns(r, _LIST_COLUMNS[kind]) for r in rows]
    echo_rows(data, as_json, lambda d: "  ".join(str(v) for v in d.values()))


@app.command()
def stock(ctx: typer.Context, depot_id: int, as_json: JsonText = False) -> None:
    """A depot's stock per item (sum of its ledger), with batches and minimum-level flags."""
    from yingji.resources import service

    lines = in_transaction(ctx, service.stock, depot_id=depot_id)
    echo_rows(
        lines,
        as_json,
        lambda line: (
            f"{line['item']:<14} {line['quantity']:>10} {line['unit']}"
            + ("  BELOW MINIMUM" if line["below_minimum"] else "")
        ),
    )


@app.command()
def move(
    ctx: typer.Context,
    depot_id: DepotId,
    kind: str = typer.Argument(..., help="receive | issue | adjust | expire"),
    item: str = typer.Argument(..., help="Catalogue item id or Chinese name."),
    quantity: int = typer.Argument(..., help="Units (an adjustment carries its sign)."),
    batch: str | None = typer.Option(None, help="Batch (withdrawals without one: first expiry, first out)."),
    expiry: str | None = typer.Option(None, help="Expiry date YYYY-MM-DD of received stock."),
    reference: str = typer.Option("", help="Document reference."),
) -> None:
    """Record a stock movement in a depot's ledger (refused whole if stock would go negative)."""
    from yingji.resources import service
    from yingji.resources.schemas import MovementIn

    try:
        expiry_date = dt.date.fromisoformat(expiry) if expiry else None
    except ValueError:
        raise InvalidInput(f"expiry {expiry!r} is not a date YYYY-MM-DD") from None
    movement = MovementIn.model_validate(
        {
            "kind": kind,
            "item": item,
            "quantity": quantity,
            "batch": batch,
            "expiry": expiry_date,
            "reference": reference,
        }
    )
    with command_session(ctx) as (session, scope):
        rows = service.move_stock(session=session, scope=scope, depot_id=depot_id, movement_in=movement)
        for r in rows:
            typer.echo(f"movement {r.id}: {r.kind} {r.item} batch {r.batch or '-'} {r.delta:+d}")


@app.command("expire-due")
def expire_due(
    ctx: typer.Context,
    depot_id: DepotId,
    on: str | None = typer.Option(None, help="Write off batches expiring before this date YYYY-MM-DD (default today)."),
) -> None:
    """Write off every batch of a depot whose expiry date has passed (one expire line per batch)."""
    from yingji.db import utcnow
    from yingji.resources import service

    try:
        day = dt.date.fromisoformat(on) if on else utcnow().date()
    except ValueError:
        raise InvalidInput(f"date {on!r} is not YYYY-MM-DD") from None
    with command_session(ctx) as (session, scope):
        rows = service.expire_due(session=session, scope=scope, depot_id=depot_id, on=day)
        for r in rows:
            typer.echo(f"movement {r.id}: expire {r.item} batch {r.batch or '-'} {r.delta:+d} (expired {r.expiry})")
    typer.echo(f"{len(rows)} batches written off")


@app.command()
def transfer(
    ctx: typer.Context,
    from_depot: int = typer.Argument(..., help="Sending depot id."),
    to_depot: int = typer.Argument(..., help="Receiving depot id."),
    lines: list[str] = typer.Argument(..., help="ITEM:QUANTITY (or ITEM:QUANTITY:BATCH), one or more."),
    confirm: bool = typer.Option(False, help="Confirm at once (stock moves)."),
) -> None:
    """Create a transfer order between two depots (and optionally confirm it)."""
    from yingji.resources import service
    from yingji.resources.schemas import TransferIn

    parsed = []
    for text in lines:
        parts = text.split(":")
        if len(parts) not in (2, 3) or not parts[1].lstrip("-").isdigit():
            raise InvalidInput(f"line {text!r} must be ITEM:QUANTITY or ITEM:QUANTITY:BATCH")
        parsed.append({"item": parts[0], "quantity": int(parts[1]), "batch": parts[2] if len(parts) == 3 else None})
    body = TransferIn.model_validate({"from_depot_id": from_depot, "to_depot_id": to_depot, "lines": parsed})
    with command_session(ctx) as (session, scope):
        order = service.create_transfer(session=session, scope=scope, transfer_in=body)
        if confirm:
            order = service.confirm_transfer(session=session, scope=scope, transfer_id=order.id)
        typer.echo(f"transfer {order.id}: {order.status}")


@app.command("confirm")
def confirm_(ctx: typer.Context, transfer_id: int) -> None:
    """Confirm a transfer order: its stock moves, or nothing does."""
    from yingji.resources import service

    with command_session(ctx) as (session, scope):
        order = service.confirm_transfer(session=session, scope=scope, transfer_id=transfer_id)
        typer.echo(f"transfer {order.id}: {order.status}")


@app.command("import")
def import_(
    ctx: typer.Context,
    kind: str = typer.Argument(..., help="depots | stock | shelters | teams"),
    file: Path = typer.Argument(..., help="CSV file (columns in docs/resources.md)."),
) -> None:
    """Import a registry from CSV; the whole file is rejected (line and reason printed) on any error."""
    from yingji.resources import service

    if not file.exists():
        raise InvalidInput(f"file {file} does not exist")
    text = file.read_text(encoding="utf-8-sig")
    count = in_transaction(ctx, service.import_csv, kind=kind, text=text, source=f"import:{file.name}")
    typer.echo(f"imported {count} {kind} rows")


@app.command()
def coverage(
    ctx: typer.Context,
    division: str | None = typer.Option(None, help="Only places under this division code."),
    report: Path | None = typer.Option(None, help="Also write the printable HTML report to this file."),
    as_json: bool = typer.Option(False, "--json", help="Print the coverage tables as JSON."),
) -> None:
    """Coverage: nearest depot of each level, 6/8/10-hour targets, shelter space, team coverage, gaps."""
    from yingji.db import utcnow
    from yingji.resources import coverage_report, service

    with command_session(ctx) as (session, scope):
        depots = service.depot_coverage(session=session, scope=scope, division=division)
        shelters = service.shelter_coverage(session=session, scope=scope, division=division)
        teams = service.team_coverage(session=session, scope=scope, division=division)
        gaps = service.gaps(session=session, scope=scope, division=division)
    if report is not None:
        report.write_text(
            coverage_report.render(
                title="应急物资储备与避难场所覆盖报告 Reserve coverage report",
                generated_at=utcnow().strftime("%Y-%m-%d %H:%M UTC"),
                depots=depots,
                shelters=shelters,
                teams=teams,
            ),
            encoding="utf-8",
        )
    if as_json:
        echo_json({"depots": depots, "shelters": shelters, "teams": teams, "gaps": gaps})
        return
    typer.echo(f"counties without a county-level depot: {len(depots['counties_without_county_depot'])}")
    for c in depots["counties_without_county_depot"]:
        typer.echo(f"  {c['code']}  {c['name']}")
    typer.echo(f"places with coverage problems: {len(gaps)}")
    for code, problems in sorted(gaps.items()):
        typer.echo(f"  {code}  {'; '.join(problems)}")


@app.command("demo")
def demo_(ctx: typer.Context) -> None:
    """Add the synthetic demo reserves to the demo region (after `yingji demo load`; idempotent)."""
    from yingji.resources.demo import load_demo_resources

    counts = in_transaction(ctx, load_demo_resources)
    typer.echo(", ".join(f"{k}: {v}" for k, v in counts.items()) + " (synthetic demo data)")
