"""Signing in and out of the console: redirects, cookies, CSRF, throttling, TOTP."""

from __future__ import annotations

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.identity import service as identity
from certnet.identity.models import LoginAttempt, LoginSession
from tests.factories import PASSWORD, build_network
from tests.integration.web.helpers import csrf_token, sign_in, signed_in


def test_console_pages_send_strangers_to_sign_in(session: Session, client: TestClient) -> None:
    build_network(session)
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 303
    assert home.headers["location"] == "/login"
    deep = client.get("/organisations?sector=banking&cii=yes", follow_redirects=False)
    assert deep.status_code == 303
    assert deep.headers["location"] == "/login?next=/organisations%3Fsector%3Dbanking%26cii%3Dyes"
    form = client.get(deep.headers["location"])
    assert 'name="next" value="/organisations?sector=banking&amp;cii=yes"' in form.text


def test_sign_in_returns_to_the_page_asked_for(session: Session, client: TestClient) -> None:
    build_network(session)
    response = sign_in(client, "national", next_path="/lookup?q=AS64500")
    assert response.status_code == 303
    assert response.headers["location"] == "/lookup?q=AS64500"
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert "First Bank" in page.text


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", ""],
)
def test_only_local_paths_follow_sign_in(session: Session, client: TestClient, target: str) -> None:
    build_network(session)
    response = sign_in(client, "national", next_path=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_session_cookie_is_http_only_and_same_site(session: Session, client: TestClient) -> None:
    build_network(session)
    response = sign_in(client, "sbp")
    cookie = next(
        c
        for c in response.headers.get_list("set-cookie")
        if c.startswith(identity.SESSION_COOKIE + "=")
    )
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "secure" not in flags  # cookie_secure is off by default (plain-HTTP embedded use)
    page = client.get("/")
    assert page.status_code == 200
    assert "Sbp" in page.text
    assert "SBPCERT CERT" in page.text
    assert "Analyst" in page.text


def test_session_cookie_is_secure_when_configured(
    session: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_network(session)
    form = client.get("/login")
    # Set after the form was fetched: a Secure CSRF cookie would not come back over plain HTTP.
    monkeypatch.setattr(client.app.state.settings, "cookie_secure", True)  # type: ignore[attr-defined]
    response = client.post(
        "/login",
        data={"username": "sbp", "password": PASSWORD, "csrf_token": csrf_token(form)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = next(
        c
        for c in response.headers.get_list("set-cookie")
        if c.startswith(identity.SESSION_COOKIE + "=")
    )
    assert "secure" in {part.strip().lower() for part in cookie.split(";")}


def test_wrong_password_shows_a_message_and_is_recorded(
    session: Session, client: TestClient
) -> None:
    build_network(session)
    response = sign_in(client, "sbp", password="Wrong-Horse-42")
    assert response.status_code == 401
    assert "unknown user or wrong password" in response.text
    assert identity.SESSION_COOKIE not in response.cookies
    # The failed attempt outlived the request: throttling depends on it.
    failures = session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.username == "sbp", LoginAttempt.succeeded.is_(False))
    )
    assert failures == 1


def test_repeated_failures_are_throttled(session: Session, client: TestClient) -> None:
    build_network(session)
    for _ in range(5):
        assert sign_in(client, "sbp", password="Wrong-Horse-42").status_code == 401
    throttled = sign_in(client, "sbp")  # even the right password waits now
    assert throttled.status_code == 429
    assert "too many failed sign-ins" in throttled.text


def test_sign_in_form_needs_its_token(session: Session, client: TestClient) -> None:
    build_network(session)
    client.get("/login")
    response = client.post(
        "/login", data={"username": "sbp", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "Form rejected" in response.text
    assert session.scalar(select(func.count()).select_from(LoginSession)) == 0


def test_totp_step(session: Session, client: TestClient) -> None:
    net = build_network(session)
    secret = pyotp.random_base32()
    net.users["sbp"].totp_secret = secret
    session.flush()
    first = sign_in(client, "sbp")
    assert first.status_code == 303
    assert first.headers["location"] == "/login/totp?next=%2F"
    # Half signed in is not signed in.
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    form = client.get("/login/totp")
    assert form.status_code == 200
    token = csrf_token(form)
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    refused = client.post(
        "/login/totp", data={"code": wrong, "csrf_token": token}, follow_redirects=False
    )
    assert refused.status_code == 401
    assert "wrong code" in refused.text
    forged = client.post(
        "/login/totp",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    done = client.post(
        "/login/totp",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": token, "next": "/organisations"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/organisations"
    assert client.get("/organisations").status_code == 200


def test_sign_out(session: Session, client: TestClient) -> None:
    build_network(session)
    token = signed_in(client, "sbp")
    assert client.post("/logout", follow_redirects=False).status_code == 403
    out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert out.headers["location"] == "/login"
    assert session.scalar(select(func.count()).select_from(LoginSession)) == 0
    assert client.get("/", follow_redirects=False).status_code == 303


def test_signed_in_user_skips_the_sign_in_form(session: Session, client: TestClient) -> None:
    build_network(session)
    signed_in(client, "sbp")
    again = client.get("/login?next=/lookup", follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == "/lookup"
