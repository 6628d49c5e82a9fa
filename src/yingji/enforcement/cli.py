"""``yingji enforcement``: random draws of enterprises and inspectors (works with no database)."""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path
from typing import NoReturn

import typer

app = typer.Typer(help="Enforcement (执法): random draws of enterprises and inspectors (双随机一公开).")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {path}: {exc}")


def _fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(2)


@app.command("draw")
def draw_command(
    enterprises: Path = typer.Option(..., "--enterprises", help="CSV with a header naming an `id` column."),
    inspectors: Path = typer.Option(..., "--inspectors", help="CSV `id,ties`; ties are `;`-separated enterprise ids."),
    count: int = typer.Option(..., "--count", help="How many enterprises to draw."),
    seed: str | None = typer.Option(None, "--seed", help="The seed; default: 128 bits from the system's CSPRNG."),
    as_json: bool = typer.Option(False, "--json", help="Print the draw as JSON."),
) -> None:
    """Draw COUNT enterprises, each with two distinct inspectors without a recusal tie (回避) to it."""
    from yingji.enforcement import draw

    try:
        inputs = draw.read_inputs(_read(enterprises), _read(inspectors))
        result = draw.draw(inputs, count=count, seed=seed if seed is not None else secrets.token_hex(16))
    except draw.DrawError as exc:
        _fail(str(exc))
    if as_json:
        sys.stdout.write(json.dumps(result.as_json(), ensure_ascii=False) + "\n")
        return
    for enterprise, pair in result.pairs:
        typer.echo(f"{enterprise}\t{pair[0]}\t{pair[1]}")
    typer.echo(f"seed {result.seed}  algorithm {result.algorithm}  digest {result.digest}")


@app.command("verify")
def verify_command(
    stored: Path = typer.Argument(..., help="The draw as printed by `yingji enforcement draw --json`."),
    enterprises: Path = typer.Option(..., "--enterprises", help="The enterprises CSV the draw was made from."),
    inspectors: Path = typer.Option(..., "--inspectors", help="The inspectors CSV the draw was made from."),
) -> None:
    """Re-run a stored draw from its inputs; exit 0 when it gives the same pairs and digest, 2 otherwise."""
    from yingji.enforcement import draw

    try:
        data = json.loads(_read(stored))
        if not isinstance(data, dict):
            raise draw.DrawError("the stored draw is not a JSON object")
        result = draw.verify(data, draw.read_inputs(_read(enterprises), _read(inspectors)))
    except json.JSONDecodeError as exc:
        _fail(f"{stored} is not JSON: {exc}")
    except draw.DrawError as exc:
        _fail(str(exc))
    typer.echo(f"verified: {len(result.pairs)} pairs, digest {result.digest}")
