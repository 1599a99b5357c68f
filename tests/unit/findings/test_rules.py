"""Pure parts of the loop: notification periods, ticket numbers, finding identity, the
answer table, suppression matching, open findings over time, and the plots' geometry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from hypothesis import given
from hypothesis import strategies as st

from certnet.core.access import CertTree
from certnet.findings import plots, remediation
from certnet.findings.answers import CERT_ONLY, TRANSITIONS
from certnet.findings.models import FindingState, Interval, SuppressionRule
from certnet.findings.notify import period_of, ticket_for
from certnet.findings.suppressions import Matcher
from certnet.findings.tracking import finding_key

NOW = datetime(2026, 11, 29, 17, 5, 42, tzinfo=UTC)  # a Sunday, ISO week 48


def test_periods_and_tickets() -> None:
    assert period_of(Interval.DAILY, NOW) == "2026-11-29"
    assert period_of(Interval.WEEKLY, NOW) == "2026-W48"
    assert period_of(Interval.WEEKLY, NOW + timedelta(days=1)) == "2026-W49"
    assert period_of(Interval.IMMEDIATE, NOW) == "2026-11-29T17:05"
    assert ticket_for(42, NOW) == "FND-2026-000042"


def test_finding_identity_separates_every_part() -> None:
    base = finding_key(1, "shadowserver", "scan_http", "accessible-http", "203.0.113.5", 80)
    assert len(base) == 64
    others = {
        finding_key(2, "shadowserver", "scan_http", "accessible-http", "203.0.113.5", 80),
        finding_key(1, "stix", "scan_http", "accessible-http", "203.0.113.5", 80),
        finding_key(1, "shadowserver", "scan_rdp", "accessible-http", "203.0.113.5", 80),
        finding_key(1, "shadowserver", "scan_http", "open-rdp", "203.0.113.5", 80),
        finding_key(1, "shadowserver", "scan_http", "accessible-http", "203.0.113.6", 80),
        finding_key(1, "shadowserver", "scan_http", "accessible-http", "203.0.113.5", 8080),
        finding_key(1, "shadowserver", "scan_http", "accessible-http", "203.0.113.5", None),
    }
    assert base not in others
    assert len(others) == 7


def test_the_answer_table() -> None:
    assert set(TRANSITIONS) == {"acknowledge", "fixed", "verify", "reopen"}
    assert {"verify", "reopen"} == CERT_ONLY
    for allowed_from, to_state in TRANSITIONS.values():
        assert to_state not in allowed_from
    assert FindingState.VERIFIED not in TRANSITIONS["fixed"][0]
    assert TRANSITIONS["reopen"][0] == {FindingState.FIXED, FindingState.VERIFIED}


def _rule(**values: Any) -> SuppressionRule:
    defaults: dict[str, Any] = {
        "owner_cert_id": 1,
        "organisation_id": None,
        "report_type": None,
        "network": None,
        "ip_version": None,
        "first_address": None,
        "last_address": None,
    }
    defaults.update(values)
    return cast(SuppressionRule, SimpleNamespace(**defaults))


def test_suppression_matching() -> None:
    tree = CertTree.from_pairs([(1, None), (2, 1), (3, 1)])
    by_network = _rule(
        owner_cert_id=2, network="203.0.113.0/28", ip_version=4,
        first_address="cb007100", last_address="cb00710f",
    )  # fmt: skip
    by_org_type = _rule(owner_cert_id=3, organisation_id=9, report_type="scan_rdp")
    matcher = Matcher(rules=[by_network, by_org_type], tree=tree)

    def match(
        org: int, cert: int, report: str, hexed: str | None, version: int | None = 4
    ) -> object:
        return matcher.match(
            organisation_id=org,
            owner_cert_id=cert,
            report_type=report,
            ip_version=version,
            ip_hex=hexed,
        )

    assert match(5, 2, "scan_http", "cb007105") is by_network
    assert match(5, 2, "scan_http", "cb007110") is None  # outside the /28
    assert match(5, 3, "scan_http", "cb007105") is None  # another CERT's constituency
    assert match(5, 2, "scan_http", "cb007105", version=6) is None
    assert match(9, 3, "scan_rdp", None) is by_org_type
    assert match(9, 3, "scan_http", None) is None


def _day(offset: int) -> datetime:
    return datetime(2026, 11, 1, 12, tzinfo=UTC) + timedelta(days=offset)


def test_open_findings_over_time() -> None:
    spans = [
        *remediation._open_spans(FindingState.VERIFIED, _day(0), _day(2), None),
        *remediation._open_spans(FindingState.NOTIFIED, _day(1), None, None),
        # Verified on day 3, back on day 5 and still open.
        *remediation._open_spans(FindingState.REOPENED, _day(1), _day(3), _day(5)),
    ]
    counts = dict(remediation._open_by_day(spans, date(2026, 11, 7), days=8))
    assert [counts[date(2026, 11, d)] for d in range(1, 8)] == [1, 3, 2, 1, 1, 2, 2]
    assert counts[date(2026, 10, 31)] == 0


@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), max_size=30))
def test_the_open_count_never_goes_below_zero_and_ends_at_the_open_spans(
    pairs: list[tuple[int, int]],
) -> None:
    spans = [(_day(a), _day(a + b) if b else None) for a, b in pairs]
    today = _day(25).date()
    series = remediation._open_by_day(spans, today, days=30)
    assert all(count >= 0 for _, count in series)
    still_open = sum(1 for _, end in spans if end is None or end.date() > today)
    assert series[-1][1] == still_open


def test_bar_and_line_geometry() -> None:
    chart = plots.bar_chart([("a", 1.0, "100%", ""), ("b", 0.25, "25%", "")], scale_max=1.0)
    assert [b.width for b in chart.bars] == [plots.BAR_AREA, plots.BAR_AREA / 4]
    assert [b.y for b in chart.bars] == [0, plots.ROW_HEIGHT]
    empty = plots.bar_chart([])
    assert empty.bars == []
    line = plots.line_chart([(date(2026, 11, d), v) for d, v in ((1, 0), (2, 7), (3, 3))])
    assert line.path.startswith(f"M{float(plots.MARGIN_LEFT)},{line.bottom} ")
    assert line.last_value == 3
    assert line.y_ticks[0].label == "0"
    assert int(line.y_ticks[-1].label) >= 7
    assert line.area.endswith("Z")
