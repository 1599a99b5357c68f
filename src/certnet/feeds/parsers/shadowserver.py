"""``ShadowserverParser``: Shadowserver's CSV reports in, harmonised columnar batches out,
driven by Shadowserver's published report schema (see :mod:`.schema_store`).

How a file is read, and why:

* :class:`~certnet.feeds.parsers.lines.ReportLines` reads the binary stream a chunk at a time
  and decodes it (a broken byte costs its row, quarantined as "not UTF-8", not the file); an
  over-long line is never held in memory; the csv module's field limit bounds a runaway quoted
  field. The csv reader takes records a batch at a time.
* The mapping from columns to harmonised fields is worked out once per file from the header
  (a *plan*); each column of a batch is converted in one pass, each distinct value once (most
  columns repeat few values), so the per-cell cost is a dictionary lookup.
* Every record ends in exactly one place: a row of the batch, or ``rejected`` with its line,
  original text and reason. Blank lines are not records.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import chain, islice
from typing import Any, BinaryIO

from certnet.config import get_settings
from certnet.core.errors import Invalid
from certnet.feeds import harmonisation
from certnet.feeds.batch import ParsedBatch, Rejected
from certnet.feeds.parsers import schema_store
from certnet.feeds.parsers import shadowserver_conversions as conversions
from certnet.feeds.parsers.lines import ReportLines, gc_paused
from certnet.feeds.parsers.schema_store import ReportSchema, ShadowserverSchema

_BOM = b"\xef\xbb\xbf"
PROVIDER = "Shadowserver"

CellFunction = Callable[[str], Any]


@cache
def _cell_function(conversion: str | None, target: str) -> CellFunction:
    """Conversion then the field's normaliser; an empty cell is no value. (Not the memoised
    normaliser: a batch converts each distinct cell once already.)"""
    field_type = harmonisation.FIELDS[target].type
    normalise = field_type.normalise
    convert = conversions.CONVERSIONS[conversion] if conversion else None
    if convert is None or isinstance(field_type, _SAME_AS.get(conversion or "", ())):
        # The conversion is the field's own check: do it once.
        def function(text: str) -> Any:
            return normalise(text) if text else None

    else:

        def function(text: str) -> Any:
            if not text:
                return None
            value = convert(text)
            return None if value is None else normalise(value)

    return function


#: Conversions that are exactly a harmonised type's normaliser.
_SAME_AS: dict[str, type[harmonisation.FieldType]] = {
    "validate_ip": harmonisation.IPAddress,
    "validate_network": harmonisation.IPNetwork,
    "validate_fqdn": harmonisation.FQDN,
    "add_UTC_to_timestamp": harmonisation.DateTime,
    "convert_date_utc": harmonisation.DateTime,
    "convert_bool": harmonisation.Boolean,
}


@dataclass(frozen=True)
class _Step:
    """One harmonised field filled from one column (``index``), or from the whole row."""

    target: str
    index: int
    column: str
    function: CellFunction | None
    row_function: conversions.RowConversion | None
    required: bool
    #: Nearly every value is new (addresses): converting distinct values first costs more.
    distinct: bool = False


@dataclass(frozen=True)
class _Plan:
    """What to do with each column of this file, worked out once from its header."""

    report: ReportSchema
    header: list[str]
    steps: list[_Step]
    extras: list[tuple[str, int]]
    constants: dict[str, Any]

    @property
    def width(self) -> int:
        return len(self.header)


def make_plan(report: ReportSchema, header: list[str]) -> _Plan:
    """Match a file's header to the report's mapping; ``Invalid`` if a required column is
    missing (the file is not this report)."""
    names = [h.strip().lower() for h in header]
    position = {name: i for i, name in reversed(list(enumerate(names)))}
    missing = sorted(report.required_columns - set(position))
    if missing:
        raise Invalid.on(
            "header",
            f"not a {report.report_type} report: missing column(s) {', '.join(missing)}",
        )
    steps: list[_Step] = []
    extras: list[tuple[str, int]] = []
    extra_names: set[str] = set()
    used: set[int] = set()
    for mapping in report.mappings:
        index = position.get(mapping.column)
        if index is None and not mapping.whole_row:
            continue  # an optional column this file does not have
        if index is not None:
            used.add(index)
        extra_name = mapping.extra_name
        if extra_name is not None:
            if index is not None and extra_name not in extra_names:
                extra_names.add(extra_name)
                extras.append((extra_name, index))
            continue
        if mapping.whole_row:
            row_function = conversions.ROW_CONVERSIONS[mapping.conversion or ""]
            steps.append(
                _Step(
                    mapping.target,
                    -1 if index is None else index,
                    mapping.column,
                    None,
                    row_function,
                    mapping.required,
                )
            )
        else:
            assert index is not None
            steps.append(
                _Step(
                    mapping.target,
                    index,
                    mapping.column,
                    _cell_function(mapping.conversion, mapping.target),
                    None,
                    mapping.required,
                    distinct=isinstance(
                        harmonisation.FIELDS[mapping.target].type, harmonisation.IPAddress
                    ),
                )
            )
    # A column the schema does not know is kept in extra under its own name.
    for index, name in enumerate(names):
        if index not in used and name not in extra_names and name:
            extra_names.add(name)
            extras.append((name, index))
    constants = {
        "feed.provider": PROVIDER,
        "feed.name": report.feed_name,
        "feed.code": report.report_type,
        **report.constants,
    }
    return _Plan(report, names, steps, extras, constants)


class ShadowserverParser:
    """Shadowserver CSV reports, any type the schema describes."""

    source = "shadowserver"

    def __init__(self, schema: ShadowserverSchema) -> None:
        self.schema = schema

    @classmethod
    def installed(cls) -> ShadowserverParser:
        """A parser with the schema the operator imported (``certnet feeds schema import``);
        ``NotFound`` saying how to import one if there is none."""
        return cls(schema_store.installed_schema(settings=get_settings()))

    def detect(self, filename: str | None, head: bytes) -> str | None:
        """The report type, from Shadowserver's file name, else from the header line; None
        when neither tells (see :meth:`candidates` for the types that would fit)."""
        found = self.candidates(filename, head)
        return found[0] if len(found) == 1 else None

    def candidates(self, filename: str | None, head: bytes) -> list[str]:
        """The report types this file may be, best first: the one its Shadowserver file name
        names, else those whose columns its header has. Many reports share their columns
        (``scan_imap`` and ``scan_pop3``, IPv4 and IPv6 twins): among those, the address
        family of the first row decides where it can; several may remain."""
        if filename:
            named = self.schema.type_from_filename(filename)
            if named:
                return [named]
        text = head.removeprefix(_BOM).decode("utf-8", "replace")
        try:
            rows = list(csv.reader(io.StringIO(text)))
        except csv.Error:
            return []
        if not rows or not rows[0]:
            return []
        ranked = self.schema.types_for_header(rows[0])
        if not ranked:
            return []
        best_columns = self.schema.reports[ranked[0]].columns
        best = [c for c in ranked if self.schema.reports[c].columns == best_columns]
        header = [h.strip().lower() for h in rows[0]]
        address_column = next((c for c in ("ip", "src_ip") if c in header), None)
        if len(best) > 1 and len(rows) > 1 and address_column:
            index = header.index(address_column)
            ipv6 = index < len(rows[1]) and ":" in rows[1][index]
            best = [c for c in best if _is_ipv6_report(c) == ipv6] or best
        return best

    def parse(
        self, stream: BinaryIO, *, report_type: str, batch_size: int = 50_000
    ) -> Iterator[ParsedBatch]:
        """Read the report and yield harmonised batches of up to ``batch_size`` records;
        ``Invalid`` for an unknown report type or a header that is not the report's."""
        reading = _Reading(self.schema.resolve(report_type), stream)
        while True:
            with gc_paused():
                batch = reading.next_batch(batch_size)
            if batch is None:
                return
            yield batch


