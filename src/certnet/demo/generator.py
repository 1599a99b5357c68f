"""Plan the demo network in memory: the same seed, size and day give the same plan, byte for byte.

The plan names everything by key (CERT short names, organisation names, usernames), never by
database id, so that it can be built, compared and counted without a database; the loader
(:mod:`certnet.demo.loader`) turns it into rows.
"""

from __future__ import annotations

import calendar
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from certnet.constituency.models import ContactRole
from certnet.core.access import Role
from certnet.core.tlp import Tlp
from certnet.demo import addressing, names
from certnet.profiles.schemas import Profile

#: The profile the demo network belongs to; its tiers are wired in below.
PROFILE_ID = "pk_cert_rules_2023"
#: The National CERT's short name: its presence marks a database that holds the demo.
MARKER = "pkcert"
DEFAULT_SEED = 2023
DEFAULT_ORGANISATIONS = 2000
MIN_ORGANISATIONS = 20
MAX_ORGANISATIONS = 10_000
#: The one password of every demo login (meets the strength rules; public on purpose).
DEMO_PASSWORD = "Certnet-Demo-2023"  # noqa: S105 — published demo credential, never production
URL = "http://127.0.0.1:8000"

#: How many organisations of each sector per hundred (sectors the list lacks weigh 5).
SECTOR_WEIGHTS = {
    "telecom": 8,
    "banking": 12,
    "power": 7,
    "oil_gas": 5,
    "media": 7,
    "revenue": 3,
    "defence": 3,
    "government": 20,
    "health": 12,
    "education": 16,
    "transport": 7,
}
#: Share of organisations per region, roughly following where people live.
REGION_WEIGHTS = {
    "punjab": 45,
    "sindh": 23,
    "kp": 13,
    "balochistan": 6,
    "ict": 8,
    "ajk": 3,
    "gb": 2,
}
#: Sectors whose organisations may be designated CII, and the ministry that designates them.
CII_MINISTRIES = {
    "banking": "Ministry of Finance",
    "telecom": "Ministry of Information Technology and Telecommunication",
    "power": "Ministry of Energy (Power Division)",
    "oil_gas": "Ministry of Energy (Petroleum Division)",
    "defence": "Ministry of Defence",
    "government": "Ministry of Interior",
    "transport": "Ministry of Communications",
}
#: Sectors with a CII CERT of their own (under the sectoral CERT).
CII_CERT_SECTORS = ("banking", "telecom", "power")
CII_SHARE = 0.06
SECOND_LEVEL = {"government": "gov", "revenue": "gov", "defence": "gov", "education": "edu"}
DOMAIN_SUFFIX = "pk.example"


@dataclass(frozen=True)
class CertPlan:
    """A CERT, placed on the reporting line by its parent's short name."""

    short_name: str
    name: str
    tier: str
    parent: str | None
    sector: str | None = None
    province: str | None = None


@dataclass(frozen=True)
class ContactPlan:
    """A contact; a TLP:RED one is shared with its organisation and its owning CERT."""

    name: str
    role: ContactRole
    email: str
    phone: str | None
    valid_until: date | None
    tlp: Tlp


@dataclass(frozen=True)
class CiiPlan:
    """A CII designation; the next review follows the profile's interval."""

    ministry: str
    grade: str
    designated_on: date
    next_review: date


@dataclass(frozen=True)
class OrganisationPlan:
    """A constituent, its owning CERT (by short name), claims and contacts."""

    name: str
    cert: str
    sector: str
    province: str
    domain: str
    is_isp: bool
    cii: CiiPlan | None
    resources: tuple[str, ...]
    contacts: tuple[ContactPlan, ...]


@dataclass(frozen=True)
class UserPlan:
    """A demo login; ``home`` is a CERT short name or an organisation name."""

    username: str
    display_name: str
    role: Role
    cert: str | None = None
    organisation: str | None = None

    @property
    def home(self) -> str:
        return self.cert or self.organisation or ""

    @property
    def email(self) -> str:
        return f"{self.username}@demo.{DOMAIN_SUFFIX}"


@dataclass(frozen=True)
class DemoPlan:
    """The whole demo network."""

    seed: int
    today: date
    certs: tuple[CertPlan, ...]
    cert_contacts: tuple[tuple[str, ContactPlan], ...]
    organisations: tuple[OrganisationPlan, ...]
    users: tuple[UserPlan, ...]
    counts: Counter[str] = field(default_factory=Counter, compare=False)

    def resource_count(self) -> int:
        """Every claim of every organisation: prefixes, ASNs and domains."""
        return sum(len(o.resources) for o in self.organisations)


