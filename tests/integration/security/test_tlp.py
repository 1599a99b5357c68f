"""TLP 2.0 as access control, one label and one observer at a time.

The network (tests.factories): pkcert (National) → govcert → sbpcert (Banking) and ptacert
(Telecom); First Bank is served by sbpcert, Telco One by ptacert. The contacts under test
belong to sbpcert itself and to First Bank.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from certnet.constituency import service as constituency
from certnet.constituency.models import Contact, ContactRole
from certnet.constituency.schemas import ContactCreate, Recipients
from certnet.core.access import Principal, Role
from certnet.core.tlp import Tlp
from tests.factories import SYSTEM, Network, build_network, user
from tests.integration.security.planting import plant_contact

#: Who looks: a user of the owner CERT, its parent, the National CERT, a sibling CERT, the
#: organisation itself, another organisation, and the platform admin.
OBSERVERS = ("sbp", "gov", "national", "pta", "bankreporter", "telco", "admin")

#: label → observers who see sbpcert's own contact with that label.
CERT_CONTACT = {
    Tlp.CLEAR: set(OBSERVERS),
    Tlp.GREEN: set(OBSERVERS),
    # AMBER follows tenancy: the CERT, the line above it, and its constituents (who need to
    # reach their CERT); never a sibling CERT or another sector's constituents.
    Tlp.AMBER: {"sbp", "gov", "national", "bankreporter", "admin"},
    # AMBER+STRICT: the CERT that owns it and nobody else, not even the National CERT.
    Tlp.AMBER_STRICT: {"sbp"},
}

#: label → observers who see First Bank's contact with that label.
ORG_CONTACT = {
    Tlp.CLEAR: set(OBSERVERS),
    Tlp.GREEN: set(OBSERVERS),
    Tlp.AMBER: {"sbp", "gov", "national", "bankreporter", "admin"},
    # AMBER+STRICT: the organisation and the CERT it gave the data to.
    Tlp.AMBER_STRICT: {"sbp", "bankreporter"},
}


def _network(session: Session) -> Network:
    net = build_network(session)
    user(session, net, "gov", Role.ANALYST, cert_short="govcert")
    user(session, net, "telco2", Role.CONSTITUENT_ADMIN, org_name="Telco One")
    return net


def _contact(
    session: Session,
    net: Network,
    tlp: Tlp,
    *,
    on_org: bool,
    recipients: Recipients | None = None,
) -> Contact:
    # Planted, not created: the system principal may not create what it cannot read (see
    # tests.integration.security.planting).
    named = recipients or Recipients()
    return plant_contact(
        session,
        owner_cert_id=net.certs["sbpcert"].id,
        organisation_id=net.orgs["First Bank"].id if on_org else None,
        tlp=tlp,
        name=f"{tlp.value} desk",
        red_users=named.user_ids,
        red_certs=named.cert_ids,
        red_orgs=named.organisation_ids,
    )


def _sees(session: Session, principal: Principal, contact: Contact) -> bool:
    listed = constituency.list_contacts(session=session, principal=principal)
    return contact.id in {c.id for c in listed}


@pytest.mark.parametrize("tlp", list(CERT_CONTACT))
def test_cert_owned_contact(session: Session, tlp: Tlp) -> None:
    net = _network(session)
    contact = _contact(session, net, tlp, on_org=False)
    seen = {name for name in OBSERVERS if _sees(session, net.principal(session, name), contact)}
    assert seen == CERT_CONTACT[tlp]


@pytest.mark.parametrize("tlp", list(ORG_CONTACT))
def test_organisation_owned_contact(session: Session, tlp: Tlp) -> None:
    net = _network(session)
    contact = _contact(session, net, tlp, on_org=True)
    seen = {name for name in OBSERVERS if _sees(session, net.principal(session, name), contact)}
    assert seen == ORG_CONTACT[tlp]


@pytest.mark.parametrize("on_org", [False, True], ids=["cert-owned", "org-owned"])
def test_red_is_named_recipients_only(session: Session, on_org: bool) -> None:
    net = _network(session)
    to_user = _contact(
        session, net, Tlp.RED, on_org=on_org, recipients=Recipients(user_ids=[net.users["pta"].id])
    )
    to_cert = _contact(
        session,
        net,
        Tlp.RED,
        on_org=on_org,
        recipients=Recipients(cert_ids=[net.certs["ptacert"].id]),
    )
    to_org = _contact(
        session,
        net,
        Tlp.RED,
        on_org=on_org,
        recipients=Recipients(organisation_ids=[net.orgs["Telco One"].id]),
    )
    everyone = (*OBSERVERS, "telco2")

    def seers(contact: Contact) -> set[str]:
        return {n for n in everyone if _sees(session, net.principal(session, n), contact)}

    # Neither the owner CERT, its organisation, the National CERT nor the platform admin sees
    # RED they were not named on; the named user, CERT's staff or organisation's people do.
    assert seers(to_user) == {"pta"}
    assert seers(to_cert) == {"pta"}
    assert seers(to_org) == {"telco", "telco2"}


def test_platform_admin_named_on_red_sees_it(session: Session) -> None:
    net = _network(session)
    contact = _contact(
        session,
        net,
        Tlp.RED,
        on_org=True,
        recipients=Recipients(user_ids=[net.users["admin"].id]),
    )
    assert _sees(session, net.principal(session, "admin"), contact)
    assert not _sees(session, net.principal(session, "national"), contact)
    # The installation itself (CLI operator, jobs) is nobody's named recipient.
    assert not _sees(session, SYSTEM, contact)


def test_anonymous_sees_clear_only(session: Session) -> None:
    net = _network(session)
    made = {tlp: _contact(session, net, tlp, on_org=True) for tlp in Tlp if tlp is not Tlp.RED}
    anonymous = Principal.anonymous()
    seen = {c.id for c in constituency.list_contacts(session=session, principal=anonymous)}
    assert seen == {made[Tlp.CLEAR].id}


def test_api_requires_sign_in_even_for_clear(session: Session, client: TestClient) -> None:
    net = _network(session)
    _contact(session, net, Tlp.CLEAR, on_org=True)
    response = client.get(f"/api/v1/organisations/{net.orgs['First Bank'].id}/contacts")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("observer", "tlp", "visible"),
    [
        ("bankreporter", Tlp.GREEN, True),
        ("bankreporter", Tlp.AMBER, True),
        ("bankreporter", Tlp.AMBER_STRICT, False),
        ("national", Tlp.AMBER_STRICT, False),
        ("sbp", Tlp.AMBER_STRICT, True),
        ("admin", Tlp.RED, False),
        ("sbp", Tlp.RED, True),
    ],
)
def test_api_agrees_with_the_service(
    session: Session, client: TestClient, observer: str, tlp: Tlp, visible: bool
) -> None:
    net = _network(session)
    recipients = Recipients(user_ids=[net.users["sbp"].id]) if tlp is Tlp.RED else None
    contact = _contact(session, net, tlp, on_org=False, recipients=recipients)
    token = net.token(session, observer)
    response = client.get(
        f"/api/v1/certs/{net.certs['sbpcert'].id}/contacts",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    assert (contact.id in {c["id"] for c in response.json()}) == visible


def test_system_principal_can_create_a_strict_contact(session: Session) -> None:
    # The author's label is no reason to refuse the creation, even when the author itself
    # will not see the contact afterwards.
    net = _network(session)
    made = constituency.create_contact(
        session=session,
        principal=SYSTEM,
        data=ContactCreate(
            name="Strict desk",
            role=ContactRole.SECURITY,
            email="strict@example.pk",
            tlp=Tlp.AMBER_STRICT,
        ),
        organisation_id=net.orgs["First Bank"].id,
    )
    assert made.tlp is Tlp.AMBER_STRICT
    seen_by_bank = constituency.list_contacts(
        session=session,
        principal=net.principal(session, "bankreporter"),
        organisation_id=net.orgs["First Bank"].id,
    )
    seen_by_national = constituency.list_contacts(
        session=session,
        principal=net.principal(session, "national"),
        organisation_id=net.orgs["First Bank"].id,
    )
    assert made.id in {c.id for c in seen_by_bank}
    assert made.id not in {c.id for c in seen_by_national}


def test_a_user_may_create_a_red_contact_for_others_only(session: Session) -> None:
    # A national analyst records a RED contact naming the banking CERT: created, and the
    # author stays a recipient of what they wrote.
    net = _network(session)
    national = net.principal(session, "national")
    made = constituency.create_contact(
        session=session,
        principal=national,
        data=ContactCreate(
            name="Governor's line",
            role=ContactRole.HEAD,
            email="head@example.pk",
            tlp=Tlp.RED,
            recipients={"cert_ids": [net.certs["sbpcert"].id]},
        ),
        organisation_id=net.orgs["First Bank"].id,
    )
    for username, visible in (("national", True), ("sbp", True), ("bankreporter", False)):
        contacts = constituency.list_contacts(
            session=session,
            principal=net.principal(session, username),
            organisation_id=net.orgs["First Bank"].id,
        )
        assert (made.id in {c.id for c in contacts}) is visible, username
