"""The storage pipeline behind the real Shadowserver parser: a committed sample report is
stored, enriched and accounted for, and ingesting it again changes nothing."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.feeds import service
from certnet.feeds.models import Event
from certnet.feeds.parsers.schema_store import load_schema
from certnet.feeds.parsers.shadowserver import ShadowserverParser
from certnet.feeds.schemas import FeedRunSummary
from tests.factories import Network
from tests.shared_data import FEED_SAMPLES, shadowserver_file

SAMPLE = FEED_SAMPLES / "2024-02-05-scan_http-pk-geo.csv"


@pytest.fixture(scope="module")
def parser() -> ShadowserverParser:
    schema = shadowserver_file("intelmq.json")
    return ShadowserverParser(load_schema(schema))


def test_a_shadowserver_report_is_stored_enriched_and_accounted_for(
    session: Session, net: Network, parser: ShadowserverParser
) -> None:
    content = SAMPLE.read_bytes()
    national = net.principal(session, "national")

    def ingest() -> FeedRunSummary:
        return service.ingest(
            session=session,
            principal=national,
            parser=parser,
            stream=io.BytesIO(content),
            filename=SAMPLE.name,
        )

    summary = ingest()
    lines = [line for line in content.decode().splitlines()[1:] if line.strip()]
    assert summary.report_type == "scan_http"
    assert summary.rows == len(lines)
    assert summary.accounted
    assert summary.stored > 0
    events = {e.source_ip: e for e in session.scalars(select(Event))}
    punjab = events["192.0.2.10"]
    assert punjab.organisation_id == net.orgs["Punjab IT Board"].id
    assert punjab.owner_cert_id == net.certs["punjabcert"].id
    assert (punjab.source_port, punjab.classification_identifier) == (80, "accessible-http")
    assert punjab.data  # the report's other columns are kept
    assert ingest().already_ingested