class _Reading:
    """One report being read: its plan (once the header is read) and where the reader is.

    Records are taken from the csv reader a batch at a time (``islice``: no Python code per
    record). When the reader consumed exactly one line per record and no line has a problem,
    which is nearly always, line numbers and texts follow from the lines themselves; otherwise
    that stretch of lines is parsed again record by record (it ends on a record boundary, so
    the records come out the same), which tells each record's lines.
    """

    def __init__(self, report: ReportSchema, stream: BinaryIO) -> None:
        self.report = report
        self.lines = ReportLines(stream)
        self.reader = csv.reader(chain.from_iterable(self.lines.chunks()))
        self.plan: _Plan | None = None
        self.done = False

    def next_batch(self, batch_size: int) -> ParsedBatch | None:
        """The next ``batch_size`` records harmonised, or None at the end."""
        if self.done:
            return None
        self.lines.forget()
        batch = _Gathered()
        while self.plan is None and not self.done:
            self._one_by_one(batch, 1)
        while not self.done and batch.count < batch_size:
            self._in_bulk(batch, batch_size - batch.count)
        if self.plan is None:
            raise Invalid.on(
                "header", f"empty report: no header line for {self.report.report_type}"
            )
        if not batch.count:
            return None
        return harmonise(self.plan, batch.rows, batch.numbers, batch.raws, batch.rejected)

    def _in_bulk(self, batch: _Gathered, wanted: int) -> None:
        lines, reader = self.lines, self.reader
        start = reader.line_num
        try:
            records = list(islice(reader, wanted))
        except csv.Error:
            records = None
        end = reader.line_num
        if records is not None and len(records) < wanted:
            self.done = True
        if records is None or end - start != len(records) or lines.has_problem(start, end):
            self._again(batch, start, end, records is None)
            return
        assert self.plan is not None
        width = self.plan.width
        texts = lines.text[start - lines.base : end - lines.base]
        lines.taken = end
        if list(map(len, records)).count(width) == len(records):
            batch.rows.extend(records)
            batch.numbers.extend(range(start + 1, end + 1))
            batch.raws.extend([text.rstrip("\r\n") for text in texts])
            return
        for offset, (row, text) in enumerate(zip(records, texts, strict=True)):
            batch.add(self.plan, row, start + offset + 1, text.rstrip("\r\n"), None)

    def _again(self, batch: _Gathered, start: int, end: int, failed: bool) -> None:
        """Lines ``start + 1 … end`` once more, record by record (the last one broken if
        the reader ``failed`` on it)."""
        lines = self.lines
        reader = csv.reader(lines.text[start - lines.base : end - lines.base])
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                # A runaway quoted field: the reader gave up on this record, not the file.
                line, raw, _ = lines.take(start + reader.line_num)
                batch.rejected.append(Rejected(line, raw[:4096], f"malformed CSV: {exc}"))
                continue
            line, raw, problem = lines.take(start + reader.line_num)
            assert self.plan is not None
            batch.add(self.plan, row, line, raw, problem)
        if failed and lines.taken < end:
            line, raw, _ = lines.take(end)
            batch.rejected.append(Rejected(line, raw[:4096], "malformed CSV"))

    def _one_by_one(self, batch: _Gathered, wanted: int) -> None:
        """The header: the first record that is not blank (or refused)."""
        lines, reader = self.lines, self.reader
        try:
            row = next(reader)
        except StopIteration:
            self.done = True
            return
        except csv.Error as exc:
            line, raw, _ = lines.take(reader.line_num)
            batch.rejected.append(Rejected(line, raw[:4096], f"malformed CSV: {exc}"))
            return
        line, raw, problem = lines.take(reader.line_num)
        if problem is not None:
            batch.rejected.append(Rejected(line, raw, problem))
        elif row:
            self.plan = make_plan(self.report, row)


