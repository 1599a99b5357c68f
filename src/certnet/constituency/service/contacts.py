"""Contacts of CERTs and organisations: roles, expiry and TLP, and whom to write to."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.constituency.models import Contact, ContactRole
from certnet.constituency.schemas import (
    ContactCreate,
    ContactUpdate,
    Recipients,
)
from certnet.constituency.service.certs import get_cert
from certnet.constituency.service.organisations import get_organisation
from certnet.core import access, audit, clock
from certnet.core.access import Principal
from certnet.core.errors import Invalid, NotFound
from certnet.core.models import TlpRecipient
from certnet.core.tlp import Tlp


def list_contacts(
    *,
    session: Session,
    principal: Principal,
    organisation_id: int | None = None,
    cert_id: int | None = None,
    role: ContactRole | None = None,
) -> list[Contact]:
    """Contacts of one organisation or one CERT (its own, not its constituents'), as TLP allows."""
    stmt = access.scoped(select(Contact), principal)
    if organisation_id is not None:
        stmt = stmt.where(Contact.organisation_id == organisation_id)
    if cert_id is not None:
        stmt = stmt.where(Contact.owner_cert_id == cert_id, Contact.organisation_id.is_(None))
    if role is not None:
        stmt = stmt.where(Contact.role == role)
    return list(session.scalars(stmt.order_by(Contact.role, Contact.name, Contact.id)))


def get_contact(*, session: Session, principal: Principal, contact_id: int) -> Contact:
    contact = session.scalar(
        access.scoped(select(Contact).where(Contact.id == contact_id), principal)
    )
    if contact is None:
        raise NotFound(f"contact {contact_id} not found")
    return contact


def is_expired(contact: Contact, on: date | None = None) -> bool:
    """Whether the contact's validity has run out (on ``on``, default today, UTC)."""
    today = on or clock.now().date()
    return contact.valid_until is not None and contact.valid_until < today


def _name_recipients(
    session: Session, principal: Principal, contact: Contact, recipients: Recipients | None
) -> None:
    # The author always stays a recipient of their own TLP:RED contact.
    named: set[tuple[str, int]] = set()
    if principal.user_id is not None:
        named.add(("user_id", principal.user_id))
    if recipients is not None:
        named |= {("user_id", i) for i in recipients.user_ids}
        named |= {("cert_id", i) for i in recipients.cert_ids}
        named |= {("organisation_id", i) for i in recipients.organisation_ids}
    if not named:
        raise Invalid.on("recipients", "TLP:RED needs at least one named recipient")
    for field, ident in sorted(named):
        session.add(TlpRecipient(object_type="contact", object_id=contact.id, **{field: ident}))


def create_contact(
    *,
    session: Session,
    principal: Principal,
    data: ContactCreate,
    organisation_id: int | None = None,
    cert_id: int | None = None,
) -> Contact:
    """Add a contact to an organisation or (with ``cert_id``) to a CERT itself."""
    if (organisation_id is None) == (cert_id is None):
        raise Invalid.on("owner", "a contact belongs to one organisation or one CERT")
    if data.valid_until is not None and data.valid_until < clock.now().date():
        raise Invalid.on("valid_until", f"{data.valid_until} is in the past")
    if organisation_id is not None:
        org = get_organisation(
            session=session, principal=principal, organisation_id=organisation_id
        )
        owner_cert = org.cert_id
    else:
        assert cert_id is not None
        owner_cert = get_cert(session=session, principal=principal, cert_id=cert_id).id
    now = clock.now()
    contact = Contact(
        owner_cert_id=owner_cert,
        organisation_id=organisation_id,
        **data.model_dump(exclude={"recipients"}),
        created_at=now,
        updated_at=now,
    )
    session.add(contact)
    session.flush()
    if contact.tlp is Tlp.RED:
        _name_recipients(session, principal, contact, data.recipients)
        session.flush()
    access.require_create(session, principal, contact)
    audit.record(
        session=session,
        principal=principal,
        action="contact.create",
        object_type="contact",
        object_id=contact.id,
        after=audit.snapshot(contact),
        owner_cert_id=owner_cert,
    )
    return contact


def update_contact(
    *, session: Session, principal: Principal, contact_id: int, data: ContactUpdate
) -> Contact:
    """Change a contact. Its TLP may be raised or lowered by whoever may edit it."""
    contact = get_contact(session=session, principal=principal, contact_id=contact_id)
    access.require(session, principal, "edit", contact)
    before = audit.snapshot(contact)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("tlp") is Tlp.RED and contact.tlp is not Tlp.RED:
        _name_recipients(session, principal, contact, None)
    for field, value in changes.items():
        if value is not None or field in ("phone", "valid_until"):
            setattr(contact, field, value)
    contact.updated_at = clock.now()
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="contact.update",
        object_type="contact",
        object_id=contact.id,
        before=before,
        after=audit.snapshot(contact),
        owner_cert_id=contact.owner_cert_id,
    )
    return contact


def delete_contact(*, session: Session, principal: Principal, contact_id: int) -> None:
    """Remove a contact."""
    contact = get_contact(session=session, principal=principal, contact_id=contact_id)
    access.require(session, principal, "edit", contact)
    before = audit.snapshot(contact)
    session.delete(contact)
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="contact.delete",
        object_type="contact",
        object_id=contact_id,
        before=before,
        owner_cert_id=before["owner_cert_id"],
    )


def recipients(
    *,
    session: Session,
    principal: Principal,
    organisation_id: int,
    roles: tuple[ContactRole, ...] = (ContactRole.SECURITY, ContactRole.POINT_OF_CONTACT),
    contact_ids: list[int] | None = None,
) -> list[Contact]:
    """Whom to write to at an organisation: its valid contacts in ``roles``. Naming an expired
    contact explicitly (``contact_ids``) is an error, never a silent send."""
    contacts = list_contacts(session=session, principal=principal, organisation_id=organisation_id)
    if contact_ids is not None:
        chosen = {c.id: c for c in contacts}
        result = []
        for position, ident in enumerate(contact_ids):
            contact = chosen.get(ident)
            if contact is None:
                raise Invalid.on(f"contact_ids[{position}]", f"no contact {ident} here")
            if is_expired(contact):
                raise Invalid.on(
                    f"contact_ids[{position}]",
                    f"{contact.email} expired on {contact.valid_until}; update it first",
                )
            result.append(contact)
        return result
    return [c for c in contacts if c.role in roles and not is_expired(c)]
