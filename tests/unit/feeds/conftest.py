"""Shared by the feed parser tests: Shadowserver's published schema and a parser over it.

The schema is public reference data kept outside the repository (``../shared/data``, or
wherever ``CERTNET_SHARED_DATA`` points). It is read when this module is imported, before the
suite's settings fixture clears ``CERTNET_*`` variables. Missing, the tests fail, not skip:
the parser cannot be judged without it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import pytest

from certnet.feeds.batch import ParsedBatch
from certnet.feeds.parsers.schema_store import ShadowserverSchema, load_schema
from certnet.feeds.parsers.shadowserver import ShadowserverParser
from tests.shared_data import FEED_SAMPLES, shadowserver_file

FIXTURES = FEED_SAMPLES


@pytest.fixture(scope="session")
def shadowserver_schema() -> ShadowserverSchema:
    """Shadowserver's intelmq.json as certnet reads it."""
    return load_schema(shadowserver_file("intelmq.json"))


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
            row["extra"] = batch.extra_of(i)
            rows.append(row)
    return rows
