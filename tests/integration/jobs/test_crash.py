"""At least once, nothing twice: a worker killed in the middle of collecting a report
leaves the report where it was; the next run collects it again, and what the killed run
had already stored is recognised, not stored twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from certnet.feeds import cli_sources
from certnet.feeds.models import Event, FeedRun, RunState
from tests.factories import build_network

ROWS = 150_000
BATCH = 50_000  # the pipeline's default: a commit every batch
MAPPING = """
[feed]
report_type = "crash-list"
[constants]
"classification.taxonomy" = "other"
"classification.type" = "blocklist"
[fields]
"source.ip" = "ip"
"""


def _runs(engine: Engine) -> list[tuple[RunState, int, int, int]]:
    with Session(engine) as session:
        rows = session.execute(
            select(FeedRun.state, FeedRun.rows, FeedRun.stored, FeedRun.duplicates).order_by(
                FeedRun.id
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_killed_collection_is_collected_again_without_duplicates(
    cli_database: Engine, tmp_path: Path
) -> None:
    with Session(cli_database) as session:
        build_network(session)
        session.commit()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    mapping = tmp_path / "crash.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    lines = [f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}" for i in range(ROWS)]
    (inbox / "big.csv").write_text("ip\n" + "\n".join(lines) + "\n", encoding="utf-8")
    added = CliRunner().invoke(
        cli_sources.sources,
        ["add", "big", "--kind", "folder", "--location", str(inbox), "--parser", "mapping",
         "--mapping", str(mapping)],
    )  # fmt: skip
    assert added.exit_code == 0, added.output

    command = [str(Path(sys.executable).with_name("certnet")), "worker", "--once", "-q", "feeds"]
    worker = subprocess.Popen(command, env=os.environ.copy(), stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while True:  # until the first batch is committed, then kill -9
        runs = _runs(cli_database)
        if runs and runs[0][1] > 0:
            break
        assert worker.poll() is None, "the worker finished before it could be killed"
        assert time.monotonic() < deadline, "no batch committed in time"
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    worker.wait(30)
    (first,) = _runs(cli_database)
    assert first[0] is RunState.INTERRUPTED
    assert 0 < first[1] < ROWS
    assert (inbox / "big.csv").exists()  # not acknowledged: it will be collected again

    again = subprocess.run(command, env=os.environ.copy(), capture_output=True, timeout=300)
    assert again.returncode == 0, again.stderr.decode()[-2000:]

    assert (inbox / "done" / "big.csv").exists()
    second = _runs(cli_database)[-1]
    assert second[0] is RunState.FINISHED
    assert second[1] == ROWS
    assert second[2] + second[3] == ROWS
    assert second[3] == first[2]  # what the killed run stored is a duplicate now
    with Session(cli_database) as session:
        assert session.scalar(select(func.count()).select_from(Event)) == ROWS
