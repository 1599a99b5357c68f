"""What shapes notifications besides the findings: each contact's preferences and each
organisation's notification interval."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.constituency import service as constituency
from certnet.core import access, audit, clock
from certnet.core.access import Principal
from certnet.core.errors import Invalid
from certnet.findings.models import (
    ContactPreference,
    Interval,
    Language,
    MailFormat,
    NotificationInterval,
)
from certnet.findings.schemas import PreferenceRead, PreferenceUpdate

#: Organisations without an interval of their own get one notification a day per report type.
DEFAULT_INTERVAL = Interval.DAILY
DEFAULT_PREFERENCE = PreferenceUpdate()


def get_preference(*, session: Session, principal: Principal, contact_id: int) -> PreferenceRead:
    """A contact's preferences (the defaults when it has none stored); NotFound when the
    contact is out of sight or is a CERT's own contact."""
    contact = constituency.get_contact(session=session, principal=principal, contact_id=contact_id)
    if contact.organisation_id is None:
        raise Invalid.on("contact_id", "CERT contacts receive no findings notifications")
    stored = session.scalar(
        access.scoped(select(ContactPreference), principal).where(
            ContactPreference.contact_id == contact_id
        )
    )
    if stored is not None:
        return PreferenceRead.model_validate(stored)
    return PreferenceRead(
        contact_id=contact.id,
        organisation_id=contact.organisation_id,
        **DEFAULT_PREFERENCE.model_dump(),
    )


def set_preference(
    *, session: Session, principal: Principal, contact_id: int, data: PreferenceUpdate
) -> ContactPreference:
    """Store a contact's preferences: the organisation's own users or its CERT may."""
    contact = constituency.get_contact(session=session, principal=principal, contact_id=contact_id)
    if contact.organisation_id is None:
        raise Invalid.on("contact_id", "CERT contacts receive no findings notifications")
    opted_out = sorted({t.strip() for t in data.opted_out if t.strip()})
    for position, report_type in enumerate(opted_out):
        if len(report_type) > 64:
            raise Invalid.on(f"opted_out[{position}]", "a report type has at most 64 characters")
    stored = session.scalar(
        select(ContactPreference).where(ContactPreference.contact_id == contact_id)
    )
    before = audit.snapshot(stored) if stored is not None else None
    if stored is not None:
        access.require(session, principal, "edit", stored)
    else:
        stored = ContactPreference(
            contact_id=contact_id,
            owner_cert_id=contact.owner_cert_id,
            organisation_id=contact.organisation_id,
        )
        session.add(stored)
    stored.language = data.language
    stored.mail_format = data.mail_format
    stored.attach_csv = data.attach_csv
    stored.opted_out = opted_out
    stored.updated_at = clock.now()
    session.flush()
    if before is None:
        access.require_create(session, principal, stored)
    audit.record(
        session=session,
        principal=principal,
        action="contact_preference.set",
        object_type="contact_preference",
        object_id=stored.id,
        before=before,
        after=audit.snapshot(stored),
        owner_cert_id=stored.owner_cert_id,
    )
    return stored


def preferences_of(*, session: Session, contact_ids: Iterable[int]) -> dict[int, PreferenceUpdate]:
    """Stored preferences of many contacts in one query (for the notifier, acting as
    certnet itself); contacts without a row are left out (they get the defaults)."""
    wanted = sorted(set(contact_ids))
    if not wanted:
        return {}
    rows = session.scalars(
        select(ContactPreference).where(ContactPreference.contact_id.in_(wanted))
    )
    return {
        row.contact_id: PreferenceUpdate(
            language=Language(row.language),
            mail_format=MailFormat(row.mail_format),
            attach_csv=row.attach_csv,
            opted_out=list(row.opted_out or []),
        )
        for row in rows
    }


def get_interval(*, session: Session, principal: Principal, organisation_id: int) -> Interval:
    """An organisation's notification interval (the default when none is set)."""
    constituency.get_organisation(
        session=session, principal=principal, organisation_id=organisation_id
    )
    stored = session.scalar(
        access.scoped(select(NotificationInterval), principal).where(
            NotificationInterval.organisation_id == organisation_id
        )
    )
    return Interval(stored.interval) if stored is not None else DEFAULT_INTERVAL


def set_interval(
    *, session: Session, principal: Principal, organisation_id: int, interval: Interval
) -> NotificationInterval:
    """Set how often an organisation is notified (its CERT's staff)."""
    org = constituency.get_organisation(
        session=session, principal=principal, organisation_id=organisation_id
    )
    stored = session.scalar(
        select(NotificationInterval).where(NotificationInterval.organisation_id == org.id)
    )
    before = audit.snapshot(stored) if stored is not None else None
    if stored is not None:
        access.require(session, principal, "edit", stored)
    else:
        stored = NotificationInterval(organisation_id=org.id, owner_cert_id=org.cert_id)
        session.add(stored)
    stored.interval = interval
    stored.updated_at = clock.now()
    session.flush()
    if before is None:
        access.require_create(session, principal, stored)
    audit.record(
        session=session,
        principal=principal,
        action="notification_interval.set",
        object_type="notification_interval",
        object_id=stored.id,
        before=before,
        after=audit.snapshot(stored),
        owner_cert_id=stored.owner_cert_id,
    )
    return stored


def intervals_of(*, session: Session, organisation_ids: Iterable[int]) -> dict[int, Interval]:
    """Every organisation's interval, the default filled in, in one query per 1000."""
    wanted = sorted(set(organisation_ids))
    found = dict.fromkeys(wanted, DEFAULT_INTERVAL)
    for offset in range(0, len(wanted), 1000):
        rows = session.execute(
            select(NotificationInterval.organisation_id, NotificationInterval.interval).where(
                NotificationInterval.organisation_id.in_(wanted[offset : offset + 1000])
            )
        )
        for org_id, interval in rows:
            found[org_id] = Interval(interval)
    return found
