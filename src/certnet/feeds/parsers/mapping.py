"""``MappingParser``: any CSV, JSON or JSON-lines feed, driven by a mapping file (TOML).

A mapping file says which column (CSV) or JSON path goes to which harmonised field, which
fields are constant for the whole feed, and how timestamps are written::

    [feed]
    report_type = "example-blocklist"   # the report type code certnet stores
    name = "Example blocklist"          # feed.name
    provider = "Example CERT"           # feed.provider
    format = "csv"                      # csv | json | jsonl
    delimiter = ","                     # csv only
    records = "data.items"              # json only: where the list of records is

    [constants]
    "classification.taxonomy" = "other"
    "classification.type" = "blocklist"

    [fields]
    "source.ip" = "ip"                  # a column name, or a dotted JSON path
    "time.source" = { from = "seen", format = "%d/%m/%Y %H:%M", required = true }

Every name is checked against the harmonisation registry when the mapping is loaded: an
unknown field is an error naming it, and so is a constant its field refuses. Columns no
field takes are kept in ``extra``. Time formats: ``iso`` (the default), ``epoch`` (seconds
since 1970, UTC) or a ``strptime`` format (a time without an offset is UTC).

CSV and JSON lines are streamed a line at a time; a JSON document is read whole.
"""

from __future__ import annotations

import csv
import json
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

from certnet.core.errors import Invalid
from certnet.feeds import harmonisation
from certnet.feeds.batch import ParsedBatch, Rejected

Format = Literal["csv", "json", "jsonl"]
_FORMATS: tuple[Format, ...] = ("csv", "json", "jsonl")
_BOM = "\ufeff"
_MAX_LINE = 1 << 20


@dataclass(frozen=True)
class FieldRule:
    """One harmonised field filled from one column or JSON path."""

    target: str
    source: str
    time_format: str | None = None
    required: bool = False

    def convert(self, value: Any) -> Any:
        """The field's value from the source's, ``None`` for an empty one."""
        if value is None or value == "":
            return None
        if self.time_format and self.time_format != "iso":
            value = _parse_time(value, self.time_format)
        return harmonisation.normaliser(self.target)(value)


@dataclass(frozen=True)
class Mapping:
    """A validated mapping file."""

    report_type: str
    name: str
    provider: str
    format: Format
    delimiter: str
    records: str | None
    constants: dict[str, Any]
    fields: tuple[FieldRule, ...]

    @classmethod
    def load(cls, path: Path) -> Mapping:
        """Read and check a mapping file; Invalid naming the first problem."""
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise Invalid.on("mapping", f"cannot read mapping {path.name}: {exc}") from None
        return cls.from_dict(document)

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> Mapping:
        """Check a parsed mapping document against the harmonisation registry."""
        unknown = sorted(set(document) - {"feed", "constants", "fields"})
        if unknown:
            raise Invalid.on("mapping", f"unknown section(s): {', '.join(unknown)}")
        feed = document.get("feed", {})
        report_type = str(feed.get("report_type", "")).strip()
        if not report_type:
            raise Invalid.on("feed.report_type", "the mapping must name its report_type")
        kind = feed.get("format", "csv")
        if kind not in _FORMATS:
            raise Invalid.on("feed.format", f"{kind!r} is not one of {', '.join(_FORMATS)}")
        delimiter = str(feed.get("delimiter", ","))
        if len(delimiter) != 1:
            raise Invalid.on("feed.delimiter", "the delimiter must be one character")
        constants: dict[str, Any] = {}
        for target, value in document.get("constants", {}).items():
            _known(target, "constants")
            try:
                constants[target] = harmonisation.normaliser(target)(value)
            except ValueError as exc:
                raise Invalid.on(f"constants.{target}", str(exc)) from None
        rules: list[FieldRule] = []
        for target, spec in document.get("fields", {}).items():
            _known(target, "fields")
            rules.append(_rule(target, spec))
        if not rules:
            raise Invalid.on("fields", "the mapping maps no field")
        return cls(
            report_type=report_type,
            name=str(feed.get("name", report_type)),
            provider=str(feed.get("provider", "")) or "unknown",
            format=kind,
            delimiter=delimiter,
            records=feed.get("records"),
            constants=constants,
            fields=tuple(rules),
        )


def _known(target: str, section: str) -> None:
    if not harmonisation.is_field(target) or target in ("raw", "extra"):
        raise Invalid.on(
            f"{section}.{target}", f"{target!r} is not a harmonised field (see the harmonisation)"
        )


