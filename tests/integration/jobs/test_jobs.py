"""Jobs: the registry, the embedded runner, ``certnet worker --once`` on SQLite, and
several procrastinate workers on PostgreSQL sharing one queue without running a job twice."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from certnet.cli import app as cli
from certnet.config import Settings, get_settings
from certnet.db.session import default_engine
from certnet.feeds import cli_sources
from certnet.feeds.models import FeedRun
from certnet.jobs import Job, embedded, queue
from certnet.jobs.embedded import EmbeddedRunner
from certnet.jobs.registry import all_jobs
from tests.factories import build_network
from tests.integration.jobs.probe_jobs import TABLE

REPO = Path(__file__).resolve().parents[3]


def test_registry_gathers_every_domains_jobs() -> None:
    jobs = all_jobs()
    assert {"feeds.collect_due", "feeds.collect_source"} <= set(jobs)
    assert jobs["feeds.collect_due"].every == timedelta(minutes=1)
    with_probe = all_jobs(["tests.integration.jobs.probe_jobs"])
    assert "probe.record" in with_probe
    with pytest.raises(ValueError, match="two jobs are named"):
        all_jobs(["tests.integration.jobs.probe_jobs", "tests.integration.jobs.probe_jobs"])
    with pytest.raises(ModuleNotFoundError):
        all_jobs(["tests.integration.jobs.no_such_module"])


def test_cron_of_intervals() -> None:
    assert queue.cron_of(timedelta(seconds=30)) == "* * * * * */30"
    assert queue.cron_of(timedelta(minutes=5)) == "*/5 * * * *"
    assert queue.cron_of(timedelta(hours=2)) == "0 */2 * * *"
    assert queue.cron_of(timedelta(days=1)) == "0 0 */1 * *"
    with pytest.raises(ValueError, match="whole number"):
        queue.cron_of(timedelta(seconds=90))


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_embedded_runner_runs_periodic_when_due_and_retries_failures() -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    failures = {"left": 2}

    def tick(_factory: Any, _settings: Any) -> None:
        calls.append(("tick", {}))

    def flaky(_factory: Any, _settings: Any, *, item: int) -> None:
        calls.append(("flaky", {"item": item}))
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("not yet")

    clock = _Clock()
    jobs = {
        "t.tick": Job("t.tick", tick, every=timedelta(minutes=5)),
        "t.flaky": Job("t.flaky", flaky),
    }
    runner = EmbeddedRunner(sessionmaker(), Settings(), jobs, clock=clock)
    runner.defer("t.flaky", item=7)
    first = runner.run_pending()
    assert [(o.name, o.error) for o in first] == [
        ("t.tick", None),
        ("t.flaky", "RuntimeError: not yet"),
    ]
    clock.now += 60  # tick not due yet; the retry waits its pause (5 s times the attempt)
    second = runner.run_pending()
    assert [(o.name, o.error) for o in second] == [("t.flaky", "RuntimeError: not yet")]
    clock.now += 300
    third = runner.run_pending()
    assert [(o.name, o.error) for o in third] == [("t.tick", None), ("t.flaky", None)]
    assert runner.run_pending() == []
    assert calls.count(("flaky", {"item": 7})) == 3
    with pytest.raises(KeyError):
        runner.defer("t.unknown")


def test_embedded_runner_thread_starts_and_stops() -> None:
    ran: list[int] = []

    def tick(_factory: Any, _settings: Any) -> None:
        ran.append(1)

    runner = EmbeddedRunner(
        sessionmaker(), Settings(), {"t.tick": Job("t.tick", tick, every=timedelta(hours=1))}
    )
    runner.start()
    runner.defer("t.tick")
    runner.stop(timeout=10)
    assert ran  # ran at start at least once, and the thread ended
    assert runner._thread is None


def test_worker_once_on_sqlite_collects_a_folder_source(
    cli_database: Engine, tmp_path: Path
) -> None:
    run = CliRunner().invoke
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[feed]\nreport_type = "blocklist-x"\n[constants]\n"classification.taxonomy" = '
        '"other"\n"classification.type" = "blocklist"\n[fields]\n"source.ip" = "ip"\n'
    )
    with Session(cli_database) as session:
        build_network(session)
        session.commit()
    added = run(
        cli_sources.sources,
        [
            "add",
            "drop",
            "--kind",
            "folder",
            "--location",
            str(inbox),
            "--parser",
            "mapping",
            "--mapping",
            str(mapping),
        ],
    )
    assert added.exit_code == 0, added.output
    listed = run(cli_sources.sources, ["list", "--json"])
    assert '"name": "drop"' in listed.output
    (inbox / "a.csv").write_text("ip\n192.0.2.1\n192.0.2.2\n")
    result = run(cli, ["worker", "--once", "--queues", "feeds"])
    assert result.exit_code == 0, result.output
    assert "feeds.collect_due: done" in result.output
    assert (inbox / "done" / "a.csv").exists()
    with Session(cli_database) as session:
        (stored,) = session.execute(select(FeedRun.stored)).one()
    assert stored == 2


# The durable queue runs on PostgreSQL; SQLite has the embedded runner (tested above).
@pytest.mark.parametrize("db_engine", ["postgresql"], indirect=True)
def test_two_workers_share_the_queue_and_run_no_job_twice(db_engine: Engine) -> None:
    with db_engine.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS public.{TABLE}"))
        connection.execute(text(f"CREATE TABLE public.{TABLE} (n integer, pid integer)"))
    url = db_engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url)
    jobs = all_jobs(["tests.integration.jobs.probe_jobs"])
    app = queue.make_app(settings, jobs, lambda: sessionmaker(bind=db_engine))
    total = 30
    try:
        with app.open():
            for n in range(total):
                queue.defer(app, "probe.record", n=n)
        env = {**os.environ, "CERTNET_DATABASE_URL": url, "PYTHONPATH": str(REPO)}
        command = [
            str(Path(sys.executable).with_name("certnet")),
            "worker",
            "--once",
            "--queues",
            "probe",
            "--jobs-module",
            "tests.integration.jobs.probe_jobs",
        ]
        workers = [
            subprocess.Popen(command, env=env, cwd=REPO, stderr=subprocess.PIPE) for _ in range(2)
        ]
        for worker in workers:
            _, errors = worker.communicate(timeout=120)
            assert worker.returncode == 0, errors.decode()[-2000:]
        with db_engine.connect() as connection:
            rows = connection.execute(text(f"SELECT n, pid FROM public.{TABLE}")).all()  # noqa: S608
            states = connection.execute(
                text(
                    "SELECT status, count(*) FROM procrastinate.procrastinate_jobs "
                    "WHERE queue_name = 'probe' GROUP BY status"
                )
            ).all()
        assert sorted(n for n, _ in rows) == list(range(total))  # each exactly once
        assert len({pid for _, pid in rows}) == 2  # both workers took a share
        assert dict(states) == {"succeeded": total}
    finally:
        with db_engine.begin() as connection:
            connection.execute(text(f"DROP TABLE IF EXISTS public.{TABLE}"))
            connection.execute(
                text("DELETE FROM procrastinate.procrastinate_jobs WHERE queue_name = 'probe'")
            )


def test_app_lifespan_runs_the_embedded_runner_on_sqlite_only(tmp_path: Path) -> None:
    ran: list[str] = []

    def tick(_factory: Any, settings: Settings) -> None:
        ran.append(settings.database_url)

    jobs = {"t.tick": Job("t.tick", tick, every=timedelta(hours=1))}
    app = FastAPI()
    sqlite = Settings(database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    app.router.lifespan_context = embedded.lifespan(sessionmaker(), sqlite, jobs)
    with TestClient(app):
        deadline = time.monotonic() + 10
        while not ran and time.monotonic() < deadline:
            time.sleep(0.01)
    assert ran == [sqlite.database_url]

    postgres = Settings(database_url="postgresql+psycopg://u@127.0.0.1:1/none")
    app = FastAPI()
    app.router.lifespan_context = embedded.lifespan(sessionmaker(), postgres, jobs)
    with TestClient(app):
        time.sleep(0.2)
    assert ran == [sqlite.database_url]  # workers run the jobs there, not the API


def test_worker_refuses_an_unmigrated_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CERTNET_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    get_settings.cache_clear()
    default_engine.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["worker", "--once"])
    finally:
        default_engine().dispose()
        default_engine.cache_clear()
    assert result.exit_code == 1
    assert "run 'certnet db upgrade'" in " ".join(result.output.split())  # however it wraps
