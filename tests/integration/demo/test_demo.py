"""The demo network: a small one loaded through the test session on SQLite and PostgreSQL,
idempotent, with every CERT of the profile, nested claims, and a login per role; and the
full-size plan, built in memory, with its ten thousand prefixes in reserved ranges."""

from __future__ import annotations

import ipaddress
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.constituency import service as constituency
from certnet.constituency.models import Cert, Contact, Organisation, Resource, ResourceKind
from certnet.core import audit
from certnet.core.access import Principal, Role
from certnet.core.errors import Conflict
from certnet.core.models import AuditEntry, TlpRecipient
from certnet.core.tlp import Tlp
from certnet.demo import addressing, generator, loader
from certnet.identity import service as identity
from certnet.identity.models import User
from certnet.profiles import service as profiles
from tests.factories import build_network

TODAY = date(2026, 6, 1)
SMALL = 60
SYSTEM = Principal.system("demo-test")


def _plan(seed: int = generator.DEFAULT_SEED, size: int = SMALL) -> generator.DemoPlan:
    return generator.plan(profiles.active(), seed=seed, organisations=size, today=TODAY)


def _load(session: Session, plan: generator.DemoPlan) -> loader.LoadReport:
    return loader.load(
        session=session, principal=SYSTEM, plan=plan, password=generator.DEMO_PASSWORD
    )


def _counts(session: Session) -> dict[str, int]:
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Cert, Organisation, Contact, Resource, User, AuditEntry, TlpRecipient)
    }


# --- loaded into the database ------------------------------------------------------------------


def test_the_demo_has_every_cert_of_the_profile(session: Session) -> None:
    report = _load(session, _plan())
    assert report.created
    profile = profiles.active()
    certs = list(session.scalars(select(Cert)))
    by_tier = Counter(c.tier for c in certs)
    for tier in profile.tiers:
        assert by_tier[tier.id] >= 1, f"no {tier.id} CERT in the demo"
        if tier.max_count is not None:
            assert by_tier[tier.id] <= tier.max_count
    provinces = {c.province for c in certs if c.tier == "provincial"}
    assert provinces == {r.id for r in profile.regions}
    sectoral = {c.sector: c for c in certs if c.tier == "sectoral"}
    assert set(sectoral) == {s.id for s in profile.sectors}
    for sector in profile.sectors:
        assert sectoral[sector.id].regulator == sector.regulator
    top = [c for c in certs if c.parent_id is None]
    assert [c.short_name for c in top] == [generator.MARKER]


def test_organisations_cover_every_sector_and_cii_is_complete(session: Session) -> None:
    _load(session, _plan())
    orgs = list(session.scalars(select(Organisation)))
    assert len(orgs) == SMALL
    assert {o.sector for o in orgs} == {s.id for s in profiles.active().sectors}
    cii = [o for o in orgs if o.cii]
    assert cii
    for org in cii:
        assert org.cii_ministry
        assert org.cii_grade in profiles.active().cii.grades
        assert org.cii_designated_on is not None
        assert org.cii_next_review is not None
        assert org.cii_next_review > org.cii_designated_on
    # Every claim is owned by the organisation's CERT, as the service would write it.
    mismatched = session.scalar(
        select(func.count())
        .select_from(Resource)
        .join(Organisation, Organisation.id == Resource.organisation_id)
        .where(Resource.owner_cert_id != Organisation.cert_id)
    )
    assert mismatched == 0


def test_customers_hold_more_specifics_inside_their_isp(session: Session) -> None:
    plan = _plan()
    _load(session, plan)
    isp = next(o for o in plan.organisations if o.is_isp)
    block = ipaddress.ip_network(isp.resources[0])
    customers = [
        (o.name, value)
        for o in plan.organisations
        if o is not isp
        for value in o.resources
        if "/" in value
        and ipaddress.ip_network(value).version == block.version
        and ipaddress.ip_network(value).subnet_of(block)  # type: ignore[arg-type]
    ]
    assert customers, "no customer prefix inside the first ISP's block"
    name, prefix = customers[0]
    inside = ipaddress.ip_network(prefix)
    customer = constituency.responsible_for(
        session=session, principal=SYSTEM, query=str(inside.network_address + 1)
    )
    assert (customer.organisation.name, customer.matched) == (name, prefix)
    # The ISP's infrastructure at the end of its block is its own.
    own = constituency.responsible_for(
        session=session, principal=SYSTEM, query=str(block.broadcast_address - 1)
    )
    assert own.organisation.name == isp.name
    assert own.escalation_chain[-1].short_name == generator.MARKER