def _rule(target: str, spec: Any) -> FieldRule:
    if isinstance(spec, str):
        return FieldRule(target, spec)
    if not isinstance(spec, dict) or not isinstance(spec.get("from"), str):
        raise Invalid.on(f"fields.{target}", 'give a column name or { from = "column" }')
    unknown = sorted(set(spec) - {"from", "format", "required"})
    if unknown:
        raise Invalid.on(f"fields.{target}", f"unknown key(s): {', '.join(unknown)}")
    time_format = spec.get("format")
    if time_format is not None:
        if not isinstance(harmonisation.FIELDS[target].type, harmonisation.DateTime):
            raise Invalid.on(f"fields.{target}", "format applies to time fields only")
        if time_format not in ("iso", "epoch") and "%" not in str(time_format):
            raise Invalid.on(
                f"fields.{target}", "format is iso, epoch or a strptime format (%Y-%m-%d …)"
            )
    return FieldRule(target, spec["from"], time_format, bool(spec.get("required", False)))


def _parse_time(value: Any, time_format: str) -> datetime:
    if time_format == "epoch":
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            raise ValueError(f"{str(value)[:80]!r} is not seconds since 1970") from None
    try:
        return datetime.strptime(str(value).strip(), time_format)
    except ValueError:
        raise ValueError(f"{str(value)[:80]!r} does not match {time_format}") from None


