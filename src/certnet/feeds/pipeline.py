"""The feed pipeline's storage half: parsed batches in, enriched, deduplicated events out.

For each :class:`~certnet.feeds.batch.ParsedBatch` of a report, in order:

1. **check** — typed fields (time, port, ASN, lengths) and the address; a bad row is
   quarantined with its line, original text, reason and field, like the parser's rejects;
2. **enrich** — the responsible organisation of every address from the bulk prefix index
   (built once per run), then its CERT, sector and CII flag in one query per batch; an
   address nobody claims is kept, counted as unowned and given to the top CERT;
3. **deduplicate** — fingerprints column-wise, the stored events of those fingerprints in
   one query per batch (the fingerprints as one JSON parameter), then the plan of
   :func:`certnet.feeds.experts.plan_deduplication`;
4. **store** — new events, moved events and quarantined rows, each as one bulk statement.

Every input row ends as stored, duplicate or quarantined; the run's counts prove it
(``rows = stored + duplicates + quarantined``, invariant 4). Re-ingesting the same input
changes nothing (invariant 3): an identical file is recognised by its SHA-256, and any row
read again finds its event with a ``last_seen`` no older than itself. A caller that commits
after each batch (the CLI, through ``checkpoint``) can crash anywhere and re-run: the run
row says ``interrupted`` until it finishes, and the re-run counts what was already stored as
duplicates without touching it.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, BinaryIO

from sqlalchemy import (
    JSON,
    Select,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.orm import Session

from certnet.constituency import service as constituency
from certnet.constituency.lookup import UNCLAIMED, PrefixIndex, build_index
from certnet.core import access, audit, clock
from certnet.core.access import Principal
from certnet.core.errors import Forbidden, Invalid
from certnet.core.tlp import Tlp
from certnet.feeds import experts, outputs
from certnet.feeds.batch import ParsedBatch, Parser, Rejected
from certnet.feeds.experts import Known, Problem
from certnet.feeds.models import (
    APPLICATION_MAX,
    FQDN_MAX,
    IDENTIFIER_MAX,
    SEVERITY_MAX,
    TAXONOMY_MAX,
    TRANSPORT_MAX,
    TYPE_MAX,
    Event,
    FeedRun,
    QuarantinedRow,
    RunState,
)
from certnet.feeds.schemas import FeedRunRead, FeedRunSummary

log = logging.getLogger("certnet.feeds")

#: Called after the run row is written and after each batch; the CLI commits there, so a
#: crash loses at most the batch in flight. Services never commit on their own.
Checkpoint = Callable[[], None]
#: Called after each batch with the bytes of input read so far (for a progress bar).
Progress = Callable[[int], None]

#: How much of the input a parser sees to tell the report type.
HEAD_BYTES = 64 * 1024
#: The longest original line a quarantined row keeps (a huge field is kept, up to here).
RAW_MAX = 65_536

#: Harmonised text fields stored in typed columns, with their column and length limit.
_TEXT_FIELDS: tuple[tuple[str, str, int], ...] = (
    ("source.fqdn", "source_fqdn", FQDN_MAX),
    ("protocol.transport", "protocol_transport", TRANSPORT_MAX),
    ("protocol.application", "protocol_application", APPLICATION_MAX),
    ("classification.taxonomy", "classification_taxonomy", TAXONOMY_MAX),
    ("classification.type", "classification_type", TYPE_MAX),
    ("classification.identifier", "classification_identifier", IDENTIFIER_MAX),
    ("severity", "severity", SEVERITY_MAX),
)
#: Fields with a typed column of their own (everything else goes into ``data``).
_TYPED = frozenset(
    {"time.source", "source.ip", "source.port", "source.asn"} | {f for f, _, _ in _TEXT_FIELDS}
)


def ingest(
    *,
    session: Session,
    principal: Principal,
    parser: Parser,
    stream: BinaryIO,
    filename: str | None,
    report_type: str | None = None,
    batch_size: int = 50_000,
    dedup_window: timedelta = timedelta(hours=24),
    checkpoint: Checkpoint | None = None,
    progress: Progress | None = None,
) -> FeedRunSummary:
    """Ingest one report: parse it with ``parser``, then check, enrich, deduplicate and
    store every batch, and record one run with where every row went, and one audit entry.

    ``stream`` must be seekable (a file, a spooled upload): it is read once for its SHA-256
    and its first bytes (to tell the report type when ``report_type`` is None), then parsed.
    An input ingested before (same SHA-256 and report type, a finished run the principal
    can see) is not read again: the summary says ``already_ingested`` and nothing changes.
    Raises :class:`Invalid` when the report type is unknown or cannot be told.
    """
    started = time.perf_counter()
    if "write" not in principal.scopes or not access.allowed(principal.role, "edit", "feed_run"):
        raise Forbidden("you may not ingest feeds")
    if not stream.seekable():
        raise ValueError("ingest needs a seekable stream (a file or a spooled upload)")
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    report_type = report_type or parser.detect(filename, head)
    if not report_type:
        raise Invalid.on(
            "report_type",
            f"cannot tell which {parser.source} report {filename or 'this input'} is "
            "from its name and header; name the report type",
        )
    digest = _sha256(stream)
    earlier = session.scalar(
        access.scoped(select(FeedRun), principal)
        .where(
            FeedRun.sha256 == digest,
            FeedRun.report_type == report_type,
            FeedRun.state == RunState.FINISHED,
        )
        .order_by(FeedRun.id)
        .limit(1)
    )
    if earlier is not None:
        return _summary(earlier, started, already_ingested=True)
    batches = parser.parse(stream, report_type=report_type, batch_size=batch_size)
    # The first batch is read before anything is written: a parser refusing the whole input
    # (a header that is not this report's) leaves no run behind.
    first = next(batches, None)
    top_cert = _top_cert(session)
    run = FeedRun(
        owner_cert_id=principal.cert_id or top_cert,
        source=parser.source,
        report_type=report_type,
        filename=filename[:255] if filename else None,
        sha256=digest,
        state=RunState.INTERRUPTED,
        started_at=clock.now(),
        run_by_user_id=principal.user_id,
        run_by=principal.name,
        rows=0,
        stored=0,
        duplicates=0,
        quarantined=0,
        unowned=0,
        accounted=False,
    )
    session.add(run)
    session.flush()
    access.require_create(session, principal, run)
    if checkpoint is not None:
        checkpoint()
    stage = _Store(
        session=session,
        run=run,
        index=build_index(session=session),
        top_cert_id=top_cert,
        window=dedup_window,
    )
    rest: Iterator[ParsedBatch] = batches
    with _page_cache(session):
        for batch in itertools.chain([first] if first is not None else [], rest):
            with _collector_paused():
                stage.store(batch)
            if progress is not None:
                progress(stream.tell())
            if checkpoint is not None:
                checkpoint()
    return _finish(session=session, principal=principal, run=run, started=started)


#: SQLite's page cache while a report is stored (KiB; its default is 2 MiB).
SQLITE_CACHE_KIB = 65_536


@contextmanager
def _page_cache(session: Session) -> Iterator[None]:
    """A bigger SQLite page cache for the run: each batch inserts its events into the
    fingerprint and organisation indexes at random places, and with the default 2 MiB most
    of those pages are read back from the file again and again as the table grows.
    The connection's own setting comes back afterwards (connections are pooled)."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    connection = session.connection()
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        session.connection().exec_driver_sql(f"PRAGMA cache_size = {int(before or -2000)}")


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while one batch is stored: the batch builds
    hundreds of thousands of lists, dicts and strings, none in a cycle, and every burst of
    allocations would set off collections scanning them all again (a fifth of the time).
    Memory is unaffected (reference counting frees as usual); the collector runs again
    between batches."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _sha256(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def _top_cert(session: Session) -> int:
    """The CERT at the top of the reporting line: owner of unowned events and system runs."""
    top = constituency.top_cert_id(session=session)
    if top is None:
        raise Invalid.on("cert", "no CERT exists yet: create the national CERT first")
    return top


