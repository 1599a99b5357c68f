"""Targeted dissemination: the organisations whose assets match an advisory's products (as
the risk domain matches them), one e-mail each through the outbox from its own CERT, and the
log of who got what, when. TLP:RED advisories name their recipients."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.utils import formataddr

from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.advisories import csaf
from certnet.advisories.models import Advisory, AdvisoryRevision, Dissemination
from certnet.advisories.publisher import public_url
from certnet.advisories.schemas import ProductStatus
from certnet.config import get_settings
from certnet.constituency import service as constituency
from certnet.core import access
from certnet.core.access import Principal
from certnet.core.models import TlpRecipient
from certnet.core.pagination import Page, paginate
from certnet.core.tlp import Tlp
from certnet.notifications import service as outbox
from certnet.risk import service as risk

#: Product statuses whose organisations are told (not those known not to be affected).
TARGETED = (ProductStatus.AFFECTED.value, ProductStatus.UNDER_INVESTIGATION.value)


def _product_refs(advisory: Advisory) -> list[tuple[int, risk.ProductRef]]:
    refs = []
    for index, product in enumerate(advisory.products):
        if product.get("status", ProductStatus.AFFECTED.value) not in TARGETED:
            continue
        if not product.get("cpe") and not product.get("purl"):
            continue
        refs.append(
            (
                index,
                risk.ProductRef(
                    cpe=product.get("cpe"),
                    purl=product.get("purl"),
                    versions=product.get("versions"),
                ),
            )
        )
    return refs


def _mail_text(advisory: Advisory, revision: AdvisoryRevision, org_name: str, assets: str) -> str:
    label = f"TLP:{advisory.tlp.value}"
    lines = [
        label,
        "",
        f"{advisory.tracking_id} (version {revision.number}, {revision.status.value})",
        advisory.title,
        "",
        f"To: {org_name}",
        f"Your assets that match: {assets}",
        "",
        advisory.summary,
        "",
    ]
    if advisory.cves:
        lines += ["CVEs: " + ", ".join(advisory.cves), ""]
    for remediation in advisory.remediations:
        lines.append(f"- {remediation['category']}: {remediation['details']}")
    if advisory.answer_deadline is not None:
        lines += ["", f"Please answer by {csaf.stamp(advisory.answer_deadline)}"]
    lines += [
        "",
        "Answer in the portal (patched, not affected, mitigated, or needs help):",
        f"{public_url()}/advisories/{advisory.id}",
        "",
        f"The CSAF 2.0 document is attached ({csaf.filename(advisory.tracking_id)}).",
        label,
    ]
    return "\n".join(lines)


def sender_of(session: Session, cert_id: int, known: dict[int, str]) -> str:
    """The From of a mail to an organisation: its own CERT's name, the installation's address
    (``known`` caches it per CERT)."""
    if cert_id not in known:
        cert = constituency.get_cert(
            session=session, principal=Principal.system("advisory sender"), cert_id=cert_id
        )
        known[cert_id] = formataddr((cert.name, get_settings().smtp_from))
    return known[cert_id]


def disseminate(
    session: Session,
    principal: Principal,
    advisory: Advisory,
    revision: AdvisoryRevision,
    now: datetime,
) -> list[Dissemination]:
    refs = _product_refs(advisory)
    if not refs:
        return []
    affected = risk.organisations_affected(session, principal, [ref for _, ref in refs])
    attachment = outbox.Attachment(
        filename=csaf.filename(advisory.tracking_id),
        content_type="application/json",
        content=csaf.canonical_bytes(revision.document),
    )
    sent: list[Dissemination] = []
    senders: dict[int, str] = {}
    for target in affected:
        assets = [
            {"asset_id": a.asset_id, "name": a.name, "version": a.version} for a in target.assets
        ]
        described = ", ".join(
            f"{a['name']} {a['version']}" if a["version"] else str(a["name"]) for a in assets
        )
        contacts = constituency.recipients(
            session=session, principal=principal, organisation_id=target.organisation_id
        )
        emails = sorted({c.email for c in contacts})
        message_id: int | None = None
        if emails:
            sender_of(session, target.cert_id, senders)
            message = outbox.enqueue(
                session,
                key=f"advisory:{advisory.id}:v{revision.number}:org:{target.organisation_id}",
                to=emails,
                subject=f"[TLP:{advisory.tlp.value}] {advisory.tracking_id}: {advisory.title}",
                text=_mail_text(advisory, revision, target.organisation_name, described),
                attachments=[attachment],
                owner_cert_id=target.cert_id,
                object_type="advisory",
                object_id=advisory.id,
                ticket=advisory.tracking_id,
                organisation_id=target.organisation_id,
                sender=senders[target.cert_id],
            )
            message_id = message.id
        dissemination = Dissemination(
            advisory_id=advisory.id,
            revision_id=revision.id,
            version=revision.number,
            organisation_id=target.organisation_id,
            organisation_name=target.organisation_name,
            owner_cert_id=target.cert_id,
            publisher_cert_id=advisory.owner_cert_id,
            tracking_id=advisory.tracking_id,
            title=advisory.title,
            tlp=advisory.tlp,
            log_tlp=advisory.tlp.at_least(Tlp.AMBER),
            document=revision.document,
            recipients=emails,
            outbox_message_id=message_id,
            matched_assets=assets,
            sent_at=now,
            sent_by=principal.name,
        )
        session.add(dissemination)
        sent.append(dissemination)
    session.flush()
    if advisory.tlp is Tlp.RED:
        for dissemination in sent:
            _name(
                session, "advisory_dissemination", dissemination.id, cert_id=advisory.owner_cert_id
            )
            _name(
                session,
                "advisory_dissemination",
                dissemination.id,
                organisation_id=dissemination.organisation_id,
            )
        name_red_recipients(session, advisory, [d.organisation_id for d in sent])
    return sent


def _name(
    session: Session,
    object_type: str,
    object_id: int,
    *,
    cert_id: int | None = None,
    organisation_id: int | None = None,
) -> None:
    """Name a TLP:RED recipient of one object, once."""
    named = session.scalar(
        select(TlpRecipient.id).where(
            TlpRecipient.object_type == object_type,
            TlpRecipient.object_id == object_id,
            TlpRecipient.cert_id.is_(None) if cert_id is None else TlpRecipient.cert_id == cert_id,
            TlpRecipient.organisation_id.is_(None)
            if organisation_id is None
            else TlpRecipient.organisation_id == organisation_id,
        )
    )
    if named is None:
        session.add(
            TlpRecipient(
                object_type=object_type,
                object_id=object_id,
                cert_id=cert_id,
                organisation_id=organisation_id,
            )
        )
        session.flush()


def name_red_recipients(session: Session, advisory: Advisory, organisations: Sequence[int]) -> None:
    """TLP:RED is for named recipients only: the publishing CERT, and each organisation the
    advisory was sent to, are named on the advisory and on each of its revisions."""
    revision_ids = session.scalars(
        select(AdvisoryRevision.id).where(AdvisoryRevision.advisory_id == advisory.id)
    ).all()
    for object_type, object_id in [("advisory", advisory.id)] + [
        ("advisory_revision", r) for r in revision_ids
    ]:
        _name(session, object_type, object_id, cert_id=advisory.owner_cert_id)
        for organisation_id in organisations:
            _name(session, object_type, object_id, organisation_id=organisation_id)


def disseminations(
    *,
    session: Session,
    principal: Principal,
    advisory_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Dissemination]:
    """Who got what, when: the dissemination log (an organisation sees what it received)."""
    stmt = access.scoped(select(Dissemination), principal)
    if advisory_id is not None:
        stmt = stmt.where(Dissemination.advisory_id == advisory_id)
    return paginate(
        session, stmt, keys=[Dissemination.id], cursor=cursor, limit=limit, descending=True
    )
