"""Experts of the feed pipeline (IntelMQ's word for the enriching stages), column by column:
address parsing and the responsible organisation, typed-field checks, fingerprints and the
deduplication plan of a batch.

Nothing here touches the database: :mod:`certnet.feeds.pipeline` reads what a batch needs in
one query per stage and hands it over, so each stage is testable on its own.
"""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
import socket
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from operator import itemgetter
from typing import Any

import numpy as np

from certnet.constituency.lookup import UNCLAIMED, PrefixIndex

#: Harmonised fields that say *what* was seen: two rows of a report type agreeing on all of
#: them are the same event (seen again), whatever else differs. Times never count.
IDENTITY_FIELDS: tuple[str, ...] = (
    "source.ip",
    "source.port",
    "source.fqdn",
    "source.url",
    "destination.ip",
    "destination.port",
    "protocol.transport",
    "protocol.application",
    "classification.taxonomy",
    "classification.type",
    "classification.identifier",
    "malware.name",
)

_pton = socket.inet_pton
_AF_INET, _AF_INET6 = socket.AF_INET, socket.AF_INET6
_ntop = socket.inet_ntop


@dataclass
class Addresses:
    """A batch's ``source.ip`` column parsed once: canonical text, version and fixed-width hex
    per row (None where the row has no address), the positions whose text is not an address,
    and the organisation each address belongs to (:data:`UNCLAIMED` for none)."""

    text: list[str | None]
    version: list[int | None]
    hex: list[str | None]
    invalid: list[int]
    owners: list[int]


def resolve_addresses(values: Sequence[Any], index: PrefixIndex) -> Addresses:
    """Parse every address of a column and find its organisation with the bulk index.

    Plain IPv4 goes through ``inet_pton`` (the common case, fast); anything else is judged by
    :mod:`ipaddress` as :meth:`PrefixIndex.resolve` and ``responsible_for`` judge it (white
    space and IPv6 scope ids allowed), so the three agree on what an address is.
    """
    count = len(values)
    if count:
        fast = _all_ipv4(values, index)
        if fast is not None:
            return fast
    text: list[str | None] = [None] * count
    version: list[int | None] = [None] * count
    hexes: list[str | None] = [None] * count
    invalid: list[int] = []
    v4_pos: list[int] = []
    v4_packed: list[bytes] = []
    v6_pos: list[int] = []
    v6_packed: list[bytes] = []
    for position, value in enumerate(values):
        if value is None or value == "":
            continue
        try:
            packed = _pton(_AF_INET, value)
        except (OSError, TypeError, ValueError):
            packed = b""
        if packed:
            v4_pos.append(position)
            v4_packed.append(packed)
            text[position] = _ntop(_AF_INET, packed)
            version[position] = 4
            hexes[position] = packed.hex()
            continue
        address = _parse(value)
        if address is None:
            invalid.append(position)
            continue
        packed = address.packed
        if address.version == 4:
            v4_pos.append(position)
            v4_packed.append(packed)
        else:
            v6_pos.append(position)
            v6_packed.append(packed)
        text[position] = _ntop(_AF_INET if address.version == 4 else _AF_INET6, packed)
        version[position] = address.version
        hexes[position] = packed.hex()
    owners = np.full(count, UNCLAIMED, dtype=np.int64)
    if v4_pos:
        numbers = np.frombuffer(b"".join(v4_packed), dtype=">u4").astype(np.uint32)
        owners[v4_pos] = index.resolve_v4(numbers)
    if v6_pos:
        owners[v6_pos] = index.resolve_v6(np.array(v6_packed, dtype="S16"))
    return Addresses(text, version, hexes, invalid, owners.tolist())


def _all_ipv4(values: Sequence[Any], index: PrefixIndex) -> Addresses | None:
    """The common case, a column of plain IPv4 addresses, without Python code per row
    (``inet_pton`` mapped over the column); None when any value is something else."""
    if set(map(type, values)) != {str}:
        return None
    try:
        packed = list(map(partial(_pton, _AF_INET), values))
    except (OSError, ValueError):
        return None
    count = len(values)
    numbers = np.frombuffer(b"".join(packed), dtype=">u4").astype(np.uint32)
    owners = index.resolve_v4(numbers)
    return Addresses(
        list(map(partial(_ntop, _AF_INET), packed)),
        [4] * count,
        list(map(bytes.hex, packed)),
        [],
        owners.tolist(),
    )


