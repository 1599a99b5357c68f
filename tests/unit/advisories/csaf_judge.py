"""The official CSAF 2.0 JSON schemas (tests/data/csaf/) as a validator: the judge of every
document and provider metadata file certnet makes."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

# jsonschema ships no type information.
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from referencing import Registry, Resource

CSAF_DATA = Path(__file__).resolve().parents[2] / "data" / "csaf"
CSAF_ID = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"
PROVIDER_ID = "https://docs.oasis-open.org/csaf/csaf/v2.0/provider_json_schema.json"


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CSAF_DATA / name).read_text(encoding="utf-8"))
    return loaded


@cache
def _registry() -> Registry:
    resources = [(CSAF_ID, Resource.from_contents(_load("csaf_json_schema.json")))]
    resources.append((PROVIDER_ID, Resource.from_contents(_load("provider_json_schema.json"))))
    for version in ("2.0", "3.0", "3.1"):
        # The CSAF schema refers to FIRST's schemas by their canonical URLs.
        resources.append(
            (
                f"https://www.first.org/cvss/cvss-v{version}.json",
                Resource.from_contents(_load(f"cvss-v{version}.json")),
            )
        )
    return Registry().with_resources(resources)


def _validator(name: str) -> Draft202012Validator:
    schema = _load(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(
        schema, registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def csaf_errors(document: dict[str, Any]) -> list[str]:
    """Every way ``document`` breaks the official CSAF 2.0 schema (empty: it validates)."""
    validator = _validator("csaf_json_schema.json")
    return [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def provider_errors(metadata: dict[str, Any]) -> list[str]:
    """Every way ``metadata`` breaks the official provider metadata schema."""
    validator = _validator("provider_json_schema.json")
    return [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(metadata)
    ]
