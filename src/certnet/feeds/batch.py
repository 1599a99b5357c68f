"""What flows between the stages of the feed pipeline: columnar batches of harmonised rows,
and the rows a stage refused, each kept with its line, its original text and the reason.

A parser turns a report into a stream of :class:`ParsedBatch` (tens of thousands of rows at
a time, so memory stays bounded whatever the file size); experts (enrichment, deduplication)
and outputs (storage) work on those columns. Every input row ends in exactly one place:
a good row of some batch, or a :class:`Rejected` entry — never dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol


@dataclass(frozen=True)
class Rejected:
    """An input row a stage could not accept: quarantined with its reason, never dropped."""

    line: int
    raw: str
    reason: str
    field: str | None = None


@dataclass
class ParsedBatch:
    """Up to ``batch_size`` rows of one report, column by column.

    ``columns`` maps a harmonised field name (``source.ip``, ``time.source`` …, see
    :mod:`certnet.feeds.harmonisation`) to one value per accepted row, ``None`` where the
    row has none. ``extra`` holds, per accepted row, the source columns the mapping does not
    know (a new column in a report is kept, not lost); a parser reading a table may give them
    column by column instead, in ``extra_columns`` (name → text per row, empty where the row
    has none), which costs nothing per row. ``lines`` and ``raw`` are the physical line
    number and the original text of each accepted row; ``rejected`` the rows refused.
    """

    report_type: str
    columns: dict[str, list[Any]] = field(default_factory=dict)
    extra: list[dict[str, Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    extra_columns: dict[str, list[str]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """How many rows were accepted."""
        return len(self.lines)

    def extra_of(self, position: int) -> dict[str, Any]:
        """The unknown columns of one accepted row, whichever form the parser gave."""
        if self.extra_columns:
            return {
                name: values[position]
                for name, values in self.extra_columns.items()
                if values[position]
            }
        return dict(self.extra[position]) if self.extra else {}

    @property
    def rows_read(self) -> int:
        """Accepted plus rejected: every input row this batch accounts for."""
        return self.size + len(self.rejected)


class Parser(Protocol):
    """A report format. One parser per source (``ShadowserverParser``, ``StixParser`` …)."""

    source: str

    def detect(self, filename: str | None, head: bytes) -> str | None:
        """The report type this file is, from its name and first bytes, or None."""
        ...

    def parse(
        self, stream: BinaryIO, *, report_type: str, batch_size: int = 50_000
    ) -> Iterator[ParsedBatch]:
        """Read the report as a stream and yield harmonised batches; never raise for a bad
        row (reject it), raise ``Invalid`` only when the whole input cannot be this report
        (an unknown report type, a header that is not the report's)."""
        ...
