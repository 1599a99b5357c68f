"""Advisories: author, read, preview and publish as CSAF 2.0. Publishing disseminates the new
revision (:mod:`certnet.advisories.dissemination`); answers are in
:mod:`certnet.advisories.answers`.

Every read goes through the access policy; every change is audited; nothing commits (the
caller's unit of work does). Publishing writes the revision, one dissemination per organisation
and one outbox message per organisation in the same transaction, so a crash sends nothing or
everything, and publishing the same revision twice cannot happen (the version moves on).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from certnet.advisories import csaf, csaf_checks, dissemination
from certnet.advisories.models import (
    Advisory,
    AdvisoryCategory,
    AdvisoryRevision,
    AdvisoryStatus,
    Dissemination,
)
from certnet.advisories.publisher import publisher_of, self_url
from certnet.advisories.schemas import (
    AdvisoryCreate,
    AdvisoryUpdate,
    PublishRequest,
)
from certnet.constituency import service as constituency
from certnet.core import access, audit, clock
from certnet.core.access import Principal
from certnet.core.errors import FieldError, Forbidden, Invalid, NotFound
from certnet.core.pagination import Page, paginate
from certnet.core.tlp import Tlp

NULLABLE = frozenset({"cvss_v3_vector", "answer_deadline"})


def _content(data: AdvisoryCreate | AdvisoryUpdate) -> dict[str, Any]:
    # A new advisory takes every field (defaults included); an update only those given.
    values = data.model_dump(exclude_unset=isinstance(data, AdvisoryUpdate), mode="json")
    values.pop("publisher_cert_id", None)
    for key in ("tlp",):
        if key in values and values[key] is not None:
            values[key] = Tlp(values[key])
    if "category" in values and values["category"] is not None:
        values["category"] = AdvisoryCategory(values["category"])
    if "answer_deadline" in values:
        values["answer_deadline"] = data.answer_deadline
    return {k: v for k, v in values.items() if v is not None or k in NULLABLE}


def _check_content(values: dict[str, Any]) -> None:
    """Refuse what would make an invalid document, naming the field."""
    deadline = values.get("answer_deadline")
    if deadline is not None and deadline.tzinfo is None:
        raise Invalid.on("answer_deadline", "give a time zone (e.g. 2026-12-01T12:00:00Z)")
    vector = values.get("cvss_v3_vector")
    if vector:
        csaf.cvss_v3(vector)


def _next_tracking_id(session: Session, prefix: str, year: int) -> str:
    stem = f"{prefix}-{year}-"
    # Tracking ids are allocated by the installation across every publisher's advisories.
    taken = session.scalars(
        access.scoped(select(Advisory.tracking_id), Principal.system("tracking ids")).where(
            Advisory.tracking_id.like(f"{stem}%")
        )
    ).all()
    numbers = [int(t[len(stem) :]) for t in taken if t[len(stem) :].isdigit()]
    return f"{stem}{max(numbers, default=0) + 1:04d}"


def create(*, session: Session, principal: Principal, data: AdvisoryCreate) -> Advisory:
    """A new draft advisory, published by the author's CERT (or the CERT named, if the author
    may publish for it), with a tracking id in that CERT's namespace (``PKCERT-2026-0001``)."""
    cert_id = data.publisher_cert_id or principal.cert_id
    if cert_id is None:
        raise Forbidden("only CERT staff author advisories")
    values = _content(data)
    _check_content(values)
    cert = constituency.get_cert(session=session, principal=principal, cert_id=cert_id)
    now = clock.now()
    advisory = Advisory(
        owner_cert_id=cert.id,
        tracking_id=_next_tracking_id(session, cert.short_name.upper(), now.year),
        status=AdvisoryStatus.DRAFT,
        version=0,
        pending_changes=True,
        created_by=principal.name,
        created_at=now,
        updated_at=now,
        **values,
    )
    session.add(advisory)
    session.flush()
    if advisory.tlp is Tlp.RED:
        dissemination.name_red_recipients(session, advisory, [])
    access.require_create(session, principal, advisory)
    audit.record(
        session=session,
        principal=principal,
        action="advisory.create",
        object_type="advisory",
        object_id=advisory.id,
        after=audit.snapshot(advisory),
        owner_cert_id=advisory.owner_cert_id,
    )
    return advisory


