"""Routing rules, escalation up and delegation down the reporting line, playbooks.

The rules and playbooks ship as data (``incidents/data``); the National CERT may replace them,
and its stored version (``incident_setting``) wins. Every hop is on the timeline, in the audit
chain, mailed to the receiving CERT's duty desk and sent to webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.constituency import service as constituency
from certnet.core import access, audit
from certnet.core.access import Principal
from certnet.core.errors import Forbidden, Invalid
from certnet.core.models import TlpRecipient
from certnet.core.tlp import Tlp
from certnet.incidents import rules as packaged
from certnet.incidents.models import Incident, IncidentSetting, IncidentStatus
from certnet.incidents.rules import RoutingRules
from certnet.incidents.service import common, tally
from certnet.incidents.service.taxonomy import rsit_classes
from certnet.profiles import service as profiles


def _setting(session: Session, kind: str, key: str) -> IncidentSetting | None:
    return session.scalar(
        select(IncidentSetting).where(IncidentSetting.kind == kind, IncidentSetting.key == key)
    )


def rules_for(session: Session, profile_id: str) -> RoutingRules:
    """The rules in force for a profile: the National CERT's stored version, else the
    packaged one (read as the installation: routing is not a read of anyone's data)."""
    stored = _setting(session, "rules", profile_id)
    if stored is not None:
        return RoutingRules.model_validate(stored.document)
    return packaged.packaged_rules(profile_id)


def routing_rules(*, session: Session, principal: Principal) -> dict[str, Any]:
    """The routing rules in force for the active profile, and whether they are the packaged
    defaults or the National CERT's version."""
    profile = profiles.active()
    stored = _setting(session, "rules", profile.id)
    rules = rules_for(session, profile.id)
    return {
        "profile": profile.id,
        "source": "stored" if stored is not None else "packaged",
        "rules": rules.model_dump(mode="json"),
    }


def _national_staff(session: Session, principal: Principal) -> int:
    """The top CERT's id, if the principal may set policy for it (its staff or certnet)."""
    top = constituency.top_cert_id(session=session)
    if top is None:
        raise Invalid.on("cert", "there is no National CERT yet")
    if "write" not in principal.scopes or not access.allowed(
        principal.role, "edit", "incident_setting"
    ):
        raise Forbidden("you may not change incident rules")
    if not principal.all_tenancy or (principal.role is not None and principal.role.is_constituent):
        raise Forbidden("only the National CERT sets the incident rules and playbooks")
    return top


def _store(
    session: Session, principal: Principal, kind: str, key: str, document: dict[str, Any]
) -> None:
    top = _national_staff(session, principal)
    row = _setting(session, kind, key)
    before = dict(row.document) if row is not None else None
    if row is None:
        row = IncidentSetting(owner_cert_id=top, kind=kind, key=key, document=document)
        session.add(row)
    row.document = document
    row.updated_by = principal.name
    row.updated_at = common.now_or(None)
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action=f"incident_setting.{kind}",
        object_type="incident_setting",
        object_id=f"{kind}:{key}",
        before=before,
        after=document,
        owner_cert_id=top,
    )


def set_routing_rules(
    *, session: Session, principal: Principal, rules: dict[str, Any]
) -> dict[str, Any]:
    """Replace the rules of the active profile (the National CERT only); each stage must be a
    clock of the profile. Validated, stored and audited."""
    profile = profiles.active()
    checked = packaged.validate_rules(rules)
    clocks = {c.id for c in profile.clocks}
    for position, stage in enumerate(checked.stages):
        if stage not in clocks:
            raise Invalid.on(
                f"rules.stages.{position}", f"{stage!r} is not a clock of profile {profile.id}"
            )
    _store(session, principal, "rules", profile.id, checked.model_dump(mode="json"))
    return routing_rules(session=session, principal=principal)


def playbook(*, session: Session, rsit_class: str) -> list[dict[str, Any]]:
    """The steps for one RSIT class (empty when none): the stored version, else packaged."""
    stored = _setting(session, "playbook", rsit_class)
    if stored is not None:
        return list(stored.document.get("steps", []))
    return [s.model_dump() for s in packaged.packaged_playbooks().get(rsit_class, [])]


def playbooks(*, session: Session, principal: Principal) -> dict[str, list[dict[str, Any]]]:
    """Playbooks per RSIT class: the tasks a new incident of that class gets."""
    return {name: playbook(session=session, rsit_class=name) for name in rsit_classes()}