def _add_months(day: date, months: int) -> date:
    # The profile counts CII reviews in months; a day past the month's end falls back to it.
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def plan_certs(profile: Profile) -> tuple[CertPlan, ...]:
    """Every CERT the Pakistan profile provides for, except the organisations' own CERTs."""
    certs = [
        CertPlan(MARKER, "National CERT", "national", None),
        CertPlan("pk-nsoc", "National Security Operations Centre", "national_soc", MARKER),
        CertPlan("govcert", "Government CERT", "government", MARKER),
        CertPlan("fedcert", "Federal CERT", "federal", "govcert"),
    ]
    certs += [
        CertPlan(f"{r.id}-cert", f"{r.name} Provincial CERT", "provincial", "govcert", None, r.id)
        for r in profile.regions
    ]
    certs += [
        CertPlan(_sector_cert(s.id), f"{s.name} Sectoral CERT", "sectoral", "govcert", s.id)
        for s in profile.sectors
    ]
    sector_names = {s.id: s.name for s in profile.sectors}
    certs += [
        CertPlan(f"{s}-cii-cert", f"{sector_names[s]} CII CERT", "cii", _sector_cert(s), s)
        for s in CII_CERT_SECTORS
        if s in sector_names
    ]
    return tuple(certs)


def _sector_cert(sector: str) -> str:
    return f"{sector.replace('_', '-')}-cert"


def _province_cert(province: str) -> str:
    return f"{province}-cert"


