"""Shadowserver's published report schema (``intelmq.json``): reading it, checking it against
the harmonisation registry, the taxonomy and the conversions certnet implements, and keeping
the operator's imported copy under ``var_dir/shadowserver/``.

certnet does not download the schema (CERT networks are often closed); an operator imports a
newer copy with ``certnet feeds schema import PATH``. A copy that certnet could not parse
faithfully (an unknown conversion, a field the registry does not know, a classification outside
the taxonomy) is refused as a whole, naming every problem, and the installed copy stays.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from difflib import get_close_matches
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from certnet.config import Settings
from certnet.core import audit
from certnet.core.access import Principal
from certnet.core.errors import FieldError, Invalid, NotFound
from certnet.feeds import harmonisation
from certnet.feeds.parsers import shadowserver_conversions as conversions
from certnet.feeds.taxonomy import rsit

SCHEMA_FILE = "intelmq.json"
#: Shadowserver's report file names: ``2024-07-04-dns_openresolver-123-sample-asn.csv``.
REPORT_FILENAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-([^-]+)-.+\.csv$")


@dataclass(frozen=True)
class FieldMapping:
    """One ``[field, column, conversion, whole_row]`` entry of a report's mapping."""

    target: str
    column: str
    conversion: str | None
    whole_row: bool
    required: bool

    @property
    def extra_name(self) -> str | None:
        """The key in ``extra`` (``extra.`` alone means "the column's own name"), or None
        for a harmonised field."""
        if not self.target.startswith("extra."):
            return None
        return self.target[len("extra.") :] or self.column


@dataclass(frozen=True)
class ReportSchema:
    """How one Shadowserver report type maps onto the harmonised event."""

    report_type: str
    key: str
    feed_name: str
    url: str | None
    mappings: tuple[FieldMapping, ...]
    constants: dict[str, Any]

    @property
    def columns(self) -> frozenset[str]:
        """Every source column the mapping names."""
        return frozenset(m.column for m in self.mappings)

    @property
    def required_columns(self) -> frozenset[str]:
        """The columns a file of this type must have."""
        return frozenset(m.column for m in self.mappings if m.required)


