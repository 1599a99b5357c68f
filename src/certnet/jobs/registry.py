"""Every job certnet knows: each domain's ``JOBS`` (``certnet.<domain>.jobs``), gathered."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from certnet.jobs import Job

#: The domains that may have background work; one without a ``jobs`` module has none.
DOMAINS: tuple[str, ...] = (
    "constituency",
    "identity",
    "feeds",
    "notifications",
    "findings",
    "incidents",
    "risk",
    "advisories",
    "sharing",
    "capacity",
    "council",
    "reports",
    "ops",
)


def all_jobs(extra_modules: Iterable[str] = ()) -> dict[str, Job]:
    """Jobs by name from every domain's ``jobs`` module, then from ``extra_modules`` (a
    plugin's module listing ``JOBS`` too). Two jobs with one name are an error."""
    modules = [f"certnet.{domain}.jobs" for domain in DOMAINS]
    jobs: dict[str, Job] = {}
    for name in [*modules, *extra_modules]:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # A domain without background work (or not built yet); a broken import inside
            # an existing module is not hidden.
            if exc.name is not None and name.startswith(exc.name) and name in modules:
                continue
            raise
        for job in getattr(module, "JOBS", ()):
            if not isinstance(job, Job):
                raise TypeError(f"{name}.JOBS holds {job!r}, not a certnet.jobs.Job")
            if job.name in jobs:
                raise ValueError(f"two jobs are named {job.name!r} ({name})")
            jobs[job.name] = job
    return jobs
