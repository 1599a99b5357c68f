"""The embedded runner: jobs run in-process, in one background thread.

For a single-machine installation on SQLite, where there is no queue engine: periodic jobs
run when due (each once at start), deferred jobs in the order they were deferred. A job that
fails is logged and tried again (deferred ones up to ``MAX_ATTEMPTS`` times, with a growing
pause); since every job is idempotent, running one again is always safe. Deferred jobs live
in memory: what must survive a restart lives in the database and is picked up by a periodic
job (a feed source due, an outbox message due), which is how certnet's jobs are written.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from certnet.config import Settings
from certnet.jobs import Job, queue
from certnet.jobs.registry import all_jobs

log = logging.getLogger("certnet.jobs")

MAX_ATTEMPTS = 5
#: Seconds before a failed deferred job is tried again, times its attempt number.
RETRY_PAUSE = 5.0


@dataclass
class Outcome:
    """One job run: its name, parameters, and the error if it failed."""

    name: str
    params: dict[str, Any]
    error: str | None = None


@dataclass(order=True)
class _Deferred:
    not_before: float
    name: str = field(compare=False)
    params: dict[str, Any] = field(compare=False)
    attempt: int = field(default=1, compare=False)


class EmbeddedRunner:
    """Runs ``jobs`` in this process: :meth:`run_pending` once, or a thread with :meth:`start`."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: Settings,
        jobs: Mapping[str, Job],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.session_factory = session_factory
        self.settings = settings
        self.jobs = dict(jobs)
        self.clock = clock
        self._due: dict[str, float] = {n: 0.0 for n, j in self.jobs.items() if j.every}
        self._queue: deque[_Deferred] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def defer(self, name: str, **params: Any) -> None:
        """Queue job ``name`` with ``params`` (KeyError for an unknown job)."""
        if name not in self.jobs:
            raise KeyError(f"no job named {name!r}")
        with self._lock:
            self._queue.append(_Deferred(0.0, name, params))
        self._wake.set()

    def run_pending(self, *, periodic: bool = True) -> list[Outcome]:
        """Run the periodic jobs that are due and every deferred job ready now; once each."""
        outcomes: list[Outcome] = []
        now = self.clock()
        if periodic:
            for name, due in list(self._due.items()):
                if due <= now:
                    every = self.jobs[name].every
                    assert every is not None
                    self._due[name] = now + every.total_seconds()
                    outcomes.append(self._run(name, {}))
        with self._lock:
            ready = [d for d in self._queue if d.not_before <= now]
            for deferred in ready:
                self._queue.remove(deferred)
        for deferred in ready:
            outcome = self._run(deferred.name, deferred.params)
            outcomes.append(outcome)
            if outcome.error and deferred.attempt < MAX_ATTEMPTS:
                retry = _Deferred(
                    now + RETRY_PAUSE * deferred.attempt,
                    deferred.name,
                    deferred.params,
                    deferred.attempt + 1,
                )
                with self._lock:
                    self._queue.append(retry)
        return outcomes

    def _run(self, name: str, params: dict[str, Any]) -> Outcome:
        started = time.perf_counter()
        try:
            self.jobs[name].function(self.session_factory, self.settings, **params)
        except Exception as exc:  # a failed job must not stop the runner
            log.exception("job %s failed", name, extra={"job": name})
            return Outcome(name, params, f"{type(exc).__name__}: {exc}")
        log.info("job %s done in %.2f s", name, time.perf_counter() - started, extra={"job": name})
        return Outcome(name, params)

    def next_wake(self) -> float:
        """Seconds until something is due (at most a minute)."""
        now = self.clock()
        moments = [*self._due.values(), *(d.not_before for d in self._queue)]
        return max(0.0, min([now + 60.0, *moments]) - now)

    def run_forever(self) -> None:
        """Run jobs as they fall due until :meth:`stop`."""
        while not self._stop.is_set():
            self.run_pending()
            self._wake.wait(self.next_wake())
            self._wake.clear()

    def start(self) -> None:
        """Start the background thread (a daemon: it never keeps the process alive)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self.run_forever, name="certnet-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread after the job in hand."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


def lifespan(
    session_factory: sessionmaker[Session],
    settings: Settings,
    jobs: Mapping[str, Job] | None = None,
) -> Callable[[Any], Any]:
    """A FastAPI lifespan running every job (or ``jobs``) in-process while the app serves.

    On PostgreSQL it starts nothing: there ``certnet worker`` processes run the jobs from
    the durable queue, and an API process doing them too would only compete."""

    @asynccontextmanager
    async def run(_app: Any) -> AsyncIterator[None]:
        if queue.is_postgres(settings.database_url):
            yield
            return
        runner = EmbeddedRunner(session_factory, settings, all_jobs() if jobs is None else jobs)
        runner.start()
        try:
            yield
        finally:
            runner.stop()

    return run
