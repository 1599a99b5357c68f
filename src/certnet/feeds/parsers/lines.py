"""The physical lines of a text report read from a binary stream, for the csv module: read
and decoded a chunk at a time, with every line that cannot be a good record marked (broken
UTF-8, a NUL character, a line over the length limit) so that its record is quarantined with
its line number and text rather than failing the file.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

#: Longest physical line read; longer ones are quarantined without being held in memory.
MAX_LINE_BYTES = 1 << 20
#: How much is read from the stream at a time.
CHUNK_BYTES = 1 << 20
#: Stands in for an over-long line so the csv reader never sees it (one cell: never a row).
_LONG_LINE = b"(line too long)"
_BOM = b"\xef\xbb\xbf"


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch is built. A batch allocates a few
    hundred thousand lists, tuples and dicts, none in a cycle, and each allocation burst
    would otherwise set off collections that scan them all again (a third of the time).
    Paused only between yields, so the consumer's code runs with the collector as it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class ReportLines:
    """The physical lines of a report, read and decoded a chunk at a time (line by line only
    for a chunk with a broken byte), kept until their records are taken.

    The csv reader iterates the chunks' lines directly (``chain``), so reading costs no Python
    code per line; a record's text is looked up afterwards by the reader's line count. An
    over-long line is replaced by a one-cell stand-in, so line numbers stay right and the
    record is quarantined with the line's beginning.
    """

    def __init__(self, stream: BinaryIO, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.stream = stream
        self.chunk_bytes = chunk_bytes
        self.text: list[str] = []  # the lines numbered base + 1, base + 2 …
        self.base = 0
        self.taken = 0  # last line of the records already taken
        self.problems: dict[int, str] = {}  # line number → why its record is refused
        self.originals: dict[int, str] = {}  # line number → text to quarantine instead
        self._pending_long = (b"", 0)  # the over-long line a stand-in was made for

    def chunks(self) -> Iterator[list[str]]:
        """Lists of lines, in order, for the csv reader."""
        read = self.stream.read
        pending = b""
        skipping: tuple[bytes, int] | None = None  # beginning and size of an over-long line
        data = read(self.chunk_bytes).removeprefix(_BOM)
        while data:
            lines: list[bytes] = []
            if skipping is not None:
                end = data.find(b"\n")
                if end < 0:
                    skipping = (skipping[0], skipping[1] + len(data))
                    data = read(self.chunk_bytes)
                    continue
                lines.append(self._stand_in(skipping[0], skipping[1] + end))
                skipping, data = None, data[end + 1 :]
            cut = data.rfind(b"\n")
            if cut < 0:
                pending += data
                if len(pending) > MAX_LINE_BYTES:
                    skipping, pending = (pending[:1024], len(pending)), b""
            else:
                lines.extend((pending + data[:cut]).split(b"\n"))
                pending = data[cut + 1 :]
            if lines:
                yield self._decode(lines)
            data = read(self.chunk_bytes)
        if skipping is not None:
            yield self._decode([self._stand_in(*skipping)])
        elif pending:
            yield self._decode([pending])

    def _stand_in(self, head: bytes, size: int) -> bytes:
        # Numbered when decoded: remember it by identity until then.
        self._pending_long = (head, size)
        return _LONG_LINE

    def _decode(self, lines: list[bytes]) -> list[str]:
        start = self.base + len(self.text) + 1  # number of lines[0]
        if lines[0] is _LONG_LINE or max(map(len, lines)) > MAX_LINE_BYTES:
            for offset, line in enumerate(lines):
                if line is _LONG_LINE or len(line) > MAX_LINE_BYTES:
                    head, size = (
                        self._pending_long if line is _LONG_LINE else (line[:1024], len(line))
                    )
                    self._refuse(
                        start + offset,
                        f"line longer than {MAX_LINE_BYTES} bytes ({size})",
                        head.decode("utf-8", "replace") + "…",
                    )
                    lines[offset] = _LONG_LINE
        try:
            text = [line + "\n" for line in b"\n".join(lines).decode("utf-8").split("\n")]
        except UnicodeDecodeError:
            text = []
            for offset, line in enumerate(lines):
                try:
                    text.append(line.decode("utf-8") + "\n")
                except UnicodeDecodeError as exc:
                    text.append(line.decode("utf-8", "replace") + "\n")
                    number = start + offset
                    self._refuse(number, f"not UTF-8 (byte {exc.start + 1} of line {number})")
        if b"\x00" in b"".join(lines):
            # PostgreSQL text cannot hold NUL, and no report has one on purpose.
            for offset, line_text in enumerate(text):
                if "\x00" in line_text:
                    escaped = line_text.rstrip("\r\n").replace("\x00", "\\x00")
                    self._refuse(start + offset, "contains a NUL character", escaped)
        self.text.extend(text)
        return text

    def _refuse(self, number: int, reason: str, original: str | None = None) -> None:
        if number not in self.problems:
            self.problems[number] = reason
            if original is not None:
                self.originals[number] = original

    def has_problem(self, start: int, end: int) -> bool:
        """Whether a line after ``start`` up to ``end`` has a problem."""
        return bool(self.problems) and any(start < n <= end for n in self.problems)

    def take(self, end: int) -> tuple[int, str, str | None]:
        """The record ending at physical line ``end``: its first line, its text (without the
        line end) and why it must be refused, if it must."""
        first = self.taken + 1
        self.taken = end
        base = self.base
        # Lines keep their "\n" (a quoted field may span lines and must keep it).
        if end == first:
            raw = self.text[end - base - 1][:-1]
        else:
            raw = "".join(self.text[first - base - 1 : end - base])[:-1]
        problem = None
        if self.problems:
            for number in range(first, end + 1):
                if number in self.problems:
                    problem = self.problems.pop(number)
                    raw = self.originals.pop(number, raw)
        return first, raw.removesuffix("\r"), problem

    def forget(self) -> None:
        """Drop the lines of the records already taken (once per batch: memory stays flat)."""
        del self.text[: self.taken - self.base]
        self.base = self.taken