def _finish(
    *, session: Session, principal: Principal, run: FeedRun, started: float
) -> FeedRunSummary:
    run.accounted = run.rows == run.stored + run.duplicates + run.quarantined
    if not run.accounted:
        # Cannot happen with parsers keeping the batch contract; said loudly if it does.
        log.error(
            "feed run %s does not account for its rows: %s != %s + %s + %s",
            run.id,
            run.rows,
            run.stored,
            run.duplicates,
            run.quarantined,
        )
    run.state = RunState.FINISHED
    run.finished_at = clock.now()
    session.flush()
    summary = _summary(run, started)
    audit.record(
        session=session,
        principal=principal,
        action="feed_run.ingest",
        object_type="feed_run",
        object_id=run.id,
        after=summary.model_dump(mode="json"),
        owner_cert_id=run.owner_cert_id,
    )
    return summary


def _summary(run: FeedRun, started: float, *, already_ingested: bool = False) -> FeedRunSummary:
    elapsed = max(time.perf_counter() - started, 1e-9)
    read = FeedRunRead.model_validate(run)
    return FeedRunSummary(
        **read.model_dump(),
        already_ingested=already_ingested,
        elapsed_seconds=round(elapsed, 3),
        rows_per_second=0.0 if already_ingested else round(run.rows / elapsed, 1),
    )


