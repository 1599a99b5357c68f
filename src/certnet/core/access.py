"""The one access policy. Every list, get, export and share is filtered here; every write is
checked here. Routes and views never decide permissions themselves.

Two questions are asked of every object:

* **tenancy** — whose data is it? Each protected model declares an :class:`Ownership`: the
  CERT that owns it (``owner_cert_id``) and, where it belongs to a constituent, the
  organisation. A CERT's staff see their CERT's constituency and everything below it on the
  reporting line; a constituent's staff see their own organisation; the CERTs above a principal
  and their CERT-level contacts are visible down the line, to those who need to reach their CERT
  and its escalation chain (staff records and the audit trail are not: ``visible_down_line``).
  The National CERT and platform admins cover everything.
* **TLP 2.0** — for models that carry a marking, the label decides on top of tenancy:
  CLEAR is public, GREEN is the whole community (any signed-in user), AMBER follows tenancy
  (the organisation and its constituents on need-to-know), AMBER+STRICT is the owning
  organisation and the CERT it gave the data to, and nothing more, and RED is named recipients
  only — for everyone, the National CERT and platform admins included.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, TypeVar

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, true, update
from sqlalchemy.orm import Session

from certnet.core.errors import Forbidden, NotFound
from certnet.core.models import TlpRecipient
from certnet.core.ownership import Ownership
from certnet.core.tlp import Tlp
from certnet.db.base import Base

Action = Literal["view", "edit"]
S = TypeVar("S", bound=Select[Any])


class Role(StrEnum):
    """What a user may do, within what the tenancy rules let them see."""

    PLATFORM_ADMIN = "platform_admin"
    CERT_ADMIN = "cert_admin"
    ANALYST = "analyst"
    AUDITOR = "auditor"
    COUNCIL_MEMBER = "council_member"
    CONSTITUENT_ADMIN = "constituent_admin"
    CONSTITUENT_REPORTER = "constituent_reporter"

    @property
    def is_constituent(self) -> bool:
        return self in (Role.CONSTITUENT_ADMIN, Role.CONSTITUENT_REPORTER)


@dataclass(frozen=True)
class Types:
    """A set of object types: listed ones, or every type but the listed ones."""

    names: frozenset[str] = frozenset()
    all_but: bool = False

    def __contains__(self, object_type: object) -> bool:
        return (object_type in self.names) != self.all_but


def only(*names: str) -> Types:
    return Types(frozenset(names))


def all_but(*names: str) -> Types:
    return Types(frozenset(names), all_but=True)


CONSTITUENCY = ("cert", "organisation", "contact", "resource")

# Each domain's object types: those CERT staff (admins, analysts) may edit, and those a
# constituent organisation's own users may edit (each domain's service narrows further).
NOTIFICATIONS_CERT_EDIT: tuple[str, ...] = ("outbox_message",)
FINDINGS_CERT_EDIT: tuple[str, ...] = (
    "finding",
    "suppression_rule",
    "notification_interval",
    "contact_preference",
)
FINDINGS_CONSTITUENT_EDIT: tuple[str, ...] = ("finding", "contact_preference")
INCIDENTS_CERT_EDIT: tuple[str, ...] = (
    "incident",
    "incident_link",
    "incident_setting",
    "incident_webhook",
    "intake_quarantine",
)
INCIDENTS_CONSTITUENT_EDIT: tuple[str, ...] = ("incident",)
RISK_CERT_EDIT: tuple[str, ...] = (
    "asset", "vulnerability", "csaf_document", "intel_import", "exposure", "measure",
    "risk_snapshot",
)  # fmt: skip
RISK_CONSTITUENT_EDIT: tuple[str, ...] = ("asset", "measure")
ADVISORIES_CERT_EDIT: tuple[str, ...] = (
    "advisory",
    "advisory_revision",
    "advisory_dissemination",
    "advisory_answer",
)
ADVISORIES_CONSTITUENT_EDIT: tuple[str, ...] = ("advisory_answer",)
CERT_WORK = (
    *NOTIFICATIONS_CERT_EDIT,
    *FINDINGS_CERT_EDIT,
    *INCIDENTS_CERT_EDIT,
    *RISK_CERT_EDIT,
    *ADVISORIES_CERT_EDIT,
)
CONSTITUENT_WORK = (
    *FINDINGS_CONSTITUENT_EDIT,
    *INCIDENTS_CONSTITUENT_EDIT,
    *RISK_CONSTITUENT_EDIT,
    *ADVISORIES_CONSTITUENT_EDIT,
)

#: role → action → object types. ``view`` is further narrowed by tenancy and TLP.
PERMISSIONS: Mapping[Role, Mapping[Action, Types]] = {
    Role.PLATFORM_ADMIN: {"view": all_but(), "edit": all_but()},
    Role.CERT_ADMIN: {
        "view": all_but(),
        "edit": only(*CONSTITUENCY, "user", "api_token", "feed_run", *CERT_WORK),
    },
    Role.ANALYST: {
        "view": all_but("audit_entry"),
        "edit": only(*CONSTITUENCY, "feed_run", *CERT_WORK),
    },
    Role.AUDITOR: {"view": all_but(), "edit": only()},
    Role.COUNCIL_MEMBER: {"view": all_but("audit_entry"), "edit": only()},
    Role.CONSTITUENT_ADMIN: {
        "view": all_but("audit_entry"),
        "edit": only("contact", "user", "api_token", *CONSTITUENT_WORK),
    },
    Role.CONSTITUENT_REPORTER: {"view": all_but("audit_entry"), "edit": only(*CONSTITUENT_WORK)},
}


def allowed(role: Role | None, action: Action, object_type: str) -> bool:
    """Whether ``role`` may ever do ``action`` to objects of ``object_type``."""
    if role is None:
        return action == "view"
    return object_type in PERMISSIONS[role][action]


@dataclass(frozen=True)
class CertTree:
    """The reporting line: each CERT's parent. Small (tens to hundreds of CERTs)."""

    parent: Mapping[int, int | None]

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[int, int | None]]) -> CertTree:
        return cls(dict(pairs))

    def descendants(self, cert_id: int) -> frozenset[int]:
        """``cert_id`` and every CERT below it."""
        children: dict[int, list[int]] = {}
        for child, parent in self.parent.items():
            if parent is not None:
                children.setdefault(parent, []).append(child)
        found, stack = {cert_id}, [cert_id]
        while stack:
            for child in children.get(stack.pop(), []):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return frozenset(found)

    def chain(self, cert_id: int) -> tuple[int, ...]:
        """``cert_id`` and its ancestors, nearest first (the escalation chain)."""
        line: list[int] = []
        current: int | None = cert_id
        while current is not None and current not in line:
            line.append(current)
            current = self.parent.get(current)
        return tuple(line)


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user (through a console session or an API token), or nobody."""

    user_id: int | None
    name: str
    role: Role | None
    cert_id: int | None = None
    organisation_id: int | None = None
    cert_scope: frozenset[int] = frozenset()
    cert_chain: frozenset[int] = frozenset()
    all_tenancy: bool = False
    scopes: frozenset[str] = field(default_factory=lambda: frozenset({"read", "write"}))

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @classmethod
    def anonymous(cls) -> Principal:
        return cls(user_id=None, name="anonymous", role=None, scopes=frozenset({"read"}))

    @classmethod
    def system(cls, reason: str = "system") -> Principal:
        """Certnet itself (migrations, demo loading, scheduled jobs): full tenancy, no TLP:RED."""
        return cls(user_id=None, name=reason, role=Role.PLATFORM_ADMIN, all_tenancy=True)


def build_principal(
    *,
    user_id: int,
    name: str,
    role: Role,
    cert_id: int | None,
    organisation_id: int | None,
    home_cert_id: int,
    tree: CertTree,
    scopes: Iterable[str] = ("read", "write"),
) -> Principal:
    """Compute what a user covers from their CERT's place on the reporting line."""
    chain = tree.chain(home_cert_id)
    is_top = tree.parent.get(home_cert_id) is None and cert_id is not None
    scope = frozenset() if role.is_constituent else tree.descendants(home_cert_id)
    return Principal(
        user_id=user_id,
        name=name,
        role=role,
        cert_id=cert_id,
        organisation_id=organisation_id,
        cert_scope=scope,
        cert_chain=frozenset(chain),
        all_tenancy=role is Role.PLATFORM_ADMIN or (is_top and not role.is_constituent),
        scopes=frozenset(scopes),
    )