def test_resources_are_stored_in_canonical_form(session: Session) -> None:
    plan = _plan()
    _load(session, plan)
    prefixes = list(session.scalars(select(Resource).where(Resource.kind == ResourceKind.PREFIX)))
    assert len(prefixes) == plan.counts["prefix"]
    for resource in prefixes:
        network = ipaddress.ip_network(resource.value)
        width = 8 if network.version == 4 else 32
        assert resource.first_address == f"{int(network.network_address):0{width}x}"
        assert resource.last_address == f"{int(network.broadcast_address):0{width}x}"
        assert resource.prefix_length == network.prefixlen
    kinds = Counter(k for k in session.scalars(select(Resource.kind)))
    assert kinds[ResourceKind.ASN] == plan.counts["asn"]
    assert kinds[ResourceKind.DOMAIN] == plan.counts["domain"]


def test_contacts_have_expiry_and_tlp(session: Session) -> None:
    _load(session, _plan())
    contacts = list(session.scalars(select(Contact).where(Contact.organisation_id.is_not(None))))
    labels = Counter(c.tlp for c in contacts)
    assert labels.most_common(1)[0][0] is Tlp.AMBER
    expired = [c for c in contacts if constituency.is_expired(c, on=TODAY)]
    assert expired, "the demo shows expired contacts"
    assert len(expired) < len(contacts) / 2
    red = [c for c in contacts if c.tlp is Tlp.RED]
    for contact in red:
        named = list(
            session.scalars(
                select(TlpRecipient).where(
                    TlpRecipient.object_type == "contact", TlpRecipient.object_id == contact.id
                )
            )
        )
        assert {r.organisation_id for r in named if r.organisation_id} == {contact.organisation_id}
        assert {r.cert_id for r in named if r.cert_id} == {contact.owner_cert_id}
    cert_contacts = list(session.scalars(select(Contact).where(Contact.organisation_id.is_(None))))
    assert len(cert_contacts) == 3 * session.scalar(select(func.count()).select_from(Cert))


def test_a_login_per_role_that_signs_in(session: Session) -> None:
    plan = _plan()
    _load(session, plan)
    roles = set()
    for user in plan.users:
        outcome = identity.login(
            session=session,
            username=user.username,
            password=generator.DEMO_PASSWORD,
            address="192.0.2.10",
        )
        assert outcome.ok, (user.username, outcome.reason)
        roles.add(user.role)
    assert roles == set(Role)
    bank_admin = session.scalar(select(User).where(User.username == "bank-admin"))
    assert bank_admin is not None
    bank = session.get(Organisation, bank_admin.organisation_id)
    assert bank is not None
    assert bank.sector == "banking"
    # The bank's admin sees their own organisation and not another one.
    principal = identity.principal_for(session=session, user=bank_admin)
    visible = constituency.list_organisations(session=session, principal=principal, limit=1000)
    assert [o.id for o in visible.items] == [bank.id]
    wrong = identity.login(
        session=session, username="admin", password="not-the-password", address="192.0.2.10"
    )
    assert not wrong.ok


def test_a_second_run_changes_nothing(session: Session) -> None:
    plan = _plan()
    first = _load(session, plan)
    before = _counts(session)
    second = _load(session, plan)
    assert first.created
    assert not second.created
    assert _counts(session) == before
    assert (second.organisations, second.prefixes) == (first.organisations, first.prefixes)
    # The first run audited what it made; the second added nothing.
    actions = Counter(session.scalars(select(AuditEntry.action)))
    assert actions["organisation.create"] == SMALL
    assert actions["cert.create"] == len(plan.certs)
    assert actions["user.create"] == len(plan.users)
    owners = {o.cert for o in plan.organisations}
    assert actions["resource.bulk_add"] == len(owners)
    assert actions["contact.bulk_add"] == len(owners)
    assert audit.verify(session=session).ok


def test_a_run_on_another_day_still_matches(session: Session) -> None:
    _load(session, _plan())
    later = generator.plan(
        profiles.active(), seed=generator.DEFAULT_SEED, organisations=SMALL, today=date(2027, 1, 9)
    )
    before = _counts(session)
    assert not _load(session, later).created
    assert _counts(session) == before