@dataclass(frozen=True)
class _Owner:
    cert_id: int
    sector: str
    cii: bool


class _Store:
    """The per-run state of the storage stages: the index, the run, the owners seen."""

    def __init__(
        self,
        *,
        session: Session,
        run: FeedRun,
        index: PrefixIndex,
        top_cert_id: int,
        window: timedelta,
    ) -> None:
        self.session = session
        self.run = run
        self.index = index
        self.top_cert_id = top_cert_id
        self.window = window

    def store(self, batch: ParsedBatch) -> None:
        """Check, enrich, deduplicate and store one batch; add it to the run's counts."""
        _check_shape(batch)
        size = batch.size
        columns = batch.columns
        problems: dict[int, Problem] = {}
        times = experts.check_times(columns.get("time.source") or [None] * size, problems)
        ports = experts.check_integers(
            columns.get("source.port") or [None] * size,
            "source.port",
            problems,
            low=0,
            high=65_535,
        )
        asns = experts.check_integers(
            columns.get("source.asn") or [None] * size,
            "source.asn",
            problems,
            low=0,
            high=4_294_967_295,
        )
        texts = {
            column: experts.check_texts(columns.get(name) or [None] * size, name, limit, problems)
            for name, column, limit in _TEXT_FIELDS
        }
        addresses = experts.resolve_addresses(columns.get("source.ip") or [None] * size, self.index)
        for position in addresses.invalid:
            value = str(columns["source.ip"][position])[:80]
            problems.setdefault(position, Problem(f"not an IP address: {value!r}", "source.ip"))
        accepted = [p for p in range(size) if p not in problems] if problems else range(size)
        owners = self._owners(addresses.owners[p] for p in accepted)
        prints = experts.fingerprints(batch.report_type, columns, accepted)
        plan = experts.plan_deduplication(
            positions=accepted,
            prints=prints,
            times=[times[p] for p in accepted] if problems else times,
            known=self._known(batch.report_type, prints),
            window=self.window,
            observed_at=self.run.started_at,
        )
        fingerprint_at = dict(zip(accepted, prints, strict=True))
        new = plan.new_positions
        stored = len(new)
        if new:
            outputs.insert_columns(
                self.session,
                outputs.table_of(Event),
                {
                    "report_type": [batch.report_type] * stored,
                    "feed_run_id": [self.run.id] * stored,
                    "last_feed_run_id": [self.run.id] * stored,
                    "time_source": [times[p] for p in new],
                    "source_ip": [addresses.text[p] for p in new],
                    "ip_version": [addresses.version[p] for p in new],
                    "ip_hex": [addresses.hex[p] for p in new],
                    "source_port": [ports[p] for p in new],
                    "source_asn": [asns[p] for p in new],
                    **{column: [values[p] for p in new] for column, values in texts.items()},
                    "data": _data_json(batch, new),
                    **self._enrichment([addresses.owners[p] for p in new], owners),
                    "fingerprint": [fingerprint_at[p] for p in new],
                    "first_seen": plan.new_first_seen,
                    "last_seen": plan.new_last_seen,
                    "count": plan.new_counts,
                    "tlp": [Tlp.AMBER] * stored,
                },
                prepared=("data",),
            )
        if plan.updates:
            self.session.execute(
                update(Event),
                [
                    {
                        "id": event_id,
                        "last_seen": seen,
                        "count": count,
                        "last_feed_run_id": self.run.id,
                    }
                    for event_id, (seen, count) in plan.updates.items()
                ],
            )
        quarantined = self._quarantine(batch, problems)
        unowned = sum(1 for p in accepted if addresses.owners[p] not in owners)
        run = self.run
        run.rows += batch.rows_read
        run.stored += stored
        run.duplicates += plan.duplicates
        run.quarantined += quarantined
        run.unowned += unowned
        self.session.flush()

    def _enrichment(
        self, organisation_ids: Sequence[int], owners: dict[int, _Owner]
    ) -> dict[str, list[Any]]:
        """Organisation, owning CERT, sector and CII flag, column by column; an address
        nobody claims goes to the top CERT."""
        found = [owners.get(org_id) for org_id in organisation_ids]
        top = self.top_cert_id
        return {
            "organisation_id": [
                org_id if owner else None
                for org_id, owner in zip(organisation_ids, found, strict=True)
            ],
            "owner_cert_id": [owner.cert_id if owner else top for owner in found],
            "sector": [owner.sector if owner else None for owner in found],
            "cii": [owner.cii if owner else False for owner in found],
        }

    def _owners(self, organisation_ids: Iterator[int]) -> dict[int, _Owner]:
        """CERT, sector and CII flag of each organisation of the batch, in one query."""
        facts = constituency.routing_facts(
            session=self.session, organisation_ids=set(organisation_ids) - {UNCLAIMED}
        )
        return {org_id: _Owner(f.cert_id, f.sector, f.cii) for org_id, f in facts.items()}

    def _known(self, report_type: str, prints: Sequence[str]) -> dict[str, Known]:
        """The latest stored event of each fingerprint of the batch, in one query.

        The fingerprints travel as one JSON array parameter, unpacked by the database
        (``json_each`` / ``json_array_elements_text``): tens of thousands of bound
        parameters would cost more to bind than the lookup itself, and exceed SQLite's limit.
        """
        wanted = sorted(set(prints))
        unpacked: Select[Any]
        if self.session.get_bind().dialect.name == "postgresql":
            unpacked = select(literal_column("value")).select_from(
                func.json_array_elements_text(bindparam("fingerprints", wanted, type_=JSON))
            )
        else:
            unpacked = select(literal_column("value")).select_from(
                func.json_each(json.dumps(wanted))
            )
        rows = self.session.execute(
            select(Event.fingerprint, Event.id, Event.last_seen, Event.count).where(
                Event.report_type == report_type, Event.fingerprint.in_(unpacked)
            )
        )
        known: dict[str, Known] = {}
        for fingerprint, event_id, last_seen, count in rows:
            current = known.get(fingerprint)
            if current is None or last_seen > current.last_seen:
                known[fingerprint] = Known(event_id, last_seen, count)
        return known

    def _quarantine(self, batch: ParsedBatch, problems: dict[int, Problem]) -> int:
        """Store the parser's rejects and this stage's problem rows; how many there were."""
        rejected: list[Rejected] = list(batch.rejected)
        rejected.extend(
            Rejected(batch.lines[p], batch.raw[p], problem.reason, problem.field)
            for p, problem in sorted(problems.items())
        )
        if not rejected:
            return 0
        # In input order, so that a listing by id reads like the file.
        rejected.sort(key=lambda row: row.line)
        run = self.run
        self.session.execute(
            insert(outputs.table_of(QuarantinedRow)),
            [
                {
                    "feed_run_id": run.id,
                    "owner_cert_id": run.owner_cert_id,
                    "line": row.line,
                    "raw": _clip(row.raw),
                    "reason": row.reason[:500],
                    "field": row.field[:128] if row.field else None,
                }
                for row in rejected
            ],
        )
        return len(rejected)


