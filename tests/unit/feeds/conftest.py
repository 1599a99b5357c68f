"""Shared by the feed parser tests: Shadowserver's published schema and a parser over it.

The schema is public reference data kept outside the repository (``../shared/data``, or
wherever ``CERTNET_SHARED_DATA`` points). It is read when this module is imported, before the
suite's settings fixture clears ``CERTNET_*`` variables. Missing, the tests fail, not skip:
the parser cannot be judged without it.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from certnet.feeds.batch import ParsedBatch
from certnet.feeds.parsers.schema_store import ShadowserverSchema, load_schema
from certnet.feeds.parsers.shadowserver import ShadowserverParser

REPO = Path(__file__).resolve().parents[3]
SHARED_DATA = Path(os.environ.get("CERTNET_SHARED_DATA") or REPO.parent / "shared" / "data")
SHADOWSERVER = SHARED_DATA / "shadowserver"
FIXTURES = REPO / "tests" / "fixtures" / "feeds"


@pytest.fixture(scope="session")
def shadowserver_schema() -> ShadowserverSchema:
    """Shadowserver's intelmq.json as certnet reads it."""
    path = SHADOWSERVER / "intelmq.json"
    if not path.is_file():
        pytest.fail(f"Shadowserver's schema is missing at {path} (set CERTNET_SHARED_DATA)")
    return load_schema(path)


@pytest.fixture(scope="session")
def parser(shadowserver_schema: ShadowserverSchema) -> ShadowserverParser:
    return ShadowserverParser(shadowserver_schema)


def parse_bytes(
    parser: ShadowserverParser, data: bytes, report_type: str, batch_size: int = 50_000
) -> list[ParsedBatch]:
    """Every batch of a report given as bytes."""
    return list(parser.parse(io.BytesIO(data), report_type=report_type, batch_size=batch_size))


def rows_of(batches: Iterable[ParsedBatch]) -> list[dict[str, Any]]:
    """Accepted rows as dicts of their non-empty harmonised values (and ``extra``)."""
    rows: list[dict[str, Any]] = []
    for batch in batches:
        for i in range(batch.size):
            row = {k: v[i] for k, v in batch.columns.items() if v[i] is not None}
            row["extra"] = batch.extra[i]
            rows.append(row)
    return rows
