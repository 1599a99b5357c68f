"""Evidence files with a chain of custody.

Files live under ``settings.var_dir/evidence``, named by their SHA-256 (content-addressed:
the same bytes are stored once and never overwritten by different ones). Every store, read and
check is a custody row and an audit entry."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.config import Settings
from certnet.core import audit
from certnet.core.access import Principal
from certnet.core.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from certnet.incidents.models import Evidence, EvidenceAccess, Incident
from certnet.incidents.schemas import AttachmentIn
from certnet.incidents.service import common

#: Largest evidence file accepted.
MAX_EVIDENCE_BYTES = 25 * 1024 * 1024

#: Content types accepted as evidence: documents, images, logs, captures, archives, mail.
ALLOWED_TYPES = frozenset(
    {
        "application/json",
        "application/octet-stream",
        "application/pdf",
        "application/vnd.tcpdump.pcap",
        "application/x-pcapng",
        "application/gzip",
        "application/zip",
        "application/x-7z-compressed",
        "application/xml",
        "image/png",
        "image/jpeg",
        "image/gif",
        "message/rfc822",
        "text/csv",
        "text/plain",
        "text/xml",
    }
)

#: Never accepted, whatever the type says: files a browser or a desktop would run.
BLOCKED_SUFFIXES = frozenset(
    {
        ".exe",
        ".dll",
        ".scr",
        ".bat",
        ".cmd",
        ".com",
        ".js",
        ".vbs",
        ".ps1",
        ".msi",
        ".html",
        ".htm",
        ".svg",
        ".hta",
        ".jar",
        ".lnk",
    }
)


def check_file(filename: str, content_type: str, size: int) -> list[tuple[str, str]]:
    """What is wrong with a file offered as evidence: (field, reason) pairs, empty if fine.
    Executable and active content must arrive packed (e.g. in a password-protected zip)."""
    problems = []
    name = os.path.basename(filename.replace("\\", "/"))
    if not name or name in (".", ".."):
        problems.append(("filename", "a file name is needed"))
    if Path(name).suffix.lower() in BLOCKED_SUFFIXES:
        problems.append(
            ("filename", f"{Path(name).suffix} files are not accepted; send them zipped")
        )
    base_type = content_type.split(";")[0].strip().lower()
    if base_type not in ALLOWED_TYPES:
        problems.append(("content_type", f"{base_type or 'no type'} is not accepted as evidence"))
    if size > MAX_EVIDENCE_BYTES:
        problems.append(
            ("content", f"{size} bytes is over the limit of {MAX_EVIDENCE_BYTES} bytes")
        )
    if size == 0:
        problems.append(("content", "the file is empty"))
    return problems


def decode_attachments(items: list[AttachmentIn]) -> list[tuple[AttachmentIn, bytes]]:
    """Decode and check a report's attachments; Invalid names each bad one."""
    errors: list[FieldError] = []
    decoded = []
    for position, item in enumerate(items):
        try:
            content = item.content()
        except ValueError as exc:
            errors.append(FieldError(f"attachments[{position}].content_base64", str(exc)))
            continue
        for field, reason in check_file(item.filename, item.content_type, len(content)):
            errors.append(FieldError(f"attachments[{position}].{field}", reason))
        decoded.append((item, content))
    if errors:
        raise Invalid(detail="attachments refused", errors=errors)
    return decoded


def _custody(
    session: Session,
    principal: Principal,
    item: Evidence,
    incident: Incident,
    action: str,
    ok: bool | None,
) -> None:
    session.add(
        EvidenceAccess(
            evidence_id=item.id,
            at=common.now_or(None),
            actor_user_id=principal.user_id,
            actor=principal.name,
            action=action,
            sha256_ok=ok,
        )
    )
    audit.record(
        session=session,
        principal=principal,
        action=f"incident_evidence.{action}",
        object_type="incident_evidence",
        object_id=item.id,
        after={"incident_id": incident.id, "sha256": item.sha256, "sha256_ok": ok},
        owner_cert_id=incident.owner_cert_id,
    )