def set_playbook(
    *, session: Session, principal: Principal, rsit_class: str, steps: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Replace the playbook of an RSIT class (the National CERT only); audited."""
    if rsit_class not in rsit_classes():
        raise Invalid.on("rsit_class", f"{rsit_class!r} is not an RSIT class")
    checked = [s.model_dump() for s in packaged.validate_steps(steps)]
    _store(session, principal, "playbook", rsit_class, {"steps": checked})
    return checked


def _grant_red(session: Session, incident: Incident, cert_id: int) -> None:
    """A RED incident handed to another CERT names that CERT as a recipient: the reporter's
    marking then still rules everyone else out."""
    if incident.tlp is not Tlp.RED:
        return
    known = session.scalar(
        select(TlpRecipient.id).where(
            TlpRecipient.object_type == "incident",
            TlpRecipient.object_id == incident.id,
            TlpRecipient.cert_id == cert_id,
        )
    )
    if known is None:
        session.add(TlpRecipient(object_type="incident", object_id=incident.id, cert_id=cert_id))


def hand_over(
    session: Session,
    principal: Principal,
    incident: Incident,
    *,
    to_cert_id: int,
    kind: str,
    reason: str,
    at: datetime,
) -> None:
    """Make ``to_cert_id`` the handler: timeline, audit, the CERT's duty desk, webhooks."""
    before = {"handling_cert_id": incident.handling_cert_id}
    counted = tally.key_of(incident)
    incident.handling_cert_id = to_cert_id
    tally.move(session, counted, incident)
    incident.updated_at = at
    if kind == "escalated":
        incident.escalated_at = at
    _grant_red(session, incident, to_cert_id)
    session.flush()
    cert = constituency.get_cert(session=session, principal=common.SYSTEM, cert_id=to_cert_id)
    common.note(
        session,
        principal,
        incident,
        kind=kind,
        summary=f"{kind.capitalize()} to {cert.short_name}: {reason}",
        data={
            "from_cert_id": before["handling_cert_id"],
            "to_cert_id": to_cert_id,
            "reason": reason,
        },
        before=before,
        after={"handling_cert_id": to_cert_id, "reason": reason},
        at=at,
    )
    common.tell_duty(
        session,
        incident,
        to_cert_id,
        f"{kind}:{before['handling_cert_id']}",
        f"Incident {kind} to {cert.short_name}",
        [f"The incident was {kind} to {cert.name}.", f"Reason: {reason}"],
    )
    common.webhook_event(session, incident, f"incident.{kind}", at)


def inform_parent(
    session: Session, principal: Principal, incident: Incident, reason: str, at: datetime
) -> None:
    """Tell the handler's parent that the incident exists (it is not handed over)."""
    parent = common.tree(session).parent.get(incident.handling_cert_id)
    if parent is None:
        return
    common.note(
        session,
        principal,
        incident,
        kind="parent_informed",
        summary=f"Parent CERT informed: {reason}",
        data={"cert_id": parent, "reason": reason},
        internal=True,
        at=at,
    )
    common.tell_duty(
        session, incident, parent, "informed", "Incident at a CERT below you", [reason]
    )


def _check_open(incident: Incident, field: str) -> None:
    if not incident.status.is_open:
        raise Invalid.on(field, f"incident {incident.id} is {incident.status.value}")


def escalate(
    *,
    session: Session,
    principal: Principal,
    incident_id: int,
    reason: str,
    to_cert_id: int | None = None,
    now: datetime | None = None,
) -> Incident:
    """Hand the incident to a CERT above its handler (the parent when ``to_cert_id`` is None);
    Invalid on ``to_cert_id`` for a CERT not above. On the timeline, audited, duty mailed."""
    incident = common.fetch_for_handling(session, principal, incident_id)
    _check_open(incident, "status")
    if not reason.strip():
        raise Invalid.on("reason", "say why the incident is escalated")
    chain = common.tree(session).chain(incident.handling_cert_id)
    above = chain[1:]
    if to_cert_id is None:
        if not above:
            raise Invalid.on("to_cert_id", "the handling CERT is the top of the line")
        to_cert_id = above[0]
    if to_cert_id not in above:
        raise Invalid.on(
            "to_cert_id", f"CERT {to_cert_id} is not above the handling CERT on the reporting line"
        )
    hand_over(
        session,
        principal,
        incident,
        to_cert_id=to_cert_id,
        kind="escalated",
        reason=reason.strip(),
        at=common.now_or(now),
    )
    return incident


def delegate(
    *,
    session: Session,
    principal: Principal,
    incident_id: int,
    to_cert_id: int,
    reason: str,
    now: datetime | None = None,
) -> Incident:
    """Hand the incident down to a CERT below its handler; Invalid on ``to_cert_id`` else."""
    incident = common.fetch_for_handling(session, principal, incident_id)
    _check_open(incident, "status")
    if not reason.strip():
        raise Invalid.on("reason", "say why the incident is delegated")
    below = common.tree(session).descendants(incident.handling_cert_id) - {
        incident.handling_cert_id
    }
    if to_cert_id not in below:
        raise Invalid.on(
            "to_cert_id", f"CERT {to_cert_id} is not below the handling CERT on the reporting line"
        )
    hand_over(
        session,
        principal,
        incident,
        to_cert_id=to_cert_id,
        kind="delegated",
        reason=reason.strip(),
        at=common.now_or(now),
    )
    return incident


def apply_rules(
    session: Session, principal: Principal, incident: Incident, rules: RoutingRules, at: datetime
) -> None:
    """The routing rules on a new report: to the National CERT when CII is involved or several
    sectors or provinces are; else the parent is informed at or above the severity threshold.
    Certnet itself makes these hops (the reporter may not escalate), named on the timeline."""
    top = constituency.top_cert_id(session=session)
    sectors = {incident.sector, *incident.sectors_affected}
    reasons: list[str] = []
    if rules.cii_to_national and incident.cii_involved:
        reasons.append("critical information infrastructure involved (rule cii_to_national)")
    if len(sectors) >= rules.sectors_to_national:
        reasons.append(f"{len(sectors)} sectors affected (rule sectors_to_national)")
    provinces = len(set(incident.provinces_affected))
    if provinces >= rules.provinces_to_national:
        reasons.append(f"{provinces} provinces affected (rule provinces_to_national)")
    router = Principal.system("incidents:routing")
    if reasons and top is not None and incident.handling_cert_id != top:
        hand_over(
            session,
            router,
            incident,
            to_cert_id=top,
            kind="escalated",
            reason="; ".join(reasons),
            at=at,
        )
        return
    if incident.severity.rank >= rules.inform_parent_at.rank:
        inform_parent(
            session,
            router,
            incident,
            f"severity {incident.severity.value} at or above {rules.inform_parent_at.value}",
            at,
        )


def ensure_status(incident: Incident, *allowed: IncidentStatus) -> None:
    if incident.status not in allowed:
        raise Invalid.on("status", f"incident {incident.id} is {incident.status.value}")
