"""``yingji warning``: public warnings as CAP 1.2 (no database needed)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from yingji.cli_common import TickClock

app = typer.Typer(help="Public warnings: CAP 1.2 documents and feeds.", no_args_is_help=True)

# Placeholders until the deployment's own codes are configured: 100000 stands for the national level
# and 000 for "organisation not given" (GB/T 35965.1 sender = division + organisation + 00000).
DEFAULT_DIVISION = "100000"
DEFAULT_ORGANISATION = "000"


@app.command()
def cap(
    colour: str = typer.Option(..., "--colour", help="blue | yellow | orange | red (level IV–I)."),
    type_: str = typer.Option(..., "--type", help="Warning type id (see `yingji warning types`)."),
    headline: str = typer.Option(..., "--headline", help="One-line headline."),
    area_polygon: list[str] = typer.Option(
        [], "--area-polygon", help='"lat,lon lat,lon …" (closed automatically); repeatable.'
    ),
    area_circle: list[str] = typer.Option([], "--area-circle", help='"lat,lon radius_km"; repeatable.'),
    area_division: list[str] = typer.Option([], "--area-division", help="GB/T 2260 division code; repeatable."),
    area_desc: str = typer.Option("", "--area-desc", help="Area description (default: the headline)."),
    description: str | None = typer.Option(None, "--description"),
    instruction: str | None = typer.Option(None, "--instruction", help="What people should do."),
    division: str = typer.Option(DEFAULT_DIVISION, "--division", help="Issuer's 6-digit GB/T 2260 code."),
    organisation: str = typer.Option(DEFAULT_ORGANISATION, "--organisation", help="3-digit GB/T 4657 code."),
    sender: str | None = typer.Option(None, "--sender", help="Full 14-digit sender code (overrides the two above)."),
    sender_name: str | None = typer.Option(None, "--sender-name", help="Issuer's name, e.g. 某某县应急管理局."),
    sent: str | None = typer.Option(None, "--sent", help="ISO 8601 issue time (default: now)."),
    expires_hours: float | None = typer.Option(24.0, "--expires-hours", help="Validity in hours (0: none)."),
    sequence: int = typer.Option(0, "--sequence", min=0, max=9, help="N in the identifier (0–9)."),
    status: str = typer.Option("Actual", "--status", help="Actual | Exercise | System | Test | Draft."),
    msg_type: str = typer.Option("Alert", "--msg-type", help="Alert | Update | Cancel."),
    references: list[str] = typer.Option([], "--references", help='"sender,identifier,sent" of an earlier message.'),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here instead of standard output."),
) -> None:
    """Print a CAP 1.2 warning, validated against the OASIS schema."""
    import time

    from yingji.errors import InvalidInput
    from yingji.monitoring.clock import parse_timestamp
    from yingji.warnings import cap as capmod

    if colour not in capmod.COLOUR_LEVELS:
        raise InvalidInput(f"colour: {colour!r} is not one of blue, yellow, orange, red")
    if status not in ("Actual", "Exercise", "System", "Test", "Draft"):
        raise InvalidInput(f"status: {status!r} is not a CAP status")
    if msg_type not in ("Alert", "Update", "Cancel"):
        raise InvalidInput(f"msg-type: {msg_type!r} is not Alert, Update or Cancel")
    issuer = sender or capmod.sender_code(division, organisation)
    if sender is not None and not sender.isdigit():
        raise InvalidInput("sender: expected the 14-digit GB/T 35965.1 sender code")
    issued = parse_timestamp(sent) if sent else int(time.time()) * 1000
    area = capmod.Area(
        description=area_desc or headline,
        polygons=tuple(capmod.parse_polygon(p) for p in area_polygon),
        circles=tuple(capmod.parse_circle(c) for c in area_circle),
        divisions=tuple(area_division),
    )
    message = capmod.WarningMessage(
        sender=issuer,
        identifier=capmod.make_identifier(issuer, issued, sequence),
        sent=issued,
        colour=colour,  # type: ignore[arg-type]
        type=type_,
        headline=headline,
        area=area,
        description=description,
        instruction=instruction,
        status=status,  # type: ignore[arg-type]
        msg_type=msg_type,  # type: ignore[arg-type]
        references=tuple(references),
        sender_name=sender_name,
        expires=issued + round(expires_hours * 3_600_000) if expires_hours else None,
    )
    xml = capmod.build(message)
    if output is not None:
        output.write_bytes(xml)
    else:
        sys.stdout.write(xml.decode("utf-8"))


@app.command()
def types() -> None:
    """List the warning types (id, national type code, Chinese name, CAP category, code status)."""
    from yingji.warnings.cap import warning_types

    for kind in warning_types().values():
        typer.echo(f"{kind.id:<22} {kind.code}  {kind.category:<7} {kind.status}  {kind.zh}")


@app.command()
def validate(file: Path = typer.Argument(..., help="A CAP 1.2 XML file.")) -> None:
    """Check a CAP file against the OASIS CAP 1.2 schema; exit 1 with the errors if invalid."""
    from yingji.warnings.cap import validate as check

    errors = check(file.read_bytes())
    for error in errors:
        typer.echo(error, err=True)
    if errors:
        raise typer.Exit(1)
    typer.echo("valid CAP 1.2")


@app.command()
def feed(
    files: list[Path] = typer.Argument(..., help="CAP files of the active warnings."),
    feed_id: str = typer.Option("urn:yingji:warnings", "--id"),
    title: str = typer.Option("预警信息 / Active warnings", "--title"),
    link: str | None = typer.Option(None, "--link", help="Base URL where each CAP file is served."),
) -> None:
    """Print an Atom feed of the given CAP warnings."""
    import time

    from yingji.warnings.cap import atom_feed

    xml = atom_feed(
        [f.read_bytes() for f in files], feed_id=feed_id, title=title, updated=int(time.time()) * 1000, link=link
    )
    sys.stdout.write(xml.decode("utf-8"))


# ---- warnings in the database


@app.command("import")
def import_warnings(
    ctx: typer.Context, file: Path = typer.Argument(..., help="A CAP 1.2 alert or an Atom feed of CAP alerts.")
) -> None:
    """Take in warnings of other issuers into the database (known alerts skipped; Cancels applied)."""
    import time

    from yingji.cli_common import command_session, echo_json
    from yingji.errors import InvalidInput
    from yingji.warnings.imports import service

    try:
        xml = file.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{file}: cannot be read ({exc.strerror})") from exc
    with command_session(ctx) as (session, scope):
        echo_json(service.import_cap(session=session, scope=scope, xml=xml, now=int(time.time() * 1000)))


@app.command("list")
def list_warnings(
    ctx: typer.Context,
    status: str | None = typer.Option(None, "--status", help="active | cancelled"),
    limit: int = typer.Option(100, "--limit", min=1, max=10_000),
) -> None:
    """List warnings in the database, newest first (JSON)."""
    from yingji.cli_common import command_session, echo_json
    from yingji.warnings import service

    with command_session(ctx) as (session, scope):
        rows, total = service.list_warnings(session=session, scope=scope, status=status, limit=limit)
        echo_json(
            {
                "total": total,
                "items": [
                    {
                        "id": w.id,
                        "identifier": w.identifier,
                        "source": w.source,
                        "colour": w.colour,
                        "type": w.type,
                        "headline": w.headline,
                        "status": w.status,
                        "sent_at": w.sent_at.isoformat(),
                        "divisions": w.division_codes,
                    }
                    for w in rows
                ],
            }
        )


@app.command()
def tick(
    ctx: typer.Context,
    now: TickClock = None,
    escalate_after_s: float | None = typer.Option(
        None, "--escalate-after-s", min=1, help="Override YINGJI_CALLACK_ESCALATE_AFTER_S."
    ),
) -> None:
    """The 叫应 scheduler step: officials who have not acknowledged an active warning in time are escalated to
    their superior, who is called in turn over their contact channels. Run it every minute."""
    import time

    from yingji.cli_common import command_session, echo_json, settings_from
    from yingji.monitoring.clock import parse_timestamp
    from yingji.warnings import service
    from yingji.warnings.calls import service as calls_service

    clock = parse_timestamp(now) if now is not None else int(time.time() * 1000)
    settings = settings_from(ctx)
    wait = escalate_after_s or settings.callack_escalate_after_s
    with command_session(ctx) as (session, scope):
        echo_json(
            calls_service.escalate_calls(
                session=session,
                scope=scope,
                now=clock,
                escalate_after_s=wait,
                call_config=service.channel_config(settings),
            )
        )
