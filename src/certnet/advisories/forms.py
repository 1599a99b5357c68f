"""The console's advisory form: flat form fields (``products.0.vendor``, ``cves``) to the
API's shapes and back. Field names follow the Pydantic error locations, so that an error
lands beside the input that caused it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from certnet.advisories.models import Advisory

#: Empty rows offered under the filled ones, for adding products, remediations, references.
SPARE_ROWS = 2
PRODUCT_FIELDS = (
    "vendor",
    "name",
    "versions",
    "fixed_version",
    "cpe",
    "purl",
    "status",
    "justification",
)
REMEDIATION_FIELDS = ("category", "details", "url")
REFERENCE_FIELDS = ("url", "summary")
DEADLINE_FORMAT = "%Y-%m-%dT%H:%M"


def _rows(
    form: dict[str, str], prefix: str, fields: tuple[str, ...], required: str
) -> list[dict[str, Any]]:
    indexes = sorted(
        {int(m.group(1)) for key in form if (m := re.match(rf"^{prefix}\.(\d+)\.", key))}
    )
    rows: list[dict[str, Any]] = []
    for index in indexes:
        row = {f: form.get(f"{prefix}.{index}.{f}", "").strip() for f in fields}
        # A row left blank (apart from its select boxes' defaults) is not an entry.
        if not any(row[f] for f in fields if f not in ("status", "category")) and not row[required]:
            continue
        rows.append({k: v for k, v in row.items() if v != ""})
    return rows


def to_data(form: dict[str, str]) -> dict[str, Any]:
    """The form's fields as an ``AdvisoryCreate``-shaped dict (validated by the caller)."""
    data: dict[str, Any] = {
        "title": form.get("title", "").strip(),
        "summary": form.get("summary", "").strip(),
        "tlp": form.get("tlp", "AMBER"),
        "category": form.get("category", "csaf_security_advisory"),
        "cves": [c for c in re.split(r"[\s,;]+", form.get("cves", "")) if c],
        "cvss_v3_vector": form.get("cvss_v3_vector", "").strip() or None,
        "products": _rows(form, "products", PRODUCT_FIELDS, "vendor"),
        "remediations": _rows(form, "remediations", REMEDIATION_FIELDS, "details"),
        "references": _rows(form, "references", REFERENCE_FIELDS, "url"),
    }
    details = form.get("details", "").strip()
    data["notes"] = (
        [{"category": "details", "title": "Details", "text": details}] if details else []
    )
    deadline = form.get("answer_deadline", "").strip()
    if deadline:
        try:
            data["answer_deadline"] = datetime.strptime(deadline, DEADLINE_FORMAT).replace(
                tzinfo=UTC
            )
        except ValueError:
            data["answer_deadline"] = deadline  # the schema names the field and the problem
    else:
        data["answer_deadline"] = None
    return data


def from_advisory(advisory: Advisory) -> dict[str, str]:
    """An advisory's content as the form's fields."""
    form: dict[str, str] = {
        "title": advisory.title,
        "summary": advisory.summary,
        "tlp": advisory.tlp.value,
        "category": advisory.category.value,
        "cves": ", ".join(advisory.cves),
        "cvss_v3_vector": advisory.cvss_v3_vector or "",
        "details": "\n\n".join(n["text"] for n in advisory.notes if n.get("category") == "details"),
        "answer_deadline": advisory.answer_deadline.strftime(DEADLINE_FORMAT)
        if advisory.answer_deadline
        else "",
    }
    for prefix, rows, fields in (
        ("products", advisory.products, PRODUCT_FIELDS),
        ("remediations", advisory.remediations, REMEDIATION_FIELDS),
        ("references", advisory.references, REFERENCE_FIELDS),
    ):
        for index, row in enumerate(rows):
            for name in fields:
                value = row.get(name)
                form[f"{prefix}.{index}.{name}"] = "" if value is None else str(value)
    return form


def row_count(form: dict[str, str], prefix: str) -> int:
    """How many rows the form shows for ``prefix``: the filled ones plus spares."""
    indexes = [int(m.group(1)) for key in form if (m := re.match(rf"^{prefix}\.(\d+)\.", key))]
    return (max(indexes) + 1 if indexes else 0) + SPARE_ROWS


def compact(form: dict[str, str]) -> dict[str, str]:
    """The form with its blank rows dropped and the rest numbered from 0, as ``to_data``
    numbers them: so that an error's location names the row the user sees."""
    data = to_data(form)
    kept = {
        k: v for k, v in form.items() if not re.match(r"^(products|remediations|references)\.", k)
    }
    for prefix, fields in (
        ("products", PRODUCT_FIELDS),
        ("remediations", REMEDIATION_FIELDS),
        ("references", REFERENCE_FIELDS),
    ):
        for index, row in enumerate(data[prefix]):
            for name in fields:
                kept[f"{prefix}.{index}.{name}"] = str(row.get(name, ""))
    return kept
