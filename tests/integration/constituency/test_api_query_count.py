"""Against N+1: the number of SQL statements a listing runs does not grow with its page size."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from certnet.constituency import service
from certnet.constituency.schemas import OrganisationCreate, ResourceCreate
from tests.factories import SYSTEM, build_network


class StatementCounter:
    """Counts the statements sent to the database (savepoints included, as real round trips)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)


@contextmanager
def counting(engine: Engine) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)


def _statements(client: TestClient, engine: Engine, url: str, token: str, limit: int) -> int:
    with counting(engine) as counter:
        response = client.get(
            url, params={"limit": limit}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.text
        assert len(response.json()["items"]) == limit
    return len(counter.statements)


def test_organisation_listing_is_not_n_plus_one(
    session: Session, client: TestClient, db_engine: Engine
) -> None:
    net = build_network(session)
    for n in range(40):
        org = service.create_organisation(
            session=session,
            principal=SYSTEM,
            data=OrganisationCreate(
                name=f"Utility {n:02}", cert_id=net.certs["sbpcert"].id, sector="power"
            ),
        )
        service.add_resource(
            session=session,
            principal=SYSTEM,
            organisation_id=org.id,
            data=ResourceCreate(value=f"10.{n}.0.0/16"),
        )
    session.flush()
    token = net.token(session, "sbp")
    url = "/api/v1/organisations"
    # The first use of a token stamps its last_used_at (at most once a while); not counted.
    _statements(client, db_engine, url, token, 1)
    small = _statements(client, db_engine, url, token, 2)
    large = _statements(client, db_engine, url, token, 40)
    assert small == large, f"{small} statements for 2 organisations, {large} for 40"
    # And the listing of one organisation's claims likewise.
    claims = f"/api/v1/organisations/{net.orgs['First Bank'].id}/resources"
    assert _statements(client, db_engine, claims, token, 1) == _statements(
        client, db_engine, claims, token, 4
    )