def test_another_seed_on_a_demo_database_is_refused(session: Session) -> None:
    _load(session, _plan())
    before = _counts(session)
    with pytest.raises(Conflict) as caught:
        _load(session, _plan(seed=99))
    assert {e.field for e in caught.value.errors} >= {"organisations", "resources"}
    assert _counts(session) == before


def test_a_database_with_another_network_is_refused(session: Session) -> None:
    build_network(session)
    # The factories' network uses the same National CERT short name: rename to be "another".
    national = session.scalar(select(Cert).where(Cert.short_name == generator.MARKER))
    assert national is not None
    national.short_name = "other-national"
    session.flush()
    with pytest.raises(Conflict, match="not the demo"):
        _load(session, _plan())


# --- the plan, in memory -----------------------------------------------------------------------


def test_the_plan_is_deterministic() -> None:
    assert _plan(seed=7) == _plan(seed=7)
    assert _plan(seed=7).organisations != _plan(seed=8).organisations


def test_the_plan_refuses_other_profiles_and_sizes() -> None:
    with pytest.raises(ValueError, match="pk_cert_rules_2023"):
        generator.plan(profiles.load("eu_nis2"), today=TODAY)
    with pytest.raises(ValueError, match="between"):
        generator.plan(profiles.active(), organisations=3, today=TODAY)


@pytest.fixture(scope="module")
def full_plan() -> generator.DemoPlan:
    return generator.plan(profiles.load("pk_cert_rules_2023"), today=TODAY)


def test_full_size_has_ten_thousand_prefixes(full_plan: generator.DemoPlan) -> None:
    assert len(full_plan.organisations) == generator.DEFAULT_ORGANISATIONS
    assert full_plan.counts["prefix"] >= 10_000
    versions = Counter(
        ipaddress.ip_network(v).version
        for o in full_plan.organisations
        for v in o.resources
        if "/" in v
    )
    assert versions[4] > 0
    assert versions[6] > 0


def test_full_size_uses_only_reserved_ranges(full_plan: generator.DemoPlan) -> None:
    v4_pools = (addressing.ISP_V4, addressing.OWN_V4, addressing.MANAGEMENT_V4)
    documentation_v6 = ipaddress.IPv6Network("2001:db8::/32")
    values: list[str] = []
    for org in full_plan.organisations:
        for value in org.resources:
            values.append(value)
            if "/" in value:
                network = ipaddress.ip_network(value)
                if isinstance(network, ipaddress.IPv4Network):
                    assert any(network.subnet_of(pool) for pool in v4_pools), value
                else:
                    assert network.subnet_of(documentation_v6), value
            elif value.startswith("AS"):
                number = int(value[2:])
                assert number in addressing.PRIVATE_ASN_16 or number in addressing.PRIVATE_ASN_32, (
                    value
                )
            else:
                assert value.endswith(".pk.example"), value
    assert len(values) == len(set(values)), "two organisations claim the same resource"
    names = [o.name for o in full_plan.organisations]
    assert len(names) == len(set(names))


def _ranges(values: list[str]) -> list[tuple[int, int, int]]:
    networks = [ipaddress.ip_network(v) for v in values]
    return [(n.version, int(n.network_address), int(n.broadcast_address)) for n in networks]


def test_full_size_nests_customers_inside_isps(full_plan: generator.DemoPlan) -> None:
    isp_blocks = _ranges([o.resources[0] for o in full_plan.organisations if o.is_isp])
    assert len(isp_blocks) >= 10
    nested = 0
    for org in full_plan.organisations:
        if org.is_isp:
            continue
        for version, first, last in _ranges([v for v in org.resources if "/" in v]):
            nested += any(
                v == version and low <= first and last <= high for v, low, high in isp_blocks
            )
    assert nested >= len(full_plan.organisations) // 2


def test_full_size_has_expired_contacts_every_tlp_and_cii(
    full_plan: generator.DemoPlan,
) -> None:
    contacts = [c for o in full_plan.organisations for c in o.contacts]
    expired = sum(1 for c in contacts if c.valid_until is not None and c.valid_until < TODAY)
    assert 0 < expired < len(contacts) // 4
    labels = Counter(c.tlp for c in contacts)
    assert labels.most_common(1)[0][0] is Tlp.AMBER
    assert labels[Tlp.GREEN] > 0
    assert labels[Tlp.AMBER_STRICT] > 0
    assert labels[Tlp.RED] > 0
    assert sum(1 for o in full_plan.organisations if o.cii) > 20
