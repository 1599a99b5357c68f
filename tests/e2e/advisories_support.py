"""Extra fixtures for the advisories browser tests: two organisations of their own in the live
server's network (so that no other test's organisations change; in the revenue sector, so that
no listing another test checks by sector grows), one running an affected Acme Gateway with a
reporter who answers in the portal, one running a fixed version."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.constituency import service as constituency
from certnet.constituency.models import ContactRole, Organisation
from certnet.constituency.schemas import ContactCreate, OrganisationCreate
from certnet.core.access import Role
from certnet.db.session import make_engine
from certnet.identity import service as identity
from certnet.identity.schemas import UserCreate
from certnet.risk.service.assets import AssetInput, create_asset
from tests.e2e.conftest import LiveServer
from tests.factories import PASSWORD, SYSTEM

AFFECTED_ORG, FIXED_ORG = "Acme Gateway Users Revenue Office", "Acme Gateway Patched Revenue Office"
REPORTER = "acmereporter"


@dataclass(frozen=True)
class Targets:
    """Who should and should not receive the advisory, and who answers."""

    affected: str
    fixed: str
    reporter: str
    password: str


def _add(session: Session, live_server: LiveServer, name: str, version: str) -> int:
    org = constituency.create_organisation(
        session=session,
        principal=SYSTEM,
        data=OrganisationCreate(name=name, cert_id=live_server.certs["sbpcert"], sector="revenue"),
    )
    constituency.create_contact(
        session=session,
        principal=SYSTEM,
        organisation_id=org.id,
        data=ContactCreate(
            name=f"{name} SOC",
            role=ContactRole.SECURITY,
            email=f"soc@{name.lower().replace(' ', '-')}.example.pk",
        ),
    )
    create_asset(
        session=session,
        principal=SYSTEM,
        organisation_id=org.id,
        item=AssetInput(
            name="Acme Gateway",
            cpe=f"cpe:2.3:a:acme:gateway:{version}:*:*:*:*:*:*:*",
            version=version,
            exposure="open",
            criticality="high",
        ),
    )
    return org.id


@pytest.fixture
def advisory_targets(live_server: LiveServer) -> Targets:
    """The two organisations and the reporter, added once per server (in its own database,
    as the console and the asset import would)."""
    engine = make_engine(live_server.database_url)
    try:
        with Session(engine) as session:
            if session.scalar(select(Organisation.id).where(Organisation.name == AFFECTED_ORG)):
                return Targets(AFFECTED_ORG, FIXED_ORG, REPORTER, PASSWORD)
            affected = _add(session, live_server, AFFECTED_ORG, "2.3.0")
            _add(session, live_server, FIXED_ORG, "2.5.0")
            identity.create_user(
                session=session,
                principal=SYSTEM,
                data=UserCreate(
                    username=REPORTER,
                    display_name="Acme Reporter",
                    email="reporter@acme-users.example.pk",
                    role=Role.CONSTITUENT_REPORTER,
                    password=PASSWORD,
                    organisation_id=affected,
                ),
            )
            session.commit()
    finally:
        engine.dispose()
    return Targets(AFFECTED_ORG, FIXED_ORG, REPORTER, PASSWORD)
