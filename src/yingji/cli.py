"""The ``yingji`` command. Each domain contributes one Typer group from its own ``cli.py``.

Domain ``cli`` modules stay light to import (heavy libraries are imported inside the commands), so
``yingji --help`` is quick.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import typer
from pydantic import ValidationError

from yingji.cli_common import settings_from
from yingji.errors import DomainError

# Sub-command name -> module that defines ``app: typer.Typer``. Listed once, here.
SUBCOMMANDS: dict[str, str] = {
    "db": "yingji.dbcli",
    "demo": "yingji.demo",
    "division": "yingji.geo.cli",
    "user": "yingji.auth.cli",
    "audit": "yingji.auth.audit_cli",
    "incident": "yingji.incidents.cli",
    "quake": "yingji.quake.cli",
    "monitor": "yingji.monitoring.cli",
    "warning": "yingji.warnings.cli",
    "relief": "yingji.relief.cli",
    "resource": "yingji.resources.cli",
    "hazards": "yingji.hazards.cli",
    "enterprise": "yingji.hazards.enterprises.cli",
    "report": "yingji.reports.cli",
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
) -> None:
    """Serve the API and the web pages with uvicorn."""
    import uvicorn

    settings_from(ctx)  # fail early on bad settings (e.g. a default secret in production)
    uvicorn.run("yingji.app:create_app", factory=True, host=host, port=port, workers=workers)


for _name, _module in SUBCOMMANDS.items():
    if importlib.util.find_spec(_module) is not None:
        app.add_typer(importlib.import_module(_module).app, name=_name)


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
