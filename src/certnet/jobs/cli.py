"""``certnet worker``: run background jobs.

On PostgreSQL, a procrastinate worker: start as many as you like, on as many machines as
you like; they share the queue. On SQLite, the embedded runner in the foreground (``certnet
serve`` can run the same runner in-process)."""

from __future__ import annotations

import contextlib
import functools
import logging
import signal
import threading
from types import FrameType

import procrastinate
import typer
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from certnet.clikit import err, fail, out
from certnet.config import get_settings
from certnet.core import logging as certnet_logging
from certnet.db import migrate
from certnet.db.session import default_engine, session_factory
from certnet.jobs import queue
from certnet.jobs.embedded import EmbeddedRunner
from certnet.jobs.registry import all_jobs

log = logging.getLogger("certnet.jobs")


def worker(
    once: bool = typer.Option(
        False, "--once", help="Run what is queued and due now, then exit (e.g. from cron)"
    ),
    concurrency: int = typer.Option(
        1, min=1, max=64, help="Jobs run at the same time by this worker (PostgreSQL)"
    ),
    queues: list[str] = typer.Option(
        [], "--queues", "-q", help="Only these queues (a domain: feeds, notifications …)"
    ),
    jobs_module: list[str] = typer.Option(
        [], "--jobs-module", help="Also run the JOBS of this module (a plugin)"
    ),
) -> None:
    """Run background jobs (feed collection, sending, reminders): on PostgreSQL as one of
    any number of workers sharing the durable queue, on SQLite in this process."""
    settings = get_settings()
    certnet_logging.configure(settings.log_level, settings.log_json)
    _require_migrated()
    jobs = all_jobs(jobs_module)
    if queues:
        jobs = {n: j for n, j in jobs.items() if queue.queue_of(j) in queues}
    factory = functools.cache(_session_factory)
    if queue.is_postgres(settings.database_url):
        app = queue.make_app(settings, jobs, factory)
        if once:
            # Periodic jobs are deferred by the scheduler of a waiting worker; a one-shot
            # run queues each once (their queueing lock keeps a second copy out).
            with app.open():
                for job in jobs.values():
                    if job.every is not None:
                        _defer_once(app, job.name)
        app.run_worker(
            queues=queues or None,
            concurrency=concurrency,
            wait=not once,
            install_signal_handlers=not once,
        )
        return
    runner = EmbeddedRunner(factory(), settings, jobs)
    if once:
        outcomes = runner.run_pending()
        failed = [o for o in outcomes if o.error]
        for outcome in outcomes:
            (err if outcome.error else out).print(
                f"{outcome.name}: {outcome.error or 'done'}", highlight=False
            )
        if failed:
            raise typer.Exit(1)
        return
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()
        runner.stop(timeout=0)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    out.print(f"certnet worker (embedded): {len(jobs)} jobs", highlight=False)
    runner.run_forever()


def _require_migrated() -> None:
    """Jobs on a database without certnet's tables would only fail one by one: say so once."""
    engine = default_engine()
    where = engine.url.render_as_string(hide_password=True)
    try:
        current, head = migrate.current_revision(engine), migrate.head_revision()
    except OperationalError as exc:
        raise fail(f"cannot reach the database {where}: {exc.orig or exc}") from None
    if current != head:
        raise fail(
            f"the database {where} is at revision {current or 'none'}, this certnet needs "
            f"{head}: run 'certnet db upgrade'"
        )


def _session_factory() -> sessionmaker[Session]:
    return session_factory(default_engine())


def _defer_once(app: procrastinate.App, name: str) -> None:
    # Already waiting in the queue: one copy is enough.
    with contextlib.suppress(procrastinate.exceptions.AlreadyEnqueued):
        app.configure_task(name=name).defer()
