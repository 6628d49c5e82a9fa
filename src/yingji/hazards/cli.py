"""``yingji hazards``: GB 18218-2018 identification (no database), determination standards, hazards."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from yingji.cli_common import JsonText, echo_rows, fail

app = typer.Typer(
    help="Work safety (安全生产): major hazard installations, determination standards, hazards to closure.",
    no_args_is_help=True,
)


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
        fail("--exposed-people cannot be negative")
    try:
        text = inventory.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {inventory}: {exc}")
    try:
        lines = gb18218.read_inventory(text)
    except gb18218.InventoryError as exc:
        fail(f"{inventory}: {exc}")
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


@app.command("standards")
def standards_(
    standard_id: str | None = typer.Argument(None, help="Show this standard's items (e.g. hazchem-2017)."),
    as_json: JsonText = False,
) -> None:
    """The major-accident-hazard determination standards stored, with their published totals (no database)."""
    from yingji.hazards import determination

    stds = determination.standards()
    if standard_id is None:
        rows = [
            {"id": s.id, "title": s.title, "issuer": s.issuer, "published_total": s.published_total,
             "stored": len(s.counted_items()), "missing": s.missing}
            for s in stds
        ]  # fmt: skip
        echo_rows(
            rows,
            as_json,
            lambda r: f"{r['id']:<14} {r['stored']:>3}/{r['published_total']:<3} {r['title']} ({r['issuer']})",
        )
        return
    found = [s for s in stds if s.id == standard_id]
    if not found:
        fail(f"no determination standard {standard_id!r}; one of {', '.join(s.id for s in stds)}")
    items = [
        {"id": i.id, "article": i.article, "text": i.text, "status": i.status, "parent": i.parent}
        for i in found[0].items
    ]
    echo_rows(items, as_json, lambda i: f"{i['id']:<14} [{i['status']}] {i['article']} {i['text']}")


@app.command("checklist")
def checklist(
    category: str = typer.Argument(..., help="Supervision category: 危险化学品, 工贸, 煤矿 …"),
    sub_sector: str = typer.Option("", "--sub-sector", help="工贸 sub-sector: 冶金, 有色, 建材, 机械 …"),
) -> None:
    """The self-inspection checklist of an enterprise of this category: the applicable items, clause-cited."""
    from yingji.hazards import determination

    for item in determination.applicable(category, sub_sector):
        typer.echo(f"[ ] {item.id} {item.article}: {item.text}")


@app.command("scheduler")
def scheduler(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="Run one pass and exit."),
    interval: float = typer.Option(60.0, min=1.0, help="Seconds between passes."),
    now: str | None = typer.Option(None, help="Judge at this moment (ISO 8601 with offset; implies --once)."),
) -> None:
    """Flag hazards past their rectification or listing deadline, once each: history entry and notifications
    (a major hazard's also to the level above); propose hazards from long device-health alarms of monitoring."""
    import datetime as dt
    import time

    from yingji.auth.scope import system_scope
    from yingji.cli_common import command_session
    from yingji.db import utcnow
    from yingji.hazards.register import service

    moment = None
    if now is not None:
        try:
            moment = dt.datetime.fromisoformat(now)
        except ValueError:
            fail(f"--now {now!r} is not an ISO 8601 time")
        if moment is None or moment.tzinfo is None:
            fail("--now needs a UTC offset (e.g. 2026-12-01T08:00:00+08:00)")
    while True:
        with command_session(ctx) as (session, _scope):
            scope = system_scope("scheduler")
            flagged = service.flag_overdue(session=session, scope=scope, now=moment or utcnow())
            proposed = service.propose_from_monitoring(session=session, scope=scope, now=moment or utcnow())
        typer.echo(f"flagged {flagged} overdue hazards; {proposed} proposed from monitoring")
        if once or moment is not None:
            return
        time.sleep(interval)
