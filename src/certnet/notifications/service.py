"""The outbox: every outgoing e-mail is enqueued in the transaction that causes it and sent by
a job over SMTP, with retries.

Guarantees:

* **Nothing lost** — a message exists once the change that caused it is committed, and stays
  queued until an SMTP server accepts it (or it fails permanently, visibly).
* **No double send** — enqueuing is idempotent on a caller-chosen ``key`` (re-running a job
  after a crash enqueues nothing new); each message is claimed by one sender at a time. The
  one window left is a sender dying after the SMTP server accepted a message and before the
  ``sent`` state is committed: after the lease the message is retried with the same
  ``Message-ID``, which receiving systems use to drop the duplicate.
"""

from __future__ import annotations

import hashlib
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from certnet.config import Settings
from certnet.core import audit, clock
from certnet.core.access import Principal, require, scoped
from certnet.core.errors import Conflict, Invalid, NotFound
from certnet.core.pagination import Page, paginate
from certnet.notifications.models import MessageState, OutboxAttachment, OutboxMessage

OBJECT_TYPE = "outbox_message"
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Attachment:
    """A file to send with a message."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class DeliveryReport:
    """What one delivery pass did."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0


def message_id_for(key: str, domain: str = "certnet") -> str:
    """The RFC 5322 Message-ID of the message enqueued under ``key``: the same on every attempt."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def enqueue(
    session: Session,
    *,
    key: str,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Sequence[Attachment] = (),
    owner_cert_id: int,
    object_type: str,
    object_id: int | None,
    ticket: str | None = None,
    reply_to: str | None = None,
    organisation_id: int | None = None,
    sender: str | None = None,
    headers: dict[str, str] | None = None,
    principal: Principal | None = None,
) -> OutboxMessage:
    """Queue one e-mail; idempotent on ``key``. Never commits (the caller's unit of work does)."""
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    if existing is not None:
        return existing
    recipients = sorted({address.strip() for address in to if address.strip()})
    if not recipients:
        raise Invalid.on("to", "a message needs at least one recipient")
    if not key or len(key) > 200:
        raise Invalid.on("key", "must be 1 to 200 characters")
    for attachment in attachments:
        if len(attachment.content) > MAX_ATTACHMENT_BYTES:
            raise Invalid.on("attachments", f"{attachment.filename} is over 20 MiB")
    now = clock.now()
    message = OutboxMessage(
        key=key,
        ticket=ticket,
        owner_cert_id=owner_cert_id,
        organisation_id=organisation_id,
        object_type=object_type,
        object_id=object_id,
        sender=sender or "",
        recipients=recipients,
        reply_to=reply_to,
        subject=" ".join(subject.split())[:998],
        text=text,
        html=html,
        headers=dict(headers or {}),
        message_id=message_id_for(key),
        state=MessageState.QUEUED,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
        attachments=[
            OutboxAttachment(
                filename=a.filename,
                content_type=a.content_type,
                size=len(a.content),
                content=a.content,
            )
            for a in attachments
        ],
    )
    session.add(message)
    session.flush()
    audit.record(
        session=session,
        principal=principal or Principal.system("outbox"),
        action="outbox.enqueue",
        object_type=OBJECT_TYPE,
        object_id=message.id,
        after={
            "key": key,
            "ticket": ticket,
            "recipients": recipients,
            "subject": message.subject,
            "object": f"{object_type}:{object_id}",
        },
        owner_cert_id=owner_cert_id,
    )
    return message


def build_email(message: OutboxMessage, settings: Settings) -> EmailMessage:
    """The RFC 5322 message for ``message``: text (and HTML) body, attachments, Message-ID."""
    mail = EmailMessage()
    mail["From"] = message.sender or settings.smtp_from
    mail["To"] = ", ".join(message.recipients)
    mail["Subject"] = message.subject
    mail["Message-ID"] = message.message_id
    mail["Date"] = formatdate(message.created_at.timestamp(), usegmt=True)
    if message.reply_to:
        mail["Reply-To"] = message.reply_to
    if message.ticket:
        mail["X-Certnet-Ticket"] = message.ticket
    for name, value in message.headers.items():
        mail[name] = value
    mail.set_content(message.text)
    if message.html:
        mail.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        mail.add_attachment(
            attachment.content,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return mail


def _send(mail: EmailMessage, message: OutboxMessage, settings: Settings) -> None:
    with smtplib.SMTP(
        settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
    ) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(
            mail, from_addr=message.sender or settings.smtp_from, to_addrs=message.recipients
        )


def _permanent(exc: Exception) -> bool:
    """A refusal that retrying will not cure (SMTP 5xx)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _claim(session: Session, message_id: int, now: datetime, lease: timedelta) -> bool:
    """Take ``message_id`` for sending; False if another sender has it or it is not due."""
    claimed = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            or_(
                (OutboxMessage.state == MessageState.QUEUED)
                & (OutboxMessage.next_attempt_at <= now),
                (OutboxMessage.state == MessageState.SENDING)
                & (OutboxMessage.claimed_at < now - lease),
            ),
        )
        .values(
            state=MessageState.SENDING,
            claimed_at=now,
            attempts=OutboxMessage.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(claimed, "rowcount", 0) == 1)


def deliver_due(
    session_factory: sessionmaker[Session],
    settings: Settings,
    *,
    now: datetime | None = None,
    limit: int = 100,
) -> DeliveryReport:
    """Send up to ``limit`` due messages, each claimed and settled in its own transaction."""
    now = now or clock.now()
    lease = timedelta(seconds=settings.outbox_lease_seconds)
    with session_factory() as session, session.begin():
        due = list(
            session.scalars(
                select(OutboxMessage.id)
                .where(
                    or_(
                        (OutboxMessage.state == MessageState.QUEUED)
                        & (OutboxMessage.next_attempt_at <= now),
                        (OutboxMessage.state == MessageState.SENDING)
                        & (OutboxMessage.claimed_at < now - lease),
                    )
                )
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(limit)
            )
        )
    sent = failed = retrying = 0
    system = Principal.system("outbox")
    for message_id in due:
        with session_factory() as session, session.begin():
            if not _claim(session, message_id, now, lease):
                continue
        with session_factory() as session, session.begin():
            message = session.get_one(OutboxMessage, message_id)
            try:
                _send(build_email(message, settings), message, settings)
            except (smtplib.SMTPException, OSError) as exc:
                error = f"{type(exc).__name__}: {exc}"[:2000]
                message.last_error = error
                if _permanent(exc) or message.attempts >= settings.outbox_max_attempts:
                    message.state = MessageState.FAILED
                    failed += 1
                    action = "outbox.failed"
                else:
                    message.state = MessageState.QUEUED
                    delay = settings.outbox_retry_seconds * 2 ** (message.attempts - 1)
                    message.next_attempt_at = now + timedelta(seconds=delay)
                    retrying += 1
                    action = "outbox.retry"
                audit.record(
                    session=session,
                    principal=system,
                    action=action,
                    object_type=OBJECT_TYPE,
                    object_id=message.id,
                    after={"attempts": message.attempts, "error": error},
                    owner_cert_id=message.owner_cert_id,
                )
                continue
            message.state = MessageState.SENT
            message.sent_at = clock.now()
            message.last_error = None
            sent += 1
            audit.record(
                session=session,
                principal=system,
                action="outbox.sent",
                object_type=OBJECT_TYPE,
                object_id=message.id,
                after={"attempts": message.attempts, "recipients": message.recipients},
                owner_cert_id=message.owner_cert_id,
            )
    return DeliveryReport(sent=sent, failed=failed, retrying=retrying)


def list_messages(
    *,
    session: Session,
    principal: Principal,
    state: MessageState | None = None,
    object_type: str | None = None,
    ticket: str | None = None,
    organisation_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[OutboxMessage]:
    """Messages the principal may see, newest first."""
    stmt = scoped(select(OutboxMessage), principal)
    if state is not None:
        stmt = stmt.where(OutboxMessage.state == state)
    if object_type:
        stmt = stmt.where(OutboxMessage.object_type == object_type)
    if ticket:
        stmt = stmt.where(OutboxMessage.ticket == ticket)
    if organisation_id is not None:
        stmt = stmt.where(OutboxMessage.organisation_id == organisation_id)
    return paginate(
        session, stmt, keys=[OutboxMessage.id], cursor=cursor, limit=limit, descending=True
    )


def counts(*, session: Session, principal: Principal) -> dict[MessageState, int]:
    """Messages per state, within the principal's sight."""
    visible = scoped(select(OutboxMessage.id), principal).scalar_subquery()
    stmt = (
        select(OutboxMessage.state, func.count(OutboxMessage.id))
        .where(OutboxMessage.id.in_(visible))
        .group_by(OutboxMessage.state)
    )
    found = dict.fromkeys(MessageState, 0)
    for state, count in session.execute(stmt):
        found[MessageState(state)] = count
    return found


def get_message(*, session: Session, principal: Principal, message_id: int) -> OutboxMessage:
    """One message, if the principal may see it."""
    message = session.scalar(
        scoped(select(OutboxMessage).where(OutboxMessage.id == message_id), principal)
    )
    if message is None:
        raise NotFound(f"{OBJECT_TYPE} {message_id} not found")
    return message


def retry(*, session: Session, principal: Principal, message_id: int) -> OutboxMessage:
    """Queue a failed message again (after its address was corrected, say)."""
    message = get_message(session=session, principal=principal, message_id=message_id)
    require(session, principal, "edit", message)
    if message.state is not MessageState.FAILED:
        raise Conflict(f"{OBJECT_TYPE} {message_id} is {message.state.value}, not failed")
    before = {"state": message.state.value, "attempts": message.attempts}
    message.state = MessageState.QUEUED
    message.attempts = 0
    message.next_attempt_at = clock.now()
    audit.record(
        session=session,
        principal=principal,
        action="outbox.retry_requested",
        object_type=OBJECT_TYPE,
        object_id=message.id,
        before=before,
        after={"state": message.state.value},
        owner_cert_id=message.owner_cert_id,
    )
    return message
