"""``yingji enterprise``: the enterprise register (生产经营单位) — import, list, members."""

from __future__ import annotations

from pathlib import Path

import typer

from yingji.cli_common import command_session, echo_rows, fail, in_transaction

app = typer.Typer(help="Enterprises (生产经营单位): import the register, list it, link enterprise users.",
                  no_args_is_help=True)  # fmt: skip

LIST_COLUMNS = (
    "id", "name", "credit_code", "division_code", "industry_code", "supervision_category", "sub_sector",
    "address", "lon", "lat", "legal_representative", "safety_lead", "headcount", "risk_color", "status",
)  # fmt: skip


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A .csv or .xlsx register with the columns name,credit_code,division …"),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
) -> None:
    """Import an enterprise register, all or nothing: any bad row (named with its column) stores nothing.

    Rows whose 统一社会信用代码 is already registered in your jurisdiction update that enterprise, so importing
    the same file twice changes nothing. Columns: see docs/hazards.md."""
    from rich.progress import BarColumn, Progress, TextColumn

    from yingji.hazards.enterprises import service
    from yingji.hazards.tabular import TableError, read_table

    if not file.is_file():
        fail(f"{file}: no such file")
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed} rows"),
        transient=True, disable=quiet,
    ) as bar:  # fmt: skip
        task = bar.add_task(f"reading {file.name}", total=None)
        try:
            table = read_table(file, progress=lambda n: bar.update(task, completed=n))
        except (TableError, OSError) as exc:
            fail(f"{file}: {exc}")
        bar.update(task, completed=len(table.rows), description="checking and storing")
        result = in_transaction(ctx, service.import_table, table=table, source=file.name)
    for warning in result.warnings:
        typer.secho(f"warning: {warning}", err=True, fg=typer.colors.YELLOW)
    typer.echo(f"{result.created} enterprises registered, {result.updated} updated", err=True)


@app.command("list")
def list_(
    ctx: typer.Context,
    division: str | None = typer.Option(None, "--division", help="Only enterprises under this division."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array."),
) -> None:
    """List the registered enterprises."""
    from yingji.hazards.enterprises import service

    with command_session(ctx) as (session, scope):
        rows, _ = service.list_enterprises(session=session, scope=scope, division=division, limit=None)
        data = [{c: getattr(r, c) for c in LIST_COLUMNS} for r in rows]
    echo_rows(data, as_json, lambda d: f"{d['id']}  {d['credit_code']}  {d['division_code']}  {d['name']}")


@app.command("add-member")
def add_member(
    ctx: typer.Context,
    credit_code: str = typer.Argument(..., help="The enterprise's 统一社会信用代码."),
    username: str = typer.Argument(..., help="A user of role enterprise."),
) -> None:
    """Let a user of role enterprise act for an enterprise (they then see only its records)."""
    from yingji.hazards.enterprises import service

    with command_session(ctx) as (session, scope):
        rows, _ = service.list_enterprises(session=session, scope=scope, q=credit_code, limit=1)
        if not rows:
            fail(f"no enterprise with 统一社会信用代码 {credit_code}")
        service.add_member(session=session, scope=scope, enterprise_id=rows[0].id, username=username)
    typer.echo(f"{username} now acts for {rows[0].name}", err=True)
