"""Where the tests find the workplace's public reference data (Shadowserver's report schema):
``../shared/data`` beside the clone, or wherever ``CERTNET_SHARED_DATA`` points. Read when
imported, before the suite's settings fixture clears ``CERTNET_*`` variables.

certnet itself never reads this folder (an operator imports a schema). The parser cannot be
judged without it, so a missing file fails the test — as a missing PostgreSQL does.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CERTNET_SHARED_DATA") or REPO.parent / "shared" / "data")
SHADOWSERVER = SHARED_DATA / "shadowserver"
FEED_SAMPLES = REPO / "tests" / "fixtures" / "feeds"


def shadowserver_file(name: str = "intelmq.json") -> Path:
    """A file of Shadowserver's published schema; fails the test, naming the path, if absent."""
    path = SHADOWSERVER / name
    if not path.is_file():
        pytest.fail(f"Shadowserver's schema is missing at {path} (set CERTNET_SHARED_DATA)")
    return path
