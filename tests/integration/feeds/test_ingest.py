"""Ingestion: every row accounted for, enrichment by the most specific claim, quarantine with
reasons, one audit entry per run, and unknown report types refused by name."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.core.errors import Forbidden, Invalid
from certnet.core.models import AuditEntry
from certnet.feeds import service
from certnet.feeds.models import Event, FeedRun, QuarantinedRow, RunState
from tests.factories import Network
from tests.integration.feeds.conftest import Ingest
from tests.integration.feeds.fakes import REPORT_TYPE, ScanTestParser, report, seen


def _events(session: Session) -> dict[str, Event]:
    return {e.source_ip or "": e for e in session.scalars(select(Event))}


def test_rows_are_stored_enriched_or_quarantined_with_reasons(
    session: Session, net: Network, ingest: Ingest
) -> None:
    summary = ingest(
        [
            (seen(1), "203.0.113.7", 443, "www.firstbank.example.pk", "http"),
            (seen(1), "203.0.113.200", 443, "", "http"),  # the nested /25: Branch Services
            (seen(1), "2001:db8:100::1", 22, "", "ssh"),
            (seen(1), "198.51.100.9", 3389, "", "rdp"),
            (seen(1), " 8.8.8.8 ", 53, "", "dns"),  # nobody's: kept, unowned
            (seen(1), "not-an-address", 80, "", "http"),
            (seen(1), "203.0.113.8", 70000, "", "http"),
            (seen(1), "203.0.113.9", 80, "h" * 300, "http"),
            "broken,row",
            (seen(1), "203.0.113.7", 443, "www.firstbank.example.pk", "http"),  # again
            (seen(1), "2001:DB8:200:0:0:0:0:5", 25, "", "extra"),
        ]
    )
    assert (summary.rows, summary.stored, summary.duplicates, summary.quarantined) == (11, 6, 1, 4)
    assert summary.unowned == 1
    assert summary.accounted
    assert summary.state is RunState.FINISHED
    assert summary.owner_cert_id == net.certs["pkcert"].id

    events = _events(session)
    assert set(events) == {
        "203.0.113.7",
        "203.0.113.200",
        "2001:db8:100::1",
        "198.51.100.9",
        "8.8.8.8",
        "2001:db8:200::5",
    }
    bank, branch = events["203.0.113.7"], events["203.0.113.200"]
    assert bank.organisation_id == net.orgs["First Bank"].id
    assert bank.owner_cert_id == net.certs["sbpcert"].id
    assert (bank.sector, bank.cii) == ("banking", True)
    assert (bank.ip_version, bank.ip_hex) == (4, "cb007107")
    assert bank.source_fqdn == "www.firstbank.example.pk"
    assert (bank.classification_taxonomy, bank.classification_identifier) == ("vulnerable", "http")
    assert bank.data == {}  # every field of this report has a typed column
    assert branch.organisation_id == net.orgs["Branch Services"].id
    assert branch.cii is False
    v6 = events["2001:db8:100::1"]
    assert v6.organisation_id == net.orgs["First Bank"].id
    assert (v6.ip_version, v6.ip_hex) == (6, "20010db8010000000000000000000001")
    assert events["198.51.100.9"].owner_cert_id == net.certs["ptacert"].id
    assert events["2001:db8:200::5"].data["extra"] == {"line_tag": "extra"}
    unowned = events["8.8.8.8"]
    assert unowned.organisation_id is None
    assert unowned.owner_cert_id == net.certs["pkcert"].id

    page = service.list_quarantine(
        session=session, principal=net.principal(session, "national"), run_id=summary.id
    )
    found = [(row.line, row.field, row.reason, row.raw) for row in page.items]
    assert found == [
        (
            7,
            "source.ip",
            "not an IP address: 'not-an-address'",
            f"{seen(1)},not-an-address,80,,http",
        ),
        (8, "source.port", "70000 is outside 0..65535", f"{seen(1)},203.0.113.8,70000,,http"),
        (
            9,
            "source.fqdn",
            "longer than 255 characters (300)",
            f"{seen(1)},203.0.113.9,80,{'h' * 300},http",
        ),
        (10, None, "expected 5 columns, got 2", "broken,row"),
    ]


def test_one_audit_entry_per_run_with_its_summary(
    session: Session, net: Network, ingest: Ingest
) -> None:
    before = session.scalar(select(func.count()).select_from(AuditEntry))
    summary = ingest([(seen(h), f"203.0.113.{h}", 80, "", "http") for h in range(1, 30)])
    # The feed pipeline's own entries (what other domains derive from the run audits itself).
    entries = list(
        session.scalars(
            select(AuditEntry).where(
                AuditEntry.seq > (before or 0), AuditEntry.action.startswith("feed_run.")
            )
        )
    )
    assert [(e.action, e.object_type, e.object_id) for e in entries] == [
        ("feed_run.ingest", "feed_run", str(summary.id))
    ]
    assert entries[0].after is not None
    assert entries[0].after["stored"] == 29
    assert entries[0].owner_cert_id == net.certs["pkcert"].id


def test_unknown_report_type_is_refused_by_name_and_writes_nothing(
    session: Session, ingest: Ingest
) -> None:
    with pytest.raises(Invalid) as refused:
        ingest([(seen(1), "203.0.113.7", 80, "", "http")], report_type="scan_nothing")
    assert "scan_nothing" in str(refused.value)
    assert REPORT_TYPE in str(refused.value)
    with pytest.raises(Invalid) as undetected:
        ingest(b"when,where\n1,2\n")
    assert "report type" in str(undetected.value)
    assert session.scalar(select(func.count()).select_from(FeedRun)) == 0


def test_constituents_may_not_ingest(session: Session, ingest: Ingest) -> None:
    with pytest.raises(Forbidden):
        ingest([(seen(1), "203.0.113.7", 80, "", "http")], user="bankadmin")
    assert session.scalar(select(func.count()).select_from(FeedRun)) == 0


def test_a_sectoral_run_belongs_to_its_cert(session: Session, net: Network, ingest: Ingest) -> None:
    summary = ingest([(seen(1), "198.51.100.9", 80, "", "http")], user="sbp")
    assert summary.owner_cert_id == net.certs["sbpcert"].id
    # The event itself goes to the CERT of the organisation it concerns.
    event = session.scalars(select(Event)).one()
    assert event.owner_cert_id == net.certs["ptacert"].id
    pta = net.principal(session, "pta")
    assert [r.id for r in service.list_runs(session=session, principal=pta).items] == []
    events = service.list_events(session=session, principal=pta).items
    assert [e.id for e in events] == [event.id]


def test_quarantine_of_a_run_out_of_sight_is_not_found(
    session: Session, net: Network, ingest: Ingest
) -> None:
    summary = ingest(["broken"])
    assert summary.quarantined == 1
    with pytest.raises(Exception, match="not found"):
        service.list_quarantine(
            session=session, principal=net.principal(session, "sbp"), run_id=summary.id
        )


def test_huge_original_lines_are_kept_clipped(session: Session, ingest: Ingest) -> None:
    summary = ingest(["x" * 70_000])
    assert summary.quarantined == 1
    row = session.scalars(select(QuarantinedRow)).one()
    assert row.raw.startswith("x" * 65_536)
    assert row.raw.endswith("[4464 more characters not kept]")


def test_empty_report_is_a_finished_run_of_nothing(session: Session, net: Network) -> None:
    summary = service.ingest(
        session=session,
        principal=net.principal(session, "national"),
        parser=ScanTestParser(),
        stream=io.BytesIO(report([])),
        filename="empty.csv",
    )
    assert (summary.rows, summary.stored, summary.accounted) == (0, 0, True)