def _data_json(batch: ParsedBatch, positions: Sequence[int]) -> list[str]:
    """Per row at ``positions``, the harmonised fields without a typed column, and
    ``extra``, as the JSON text stored in ``data`` (what ``json.dumps`` of the same dict
    gives).

    Built a column at a time: each distinct value of a column is serialised once (most
    columns repeat few values), with its key and a trailing separator, so that a row is the
    plain concatenation of its pieces; no dict, and no Python code per cell.
    """
    pieces: list[list[str]] = [
        _json_pieces(json.dumps(name) + ": ", values)
        for name, values in batch.columns.items()
        if name not in _TYPED
    ]
    if batch.extra_columns:
        extra = [
            _json_pieces(json.dumps(name) + ": ", values, empty="", text=True)
            for name, values in batch.extra_columns.items()
        ]
        pieces.append(
            [
                '"extra": {' + inner[:-2] + "}, " if inner else ""
                for inner in map("".join, zip(*extra, strict=True))
            ]
        )
    elif batch.extra:
        # Extras as dicts (mostly flat text): json's C encoder takes them as they are, and
        # ``default`` sees only what it cannot (times, dates).
        dumps = json.JSONEncoder(default=_json_default).encode
        pieces.append(['"extra": ' + dumps(e) + ", " if e else "" for e in batch.extra])
    if not pieces:
        return ["{}"] * len(positions)
    rows = ["{" + text[:-2] + "}" for text in map("".join, zip(*pieces, strict=True))]
    if len(positions) == batch.size:
        return rows
    return [rows[p] for p in positions]


