"""Signing in and out of the console: password, then the TOTP code where the user has one.

Failed attempts are recorded by ``identity.login`` for throttling; the views render the
failure as a normal page so that the request's unit of work commits that record.
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from certnet.config import Settings
from certnet.identity import service as identity
from certnet.web.console import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    ConsoleRoute,
    UnitOfWorkDep,
    check_csrf,
    page,
    safe_next,
)

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

TOTP_PATH = "/login/totp"


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _login_page(
    request: Request, next_path: str, status_code: int = 200, **context: object
) -> HTMLResponse:
    # Before sign-in there is no session to hold a CSRF token: the form and a cookie carry
    # the same random value (double submit), which another site can neither read nor set.
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = page(
        request, "web/login.html", status_code, next=next_path, csrf_token=token, **context
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_settings(request).cookie_secure,
        path="/login",
    )
    return response


def _set_session_cookie(request: Request, response: Response, secret: str) -> None:
    settings = _settings(request)
    response.set_cookie(
        identity.SESSION_COOKIE,
        secret,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )


@router.get("/login", response_model=None)
def login_form(request: Request, session: UnitOfWorkDep, next: str = "/") -> Response:
    """The sign-in form; a signed-in user goes straight on."""
    secret = request.cookies.get(identity.SESSION_COOKIE)
    if secret and identity.principal_for_session(session=session, secret=secret) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, safe_next(next))


@router.post("/login", response_model=None)
def login(
    request: Request,
    session: UnitOfWorkDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Check the password; open the session, or ask for the TOTP code next."""
    check_csrf(request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token)
    target = safe_next(next)
    if not username.strip() or not password:
        return _login_page(
            request, target, 422, error="enter your username and password", username=username
        )
    outcome = identity.login(
        session=session,
        username=username,
        password=password,
        address=_address(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    if not outcome.ok or outcome.secret is None:
        status = 429 if outcome.throttled else 401
        return _login_page(request, target, status, error=outcome.reason, username=username)
    where = f"{TOTP_PATH}?{urlencode({'next': target})}" if outcome.totp_required else target
    response = RedirectResponse(where, status_code=303)
    _set_session_cookie(request, response, outcome.secret)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.get(TOTP_PATH, response_model=None)
def totp_form(request: Request, session: UnitOfWorkDep, next: str = "/") -> Response:
    """The second step, for users with an authenticator app."""
    secret = request.cookies.get(identity.SESSION_COOKIE, "")
    pending = identity.pending_login(session=session, secret=secret) if secret else None
    if pending is None:
        return RedirectResponse("/login", status_code=303)
    return page(request, "web/totp.html", next=safe_next(next), csrf_token=pending.csrf_token)


@router.post(TOTP_PATH, response_model=None)
def totp(
    request: Request,
    session: UnitOfWorkDep,
    code: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Check the code and finish signing in."""
    secret = request.cookies.get(identity.SESSION_COOKIE, "")
    pending = identity.pending_login(session=session, secret=secret) if secret else None
    if pending is None:
        return RedirectResponse("/login", status_code=303)
    check_csrf(pending.csrf_token, csrf_token)
    target = safe_next(next)
    outcome = identity.complete_totp(
        session=session, secret=secret, code=code, address=_address(request)
    )
    if not outcome.ok:
        status = 429 if outcome.throttled else 401
        return page(
            request,
            "web/totp.html",
            status,
            next=target,
            csrf_token=pending.csrf_token,
            error=outcome.reason,
        )
    return RedirectResponse(target, status_code=303)


@router.post("/logout", response_model=None)
def logout(
    request: Request,
    session: UnitOfWorkDep,
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """End the session (a pending TOTP sign-in too) and forget the cookie."""
    secret = request.cookies.get(identity.SESSION_COOKIE, "")
    if secret:
        found = identity.principal_for_session(session=session, secret=secret)
        login = found[1] if found else identity.pending_login(session=session, secret=secret)
        # An unknown or expired session has nothing left to protect: just forget the cookie.
        if login is not None:
            check_csrf(login.csrf_token, csrf_token)
            identity.logout(session=session, secret=secret)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(identity.SESSION_COOKIE, path="/")
    return response
