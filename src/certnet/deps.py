"""FastAPI dependencies shared by every router: the unit of work and the principal."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from certnet.core.access import Principal
from certnet.core.errors import Forbidden, Unauthenticated
from certnet.identity import service as identity

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, else rolled back."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


def get_principal(request: Request, session: SessionDep) -> Principal:
    """Who is asking: a bearer token, else a console session cookie, else anonymous."""
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
        return identity.authenticate_token(session=session, token=credentials.strip())
    cookie = request.cookies.get(identity.SESSION_COOKIE)
    if cookie:
        found = identity.principal_for_session(session=session, secret=cookie)
        if found is not None:
            principal, login = found
            # A browser sends the cookie on its own: an API write riding on it must also
            # prove it comes from certnet's own page (the session's CSRF token, as a header).
            if request.method not in SAFE_METHODS and not hmac.compare_digest(
                request.headers.get(CSRF_HEADER, ""), login.csrf_token
            ):
                raise Forbidden(
                    f"a request signed in by cookie must send the {CSRF_HEADER} header; "
                    "scripts should use 'Authorization: Bearer <token>'"
                )
            request.state.login_session = login
            return principal
    return Principal.anonymous()


def require_principal(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    """The API's default: an authenticated principal, or 401."""
    if not principal.authenticated:
        raise Unauthenticated("sign in or send 'Authorization: Bearer <token>'")
    return principal


PrincipalDep = Annotated[Principal, Depends(require_principal)]
MaybePrincipalDep = Annotated[Principal, Depends(get_principal)]
