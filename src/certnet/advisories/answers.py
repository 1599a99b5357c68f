"""Answers: what each organisation says about an advisory it received, and the CERT's board
of who answered what and who is overdue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from certnet.advisories import dissemination, service
from certnet.advisories.models import AdvisoryAnswer, Dissemination
from certnet.advisories.publisher import public_url
from certnet.advisories.schemas import AnswerBoard, AnswerIn, AnswerRow
from certnet.constituency import service as constituency
from certnet.core import access, audit, clock
from certnet.core.access import Principal
from certnet.core.errors import Forbidden, Invalid, NotFound
from certnet.notifications import service as outbox

#: The board reads the log, not the documents that went out (kilobytes per organisation).
LOG_ONLY = (defer(Dissemination.document), defer(Dissemination.matched_assets))


def received(
    *, session: Session, principal: Principal, advisory_id: int, organisation_id: int | None = None
) -> Dissemination:
    """The latest revision of an advisory an organisation received (the principal's own
    organisation unless named), or NotFound."""
    org_id = organisation_id or principal.organisation_id
    if org_id is None:
        raise Invalid.on("organisation_id", "name the organisation")
    found = session.scalar(
        access.scoped(select(Dissemination), principal)
        .where(Dissemination.advisory_id == advisory_id, Dissemination.organisation_id == org_id)
        .order_by(Dissemination.version.desc())
        .limit(1)
    )
    if found is None:
        raise NotFound(f"advisory {advisory_id} was not sent to organisation {org_id}")
    return found


def get_answer(
    *, session: Session, principal: Principal, advisory_id: int, organisation_id: int
) -> AdvisoryAnswer | None:
    """An organisation's standing answer to an advisory, if it gave one."""
    return session.scalar(
        access.scoped(select(AdvisoryAnswer), principal).where(
            AdvisoryAnswer.advisory_id == advisory_id,
            AdvisoryAnswer.organisation_id == organisation_id,
        )
    )


def answers_for(
    *, session: Session, principal: Principal, organisation_id: int, advisory_ids: list[int]
) -> dict[int, AdvisoryAnswer]:
    """An organisation's standing answers to several advisories (by advisory id), in one query."""
    if not advisory_ids:
        return {}
    stmt = access.scoped(select(AdvisoryAnswer), principal).where(
        AdvisoryAnswer.organisation_id == organisation_id,
        AdvisoryAnswer.advisory_id.in_(sorted(set(advisory_ids))),
    )
    return {a.advisory_id: a for a in session.scalars(stmt)}


def answer(
    *, session: Session, principal: Principal, advisory_id: int, data: AnswerIn
) -> AdvisoryAnswer:
    """Record an organisation's answer (patched, not affected, mitigated, needs help) to an
    advisory it received; a later answer replaces the earlier one (both are audited)."""
    if data.organisation_id is not None and principal.organisation_id not in (
        None,
        data.organisation_id,
    ):
        raise Forbidden("you answer for your own organisation only")
    got = received(
        session=session,
        principal=principal,
        advisory_id=advisory_id,
        organisation_id=data.organisation_id,
    )
    existing = get_answer(
        session=session,
        principal=principal,
        advisory_id=advisory_id,
        organisation_id=got.organisation_id,
    )
    now = clock.now()
    if existing is None:
        row = AdvisoryAnswer(
            advisory_id=advisory_id,
            organisation_id=got.organisation_id,
            owner_cert_id=got.owner_cert_id,
            status=data.status,
            note=data.note.strip(),
            version=got.version,
            answered_at=now,
            answered_by_user_id=principal.user_id,
            answered_by=principal.name,
        )
        session.add(row)
        session.flush()
        access.require_create(session, principal, row)
        before = None
    else:
        access.require(session, principal, "edit", existing)
        before = audit.snapshot(existing)
        row = existing
        row.status = data.status
        row.note = data.note.strip()
        row.version = got.version
        row.answered_at = now
        row.answered_by_user_id = principal.user_id
        row.answered_by = principal.name
        session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="advisory.answer",
        object_type="advisory_answer",
        object_id=row.id,
        before=before,
        after=audit.snapshot(row),
        owner_cert_id=row.owner_cert_id,
    )
    return row


