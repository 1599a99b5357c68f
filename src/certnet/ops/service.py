"""Health of the installation, and the audit chain as operators and auditors read it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from certnet.core import access, audit
from certnet.core.access import Principal
from certnet.core.errors import Forbidden
from certnet.core.models import AuditEntry
from certnet.core.pagination import Page, paginate
from certnet.db import migrate


@dataclass(frozen=True)
class Health:
    """Whether certnet can serve: the database answers and its schema is at head."""

    ok: bool
    database: str
    revision: str | None
    head: str | None


def health(engine: Engine) -> Health:
    """Check the database and the migration level."""
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("SELECT 1"))
        revision = migrate.current_revision(engine)
    except Exception as exc:  # noqa: BLE001 — any failure to reach the database is "down"
        return Health(False, f"unreachable: {type(exc).__name__}", None, migrate.head_revision())
    head = migrate.head_revision()
    return Health(revision == head, "ok", revision, head)


def list_audit(
    *,
    session: Session,
    principal: Principal,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
    newest_first: bool = False,
) -> Page[AuditEntry]:
    """Audit entries the principal may read, in chain order or newest first (keyset on the
    sequence number)."""
    stmt = access.scoped(select(AuditEntry), principal)
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    return paginate(
        session, stmt, keys=[AuditEntry.seq], cursor=cursor, limit=limit, descending=newest_first
    )


def verify_audit(*, session: Session, principal: Principal) -> audit.Verification:
    """Walk the whole chain: for those who may read every entry (national auditors, admins)."""
    if not (principal.all_tenancy and access.allowed(principal.role, "view", "audit_entry")):
        raise Forbidden("verifying the whole chain is for national auditors and admins")
    return audit.verify(session=session)
