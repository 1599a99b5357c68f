"""Who sees which events, runs and quarantined rows: the one access policy (invariant 1)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from certnet.core.errors import NotFound
from certnet.feeds import service
from tests.factories import Network
from tests.integration.feeds.conftest import Ingest
from tests.integration.feeds.fakes import seen

ROWS = [
    (seen(1), "203.0.113.7", 443, "", "http"),  # First Bank (SBP CERT)
    (seen(1), "203.0.113.200", 443, "", "http"),  # Branch Services (SBP CERT)
    (seen(1), "198.51.100.9", 22, "", "ssh"),  # Telco One (PTA CERT)
    (seen(1), "8.8.8.8", 53, "", "dns"),  # nobody's
    "broken",
]


def _ips(session: Session, net: Network, user: str) -> set[str | None]:
    page = service.list_events(session=session, principal=net.principal(session, user))
    return {e.source_ip for e in page.items}


@pytest.fixture
def run_id(ingest: Ingest) -> int:
    return ingest(ROWS).id


def test_each_principal_sees_the_events_of_its_part_of_the_network(
    session: Session, net: Network, run_id: int
) -> None:
    everything = {"203.0.113.7", "203.0.113.200", "198.51.100.9", "8.8.8.8"}
    assert _ips(session, net, "national") == everything
    assert _ips(session, net, "admin") == everything
    # A sectoral CERT sees its constituents, not what nobody owns.
    assert _ips(session, net, "sbp") == {"203.0.113.7", "203.0.113.200"}
    assert _ips(session, net, "pta") == {"198.51.100.9"}
    # A constituent sees its own organisation only (not the nested Branch Services).
    assert _ips(session, net, "bankreporter") == {"203.0.113.7"}
    assert _ips(session, net, "telco") == {"198.51.100.9"}


def test_unowned_events_are_the_top_certs(session: Session, net: Network, run_id: int) -> None:
    national = net.principal(session, "national")
    unowned = [
        e
        for e in service.list_events(session=session, principal=national).items
        if e.organisation_id is None
    ]
    assert [e.source_ip for e in unowned] == ["8.8.8.8"]
    assert unowned[0].owner_cert_id == net.certs["pkcert"].id


def test_runs_and_quarantine_stay_with_the_running_cert_and_above(
    session: Session, net: Network, run_id: int
) -> None:
    national = net.principal(session, "national")
    assert service.get_run(session=session, principal=national, run_id=run_id).quarantined == 1
    rows = service.list_quarantine(session=session, principal=national, run_id=run_id).items
    assert [(r.line, r.raw, r.reason) for r in rows] == [(6, "broken", "expected 5 columns, got 1")]
    for user in ("sbp", "bankreporter", "telco"):
        principal = net.principal(session, user)
        with pytest.raises(NotFound):
            service.get_run(session=session, principal=principal, run_id=run_id)
        with pytest.raises(NotFound):
            service.list_quarantine(session=session, principal=principal, run_id=run_id)
        assert service.list_runs(session=session, principal=principal).items == []


def test_event_filters_and_keyset_pages(session: Session, net: Network, run_id: int) -> None:
    national = net.principal(session, "national")
    bank = net.orgs["First Bank"].id
    page = service.list_events(session=session, principal=national, organisation_id=bank)
    assert [e.source_ip for e in page.items] == ["203.0.113.7"]
    assert service.list_events(session=session, principal=national, run_id=run_id + 1).items == []
    assert service.list_events(session=session, principal=national, report_type="other").items == []
    assert (
        len(service.list_events(session=session, principal=national, taxonomy="vulnerable").items)
        == 4
    )
    seen_ips: list[str | None] = []
    cursor = None
    while True:
        page = service.list_events(session=session, principal=national, limit=3, cursor=cursor)
        seen_ips.extend(e.source_ip for e in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen_ips) == len(set(seen_ips)) == 4
