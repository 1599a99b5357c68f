"""Console pages of identity: users (for their admins) and one's own account — password,
authenticator app (TOTP) and API tokens."""

from __future__ import annotations

from typing import Any

import pyotp
import segno
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from certnet.constituency import service as constituency
from certnet.core.access import Role
from certnet.core.errors import DomainError, Invalid
from certnet.identity import service
from certnet.identity.schemas import PasswordChange, TokenCreate, UserCreate
from certnet.web.console import (
    Console,
    ConsoleDep,
    ConsoleRoute,
    FormConsoleDep,
    field_errors,
    status_of,
)

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

PAGE_SIZE = 50

DONE = {
    "user": "User created.",
    "revoked": "Token revoked.",
    "totp-on": "Authenticator app enabled: it will be asked for at your next sign-in.",
    "totp-off": "Authenticator app disabled.",
}


# --- users ------------------------------------------------------------------------------------


def _homes(console: Console) -> list[tuple[str, str]]:
    """Where a new user may belong, as (form value, label): the CERTs and organisations the
    viewer can see. The service decides whether the viewer may add users there."""
    session, principal = console.session, console.principal
    homes = [
        (f"cert:{c.id}", f"{c.name} (CERT)")
        for c in constituency.all_certs(session=session, principal=principal)
    ]
    orgs = constituency.list_organisations(session=session, principal=principal, limit=500)
    homes += [(f"organisation:{o.id}", o.name) for o in orgs.items]
    return homes