def ownership(model: type[Any]) -> Ownership:
    """The model's declared ownership; a model without one cannot be read through the policy."""
    declared = getattr(model, "__access__", None)
    if not isinstance(declared, Ownership):
        raise TypeError(f"{model.__name__} declares no __access__ ownership")
    return declared


def _in(column: Any, ids: frozenset[int]) -> ColumnElement[bool]:
    return column.in_(sorted(ids)) if ids else false()


def tenancy_clause(model: type[Any], principal: Principal) -> ColumnElement[bool]:
    """Rows of ``model`` inside the principal's tenancy (before TLP)."""
    own = ownership(model)
    if not principal.authenticated and not principal.all_tenancy:
        return false()
    if principal.all_tenancy:
        return true()
    owner_cert = getattr(model, own.cert)
    org_col = getattr(model, own.organisation) if own.organisation else None
    parts: list[ColumnElement[bool]] = [_in(owner_cert, principal.cert_scope)]
    if own.handler is not None:
        parts.append(_in(getattr(model, own.handler), principal.cert_scope))
    if own.is_cert_row or (org_col is None and own.visible_down_line):
        parts.append(_in(owner_cert, principal.cert_chain))
    elif org_col is not None:
        if own.visible_down_line:
            parts.append(and_(org_col.is_(None), _in(owner_cert, principal.cert_chain)))
        if principal.organisation_id is not None:
            parts.append(org_col == principal.organisation_id)
    return or_(*parts)


