"""The e-mail intake: a mail becomes an incident report for the sender's organisation, or is
kept in the quarantine with its reason — never dropped. The SMTP reply says which.

The report itself is made by the incidents service (``report``) with ``channel=email``; this
module reads the mail, finds the organisation, and keeps what it could not use.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.constituency import service as constituency
from certnet.core import access, audit, clock
from certnet.core.access import Principal
from certnet.core.errors import Conflict, DomainError, Invalid, NotFound
from certnet.core.pagination import Page, paginate
from certnet.incidents import service as incidents
from certnet.incidents.intake import senders
from certnet.incidents.intake.mail import MailProblem, ReportMail, hints_of, read_mail
from certnet.incidents.intake.models import QuarantinedMail, QuarantineReason, QuarantineState
from certnet.incidents.intake.reading import report_of
from certnet.incidents.models import Channel, Incident

OBJECT_TYPE = "intake_quarantine"
MIB = 1024 * 1024


@dataclass(frozen=True)
class IntakeLimits:
    """How much the intake takes. A mail over ``max_message_bytes`` is quarantined with its
    first ``keep_raw_bytes``; the SMTP server refuses outright what exceeds twice the limit."""

    max_message_bytes: int = 10 * MIB
    keep_raw_bytes: int = 1 * MIB

    @property
    def smtp_size_limit(self) -> int:
        return 2 * self.max_message_bytes


@dataclass(frozen=True)
class Outcome:
    """What became of one mail, and the SMTP reply that tells the sender."""

    accepted: bool
    reply: str
    incident_id: int | None = None
    reference: str | None = None
    quarantine_id: int | None = None
    reason: QuarantineReason | None = None

    @property
    def code(self) -> int:
        return int(self.reply[:3])


#: reason → (SMTP reply code, enhanced status code, RFC 3463).
REPLY_CODES: dict[QuarantineReason, tuple[int, str]] = {
    QuarantineReason.UNKNOWN_SENDER: (550, "5.7.1"),
    QuarantineReason.AMBIGUOUS_SENDER: (550, "5.7.1"),
    QuarantineReason.NO_BODY: (554, "5.6.0"),
    QuarantineReason.BROKEN_MIME: (554, "5.6.0"),
    QuarantineReason.OVERSIZE: (552, "5.3.4"),
    QuarantineReason.DISALLOWED_ATTACHMENT: (554, "5.6.1"),
    QuarantineReason.REFUSED: (554, "5.6.0"),
}
REPLY_TEXT_MAX = 400


def _reply_text(text: str) -> str:
    # One line of printable ASCII: the reply goes back over SMTP.
    flat = " ".join(text.split()).encode("ascii", "replace").decode("ascii")
    return flat[:REPLY_TEXT_MAX]


def accepted_reply(incident: Incident) -> str:
    return f"250 2.0.0 Accepted as incident {incident.reference}"


def quarantined_reply(entry: QuarantinedMail) -> str:
    code, status = REPLY_CODES[entry.reason]
    return _reply_text(
        f"{code} {status} Not accepted: {entry.detail} (kept for the CERT as intake "
        f"quarantine #{entry.id})"
    )


def _address(value: str) -> str:
    return email.utils.parseaddr(value)[1]


def _header(mail: ReportMail | None, raw: bytes, name: str) -> str:
    if mail is not None:
        return {"from": mail.sender, "subject": mail.subject, "message-id": mail.message_id}[name]
    # An unreadable mail: pick the header out of the raw text as well as can be.
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].decode("utf-8", "replace")
    for line in head.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == name:
            return value.strip()
    return ""


def _quarantine(
    session: Session,
    *,
    raw: bytes,
    envelope_from: str,
    recipients: list[str],
    reason: QuarantineReason,
    detail: str,
    owner_cert_id: int,
    organisation_id: int | None,
    mail: ReportMail | None,
    limits: IntakeLimits,
    now: datetime,
) -> QuarantinedMail:
    digest = hashlib.sha256(raw).hexdigest()
    # The same mail sent again (a retrying server, a resend) is the same quarantined entry.
    again = session.scalar(
        select(QuarantinedMail).where(
            QuarantinedMail.raw_sha256 == digest,
            QuarantinedMail.state == QuarantineState.HELD,
        )
    )
    if again is not None:
        return again
    entry = QuarantinedMail(
        owner_cert_id=owner_cert_id,
        organisation_id=organisation_id,
        received_at=now,
        envelope_from=envelope_from[:320],
        header_from=_header(mail, raw, "from")[:320],
        recipients=", ".join(recipients)[:1000],
        subject=_header(mail, raw, "subject")[:1000],
        message_id=_header(mail, raw, "message-id")[:998],
        reason=reason,
        detail=detail[:2000],
        raw=raw[: limits.keep_raw_bytes],
        raw_size=len(raw),
        raw_sha256=digest,
        state=QuarantineState.HELD,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session=session,
        principal=senders.INTAKE,
        action="intake.quarantine",
        object_type=OBJECT_TYPE,
        object_id=entry.id,
        after={k: v for k, v in audit.snapshot(entry).items() if k != "raw"},
        owner_cert_id=owner_cert_id,
    )
    return entry


def receive(
    *,
    session: Session,
    raw: bytes,
    envelope_from: str,
    recipients: list[str],
    receiving_cert_id: int,
    limits: IntakeLimits | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Turn one received mail into an incident report, or quarantine it with its reason.

    ``receiving_cert_id`` owns what cannot be tied to an organisation; a mail from a known
    sender is quarantined at (and reported to) that organisation's own CERT. Never commits."""
    limits = limits or IntakeLimits()
    now = now or clock.now()
    mail: ReportMail | None = None
    owner, organisation_id = receiving_cert_id, None

    def keep(reason: QuarantineReason, detail: str) -> Outcome:
        entry = _quarantine(
            session,
            raw=raw,
            envelope_from=envelope_from,
            recipients=recipients,
            reason=reason,
            detail=detail,
            owner_cert_id=owner,
            organisation_id=organisation_id,
            mail=mail,
            limits=limits,
            now=now,
        )
        return Outcome(
            accepted=False, reply=quarantined_reply(entry), quarantine_id=entry.id, reason=reason
        )

    def file_with_sender() -> None:
        # Even a mail that cannot be read may name a known sender: file it with their CERT.
        nonlocal owner, organisation_id
        found = senders.resolve(session=session, address=_address(_header(None, raw, "from")))
        if isinstance(found, senders.Sender):
            organisation_id = found.organisation_id
            owner = _cert_of(session, found.organisation_id)

    if len(raw) > limits.max_message_bytes:
        file_with_sender()
        return keep(
            QuarantineReason.OVERSIZE,
            f"the mail is {len(raw)} bytes; the intake takes up to {limits.max_message_bytes}",
        )
    try:
        mail = read_mail(raw, envelope_from=envelope_from)
    except MailProblem as problem:
        file_with_sender()
        return keep(problem.reason, problem.detail)
    found = senders.resolve(session=session, address=mail.sender)
    if isinstance(found, senders.Unresolved):
        reason = (
            QuarantineReason.AMBIGUOUS_SENDER
            if found.ambiguous
            else QuarantineReason.UNKNOWN_SENDER
        )
        return keep(reason, found.detail)
    organisation_id = found.organisation_id
    owner = _cert_of(session, found.organisation_id)
    try:
        data = report_of(
            mail,
            organisation_id=found.organisation_id,
            reporter_name=found.name,
            reporter_email=found.address,
            received_at=now,
        )
        # A savepoint: a refused report leaves nothing half-written behind the quarantine.
        with session.begin_nested():
            incident = incidents.report(
                session=session,
                principal=found.principal,
                data=data,
                channel=Channel.EMAIL,
                now=now,
            )
    except DomainError as exc:
        return keep(QuarantineReason.REFUSED, str(exc))
    return Outcome(
        accepted=True,
        reply=accepted_reply(incident),
        incident_id=incident.id,
        reference=incident.reference,
    )


