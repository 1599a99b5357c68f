"""What every console page shares: who is signed in, the request's unit of work, CSRF,
templates, and turning domain errors into error pages.

Console routes use :class:`ConsoleRoute`. A :class:`~certnet.core.errors.DomainError` raised by
a service leaves the view as :class:`ConsolePageError`, so that it still passes through the
unit of work (which rolls back) before a handler renders the HTML error page; an error caught
in the view itself would commit whatever the service had flushed before raising.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, PrefixLoader, select_autoescape
from pydantic import ValidationError
from sqlalchemy.orm import Session

from certnet import __version__
from certnet.constituency import service as constituency
from certnet.core import access
from certnet.core.access import Principal, Role
from certnet.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, Throttled
from certnet.core.tlp import Tlp
from certnet.deps import get_session
from certnet.identity import service as identity

PACKAGE = Path(__file__).resolve().parent.parent

#: Each domain keeps its templates beside its views; names are prefixed by the domain.
_LOADER = PrefixLoader(
    {
        domain: FileSystemLoader(
            [PACKAGE / domain / "templates", PACKAGE / domain / "templates" / domain]
        )
        for domain in (
            "web",
            "constituency",
            "identity",
            "ops",
            "feeds",
            "findings",
            "notifications",
            "incidents",
            "risk",
            "advisories",
        )
    }
)

ROLE_LABELS: dict[Role, str] = {
    Role.PLATFORM_ADMIN: "Platform admin",
    Role.CERT_ADMIN: "CERT admin",
    Role.ANALYST: "Analyst",
    Role.AUDITOR: "Auditor",
    Role.COUNCIL_MEMBER: "Council member",
    Role.CONSTITUENT_ADMIN: "Organisation admin",
    Role.CONSTITUENT_REPORTER: "Organisation reporter",
}

#: The session's commit must happen before the response leaves: a browser following the
#: sign-in redirect at once must find the new session stored ("function" scope ends the
#: dependency when the view returns, not after the response is sent).
UnitOfWorkDep = Annotated[Session, Depends(get_session, scope="function")]

CSRF_FIELD = "csrf_token"
LOGIN_CSRF_COOKIE = "certnet_login_csrf"

# Pages carry no inline script or style: everything comes from /static, so a strict policy
# holds. Inline SVG is markup, not a resource, and needs no exception.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _tlp_class(label: Tlp | str) -> str:
    return "tlp-" + str(label).lower().replace("+", "-")


def _environment() -> Environment:
    env = Environment(
        loader=_LOADER,
        autoescape=select_autoescape(["html", "svg"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tlp_class"] = _tlp_class
    env.filters["role_label"] = lambda role: ROLE_LABELS.get(Role(role), str(role))
    env.globals["version"] = __version__
    return env


templates = Jinja2Templates(env=_environment())


# --- who is signed in -------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """The signed-in user as the page header shows them. Plain values, not ORM objects, so
    that an error page can still be drawn after the unit of work rolled back."""

    user_id: int
    username: str
    display_name: str
    role: Role
    home: str
    home_url: str | None
    csrf_token: str

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    def may_edit(self, object_type: str) -> bool:
        """For showing or hiding forms only; the service decides on every change."""
        return access.allowed(self.role, "edit", object_type)

    def may_view(self, object_type: str) -> bool:
        """For showing or hiding navigation only; the service filters every read."""
        return access.allowed(self.role, "view", object_type)


class LoginRequired(Exception):
    """No console session: the browser is sent to the sign-in page, then back."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfRejected(Exception):
    """A state-changing form came without the session's CSRF token."""


@dataclass
class ConsolePageError(Exception):
    """A domain error on its way out of a console view, to be rendered as a page."""

    error: DomainError
    viewer: Viewer | None = None


@dataclass
class Console:
    """A console request: the unit of work, the principal, and the viewer for the header."""

    request: Request
    session: Session
    principal: Principal
    viewer: Viewer
    form: dict[str, str] = field(default_factory=dict)

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """A page of the console, with the header filled in."""
        return page(self.request, template, status_code, viewer=self.viewer, **context)

    @contextmanager
    def attempt(self) -> Iterator[None]:
        """Run a service call in a savepoint: if it fails, whatever it flushed is undone and
        the rest of the request's unit of work (and the session) stays usable for the page
        that shows the error."""
        with self.session.begin_nested():
            yield


