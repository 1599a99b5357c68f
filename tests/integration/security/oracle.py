"""An independent statement of the access policy, in plain Python over plain facts.

It knows nothing of SQL or of ``certnet.core.access``: it restates the rules in that module's
docstring (and ``Ownership``'s) so that the property test can hold the real policy against them.

* Tenancy. CERT staff cover their CERT and everything below it; constituents cover their own
  organisation; CERT-level rows (a CERT, its own contacts, its staff) are also visible down the
  line to everyone whose CERT is at or below it. The top CERT's staff and platform admins
  cover everything.
* TLP. CLEAR: everyone; GREEN: every signed-in user; AMBER: tenancy; AMBER+STRICT: the
  owning organisation and the CERT that owns the data, nothing more; RED: named recipients
  only — the top CERT and platform admins included.
* Personal rows (API tokens): their holder, and whoever may change them.
* Audit entries: only roles that may read the audit trail, within tenancy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CONSTITUENT_ROLES = frozenset({"constituent_admin", "constituent_reporter"})
TOKEN_ADMIN_ROLES = frozenset({"platform_admin", "cert_admin", "constituent_admin"})
AUDIT_READER_ROLES = frozenset({"platform_admin", "cert_admin", "auditor"})


@dataclass
class World:
    """Facts: the reporting line, who belongs where, and every protected row."""

    parent: dict[int, int | None] = field(default_factory=dict)
    org_cert: dict[int, int] = field(default_factory=dict)
    #: user id → (role, cert id or None, organisation id or None)
    users: dict[int, tuple[str, int | None, int | None]] = field(default_factory=dict)
    contacts: dict[int, Contact] = field(default_factory=dict)
    #: resource id → organisation id
    resources: dict[int, int] = field(default_factory=dict)
    #: token id → user id
    tokens: dict[int, int] = field(default_factory=dict)
    #: audit entry seq → owning CERT id (None: platform-wide)
    audit: dict[int, int | None] = field(default_factory=dict)

    def home(self, user_id: int) -> int:
        """Where the user sits on the line: their CERT, or their organisation's CERT."""
        _, cert, org = self.users[user_id]
        if cert is not None:
            return cert
        assert org is not None
        return self.org_cert[org]

    def ancestors(self, cert_id: int) -> set[int]:
        found: set[int] = set()
        current: int | None = cert_id
        while current is not None:
            found.add(current)
            current = self.parent[current]
        return found

    def below(self, cert_id: int) -> set[int]:
        return {c for c in self.parent if cert_id in self.ancestors(c)}


@dataclass(frozen=True)
class Contact:
    owner_cert: int
    organisation: int | None
    tlp: str
    red_users: frozenset[int] = frozenset()
    red_certs: frozenset[int] = frozenset()
    red_orgs: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Viewer:
    """One user, with what they cover worked out from the facts."""

    user_id: int
    role: str
    cert: int | None
    organisation: int | None
    below: frozenset[int]
    above: frozenset[int]
    everything: bool

    @classmethod
    def of(cls, world: World, user_id: int) -> Viewer:
        role, cert, org = world.users[user_id]
        home = world.home(user_id)
        constituent = role in CONSTITUENT_ROLES
        top = cert is not None and world.parent[cert] is None
        return cls(
            user_id=user_id,
            role=role,
            cert=cert,
            organisation=org,
            below=frozenset() if constituent else frozenset(world.below(home)),
            above=frozenset(world.ancestors(home)),
            everything=role == "platform_admin" or (top and not constituent),
        )

    # --- tenancy -------------------------------------------------------------------------------

    def _cert_level(self, owner_cert: int) -> bool:
        return self.everything or owner_cert in self.below or owner_cert in self.above

    def _org_level(self, owner_cert: int, organisation: int) -> bool:
        return self.everything or owner_cert in self.below or organisation == self.organisation

    def _tenancy(self, owner_cert: int, organisation: int | None) -> bool:
        if organisation is None:
            return self._cert_level(owner_cert)
        return self._org_level(owner_cert, organisation)

    # --- per object type -----------------------------------------------------------------------

    def sees_cert(self, cert_id: int) -> bool:
        return self._cert_level(cert_id)

    def sees_organisation(self, world: World, org_id: int) -> bool:
        return self._org_level(world.org_cert[org_id], org_id)

    def sees_contact(self, contact: Contact) -> bool:
        if contact.tlp == "CLEAR" or contact.tlp == "GREEN":
            return True
        if contact.tlp == "AMBER":
            return self._tenancy(contact.owner_cert, contact.organisation)
        if contact.tlp == "AMBER+STRICT":
            own_org = contact.organisation is not None and contact.organisation == self.organisation
            return own_org or (self.cert is not None and contact.owner_cert == self.cert)
        assert contact.tlp == "RED"
        return (
            self.user_id in contact.red_users
            or (self.cert is not None and self.cert in contact.red_certs)
            or (self.organisation is not None and self.organisation in contact.red_orgs)
        )

    def sees_resource(self, world: World, resource_id: int) -> bool:
        org = world.resources[resource_id]
        return self._org_level(world.org_cert[org], org)

    def sees_user(self, world: World, user_id: int) -> bool:
        # Staff records stay with their CERT and those above it: never visible down the line.
        _, _, org = world.users[user_id]
        if org is None:
            return self.everything or world.home(user_id) in self.below
        return self._org_level(world.home(user_id), org)

    def sees_token(self, world: World, token_id: int) -> bool:
        holder = world.tokens[token_id]
        if not self.sees_user(world, holder):
            return False
        return holder == self.user_id or self.may_manage_tokens_of(world, holder)

    def may_manage_tokens_of(self, world: World, holder: int) -> bool:
        if self.role not in TOKEN_ADMIN_ROLES:
            return False
        if self.everything:
            return True
        _, _, org = world.users[holder]
        if self.role in CONSTITUENT_ROLES:
            return org is not None and org == self.organisation
        return world.home(holder) in self.below

    def sees_audit(self, seq_owner: int | None) -> bool:
        if self.role not in AUDIT_READER_ROLES:
            return False
        if self.everything:
            return True
        # The audit trail of a CERT is for that CERT and those above it, not those below.
        return seq_owner is not None and seq_owner in self.below