def _cert_of(session: Session, organisation_id: int) -> int:
    org = constituency.get_organisation(
        session=session, principal=senders.INTAKE, organisation_id=organisation_id
    )
    return org.cert_id


# --- the quarantine, for CERT staff -------------------------------------------------------------


def list_quarantine(
    *,
    session: Session,
    principal: Principal,
    state: QuarantineState | None = QuarantineState.HELD,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[QuarantinedMail]:
    """Quarantined mails the principal's CERT received (or those below it), newest first."""
    stmt = access.scoped(select(QuarantinedMail), principal)
    if state is not None:
        stmt = stmt.where(QuarantinedMail.state == state)
    return paginate(
        session, stmt, keys=[QuarantinedMail.id], cursor=cursor, limit=limit, descending=True
    )


def count_held(*, session: Session, principal: Principal) -> int:
    """How many mails wait in the principal's quarantine."""
    held = access.scoped(select(QuarantinedMail.id), principal).where(
        QuarantinedMail.state == QuarantineState.HELD
    )
    return session.scalar(select(func.count()).select_from(held.subquery())) or 0


def get_quarantined(
    *, session: Session, principal: Principal, quarantine_id: int
) -> QuarantinedMail:
    """One quarantined mail."""
    entry = session.scalar(
        access.scoped(select(QuarantinedMail).where(QuarantinedMail.id == quarantine_id), principal)
    )
    if entry is None:
        raise NotFound(f"intake quarantine {quarantine_id} not found")
    return entry


def _held(session: Session, principal: Principal, quarantine_id: int) -> QuarantinedMail:
    entry = get_quarantined(session=session, principal=principal, quarantine_id=quarantine_id)
    access.require(session, principal, "edit", entry)
    if entry.state is not QuarantineState.HELD:
        raise Conflict(f"intake quarantine {quarantine_id} was already {entry.state.value}")
    return entry


def release(
    *,
    session: Session,
    principal: Principal,
    quarantine_id: int,
    organisation_id: int | None = None,
    now: datetime | None = None,
) -> Incident:
    """Make the held mail a report after fixing what stopped it: ``organisation_id`` assigns
    the organisation (required when the sender was unknown). The mail is read again, leniently:
    a broken structure or a disallowed attachment no longer stops it (the attachment is left
    out and said so on the incident); a hint that cannot be read still does, naming it."""
    now = now or clock.now()
    entry = _held(session, principal, quarantine_id)
    if entry.truncated:
        raise Invalid.on(
            "raw",
            f"only the first {len(entry.raw)} of {entry.raw_size} bytes were kept; ask the "
            "sender to send it again smaller, or report it by hand",
        )
    organisation_id = organisation_id or entry.organisation_id
    if organisation_id is None:
        raise Invalid.on("organisation_id", "choose the organisation the mail reports for")
    org = constituency.get_organisation(
        session=session, principal=principal, organisation_id=organisation_id
    )
    mail, left_out = read_mail_leniently(entry)
    data = report_of(
        mail,
        organisation_id=org.id,
        reporter_name=entry.header_from or entry.envelope_from,
        reporter_email=mail.sender or entry.envelope_from,
        received_at=entry.received_at,
    )
    if left_out:
        data = data.model_copy(
            update={"description": data.description + "\n\n[certnet intake] " + left_out}
        )
    before = {k: v for k, v in audit.snapshot(entry).items() if k != "raw"}
    incident = incidents.report(
        session=session, principal=principal, data=data, channel=Channel.EMAIL, now=now
    )
    entry.state = QuarantineState.RELEASED
    entry.organisation_id = org.id
    entry.incident_id = incident.id
    entry.decided_at = now
    entry.decided_by = principal.name
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="intake.release",
        object_type=OBJECT_TYPE,
        object_id=entry.id,
        before=before,
        after={k: v for k, v in audit.snapshot(entry).items() if k != "raw"},
        owner_cert_id=entry.owner_cert_id,
    )
    return incident


