"""``yingji disaster``: disaster statistics (灾情统计) from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from yingji.cli_common import JsonText, command_session, in_transaction, option_time

app = typer.Typer(
    help="Disaster statistics (灾情统计): township reports, roll-ups, the 2020 regime.", no_args_is_help=True
)
EventId = Annotated[int, typer.Option("--event", help="The event's id.")]
TownshipCode = Annotated[str, typer.Option("--township", help="The township's 12-digit code.")]


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
    result = in_transaction(ctx, service.rollup_csv, text=text)
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
def indicators(as_json: JsonText = False) -> None:
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


# -- the reporting cycle (national system scope, audited as cli:<os user>) -----------------------------

REPORT_TYPES = ("initial", "follow_up", "verified")


def _report_type(value: str) -> str:
    if value not in REPORT_TYPES:
        typer.echo(f"error: --type must be one of {', '.join(REPORT_TYPES)} (got {value!r})", err=True)
        raise typer.Exit(2)
    return value


def _report_dict(report: Any) -> dict[str, Any]:
    from yingji.disasters.schemas import ReportRead

    return ReportRead.model_validate(report).model_dump(mode="json")


@app.command("event-create")
def event_create(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", help="The event's name, e.g. 定日县洪涝."),
    kind: str = typer.Option(..., "--kind", help="flood, earthquake, drought, typhoon, … (natural-disaster types)."),
    division: str = typer.Option(..., "--division", help="The 12-digit code of the division it is declared over."),
    started_at: str = typer.Option(..., "--started-at", help="ISO 8601 with offset."),
    glide: str | None = typer.Option(None, "--glide", help="GLIDE number, e.g. FL-2026-000123-CHN."),
    incident: int | None = typer.Option(None, "--incident", help="The incident whose figures the totals update."),
) -> None:
    """Declare a disaster event (prints it as JSON)."""
    from yingji.cli_common import echo_json
    from yingji.disasters import service
    from yingji.disasters.schemas import EventIn

    body: dict[str, Any] = {"name": name, "kind": kind, "division_code": division, "glide": glide}
    body["started_at"] = option_time(started_at, "--started-at")
    if incident is not None:
        body["incident_id"] = incident
    try:
        event_in = EventIn.model_validate(body)
    except ValidationError as exc:
        for err in exc.errors():
            typer.echo(f"error: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}", err=True)
        raise typer.Exit(2) from None
    with command_session(ctx) as (session, scope):
        event = service.create_event(session=session, scope=scope, event_in=event_in)
        out = service.event_read(session=session, scope=scope, event=event).model_dump(mode="json")
    echo_json(out)


@app.command("events")
def events(ctx: typer.Context) -> None:
    """The disaster events, newest first (JSON)."""
    from yingji.cli_common import echo_json
    from yingji.disasters import service

    with command_session(ctx) as (session, scope):
        rows = service.events_read(
            session=session, scope=scope, events=service.list_events(session=session, scope=scope)
        )
        out = [e.model_dump(mode="json") for e in rows]
    echo_json(out)


@app.command("report")
def report(
    ctx: typer.Context,
    event: EventId,
    township: TownshipCode,
    report_type: str = typer.Option("initial", "--type", help="initial (初报), follow_up (续报) or verified (核报)."),
    figure: list[str] = typer.Option([], "--figure", help="indicator=count, repeatable (e.g. --figure deaths=2)."),
    explanation: str = typer.Option("", "--explanation", help="Why a figure jumped or dropped beyond the ratio."),
) -> None:
    """Submit a township's report (a later one corrects the earlier); prints it with its findings (JSON)."""
    from yingji.cli_common import echo_json
    from yingji.disasters import service
    from yingji.disasters.schemas import ReportIn

    figures: dict[str, str] = {}
    for item in figure:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            typer.echo(f"error: --figure {item!r}: expected indicator=count", err=True)
            raise typer.Exit(2)
        figures[name.strip()] = value.strip()
    report_in = ReportIn.model_validate(
        {"township_code": township, "report_type": _report_type(report_type), "figures": figures,
         "explanation": explanation}
    )  # fmt: skip
    with command_session(ctx) as (session, scope):
        out = _report_dict(service.submit_report(session=session, scope=scope, event_id=event, report_in=report_in))
    echo_json(out)