class _Planner:
    """Draws the organisations one by one from a single random stream (hence deterministic)."""

    def __init__(self, profile: Profile, seed: int, today: date) -> None:
        self.profile = profile
        self.rng = random.Random(seed)
        self.today = today
        self.names: set[str] = set()
        self.isps: list[addressing.Isp] = []
        self.isp_v4 = addressing.Pool(addressing.ISP_V4, addressing.ISP_V4_LENGTH, "ISP IPv4")
        self.isp_v6 = addressing.Pool(addressing.ISP_V6, addressing.ISP_V6_LENGTH, "ISP IPv6")
        self.own_v4 = addressing.Pool(addressing.OWN_V4, addressing.OWN_V4_LENGTH, "own IPv4")
        self.own_v6 = addressing.Pool(addressing.OWN_V6, addressing.OWN_V6_LENGTH, "own IPv6")
        self.management = addressing.Pool(
            addressing.MANAGEMENT_V4, addressing.MANAGEMENT_V4_LENGTH, "management IPv4"
        )
        self.asns = addressing.AsnPool()

    def sectors(self, size: int) -> list[str]:
        # Every sector at least once and telecom three times (so there are ISPs and
        # customers even in a small demo); the rest by weight.
        known = [s.id for s in self.profile.sectors]
        chosen = list(known)
        if "telecom" in known:
            chosen += ["telecom", "telecom"]
        weights = {s: SECTOR_WEIGHTS.get(s, 5) for s in known}
        chosen += [_weighted(self.rng, weights) for _ in range(size - len(chosen))]
        return chosen

    def province(self) -> str:
        known = {r.id: REGION_WEIGHTS.get(r.id, 3) for r in self.profile.regions}
        return _weighted(self.rng, known)

    def name(self, sector: str, flagship: bool) -> tuple[str, str]:
        patterns = names.SECTOR_PATTERNS.get(sector, names.GENERIC_PATTERNS)
        if flagship and sector in names.FLAGSHIP_PATTERNS:
            patterns = names.FLAGSHIP_PATTERNS[sector]
        for attempt in range(200):
            pattern = self.rng.choice(patterns)
            candidate = pattern.format(stem=names.stem(self.rng))
            if attempt >= 100:
                # The word lists hold hundreds of names per pattern; this only adds a
                # branch number in a very large demo.
                candidate += f" {self.rng.choice(names.STEMS_A)} Branch"
            if candidate not in self.names:
                self.names.add(candidate)
                return candidate, pattern
        raise addressing.Exhausted(f"no more unique {sector} names")

    def validity(self) -> date | None:
        draw = self.rng.random()
        if draw < 0.10:
            return None
        if draw < 0.18:
            return self.today - timedelta(days=self.rng.randint(1, 400))
        return self.today + timedelta(days=self.rng.randint(30, 900))

    def tlp(self) -> Tlp:
        draw = self.rng.random()
        if draw < 0.78:
            return Tlp.AMBER
        if draw < 0.90:
            return Tlp.GREEN
        if draw < 0.96:
            return Tlp.AMBER_STRICT
        return Tlp.RED

    def phone(self) -> str:
        # Area code, then a 0000 exchange no Pakistani operator uses: fictitious by design.
        area = self.rng.choice(("21", "42", "51", "91", "81", "5822", "5811"))
        return f"+92 {area} 0000 {self.rng.randint(0, 9999):04d}"

    def contacts(self, org: str, domain: str, isp: bool) -> tuple[ContactPlan, ...]:
        roles = [ContactRole.SECURITY, ContactRole.POINT_OF_CONTACT]
        if isp or self.rng.random() < 0.3:
            roles.append(ContactRole.ABUSE)
        if self.rng.random() < 0.4:
            roles.append(ContactRole.HEAD)
        if self.rng.random() < 0.2:
            roles.append(ContactRole.TECHNICAL)
        made = []
        for role in roles:
            if role in (ContactRole.SECURITY, ContactRole.ABUSE):
                label = "Security Operations" if role is ContactRole.SECURITY else "Abuse Desk"
                name, mailbox = f"{org} {label}", "soc" if role is ContactRole.SECURITY else "abuse"
            else:
                name = names.person(self.rng)
                mailbox = names.slug(name).replace("-", ".")
            made.append(
                ContactPlan(
                    name=name[:200],
                    role=role,
                    email=f"{mailbox}@{domain}",
                    phone=self.phone() if self.rng.random() < 0.6 else None,
                    valid_until=self.validity(),
                    tlp=self.tlp(),
                )
            )
        return tuple(made)

    def cii(self, sector: str, first_of_sector: bool) -> CiiPlan | None:
        ministry = CII_MINISTRIES.get(sector)
        if ministry is None or not (first_of_sector or self.rng.random() < CII_SHARE):
            return None
        designated = self.today - timedelta(days=self.rng.randint(20, 700))
        return CiiPlan(
            ministry=ministry,
            grade=self.rng.choice(self.profile.cii.grades),
            designated_on=designated,
            next_review=_add_months(designated, self.profile.cii.review_interval_months),
        )

    def isp_resources(self, name: str) -> tuple[str, ...]:
        v4, v6 = self.isp_v4.take_or_none(), self.isp_v6.take_or_none()
        if v4 is None or v6 is None:
            return ()
        isp = addressing.Isp(name, v4, v6)
        self.isps.append(isp)
        return (str(v4), *(str(n) for n in isp.infrastructure), str(v6))

    def own_resources(self, cii: bool, sector: str) -> list[str]:
        block = self.own_v4.take()
        claims = [str(block)]
        slots = list(block.subnets(new_prefix=24))
        for slot in self.rng.sample(slots, self.rng.randint(1, 3)):
            claims.append(str(slot))
            if self.rng.random() < 0.25:
                # A third level: a DMZ /26 inside the /24 inside the /22.
                claims.append(str(next(slot.subnets(new_prefix=26))))
        if self.isps:
            isp = self.rng.choice(self.isps)
            for assigned in (isp.assign_v4(), isp.assign_v6()):
                if assigned is not None:
                    claims.append(str(assigned))
        if self.rng.random() < 0.5:
            claims.append(str(self.own_v6.take()))
        if cii or sector in ("government", "defence"):
            management = self.management.take_or_none()
            if management is not None:
                claims.append(str(management))
        return claims

    def organisation(self, sector: str, first_of_sector: bool) -> OrganisationPlan:
        # The first of a sector is its flagship: the first telecom organisation is an ISP
        # (customers need one), the first bank a bank (the demo's constituent logins).
        name, pattern = self.name(sector, flagship=first_of_sector)
        is_isp = sector == "telecom" and pattern in names.ISP_PATTERNS
        province = self.province()
        second = "net" if is_isp else SECOND_LEVEL.get(sector, "com")
        domain = f"{names.slug(name)}.{second}.{DOMAIN_SUFFIX}"
        cii = self.cii(sector, first_of_sector)
        resources: list[str] = []
        if is_isp:
            resources += self.isp_resources(name)
            is_isp = bool(resources)
        if not is_isp:
            resources += self.own_resources(cii is not None, sector)
        if is_isp or cii is not None or sector in ("banking", "telecom", "power"):
            resources.append(self.asns.take(short=True))
        elif self.rng.random() < 0.4:
            resources.append(self.asns.take(short=False))
        resources.append(domain)
        if self.rng.random() < 0.3:
            resources.append(f"{self.rng.choice(('portal', 'mail', 'vpn', 'www'))}.{domain}")
        return OrganisationPlan(
            name=name,
            cert=self.owning_cert(sector, province, cii is not None),
            sector=sector,
            province=province,
            domain=domain,
            is_isp=is_isp,
            cii=cii,
            resources=tuple(resources),
            contacts=self.contacts(name, domain, is_isp),
        )

    def owning_cert(self, sector: str, province: str, cii: bool) -> str:
        if cii and sector in CII_CERT_SECTORS:
            return f"{sector}-cii-cert"
        if sector == "government":
            return "fedcert" if province == "ict" else _province_cert(province)
        return _sector_cert(sector)


