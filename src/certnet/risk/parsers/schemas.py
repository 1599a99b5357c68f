"""The official schemas imports are validated against (shipped in ``risk/data/schemas``)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import (  # type: ignore[import-untyped]
    ValidationError,
    best_match,
)
from referencing import Registry
from referencing.jsonschema import DRAFT4, DRAFT7

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "schemas"
_CVE_IMPORTS = (
    "imports/cvss/cvss-v2.0.json",
    "imports/cvss/cvss-v3.0.json",
    "imports/cvss/cvss-v3.1.json",
    "imports/cvss/cvss-v4.0.json",
    "tags/adp-tags.json",
    "tags/cna-tags.json",
    "tags/reference-tags.json",
)


@lru_cache
def cve_validator() -> Draft7Validator:
    """A validator for the CVE Record Format; its ``file:`` references resolve to the shipped
    copies beside it."""
    base = SCHEMAS / "cve5"
    resources = []
    for rel in _CVE_IMPORTS:
        doc = json.loads((base / rel).read_text(encoding="utf-8"))
        spec = DRAFT4 if "draft-04" in str(doc.get("$schema", "")) else DRAFT7
        resources.append((f"file:{rel}", spec.create_resource(doc)))
    schema = json.loads((base / "CVE_Record_Format.schema.json").read_text(encoding="utf-8"))
    return Draft7Validator(
        schema,
        registry=Registry().with_resources(resources),
        format_checker=Draft7Validator.FORMAT_CHECKER,
    )


@lru_cache
def kev_schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / "kev.schema.json").read_text(encoding="utf-8"))
    return loaded


@lru_cache
def kev_validator() -> Draft7Validator:
    """A validator for the KEV catalogue's top level (items are checked one by one)."""
    schema = dict(kev_schema())
    props = dict(schema.get("properties", {}))
    props["vulnerabilities"] = {"type": "array"}
    schema["properties"] = props
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


@lru_cache
def kev_item_validator() -> Draft7Validator:
    """A validator for one KEV catalogue entry."""
    schema = kev_schema()
    item = {"$defs": schema.get("$defs", {}), **schema["$defs"]["vulnerability"]}
    return Draft7Validator(item, format_checker=Draft7Validator.FORMAT_CHECKER)


def first_error(validator: Draft7Validator, instance: Any) -> tuple[str, str] | None:
    """The most relevant schema violation as (field path, reason), or None if valid."""
    error: ValidationError | None = best_match(validator.iter_errors(instance))
    if error is None:
        return None
    # A oneOf failure (a Published or a Rejected record) hides the real cause: the leaf error
    # deepest in the record is the one that names the field.
    leaves = list(_leaves(error))
    error = max(leaves, key=lambda e: len(e.absolute_path))
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.validator_value, list):
        missing = [n for n in error.validator_value if n not in (error.instance or {})]
        parts.extend(missing[:1])
    path = ".".join(parts) or "(record)"
    return path, error.message[:300]


def _leaves(error: ValidationError) -> list[ValidationError]:
    if not error.context:
        return [error]
    found: list[ValidationError] = []
    for child in error.context:
        found.extend(_leaves(child))
    return found