@dataclass(frozen=True)
class ShadowserverSchema:
    """The whole schema: report types by their file-name code (``scan_http``)."""

    reports: dict[str, ReportSchema]
    created: str | None = None
    sha256: str = ""
    aliases: dict[str, str] = field(default_factory=dict)

    def resolve(self, name: str) -> ReportSchema:
        """The report type ``name`` (its file-name code, or the schema's own key such as
        ``event_sinkhole_http``); ``Invalid`` naming the closest known types otherwise."""
        code = name.strip().lower()
        found = self.reports.get(code) or self.reports.get(self.aliases.get(code, ""))
        if found is not None:
            return found
        close = get_close_matches(code, [*self.reports, *self.aliases], n=5, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise Invalid.on(
            "report_type",
            f"{name!r} is not a Shadowserver report type in the imported schema "
            f"({len(self.reports)} types){hint}",
        )

    def type_from_filename(self, filename: str) -> str | None:
        """The report type a Shadowserver file name names, if the schema knows it."""
        match = REPORT_FILENAME.match(Path(filename).name)
        if not match:
            return None
        code = match.group(2).lower()
        if code in self.reports:
            return code
        return self.aliases.get(code)

    def types_for_header(self, header: list[str]) -> list[str]:
        """Report types whose required columns the header has, best match first (by the
        share of columns in common); an empty list when none fits."""
        columns = {c.strip().lower() for c in header}
        scored = []
        for code, report in self.reports.items():
            if not report.required_columns <= columns:
                continue
            union = columns | report.columns
            scored.append((len(columns & report.columns) / len(union), code))
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [code for _, code in scored]


def _problem(problems: list[FieldError], where: str, reason: str) -> None:
    problems.append(FieldError(where, reason))


def _mapping(
    entry: Any, required: bool, where: str, problems: list[FieldError]
) -> FieldMapping | None:
    if not isinstance(entry, list) or not 2 <= len(entry) <= 4:
        _problem(problems, where, "a mapping is [field, column, conversion?, whole_row?]")
        return None
    target, column = entry[0], entry[1]
    conversion = entry[2] if len(entry) > 2 else None
    whole_row = bool(entry[3]) if len(entry) > 3 else False
    if not isinstance(target, str) or not isinstance(column, str):
        _problem(problems, where, "field and column must be text")
        return None
    if conversion is not None and not isinstance(conversion, str):
        _problem(problems, where, "the conversion must be a name")
        return None
    if not target.startswith("extra.") and not harmonisation.is_field(target):
        _problem(problems, where, f"{target!r} is not a harmonised field")
    if conversion is not None:
        table = conversions.ROW_CONVERSIONS if whole_row else conversions.CONVERSIONS
        if conversion not in table:
            kind = "row conversion" if whole_row else "conversion"
            _problem(problems, where, f"unknown {kind} {conversion!r}")
    return FieldMapping(target, column.strip().lower(), conversion, whole_row, required)


def _report(key: str, body: Any, problems: list[FieldError]) -> ReportSchema | None:
    if not isinstance(body, dict):
        _problem(problems, key, "a report type is an object")
        return None
    code = body.get("file_name") or key
    mappings: list[FieldMapping] = []
    for section, required in (("required_fields", True), ("optional_fields", False)):
        entries = body.get(section, [])
        if not isinstance(entries, list):
            _problem(problems, f"{key}.{section}", "must be a list")
            continue
        for i, entry in enumerate(entries):
            found = _mapping(entry, required, f"{key}.{section}[{i}]", problems)
            if found is not None:
                mappings.append(found)
    constants: dict[str, Any] = {}
    raw_constants = body.get("constant_fields", {})
    if not isinstance(raw_constants, dict):
        _problem(problems, f"{key}.constant_fields", "must be an object")
        raw_constants = {}
    for name, value in raw_constants.items():
        where = f"{key}.constant_fields.{name}"
        if not harmonisation.is_field(name):
            if not name.startswith("extra."):
                _problem(problems, where, f"{name!r} is not a harmonised field")
            continue
        try:
            constants[name] = harmonisation.normaliser(name)(value)
        except ValueError as exc:
            _problem(problems, where, str(exc))
    _classify(str(code).lower(), constants)
    return ReportSchema(
        report_type=str(code).lower(),
        key=key,
        feed_name=str(body.get("feed_name") or code),
        url=body.get("url"),
        mappings=tuple(mappings),
        constants=constants,
    )


@dataclass(frozen=True)
class Classification:
    """certnet's RSIT class and type for one report type (``data/classification.toml``)."""

    taxonomy: str
    type: str
    why: str


@cache
def classifications() -> dict[str, Classification]:
    """certnet's classification of the report types Shadowserver's schema classifies only
    generically, by report type; ``ValueError`` if the packaged data names a pair that is not
    RSIT's (a test keeps it right)."""
    text = resources.files("certnet.feeds").joinpath("data/classification.toml").read_text()
    found: dict[str, Classification] = {}
    for code, entry in tomllib.loads(text).items():
        pair = Classification(str(entry["taxonomy"]), str(entry["type"]), str(entry["why"]))
        if not rsit().pair_is_valid(pair.taxonomy, pair.type):
            raise ValueError(f"{code}: {pair.taxonomy}/{pair.type} is not an RSIT class and type")
        found[code] = pair
    return found


def _classify(report_type: str, constants: dict[str, Any]) -> None:
    """Replace a generic class (``other``) the schema gives a report type by certnet's own,
    where it has one; a schema that classifies the report specifically is kept."""
    if constants.get("classification.taxonomy") != "other":
        return
    ours = classifications().get(report_type)
    if ours is not None:
        constants["classification.taxonomy"] = ours.taxonomy
        constants["classification.type"] = ours.type


def parse_schema(data: bytes) -> ShadowserverSchema:
    """Read and check a schema; ``Invalid`` naming every problem if certnet cannot use it."""
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Invalid.on("schema", f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise Invalid.on("schema", "not a JSON object of report types")
    problems: list[FieldError] = []
    reports: dict[str, ReportSchema] = {}
    aliases: dict[str, str] = {}
    for key, body in document.items():
        if key.startswith("_"):
            continue  # _meta: change log and creation date
        report = _report(key, body, problems)
        if report is None:
            continue
        if report.report_type in reports:
            _problem(problems, key, f"file_name {report.report_type!r} is used twice")
        reports[report.report_type] = report
        if key != report.report_type:
            aliases[key.lower()] = report.report_type
    if not reports:
        _problem(problems, "schema", "no report types")
    if problems:
        raise Invalid(detail="the Shadowserver schema cannot be used", errors=problems)
    meta = document.get("_meta")
    created = meta.get("date_created") if isinstance(meta, dict) else None
    return ShadowserverSchema(
        reports=reports,
        created=str(created) if created else None,
        sha256=hashlib.sha256(data).hexdigest(),
        aliases=aliases,
    )


def load_schema(path: Path) -> ShadowserverSchema:
    """Read a schema file (Shadowserver's ``intelmq.json``)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Invalid.on("path", f"cannot read {path}: {exc.strerror}") from None
    return _parse_cached(data)


@lru_cache(maxsize=4)
def _parse_cached(data: bytes) -> ShadowserverSchema:
    # Checking 170 report types takes milliseconds, but parsers are built per file.
    return parse_schema(data)


def store_dir(settings: Settings) -> Path:
    """Where the imported schema lives."""
    return settings.var_dir / "shadowserver"


def installed_schema(*, settings: Settings) -> ShadowserverSchema:
    """The schema the operator imported; ``NotFound`` saying how to import one otherwise."""
    path = store_dir(settings) / SCHEMA_FILE
    if not path.is_file():
        raise NotFound(
            detail=f"no Shadowserver schema imported (looked for {path}); "
            "run: certnet feeds schema import PATH/TO/intelmq.json"
        )
    return load_schema(path)


def import_schema(
    *, session: Session, principal: Principal, settings: Settings, source: Path
) -> ShadowserverSchema:
    """Check ``source`` and install it as the schema certnet parses Shadowserver reports
    with; the previous copy stays if the new one is refused. The import is audited."""
    schema = load_schema(source)
    target_dir = store_dir(settings)
    target_dir.mkdir(parents=True, exist_ok=True)
    previous = None
    target = target_dir / SCHEMA_FILE
    if target.is_file():
        previous = hashlib.sha256(target.read_bytes()).hexdigest()
    # Write then rename, so a parser never reads half a schema.
    partial = target_dir / f".{SCHEMA_FILE}.partial"
    partial.write_bytes(source.read_bytes())
    os.replace(partial, target)
    audit.record(
        session=session,
        principal=principal,
        action="feeds.schema.import",
        object_type="shadowserver_schema",
        object_id=schema.sha256[:16],
        before={"sha256": previous} if previous else None,
        after={
            "sha256": schema.sha256,
            "created": schema.created,
            "report_types": len(schema.reports),
        },
    )
    return schema
