"""Shared inputs of the risk tests: the workplace's real CVE and KEV files and our own
vendor CSAF, SBOM, CSV and EPSS samples."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tests.shared_data import SHARED_DATA

DATA = Path(__file__).parent / "data"
CVE_DIR = SHARED_DATA / "cve"
KEV_FILE = SHARED_DATA / "kev" / "known_exploited_vulnerabilities.json"


def shared(path: Path) -> bytes:
    """A shared reference file; fails the test, naming the path, if absent."""
    if not path.is_file():
        pytest.fail(f"shared reference data missing at {path} (set CERTNET_SHARED_DATA)")
    return path.read_bytes()


def cve(cve_id: str) -> bytes:
    return shared(CVE_DIR / f"{cve_id}.json")


def kev_due(cve_id: str) -> date:
    """The catalogue's own due date for a CVE (the oracle for measure due dates)."""
    catalogue = json.loads(shared(KEV_FILE))
    for item in catalogue["vulnerabilities"]:
        if item["cveID"] == cve_id:
            return date.fromisoformat(item["dueDate"])
    raise AssertionError(f"{cve_id} is not in the KEV catalogue")


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()
