"""Claiming many resources at once: the rules of a single claim, checked for all before
anything is written, and one audit entry that lists them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.constituency import service
from certnet.constituency.models import Resource
from certnet.constituency.schemas import ResourceCreate
from certnet.core.errors import Conflict, Forbidden, Invalid
from certnet.core.models import AuditEntry
from tests.factories import build_network


def _claims(*values: str) -> list[ResourceCreate]:
    return [ResourceCreate(value=v) for v in values]


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Resource)) or 0


def test_many_claims_are_stored_and_audited_once(session: Session) -> None:
    net = build_network(session)
    sbp = net.principal(session, "sbp")
    bank = net.orgs["First Bank"].id
    made = service.add_resources(
        session=session,
        principal=sbp,
        organisation_id=bank,
        claims=_claims("198.18.4.0/24", "198.18.4.128/25", "AS64999", "pay.firstbank.example.pk"),
    )
    assert [r.value for r in made] == [
        "198.18.4.0/24",
        "198.18.4.128/25",
        "AS64999",
        "pay.firstbank.example.pk",
    ]
    assert {r.owner_cert_id for r in made} == {net.certs["sbpcert"].id}
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry is not None
    assert (entry.action, entry.object_id) == ("resource.add_many", str(bank))
    assert [c["value"] for c in (entry.after or {})["claims"]] == [r.value for r in made]
    answer = service.responsible_for(session=session, principal=sbp, query="198.18.4.200")
    assert answer.matched == "198.18.4.128/25"


@pytest.mark.parametrize(
    ("values", "error", "field"),
    [
        (("198.18.5.0/24", "203.0.113.0/24"), Conflict, "claims"),  # First Bank already holds it
        (("198.18.5.0/24", "198.18.5.0/24"), Invalid, "claims"),
        (("198.18.5.0/24", "198.18.5.1/24"), Invalid, "claims[1].value"),  # host bits set
    ],
)
def test_one_bad_claim_writes_none(
    session: Session, values: tuple[str, ...], error: type[Exception], field: str
) -> None:
    net = build_network(session)
    before = _count(session)
    with pytest.raises(error) as caught:
        service.add_resources(
            session=session,
            principal=net.principal(session, "sbp"),
            organisation_id=net.orgs["Branch Services"].id,
            claims=_claims(*values),
        )
    assert caught.value.errors[0].field == field  # type: ignore[attr-defined]
    assert _count(session) == before


def test_a_constituent_may_not_claim(session: Session) -> None:
    net = build_network(session)
    with pytest.raises(Forbidden):
        service.add_resources(
            session=session,
            principal=net.principal(session, "bankadmin"),
            organisation_id=net.orgs["First Bank"].id,
            claims=_claims("198.18.6.0/24"),
        )
