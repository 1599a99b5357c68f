"""An API write that rides on the console's session cookie must carry the session's CSRF
token: a page on another site cannot make the browser change anything."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.constituency.models import Contact
from certnet.identity import service as identity
from tests.factories import PASSWORD, build_network

CONTACT = {"name": "Night desk", "role": "duty_24_7", "email": "night@firstbank.example.pk"}


def _contacts(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Contact)) or 0


def test_cookie_writes_need_the_csrf_header(session: Session, client: TestClient) -> None:
    net = build_network(session)
    outcome = identity.login(
        session=session, username="sbp", password=PASSWORD, address="127.0.0.1"
    )
    assert outcome.ok
    assert outcome.secret is not None
    assert outcome.login_session is not None
    client.cookies.set(identity.SESSION_COOKIE, outcome.secret)
    url = f"/api/v1/organisations/{net.orgs['First Bank'].id}/contacts"
    before = _contacts(session)

    # Reads need no token.
    assert client.get(url).status_code == 200

    refused = client.post(url, json=CONTACT)
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["detail"]
    forged = client.post(url, json=CONTACT, headers={"X-CSRF-Token": "not-the-token"})
    assert forged.status_code == 403
    assert _contacts(session) == before

    accepted = client.post(
        url, json=CONTACT, headers={"X-CSRF-Token": outcome.login_session.csrf_token}
    )
    assert accepted.status_code == 201, accepted.text
    assert _contacts(session) == before + 1