def _visible(principal: Principal) -> ColumnElement[bool] | None:
    """Drafts stay with the publisher's part of the hierarchy: others see an advisory only
    once it has a published revision."""
    if principal.all_tenancy:
        return None
    return or_(
        Advisory.version > 0,
        Advisory.owner_cert_id.in_(sorted(principal.cert_scope) or [-1]),
    )


def _select(principal: Principal) -> Select[Advisory]:
    stmt = access.scoped(select(Advisory), principal)
    clause = _visible(principal)
    return stmt if clause is None else stmt.where(clause)


def get(*, session: Session, principal: Principal, advisory_id: int) -> Advisory:
    """One advisory, or NotFound if it is out of the principal's sight."""
    advisory = session.scalar(_select(principal).where(Advisory.id == advisory_id))
    if advisory is None:
        raise NotFound(f"advisory {advisory_id} not found")
    return advisory


def get_by_tracking_id(*, session: Session, principal: Principal, tracking_id: str) -> Advisory:
    """One advisory by its tracking id, or NotFound."""
    advisory = session.scalar(_select(principal).where(Advisory.tracking_id == tracking_id))
    if advisory is None:
        raise NotFound(f"advisory {tracking_id} not found")
    return advisory


def list_advisories(
    *,
    session: Session,
    principal: Principal,
    status: AdvisoryStatus | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Advisory]:
    """Advisories the principal may see, newest first."""
    stmt = _select(principal)
    if status is not None:
        stmt = stmt.where(Advisory.status == status)
    return paginate(session, stmt, keys=[Advisory.id], cursor=cursor, limit=limit, descending=True)


def past_deadline(*, session: Session, principal: Principal, now: datetime) -> list[Advisory]:
    """Published advisories whose answer deadline has passed, oldest deadline first."""
    stmt = _select(principal).where(
        Advisory.version > 0,
        Advisory.answer_deadline.is_not(None),
        Advisory.answer_deadline < now,
    )
    return list(session.scalars(stmt.order_by(Advisory.answer_deadline, Advisory.id)))


def update(
    *, session: Session, principal: Principal, advisory_id: int, data: AdvisoryUpdate
) -> Advisory:
    """Change an advisory's content. A published advisory keeps what went out (its revisions);
    the change goes out with the next publication."""
    advisory = get(session=session, principal=principal, advisory_id=advisory_id)
    access.require(session, principal, "edit", advisory)
    values = _content(data)
    _check_content(values)
    if "tlp" in values and advisory.version > 0 and Tlp(values["tlp"]).rank < advisory.tlp.rank:
        raise Invalid.on(
            "tlp", f"a published advisory's marking is never lowered (it is {advisory.tlp.value})"
        )
    before = audit.snapshot(advisory)
    for key, value in values.items():
        setattr(advisory, key, value)
    advisory.pending_changes = True
    advisory.updated_at = clock.now()
    session.flush()
    if advisory.tlp is Tlp.RED:
        dissemination.name_red_recipients(session, advisory, [])
    audit.record(
        session=session,
        principal=principal,
        action="advisory.update",
        object_type="advisory",
        object_id=advisory.id,
        before=before,
        after=audit.snapshot(advisory),
        owner_cert_id=advisory.owner_cert_id,
    )
    return advisory


def revisions(
    *, session: Session, principal: Principal, advisory_id: int
) -> list[AdvisoryRevision]:
    """The advisory's published revisions, oldest first."""
    get(session=session, principal=principal, advisory_id=advisory_id)
    stmt = access.scoped(select(AdvisoryRevision), principal).where(
        AdvisoryRevision.advisory_id == advisory_id
    )
    return list(session.scalars(stmt.order_by(AdvisoryRevision.number)))


def _entries(history: Sequence[AdvisoryRevision]) -> list[csaf.RevisionEntry]:
    return [csaf.RevisionEntry(r.number, r.published_at, r.summary) for r in history]


