"""Fixtures of the incidents tests: the test network with duty desks, and a clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from certnet.constituency import service as constituency
from certnet.constituency.models import ContactRole
from certnet.constituency.schemas import ContactCreate
from tests.factories import SYSTEM, Network, build_network

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def net(session: Session) -> Network:
    """The test network, each CERT with a 24/7 duty desk."""
    network = build_network(session)
    for short, cert in network.certs.items():
        constituency.create_contact(
            session=session,
            principal=SYSTEM,
            cert_id=cert.id,
            data=ContactCreate(
                name=f"{short} duty", role=ContactRole.DUTY_24_7, email=f"duty@{short}.example.pk"
            ),
        )
    session.flush()
    return network
