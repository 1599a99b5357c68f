"""The audit chain: every state change appends an entry whose hash covers the previous one.

Appending locks the single ``audit_head`` row, so concurrent transactions serialise and the
chain stays linear on PostgreSQL as on SQLite. :func:`verify` walks the chain and reports the
first entry that was edited, removed or inserted out of order.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from certnet.core import clock, context
from certnet.core.access import Principal
from certnet.core.models import AuditEntry, AuditHead

GENESIS = "0" * 64

#: Attributes never written into the audit chain (secrets stay out of every log).
SECRET_ATTRIBUTES = frozenset({"password_hash", "totp_secret", "token_hash", "csrf_token"})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: Any) -> dict[str, Any]:
    """The column values of an ORM object, secrets left out, as JSON-ready data."""
    mapper = inspect(type(obj))
    return {
        attr.key: _plain(getattr(obj, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in SECRET_ATTRIBUTES
    }


def _digest(entry: AuditEntry) -> str:
    body = {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor_user_id": entry.actor_user_id,
        "actor": entry.actor,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before": entry.before,
        "after": entry.after,
        "request_id": entry.request_id,
        "owner_cert_id": entry.owner_cert_id,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(
    *,
    session: Session,
    principal: Principal,
    action: str,
    object_type: str,
    object_id: int | str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    owner_cert_id: int | None = None,
    request_id: str | None = None,
) -> AuditEntry:
    """Append one entry for a state change made by ``principal`` in this transaction."""
    head = _locked_head(session) or _first_head(session)
    entry = AuditEntry(
        seq=head.last_seq + 1,
        at=clock.now().replace(microsecond=0),
        actor_user_id=principal.user_id,
        actor=principal.name,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        request_id=request_id or context.request_id.get(),
        owner_cert_id=owner_cert_id,
        prev_hash=head.last_hash,
    )
    entry.hash = _digest(entry)
    head.last_seq, head.last_hash = entry.seq, entry.hash
    session.add(entry)
    session.flush()
    return entry


def _locked_head(session: Session) -> AuditHead | None:
    """The head, read under the database's write lock. PostgreSQL locks the row on FOR
    UPDATE; SQLite ignores FOR UPDATE and (in pysqlite's default mode) reads outside any
    transaction until the first write, so two appenders could read the same head and the
    second then failed on a duplicate ``seq``. A no-op write first takes SQLite's write lock
    (waiting up to ``busy_timeout``) and the read that follows is current."""
    session.execute(
        update(AuditHead)
        .values(last_seq=AuditHead.last_seq)
        .execution_options(synchronize_session=False)
    )
    return session.scalar(select(AuditHead).with_for_update())


def _first_head(session: Session) -> AuditHead:
    """Create the head on the very first append. Two transactions may both find none: the
    loser's insert waits for the winner's, fails on the key, and then locks the winner's head
    like any later append (without the savepoint it failed the whole transaction instead)."""
    try:
        with session.begin_nested():
            session.add(AuditHead(id=1, last_seq=0, last_hash=GENESIS))
    except IntegrityError:
        pass
    head = session.scalar(select(AuditHead).with_for_update())
    if head is None:
        raise RuntimeError("the audit head vanished while appending")
    return head


@dataclass(frozen=True)
class Verification:
    """The outcome of walking the chain."""

    ok: bool
    entries: int
    broken_seq: int | None = None
    reason: str | None = None


def verify(*, session: Session) -> Verification:
    """Walk the chain in order; report the first entry that was changed, removed or forged."""
    expected_prev, expected_seq, count = GENESIS, 1, 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(5000):
        count += 1
        if entry.seq != expected_seq:
            return Verification(
                False, count, expected_seq, f"entry {expected_seq} is missing (next is {entry.seq})"
            )
        if entry.prev_hash != expected_prev:
            return Verification(
                False, count, entry.seq, "does not link to the previous entry's hash"
            )
        if _digest(entry) != entry.hash:
            return Verification(False, count, entry.seq, "content does not match its hash")
        expected_prev, expected_seq = entry.hash, entry.seq + 1
    head = session.scalar(select(AuditHead))
    last_seq = expected_seq - 1
    if head is not None and (head.last_seq != last_seq or head.last_hash != expected_prev):
        return Verification(
            False,
            count,
            last_seq + 1,
            f"the chain ends at entry {last_seq} but its head names entry {head.last_seq}",
        )
    return Verification(True, count)
