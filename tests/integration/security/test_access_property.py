"""Invariant 1, as a property: over random CERT networks, no list or get — through the API or
the services — returns anything the independent oracle forbids, and lists leave out nothing
it allows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.constituency import service as constituency
from certnet.constituency.schemas import (
    CertCreate,
    OrganisationCreate,
    ResourceCreate,
)
from certnet.core.access import Role
from certnet.core.models import AuditEntry
from certnet.core.tlp import Tlp
from certnet.identity import service as identity
from certnet.identity.models import User
from certnet.identity.schemas import TokenCreate, UserCreate
from certnet.ops import service as ops
from tests.factories import PASSWORD, SYSTEM
from tests.integration.security.oracle import Contact, Viewer, World
from tests.integration.security.planting import plant_contact

#: Which tiers may sit under which, after the PK profile (a subset that keeps trees valid).
CHILD_TIERS: dict[str, tuple[str, ...]] = {
    "national": ("government", "sectoral", "cii"),
    "government": ("federal", "provincial", "sectoral"),
    "sectoral": ("cii", "organisational"),
    "federal": ("organisational",),
    "provincial": ("organisational",),
    "cii": ("organisational",),
    "organisational": (),
}
SECTORS = ("banking", "telecom", "power", "oil_gas")
PROVINCES = ("punjab", "sindh", "kp", "balochistan")
TLPS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
CERT_ROLES = (Role.PLATFORM_ADMIN, Role.CERT_ADMIN, Role.ANALYST, Role.AUDITOR)
ORG_ROLES = (Role.CONSTITUENT_ADMIN, Role.CONSTITUENT_REPORTER)


@dataclass(frozen=True)
class Plan:
    """A network to build: picks are indexes, resolved modulo what exists (shrinks well)."""

    certs: list[tuple[int, int]]  # (parent pick, tier pick)
    orgs: list[int]  # cert pick
    users: list[tuple[int, int, bool]]  # (role pick, home pick, at an organisation?)
    contacts: list[tuple[bool, int, int, list[int], list[int], list[int]]]
    nested_claims: list[tuple[int, int]]  # (claimant pick, parent-domain org pick)
    extra_tokens: list[int]  # user pick


picks = st.integers(min_value=0, max_value=50)
plans = st.builds(
    Plan,
    certs=st.lists(st.tuples(picks, picks), min_size=1, max_size=7),
    orgs=st.lists(picks, min_size=0, max_size=5),
    users=st.lists(st.tuples(picks, picks, st.booleans()), min_size=2, max_size=7),
    contacts=st.lists(
        st.tuples(
            st.booleans(),
            picks,
            st.integers(0, len(TLPS) - 1),
            st.lists(picks, max_size=2),
            st.lists(picks, max_size=2),
            st.lists(picks, max_size=2),
        ),
        max_size=8,
    ),
    nested_claims=st.lists(st.tuples(picks, picks), max_size=2),
    extra_tokens=st.lists(picks, max_size=3),
)


@dataclass
class Built:
    world: World
    tokens: dict[int, str]  # user id → bearer secret
    claims: dict[str, int]  # lookup query → organisation id answering it
    cert_ids: list[int]
    org_ids: list[int]


def _build(session: Session, plan: Plan) -> Built:
    world = World()
    cert_ids: list[int] = []
    tiers: list[str] = []
    made = constituency.create_cert(
        session=session,
        principal=SYSTEM,
        data=CertCreate(name="Root CERT", short_name="root", tier="national"),
    )
    cert_ids.append(made.id)
    tiers.append("national")
    world.parent[made.id] = None
    has_government = False
    for n, (parent_pick, tier_pick) in enumerate(plan.certs):
        candidates = [i for i, t in enumerate(tiers) if CHILD_TIERS[t]]
        parent_index = candidates[parent_pick % len(candidates)]
        options = [
            t
            for t in CHILD_TIERS[tiers[parent_index]]
            if not (t == "government" and has_government)
        ]
        if not options:
            continue
        tier = options[tier_pick % len(options)]
        has_government = has_government or tier == "government"
        made = constituency.create_cert(
            session=session,
            principal=SYSTEM,
            data=CertCreate(
                name=f"CERT {n}",
                short_name=f"cert-{n}",
                tier=tier,
                parent_id=cert_ids[parent_index],
                sector=SECTORS[n % len(SECTORS)] if tier == "sectoral" else None,
                province=PROVINCES[n % len(PROVINCES)] if tier == "provincial" else None,
            ),
        )
        cert_ids.append(made.id)
        tiers.append(tier)
        world.parent[made.id] = cert_ids[parent_index]

    org_ids: list[int] = []
    claims: dict[str, int] = {}
    for n, cert_pick in enumerate(plan.orgs):
        cert_id = cert_ids[cert_pick % len(cert_ids)]
        org = constituency.create_organisation(
            session=session,
            principal=SYSTEM,
            data=OrganisationCreate(name=f"Org {n}", cert_id=cert_id, sector="banking"),
        )
        org_ids.append(org.id)
        world.org_cert[org.id] = cert_id
        for value in (f"org{n}.example.pk", f"10.{n}.0.0/16"):
            resource = constituency.add_resource(
                session=session,
                principal=SYSTEM,
                organisation_id=org.id,
                data=ResourceCreate(value=value),
            )
            world.resources[resource.id] = org.id
        claims[f"www.org{n}.example.pk"] = org.id
        claims[f"10.{n}.1.1"] = org.id
    if org_ids:
        # A more specific claim inside another organisation's domain: it decides the lookup
        # even for someone who may see only the less specific claim's owner.
        for n, (claimant_pick, parent_pick) in enumerate(plan.nested_claims):
            claimant = org_ids[claimant_pick % len(org_ids)]
            parent_n = parent_pick % len(org_ids)
            value = f"n{n}.org{parent_n}.example.pk"
            resource = constituency.add_resource(
                session=session,
                principal=SYSTEM,
                organisation_id=claimant,
                data=ResourceCreate(value=value),
            )
            world.resources[resource.id] = claimant
            claims[f"www.{value}"] = claimant

    user_ids: list[int] = []
    for n, (role_pick, home_pick, at_org) in enumerate(plan.users):
        if at_org and org_ids:
            role = ORG_ROLES[role_pick % len(ORG_ROLES)]
            cert_id, org_id = None, org_ids[home_pick % len(org_ids)]
        else:
            role = CERT_ROLES[role_pick % len(CERT_ROLES)]
            cert_id, org_id = cert_ids[home_pick % len(cert_ids)], None
        user = identity.create_user(
            session=session,
            principal=SYSTEM,
            data=UserCreate(
                username=f"user{n}",
                display_name=f"User {n}",
                email=f"user{n}@example.pk",
                role=role,
                password=PASSWORD,
                cert_id=cert_id,
                organisation_id=org_id,
            ),
        )
        user_ids.append(user.id)
        world.users[user.id] = (role.value, cert_id, org_id)

    for n, (at_org, owner_pick, tlp_pick, red_u, red_c, red_o) in enumerate(plan.contacts):
        tlp = TLPS[tlp_pick]
        on_org = at_org and bool(org_ids)
        owner = (org_ids if on_org else cert_ids)[owner_pick % len(org_ids if on_org else cert_ids)]
        named_users = frozenset(user_ids[i % len(user_ids)] for i in red_u)
        named_certs = frozenset(cert_ids[i % len(cert_ids)] for i in red_c)
        named_orgs = frozenset(org_ids[i % len(org_ids)] for i in red_o) if org_ids else frozenset()
        if tlp == "RED" and not (named_users or named_certs or named_orgs):
            named_certs = frozenset({cert_ids[0]})
        contact = plant_contact(
            session,
            owner_cert_id=world.org_cert[owner] if on_org else owner,
            organisation_id=owner if on_org else None,
            tlp=Tlp(tlp),
            name=f"Contact {n}",
            red_users=named_users if tlp == "RED" else (),
            red_certs=named_certs if tlp == "RED" else (),
            red_orgs=named_orgs if tlp == "RED" else (),
        )
        world.contacts[contact.id] = Contact(
            owner_cert=world.org_cert[owner] if on_org else owner,
            organisation=owner if on_org else None,
            tlp=tlp,
            red_users=named_users if tlp == "RED" else frozenset(),
            red_certs=named_certs if tlp == "RED" else frozenset(),
            red_orgs=named_orgs if tlp == "RED" else frozenset(),
        )

    tokens: dict[int, str] = {}
    holders = {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))}
    for user_id in user_ids:
        principal = identity.principal_for(session=session, user=holders[user_id])
        token, secret = identity.create_token(
            session=session, principal=principal, data=TokenCreate(name="own", scopes=["read"])
        )
        tokens[user_id] = secret
        world.tokens[token.id] = user_id
    for pick in plan.extra_tokens:
        holder = user_ids[pick % len(user_ids)]
        token, _ = identity.create_token(
            session=session,
            principal=SYSTEM,
            data=TokenCreate(name="issued", scopes=["read"], user_id=holder),
        )
        world.tokens[token.id] = holder

    session.flush()
    # The audit trail is a fact of the run: which CERT each entry is about.
    for seq, owner in session.execute(select(AuditEntry.seq, AuditEntry.owner_cert_id)):
        world.audit[seq] = owner
    return Built(world, tokens, claims, cert_ids, org_ids)


def _ids(items: list[dict[str, Any]], key: str = "id") -> set[int]:
    return {int(item[key]) for item in items}


def _expect(
    what: str, got: set[int], allowed: Callable[[int], bool], universe: set[int], viewer: Viewer
) -> None:
    leaked = {i for i in got if not allowed(i)}
    assert not leaked, f"{what}: {viewer} got forbidden {sorted(leaked)}"
    missing = {i for i in universe if allowed(i)} - got
    assert not missing, f"{what}: {viewer} was denied allowed {sorted(missing)}"


def _check_api(client: TestClient, built: Built, user_id: int) -> None:
    world = built.world
    viewer = Viewer.of(world, user_id)
    headers = {"Authorization": f"Bearer {built.tokens[user_id]}"}

    def get(path: str, **params: Any) -> Any:
        response = client.get(f"/api/v1{path}", headers=headers, params=params)
        assert response.status_code in (200, 404), (path, response.status_code, response.text)
        return response

    all_contacts = set(world.contacts)
    _expect(
        "GET /certs",
        _ids(get("/certs", limit=1000).json()["items"]),
        viewer.sees_cert,
        set(world.parent),
        viewer,
    )
    _expect(
        "GET /organisations",
        _ids(get("/organisations", limit=1000).json()["items"]),
        lambda o: viewer.sees_organisation(world, o),
        set(world.org_cert),
        viewer,
    )
    _expect(
        "GET /users",
        _ids(get("/users", limit=1000).json()["items"]),
        lambda u: viewer.sees_user(world, u),
        set(world.users),
        viewer,
    )
    _expect(
        "GET /tokens",
        _ids(get("/tokens").json()),
        lambda t: viewer.sees_token(world, t),
        set(world.tokens),
        viewer,
    )
    _expect(
        "GET /audit",
        _ids(get("/audit", limit=1000).json()["items"], key="seq"),
        lambda s: viewer.sees_audit(world.audit[s]),
        set(world.audit),
        viewer,
    )
    for cert_id in world.parent:
        visible = viewer.sees_cert(cert_id)
        assert (get(f"/certs/{cert_id}").status_code == 200) == visible, (viewer, cert_id)
        listed = get(f"/certs/{cert_id}/contacts")
        if not visible:
            assert listed.status_code == 404
            continue
        mine = {
            c
            for c in all_contacts
            if world.contacts[c].organisation is None and world.contacts[c].owner_cert == cert_id
        }
        _expect(
            f"GET /certs/{cert_id}/contacts",
            _ids(listed.json()),
            lambda c, mine=frozenset(mine): c in mine and viewer.sees_contact(world.contacts[c]),
            mine,
            viewer,
        )
    for org_id in world.org_cert:
        visible = viewer.sees_organisation(world, org_id)
        assert (get(f"/organisations/{org_id}").status_code == 200) == visible, (viewer, org_id)
        listed = get(f"/organisations/{org_id}/contacts")
        resources = get(f"/organisations/{org_id}/resources", limit=1000)
        if not visible:
            assert listed.status_code == 404
            assert resources.status_code == 404
            continue
        theirs = {c for c in all_contacts if world.contacts[c].organisation == org_id}
        _expect(
            f"GET /organisations/{org_id}/contacts",
            _ids(listed.json()),
            lambda c, theirs=frozenset(theirs): (
                c in theirs and viewer.sees_contact(world.contacts[c])
            ),
            theirs,
            viewer,
        )
        claimed = {r for r, o in world.resources.items() if o == org_id}
        _expect(
            f"GET /organisations/{org_id}/resources",
            _ids(resources.json()["items"]),
            lambda r, claimed=frozenset(claimed): r in claimed and viewer.sees_resource(world, r),
            claimed,
            viewer,
        )
    for other in world.users:
        seen = get(f"/users/{other}").status_code == 200
        assert seen == viewer.sees_user(world, other), (viewer, other)
    for query, org_id in built.claims.items():
        answer = get("/lookup", q=query)
        if viewer.sees_organisation(world, org_id):
            assert answer.status_code == 200, (viewer, query)
            assert answer.json()["organisation"]["id"] == org_id
        else:
            assert answer.status_code == 404, (viewer, query, answer.json())


def _check_services(session: Session, built: Built, user_id: int) -> None:
    world = built.world
    viewer = Viewer.of(world, user_id)
    user = session.get(User, user_id)
    assert user is not None
    principal = identity.principal_for(session=session, user=user)
    _expect(
        "list_certs",
        {
            c.id
            for c in constituency.list_certs(session=session, principal=principal, limit=1000).items
        },
        viewer.sees_cert,
        set(world.parent),
        viewer,
    )
    _expect(
        "list_organisations",
        {
            o.id
            for o in constituency.list_organisations(
                session=session, principal=principal, limit=1000
            ).items
        },
        lambda o: viewer.sees_organisation(world, o),
        set(world.org_cert),
        viewer,
    )
    _expect(
        "list_contacts",
        {c.id for c in constituency.list_contacts(session=session, principal=principal)},
        lambda c: viewer.sees_contact(world.contacts[c]),
        set(world.contacts),
        viewer,
    )
    _expect(
        "list_resources",
        {
            r.id
            for r in constituency.list_resources(
                session=session, principal=principal, limit=1000
            ).items
        },
        lambda r: viewer.sees_resource(world, r),
        set(world.resources),
        viewer,
    )
    _expect(
        "list_users",
        {u.id for u in identity.list_users(session=session, principal=principal, limit=1000).items},
        lambda u: viewer.sees_user(world, u),
        set(world.users),
        viewer,
    )
    _expect(
        "list_tokens",
        {t.id for t in identity.list_tokens(session=session, principal=principal)},
        lambda t: viewer.sees_token(world, t),
        set(world.tokens),
        viewer,
    )
    _expect(
        "list_audit",
        {e.seq for e in ops.list_audit(session=session, principal=principal, limit=1000).items},
        lambda s: viewer.sees_audit(world.audit[s]),
        set(world.audit),
        viewer,
    )


@settings(
    max_examples=30,
    # No shrinking: each example builds a network and makes hundreds of requests, and shrinking
    # ran past five minutes; the failing plan is printed as found, and it is small already.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=plans)
def test_nothing_outside_the_policy_and_nothing_missing(
    session: Session, client: TestClient, plan: Plan
) -> None:
    example = session.begin_nested()  # each example leaves the database as it found it
    try:
        built = _build(session, plan)
        for user_id in built.world.users:
            _check_services(session, built, user_id)
            _check_api(client, built, user_id)
    finally:
        example.rollback()
        # Rows the savepoint made are gone; so must their objects be, or a later example's
        # rows reusing their ids would clash with them in the identity map.
        session.expunge_all()
