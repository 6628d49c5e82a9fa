"""``yingji hazards``: GB 18218-2018 identification (no database), determination standards, hazards."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

app = typer.Typer(
    help="Work safety (安全生产): major hazard installations, determination standards, hazards to closure.",
    no_args_is_help=True,
)


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(2)


@app.command("identify")
def identify(
    inventory: Path = typer.Option(..., "--inventory", help="CSV with the header substance,quantity_t (tonnes)."),
    exposed_people: int = typer.Option(
        ..., "--exposed-people", help="People outside the plant who may be exposed (α of GB 18218-2018 Table 5)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print only the JSON document on stdout."),
) -> None:
    """Identify and grade one unit by GB 18218-2018 (S = Σq/Q ≥ 1; R = α·Σβq/Q), exactly; needs no database.

    A substance is a Table 1 name as the standard writes it, an alias, a CAS number, or a Table 2 category
    symbol (J1 … W11). An optional ``category`` column overrides the β of a line by a Table 4 symbol."""
    from yingji.hazards import gb18218

    if exposed_people < 0:
        _fail("--exposed-people cannot be negative")
    try:
        text = inventory.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {inventory}: {exc}")
    try:
        lines = gb18218.read_inventory(text)
    except gb18218.InventoryError as exc:
        _fail(f"{inventory}: {exc}")
    result = gb18218.assess(lines, exposed_people)
    document = gb18218.assessment_json(result)
    if as_json:
        sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
        return
    typer.echo(f"S = {float(result.s):.4f} ({'major hazard installation' if result.major else 'not major'})")
    if result.r is not None:
        typer.echo(f"R = {float(result.r):.4f} (α = {float(result.alpha)}) -> grade {result.grade}")
    for line in document["lines"]:
        typer.echo(f"  {line['substance']}  q={line['quantity_t']} t  Q={line['critical_t']} t  β={line['beta']}")
