"""The audit listing pages through every entry once, in chain order or newest first."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import build_network


def _walk(client: TestClient, token: str, **params: object) -> list[int]:
    seqs: list[int] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": 7, **({"cursor": cursor} if cursor else {})}
        page = client.get(
            "/api/v1/audit", params=query, headers={"Authorization": f"Bearer {token}"}
        )
        assert page.status_code == 200, page.text
        body = page.json()
        seqs.extend(entry["seq"] for entry in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return seqs


def test_newest_first_is_the_chain_reversed(session: Session, client: TestClient) -> None:
    net = build_network(session)
    token = net.token(session, "auditor")
    forward = _walk(client, token)
    backward = _walk(client, token, newest_first="true")
    assert len(forward) > 20
    assert forward == sorted(forward)
    assert len(set(forward)) == len(forward)
    assert backward == forward[::-1]
