"""``yingji audit``: read the audit log."""

from __future__ import annotations

import typer

from yingji.cli_common import command_session, echo_rows

app = typer.Typer(help="The append-only audit log.", no_args_is_help=True)


@app.command("list")
def list_(
    ctx: typer.Context,
    entity: str | None = None,
    actor: str | None = None,
    limit: int = typer.Option(50, min=1, max=10_000),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The newest audit entries."""
    from yingji.auth import audit

    with command_session(ctx) as (session, scope):
        rows, _ = audit.query(session=session, scope=scope, entity=entity, actor=actor, limit=limit)
        data = [
            {
                "id": r.id,
                "at": r.at.isoformat(),
                "actor": r.actor,
                "action": r.action,
                "entity": r.entity,
                "entity_id": r.entity_id,
                "division": r.division_code,
            }
            for r in rows
        ]
    echo_rows(data, as_json, lambda r: f"{r['at']}  {r['actor']:<16} {r['action']:<8} {r['entity']}:{r['entity_id']}")
