"""``yingji user``: add, list, disable, token."""

from __future__ import annotations

import typer

from yingji.cli_common import command_session, echo_rows, in_transaction, read_password

app = typer.Typer(help="Users, roles and machine tokens.", no_args_is_help=True)


@app.command()
def add(
    ctx: typer.Context,
    username: str = typer.Option(...),
    password: str | None = typer.Option(
        None, help="The password on the command line (seen in `ps` and shell history: prefer --password-stdin)."
    ),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from one line of stdin."),
    role: str = typer.Option(..., help="admin|commander|duty_officer|analyst|enterprise|public"),
    division: str = typer.Option(..., help="Division code (6 or 12 digits)."),
    display_name: str = typer.Option(""),
) -> None:
    """Create a user. The password comes from --password-stdin, a prompt on a terminal, or --password."""
    from yingji.auth import service

    password = read_password(password, password_stdin)
    user = in_transaction(
        ctx,
        service.create_user,
        username=username,
        password=password,
        role=role,
        division_code=division,
        display_name=display_name,
    )
    typer.echo(f"user {user.username} ({user.role}, {user.division_code}) created")


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """List users."""
    from yingji.auth import service

    with command_session(ctx) as (session, scope):
        rows, _ = service.list_users(session=session, scope=scope, limit=100_000)
        data = [
            {"username": u.username, "role": u.role, "division": u.division_code, "disabled": u.disabled} for u in rows
        ]
    echo_rows(
        data,
        as_json,
        lambda u: f"{u['username']:<20} {u['role']:<13} {u['division']}" + ("  (disabled)" if u["disabled"] else ""),
    )


@app.command()
def disable(ctx: typer.Context, username: str) -> None:
    """Disable a user (their machine tokens are revoked)."""
    from yingji.auth import service

    in_transaction(ctx, service.set_disabled, username=username)
    typer.echo(f"user {username} disabled")


@app.command()
def enable(ctx: typer.Context, username: str) -> None:
    """Enable a disabled user again (machine tokens revoked at disabling stay revoked)."""
    from yingji.auth import service

    in_transaction(ctx, service.set_disabled, username=username, disabled=False)
    typer.echo(f"user {username} enabled")


@app.command()
def passwd(
    ctx: typer.Context,
    username: str,
    password: str | None = typer.Option(None, help="The new password on the command line (prefer --password-stdin)."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read it from one line of stdin."),
) -> None:
    """Set a user's password (an administrator's reset); their sessions are signed out."""
    from yingji.auth import service

    new_password = read_password(password, password_stdin)
    in_transaction(ctx, service.set_password, username=username, password=new_password)
    typer.echo(f"password of {username} changed")


@app.command()
def token(ctx: typer.Context, username: str, name: str = typer.Option("cli", help="What the token is for.")) -> None:
    """Issue a revocable machine token for a user (printed once)."""
    from yingji.auth import service

    _, secret = in_transaction(ctx, service.issue_machine_token, username=username, name=name)
    typer.echo(secret)