def _strict_clause(model: type[Any], principal: Principal) -> ColumnElement[bool]:
    own = ownership(model)
    parts: list[ColumnElement[bool]] = []
    if principal.organisation_id is not None and own.organisation:
        parts.append(getattr(model, own.organisation) == principal.organisation_id)
    if principal.cert_id is not None:
        parts.append(getattr(model, own.cert) == principal.cert_id)
        if own.handler is not None:
            parts.append(getattr(model, own.handler) == principal.cert_id)
    return or_(*parts) if parts else false()


def _red_clause(model: type[Any], principal: Principal) -> ColumnElement[bool]:
    if not principal.authenticated:
        return false()
    own = ownership(model)
    match: list[ColumnElement[bool]] = [TlpRecipient.user_id == principal.user_id]
    if principal.cert_id is not None:
        match.append(TlpRecipient.cert_id == principal.cert_id)
    if principal.organisation_id is not None:
        match.append(TlpRecipient.organisation_id == principal.organisation_id)
    return exists(
        select(TlpRecipient.id).where(
            TlpRecipient.object_type == own.object_type,
            TlpRecipient.object_id == model.id,
            or_(*match),
        )
    )


def view_clause(model: type[Any], principal: Principal) -> ColumnElement[bool]:
    """Rows of ``model`` the principal may see: tenancy, then TLP where the model carries it."""
    own = ownership(model)
    if not allowed(principal.role, "view", own.object_type):
        return false()
    tenancy = tenancy_clause(model, principal)
    if own.personal is not None:
        # A personal row (an API token) is its holder's, and visible to whoever may change
        # it: a row-level question. Asking only whether the role may ever edit such rows let
        # a CERT or organisation admin list the tokens of staff of every CERT above them.
        mine = getattr(model, own.personal) == principal.user_id
        if allowed(principal.role, "edit", own.object_type):
            mine = or_(mine, _own_part(model, principal))
        tenancy = and_(tenancy, mine)
    if own.tlp is None:
        return tenancy
    label = getattr(model, own.tlp)
    return or_(
        label == Tlp.CLEAR,
        # GREEN is the whole community: any signed-in user, and certnet itself (the system
        # principal, which already sees AMBER through full tenancy).
        and_(
            label == Tlp.GREEN,
            true() if principal.authenticated or principal.all_tenancy else false(),
        ),
        and_(label == Tlp.AMBER, tenancy),
        and_(label == Tlp.AMBER_STRICT, _strict_clause(model, principal)),
        and_(label == Tlp.RED, _red_clause(model, principal)),
    )