@app.command("reports")
def reports(
    ctx: typer.Context,
    event: EventId,
    status: str | None = typer.Option(None, "--status", help="Only reports in this status (e.g. submitted)."),
) -> None:
    """The event's reports, oldest first, with findings and review trail (JSON)."""
    from yingji.cli_common import echo_json
    from yingji.disasters import service

    with command_session(ctx) as (session, scope):
        out = [
            _report_dict(r) for r in service.list_reports(session=session, scope=scope, event_id=event, status=status)
        ]
    echo_json(out)


@app.command("review")
def review(
    ctx: typer.Context,
    report_id: int = typer.Argument(..., help="The report's id."),
    action: str = typer.Option("accept", "--action", help="accept or return."),
    reason: str = typer.Option("", "--reason", help="Why the report is returned (required for return)."),
) -> None:
    """Accept or return a report at the level it waits for (the national CLI may act at any level)."""
    from yingji.cli_common import echo_json
    from yingji.disasters import service
    from yingji.disasters.schemas import ReviewIn

    if action not in ("accept", "return"):
        typer.echo(f"error: --action must be accept or return (got {action!r})", err=True)
        raise typer.Exit(2)
    review_in = ReviewIn.model_validate({"action": action, "reason": reason})
    with command_session(ctx) as (session, scope):
        out = _report_dict(
            service.review_report(session=session, scope=scope, report_id=report_id, review_in=review_in)
        )
    echo_json(out)


@app.command("totals")
def totals(ctx: typer.Context, event: EventId) -> None:
    """The event's roll-ups (latest accepted figures per township, summed up to the province) and the relief
    response level each province's totals trigger (JSON)."""
    from yingji.cli_common import echo_json
    from yingji.disasters import service

    figures, levels = in_transaction(ctx, service.event_totals, event_id=event)
    echo_json({"event_id": event, "totals": figures, "relief_response": levels})


@app.command("missing")
def missing(
    ctx: typer.Context,
    event: EventId,
    report_type: str = typer.Option("initial", "--type", help="initial, follow_up or verified."),
) -> None:
    """Townships of the event's area without a report of this type (one code a line)."""
    from yingji.disasters import service

    codes = in_transaction(ctx, service.not_reported, event_id=event, report_type=_report_type(report_type))
    for code in codes:
        typer.echo(code)


@app.command("export")
def export(
    ctx: typer.Context,
    event: EventId,
    fmt: str = typer.Option("xlsx", "--format", help="xlsx (the regime's layout, 万元), hxl (CSV) or sendai (JSON)."),
    out: Path = typer.Option(..., "--out", help="The file to write."),
) -> None:
    """Write the event's totals in the regime's xlsx layout or an open format."""
    from yingji.disasters import service

    if fmt not in ("xlsx", "hxl", "sendai"):
        typer.echo(f"error: --format must be xlsx, hxl or sendai (got {fmt!r})", err=True)
        raise typer.Exit(2)
    with command_session(ctx) as (session, scope):
        if fmt == "xlsx":
            data = service.export_xlsx(session=session, scope=scope, event_id=event)
        elif fmt == "hxl":
            data = service.export_hxl(session=session, scope=scope, event_id=event).encode()
        else:
            sendai = service.export_sendai(session=session, scope=scope, event_id=event)
            data = json.dumps(sendai, ensure_ascii=False, indent=2).encode()
    out.write_bytes(data)
    typer.echo(f"wrote {out} ({len(data)} bytes)", err=True)


@app.command("import")
def import_(
    ctx: typer.Context,
    event: EventId,
    file: Path = typer.Option(..., "--file", help="An xlsx workbook in the regime's layout (sheet 乡镇)."),
    report_type: str = typer.Option("follow_up", "--type", help="initial, follow_up or verified."),
    explanation: str = typer.Option("", "--explanation", help="Explanation for jumps (applies to every row)."),
) -> None:
    """Import township rows as reports, all or nothing: every problem is printed with its sheet, row and
    column, and exit 2 imports nothing."""
    from yingji.disasters import service
    from yingji.errors import InvalidInput

    kind = _report_type(report_type)
    try:
        data = file.read_bytes()
    except OSError as exc:
        typer.echo(f"error: cannot read {file}: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        rows = in_transaction(
            ctx, service.import_xlsx, event_id=event, data=data, report_type=kind, explanation=explanation
        )
    except InvalidInput as exc:
        for line in exc.extra.get("lines") or [exc.detail]:
            typer.echo(f"error: {line}", err=True)
        typer.echo("nothing imported", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"imported {len(rows)} township reports into event {event}")


