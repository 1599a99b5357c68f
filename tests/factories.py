"""A small but complete CERT network for tests, built through the services (so that every
object is valid, audited and owned the way production data is)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from certnet.constituency import service as constituency
from certnet.constituency.models import Cert, ContactRole, Organisation
from certnet.constituency.schemas import (
    CertCreate,
    CiiDesignation,
    ContactCreate,
    OrganisationCreate,
    ResourceCreate,
)
from certnet.core.access import Principal, Role
from certnet.identity import service as identity
from certnet.identity.models import User
from certnet.identity.schemas import TokenCreate, UserCreate

PASSWORD = "Correct-Horse-42"
SYSTEM = Principal.system("tests")


@dataclass
class Network:
    """The network's objects by short name, and a user for each role."""

    certs: dict[str, Cert] = field(default_factory=dict)
    orgs: dict[str, Organisation] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def principal(self, session: Session, username: str) -> Principal:
        return identity.principal_for(session=session, user=self.users[username])

    def token(
        self, session: Session, username: str, scopes: tuple[str, ...] = ("read", "write")
    ) -> str:
        principal = self.principal(session, username)
        _, secret = identity.create_token(
            session=session, principal=principal, data=TokenCreate(name="test", scopes=list(scopes))
        )
        return secret


def cert(
    session: Session, net: Network, short: str, tier: str, parent: str | None, **extra: str
) -> Cert:
    made = constituency.create_cert(
        session=session,
        principal=SYSTEM,
        data=CertCreate(
            name=f"{short.upper()} CERT",
            short_name=short,
            tier=tier,
            parent_id=net.certs[parent].id if parent else None,
            **extra,
        ),
    )
    net.certs[short] = made
    return made


def org(
    session: Session,
    net: Network,
    name: str,
    cert_short: str,
    sector: str,
    resources: tuple[str, ...] = (),
    cii: bool = False,
    province: str | None = None,
) -> Organisation:
    made = constituency.create_organisation(
        session=session,
        principal=SYSTEM,
        data=OrganisationCreate(
            name=name,
            cert_id=net.certs[cert_short].id,
            sector=sector,
            province=province,
            cii=CiiDesignation(
                ministry="Ministry of Finance", grade="A", designated_on=date(2026, 1, 15)
            )
            if cii
            else None,
        ),
    )
    for value in resources:
        constituency.add_resource(
            session=session,
            principal=SYSTEM,
            organisation_id=made.id,
            data=ResourceCreate(value=value),
        )
    constituency.create_contact(
        session=session,
        principal=SYSTEM,
        organisation_id=made.id,
        data=ContactCreate(
            name=f"{name} SOC",
            role=ContactRole.SECURITY,
            email=f"soc@{name.lower().replace(' ', '-')}.example.pk",
        ),
    )
    net.orgs[name] = made
    return made


def user(
    session: Session,
    net: Network,
    username: str,
    role: Role,
    *,
    cert_short: str | None = None,
    org_name: str | None = None,
) -> User:
    made = identity.create_user(
        session=session,
        principal=SYSTEM,
        data=UserCreate(
            username=username,
            display_name=username.title(),
            email=f"{username}@example.pk",
            role=role,
            password=PASSWORD,
            cert_id=net.certs[cert_short].id if cert_short else None,
            organisation_id=net.orgs[org_name].id if org_name else None,
        ),
    )
    net.users[username] = made
    return made


def build_network(session: Session) -> Network:
    """National → Government → (Federal, Punjab, Banking, Telecom); CII under Banking; orgs."""
    net = Network()
    cert(session, net, "pkcert", "national", None)
    cert(session, net, "govcert", "government", "pkcert")
    cert(session, net, "fedcert", "federal", "govcert")
    cert(session, net, "punjabcert", "provincial", "govcert", province="punjab")
    cert(session, net, "sbpcert", "sectoral", "govcert", sector="banking")
    cert(session, net, "ptacert", "sectoral", "govcert", sector="telecom")
    cert(session, net, "bankcii", "cii", "sbpcert")
    org(
        session,
        net,
        "First Bank",
        "sbpcert",
        "banking",
        ("203.0.113.0/24", "2001:db8:100::/48", "AS64500", "firstbank.example.pk"),
        cii=True,
    )
    org(
        session,
        net,
        "Branch Services",
        "sbpcert",
        "banking",
        ("203.0.113.128/25", "branch.firstbank.example.pk"),
    )
    org(
        session,
        net,
        "Telco One",
        "ptacert",
        "telecom",
        ("198.51.100.0/24", "2001:db8:200::/40", "AS64501", "telco.example.pk"),
    )
    org(
        session,
        net,
        "Punjab IT Board",
        "punjabcert",
        "government",
        ("192.0.2.0/25",),
        province="punjab",
    )
    user(session, net, "admin", Role.PLATFORM_ADMIN, cert_short="pkcert")
    user(session, net, "national", Role.ANALYST, cert_short="pkcert")
    user(session, net, "auditor", Role.AUDITOR, cert_short="pkcert")
    user(session, net, "council", Role.COUNCIL_MEMBER, cert_short="pkcert")
    user(session, net, "sbpadmin", Role.CERT_ADMIN, cert_short="sbpcert")
    user(session, net, "sbp", Role.ANALYST, cert_short="sbpcert")
    user(session, net, "pta", Role.ANALYST, cert_short="ptacert")
    user(session, net, "bankadmin", Role.CONSTITUENT_ADMIN, org_name="First Bank")
    user(session, net, "bankreporter", Role.CONSTITUENT_REPORTER, org_name="First Bank")
    user(session, net, "telco", Role.CONSTITUENT_REPORTER, org_name="Telco One")
    session.flush()
    return net
