"""A tiny report format for testing the storage pipeline without the real parsers.

``scan_test`` is a CSV with the header ``timestamp,ip,port,hostname,tag``; a row with the
wrong number of columns is rejected (as a real parser would), everything else is handed on
as harmonised columns, so the pipeline's own checks (bad address, bad port) are exercised.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

from certnet.core.errors import Invalid
from certnet.feeds.batch import ParsedBatch, Rejected

HEADER = "timestamp,ip,port,hostname,tag"
REPORT_TYPE = "scan_test"
DAY = datetime(2026, 11, 1, tzinfo=UTC)


class ParserCrashed(RuntimeError):
    """What the fake raises to stand for a process dying mid-run."""


class ScanTestParser:
    """Implements :class:`certnet.feeds.batch.Parser` for ``scan_test`` reports."""

    source = "test"

    def __init__(self, crash_after_batches: int | None = None) -> None:
        self.crash_after_batches = crash_after_batches

    def detect(self, filename: str | None, head: bytes) -> str | None:
        return REPORT_TYPE if head.startswith(HEADER.encode()) else None

    def parse(
        self, stream: BinaryIO, *, report_type: str, batch_size: int = 50_000
    ) -> Iterator[ParsedBatch]:
        if report_type != REPORT_TYPE:
            raise Invalid.on(
                "report_type", f"unknown report type {report_type!r}; expected {REPORT_TYPE}"
            )
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        header = text.readline().rstrip("\r\n")
        if header != HEADER:
            raise Invalid.on("header", f"expected {HEADER!r}")
        batch = _empty()
        yielded = 0
        for number, line in enumerate(text, start=2):
            raw = line.rstrip("\r\n")
            fields = raw.split(",")
            if len(fields) != 5:
                batch.rejected.append(
                    Rejected(number, raw, f"expected 5 columns, got {len(fields)}")
                )
            else:
                stamp, ip, port, hostname, tag = fields
                columns = batch.columns
                columns["time.source"].append(stamp or None)
                columns["source.ip"].append(ip or None)
                columns["source.port"].append(port or None)
                columns["source.fqdn"].append(hostname or None)
                columns["classification.identifier"].append(tag or None)
                columns["classification.taxonomy"].append("vulnerable")
                columns["classification.type"].append("vulnerable-system")
                columns["protocol.transport"].append("tcp")
                batch.extra.append({"line_tag": tag} if tag == "extra" else {})
                batch.lines.append(number)
                batch.raw.append(raw)
            if batch.rows_read >= batch_size:
                yield batch
                yielded += 1
                self._maybe_crash(yielded)
                batch = _empty()
        # The stream's position is kept for progress; the wrapper must not close it.
        text.detach()
        if batch.rows_read:
            yield batch

    def _maybe_crash(self, yielded: int) -> None:
        if self.crash_after_batches is not None and yielded >= self.crash_after_batches:
            raise ParserCrashed(f"crashed after {yielded} batches")


def _empty() -> ParsedBatch:
    names = (
        "time.source",
        "source.ip",
        "source.port",
        "source.fqdn",
        "classification.identifier",
        "classification.taxonomy",
        "classification.type",
        "protocol.transport",
    )
    return ParsedBatch(report_type=REPORT_TYPE, columns={name: [] for name in names})


def report(rows: Sequence[Sequence[Any]]) -> bytes:
    """A ``scan_test`` file of ``rows`` (each a sequence of cells, or a raw string line)."""
    lines = [HEADER]
    for row in rows:
        lines.append(row if isinstance(row, str) else ",".join(str(cell) for cell in row))
    return ("\n".join(lines) + "\n").encode()


def seen(hours: float) -> str:
    """A timestamp ``hours`` after the test day's midnight, as a report writes it."""
    return (DAY + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S")


class BatchParser:
    """Hands over prepared batches as they are (for property tests and speed checks)."""

    source = "test"

    def __init__(self, batches: Sequence[ParsedBatch]) -> None:
        self.batches = batches

    def detect(self, filename: str | None, head: bytes) -> str | None:
        return self.batches[0].report_type if self.batches else None

    def parse(
        self, stream: BinaryIO, *, report_type: str, batch_size: int = 50_000
    ) -> Iterator[ParsedBatch]:
        stream.read()
        yield from self.batches