class _Gathered:
    """The records of the batch being gathered, accepted or refused."""

    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.numbers: list[int] = []
        self.raws: list[str] = []
        self.rejected: list[Rejected] = []

    @property
    def count(self) -> int:
        return len(self.rows) + len(self.rejected)

    def add(self, plan: _Plan, row: list[str], line: int, raw: str, problem: str | None) -> None:
        """One record: kept, refused with its problem or for its width, or (blank) skipped."""
        if problem is not None:
            self.rejected.append(Rejected(line, raw, problem))
        elif not row:
            return  # a blank line is not a record
        elif len(row) != plan.width:
            reason = f"expected {plan.width} columns, found {len(row)}"
            self.rejected.append(Rejected(line, raw, reason))
        else:
            self.rows.append(row)
            self.numbers.append(line)
            self.raws.append(raw)


def _is_ipv6_report(code: str) -> bool:
    head = code.split("_", 1)[0]
    return head.endswith("6") or code.endswith("6")


def _too_long(plan: _Plan, row: list[str]) -> tuple[str, str] | None:
    for name, value in zip(plan.header, row, strict=True):
        if len(value) > harmonisation.MAX_TEXT:
            return (
                name,
                f"column {name} is longer than {harmonisation.MAX_TEXT} characters ({len(value)})",
            )
    return None


