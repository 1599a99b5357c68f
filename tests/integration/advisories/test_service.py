"""Authoring, publishing and targeted dissemination, answers and the answer board — on SQLite
and PostgreSQL, through the services with real principals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.advisories import answers, csaf_checks, dissemination, service
from certnet.advisories.models import Advisory, AdvisoryStatus, AnswerStatus
from certnet.advisories.schemas import AdvisoryCreate, AdvisoryUpdate, AnswerIn, PublishRequest
from certnet.core import clock
from certnet.core.errors import Forbidden, Invalid, NotFound
from certnet.core.models import AuditEntry
from certnet.core.tlp import Tlp
from certnet.notifications.models import OutboxMessage
from tests.factories import Network
from tests.integration.advisories.conftest import advisory_data
from tests.unit.advisories.csaf_judge import csaf_errors


def _create(
    session: Session, net: Network, username: str = "national", **overrides: object
) -> Advisory:
    return service.create(
        session=session,
        principal=net.principal(session, username),
        data=AdvisoryCreate.model_validate(advisory_data(**overrides)),
    )


def _publish(
    session: Session, net: Network, advisory: Advisory, username: str = "national", **data: object
) -> service.Published:
    return service.publish(
        session=session,
        principal=net.principal(session, username),
        advisory_id=advisory.id,
        data=PublishRequest.model_validate(data),
    )


def test_tracking_ids_follow_the_publishers_namespace(session: Session, net: Network) -> None:
    year = clock.now().year
    first = _create(session, net)
    second = _create(session, net)
    sectoral = _create(session, net, "sbp")
    assert first.tracking_id == f"PKCERT-{year}-0001"
    assert second.tracking_id == f"PKCERT-{year}-0002"
    assert sectoral.tracking_id == f"SBPCERT-{year}-0001"
    assert sectoral.owner_cert_id == net.certs["sbpcert"].id
    assert first.status is AdvisoryStatus.DRAFT
    assert first.version == 0
    created = session.scalars(
        select(AuditEntry.object_id).where(AuditEntry.action == "advisory.create")
    ).all()
    assert sorted(created) == sorted(str(a.id) for a in (first, second, sectoral))


def test_a_constituent_may_not_author(session: Session, net: Network) -> None:
    with pytest.raises(Forbidden):
        _create(session, net, "bankadmin")


def test_drafts_stay_with_the_publisher_until_published(session: Session, net: Network) -> None:
    draft = _create(session, net, "sbp")
    for outsider in ("bankadmin", "pta"):
        with pytest.raises(NotFound):
            service.get(
                session=session,
                principal=net.principal(session, outsider),
                advisory_id=draft.id,
            )
    # The National CERT above sees its sectoral CERT's drafts.
    assert service.get(
        session=session, principal=net.principal(session, "national"), advisory_id=draft.id
    )
    _publish(session, net, draft, "sbp")
    bank_view = service.get(
        session=session, principal=net.principal(session, "bankadmin"), advisory_id=draft.id
    )
    assert bank_view.version == 1
    # AMBER does not cross to another sector's CERT.
    with pytest.raises(NotFound):
        service.get(session=session, principal=net.principal(session, "pta"), advisory_id=draft.id)


def test_publish_reaches_exactly_the_organisations_whose_assets_match(
    session: Session, net: Network
) -> None:
    advisory = _create(session, net)
    done = _publish(session, net, advisory)
    targeted = {d.organisation_id for d in done.disseminations}
    assert targeted == {net.orgs["First Bank"].id, net.orgs["Punjab IT Board"].id}
    assert done.revision.number == 1
    assert done.advisory.status is AdvisoryStatus.FINAL
    # Each organisation gets one message, from its own CERT, to its security contact.
    messages = session.scalars(
        select(OutboxMessage).where(OutboxMessage.object_type == "advisory")
    ).all()
    assert {m.organisation_id for m in messages} == targeted
    bank_message = next(m for m in messages if m.organisation_id == net.orgs["First Bank"].id)
    assert bank_message.owner_cert_id == net.certs["sbpcert"].id
    assert bank_message.recipients == ["soc@first-bank.example.pk"]
    assert bank_message.subject.startswith(f"[TLP:AMBER] {advisory.tracking_id}")
    assert "Acme Gateway 2.3.0" in bank_message.text
    bank = next(d for d in done.disseminations if d.organisation_id == net.orgs["First Bank"].id)
    assert bank.owner_cert_id == net.certs["sbpcert"].id
    assert bank.publisher_cert_id == net.certs["pkcert"].id
    assert [a["version"] for a in bank.matched_assets] == ["2.3.0"]
    # What went out validates as CSAF and passes the mandatory tests.
    assert csaf_errors(done.revision.document) == []
    assert csaf_checks.run(done.revision.document) == []
    assert bank.document == done.revision.document
    published = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "advisory.publish")
    ).one()
    assert published.after is not None
    assert sorted(published.after["disseminated_to"]) == sorted(targeted)


def test_a_sectoral_cert_reaches_only_its_own_constituency(session: Session, net: Network) -> None:
    advisory = _create(session, net, "sbp")
    done = _publish(session, net, advisory, "sbp")
    assert [d.organisation_id for d in done.disseminations] == [net.orgs["First Bank"].id]


def test_a_new_revision_goes_out_again_and_the_marking_never_drops(
    session: Session, net: Network
) -> None:
    advisory = _create(session, net)
    _publish(session, net, advisory, status="interim")
    national = net.principal(session, "national")
    with pytest.raises(Invalid) as nothing:
        _publish(session, net, advisory, status="interim", summary="again")
    assert nothing.value.errors[0].field == "status"
    with pytest.raises(Invalid) as lowered:
        service.update(
            session=session,
            principal=national,
            advisory_id=advisory.id,
            data=AdvisoryUpdate(tlp=Tlp.GREEN),
        )
    assert lowered.value.errors[0].field == "tlp"
    service.update(
        session=session,
        principal=national,
        advisory_id=advisory.id,
        data=AdvisoryUpdate(summary="Exploited in the wild since 2026-11-20."),
    )
    second = _publish(session, net, advisory, status="final", summary="Exploitation seen.")
    assert second.revision.number == 2
    history = second.revision.document["document"]["tracking"]["revision_history"]
    assert [h["number"] for h in history] == ["1", "2"]
    assert csaf_errors(second.revision.document) == []
    assert len(second.disseminations) == 2
    keys = session.scalars(
        select(OutboxMessage.key).where(OutboxMessage.object_type == "advisory")
    ).all()
    assert len(keys) == 4
    assert all(k.startswith(f"advisory:{advisory.id}:v") for k in keys)


def test_a_document_failing_a_mandatory_test_is_not_published(
    session: Session, net: Network
) -> None:
    # A VEX document must say what to do about each affected product (6.1.27.10).
    advisory = _create(session, net, category="csaf_vex", remediations=[])
    with pytest.raises(Invalid) as refused:
        _publish(session, net, advisory)
    assert [e.field for e in refused.value.errors] == ["6.1.27.10"]
    session.refresh(advisory)
    assert advisory.version == 0
    assert session.scalars(select(OutboxMessage)).all() == []


def test_answers_and_who_is_overdue(session: Session, net: Network) -> None:
    deadline = clock.now() + timedelta(days=3)
    advisory = _create(session, net, answer_deadline=deadline.isoformat())
    _publish(session, net, advisory)
    bank = net.principal(session, "bankadmin")
    given = answers.answer(
        session=session,
        principal=bank,
        advisory_id=advisory.id,
        data=AnswerIn(status=AnswerStatus.PATCHED, note="Updated to 2.4.1 on all gateways"),
    )
    assert given.organisation_id == net.orgs["First Bank"].id
    assert given.version == 1
    # Telco One runs a fixed version: it was not sent the advisory and cannot answer it.
    with pytest.raises(NotFound):
        answers.answer(
            session=session,
            principal=net.principal(session, "telco"),
            advisory_id=advisory.id,
            data=AnswerIn(status=AnswerStatus.NOT_AFFECTED),
        )
    with pytest.raises(Forbidden):
        answers.answer(
            session=session,
            principal=bank,
            advisory_id=advisory.id,
            data=AnswerIn(status=AnswerStatus.PATCHED, organisation_id=net.orgs["Telco One"].id),
        )
    national = net.principal(session, "national")
    before = answers.answer_board(session=session, principal=national, advisory_id=advisory.id)
    assert [(r.organisation_name, r.status) for r in before.rows] == [
        ("First Bank", AnswerStatus.PATCHED),
        ("Punjab IT Board", None),
    ]
    assert before.unanswered_after_deadline == []
    after = answers.answer_board(
        session=session,
        principal=national,
        advisory_id=advisory.id,
        now=deadline + timedelta(minutes=1),
    )
    assert after.unanswered_after_deadline == [net.orgs["Punjab IT Board"].id]
    assert after.counts["overdue"] == 1
    assert after.counts["patched"] == 1
    # A later answer replaces the earlier one; both are in the audit chain.
    answers.answer(
        session=session,
        principal=net.principal(session, "bankreporter"),
        advisory_id=advisory.id,
        data=AnswerIn(status=AnswerStatus.NEEDS_HELP, note="Rollback failed on one site"),
    )
    board = answers.answer_board(session=session, principal=national, advisory_id=advisory.id)
    assert board.rows[0].status is AnswerStatus.NEEDS_HELP
    audited = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "advisory.answer")
    ).all()
    assert len(audited) == 2
    # The sectoral CERT sees only its constituent's row.
    sectoral = answers.answer_board(
        session=session, principal=net.principal(session, "sbp"), advisory_id=advisory.id
    )
    assert [r.organisation_name for r in sectoral.rows] == ["First Bank"]


def test_red_advisories_reach_only_the_named_organisations(session: Session, net: Network) -> None:
    advisory = _create(session, net, tlp="RED")
    _publish(session, net, advisory)
    seen = service.get(
        session=session, principal=net.principal(session, "bankadmin"), advisory_id=advisory.id
    )
    assert seen.tlp is Tlp.RED
    for outsider in ("telco", "sbp"):
        with pytest.raises(NotFound):
            service.get(
                session=session, principal=net.principal(session, outsider), advisory_id=advisory.id
            )


def test_the_dissemination_log_is_scoped(session: Session, net: Network) -> None:
    advisory = _create(session, net)
    _publish(session, net, advisory)
    mine = dissemination.disseminations(
        session=session, principal=net.principal(session, "bankadmin")
    )
    assert [d.organisation_id for d in mine.items] == [net.orgs["First Bank"].id]
    none = dissemination.disseminations(session=session, principal=net.principal(session, "telco"))
    assert none.items == []
    everything = dissemination.disseminations(
        session=session, principal=net.principal(session, "national")
    )
    assert len(everything.items) == 2


def test_overdue_organisations_are_reminded_once(session: Session, net: Network) -> None:
    deadline = clock.now() + timedelta(days=1)
    advisory = _create(session, net, answer_deadline=deadline.isoformat())
    _publish(session, net, advisory)
    answers.answer(
        session=session,
        principal=net.principal(session, "bankadmin"),
        advisory_id=advisory.id,
        data=AnswerIn(status=AnswerStatus.PATCHED),
    )
    system = net.principal(session, "admin")
    # Before the deadline, nobody is reminded.
    assert answers.remind_overdue(session=session, principal=system) == 0
    later = deadline + timedelta(hours=2)
    assert answers.remind_overdue(session=session, principal=system, now=later) == 1
    assert answers.remind_overdue(session=session, principal=system, now=later) == 0
    reminders = session.scalars(
        select(OutboxMessage).where(OutboxMessage.key.like(f"advisory:{advisory.id}:reminder:%"))
    ).all()
    assert [m.organisation_id for m in reminders] == [net.orgs["Punjab IT Board"].id]
    assert reminders[0].recipients == ["soc@punjab-it-board.example.pk"]
    assert "Reminder" in reminders[0].subject
    assert reminders[0].owner_cert_id == net.certs["punjabcert"].id
    logged = session.scalars(select(AuditEntry).where(AuditEntry.action == "advisory.remind")).one()
    assert logged.after is not None
    assert logged.after["reminded"] == [net.orgs["Punjab IT Board"].id]


def test_a_cert_may_record_an_answer_for_its_own_constituent_only(
    session: Session, net: Network
) -> None:
    advisory = _create(session, net)
    _publish(session, net, advisory)
    on_behalf = answers.answer(
        session=session,
        principal=net.principal(session, "sbp"),
        advisory_id=advisory.id,
        data=AnswerIn(
            status=AnswerStatus.MITIGATED,
            note="Told us by phone",
            organisation_id=net.orgs["First Bank"].id,
        ),
    )
    assert on_behalf.answered_by == "sbp"
    with pytest.raises(NotFound):
        answers.answer(
            session=session,
            principal=net.principal(session, "pta"),
            advisory_id=advisory.id,
            data=AnswerIn(status=AnswerStatus.PATCHED, organisation_id=net.orgs["First Bank"].id),
        )
    with pytest.raises(Forbidden):
        answers.answer(
            session=session,
            principal=net.principal(session, "auditor"),
            advisory_id=advisory.id,
            data=AnswerIn(status=AnswerStatus.PATCHED, organisation_id=net.orgs["First Bank"].id),
        )


def test_the_publisher_follows_up_an_amber_strict_advisory(session: Session, net: Network) -> None:
    advisory = _create(session, net, tlp="AMBER+STRICT")
    _publish(session, net, advisory)
    board = answers.answer_board(
        session=session, principal=net.principal(session, "national"), advisory_id=advisory.id
    )
    assert [r.organisation_name for r in board.rows] == ["First Bank", "Punjab IT Board"]
    # The organisation sees what it received; another organisation does not.
    got = answers.received(
        session=session, principal=net.principal(session, "bankadmin"), advisory_id=advisory.id
    )
    assert got.log_tlp is Tlp.AMBER_STRICT
    with pytest.raises(NotFound):
        answers.received(
            session=session,
            principal=net.principal(session, "telco"),
            advisory_id=advisory.id,
        )
