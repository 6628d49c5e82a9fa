"""What every domain's CLI shares: the settings built once, one transaction per command, JSON output."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from sqlalchemy.orm import Session

from yingji.auth.scope import Scope, system_scope
from yingji.config import Settings, load_settings

T = TypeVar("T")


# -- options that mean the same in every command that takes them (Typer's way to reuse an option) ------------

JsonObject = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
JsonText = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def settings_from(ctx: typer.Context) -> Settings:
    """The settings, built once per process on first use."""
    root = ctx.find_root()
    if not isinstance(root.obj, Settings):
        root.obj = load_settings()
    return root.obj


@contextmanager
def command_session(ctx: typer.Context) -> Iterator[tuple[Session, Scope]]:
    """One transaction for the command, with the national system scope audited as ``cli:<os user>``."""
    from yingji import dblease, events
    from yingji.db import make_engine, session_factory, transaction

    settings = settings_from(ctx)
    lease = dblease.hold(settings.database_url)  # `db restore` refuses while it is held
    engine = make_engine(settings.database_url)
    factory = session_factory(engine)
    factory.configure(info={"yingji.boundary_tolerance_m": settings.boundary_tolerance_m})
    if settings.redis_url:  # so that the dashboards see what the command changed
        events.attach(factory, events.bus_for(settings))
    try:
        with transaction(factory) as session:
            yield session, system_scope(actor=f"cli:{getpass.getuser()}")
    finally:
        engine.dispose()
        lease.release()


def in_transaction(ctx: typer.Context, operation: Callable[..., T], **arguments: Any) -> T:
    """What a service ``operation`` returns, called with ``arguments`` in the command's transaction (committed
    when it returns) as the command's scope."""
    with command_session(ctx) as (session, scope):
        return operation(session=session, scope=scope, **arguments)


def fail(message: str) -> NoReturn:
    """Stop the command with exit status 2, the reason on standard error."""
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(2)


def echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def echo_rows(
    rows: Sequence[Any], as_json: bool, line: Callable[[Any], str], *, whole: Any = None, footer: str | None = None
) -> None:
    """A listing's answer: with ``--json`` the JSON of ``whole`` (by default the rows), else one line per row
    and the ``footer``, if any."""
    if as_json:
        echo_json(rows if whole is None else whole)
        return
    for row in rows:
        typer.echo(line(row))
    if footer is not None:
        typer.echo(footer)


def read_password(given: str | None, from_stdin: bool) -> str:
    """The password of a command: ``--password-stdin`` reads one line (no confirmation); ``--password``
    still works for scripts but warns, since it shows in ``ps`` and shell history; with neither, a terminal
    is asked twice; anything else exits 2."""
    if given is not None and from_stdin:
        typer.echo("error: give either --password or --password-stdin, not both", err=True)
        raise typer.Exit(2)
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password[:-1] if password.endswith("\r") else password
        if not password:
            typer.echo("error: --password-stdin read no password (an empty line or end of input)", err=True)
            raise typer.Exit(2)
        return password
    if given is not None:
        typer.echo(
            "warning: --password is visible to other users of this machine (ps) and in shell history; "
            "prefer --password-stdin",
            err=True,
        )
        return given
    if not sys.stdin.isatty():
        typer.echo("error: no password: use --password-stdin (standard input is not a terminal)", err=True)
        raise typer.Exit(2)
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        typer.echo("error: the two passwords differ", err=True)
        raise typer.Exit(2)
    return first


def option_time(value: str, option: str) -> dt.datetime:
    """A command-line time: ISO 8601 with a UTC offset, inside the accepted range (``InvalidInput`` naming
    the option otherwise)."""
    from yingji import timerange
    from yingji.errors import InvalidInput

    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{option}: {value!r} is not an ISO 8601 time") from None
    if parsed.utcoffset() is None:
        raise InvalidInput(f"{option}: {value!r} needs a UTC offset (e.g. +08:00 or Z)")
    try:
        return timerange.check(parsed)
    except timerange.TimeOutOfRange as exc:
        raise InvalidInput(f"{option}: {exc}") from None


# -- schedulers: one pass now, or a pass every so often ------------------------------------------------------

PassOnce = Annotated[bool, typer.Option("--once", help="Run one pass and exit.")]
PassInterval = Annotated[float, typer.Option(min=1.0, help="Seconds between passes.")]
PassAt = Annotated[str | None, typer.Option(help="Judge at this moment (ISO 8601 with offset; implies --once).")]
TickClock = Annotated[str | None, typer.Option("--now", help="The scheduler's clock (ISO 8601); default: now.")]


def run_passes(
    ctx: typer.Context,
    one_pass: Callable[[Session, Scope, dt.datetime], str],
    *,
    once: bool,
    interval: float,
    moment: dt.datetime | None,
) -> None:
    """A scheduler command's loop: ``one_pass`` in a transaction of its own, as the system scope ``scheduler``,
    judging at ``moment`` (default: now), its summary echoed; again after ``interval`` seconds unless ``once``
    or a fixed ``moment`` was asked."""
    import time

    from yingji.db import utcnow

    while True:
        with command_session(ctx) as (session, _scope):
            summary = one_pass(session, system_scope("scheduler"), moment or utcnow())
        typer.echo(summary)
        if once or moment is not None:
            return
        time.sleep(interval)
