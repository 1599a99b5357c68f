"""The pipeline's experts without a database: addresses, checks, fingerprints, dedup plans."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from certnet.constituency.lookup import UNCLAIMED, PrefixIndexBuilder
from certnet.feeds import experts, pipeline
from certnet.feeds.batch import ParsedBatch
from certnet.feeds.experts import Known, Problem
from certnet.feeds.models import FINGERPRINT_HEX

T0 = datetime(2026, 11, 1, tzinfo=UTC)
DAY = timedelta(hours=24)


def _index() -> object:
    builder = PrefixIndexBuilder()
    builder.add_prefix("203.0.113.0/24", 1)
    builder.add_prefix("203.0.113.128/25", 2)
    builder.add_prefix("2001:db8::/32", 3)
    return builder.build()


def test_addresses_are_parsed_once_with_owner_hex_and_canonical_text() -> None:
    index = _index()
    found = experts.resolve_addresses(
        [
            "203.0.113.7",
            "203.0.113.130",
            " 2001:DB8::1 ",
            "fe80::1%eth0",
            None,
            "",
            "nope",
            "8.8.8.8",
        ],
        index,  # type: ignore[arg-type]
    )
    assert found.owners == [1, 2, 3, UNCLAIMED, UNCLAIMED, UNCLAIMED, UNCLAIMED, UNCLAIMED]
    assert found.text[:4] == ["203.0.113.7", "203.0.113.130", "2001:db8::1", "fe80::1"]
    assert found.version == [4, 4, 6, 6, None, None, None, 4]
    assert found.hex[0] == "cb007107"
    assert found.hex[2] == "20010db8000000000000000000000001"
    assert found.invalid == [6]


texts = st.one_of(
    st.ip_addresses().map(str),
    st.text(alphabet="0123456789abcdef.:% ", max_size=20),
)


@given(st.lists(texts, max_size=30))
def test_addresses_agree_with_the_bulk_index(values: list[str]) -> None:
    index = _index()
    mine = experts.resolve_addresses(values, index)  # type: ignore[arg-type]
    theirs = index.resolve(values)  # type: ignore[attr-defined]
    assert mine.owners == theirs.organisation_ids.tolist()
    assert mine.invalid == [p for p in theirs.invalid_positions if values[p] != ""]


def test_checks_mark_bad_rows_with_their_field() -> None:
    problems: dict[int, Problem] = {}
    times = experts.check_times(["2026-11-01 10:00:00", "yesterday", None, T0], problems)
    ports = experts.check_integers(
        ["80", 70000, "x", None], "source.port", problems, low=0, high=65535
    )
    assert times[0] == datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert times[3] == T0
    assert ports == [80, None, None, None]
    assert {p: v.field for p, v in problems.items()} == {
        1: "time.source",
        2: "source.port",
    }


def test_fingerprints_ignore_times_and_missing_fields_but_not_field_names() -> None:
    a: dict[str, list[Any]] = {
        "source.ip": ["192.0.2.1", "192.0.2.1"],
        "source.port": [80, None],
        "time.source": [T0, T0 + DAY],
    }
    b: dict[str, list[Any]] = {"source.ip": ["192.0.2.1"], "time.source": [T0]}
    c: dict[str, list[Any]] = {"destination.ip": ["192.0.2.1"]}
    first, second = experts.fingerprints("scan_http", a, [0, 1])
    (only_ip,) = experts.fingerprints("scan_http", b, [0])
    (other_field,) = experts.fingerprints("scan_http", c, [0])
    (other_report,) = experts.fingerprints("scan_ftp", b, [0])
    assert first != second
    assert second == only_ip
    assert len({only_ip, other_field, other_report}) == 3


def test_a_replaced_event_keeps_its_last_sighting() -> None:
    # Stored event seen at T0; the batch sees it 1 h later (moves it on), then 30 h later
    # (after the window: a new event). The stored event must still move to T0 + 1 h.
    plan = experts.plan_deduplication(
        positions=[0, 1],
        prints=["f", "f"],
        times=[T0 + timedelta(hours=1), T0 + timedelta(hours=30)],
        known={"f": Known(7, T0, 1)},
        window=DAY,
        observed_at=T0,
    )
    assert plan.updates == {7: (T0 + timedelta(hours=1), 2)}
    assert plan.new_positions == [1]
    assert plan.new_counts == [1]
    assert plan.duplicates == 1


def test_old_and_timeless_sightings_change_nothing() -> None:
    plan = experts.plan_deduplication(
        positions=[0, 1, 2],
        prints=["f", "f", "g"],
        times=[T0, None, None],
        known={"f": Known(7, T0 + timedelta(hours=2), 3)},
        window=DAY,
        observed_at=T0 + DAY,
    )
    assert plan.updates == {}
    assert plan.duplicates == 2
    assert plan.new_positions == [2]
    assert plan.new_first_seen == [T0 + DAY]


def test_a_nul_character_marks_its_row_not_the_batch() -> None:
    problems: dict[int, experts.Problem] = {}
    kept = experts.check_texts(["ok", "bad\x00text", None], "source.fqdn", 255, problems)
    assert kept == ["ok", None, None]
    assert set(problems) == {1}
    assert "NUL" in problems[1].reason


def _data_as_dicts(batch: ParsedBatch, positions: list[int]) -> list[str]:
    """What ``data`` held when built as one dict per row and ``json.dumps``-ed."""
    texts = []
    for p in positions:
        row = {
            name: experts.plain(values[p])
            for name, values in batch.columns.items()
            if name not in pipeline._TYPED and values[p] is not None
        }
        extra = batch.extra_of(p)
        if extra:
            row["extra"] = experts.plain(extra)
        texts.append(json.dumps(row))
    return texts


def test_data_json_is_what_json_dumps_gives_for_every_kind_of_value() -> None:
    tricky = ['say "hi"', "back\\slash", "tab\there", "Lahore ✓", "\x7f", "", "plain", "plain"]
    size = len(tricky)
    batch = ParsedBatch(
        report_type="scan_http",
        columns={
            "source.ip": ["192.0.2.1"] * size,  # typed: not in data
            "source.geolocation.city": tricky,
            "status": [None, "online", None, "online", None, "x", None, "y"],
            "feed.code": ["scan_http"] * size,
            "source.geolocation.region": [1, 2, None, 4, 5, 6, 7, 1],
            "event_description.text": [True, False, None, True, True, False, True, True],
            "time.observation": [datetime(2024, 2, 5, 1, 2, 3, tzinfo=UTC)] * size,
        },
        extra_columns={"tag": tricky[::-1], "only_some": ["", "x", "", "", "", "", "", "z"]},
        lines=list(range(2, size + 2)),
        raw=["raw"] * size,
    )
    for positions in (list(range(size)), [0, 2, 3, 7]):
        assert pipeline._data_json(batch, positions) == _data_as_dicts(batch, positions)
    as_dicts = ParsedBatch(
        report_type="scan_http",
        columns={"status": ["a", None]},
        extra=[{"when": datetime(2024, 1, 1, tzinfo=UTC), "n": 1}, {}],
        lines=[2, 3],
        raw=["a", "b"],
    )
    assert pipeline._data_json(as_dicts, [0, 1]) == _data_as_dicts(as_dicts, [0, 1])
    empty = ParsedBatch(report_type="x", columns={"source.ip": ["192.0.2.1"]}, lines=[2], raw=["r"])
    assert pipeline._data_json(empty, [0]) == ["{}"]


def test_fingerprints_fit_the_event_column() -> None:
    (fingerprint,) = experts.fingerprints("scan_http", {"source.ip": ["192.0.2.1"]}, [0])
    assert len(fingerprint) == FINGERPRINT_HEX
    assert int(fingerprint, 16) >= 0
