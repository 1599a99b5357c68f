"""``certnet worker``: run background jobs."""

from __future__ import annotations


def worker() -> None:
    """Run background jobs (feed runs, sending, reminders)."""
    raise SystemExit("certnet worker: not built yet")
