"""Demo data of the findings loop: two days of small Shadowserver reports (accessible HTTP
and open RDP) naming hosts inside demo organisations' prefixes, ingested through the feeds
service, notified, answered by some organisations, and followed to verified fixes.

The demo cannot count on an imported Shadowserver schema, so its reports are read by
:class:`DemoReportParser`: the few columns these two report types need, classified as
Shadowserver's schema classifies them. Running the seed again changes nothing.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO

from sqlalchemy.orm import Session

from certnet.constituency import service as constituency
from certnet.constituency.models import ResourceKind
from certnet.core.access import Principal
from certnet.core.errors import Conflict, Invalid
from certnet.feeds import service as feeds
from certnet.feeds.batch import ParsedBatch, Rejected
from certnet.findings import service
from certnet.findings.models import FindingState
from certnet.findings.schemas import SuppressionCreate
from certnet.identity import service as identity

SEED = 20231
#: Organisations named in the reports (besides the demo bank, always included).
ORGANISATIONS = 40
HEADER = ("timestamp", "severity", "ip", "protocol", "port", "hostname", "tag", "asn", "geo")


@dataclass(frozen=True)
class DemoReport:
    """One report type of the demo: its classification, as Shadowserver's schema gives it."""

    report_type: str
    taxonomy: str
    classification_type: str
    identifier: str
    application: str
    ports: tuple[int, ...]


REPORTS = (
    DemoReport("scan_http", "other", "other", "accessible-http", "http", (80, 8080, 8000)),
    DemoReport("scan_rdp", "vulnerable", "vulnerable-system", "open-rdp", "rdp", (3389,)),
)


class DemoReportParser:
    """Reads the demo's reports (implements :class:`certnet.feeds.batch.Parser`)."""

    source = "shadowserver"

    def detect(self, filename: str | None, head: bytes) -> str | None:
        for report in REPORTS:
            if filename and f"-{report.report_type}-" in filename:
                return report.report_type
        return None

    def parse(
        self, stream: BinaryIO, *, report_type: str, batch_size: int = 50_000
    ) -> Iterator[ParsedBatch]:
        report = next((r for r in REPORTS if r.report_type == report_type), None)
        if report is None:
            known = ", ".join(r.report_type for r in REPORTS)
            raise Invalid.on("report_type", f"the demo reports are {known}, not {report_type!r}")
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        reader = csv.reader(text)
        header = next(reader, [])
        if tuple(header) != HEADER:
            raise Invalid.on("header", f"expected {','.join(HEADER)}")
        batch = _empty(report_type)
        for line, row in enumerate(reader, start=2):
            raw = ",".join(row)
            if len(row) != len(HEADER):
                batch.rejected.append(Rejected(line, raw, f"expected {len(HEADER)} columns"))
                continue
            cells = dict(zip(HEADER, row, strict=True))
            columns = batch.columns
            columns["time.source"].append(cells["timestamp"] + "+00:00")
            columns["source.ip"].append(cells["ip"])
            columns["source.port"].append(cells["port"])
            columns["source.asn"].append(cells["asn"] or None)
            columns["source.fqdn"].append(cells["hostname"] or None)
            columns["protocol.transport"].append(cells["protocol"])
            columns["protocol.application"].append(report.application)
            columns["classification.taxonomy"].append(report.taxonomy)
            columns["classification.type"].append(report.classification_type)
            columns["classification.identifier"].append(report.identifier)
            columns["severity"].append(cells["severity"])
            batch.extra.append({"tag": cells["tag"], "geo": cells["geo"]})
            batch.lines.append(line)
            batch.raw.append(raw)
        text.detach()
        yield batch


def _empty(report_type: str) -> ParsedBatch:
    names = (
        "time.source",
        "source.ip",
        "source.port",
        "source.asn",
        "source.fqdn",
        "protocol.transport",
        "protocol.application",
        "classification.taxonomy",
        "classification.type",
        "classification.identifier",
        "severity",
    )
    return ParsedBatch(report_type=report_type, columns={n: [] for n in names})


def write_report(hosts: Sequence[tuple[str, int]], seen: datetime) -> bytes:
    """A demo report naming ``hosts`` (address, port), scanned around ``seen``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for position, (ip, port) in enumerate(hosts):
        moment = seen + timedelta(seconds=position * 7)
        writer.writerow(
            (moment.strftime("%Y-%m-%d %H:%M:%S"), "medium", ip, "tcp", port, "", "", "", "PK")
        )
    return out.getvalue().encode()


def _targets(session: Session, principal: Principal, rng: random.Random) -> list[tuple[int, str]]:
    """(organisation, IPv4 prefix) pairs: the demo bank's first, then a sample of others."""
    prefixes: dict[int, str] = {}
    cursor: str | None = None
    while True:
        page = constituency.list_resources(
            session=session,
            principal=principal,
            kind=ResourceKind.PREFIX,
            cursor=cursor,
            limit=1000,
        )
        for resource in page.items:
            if resource.ip_version == 4 and (resource.prefix_length or 0) <= 29:
                prefixes.setdefault(resource.organisation_id, resource.value)
        cursor = page.next_cursor
        if cursor is None:
            break
    chosen = sorted(prefixes)
    rng.shuffle(chosen)
    bank = identity.active_user_named(session=session, username="bank-admin")
    first = [bank.organisation_id] if bank and bank.organisation_id in prefixes else []
    others = [o for o in chosen if o not in first][:ORGANISATIONS]
    return [(org, prefixes[org]) for org in first + others if org is not None]


