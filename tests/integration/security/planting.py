"""Contacts written straight into the tables, for reading them back through the policy.

``create_contact`` re-reads the contact it made through the policy, so the installation
itself (``Principal.system``) cannot create AMBER+STRICT or RED contacts: neither label lets
it see them. Tests of *reading* plant such rows directly instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from certnet.constituency.models import Contact, ContactRole
from certnet.core import clock
from certnet.core.models import TlpRecipient
from certnet.core.tlp import Tlp


def plant_contact(
    session: Session,
    *,
    owner_cert_id: int,
    organisation_id: int | None,
    tlp: Tlp,
    name: str = "Duty desk",
    red_users: Iterable[int] = (),
    red_certs: Iterable[int] = (),
    red_orgs: Iterable[int] = (),
) -> Contact:
    """A contact with ``tlp`` and, for RED, the named recipients."""
    now = clock.now()
    contact = Contact(
        owner_cert_id=owner_cert_id,
        organisation_id=organisation_id,
        name=name,
        role=ContactRole.DUTY_24_7,
        email="desk@example.pk",
        tlp=tlp,
        created_at=now,
        updated_at=now,
    )
    session.add(contact)
    session.flush()
    named = [
        *({"user_id": i} for i in red_users),
        *({"cert_id": i} for i in red_certs),
        *({"organisation_id": i} for i in red_orgs),
    ]
    for recipient in named:
        session.add(TlpRecipient(object_type="contact", object_id=contact.id, **recipient))
    session.flush()
    return contact