def harmonise(
    plan: _Plan,
    rows: list[list[str]],
    numbers: list[int],
    raws: list[str],
    rejected: list[Rejected],
) -> ParsedBatch:
    """Turn well-formed records into a batch: convert column by column, quarantine each
    record with a value its field refuses (the first such field named)."""
    problems: dict[int, tuple[str, str]] = {}
    for i, raw in enumerate(raws):
        # No single field can be over the limit when the whole record is not.
        if len(raw) > harmonisation.MAX_TEXT:
            found = _too_long(plan, rows[i])
            if found:
                problems[i] = found
    # Every record has the header's width: one transposition gives every column at once.
    cells: list[tuple[str, ...]] = list(zip(*rows, strict=True)) if rows else []
    columns: dict[str, list[Any]] = {}
    for step in plan.steps:
        values = _column(step, plan, rows, cells, problems)
        previous = columns.get(step.target)
        if previous is None:
            columns[step.target] = values
        else:
            # Two columns feed one field: the first non-empty value wins.
            columns[step.target] = [
                a if a is not None else b for a, b in zip(previous, values, strict=True)
            ]
    if problems:
        keep = [i for i in range(len(rows)) if i not in problems]
        rejected = rejected + [
            Rejected(numbers[i], raws[i], reason, field)
            for i, (field, reason) in sorted(problems.items())
        ]
        rows = [rows[i] for i in keep]
        cells = list(zip(*rows, strict=True)) if rows else []
        numbers = [numbers[i] for i in keep]
        raws = [raws[i] for i in keep]
        columns = {name: [values[i] for i in keep] for name, values in columns.items()}
    size = len(rows)
    for name, value in plan.constants.items():
        columns.setdefault(name, [value] * size)
    return ParsedBatch(
        report_type=plan.report.report_type,
        columns=columns,
        extra_columns=_extras(plan, cells, size),
        lines=numbers,
        raw=raws,
        rejected=sorted(rejected, key=lambda r: r.line),
    )


def _column(
    step: _Step,
    plan: _Plan,
    rows: list[list[str]],
    cells: list[tuple[str, ...]],
    problems: dict[int, tuple[str, str]],
) -> list[Any]:
    if step.row_function is not None:
        return _row_column(step, plan, rows, problems)
    function = step.function
    assert function is not None
    column = cells[step.index] if cells else ()
    if step.distinct:
        values = _each(function, column, step, problems)
    else:
        values = _by_distinct_value(function, column, step, problems)
    if step.required and None in values:
        for i, value in enumerate(values):
            if value is None and i not in problems:
                problems[i] = (
                    step.target,
                    f"{step.target} (column {step.column}) is required but empty",
                )
    return values


def _by_distinct_value(
    function: CellFunction,
    cells: Sequence[str],
    step: _Step,
    problems: dict[int, tuple[str, str]],
) -> list[Any]:
    """Convert each distinct cell once, then look every cell up: most columns of a report
    hold few distinct values (ports, AS numbers, countries, tags, timestamps)."""
    distinct = list(set(cells))
    refused: dict[str, str] = {}
    try:
        converted = dict(zip(distinct, map(function, distinct), strict=True))
    except ValueError:
        converted = {}  # the slow path, only for a batch with a bad value
        for cell in distinct:
            try:
                converted[cell] = function(cell)
            except ValueError as exc:
                converted[cell] = None
                refused[cell] = f"{step.target} (column {step.column}): {exc}"
    if refused:
        for i, cell in enumerate(cells):
            if cell in refused:
                problems.setdefault(i, (step.target, refused[cell]))
    return list(map(converted.__getitem__, cells))


def _each(
    function: CellFunction,
    cells: Sequence[str],
    step: _Step,
    problems: dict[int, tuple[str, str]],
) -> list[Any]:
    """Convert cell by cell (addresses: nearly every value is new); each refusal is
    recorded against its row."""
    try:
        return list(map(function, cells))
    except ValueError:
        pass  # the slow path, only for a batch with a bad value
    values: list[Any] = []
    for i, cell in enumerate(cells):
        try:
            values.append(function(cell))
        except ValueError as exc:
            values.append(None)
            problems.setdefault(i, (step.target, f"{step.target} (column {step.column}): {exc}"))
    return values


def _row_column(
    step: _Step, plan: _Plan, rows: list[list[str]], problems: dict[int, tuple[str, str]]
) -> list[Any]:
    row_function = step.row_function
    assert row_function is not None
    normalise = harmonisation.normaliser(step.target)
    values: list[Any] = []
    for i, row in enumerate(rows):
        cells: Mapping[str, str] = dict(zip(plan.header, row, strict=True))
        try:
            value = row_function(row[step.index] if step.index >= 0 else "", cells)
            values.append(None if value is None else normalise(value))
        except ValueError as exc:
            values.append(None)
            problems.setdefault(i, (step.target, f"{step.target} (column {step.column}): {exc}"))
    return values


def _extras(plan: _Plan, cells: list[tuple[str, ...]], size: int) -> dict[str, list[str]]:
    """The columns that are not harmonised, as text, column by column (an empty cell is no
    value). They are not converted: certnet does not interpret them, and leaving them as the
    source wrote them costs nothing and loses nothing."""
    if not size:
        return {name: [] for name, _ in plan.extras}
    return {name: list(cells[index]) for name, index in plan.extras}