def store(
    session: Session,
    principal: Principal,
    settings: Settings,
    incident: Incident,
    *,
    filename: str,
    content_type: str,
    content: bytes,
    description: str = "",
) -> Evidence:
    """Write the file and its record (checks already made)."""
    digest = hashlib.sha256(content).hexdigest()
    relative = Path("evidence") / digest[:2] / digest
    target = Path(settings.var_dir) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        if hashlib.sha256(target.read_bytes()).hexdigest() != digest:
            raise Conflict(f"stored evidence {digest} does not match its name; check var_dir")
    else:
        partial = target.with_suffix(".part")
        partial.write_bytes(content)
        os.replace(partial, target)
    at = common.now_or(None)
    item = Evidence(
        incident_id=incident.id,
        filename=os.path.basename(filename.replace("\\", "/"))[:255],
        content_type=content_type.split(";")[0].strip().lower(),
        size=len(content),
        sha256=digest,
        storage_path=relative.as_posix(),
        description=description,
        uploaded_by_user_id=principal.user_id,
        uploaded_by=principal.name,
        uploaded_at=at,
    )
    session.add(item)
    session.flush()
    _custody(session, principal, item, incident, "stored", True)
    common.note(
        session,
        principal,
        incident,
        kind="evidence_added",
        summary=f"Evidence {item.filename} ({item.size} bytes, SHA-256 {digest[:12]}…)",
        data={"evidence_id": item.id, "sha256": digest},
        at=at,
        audited=False,
    )
    return item


def _may_change(session: Session, principal: Principal, incident: Incident) -> None:
    if "write" not in principal.scopes:
        raise Forbidden("this credential may not write")
    if principal.role is not None and principal.role.is_constituent:
        if principal.organisation_id != incident.organisation_id:
            raise Forbidden(f"you may not add evidence to incident {incident.id}")
        return
    common.fetch_for_handling(session, principal, incident.id)


def add_evidence(
    *,
    session: Session,
    principal: Principal,
    settings: Settings,
    incident_id: int,
    filename: str,
    content_type: str,
    content: bytes,
    description: str = "",
) -> Evidence:
    """Store a file under ``settings.var_dir`` with its SHA-256 and size; Invalid on
    ``filename`` or ``content_type`` for a disallowed file, on ``content`` over the limit."""
    incident = common.fetch(session, principal, incident_id)
    _may_change(session, principal, incident)
    problems = check_file(filename, content_type, len(content))
    if problems:
        raise Invalid(detail="evidence refused", errors=[FieldError(f, r) for f, r in problems])
    return store(
        session,
        principal,
        settings,
        incident,
        filename=filename,
        content_type=content_type,
        content=content,
        description=description,
    )


def evidence(*, session: Session, principal: Principal, incident_id: int) -> list[Evidence]:
    """The incident's evidence files."""
    incident = common.fetch(session, principal, incident_id)
    return list(
        session.scalars(
            select(Evidence).where(Evidence.incident_id == incident.id).order_by(Evidence.id)
        )
    )


def _item(session: Session, incident: Incident, evidence_id: int) -> Evidence:
    item = session.scalar(
        select(Evidence).where(Evidence.id == evidence_id, Evidence.incident_id == incident.id)
    )
    if item is None:
        raise NotFound(f"evidence {evidence_id} not found on incident {incident.id}")
    return item


def read_evidence(
    *,
    session: Session,
    principal: Principal,
    settings: Settings,
    incident_id: int,
    evidence_id: int,
) -> tuple[Evidence, bytes]:
    """The file's bytes, checked against its SHA-256; the access is logged. A file that no
    longer matches is refused as a Conflict (the caller's unit of work then rolls back, so
    that refused read is in the application log, not the custody table)."""
    incident = common.fetch(session, principal, incident_id)
    item = _item(session, incident, evidence_id)
    path = Path(settings.var_dir) / item.storage_path
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        content = b""
    ok = hashlib.sha256(content).hexdigest() == item.sha256 and len(content) == item.size
    _custody(session, principal, item, incident, "read", ok)
    if not ok:
        raise Conflict(f"evidence {evidence_id} no longer matches its SHA-256: not served")
    return item, content


def custody(
    *, session: Session, principal: Principal, incident_id: int, evidence_id: int
) -> list[EvidenceAccess]:
    """Every access to the file, oldest first."""
    incident = common.fetch(session, principal, incident_id)
    item = _item(session, incident, evidence_id)
    return list(
        session.scalars(
            select(EvidenceAccess)
            .where(EvidenceAccess.evidence_id == item.id)
            .order_by(EvidenceAccess.id)
        )
    )