def answer_board(
    *, session: Session, principal: Principal, advisory_id: int, now: datetime | None = None
) -> AnswerBoard:
    """Per targeted organisation (within sight): when it was sent, what it answered, and
    whether it is overdue (no answer and the deadline has passed)."""
    advisory = service.get(session=session, principal=principal, advisory_id=advisory_id)
    moment = now or clock.now()
    latest: dict[int, Dissemination] = {}
    stmt = access.scoped(select(Dissemination).options(*LOG_ONLY), principal).where(
        Dissemination.advisory_id == advisory_id
    )
    for row in session.scalars(stmt.order_by(Dissemination.version)):
        latest[row.organisation_id] = row
    answers = {
        a.organisation_id: a
        for a in session.scalars(
            access.scoped(select(AdvisoryAnswer), principal).where(
                AdvisoryAnswer.advisory_id == advisory_id
            )
        )
    }
    past_deadline = advisory.answer_deadline is not None and moment > advisory.answer_deadline
    rows: list[AnswerRow] = []
    counts: dict[str, int] = {"targeted": 0, "answered": 0, "unanswered": 0, "overdue": 0}
    for org_id, sent in sorted(latest.items(), key=lambda item: item[1].organisation_name):
        given = answers.get(org_id)
        overdue = given is None and past_deadline
        rows.append(
            AnswerRow(
                organisation_id=org_id,
                organisation_name=sent.organisation_name,
                cert_id=sent.owner_cert_id,
                sent_at=sent.sent_at,
                version=sent.version,
                recipients=sent.recipients,
                status=given.status if given else None,
                note=given.note if given else "",
                answered_at=given.answered_at if given else None,
                overdue=overdue,
            )
        )
        counts["targeted"] += 1
        counts["answered" if given else "unanswered"] += 1
        counts["overdue"] += int(overdue)
        if given is not None:
            counts[given.status.value] = counts.get(given.status.value, 0) + 1
    return AnswerBoard(
        advisory_id=advisory.id,
        tracking_id=advisory.tracking_id,
        answer_deadline=advisory.answer_deadline,
        rows=rows,
        counts=counts,
        unanswered_after_deadline=[r.organisation_id for r in rows if r.overdue],
    )


def remind_overdue(*, session: Session, principal: Principal, now: datetime | None = None) -> int:
    """Remind, once, each organisation that has not answered an advisory past its deadline:
    an e-mail from its own CERT through the outbox. Returns how many were reminded; running it
    again reminds nobody twice."""
    moment = now or clock.now()
    reminded = 0
    senders: dict[int, str] = {}
    for advisory in service.past_deadline(session=session, principal=principal, now=moment):
        board = answer_board(
            session=session, principal=principal, advisory_id=advisory.id, now=moment
        )
        waiting = set(board.unanswered_after_deadline)
        if not waiting:
            continue
        latest: dict[int, Dissemination] = {}
        for row in session.scalars(
            access.scoped(select(Dissemination).options(*LOG_ONLY), principal)
            .where(Dissemination.advisory_id == advisory.id)
            .order_by(Dissemination.version)
        ):
            latest[row.organisation_id] = row
        done: list[int] = []
        for org_id in sorted(waiting):
            sent = latest[org_id]
            if sent.reminded_at is not None:
                continue
            emails = sorted(
                {
                    c.email
                    for c in constituency.recipients(
                        session=session, principal=principal, organisation_id=org_id
                    )
                }
            )
            if emails:
                outbox.enqueue(
                    session,
                    key=f"advisory:{advisory.id}:reminder:org:{org_id}",
                    to=emails,
                    subject=f"[TLP:{advisory.tlp.value}] Reminder: {advisory.tracking_id}: "
                    f"{advisory.title}",
                    text=_reminder_text(advisory.tracking_id, advisory.title, advisory.id, sent),
                    owner_cert_id=sent.owner_cert_id,
                    object_type="advisory",
                    object_id=advisory.id,
                    ticket=advisory.tracking_id,
                    organisation_id=org_id,
                    sender=dissemination.sender_of(session, sent.owner_cert_id, senders),
                )
            sent.reminded_at = moment
            done.append(org_id)
        if done:
            session.flush()
            audit.record(
                session=session,
                principal=principal,
                action="advisory.remind",
                object_type="advisory",
                object_id=advisory.id,
                after={"reminded": done, "deadline": advisory.answer_deadline},
                owner_cert_id=advisory.owner_cert_id,
            )
            reminded += len(done)
    return reminded


def _reminder_text(tracking_id: str, title: str, advisory_id: int, sent: Dissemination) -> str:
    label = f"TLP:{sent.tlp.value}"
    return "\n".join(
        [
            label,
            "",
            f"Reminder: {tracking_id}: {title}",
            "",
            f"We sent you this advisory on {sent.sent_at:%Y-%m-%d %H:%M} UTC and have not had",
            "your answer by its deadline. Please tell us where you stand (patched, not affected,",
            "mitigated, or needs help):",
            f"{public_url()}/advisories/{advisory_id}",
            "",
            label,
        ]
    )
