"""A crash anywhere in a day's work — mid-ingest, or after the notifications are committed
and before they are sent — followed by a re-run: no event or finding lost or doubled, and no
mail sent twice. The worker is a real process, killed with SIGKILL.

SQLite only: the killed process must commit into a database of its own, and the PostgreSQL
test database is shared by the suite's rolled-back transactions.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import Engine, func, select

from certnet.db.session import unit_of_work
from certnet.feeds.models import Event
from certnet.findings.models import Finding, FindingNotification, FindingState
from certnet.notifications.models import MessageState, OutboxMessage
from tests.conftest import SmtpSink
from tests.factories import build_network
from tests.integration.findings.conftest import DAY1, scan_http
from tests.shared_data import REPO, shadowserver_file

# 4,000 hosts over three organisations' prefixes, eight batches of 500.
HOSTS = [
    (f"{net}.{i % 120}", 1000 + i // 120)
    for i in range(4000)
    for net in ("203.0.113", "198.51.100", "192.0.2")
][:4000]
NOW = (DAY1.replace(hour=12)).isoformat()


def _worker(
    engine: Engine, report: Path, sink: SmtpSink, stop: str = ""
) -> subprocess.Popen[bytes]:
    log = report.with_suffix(".log")
    with log.open("ab") as errors:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.integration.findings.crash_worker",
                engine.url.render_as_string(hide_password=False),
                str(shadowserver_file("intelmq.json")),
                str(report),
                str(sink.port),
                NOW,
                stop,
            ],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )


def _log(report: Path) -> str:
    log = report.with_suffix(".log")
    return log.read_text() if log.exists() else ""


def _count(engine: Engine, model: type) -> int:
    with unit_of_work(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_killed_mid_ingest_and_after_notify_then_rerun_loses_and_doubles_nothing(
    cli_database: Engine, tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    with unit_of_work(cli_database) as session:
        build_network(session)
    report = tmp_path / "2026-11-01-scan_http-pk-geo.csv"
    report.write_bytes(scan_http(HOSTS, DAY1))

    # 1. Killed from outside once some batches are committed.
    first = _worker(cli_database, report, smtp_sink)
    deadline = time.monotonic() + 60
    while _count(cli_database, Event) == 0:
        assert first.poll() is None, _log(report)
        assert time.monotonic() < deadline, "the worker stored nothing in a minute"
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    assert first.wait(30) == -signal.SIGKILL
    assert 0 < _count(cli_database, Event) < len(HOSTS)
    assert smtp_sink.messages == []

    # 2. Re-run; it kills itself after committing the notifications, before sending.
    second = _worker(cli_database, report, smtp_sink, stop="after-notify")
    assert second.wait(120) == -signal.SIGKILL, _log(report)
    assert _count(cli_database, FindingNotification) == 3
    assert smtp_sink.messages == []

    # 3. Re-run to the end, then once more: everything sent exactly once.
    for _ in range(2):
        done = _worker(cli_database, report, smtp_sink)
        assert done.wait(120) == 0, _log(report)

    assert _count(cli_database, Event) == len(HOSTS)
    with unit_of_work(cli_database) as session:
        findings = list(session.scalars(select(Finding)))
        assert len(findings) == len(HOSTS)
        assert {f.state for f in findings} == {FindingState.NOTIFIED}
        assert {(f.host, f.port) for f in findings} == set(HOSTS)
        states = Counter(m.state for m in session.scalars(select(OutboxMessage)))
        assert states == Counter({MessageState.SENT: 3})
    received = Counter(m["To"] for m in smtp_sink.messages)
    assert received == Counter(
        {
            "soc@first-bank.example.pk": 1,
            "soc@telco-one.example.pk": 1,
            "soc@punjab-it-board.example.pk": 1,
        }
    )
