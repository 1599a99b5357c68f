"""``certnet users`` and ``certnet tokens``."""

from __future__ import annotations

import sys

import typer

from certnet.clikit import EXIT_INVALID, JsonOption, command, emit, emit_one, fail, out
from certnet.core.access import Role
from certnet.identity import service
from certnet.identity.schemas import TokenCreate, TokenRead, UserCreate, UserRead

AsUser = typer.Option(None, "--as", help="Act as this user (default: the operator)")

users = typer.Typer(help="People who sign in.", no_args_is_help=True)
tokens = typer.Typer(help="API tokens (shown once, stored hashed).", no_args_is_help=True)


@users.command("list")
def list_users(
    role: Role | None = typer.Option(None),
    limit: int = typer.Option(100, min=1, max=1000),
    cursor: str | None = typer.Option(None),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """List users."""
    with command(as_user) as (session, principal):
        page = service.list_users(
            session=session, principal=principal, role=role, cursor=cursor, limit=limit
        )
        rows = [UserRead.model_validate(u) for u in page.items]
    emit(
        rows,
        as_json=as_json,
        title="Users",
        next_cursor=page.next_cursor,
        columns=[
            "id",
            "username",
            "display_name",
            "role",
            "cert_id",
            "organisation_id",
            "totp_enabled",
            "is_active",
        ],
    )


@users.command("create")
def create_user(
    username: str = typer.Option(...),
    display_name: str = typer.Option(...),
    email: str = typer.Option(...),
    role: Role = typer.Option(...),
    cert_id: int | None = typer.Option(None),
    organisation_id: int | None = typer.Option(None),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input"
    ),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Add a user; the password is asked for (or read from stdin), never taken as an argument."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        data = UserCreate(
            username=username,
            display_name=display_name,
            email=email,
            role=role,
            cert_id=cert_id,
            organisation_id=organisation_id,
            password=password,
        )
    except ValueError as exc:
        raise fail(str(exc), EXIT_INVALID) from None
    with command(as_user) as (session, principal):
        user = UserRead.model_validate(
            service.create_user(session=session, principal=principal, data=data)
        )
    emit_one(user, as_json=as_json)


@tokens.command("create")
def create_token(
    user: str = typer.Option(..., "--user", help="Username the token acts as"),
    name: str = typer.Option("cli", help="What the token is for"),
    scope: list[str] = typer.Option(["read"], "--scope", help="read and/or write"),
    days: int = typer.Option(90, min=1, max=365, help="Days until it expires"),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Create a token for a user and print its secret once."""
    try:
        data = TokenCreate(name=name, scopes=scope, expires_in_days=days)
    except ValueError as exc:
        raise fail(str(exc), EXIT_INVALID) from None
    with command(as_user) as (session, principal):
        target = service.get_user_by_name(session=session, principal=principal, username=user)
        token, secret = service.create_token(
            session=session,
            principal=principal,
            data=data.model_copy(update={"user_id": target.id}),
        )
        read = TokenRead.model_validate(token)
    if as_json:
        out.print_json(data={**read.model_dump(mode="json"), "token": secret})
        return
    out.print(
        f"token for {user} (expires {read.expires_at:%Y-%m-%d}, scopes {', '.join(read.scopes)}):",
        highlight=False,
    )
    sys.stdout.write(secret + "\n")
    out.print("It is shown this once; certnet keeps only its hash.", style="dim")


@tokens.command("list")
def list_tokens(
    user: str | None = typer.Option(None, "--user"),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """List tokens (never their secrets)."""
    with command(as_user) as (session, principal):
        user_id = (
            service.get_user_by_name(session=session, principal=principal, username=user).id
            if user
            else None
        )
        rows = [
            TokenRead.model_validate(t)
            for t in service.list_tokens(session=session, principal=principal, user_id=user_id)
        ]
    emit(
        rows,
        as_json=as_json,
        title="API tokens",
        columns=["id", "user_id", "name", "prefix", "scopes", "expires_at", "revoked_at"],
    )


@tokens.command("revoke")
def revoke_token(token_id: int, as_user: str | None = AsUser) -> None:
    """Revoke a token."""
    with command(as_user) as (session, principal):
        service.revoke_token(session=session, principal=principal, token_id=token_id)
    out.print(f"token {token_id} revoked")
