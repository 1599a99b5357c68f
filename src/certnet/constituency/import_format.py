"""The file formats of a constituency import: CSV columns and JSON shape, parsed into one
:class:`OrganisationEntry` per row or object, with every problem located (``line 12:
contact_email`` or ``organisations[3].resources[1]``). See ``docs/constituency-import.md``."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from certnet.constituency.schemas import (
    CiiDesignation,
    Code,
    ContactCreate,
    Name,
    ShortName,
)
from certnet.core.errors import FieldError
from certnet.core.tlp import Tlp

Format = Literal["csv", "json"]

#: The CSV columns, in the documented order. Only ``organisation`` is required in the header.
CSV_COLUMNS = (
    "organisation",
    "cert",
    "sector",
    "province",
    "cii_ministry",
    "cii_grade",
    "cii_designated_on",
    "cii_next_review",
    "resources",
    "contact_name",
    "contact_role",
    "contact_email",
    "contact_phone",
    "contact_valid_until",
    "contact_tlp",
)


def _csv_path(column: str) -> tuple[str, ...]:
    """Where a CSV column goes in an :class:`OrganisationEntry` (and back, to name errors)."""
    if column == "organisation":
        return ("name",)
    for prefix, group in (("cii_", "cii"), ("contact_", "contacts")):
        if column.startswith(prefix):
            return (group, column.removeprefix(prefix))
    return (column,)


_CSV_COLUMN_OF = {_csv_path(column): column for column in CSV_COLUMNS}
_RESOURCE_SEPARATORS = re.compile(r"[;\s]+")
#: Bigger files are split by the operator; the whole file is validated in memory.
MAX_BYTES = 32 * 1024 * 1024


# --- the shape of one entry -------------------------------------------------------------------


class ContactEntry(ContactCreate):
    """A contact in an import file; TLP:RED contacts need named recipients, so not here."""

    @field_validator("tlp")
    @classmethod
    def _not_red(cls, tlp: Tlp) -> Tlp:
        if tlp is Tlp.RED:
            raise ValueError("TLP:RED contacts need named recipients: add them through the API")
        return tlp


class OrganisationEntry(BaseModel):
    """One organisation as a file states it; absent fields leave the stored ones alone."""

    model_config = {"extra": "forbid", "str_strip_whitespace": True}

    name: Name
    cert: ShortName | None = Field(default=None, description="short_name of the owning CERT")
    sector: Code | None = None
    province: Code | None = None
    cii: CiiDesignation | None = None
    resources: list[str] = Field(default_factory=list)
    contacts: list[ContactEntry] = Field(default_factory=list)


@dataclass(frozen=True)
class Where:
    """Where an entry came from — a CSV line or a JSON path — and how its fields are named."""

    label: str
    is_csv: bool

    def at(self, *path: str | int) -> str:
        """The name of a field of this entry as the file's author sees it."""
        if self.is_csv:
            named = tuple(p for p in path if isinstance(p, str))
            column = "resources" if named[:1] == ("resources",) else _CSV_COLUMN_OF.get(named)
            return f"{self.label}: {column or '.'.join(named) or 'row'}"
        return self.label + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


# --- the report -------------------------------------------------------------------------------


class OrganisationOutcome(BaseModel):
    """What the import does (or, in a dry run, would do) to one organisation."""

    name: str
    action: Literal["created", "updated", "unchanged"]
    changed_fields: list[str] = Field(default_factory=list)
    resources_added: list[str] = Field(default_factory=list)
    contacts_added: list[str] = Field(default_factory=list)
    contacts_updated: list[str] = Field(default_factory=list)


class ImportReport(BaseModel):
    """The summary of an import; ``dry_run`` says whether anything was written."""

    format: Format
    dry_run: bool
    organisations_created: int = 0
    organisations_updated: int = 0
    organisations_unchanged: int = 0
    resources_added: int = 0
    resources_unchanged: int = 0
    contacts_added: int = 0
    contacts_updated: int = 0
    contacts_unchanged: int = 0
    organisations: list[OrganisationOutcome] = Field(default_factory=list)


# --- parse ------------------------------------------------------------------------------------


def detect_format(content: bytes, filename: str | None = None) -> Format:
    """By extension (``.csv``, ``.json``), else by the first character of the content."""
    name = (filename or "").lower()
    if name.endswith((".csv", ".json")):
        return "csv" if name.endswith(".csv") else "json"
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return "json" if head in (b"[", b"{") else "csv"


def located_errors(exc: ValidationError, where: Where) -> list[FieldError]:
    errors = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        shown = err.get("input")
        reason = err["msg"]
        if isinstance(shown, str | int | float) and err["type"] != "missing":
            reason = f"{reason} (got {shown!r})"
        errors.append(FieldError(where.at(*loc), reason))
    return errors


def _csv_entry(row: dict[str, str], where: Where) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for column, value in row.items():
        if column == "resources" or not value.strip():
            continue
        path = _csv_path(column)
        target = data
        if path[0] == "contacts":
            target = data.setdefault("contacts", [{}])[0]
            path = path[1:]
        elif path[0] == "cii":
            target = data.setdefault("cii", {})
            path = path[1:]
        target[path[0]] = value.strip()
    claims = _RESOURCE_SEPARATORS.split(row.get("resources", "").strip())
    data["resources"] = [c for c in claims if c]
    return data


def parse_csv(text: str) -> tuple[list[tuple[Where, dict[str, Any]]], list[FieldError]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    errors: list[FieldError] = []
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return [], [FieldError("file", "is empty; expected a header row")]
    except csv.Error as exc:
        return [], [FieldError("line 1", f"not CSV: {exc}")]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        errors.append(
            FieldError(
                "line 1: header",
                f"unknown column(s) {', '.join(map(repr, unknown))}; "
                f"the columns are: {', '.join(CSV_COLUMNS)}",
            )
        )
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        errors.append(FieldError("line 1: header", f"repeated column(s) {', '.join(repeated)}"))
    if "organisation" not in header:
        errors.append(FieldError("line 1: header", "the 'organisation' column is required"))
    if errors:
        return [], errors
    entries = []
    end = reader.line_num
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(FieldError(f"line {start}", f"not CSV: {exc}"))
            break
        end = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        where = Where(f"line {start}", is_csv=True)
        if len(cells) != len(header):
            errors.append(
                FieldError(
                    f"{where.label}: row", f"has {len(cells)} fields; the header has {len(header)}"
                )
            )
            continue
        entries.append((where, _csv_entry(dict(zip(header, cells, strict=True)), where)))
    return entries, errors


def parse_json(text: str) -> tuple[list[tuple[Where, dict[str, Any]]], list[FieldError]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        reason = f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        return [], [FieldError("file", reason)]
    if isinstance(document, dict):
        extra = sorted(set(document) - {"organisations"})
        if extra or "organisations" not in document:
            reason = "the top level is a list, or an object with one key: 'organisations'"
            return [], [FieldError("file", reason)]
        document = document["organisations"]
    if not isinstance(document, list):
        return [], [FieldError("organisations", "must be a list of organisations")]
    entries, errors = [], []
    for index, item in enumerate(document):
        where = Where(f"organisations[{index}]", is_csv=False)
        if isinstance(item, dict):
            entries.append((where, item))
        else:
            errors.append(FieldError(where.label, "must be an object"))
    return entries, errors
