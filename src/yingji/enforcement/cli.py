"""``yingji enforcement``: random draws of enterprises and inspectors (works with no database)."""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

import typer

from yingji.cli_common import fail

app = typer.Typer(help="Enforcement (执法): random draws of enterprises and inspectors (双随机一公开), stored draws.")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {exc}")


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
        fail(str(exc))
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
        fail(f"{stored} is not JSON: {exc}")
    except draw.DrawError as exc:
        fail(str(exc))
    typer.echo(f"verified: {len(result.pairs)} pairs, digest {result.digest}")


@app.command("check-draw")
def check_draw_command(
    ctx: typer.Context, draw_id: int = typer.Argument(..., help="The number of a stored draw (as the API shows it).")
) -> None:
    """Re-run a stored draw from the inputs stored with it; exit 0 when it gives the same pairs, 2 otherwise."""
    from yingji.cli_common import command_session
    from yingji.enforcement import service
    from yingji.errors import DomainError

    with command_session(ctx) as (session, scope):
        try:
            ok, detail, current = service.verify_draw(session=session, scope=scope, draw_id=draw_id)
        except DomainError as exc:
            fail(exc.detail)
    if not ok:
        fail(f"draw {draw_id} does not verify: {detail}")
    typer.echo(f"verified: {detail}" + ("" if current else " (the register has changed since the draw)"))


@app.command("export-draw")
def export_draw_command(
    ctx: typer.Context,
    draw_id: int = typer.Argument(..., help="The number of a stored draw."),
    out: Path = typer.Option(..., "--out", help="A directory to write the files into (made if missing)."),
) -> None:
    """Write a stored draw as files anyone can check with `yingji enforcement verify`: for each part N,
    partN.enterprises.csv, partN.inspectors.csv and partN.draw.json (and parts.json naming the parts)."""
    from yingji.cli_common import command_session
    from yingji.enforcement import plandraw, service
    from yingji.errors import DomainError

    with command_session(ctx) as (session, scope):
        try:
            row = service.get_draw(session=session, scope=scope, draw_id=draw_id)
        except DomainError as exc:
            fail(exc.detail)
        parts, digest = list(row.parts), row.digest
    out.mkdir(parents=True, exist_ok=True)
    index = []
    for number, part in enumerate(parts, start=1):
        enterprises, inspectors = plandraw.part_files(part)
        (out / f"part{number}.enterprises.csv").write_text(enterprises, encoding="utf-8")
        (out / f"part{number}.inspectors.csv").write_text(inspectors, encoding="utf-8")
        (out / f"part{number}.draw.json").write_text(
            json.dumps(plandraw.part_draw_json(part), ensure_ascii=False) + "\n", encoding="utf-8"
        )
        index.append({"part": number, "label": part["label"], "digest": part["digest"]})
    (out / "parts.json").write_text(json.dumps({"draw": draw_id, "digest": digest, "parts": index},
                                               ensure_ascii=False, indent=2) + "\n", encoding="utf-8")  # fmt: skip
    typer.echo(f"wrote {len(parts)} parts to {out}")
