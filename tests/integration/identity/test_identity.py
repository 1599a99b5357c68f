"""Identity: throttled sign-in, TOTP, tokens shown once and honoured only while valid, and who
may grant which role."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from certnet.cli import app as cli
from certnet.config import get_settings
from certnet.core import clock
from certnet.db.session import make_engine
from certnet.identity import service as identity
from certnet.identity.models import ApiToken
from certnet.identity.schemas import TokenCreate
from tests.factories import PASSWORD, build_network


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class _Clock:
    """Moves certnet's clock by hand."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.at = datetime.now(UTC)
        monkeypatch.setattr(clock, "now", lambda: self.at)


def test_throttling_refuses_even_the_right_password_until_the_window_passes(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_network(session)
    now = _Clock(monkeypatch)
    limit = get_settings().login_max_failures
    for _ in range(limit):
        failed = identity.login(session=session, username="sbp", password="wrong", address="a")
        assert not failed.ok
    right = identity.login(session=session, username="sbp", password=PASSWORD, address="a")
    assert not right.ok
    assert "too many" in str(right.reason)
    now.at += timedelta(minutes=get_settings().login_window_minutes + 1)
    assert identity.login(session=session, username="sbp", password=PASSWORD, address="a").ok


def test_totp_sign_in(session: Session) -> None:
    net = build_network(session)
    principal = net.principal(session, "sbp")
    secret, uri = identity.begin_totp(session=session, principal=principal)
    assert uri.startswith("otpauth://totp/")
    identity.confirm_totp(
        session=session, principal=principal, secret=secret, code=pyotp.TOTP(secret).now()
    )
    started = identity.login(session=session, username="sbp", password=PASSWORD, address="a")
    assert started.ok
    assert started.totp_required
    assert started.secret is not None
    # Until the code comes, the session is not a sign-in.
    assert identity.principal_for_session(session=session, secret=started.secret) is None
    wrong = identity.complete_totp(
        session=session, secret=started.secret, code="000000", address="a"
    )
    assert not wrong.ok
    done = identity.complete_totp(
        session=session, secret=started.secret, code=pyotp.TOTP(secret).now(), address="a"
    )
    assert done.ok
    found = identity.principal_for_session(session=session, secret=started.secret)
    assert found is not None
    assert found[0].user_id == net.users["sbp"].id


def test_token_secret_is_shown_once_and_only_its_hash_is_stored(
    session: Session, client: TestClient
) -> None:
    net = build_network(session)
    made = client.post(
        "/api/v1/tokens",
        json={"name": "siem", "scopes": ["read"]},
        headers=_bearer(net.token(session, "sbp")),
    )
    assert made.status_code == 201, made.text
    secret = made.json()["token"]
    row = session.scalar(select(ApiToken).where(ApiToken.id == made.json()["id"]))
    assert row is not None
    assert secret not in (row.token_hash, row.prefix, row.name)
    assert len(row.token_hash) == 64
    listed = client.get("/api/v1/tokens", headers=_bearer(secret))
    assert listed.status_code == 200
    assert secret not in listed.text
    assert all("token" not in t for t in listed.json())


def test_expired_and_revoked_tokens_are_refused(
    session: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    net = build_network(session)
    principal = net.principal(session, "sbp")
    token, secret = identity.create_token(
        session=session, principal=principal, data=TokenCreate(name="short", expires_in_days=1)
    )
    assert client.get("/api/v1/me", headers=_bearer(secret)).status_code == 200
    now = _Clock(monkeypatch)
    now.at += timedelta(days=1, seconds=1)
    expired = client.get("/api/v1/me", headers=_bearer(secret))
    assert expired.status_code == 401
    assert expired.headers["www-authenticate"] == "Bearer"
    now.at -= timedelta(days=1, seconds=1)
    identity.revoke_token(session=session, principal=principal, token_id=token.id)
    assert client.get("/api/v1/me", headers=_bearer(secret)).status_code == 401


def test_read_scope_cannot_write(session: Session, client: TestClient) -> None:
    net = build_network(session)
    reader = net.token(session, "sbpadmin", scopes=("read",))
    response = client.post(
        f"/api/v1/certs/{net.certs['sbpcert'].id}/contacts",
        json={"name": "Duty", "role": "duty_24_7", "email": "duty@sbp.example.pk"},
        headers=_bearer(reader),
    )
    assert response.status_code == 403, response.text
    minted = client.post(
        "/api/v1/tokens", json={"name": "escalate", "scopes": ["write"]}, headers=_bearer(reader)
    )
    assert minted.status_code == 403


def _user(role: str, **home: int) -> dict[str, object]:
    return {
        "username": f"new-{role}".replace("_", "-"),
        "display_name": "New Person",
        "email": "new@example.pk",
        "role": role,
        "password": PASSWORD,
        **home,
    }


def test_role_grants(session: Session, client: TestClient) -> None:
    net = build_network(session)
    cert_admin = _bearer(net.token(session, "sbpadmin"))
    org_admin = _bearer(net.token(session, "bankadmin"))
    sbp, bank, telco = net.certs["sbpcert"].id, net.orgs["First Bank"].id, net.orgs["Telco One"].id
    # A CERT admin may not hand out platform admin.
    denied = client.post(
        "/api/v1/users", json=_user("platform_admin", cert_id=sbp), headers=cert_admin
    )
    assert denied.status_code == 403
    made = client.post("/api/v1/users", json=_user("analyst", cert_id=sbp), headers=cert_admin)
    assert made.status_code == 201, made.text
    promoted = client.patch(
        f"/api/v1/users/{made.json()['id']}", json={"role": "platform_admin"}, headers=cert_admin
    )
    assert promoted.status_code == 403
    # An organisation's admin adds people to their own organisation only.
    own = client.post(
        "/api/v1/users", json=_user("constituent_reporter", organisation_id=bank), headers=org_admin
    )
    assert own.status_code == 201, own.text
    other = client.post(
        "/api/v1/users",
        json={**_user("constituent_reporter", organisation_id=telco), "username": "intruder"},
        headers=org_admin,
    )
    assert other.status_code in (403, 404), other.text
    staff = client.post(
        "/api/v1/users",
        json={**_user("analyst", cert_id=sbp), "username": "x-analyst"},
        headers=org_admin,
    )
    assert staff.status_code == 403
    weak = client.post(
        "/api/v1/users",
        json={**_user("analyst", cert_id=sbp), "username": "weakling", "password": "password"},
        headers=cert_admin,
    )
    assert weak.status_code == 422
    assert weak.json()["errors"][0]["field"] == "password"


@pytest.fixture
def cli_db(cli_database: Engine) -> str:
    with Session(cli_database) as session:
        build_network(session)
        session.commit()
    return cli_database.url.render_as_string(hide_password=False)


def test_cli_prints_a_working_token(cli_db: str) -> None:
    result = CliRunner().invoke(cli, ["tokens", "create", "--user", "sbp", "--json"])
    assert result.exit_code == 0, result.output
    secret = json.loads(result.output)["token"]
    engine = make_engine(cli_db)
    with Session(engine) as session:
        principal = identity.authenticate_token(session=session, token=secret)
    engine.dispose()
    assert principal.name == "sbp"
    assert principal.scopes == frozenset({"read"})


def test_tokens_are_seen_by_their_holder_and_whoever_may_manage_them(session: Session) -> None:
    """Regression: admins below a CERT could list the tokens of that CERT's staff."""
    net = build_network(session)
    for holder in ("admin", "national", "sbp", "bankreporter", "telco"):
        net.token(session, holder)

    def holders(viewer: str) -> set[str]:
        tokens = identity.list_tokens(session=session, principal=net.principal(session, viewer))
        names = {u.id: name for name, u in net.users.items()}
        return {names[t.user_id] for t in tokens}

    assert holders("bankadmin") == {"bankreporter"}
    assert holders("sbpadmin") == {"sbp", "bankreporter"}
    assert holders("sbp") == {"sbp"}
    assert holders("admin") == {"admin", "national", "sbp", "bankreporter", "telco"}
