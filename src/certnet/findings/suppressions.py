"""Suppression rules: findings matching an active rule are not notified. A rule matches by
organisation and/or report type and/or network, carries a reason and maybe an expiry, and is
undone by lifting it; every change is audited."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from certnet.constituency import service as constituency
from certnet.core import access, audit, clock
from certnet.core.access import CertTree, Principal
from certnet.core.errors import Conflict, Invalid, NotFound
from certnet.core.pagination import Page, paginate
from certnet.findings.models import SuppressionRule
from certnet.findings.schemas import SuppressionCreate


def _hex(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    width = 8 if address.version == 4 else 32
    return f"{int(address):0{width}x}"


def create_rule(
    *, session: Session, principal: Principal, data: SuppressionCreate
) -> SuppressionRule:
    """Add a rule. It needs at least one criterion; a rule naming an organisation belongs
    to that organisation's CERT, any other to the author's CERT (and covers its part of the
    network only)."""
    if data.organisation_id is None and not data.report_type and not data.network:
        raise Invalid.on(
            "organisation_id", "name an organisation, a report type or a network to suppress"
        )
    now = clock.now()
    if data.expires_at is not None:
        if data.expires_at.tzinfo is None:
            raise Invalid.on("expires_at", "give a time zone (e.g. 2026-12-31T00:00:00Z)")
        if data.expires_at <= now:
            raise Invalid.on("expires_at", "must be in the future")
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    if data.network:
        try:
            network = ipaddress.ip_network(data.network.strip(), strict=False)
        except ValueError:
            raise Invalid.on("network", f"not a network: {data.network!r}") from None
    if data.organisation_id is not None:
        org = constituency.get_organisation(
            session=session, principal=principal, organisation_id=data.organisation_id
        )
        owner_cert = org.cert_id
    else:
        top = constituency.top_cert_id(session=session)
        owner = principal.cert_id or top
        if owner is None:
            raise Invalid.on("organisation_id", "no CERT exists yet")
        owner_cert = owner
    rule = SuppressionRule(
        owner_cert_id=owner_cert,
        organisation_id=data.organisation_id,
        report_type=data.report_type.strip() if data.report_type else None,
        network=str(network) if network else None,
        ip_version=network.version if network else None,
        first_address=_hex(network.network_address) if network else None,
        last_address=_hex(network.broadcast_address) if network else None,
        reason=data.reason.strip(),
        expires_at=data.expires_at,
        created_at=now,
        created_by=principal.name,
    )
    session.add(rule)
    session.flush()
    access.require_create(session, principal, rule)
    audit.record(
        session=session,
        principal=principal,
        action="suppression_rule.create",
        object_type="suppression_rule",
        object_id=rule.id,
        after=audit.snapshot(rule),
        owner_cert_id=rule.owner_cert_id,
    )
    return rule


def get_rule(*, session: Session, principal: Principal, rule_id: int) -> SuppressionRule:
    rule = session.scalar(
        access.scoped(select(SuppressionRule).where(SuppressionRule.id == rule_id), principal)
    )
    if rule is None:
        raise NotFound(f"suppression rule {rule_id} not found")
    return rule


def lift_rule(*, session: Session, principal: Principal, rule_id: int) -> SuppressionRule:
    """Undo a rule: from now on its findings are notified again."""
    rule = get_rule(session=session, principal=principal, rule_id=rule_id)
    access.require(session, principal, "edit", rule)
    if rule.lifted_at is not None:
        raise Conflict(f"suppression rule {rule_id} was lifted on {rule.lifted_at:%Y-%m-%d}")
    before = audit.snapshot(rule)
    rule.lifted_at = clock.now()
    rule.lifted_by = principal.name
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="suppression_rule.lift",
        object_type="suppression_rule",
        object_id=rule.id,
        before=before,
        after=audit.snapshot(rule),
        owner_cert_id=rule.owner_cert_id,
    )
    return rule


def list_rules(
    *,
    session: Session,
    principal: Principal,
    active_only: bool = False,
    now: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[SuppressionRule]:
    """Rules the principal may see, newest first."""
    stmt = access.scoped(select(SuppressionRule), principal)
    if active_only:
        stmt = stmt.where(*_active(now or clock.now()))
    return paginate(
        session, stmt, keys=[SuppressionRule.id], cursor=cursor, limit=limit, descending=True
    )


def _active(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        SuppressionRule.lifted_at.is_(None),
        or_(SuppressionRule.expires_at.is_(None), SuppressionRule.expires_at > now),
    )


class Matcher:
    """The active rules at one moment, to test many findings against in memory."""

    def __init__(self, rules: Sequence[SuppressionRule], tree: CertTree) -> None:
        self.rules = list(rules)
        # A rule naming no organisation covers its CERT's part of the network.
        self._scopes = {
            rule.owner_cert_id: tree.descendants(rule.owner_cert_id)
            for rule in self.rules
            if rule.organisation_id is None
        }

    def match(
        self,
        *,
        organisation_id: int,
        owner_cert_id: int,
        report_type: str,
        ip_version: int | None,
        ip_hex: str | None,
    ) -> SuppressionRule | None:
        """The first rule suppressing a finding with these facts, or None."""
        for rule in self.rules:
            if rule.organisation_id is not None:
                if rule.organisation_id != organisation_id:
                    continue
            elif owner_cert_id not in self._scopes[rule.owner_cert_id]:
                continue
            if rule.report_type is not None and rule.report_type != report_type:
                continue
            if rule.network is not None and not (
                ip_version == rule.ip_version
                and ip_hex is not None
                and (rule.first_address or "") <= ip_hex <= (rule.last_address or "")
            ):
                continue
            return rule
        return None


def active_matcher(*, session: Session, now: datetime) -> Matcher:
    """Every rule active at ``now`` (certnet itself asks: rules are few)."""
    rules = list(session.scalars(select(SuppressionRule).where(*_active(now))))
    return Matcher(rules=rules, tree=constituency.cert_tree(session=session))