def _parse(value: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class Problem:
    """Why one row of a batch cannot be stored, and which field is at fault."""

    reason: str
    field: str


class _Refused(Exception):
    """A value a check refuses, with the problem to record against its row."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.reason)
        self.problem = problem


def _checked(
    values: Sequence[Any], check: Callable[[Any], Any], problems: dict[int, Problem]
) -> list[Any]:
    """``check`` applied to every value of a column, each refusal recorded against its row
    (the first problem of a row wins).

    Each distinct value is checked once when the column's values are of one type (most
    columns repeat few values: ports, AS numbers, classes); mixed types (``1`` and ``True``
    are equal keys) or unhashable values are checked one by one.
    """
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if len(kinds) <= 1:
        try:
            distinct = set(values)
        except TypeError:
            distinct = None
        if distinct is not None:
            done: dict[Any, Any] = {}
            refused: dict[Any, Problem] = {}
            for value in distinct:
                try:
                    done[value] = check(value)
                except _Refused as exc:
                    done[value] = None
                    refused[value] = exc.problem
            if refused:
                for position, value in enumerate(values):
                    problem = refused.get(value)
                    if problem is not None:
                        problems.setdefault(position, problem)
            return list(map(done.__getitem__, values))
    out: list[Any] = []
    for position, value in enumerate(values):
        try:
            out.append(check(value))
        except _Refused as exc:
            out.append(None)
            problems.setdefault(position, exc.problem)
    return out


def _time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise _Refused(Problem(f"not a timestamp: {value[:80]!r}", "time.source")) from None
    else:
        raise _Refused(Problem(f"not a timestamp: {type(value).__name__}", "time.source"))
    # A report's naive times are UTC (Shadowserver's are); never the local zone.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def check_times(values: Sequence[Any], problems: dict[int, Problem]) -> list[datetime | None]:
    """``time.source`` as aware UTC datetimes; an unreadable value marks its row."""
    return _checked(values, _time, problems)


def check_integers(
    values: Sequence[Any],
    name: str,
    problems: dict[int, Problem],
    *,
    low: int,
    high: int,
) -> list[int | None]:
    """An integer column (a port, an ASN) within ``low..high``; anything else marks its row."""

    def check(value: Any) -> int | None:
        if value is None or value == "":
            return None
        try:
            number = value if type(value) is int else int(str(value).strip())
        except ValueError:
            raise _Refused(Problem(f"not an integer: {str(value)[:80]!r}", name)) from None
        if not low <= number <= high:
            raise _Refused(Problem(f"{number} is outside {low}..{high}", name))
        return number

    return _checked(values, check, problems)


def check_texts(
    values: Sequence[Any], name: str, limit: int, problems: dict[int, Problem]
) -> list[str | None]:
    """A text column kept in a typed column: longer than ``limit`` marks its row (a typed
    column never silently cuts a value that queries and notifications rely on)."""

    def check(value: Any) -> str | None:
        if value is None:
            return None
        text = value if isinstance(value, str) else str(value)
        if "\x00" in text:
            # PostgreSQL text cannot hold NUL; whatever a parser let through stops here.
            raise _Refused(Problem("contains a NUL character", name))
        if len(text) > limit:
            raise _Refused(Problem(f"longer than {limit} characters ({len(text)})", name))
        return text

    return _checked(values, check, problems)


_JSON_SCALARS = (str, int, float, bool, type(None))


def plain(value: Any) -> Any:
    """A harmonised value as JSON keeps it (times as ISO 8601 text)."""
    if type(value) in _JSON_SCALARS:
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def fingerprints(
    report_type: str, columns: Mapping[str, Sequence[Any]], positions: Sequence[int]
) -> list[str]:
    """SHA-256 over the report type and the identity fields of each row at ``positions``,
    its first 128 bits in hex.

    Every identity field has its fixed place in the hashed text, empty when the row has no
    value or the report no such field: a missing field and an empty one hash the same, and
    values of different fields never collide by moving places.
    """
    everything = isinstance(positions, range) and positions == range(len(positions))
    empty = [""] * len(positions)
    texts = []
    for name in IDENTITY_FIELDS:
        values = columns.get(name)
        if values is None:
            texts.append(empty)
            continue
        picked = values if everything else [values[p] for p in positions]
        # Column by column: str() of an int port and of its text agree ("80").
        texts.append(_texts(picked))
    prefix = report_type + "\x1e"
    sha256 = hashlib.sha256
    return [
        sha256((prefix + row).encode("utf-8", "surrogatepass")).hexdigest()[:_HEX]
        for row in map("\x1f".join, zip(*texts, strict=True))
    ]


def _texts(values: Sequence[Any]) -> list[str]:
    """Each value as text ("" for none), each distinct value converted once."""
    kinds = set(map(type, values))
    if kinds == {str}:
        return list(values)
    kinds.discard(type(None))
    if len(kinds) <= 1:
        try:
            done = {value: "" if value is None else str(value) for value in set(values)}
        except TypeError:
            pass
        else:
            return list(map(done.__getitem__, values))
    return ["" if value is None else str(value) for value in values]


#: Hex digits of a fingerprint kept (128 bits: ``Event.fingerprint``).
_HEX = 32


@dataclass
class Known:
    """The latest stored event of a fingerprint, as the deduplication stage needs it."""

    event_id: int
    last_seen: datetime
    count: int


@dataclass
class _Slot:
    """The current event of a fingerprint while a batch is planned: stored or new."""

    last_seen: datetime
    count: int
    event_id: int | None = None
    new_index: int | None = None
    moved: bool = False


@dataclass
class DedupPlan:
    """What to write for a batch: which rows become new events (with their final count and
    last sighting), which stored events move on, and how many rows were duplicates."""

    new_positions: list[int] = field(default_factory=list)
    new_first_seen: list[datetime] = field(default_factory=list)
    new_last_seen: list[datetime] = field(default_factory=list)
    new_counts: list[int] = field(default_factory=list)
    updates: dict[int, tuple[datetime, int]] = field(default_factory=dict)
    duplicates: int = 0


def plan_deduplication(
    *,
    positions: Sequence[int],
    prints: Sequence[str],
    times: Sequence[datetime | None],
    known: Mapping[str, Known],
    window: timedelta,
    observed_at: datetime,
) -> DedupPlan:
    """Decide, row by row in input order, whether each row is a new event or a sighting of
    one already stored (in ``known``) or planned earlier in the batch.

    A sighting within ``window`` of the event's last one adds one to its count and moves
    ``last_seen`` — but only when it is *newer* than ``last_seen``: the same row read again
    (the same file re-ingested, or re-read after a crash) then changes nothing. A sighting
    after the window is a new event. A row with no time is a duplicate of any event with its
    fingerprint (nothing can tell a re-read from a new sighting), and a new event at
    ``observed_at`` otherwise.

    Rows whose fingerprint occurs once in the batch and is not stored are new events
    whatever else happens: they are planned as such in one pass, and only the others go
    through the row-by-row decision.
    """
    occurrences = Counter(prints)
    lone: list[int] = []
    rest: list[int] = []
    for i, fingerprint in enumerate(prints):
        if occurrences[fingerprint] == 1 and fingerprint not in known:
            lone.append(i)
        else:
            rest.append(i)
    if not lone:
        return _plan_rows(positions, prints, times, known, window, observed_at)
    plan = _plan_rows(
        [positions[i] for i in rest],
        [prints[i] for i in rest],
        [times[i] for i in rest],
        known,
        window,
        observed_at,
    )
    lone_first = [times[i] or observed_at for i in lone]
    merged = sorted(
        itertools.chain(
            zip(
                plan.new_positions,
                plan.new_first_seen,
                plan.new_last_seen,
                plan.new_counts,
                strict=True,
            ),
            zip([positions[i] for i in lone], lone_first, lone_first, [1] * len(lone), strict=True),
        ),
        key=itemgetter(0),
    )
    plan.new_positions = [row[0] for row in merged]
    plan.new_first_seen = [row[1] for row in merged]
    plan.new_last_seen = [row[2] for row in merged]
    plan.new_counts = [row[3] for row in merged]
    return plan


def _plan_rows(
    positions: Sequence[int],
    prints: Sequence[str],
    times: Sequence[datetime | None],
    known: Mapping[str, Known],
    window: timedelta,
    observed_at: datetime,
) -> DedupPlan:
    """:func:`plan_deduplication` row by row, in input order."""
    plan = DedupPlan()
    slots: dict[str, _Slot] = {}
    # Every slot ever opened: an event replaced within the batch (a sighting after the
    # window) may still carry a moved ``last_seen`` from before it was replaced.
    every: list[_Slot] = []
    for position, fingerprint, moment in zip(positions, prints, times, strict=True):
        slot = slots.get(fingerprint)
        if slot is None:
            stored = known.get(fingerprint)
            if stored is not None:
                slot = _Slot(stored.last_seen, stored.count, event_id=stored.event_id)
                slots[fingerprint] = slot
                every.append(slot)
        if slot is not None and (moment is None or moment <= slot.last_seen):
            plan.duplicates += 1
            continue
        if slot is not None and moment is not None and moment - slot.last_seen <= window:
            plan.duplicates += 1
            slot.last_seen, slot.count, slot.moved = moment, slot.count + 1, True
            continue
        first = moment or observed_at
        slots[fingerprint] = fresh = _Slot(first, 1, new_index=len(plan.new_positions))
        every.append(fresh)
        plan.new_positions.append(position)
        plan.new_first_seen.append(first)
    plan.new_last_seen = list(plan.new_first_seen)
    plan.new_counts = [1] * len(plan.new_positions)
    for slot in every:
        if slot.new_index is not None:
            plan.new_last_seen[slot.new_index] = slot.last_seen
            plan.new_counts[slot.new_index] = slot.count
        elif slot.moved and slot.event_id is not None:
            plan.updates[slot.event_id] = (slot.last_seen, slot.count)
    return plan
