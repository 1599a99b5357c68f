"""Intake: a report becomes an incident at the reporting organisation's owning CERT.

The whole report is checked before anything is written: every bad field is named at once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from certnet.config import Settings, get_settings
from certnet.constituency import service as constituency
from certnet.constituency.models import Organisation
from certnet.core import access, audit
from certnet.core.access import Principal
from certnet.core.errors import FieldError, Forbidden, Invalid, NotFound
from certnet.core.models import TlpRecipient
from certnet.core.tlp import Tlp
from certnet.incidents.models import Channel, Incident, IncidentStatus, Task, TaskStatus
from certnet.incidents.observables import Normalised, normalise
from certnet.incidents.schemas import AttachmentIn, IncidentReport
from certnet.incidents.service import (
    clocks,
    common,
    correlation,
    files,
    routing,
    tally,
    taxonomy,
)
from certnet.profiles import service as profiles
from certnet.profiles.schemas import Profile

#: Clocks may disagree a little: "became aware" up to this far ahead of ours is accepted.
CLOCK_SKEW = timedelta(minutes=5)


def _organisation(session: Session, principal: Principal, data: IncidentReport) -> Organisation:
    if principal.role is not None and principal.role.is_constituent:
        if data.organisation_id not in (None, principal.organisation_id):
            raise Invalid.on("organisation_id", "you may report only for your own organisation")
        assert principal.organisation_id is not None
        organisation_id = principal.organisation_id
    elif data.organisation_id is None:
        raise Invalid.on("organisation_id", "name the reporting organisation")
    else:
        organisation_id = data.organisation_id
    try:
        return constituency.get_organisation(
            session=session, principal=principal, organisation_id=organisation_id
        )
    except NotFound:
        raise Invalid.on(
            "organisation_id", f"no organisation {organisation_id} you may report for"
        ) from None


def _may_report(principal: Principal, org: Organisation) -> None:
    if "write" not in principal.scopes or not access.allowed(principal.role, "edit", "incident"):
        raise Forbidden("you may not report incidents")
    if principal.all_tenancy:
        return
    if principal.role is not None and principal.role.is_constituent:
        if principal.organisation_id != org.id:
            raise Forbidden("you may report only for your own organisation")
    elif org.cert_id not in principal.cert_scope:
        raise Forbidden(f"organisation {org.id} is not in your constituency")


def _check_times(data: IncidentReport, now: datetime, errors: list[FieldError]) -> None:
    for name in ("became_aware_at", "started_at"):
        value = getattr(data, name)
        if value is not None and value.tzinfo is None:
            errors.append(FieldError(name, "give a time zone (e.g. 2026-01-31T10:00:00Z)"))
    if errors:
        return
    if data.became_aware_at > now + CLOCK_SKEW:
        errors.append(FieldError("became_aware_at", "is in the future (after the report)"))
    if data.started_at is not None:
        if data.started_at > now + CLOCK_SKEW:
            errors.append(FieldError("started_at", "is in the future"))
        elif data.started_at > data.became_aware_at + CLOCK_SKEW:
            errors.append(FieldError("started_at", "is after the organisation became aware"))


def _check_classification(data: IncidentReport, errors: list[FieldError]) -> None:
    classes = taxonomy.rsit_classes()
    if data.rsit_class not in classes:
        errors.append(
            FieldError(
                "rsit_class", f"{data.rsit_class!r} is not an RSIT class: {', '.join(classes)}"
            )
        )
    elif data.rsit_type not in classes[data.rsit_class]:
        errors.append(
            FieldError(
                "rsit_type",
                f"{data.rsit_type!r} is not a type of {data.rsit_class}: "
                + ", ".join(classes[data.rsit_class]),
            )
        )
    if data.certin_type is not None and data.certin_type not in taxonomy.certin_types():
        errors.append(FieldError("certin_type", f"{data.certin_type!r} is not a CERT-In type"))
    nis2 = taxonomy.nis2_mapping()
    if data.root_cause is not None and data.root_cause not in nis2["root_causes"]:
        errors.append(FieldError("root_cause", f"expected one of {', '.join(nis2['root_causes'])}"))
    if data.outlook is not None and data.outlook not in nis2["outlook"]:
        errors.append(FieldError("outlook", f"expected one of {', '.join(nis2['outlook'])}"))


def _check_impact(data: IncidentReport, profile: Profile, errors: list[FieldError]) -> None:
    impact = data.impact
    allowed = taxonomy.data_affected_values()
    if impact.data_affected is not None and impact.data_affected not in allowed:
        errors.append(FieldError("impact.data_affected", f"expected one of {', '.join(allowed)}"))
    for position, sector in enumerate(impact.sectors_affected):
        if profile.sector(sector) is None:
            errors.append(
                FieldError(f"impact.sectors_affected[{position}]", f"{sector!r} is not a sector")
            )
    for position, region in enumerate(impact.provinces_affected):
        if profile.region(region) is None:
            errors.append(
                FieldError(
                    f"impact.provinces_affected[{position}]", f"{region!r} is not a province"
                )
            )


def _check_reporter(data: IncidentReport, errors: list[FieldError]) -> None:
    if data.reporter_email:
        try:
            normalise(data.reporter_email, None)
        except ValueError as exc:
            errors.append(FieldError("reporter_email", str(exc)))


def validate(
    data: IncidentReport, profile: Profile, now: datetime
) -> tuple[list[Normalised], list[tuple[AttachmentIn, bytes]]]:
    """Check a report without writing anything; Invalid names every bad field at once."""
    errors: list[FieldError] = []
    _check_times(data, now, errors)
    _check_classification(data, errors)
    _check_impact(data, profile, errors)
    _check_reporter(data, errors)
    items: list[Normalised] = []
    attached: list[tuple[AttachmentIn, bytes]] = []
    try:
        items = correlation.validate(data.observables)
    except Invalid as exc:
        errors.extend(exc.errors)
    try:
        attached = files.decode_attachments(data.attachments)
    except Invalid as exc:
        errors.extend(exc.errors)
    if errors:
        raise Invalid(detail="the report is invalid", errors=errors)
    return items, attached


def _create_tasks(session: Session, incident: Incident, at: datetime) -> int:
    steps: list[dict[str, Any]] = routing.playbook(session=session, rsit_class=incident.rsit_class)
    for step in steps:
        due = step.get("due_hours")
        session.add(
            Task(
                incident_id=incident.id,
                title=step["title"],
                description=step.get("description", ""),
                status=TaskStatus.OPEN,
                playbook=incident.rsit_class,
                due_at=at + timedelta(hours=int(due)) if due else None,
                created_at=at,
            )
        )
    return len(steps)


def report(
    *,
    session: Session,
    principal: Principal,
    data: IncidentReport,
    channel: Channel = Channel.API,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> Incident:
    """Record a report as a new incident at the reporting organisation's owning CERT.

    Validates the whole report first (taxonomy, times, observables, attachments, sectors,
    provinces) and raises :class:`~certnet.core.errors.Invalid` naming each bad field with
    nothing written. Then: creates the incident and its stages (clocks of the profile counted
    from ``became_aware_at``), stores observables (and links incidents sharing one), stores
    attachments as evidence, creates the playbook's tasks, applies the routing rules
    (CII/several sectors or provinces → National CERT; severity ≥ threshold → parent
    informed), notifies the duty contacts, and records everything on the timeline and in the
    audit chain. A constituent's user reports for their own organisation; CERT staff and the
    e-mail intake (``channel=Channel.EMAIL``, acting as the system or the sender) name
    ``data.organisation_id``."""
    at = common.now_or(now)
    org = _organisation(session, principal, data)
    _may_report(principal, org)
    profile = profiles.active()
    items, attached = validate(data, profile, at)
    rules = routing.rules_for(session, profile.id)
    nis2 = taxonomy.nis2_mapping()
    impact = data.impact
    incident = Incident(
        owner_cert_id=org.cert_id,
        organisation_id=org.id,
        handling_cert_id=org.cert_id,
        profile_id=profile.id,
        title=data.title.strip(),
        description=data.description,
        channel=channel,
        reporter_user_id=principal.user_id,
        reporter_name=data.reporter_name or (principal.name if principal.user_id else None),
        reporter_email=data.reporter_email,
        status=IncidentStatus.NEW,
        severity=data.severity,
        rsit_class=data.rsit_class,
        rsit_type=data.rsit_type,
        certin_type=data.certin_type or taxonomy.certin_type_for(data.rsit_type),
        root_cause=data.root_cause or nis2["root_cause_from_rsit"].get(data.rsit_class),
        outlook=data.outlook,
        tlp=Tlp(data.tlp),
        pap=data.pap,
        sector=org.sector,
        became_aware_at=data.became_aware_at.replace(microsecond=0),
        started_at=data.started_at.replace(microsecond=0) if data.started_at else None,
        reported_at=at,
        services_affected=list(impact.services_affected),
        users_affected=impact.users_affected,
        data_affected=impact.data_affected,
        cross_border=impact.cross_border,
        financial_loss=impact.financial_loss,
        harm_to_others=impact.harm_to_others,
        cii_involved=impact.cii_involved or org.cii,
        sectors_affected=sorted(set(impact.sectors_affected)),
        provinces_affected=sorted(set(impact.provinces_affected)),
        created_at=at,
        updated_at=at,
    )
    session.add(incident)
    session.flush()
    tally.bump(session, tally.key_of(incident), 1)
    if incident.tlp is Tlp.RED:
        # The reporter's own organisation and its CERT are the first named recipients.
        session.add(
            TlpRecipient(object_type="incident", object_id=incident.id, organisation_id=org.id)
        )
        session.add(
            TlpRecipient(object_type="incident", object_id=incident.id, cert_id=org.cert_id)
        )
    clocks.create_stages(session, incident, profile, rules)
    audit.record(
        session=session,
        principal=principal,
        action="incident.report",
        object_type="incident",
        object_id=incident.id,
        after=audit.snapshot(incident),
        owner_cert_id=incident.owner_cert_id,
    )
    common.note(
        session,
        principal,
        incident,
        kind="reported",
        summary=f"Reported by {incident.reporter_name or org.name} via {channel.value}",
        data={"channel": channel.value, "organisation_id": org.id},
        at=at,
        audited=False,
    )
    correlation.store(session, principal, incident, items, at)
    for item, content in attached:
        files.store(
            session,
            principal,
            settings or get_settings(),
            incident,
            filename=item.filename,
            content_type=item.content_type,
            content=content,
            description=item.description or "attached to the report",
        )
    _create_tasks(session, incident, at)
    common.tell_duty(
        session,
        incident,
        incident.owner_cert_id,
        "new",
        "New incident reported",
        [f"{org.name} reported an incident ({incident.rsit_class}/{incident.rsit_type})."],
    )
    common.webhook_event(session, incident, "incident.created", at)
    routing.apply_rules(session, principal, incident, rules, at)
    session.flush()
    return incident