def page(
    request: Request,
    template: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` with the console's security headers."""
    context.setdefault("viewer", None)
    context.setdefault("path", request.url.path)
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    return response


def _viewer(session: Session, principal: Principal, csrf_token: str) -> Viewer:
    assert principal.user_id is not None
    assert principal.role is not None
    user = identity.get_user(session=session, principal=principal, user_id=principal.user_id)
    if user.organisation_id is not None:
        org = constituency.get_organisation(
            session=session, principal=principal, organisation_id=user.organisation_id
        )
        home, home_url = org.name, f"/organisations/{org.id}"
    else:
        assert user.cert_id is not None
        cert = constituency.get_cert(session=session, principal=principal, cert_id=user.cert_id)
        home, home_url = cert.name, f"/certs/{cert.id}"
    return Viewer(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=principal.role,
        home=home,
        home_url=home_url,
        csrf_token=csrf_token,
    )


def current_console(request: Request, session: UnitOfWorkDep) -> Console:
    """The signed-in console user, or a redirect to the sign-in page."""
    secret = request.cookies.get(identity.SESSION_COOKIE)
    found = identity.principal_for_session(session=session, secret=secret) if secret else None
    if found is None:
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(wanted if request.method == "GET" else "/")
    principal, login = found
    viewer = _viewer(session, principal, login.csrf_token)
    request.state.viewer = viewer
    return Console(request=request, session=session, principal=principal, viewer=viewer)


ConsoleDep = Annotated[Console, Depends(current_console)]


def check_csrf(expected: str | None, given: object) -> None:
    """Constant-time comparison of a form's token with the one the session issued."""
    if not expected or not isinstance(given, str) or not secrets.compare_digest(expected, given):
        raise CsrfRejected("the form's security token is missing or wrong; reload and retry")


async def form_console(request: Request, console: ConsoleDep) -> Console:
    """A console request that changes state: its form must carry the session's CSRF token."""
    form = await request.form()
    check_csrf(console.viewer.csrf_token, form.get(CSRF_FIELD))
    console.form = {k: v for k, v in form.items() if isinstance(v, str)}
    return console


FormConsoleDep = Annotated[Console, Depends(form_console)]


def safe_next(target: str | None) -> str:
    """Only a path on this site may follow sign-in (no open redirect to another host)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(ch) < 32 for ch in target)
    ):
        return "/"
    return target


def login_redirect(next_path: str) -> RedirectResponse:
    """To the sign-in page, remembering where the user was going."""
    target = safe_next(next_path)
    url = "/login" if target == "/" else f"/login?next={quote(target, safe='/')}"
    return RedirectResponse(url, status_code=303)


def field_errors(exc: DomainError | ValidationError) -> dict[str, str]:
    """Field name → reason, for showing beside the inputs of a form."""
    if isinstance(exc, ValidationError):
        found: dict[str, str] = {}
        for err in exc.errors():
            name = ".".join(str(part) for part in err["loc"]) or "form"
            found.setdefault(name, str(err["msg"]).removeprefix("Value error, "))
        return found
    if exc.errors:
        return {e.field: e.reason for e in exc.errors}
    return {"form": exc.detail}


def status_of(exc: DomainError | ValidationError) -> int:
    """The HTTP status of a form shown again with its errors."""
    return exc.status if isinstance(exc, DomainError) else Invalid.status


# --- rendering errors -------------------------------------------------------------------------


class ConsoleRoute(APIRoute):
    """A console route: domain errors, and path or query values that do not parse, become
    error pages (through :class:`ConsolePageError`, after the unit of work rolled back)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except DomainError as exc:
                raise ConsolePageError(exc, getattr(request.state, "viewer", None)) from exc
            except RequestValidationError as exc:
                reasons = "; ".join(
                    f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}"
                    for e in exc.errors()
                )
                viewer = getattr(request.state, "viewer", None)
                raise ConsolePageError(Invalid(detail=reasons), viewer) from exc

        return console_handler


_HEADINGS = {
    NotFound: "Not found",
    Forbidden: "Not allowed",
    Conflict: "Conflict",
    Throttled: "Too many attempts",
}


def _page_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConsolePageError)
    error = exc.error
    if error.status == 401:
        return login_redirect(request.url.path)
    heading = _HEADINGS.get(type(error), error.title)
    return page(
        request,
        "web/error.html",
        error.status,
        viewer=exc.viewer,
        heading=heading,
        detail=error.detail,
        status=error.status,
    )


def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return login_redirect(exc.next_path)


def _csrf_rejected(request: Request, exc: Exception) -> Response:
    return page(
        request,
        "web/error.html",
        403,
        viewer=getattr(request.state, "viewer", None),
        heading="Form rejected",
        detail=str(exc),
        status=403,
    )


def install_error_pages(app: FastAPI) -> None:
    """Render the console's errors as pages (the API keeps problem+json)."""
    app.add_exception_handler(ConsolePageError, _page_error)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(CsrfRejected, _csrf_rejected)


def url(path: str, **params: Any) -> str:
    """``path`` with the non-empty ``params`` as its query string (lists repeat the key)."""
    query: list[tuple[str, Any]] = []
    for key, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        query.extend((key, v) for v in values if v not in (None, ""))
    return f"{path}?{urlencode(query)}" if query else path