def _organisational_certs(
    organisations: list[OrganisationPlan],
) -> tuple[list[CertPlan], list[OrganisationPlan]]:
    """A few organisations run a CERT of their own, which then serves them: the first bank,
    the first ISP, the first provincial body and the first CII power company."""
    wanted: tuple[Callable[[OrganisationPlan], bool], ...] = (
        lambda o: o.sector == "banking",
        lambda o: o.is_isp,
        lambda o: o.sector == "government" and o.cert != "fedcert",
        lambda o: o.sector == "power" and o.cii is not None,
    )
    certs: list[CertPlan] = []
    result = list(organisations)
    taken: set[int] = set()
    for test in wanted:
        index = next(
            (i for i, o in enumerate(result) if i not in taken and test(o)),
            None,
        )
        if index is None:
            continue
        taken.add(index)
        org = result[index]
        short = f"{names.slug(org.name)[:40].rstrip('-')}-cert"
        certs.append(CertPlan(short, f"{org.name} CERT", "organisational", org.cert))
        result[index] = replace(org, cert=short)
    return certs, result


def _cert_contacts(
    planner: _Planner, certs: tuple[CertPlan, ...]
) -> tuple[tuple[str, ContactPlan], ...]:
    made = []
    for cert in certs:
        domain = f"{cert.short_name}.gov.{DOMAIN_SUFFIX}"
        head = names.person(planner.rng)
        for role, name, mailbox, tlp in (
            (ContactRole.DUTY_24_7, f"{cert.name} Duty Desk", "duty", Tlp.GREEN),
            (ContactRole.HEAD, head, names.slug(head).replace("-", "."), Tlp.AMBER),
            (ContactRole.POINT_OF_CONTACT, f"{cert.name} Coordination", "contact", Tlp.GREEN),
        ):
            made.append(
                (
                    cert.short_name,
                    ContactPlan(
                        name=name,
                        role=role,
                        email=f"{mailbox}@{domain}",
                        phone=planner.phone(),
                        valid_until=planner.today + timedelta(days=365),
                        tlp=tlp,
                    ),
                )
            )
    return tuple(made)


def _users(organisations: list[OrganisationPlan]) -> tuple[UserPlan, ...]:
    bank = next(o for o in organisations if o.sector == "banking")
    return (
        UserPlan("admin", "Platform Administrator", Role.PLATFORM_ADMIN, cert=MARKER),
        UserPlan("certadmin", "National CERT Administrator", Role.CERT_ADMIN, cert=MARKER),
        UserPlan("analyst", "National CERT Duty Analyst", Role.ANALYST, cert=MARKER),
        UserPlan("auditor", "National CERT Auditor", Role.AUDITOR, cert=MARKER),
        UserPlan("council", "CERT Council Member", Role.COUNCIL_MEMBER, cert=MARKER),
        UserPlan("bank-analyst", "Banking CERT Analyst", Role.ANALYST, cert="banking-cert"),
        UserPlan("bank-admin", f"{bank.name} Administrator", Role.CONSTITUENT_ADMIN,
                 organisation=bank.name),
        UserPlan("bank-reporter", f"{bank.name} Security Reporter", Role.CONSTITUENT_REPORTER,
                 organisation=bank.name),
    )  # fmt: skip


def plan(
    profile: Profile,
    *,
    seed: int = DEFAULT_SEED,
    organisations: int = DEFAULT_ORGANISATIONS,
    today: date,
) -> DemoPlan:
    """The demo network for ``profile`` (Pakistan's): the same arguments give the same plan.

    ``today`` anchors every date (contact expiry, CII designation and review), so that the
    demo always has some expired contacts and some overdue reviews, whenever it is loaded.
    """
    if profile.id != PROFILE_ID:
        raise ValueError(f"the demo network is {PROFILE_ID}'s; the active profile is {profile.id}")
    if not MIN_ORGANISATIONS <= organisations <= MAX_ORGANISATIONS:
        raise ValueError(
            f"organisations must be between {MIN_ORGANISATIONS} and {MAX_ORGANISATIONS}"
        )
    planner = _Planner(profile, seed, today)
    orgs: list[OrganisationPlan] = []
    seen: set[str] = set()
    for sector in planner.sectors(organisations):
        orgs.append(planner.organisation(sector, sector not in seen))
        seen.add(sector)
    own_certs, orgs = _organisational_certs(orgs)
    certs = plan_certs(profile) + tuple(own_certs)
    counts: Counter[str] = Counter()
    for org in orgs:
        for value in org.resources:
            kind = "prefix" if "/" in value else "asn" if value.startswith("AS") else "domain"
            counts[kind] += 1
        counts["contact"] += len(org.contacts)
    return DemoPlan(
        seed=seed,
        today=today,
        certs=certs,
        cert_contacts=_cert_contacts(planner, certs),
        organisations=tuple(orgs),
        users=_users(orgs),
        counts=counts,
    )
