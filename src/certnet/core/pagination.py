"""Keyset pagination: a page of rows after an opaque cursor, ordered by stable keys."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from certnet.core.errors import Invalid

T = TypeVar("T")

MAX_LIMIT = 1000


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results; ``next_cursor`` is None on the last page."""

    items: list[T]
    next_cursor: str | None


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError as exc:
        raise Invalid.on("cursor", "not a cursor this API issued") from exc
    if not isinstance(values, list) or len(values) != width:
        raise Invalid.on("cursor", "not a cursor this API issued")
    return values


def paginate(
    session: Session,
    stmt: Select[T],
    *,
    keys: Sequence[InstrumentedAttribute[Any]],
    cursor: str | None,
    limit: int,
    descending: bool = False,
) -> Page[T]:
    """Rows of ``stmt`` ordered by ``keys`` (the last one unique), after ``cursor``;
    ``descending`` walks from the largest key down (newest first)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid.on("limit", f"must be between 1 and {MAX_LIMIT}")
    if cursor:
        position, after = tuple_(*keys), tuple_(*decode_cursor(cursor, len(keys)))
        stmt = stmt.where(position < after if descending else position > after)
    order = [key.desc() for key in keys] if descending else list(keys)
    rows = list(session.scalars(stmt.order_by(*order).limit(limit + 1)))
    if len(rows) <= limit:
        return Page(rows, None)
    last = rows[limit - 1]
    return Page(rows[:limit], encode_cursor([getattr(last, k.key) for k in keys]))
