"""Keyset cursors: opaque, round-trip, and a tampered one is a 422 naming ``cursor``."""

from __future__ import annotations

import base64

import pytest

from certnet.core.errors import Invalid
from certnet.core.pagination import decode_cursor, encode_cursor


def test_round_trip() -> None:
    values = ["First Bank", 42]
    assert decode_cursor(encode_cursor(values), 2) == values


@pytest.mark.parametrize(
    "cursor",
    [
        "@@not-base64@@",
        base64.urlsafe_b64encode(b"{not json").decode(),
        base64.urlsafe_b64encode(b'{"id": 3}').decode(),  # not a list
        encode_cursor([1, 2, 3]),  # wrong width
        encode_cursor([]),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),  # not UTF-8
    ],
)
def test_tampered_cursor_names_the_field(cursor: str) -> None:
    with pytest.raises(Invalid) as caught:
        decode_cursor(cursor, 2)
    assert caught.value.status == 422
    assert [e.field for e in caught.value.errors] == ["cursor"]