def preview(*, session: Session, principal: Principal, advisory_id: int) -> dict[str, Any]:
    """The CSAF document the advisory's current content makes: a never-published advisory as
    a draft (version 0), otherwise as its next revision would be."""
    advisory = get(session=session, principal=principal, advisory_id=advisory_id)
    history = _entries(revisions(session=session, principal=principal, advisory_id=advisory.id))
    now = clock.now()
    if not history:
        entries = [csaf.RevisionEntry(0, now, "Draft.")]
        status = AdvisoryStatus.DRAFT
    elif advisory.pending_changes:
        entries = [*history, csaf.RevisionEntry(advisory.version + 1, now, "Pending changes.")]
        status = advisory.status
    else:
        entries, status = history, advisory.status
    return csaf.build_document(
        advisory,
        publisher=publisher_of(session, advisory.owner_cert_id),
        revisions=entries,
        status=status,
        self_url=self_url(advisory),
    )


def document(
    *, session: Session, principal: Principal, advisory_id: int, version: int | None = None
) -> AdvisoryRevision:
    """A published revision (the latest, or ``version``) with its CSAF document."""
    found = revisions(session=session, principal=principal, advisory_id=advisory_id)
    if version is not None:
        found = [r for r in found if r.number == version]
    if not found:
        which = f"revision {version}" if version is not None else "a published revision"
        raise NotFound(f"advisory {advisory_id} has no {which}")
    return found[-1]


@dataclass(frozen=True)
class Published:
    """What a publication did."""

    advisory: Advisory
    revision: AdvisoryRevision
    disseminations: list[Dissemination]


def publish(
    *, session: Session, principal: Principal, advisory_id: int, data: PublishRequest
) -> Published:
    """Publish the advisory's content as its next revision (interim or final), after the CSAF
    mandatory tests pass, and disseminate it: an e-mail through the outbox and an entry in the
    portal for exactly the organisations (within the publisher's sight) whose assets match."""
    advisory = get(session=session, principal=principal, advisory_id=advisory_id)
    access.require(session, principal, "edit", advisory)
    if advisory.version > 0 and not advisory.pending_changes and data.status == advisory.status:
        raise Invalid.on("status", "nothing changed since the last revision")
    if not advisory.products:
        raise Invalid.on("products", "name at least one product before publishing")
    now = clock.now().replace(microsecond=0)
    history = revisions(session=session, principal=principal, advisory_id=advisory.id)
    number = advisory.version + 1
    entries = [*_entries(history), csaf.RevisionEntry(number, now, data.summary)]
    doc = csaf.build_document(
        advisory,
        publisher=publisher_of(session, advisory.owner_cert_id),
        revisions=entries,
        status=data.status,
        self_url=self_url(advisory),
    )
    failures = csaf_checks.run(doc)
    if failures:
        raise Invalid(
            detail="the CSAF document fails mandatory tests",
            errors=[FieldError(f.test, f"{f.path}: {f.reason}") for f in failures],
        )
    before = audit.snapshot(advisory)
    revision = AdvisoryRevision(
        advisory_id=advisory.id,
        owner_cert_id=advisory.owner_cert_id,
        number=number,
        status=data.status,
        tlp=advisory.tlp,
        summary=data.summary,
        published_at=now,
        published_by=principal.name,
        document=doc,
        sha256=csaf.sha256_of(doc),
    )
    session.add(revision)
    session.flush()
    if advisory.tlp is Tlp.RED:
        dissemination.name_red_recipients(session, advisory, [])
    advisory.version = number
    advisory.status = data.status
    advisory.pending_changes = False
    advisory.initial_release_at = advisory.initial_release_at or now
    advisory.current_release_at = now
    advisory.updated_at = now
    session.flush()
    sent = dissemination.disseminate(session, principal, advisory, revision, now)
    audit.record(
        session=session,
        principal=principal,
        action="advisory.publish",
        object_type="advisory",
        object_id=advisory.id,
        before=before,
        after={
            **audit.snapshot(advisory),
            "revision": number,
            "sha256": revision.sha256,
            "disseminated_to": [d.organisation_id for d in sent],
        },
        owner_cert_id=advisory.owner_cert_id,
    )
    return Published(advisory, revision, sent)
