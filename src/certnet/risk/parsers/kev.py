"""The CISA Known Exploited Vulnerabilities catalogue (JSON), checked against its schema: a
file of the wrong shape is refused whole; a bad entry is rejected naming its CVE and field."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from certnet.risk.parsers import FileRejected, ParsedVulnerability, Rejection
from certnet.risk.parsers.schemas import first_error, kev_item_validator, kev_validator


def is_kev_catalogue(data: Any) -> bool:
    return isinstance(data, Mapping) and "catalogVersion" in data and "vulnerabilities" in data


def parse_catalogue(data: Any) -> Iterator[ParsedVulnerability | Rejection]:
    """Each catalogue entry as KEV facts on its CVE, or a rejection."""
    problem = first_error(kev_validator(), data)
    if problem is not None:
        raise FileRejected(problem[0], problem[1])
    for index, item in enumerate(data["vulnerabilities"]):
        label = (
            str(item.get("cveID"))
            if isinstance(item, Mapping) and item.get("cveID")
            else f"vulnerabilities[{index}]"
        )
        problem = first_error(kev_item_validator(), item)
        if problem is not None:
            yield Rejection(label, f"vulnerabilities[{index}].{problem[0]}", problem[1])
            continue
        try:
            added = date.fromisoformat(str(item["dateAdded"]))
            due = date.fromisoformat(str(item["dueDate"]))
        except ValueError as error:
            yield Rejection(label, f"vulnerabilities[{index}].dateAdded/dueDate", str(error))
            continue
        yield ParsedVulnerability(
            identifier=str(item["cveID"]),
            values={
                "kev": True,
                "kev_date_added": added,
                "kev_due_date": due,
                "kev_ransomware": str(item.get("knownRansomwareCampaignUse", "")).lower()
                == "known",
                "kev_action": str(item.get("requiredAction") or "") or None,
                "new_title": str(item.get("vulnerabilityName") or "") or None,
                "new_description": str(item.get("shortDescription") or "") or None,
            },
        )