@app.command("stabilised")
def stabilised(
    ctx: typer.Context,
    event: EventId,
    on: str = typer.Option(..., "--on", help="The day (北京时间) the disaster stabilised, YYYY-MM-DD."),
    county: str | None = typer.Option(
        None, "--county", help="Only this county's day (12-digit code); without it, the event-wide day."
    ),
) -> None:
    """Record the day the disaster stabilised (灾情稳定): the verified reports (核报) are due after it. With
    --county, that county's own day; without it, the event-wide day (of every county without one of its own;
    a county user's own county's day)."""
    import datetime as dt

    from yingji.cli_common import echo_json
    from yingji.disasters import service
    from yingji.geo.codes import normalise_code

    try:
        day = dt.date.fromisoformat(on)
    except ValueError:
        typer.echo(f"error: --on: {on!r} is not a date (YYYY-MM-DD)", err=True)
        raise typer.Exit(2) from None
    try:
        county = None if county is None else normalise_code(county)
    except ValueError as exc:
        typer.echo(f"error: --county: {exc}", err=True)
        raise typer.Exit(2) from None
    with command_session(ctx) as (session, scope):
        if county is None:
            row = service.set_stabilised(session=session, scope=scope, event_id=event, on=day)
        else:
            service.set_county_stabilised(session=session, scope=scope, event_id=event, county_code=county, on=day)
            row = service.get_event(session=session, scope=scope, event_id=event)
        data = service.event_read(session=session, scope=scope, event=row).model_dump(mode="json")
    echo_json(data)


@app.command("tick")
def tick(
    ctx: typer.Context,
    now: str | None = typer.Option(None, "--now", help="Judge at this moment (ISO 8601 with offset)."),
) -> None:
    """One escalation pass (run by `yingji run` every YINGJI_TICK_INTERVAL_S): townships past the local
    deadline without an initial report, past the latest follow-up deadline without a follow-up, or past the
    verified-report deadline after the day the disaster stabilised without a 核报, are flagged once, naming
    their officers and the county."""
    from yingji.auth.scope import system_scope
    from yingji.cli_common import settings_from
    from yingji.db import utcnow
    from yingji.disasters.officers import service

    moment = option_time(now, "--now") if now else utcnow()
    hours = settings_from(ctx).disaster_township_initial_hours
    with command_session(ctx) as (session, _scope):
        counts = service.escalate_overdue(
            session=session, scope=system_scope("disaster-scheduler"), now=moment, township_hours=hours
        )
    typer.echo(f"escalated {counts['escalated']} overdue township reports in {counts['events']} events")


@app.command("officer-add")
def officer_add(
    ctx: typer.Context,
    township: TownshipCode,
    name: str = typer.Option(..., "--name", help="The officer's name."),
    phone: str = typer.Option(..., "--phone", help="A phone number."),
    rank: int = typer.Option(1, "--rank", help="1 = the officer, 2… the backups (calling order)."),
) -> None:
    """Register a township's disaster information officer (灾害信息员) or a backup."""
    from yingji.cli_common import echo_json
    from yingji.disasters.officers import service
    from yingji.disasters.officers.schemas import OfficerIn, OfficerRead

    try:
        officer_in = OfficerIn.model_validate({"township_code": township, "name": name, "phone": phone, "rank": rank})
    except ValidationError as exc:
        for err in exc.errors():
            typer.echo(f"error: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}", err=True)
        raise typer.Exit(2) from None
    with command_session(ctx) as (session, scope):
        out = OfficerRead.model_validate(service.add_officer(session=session, scope=scope, officer_in=officer_in))
        data = out.model_dump(mode="json")
    echo_json(data)