class MappingParser:
    """A feed described by a :class:`Mapping` (one report type: the mapping's)."""

    source = "mapping"

    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping

    def detect(self, filename: str | None, head: bytes) -> str | None:
        """The mapping's report type: the operator chose the mapping for this file."""
        return self.mapping.report_type

    def parse(
        self, stream: BinaryIO, *, report_type: str, batch_size: int = 50_000
    ) -> Iterator[ParsedBatch]:
        """Read the feed and yield harmonised batches of up to ``batch_size`` records."""
        if report_type != self.mapping.report_type:
            raise Invalid.on(
                "report_type",
                f"this mapping reads {self.mapping.report_type!r}, not {report_type!r}",
            )
        records = {"csv": self._csv, "json": self._json, "jsonl": self._jsonl}[self.mapping.format](
            stream
        )
        gathered = _Gathered(self.mapping)
        for record in records:
            gathered.add(record)
            if gathered.count >= batch_size:
                yield gathered.batch()
                gathered = _Gathered(self.mapping)
        if gathered.count:
            yield gathered.batch()

    # Each reader yields (line, raw, record or None, problem or None).

    def _csv(self, stream: BinaryIO) -> Iterator[_Record]:
        lines = _Lines(stream)
        reader = csv.reader(lines, delimiter=self.mapping.delimiter)
        header: list[str] | None = None
        while True:
            start = lines.number
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                yield _Record(start + 1, lines.since(start), None, f"malformed CSV: {exc}")
                continue
            raw = lines.since(start)
            problem = lines.problem_since(start)
            if header is None:
                if problem:
                    yield _Record(start + 1, raw, None, problem)
                elif row:
                    header = [h.strip() for h in row]
                    self._check_columns(header)
                continue
            if not row and not problem:
                continue
            if problem:
                yield _Record(start + 1, raw, None, problem)
            elif len(row) != len(header):
                yield _Record(
                    start + 1, raw, None, f"expected {len(header)} columns, found {len(row)}"
                )
            else:
                yield _Record(start + 1, raw, dict(zip(header, row, strict=True)), None)
        if header is None:
            raise Invalid.on("header", f"empty feed: no header line for {self.mapping.report_type}")

    def _check_columns(self, header: list[str]) -> None:
        missing = sorted(r.source for r in self.mapping.fields if r.source not in header)
        if missing:
            raise Invalid.on(
                "header",
                f"not a {self.mapping.report_type} feed: missing column(s) {', '.join(missing)}",
            )

    def _jsonl(self, stream: BinaryIO) -> Iterator[_Record]:
        lines = _Lines(stream)
        for text in lines:
            number = lines.number
            raw = text.rstrip("\r\n")
            problem = lines.problem_since(number - 1)
            if not raw.strip() and not problem:
                continue
            if problem:
                yield _Record(number, raw, None, problem)
                continue
            try:
                record = json.loads(raw)
            except json.JSONDecodeError as exc:
                yield _Record(number, raw, None, f"not JSON: {exc.msg} at column {exc.colno}")
                continue
            if not isinstance(record, dict):
                yield _Record(number, raw, None, "not a JSON object")
                continue
            yield _Record(number, raw, record, None)

    def _json(self, stream: BinaryIO) -> Iterator[_Record]:
        try:
            document = json.loads(stream.read().decode("utf-8").removeprefix(_BOM))
        except UnicodeDecodeError as exc:
            raise Invalid.on("file", f"not UTF-8 (byte {exc.start + 1})") from None
        except json.JSONDecodeError as exc:
            raise Invalid.on(
                "file", f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        records = document
        if self.mapping.records:
            for part in self.mapping.records.split("."):
                records = records.get(part) if isinstance(records, dict) else None
        if not isinstance(records, list):
            where = self.mapping.records or "the top level"
            raise Invalid.on("records", f"no list of records at {where}")
        for number, record in enumerate(records, start=1):
            raw = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
            if isinstance(record, dict):
                yield _Record(number, raw, record, None)
            else:
                yield _Record(number, raw, None, "not a JSON object")


@dataclass(frozen=True)
class _Record:
    line: int
    raw: str
    values: dict[str, Any] | None
    problem: str | None


class _Lines:
    """Decoded lines of a binary stream, numbered; a line that is not UTF-8, holds a NUL or
    is too long is marked, so its record is quarantined rather than failing the file."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.number = 0
        self.texts: dict[int, str] = {}
        self.problems: dict[int, str] = {}

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        data = self.stream.readline(_MAX_LINE + 1)
        if not data:
            raise StopIteration
        self.number += 1
        if self.number == 1:
            data = data.removeprefix(_BOM.encode())
        if len(data) > _MAX_LINE and not data.endswith(b"\n"):
            while chunk := self.stream.readline(_MAX_LINE):
                if chunk.endswith(b"\n"):
                    break
            self.problems[self.number] = f"line longer than {_MAX_LINE} bytes"
            data = data[:1024] + b"\n"
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            text = data.decode("utf-8", "replace")
            self.problems.setdefault(self.number, f"not UTF-8 (byte {exc.start + 1})")
        if "\x00" in text:
            text = text.replace("\x00", "\\x00")
            self.problems.setdefault(self.number, "contains a NUL character")
        self.texts[self.number] = text
        return text

    def since(self, start: int) -> str:
        """The text of lines after ``start`` up to the current one (then forgotten)."""
        text = "".join(self.texts.pop(n, "") for n in range(start + 1, self.number + 1))
        return text.rstrip("\r\n")

    def problem_since(self, start: int) -> str | None:
        found = [
            self.problems.pop(n) for n in range(start + 1, self.number + 1) if n in self.problems
        ]
        return found[0] if found else None


def _lookup(record: dict[str, Any], path: str) -> Any:
    if path in record:
        return record[path]
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


class _Gathered:
    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.columns: dict[str, list[Any]] = {r.target: [] for r in mapping.fields}
        self.extra: list[dict[str, Any]] = []
        self.lines: list[int] = []
        self.raw: list[str] = []
        self.rejected: list[Rejected] = []
        # A column named like a path ("src.ip") is taken whole; a JSON path by its top key.
        self.mapped = {r.source for r in mapping.fields} | {
            r.source.split(".")[0] for r in mapping.fields
        }

    @property
    def count(self) -> int:
        return len(self.lines) + len(self.rejected)

    def add(self, record: _Record) -> None:
        if record.values is None:
            self.rejected.append(Rejected(record.line, record.raw, record.problem or "unreadable"))
            return
        values: dict[str, Any] = {}
        for rule in self.mapping.fields:
            try:
                value = rule.convert(_lookup(record.values, rule.source))
            except ValueError as exc:
                reason = f"{rule.target} ({rule.source}): {exc}"
                self.rejected.append(Rejected(record.line, record.raw, reason, rule.target))
                return
            if value is None and rule.required:
                reason = f"{rule.target} ({rule.source}) is required but empty"
                self.rejected.append(Rejected(record.line, record.raw, reason, rule.target))
                return
            values[rule.target] = value
        for target, value in values.items():
            self.columns[target].append(value)
        self.extra.append(
            {k: v for k, v in record.values.items() if k not in self.mapped and v not in (None, "")}
        )
        self.lines.append(record.line)
        self.raw.append(record.raw)

    def batch(self) -> ParsedBatch:
        size = len(self.lines)
        columns = dict(self.columns)
        constants = {
            "feed.name": self.mapping.name,
            "feed.provider": self.mapping.provider,
            "feed.code": self.mapping.report_type,
            **self.mapping.constants,
        }
        for name, value in constants.items():
            if name not in columns or all(v is None for v in columns[name]):
                columns[name] = [value] * size
            else:
                columns[name] = [value if v is None else v for v in columns[name]]
        return ParsedBatch(
            report_type=self.mapping.report_type,
            columns=columns,
            extra=self.extra,
            lines=self.lines,
            raw=self.raw,
            rejected=sorted(self.rejected, key=lambda r: r.line),
        )


def parser_for_mapping(path: Path) -> MappingParser:
    """A parser for the feed the mapping file at ``path`` describes."""
    return MappingParser(Mapping.load(path))
