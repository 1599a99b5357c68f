"""EPSS scores (FIRST's CSV: an optional ``#model_version:…,score_date:…`` line, then
``cve,epss,percentile``)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date

from certnet.risk.parsers import FileRejected, ParsedVulnerability, Rejection

_CVE = re.compile(r"^CVE-\d{4}-\d{4,19}$")


def looks_like_epss(text: str) -> bool:
    head = text.lstrip()[:400].lower()
    return head.startswith("#model_version") or head.startswith("cve,epss")


def parse_csv(text: str) -> Iterator[ParsedVulnerability | Rejection]:
    """Each row as the CVE's EPSS probability and percentile, or a rejection naming the
    line and the column."""
    lines = text.splitlines()
    score_date: date | None = None
    start = 0
    if lines and lines[0].startswith("#"):
        match = re.search(r"score_date:(\d{4}-\d{2}-\d{2})", lines[0])
        score_date = date.fromisoformat(match.group(1)) if match else None
        start = 1
    reader = csv.DictReader(io.StringIO("\n".join(lines[start:])))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if not {"cve", "epss"} <= set(header):
        raise FileRejected("header", "an EPSS file has the columns cve, epss, percentile")
    for number, row in enumerate(reader, start=start + 2):
        cve = (row.get("cve") or "").strip()
        if not _CVE.match(cve):
            yield Rejection(cve or f"line {number}", f"line {number}: cve", "not a CVE id")
            continue
        values: dict[str, object] = {"epss_date": score_date}
        for column, target in (("epss", "epss"), ("percentile", "epss_percentile")):
            raw = (row.get(column) or "").strip()
            if not raw and column == "percentile":
                continue
            try:
                number_value = float(raw)
            except ValueError:
                number_value = -1.0
            if not 0.0 <= number_value <= 1.0:
                yield Rejection(cve, f"line {number}: {column}", f"{raw!r} is not between 0 and 1")
                break
            values[target] = number_value
        else:
            yield ParsedVulnerability(identifier=cve, values=values)
