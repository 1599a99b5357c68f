"""Inputs of the risk browser tests: the workplace's real CVE and KEV files, and our CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.shared_data import SHARED_DATA

CSV = Path(__file__).resolve().parents[1] / "integration" / "risk" / "data" / "telco_one.csv"


def shared_file(relative: str) -> Path:
    """A file of the shared reference data; fails the test, naming the path, if absent."""
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.fail(f"shared reference data missing at {path} (set CERTNET_SHARED_DATA)")
    return path
