"""``yingji disaster``: disaster statistics (灾情统计) from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from yingji.cli_common import command_session

app = typer.Typer(
    help="Disaster statistics (灾情统计): township reports, roll-ups, the 2020 regime.", no_args_is_help=True
)


@app.command("rollup")
def rollup_(
    ctx: typer.Context,
    reports: Path = typer.Option(
        ...,
        "--reports",
        help="CSV: division,affected,deaths,missing,relocated,"
        "houses_collapsed_households,direct_loss_cny — one row per township.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the totals as JSON (the only output on stdout)."),
) -> None:
    """Totals for each township given and every ancestor division (each the sum of its townships). Errors
    (unknown or repeated township, a negative or non-integer count) exit 2 naming the line and print no
    totals; the regime's cross-field rules are warnings on stderr."""
    from yingji.disasters import service

    try:
        text = reports.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"error: cannot read {reports}: {exc}", err=True)
        raise typer.Exit(2) from None
    with command_session(ctx) as (session, scope):
        result = service.rollup_csv(session=session, scope=scope, text=text)
    for error in result.errors:
        typer.echo(f"error: {error}", err=True)
    if result.errors:
        raise typer.Exit(2)
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if as_json:
        typer.echo(json.dumps({"totals": result.totals}, ensure_ascii=False, indent=2))
        return
    for code, figures in result.totals.items():
        typer.echo(code + "  " + "  ".join(f"{k}={v}" for k, v in figures.items()))


@app.command("indicators")
def indicators(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The regime's indicators (code, name, unit, report types, status)."""
    from dataclasses import asdict

    from yingji.disasters.regime import default_regime

    regime = default_regime()
    if as_json:
        typer.echo(json.dumps([asdict(i) for i in regime.indicators], ensure_ascii=False, indent=2))
        return
    typer.echo(f"{regime.document} — {regime.revision_note}")
    for i in regime.indicators:
        typer.echo(f"{i.code:<30} {i.unit:<10} {i.status}  {i.zh} / {i.en}  [{', '.join(i.reports)}]")