def _hosts(
    rng: random.Random, prefix: str, count: int, ports: Sequence[int]
) -> list[tuple[str, int]]:
    network = ipaddress.ip_network(prefix)
    span = max(network.num_addresses - 2, 1)
    picked = sorted({rng.randrange(span) + 1 for _ in range(count)})
    return [(str(network.network_address + offset), rng.choice(ports)) for offset in picked]


def _ingest(
    session: Session,
    principal: Principal,
    report: DemoReport,
    day: datetime,
    hosts: list[tuple[str, int]],
) -> None:
    feeds.ingest(
        session=session,
        principal=principal,
        parser=DemoReportParser(),
        stream=io.BytesIO(write_report(hosts, day)),
        filename=f"{day:%Y-%m-%d}-{report.report_type}-pk-demo.csv",
        report_type=report.report_type,
    )


def _answer(
    session: Session, principal: Principal, finding_id: int, action: str, note: str | None = None
) -> None:
    allowed_from, _ = service.TRANSITIONS[action]
    finding = service.get_finding(session=session, principal=principal, finding_id=finding_id)
    if finding.state in allowed_from:
        service.answer(
            session=session, principal=principal, finding_id=finding_id, action=action, note=note
        )


def seed(*, session: Session, principal: Principal, now: datetime) -> str:
    """Two days of demo reports, notifications and answers on the loaded demo network."""
    rng = random.Random(SEED)  # noqa: S311 — repeatable demo data, not a secret
    targets = _targets(session, principal, rng)
    if not targets:
        return "findings: no demo organisation with an IPv4 prefix; nothing seeded"
    day1 = (now - timedelta(days=2)).replace(hour=6, minute=0, second=0, microsecond=0)
    day2 = day1 + timedelta(days=1)
    plans: dict[str, tuple[list[tuple[str, int]], list[tuple[str, int]]]] = {}
    for report in REPORTS:
        first: list[tuple[str, int]] = []
        second: list[tuple[str, int]] = []
        for index, (_, prefix) in enumerate(targets):
            if report.report_type == "scan_rdp" and index % 3:
                continue  # RDP exposed at a third of the organisations
            hosts = _hosts(rng, prefix, rng.randint(1, 5), report.ports)
            first.extend(hosts)
            # About two in five hosts are gone the next day; one newcomer now and then.
            second.extend(h for h in hosts if rng.random() > 0.4)
            if rng.random() < 0.2:
                second.extend(_hosts(rng, prefix, 1, report.ports))
        plans[report.report_type] = (first, sorted(set(second)))
    for report in REPORTS:
        _ingest(session, principal, report, day1, plans[report.report_type][0])
    service.notify_due(session=session, now=day1 + timedelta(hours=2), principal=principal)
    bank_user = identity.active_user_named(session=session, username="bank-admin")
    if bank_user is not None and bank_user.organisation_id is not None:
        bank = identity.principal_for(session=session, user=bank_user)
        mine = service.list_findings(session=session, principal=bank, limit=20).items
        for position, finding in enumerate(sorted(mine, key=lambda f: f.id)):
            if position % 3 == 0:
                _answer(session, bank, finding.id, "acknowledge")
            elif position % 3 == 1:
                _answer(session, bank, finding.id, "fixed", "Service taken off the Internet")
    for report in REPORTS:
        _ingest(session, principal, report, day2, plans[report.report_type][1])
    service.notify_due(session=session, now=day2 + timedelta(hours=2), principal=principal)
    _suppress_one(session, principal, targets)
    return _summary(session, principal)


def _suppress_one(session: Session, principal: Principal, targets: list[tuple[int, str]]) -> None:
    organisation_id, prefix = targets[-1]
    reason = "Demo: research honeypot run by the organisation"
    existing = service.list_rules(session=session, principal=principal, limit=100).items
    if any(rule.reason == reason for rule in existing):
        return
    try:
        service.create_rule(
            session=session,
            principal=principal,
            data=SuppressionCreate(organisation_id=organisation_id, network=prefix, reason=reason),
        )
    except Conflict:
        return


def _summary(session: Session, principal: Principal) -> str:
    counts: dict[str, int] = {}
    cursor: str | None = None
    while True:
        page = service.list_findings(
            session=session, principal=principal, cursor=cursor, limit=1000
        )
        for finding in page.items:
            counts[finding.state.value] = counts.get(finding.state.value, 0) + 1
        cursor = page.next_cursor
        if cursor is None:
            break
    notifications = len(
        service.list_notifications(session=session, principal=principal, limit=1000).items
    )
    parts = ", ".join(
        f"{counts.get(s.value, 0)} {s.value}" for s in FindingState if counts.get(s.value)
    )
    return f"findings: {sum(counts.values())} ({parts}); {notifications} notifications queued"
