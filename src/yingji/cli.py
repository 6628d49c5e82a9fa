"""The ``yingji`` command. Each domain contributes one Typer group from its own ``cli.py``.

Domain ``cli`` modules stay light to import (heavy libraries are imported inside the commands), so
``yingji --help`` is quick.
"""

from __future__ import annotations

import sys
from types import ModuleType

import typer
from pydantic import ValidationError

from yingji import dbcli, demo
from yingji.auth import audit_cli
from yingji.auth import cli as auth_cli
from yingji.cli_common import settings_from
from yingji.disasters import cli as disasters_cli
from yingji.enforcement import cli as enforcement_cli
from yingji.errors import DomainError
from yingji.geo import cli as geo_cli
from yingji.hazards import cli as hazards_cli
from yingji.hazards.enterprises import cli as enterprises_cli
from yingji.incidents import cli as incidents_cli
from yingji.monitoring import cli as monitoring_cli
from yingji.quake import cli as quake_cli
from yingji.relief import cli as relief_cli
from yingji.resources import cli as resources_cli
from yingji.warnings import cli as warnings_cli

# Sub-command name -> the domain's ``cli`` module (its ``app: typer.Typer``). Imported by name: a missing
# module fails at start.
SUBCOMMANDS: dict[str, ModuleType] = {
    "db": dbcli,
    "demo": demo,
    "division": geo_cli,
    "user": auth_cli,
    "audit": audit_cli,
    "incident": incidents_cli,
    "quake": quake_cli,
    "monitor": monitoring_cli,
    "warning": warnings_cli,
    "relief": relief_cli,
    "resource": resources_cli,
    "hazards": hazards_cli,
    "enterprise": enterprises_cli,
    "enforcement": enforcement_cli,
    "disaster": disasters_cli,
}

app = typer.Typer(
    name="yingji",
    help="yingji (应急): emergency management platform — storage, divisions, users, command, "
    "monitoring, earthquake assessment, relief.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(ctx: typer.Context) -> None:
    """Build the settings once for every command."""
    ctx.obj = None  # built lazily by settings_from(): commands that need no settings never fail on them


@app.command()
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, help="Worker processes (live updates fan out through Redis)."),
    root_path: str | None = typer.Option(
        None,
        "--root-path",
        help="Path prefix behind a reverse proxy's sub-path, e.g. /yingji (sets YINGJI_ROOT_PATH for the server).",
    ),
) -> None:
    """Serve the API and the web pages with uvicorn."""
    import os

    import uvicorn

    from yingji.dbcli import require_schema_at_head
    from yingji.edge import proxy_options

    if root_path is not None:  # the workers build their settings from the environment: pass it on there
        os.environ["YINGJI_ROOT_PATH"] = root_path
    settings = settings_from(ctx)  # fail early on bad settings (e.g. a weak secret in production)
    require_schema_at_head(settings.database_url)
    _warn_connection_budget(settings.database_url, workers)
    from yingji import logs

    log_config = logs.config_dict(settings.log_format, settings.log_level)
    uvicorn.run(
        "yingji.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=log_config,
        timeout_graceful_shutdown=5,  # open event streams never end by themselves: close them after 5 s
        **proxy_options(settings),
    )


def _warn_connection_budget(database_url: str, workers: int) -> None:
    """prodhelp: the server's pools related to PostgreSQL's max_connections, said at start (a warning: a
    small installation under light load works with fewer)."""
    from yingji.db import connection_budget_problem

    problem = connection_budget_problem(database_url, workers)
    if problem:
        typer.echo(f"warning: {problem}", err=True)


@app.command()
def run(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address the server listens on."),
    port: int = typer.Option(8000, help="TCP port of the server."),
    workers: int = typer.Option(2, help="Server worker processes (live updates fan out through Redis)."),
) -> None:
    """Run a single-server installation from one settings file: the server, the monitoring worker (with
    YINGJI_MQTT_URL and YINGJI_MONITOR_RULES), and every YINGJI_TICK_INTERVAL_S the incident scheduler,
    the alarm tick, the 叫应 tick, the hazards scheduler and the disaster-report escalation; a child that dies
    is restarted; SIGTERM stops them all."""
    import hashlib
    from pathlib import Path

    from yingji import logs
    from yingji.dbcli import require_schema_at_head
    from yingji.supervisor import Child, Supervisor

    settings = settings_from(ctx)
    logs.configure(settings.log_format, settings.log_level)
    require_schema_at_head(settings.database_url)
    _warn_connection_budget(settings.database_url, workers)
    me = [sys.executable, "-m", "yingji"]
    children = [Child("server", [*me, "serve", "--host", host, "--port", str(port), "--workers", str(workers)])]
    if settings.mqtt_url and settings.monitor_rules:
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        deployment = hashlib.sha256(settings.database_url.encode()).hexdigest()[:10]
        state = Path(settings.state_dir)
        worker = [*me, "monitor", "worker", "--db", "--rules", str(settings.monitor_rules), "--mqtt", settings.mqtt_url]
        worker += ["--client-id", f"yingji-monitor-{deployment}", "--checkpoint", str(state / "monitor.checkpoint")]
        worker += ["--dead-letters", str(state / "dead-letters.jsonl")]
        children.append(Child("monitor-worker", worker))
    every = settings.tick_interval_s
    children += [
        Child("incident-scheduler", [*me, "incident", "scheduler", "--once"], every_s=every),
        Child("alarm-tick", [*me, "monitor", "tick"], every_s=every),
        Child("callack-tick", [*me, "warning", "tick"], every_s=every),
        Child("hazards-scheduler", [*me, "hazards", "scheduler", "--once"], every_s=every),
        Child("disaster-tick", [*me, "disaster", "tick"], every_s=every),  # overdue township reports (#17)
    ]
    if settings.quake_feeds:  # quake: the catalogue feed worker reads the feeds from the same setting
        children.append(Child("quake-feeds", [*me, "quake", "feeds"]))
    Supervisor(children).run()


for _name, _module in SUBCOMMANDS.items():
    app.add_typer(_module.app, name=_name)


def main() -> None:
    try:
        app()
    except DomainError as exc:
        typer.secho(f"error: {exc.detail}", err=True, fg=typer.colors.RED)
        sys.exit(2)
    except ValidationError as exc:  # settings: name the variable and what is wrong, no traceback
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "settings"
            typer.secho(f"error: {where}: {err['msg']}", err=True, fg=typer.colors.RED)
        sys.exit(2)