def _json_pieces(
    key: str, values: Sequence[Any], empty: object = None, *, text: bool = False
) -> list[str]:
    """``"name": value, `` for each value of a column, JSON-encoded ("" for no value, i.e.
    ``None`` or ``empty``), each distinct value encoded once. ``text``: the column holds
    only text (a parser's extra columns), no need to look."""
    kinds = {str} if text else set(map(type, values))
    kinds.discard(type(None))
    if len(kinds) <= 1:  # one type: equal values are the same value (True == 1 otherwise)
        try:
            distinct = set(values)
        except TypeError:
            distinct = None
        if distinct is not None:
            done = {value: _json_piece(key, value, empty) for value in distinct}
            return list(map(done.__getitem__, values))
    return [_json_piece(key, value, empty) for value in values]


def _json_piece(key: str, value: Any, empty: object) -> str:
    if value is None or value == empty:
        return ""
    if (
        type(value) is str
        and value.isascii()
        and value.isprintable()
        and '"' not in value
        and "\\" not in value
    ):
        # What json.dumps gives for printable ASCII without quotes or backslashes.
        return f'{key}"{value}", '
    return f"{key}{json.dumps(experts.plain(value))}, "


def _json_default(value: Any) -> Any:
    plained = experts.plain(value)
    if plained is value:
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")
    return plained


def _clip(raw: str) -> str:
    if len(raw) <= RAW_MAX:
        return raw
    return f"{raw[:RAW_MAX]}… [{len(raw) - RAW_MAX} more characters not kept]"


def _check_shape(batch: ParsedBatch) -> None:
    """A batch whose columns disagree in length would misplace values between rows: a
    parser bug, refused before anything is written."""
    size = batch.size
    wrong = [name for name, values in batch.columns.items() if len(values) != size]
    wrong += [
        f"extra {name}" for name, values in batch.extra_columns.items() if len(values) != size
    ]
    if wrong or len(batch.raw) != size or (batch.extra and len(batch.extra) != size):
        raise ValueError(
            f"parser batch of {size} rows has columns of other lengths: {', '.join(wrong)}"
        )
