"""Jobs at scale: procrastinate, a durable job queue on PostgreSQL.

Every :class:`~certnet.jobs.Job` becomes a procrastinate task of the same name on queue
``<domain>`` (the name's first part), retried with a growing pause; periodic jobs are
scheduled by procrastinate's periodic deferrer (each run deferred once for the whole
cluster, however many workers). Workers take jobs with ``SELECT … FOR UPDATE SKIP LOCKED``,
so several ``certnet worker`` processes on several machines share the load and no job is
taken twice; a worker that dies mid-job leaves it to be retried (at least once — every job
is idempotent). The queue's tables live in the ``procrastinate`` schema (migration 0009).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import procrastinate
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from certnet.config import Settings
from certnet.jobs import Job

#: The schema migration 0009 puts procrastinate's tables in.
QUEUE_SCHEMA = "procrastinate"
RETRY = procrastinate.RetryStrategy(max_attempts=5, exponential_wait=5)


def is_postgres(database_url: str) -> bool:
    """Whether this database runs the durable queue (PostgreSQL) or the embedded runner."""
    return make_url(database_url).get_backend_name() == "postgresql"


def conninfo(database_url: str) -> str:
    """A libpq connection string from certnet's SQLAlchemy URL."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def queue_of(job: Job) -> str:
    """The queue a job runs on: its domain (``feeds.collect`` → ``feeds``)."""
    return job.name.split(".", 1)[0]


def cron_of(every: timedelta) -> str:
    """A cron expression (with seconds when needed) firing every ``every``."""
    seconds = int(every.total_seconds())
    if seconds <= 0:
        raise ValueError("a periodic job needs a positive interval")
    if seconds < 60:
        return f"* * * * * */{seconds}"
    minutes, rest = divmod(seconds, 60)
    if rest:
        raise ValueError(f"interval {every} is not a whole number of minutes")
    if minutes < 60:
        return f"*/{minutes} * * * *"
    hours, rest = divmod(minutes, 60)
    if rest:
        raise ValueError(f"interval {every} is not a whole number of hours")
    if hours < 24:
        return f"0 */{hours} * * *"
    days, rest = divmod(hours, 24)
    if rest:
        raise ValueError(f"interval {every} is not a whole number of days")
    return f"0 0 */{days} * *"


def _call(
    job: Job,
    session_factory: Callable[[], sessionmaker[Session]],
    settings: Settings,
    timestamp: int | None = None,
    **params: Any,
) -> None:
    # ``timestamp`` is what procrastinate gives a periodic run; certnet's jobs do not need it.
    job.function(session_factory(), settings, **params)


def connector(settings: Settings) -> procrastinate.PsycopgConnector:
    """A procrastinate connector to certnet's PostgreSQL, in the queue's schema."""
    return procrastinate.PsycopgConnector(
        conninfo=conninfo(settings.database_url),
        kwargs={"options": f"-c search_path={QUEUE_SCHEMA}"},
    )


def make_app(
    settings: Settings,
    jobs: Mapping[str, Job],
    session_factory: Callable[[], sessionmaker[Session]],
) -> procrastinate.App:
    """A procrastinate app over certnet's PostgreSQL with every job registered."""
    app = procrastinate.App(connector=connector(settings))
    for job in jobs.values():
        function = functools.partial(_call, job, session_factory, settings)
        if job.every is None:
            task = app.task(name=job.name, queue=queue_of(job), retry=RETRY)(function)
        else:
            # A periodic run that outlasts its period must not overlap the next one on
            # another worker (two collections of one folder would race for its files), nor
            # should runs pile up behind a slow one: one lock, one waiting copy at most.
            task = app.task(
                name=job.name, queue=queue_of(job), lock=job.name, queueing_lock=job.name
            )(function)
            app.periodic(cron=cron_of(job.every), periodic_id=job.name)(task)
    return app


@dataclass(frozen=True)
class Call:
    """A job to queue: its name and parameters; ``key``, when given, makes it exclusive —
    never two running at once, never more than one waiting (e.g. one per feed source)."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    key: str | None = None


def defer_calls(settings: Settings, calls: Sequence[Call]) -> int:
    """Queue ``calls`` on the durable queue (PostgreSQL only), from inside a job or a
    command; how many were queued (a keyed call whose twin already waits is not)."""
    app = procrastinate.App(connector=connector(settings))
    queued = 0
    with app.open():
        for call in calls:
            deferrer = app.configure_task(
                call.name,
                queue=call.name.split(".", 1)[0],
                lock=call.key,
                queueing_lock=call.key,
            )
            try:
                deferrer.defer(**call.params)
            except procrastinate.exceptions.AlreadyEnqueued:
                continue
            queued += 1
    return queued


def defer(app: procrastinate.App, name: str, **params: Any) -> int:
    """Queue job ``name`` (the app must be open); its procrastinate job id."""
    job_id: int = app.configure_task(name=name).defer(**params)
    return job_id
