"""Jobs: background work (feed runs, sending, reminders, periodic sweeps).

Every domain that has background work lists it in ``<domain>/jobs.py`` as ``JOBS``: a tuple of
:class:`Job`. A job's function takes ``(session_factory, settings, **params)``, opens its own
units of work, is idempotent and safe to run at least once. Embedded, jobs run in-process; at
scale, on a durable queue engine with many ``certnet worker`` processes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from certnet.config import Settings

JobFunction = Callable[..., Any]


@dataclass(frozen=True)
class Job:
    """One kind of background work. ``every`` makes it periodic (e.g. sending the outbox)."""

    name: str
    function: Callable[..., Any]
    every: timedelta | None = None
    description: str = ""


SessionFactory = sessionmaker[Session]
__all__ = ["Job", "JobFunction", "SessionFactory", "Settings"]
