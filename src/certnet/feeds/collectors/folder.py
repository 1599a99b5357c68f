"""``FolderCollector``: a watched folder. Each new file is a report; once ingested it is
moved to ``done/`` (or to ``failed/`` with a ``.reason`` file beside it), so it is ingested
once. Files still being written are left alone: a file is taken once its size and time stop
changing between two looks, and names starting with ``.`` are ignored (write to ``.name``
and rename, the usual way to drop a file in atomically)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from certnet.feeds.collectors import CollectedReport, CollectorError

DONE, FAILED = "done", "failed"


class FolderCollector:
    """Reports dropped into ``folder``."""

    def __init__(self, folder: Path, *, settle_seconds: float = 0.0) -> None:
        self.folder = folder
        self.settle_seconds = settle_seconds

    @property
    def state(self) -> dict[str, Any]:
        return {}

    def pending(self) -> list[Path]:
        """The files waiting to be ingested, oldest first."""
        if not self.folder.is_dir():
            raise CollectorError(f"{self.folder} is not a folder")
        files = [
            p
            for p in self.folder.iterdir()
            if p.is_file() and not p.name.startswith(".") and not p.name.endswith(".reason")
        ]
        return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))

    def collect(self) -> Iterator[CollectedReport]:
        for path in self.pending():
            if self.settle_seconds and not _settled(path, self.settle_seconds):
                continue
            try:
                stream = path.open("rb")
            except FileNotFoundError:
                continue  # taken away since it was listed
            with stream:
                yield CollectedReport(
                    name=path.name, stream=stream, metadata={"path": str(path)}, handle=path
                )

    def acknowledge(self, report: CollectedReport, *, stored: bool, reason: str = "") -> None:
        path: Path = report.handle
        target = self.folder / (DONE if stored else FAILED)
        target.mkdir(exist_ok=True)
        destination = _free_name(target / path.name)
        try:
            shutil.move(str(path), destination)
        except FileNotFoundError:
            return  # another collector of this folder acknowledged it first
        if not stored:
            destination.with_name(destination.name + ".reason").write_text(
                reason + "\n", encoding="utf-8"
            )


def _settled(path: Path, seconds: float) -> bool:
    before = path.stat()
    time.sleep(seconds)
    after = path.stat()
    return (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns)


def _free_name(path: Path) -> Path:
    """``path``, or ``name.1``, ``name.2`` … if a file of that name was done before."""
    candidate, number = path, 0
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}.{number}")
    return candidate
