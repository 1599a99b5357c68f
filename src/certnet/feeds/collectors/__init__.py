"""Collectors: where reports come from. A collector yields :class:`CollectedReport` s — a
name, a seekable binary stream and metadata — and is told afterwards whether each one was
stored, so it can acknowledge it at its source (move the file to ``done/``, mark the mail
seen) only then: a crash before that means the report is collected again, and ingesting it
again changes nothing.

Implementations: :class:`~.folder.FolderCollector` (a watched folder),
:class:`~.http.HttpCollector` (HTTP(S) with ETag/Last-Modified),
:class:`~.imap.ImapCollector` (attachments of unseen mails).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

#: Reports up to this size stay in memory while collected; larger ones spill to disk.
SPOOL_BYTES = 8 << 20


@dataclass
class CollectedReport:
    """One report collected: what it is called, its content, and where it came from."""

    name: str
    stream: IO[bytes]
    metadata: dict[str, str] = field(default_factory=dict)
    #: What the collector needs to acknowledge it (a path, a message UID).
    handle: Any = None


class Collector(Protocol):
    """A source of reports."""

    def collect(self) -> Iterator[CollectedReport]:
        """The reports available now that were not acknowledged yet."""
        ...

    def acknowledge(self, report: CollectedReport, *, stored: bool, reason: str = "") -> None:
        """Called once per report after it was ingested (``stored``) or refused."""
        ...

    @property
    def state(self) -> dict[str, Any]:
        """What to remember until the next run (saved with the source)."""
        ...


class CollectorError(Exception):
    """The source could not be reached or read (the run is retried later)."""