def edit_clause(model: type[Any], principal: Principal) -> ColumnElement[bool]:
    """Rows of ``model`` the principal may change: visible, role allows it, and within the
    principal's own part of the hierarchy (never a CERT above them)."""
    own = ownership(model)
    if "write" not in principal.scopes or not allowed(principal.role, "edit", own.object_type):
        return false()
    return and_(view_clause(model, principal), _own_part(model, principal))


def _own_part(model: type[Any], principal: Principal) -> ColumnElement[bool]:
    """Rows in the principal's own part of the hierarchy (never a CERT above them): where
    their role lets them change things."""
    own = ownership(model)
    if principal.all_tenancy:
        return true()
    if principal.role is not None and principal.role.is_constituent:
        if own.organisation is None:
            return false()
        same_org: ColumnElement[bool] = (
            getattr(model, own.organisation) == principal.organisation_id
        )
        return same_org
    if own.handler is not None:
        return or_(
            _in(getattr(model, own.cert), principal.cert_scope),
            _in(getattr(model, own.handler), principal.cert_scope),
        )
    return _in(getattr(model, own.cert), principal.cert_scope)


def scoped(stmt: S, principal: Principal, action: Action = "view") -> S:
    """Filter ``stmt`` (a select of one model) to what ``principal`` may ``action``."""
    model = stmt.column_descriptions[0]["entity"]
    clause = view_clause(model, principal) if action == "view" else edit_clause(model, principal)
    return stmt.where(clause)


def require(session: Session, principal: Principal, action: Action, obj: Any) -> None:
    """Raise unless ``principal`` may ``action`` the stored object ``obj``.

    Not visible reads as :class:`NotFound` (an object's existence is itself information);
    visible but not changeable is :class:`Forbidden`.
    """
    model = type(obj)
    own = ownership(model)
    seen = session.scalar(scoped(select(model.id).where(model.id == obj.id), principal))
    # ``select(model.id)`` has the model as its entity, so the policy applies to it.
    if seen is None:
        raise NotFound(f"{own.object_type} {obj.id} not found")
    if action == "edit":
        ok = session.scalar(scoped(select(model.id).where(model.id == obj.id), principal, "edit"))
        if ok is None:
            raise Forbidden(f"you may not change {own.object_type} {obj.id}")


def reassign_organisation(session: Session, organisation_id: int, cert_id: int) -> None:
    """An organisation moved to another CERT: every object it owns follows it, in every
    domain, so that tenancy stays right (each owned model keeps ``owner_cert_id``)."""
    for mapper in Base.registry.mappers:
        model = mapper.class_
        own = getattr(model, "__access__", None)
        # The organisation row itself (organisation="id") is moved by its own service.
        if not isinstance(own, Ownership) or own.organisation in (None, "id"):
            continue
        if own.handler is not None:
            # Work its old CERT was handling as the owner goes with it; work handed up or
            # down the line stays where it was handed.
            session.execute(
                update(model)
                .where(
                    getattr(model, own.organisation) == organisation_id,
                    getattr(model, own.handler) == getattr(model, own.cert),
                )
                .values({own.handler: cert_id})
                .execution_options(synchronize_session="fetch")
            )
        session.execute(
            update(model)
            .where(getattr(model, own.organisation) == organisation_id)
            .values({own.cert: cert_id})
            .execution_options(synchronize_session="fetch")
        )


def require_create(session: Session, principal: Principal, obj: Any) -> None:
    """Raise unless ``principal`` may add the just-flushed ``obj`` where it stands: the role
    may change objects of its type, the credential may write, and the object lies in the
    principal's own part of the hierarchy. The TLP label the author chose is no reason to
    refuse: a CERT may record a contact marked AMBER+STRICT for one of its constituents, or a
    RED one for named recipients, which it then no longer sees itself."""
    model = type(obj)
    own = ownership(model)
    if "write" not in principal.scopes or not allowed(principal.role, "edit", own.object_type):
        raise Forbidden(f"you may not add a {own.object_type}")
    placed = session.scalar(
        select(model.id).where(
            model.id == obj.id,
            tenancy_clause(model, principal),
            _own_part(model, principal),
        )
    )
    if placed is None:
        raise Forbidden(f"you may not add a {own.object_type} there")