def read_mail_leniently(entry: QuarantinedMail) -> tuple[ReportMail, str]:
    """The mail as well as it can be read, and a note of what had to be left out."""
    try:
        return read_mail(entry.raw, envelope_from=entry.envelope_from), ""
    except MailProblem as problem:
        salvaged = salvage(entry)
        return salvaged, f"released from intake quarantine #{entry.id} ({problem.detail})"


def salvage(entry: QuarantinedMail) -> ReportMail:
    """A report mail out of a raw message the strict reading refused: the text parts that
    decode, no attachments, the subject as the text when there is none."""
    parsed = email.message_from_bytes(entry.raw, policy=email.policy.compat32)
    texts: list[str] = []
    for part in parsed.walk():
        if part.get_content_type() == "text/plain" and part.get_filename() is None:
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                texts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    body = "\n".join(texts).strip() or entry.subject or "(no text; see the original mail)"
    hints, observables = hints_of(body)
    return ReportMail(
        sender=entry.header_from,
        subject=entry.subject,
        message_id=entry.message_id,
        date="",
        body=body,
        attachments=(),
        hints=hints,
        observables=observables,
    )


def dismiss(
    *, session: Session, principal: Principal, quarantine_id: int, note: str
) -> QuarantinedMail:
    """Decide that a held mail is no report (spam, a test): it stays, marked dismissed."""
    if not note.strip():
        raise Invalid.on("note", "say why the mail is no report")
    entry = _held(session, principal, quarantine_id)
    before = {k: v for k, v in audit.snapshot(entry).items() if k != "raw"}
    entry.state = QuarantineState.DISMISSED
    entry.note = note.strip()[:2000]
    entry.decided_at = clock.now()
    entry.decided_by = principal.name
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="intake.dismiss",
        object_type=OBJECT_TYPE,
        object_id=entry.id,
        before=before,
        after={k: v for k, v in audit.snapshot(entry).items() if k != "raw"},
        owner_cert_id=entry.owner_cert_id,
    )
    return entry