def _users_page(
    console: Console,
    *,
    cursor: str = "",
    role: str = "",
    done: str = "",
    status_code: int = 200,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    chosen = Role(role) if role in {r.value for r in Role} else None
    users = service.list_users(
        session=console.session,
        principal=console.principal,
        role=chosen,
        cursor=cursor or None,
        limit=PAGE_SIZE,
    )
    query = f"role={chosen.value}&" if chosen else ""
    return console.render(
        "identity/users.html",
        status_code,
        users=users.items,
        role=chosen.value if chosen else "",
        roles=list(Role),
        homes=_homes(console) if console.viewer.may_edit("user") else [],
        next_url=f"/users?{query}cursor={users.next_cursor}" if users.next_cursor else None,
        first_url=f"/users?{query}".rstrip("?&") if cursor else None,
        done=DONE.get(done),
        form=form or {},
        errors=errors or {},
    )


@router.get("/users", response_class=HTMLResponse)
def users_page(
    console: ConsoleDep, cursor: str = "", role: str = "", done: str = ""
) -> HTMLResponse:
    """Users the viewer may see, and (for their admins) a form to add one."""
    return _users_page(console, cursor=cursor, role=role, done=done)


@router.post("/users", response_model=None)
def create_user(console: FormConsoleDep) -> Response:
    """Add a user to a CERT or an organisation."""
    form = console.form
    kind, _, ident = form.get("home", "").partition(":")
    home: dict[str, Any] = {}
    if kind == "cert" and ident.isdigit():
        home["cert_id"] = int(ident)
    elif kind == "organisation" and ident.isdigit():
        home["organisation_id"] = int(ident)
    try:
        data = UserCreate.model_validate(
            {
                "username": form.get("username", "").lower(),
                "display_name": form.get("display_name", ""),
                "email": form.get("email", ""),
                "role": form.get("role", ""),
                "password": form.get("password", ""),
                **home,
            }
        )
        with console.attempt():
            service.create_user(session=console.session, principal=console.principal, data=data)
    except (DomainError, ValidationError) as exc:
        kept = {k: v for k, v in form.items() if k != "password"}
        return _users_page(console, status_code=status_of(exc), form=kept, errors=field_errors(exc))
    return RedirectResponse("/users?done=user", status_code=303)


# --- one's own account ------------------------------------------------------------------------


def _account_page(
    console: Console,
    *,
    done: str = "",
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    session, principal = console.session, console.principal
    user = service.get_user(session=session, principal=principal, user_id=console.viewer.user_id)
    tokens = service.list_tokens(session=session, principal=principal, user_id=user.id)
    context.setdefault("password_errors", {})
    context.setdefault("token_errors", {})
    context.setdefault("token_form", {})
    return console.render(
        "identity/account.html",
        status_code,
        user=user,
        tokens=tokens,
        done=DONE.get(done),
        **context,
    )


@router.get("/account", response_class=HTMLResponse)
def account_page(console: ConsoleDep, done: str = "") -> HTMLResponse:
    """The viewer's own account: password, authenticator app, API tokens."""
    return _account_page(console, done=done)


@router.post("/account/password", response_model=None)
def change_password(console: FormConsoleDep) -> Response:
    """Change one's own password; every session ends, this one too."""
    form = console.form
    if form.get("new_password", "") != form.get("repeat_password", ""):
        return _account_page(
            console,
            status_code=422,
            password_errors={"repeat_password": "does not match the new password"},
        )
    try:
        data = PasswordChange.model_validate(
            {
                "current_password": form.get("current_password", ""),
                "new_password": form.get("new_password", ""),
            }
        )
        with console.attempt():
            service.change_password(
                session=console.session,
                principal=console.principal,
                user_id=console.viewer.user_id,
                data=data,
            )
    except (DomainError, ValidationError) as exc:
        return _account_page(console, status_code=status_of(exc), password_errors=field_errors(exc))
    return RedirectResponse("/login", status_code=303)


def _qr_svg(uri: str) -> str:
    # segno writes a self-contained SVG (no script, no external reference); scale 4 keeps it
    # readable by phone cameras from a laptop screen.
    return str(segno.make(uri, error="m").svg_inline(scale=4, dark="#0f172a", light="#ffffff"))


def _totp_page(
    console: Console, secret: str, uri: str, status_code: int = 200, error: str = ""
) -> HTMLResponse:
    return console.render(
        "identity/totp_enrol.html",
        status_code,
        secret=secret,
        uri=uri,
        qr_svg=_qr_svg(uri),
        error=error,
    )


@router.post("/account/totp", response_class=HTMLResponse)
def begin_totp(console: FormConsoleDep) -> HTMLResponse:
    """A fresh secret for the viewer's authenticator app; nothing is stored yet."""
    secret, uri = service.begin_totp(session=console.session, principal=console.principal)
    return _totp_page(console, secret, uri)


@router.post("/account/totp/confirm", response_model=None)
def confirm_totp(console: FormConsoleDep) -> Response:
    """Turn TOTP on once a code from the app proves the secret works."""
    secret = console.form.get("secret", "")
    try:
        with console.attempt():
            service.confirm_totp(
                session=console.session,
                principal=console.principal,
                secret=secret,
                code=console.form.get("code", ""),
            )
    except Invalid as exc:
        # Show the same secret again (the one the user's app already holds), not a new one.
        uri = pyotp.TOTP(secret).provisioning_uri(
            name=console.viewer.username, issuer_name=service.TOTP_ISSUER
        )
        return _totp_page(console, secret, uri, exc.status, field_errors(exc).get("code", ""))
    return RedirectResponse("/account?done=totp-on", status_code=303)


@router.post("/account/totp/disable", response_model=None)
def disable_totp(console: FormConsoleDep) -> Response:
    """Turn the viewer's own TOTP off."""
    service.disable_totp(
        session=console.session, principal=console.principal, user_id=console.viewer.user_id
    )
    return RedirectResponse("/account?done=totp-off", status_code=303)


@router.post("/account/tokens", response_model=None)
def create_token(console: FormConsoleDep) -> Response:
    """A new API token; its secret is on the result page and nowhere else, ever."""
    form = console.form
    scopes = ["read"] + (["write"] if form.get("write") else [])
    try:
        data = TokenCreate.model_validate(
            {
                "name": form.get("name", ""),
                "scopes": scopes,
                "expires_in_days": form.get("expires_in_days") or 90,
            }
        )
        with console.attempt():
            token, secret = service.create_token(
                session=console.session, principal=console.principal, data=data
            )
    except (DomainError, ValidationError) as exc:
        return _account_page(
            console,
            status_code=status_of(exc),
            token_errors=field_errors(exc),
            token_form=form,
        )
    return console.render("identity/token_created.html", 201, token=token, secret=secret)


@router.post("/account/tokens/{token_id}/revoke", response_model=None)
def revoke_token(console: FormConsoleDep, token_id: int) -> Response:
    """Revoke one of the viewer's tokens at once."""
    service.revoke_token(session=console.session, principal=console.principal, token_id=token_id)
    return RedirectResponse("/account?done=revoked#tokens", status_code=303)
