"""Jobs for the worker tests (loaded with ``--jobs-module``): each run of ``probe.record``
leaves one row saying which process ran it."""

from __future__ import annotations

import os
import time

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from certnet.config import Settings
from certnet.jobs import Job

TABLE = "h3_job_probe"


def record(session_factory: sessionmaker[Session], settings: Settings, *, n: int) -> None:
    """Take a little time (so several workers overlap), then record (n, pid)."""
    time.sleep(0.15)
    with session_factory() as session, session.begin():
        session.execute(
            text(f"INSERT INTO public.{TABLE} (n, pid) VALUES (:n, :pid)"),  # noqa: S608
            {"n": n, "pid": os.getpid()},
        )


JOBS: tuple[Job, ...] = (Job("probe.record", record, description="test probe"),)
