"""The bulk index built from the database agrees with ``responsible_for``, on both engines;
``certnet lookup --batch`` prints what the index says."""

from __future__ import annotations

import ipaddress
import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from certnet import clikit
from certnet.cli import app
from certnet.constituency import service
from certnet.constituency.lookup import UNCLAIMED, build_index, describe_owners
from certnet.constituency.schemas import ResourceCreate
from certnet.core.errors import NotFound
from tests.factories import SYSTEM, Network, build_network

# Nested claims on top of the factory's network: ISPs, their customers, and customers'
# more-specifics handed back to the ISP, in both families.
EXTRA_CLAIMS = {
    "Telco One": ["10.0.0.0/8", "10.20.30.0/24", "2001:db8:200:ff00::/56", "0.0.0.0/32"],
    "First Bank": ["10.20.0.0/16", "10.20.30.64/26", "2001:db8:2ff::/48"],
    "Branch Services": ["10.20.30.96/27", "10.20.30.100/32", "2001:db8:2ff:1::1/128"],
    "Punjab IT Board": ["192.0.2.128/25", "255.255.255.255/32", "::ffff:0:0/96"],
}


def claim_more(session: Session, net: Network) -> list[str]:
    """Add EXTRA_CLAIMS through the service; return every prefix now claimed."""
    for name, prefixes in EXTRA_CLAIMS.items():
        for prefix in prefixes:
            service.add_resource(
                session=session,
                principal=SYSTEM,
                organisation_id=net.orgs[name].id,
                data=ResourceCreate(value=prefix),
            )
    session.flush()
    factory = ["203.0.113.0/24", "2001:db8:100::/48", "203.0.113.128/25"]
    factory += ["198.51.100.0/24", "2001:db8:200::/40", "192.0.2.0/25"]
    return factory + [p for prefixes in EXTRA_CLAIMS.values() for p in prefixes]


def sample_addresses(prefixes: list[str], seed: int = 7) -> list[str]:
    """Each claim's edges and neighbours, a few addresses inside, and a few anywhere."""
    rng = random.Random(seed)
    found: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = set()
    for prefix in prefixes:
        network = ipaddress.ip_network(prefix)
        family = type(network.network_address)
        first, last = int(network.network_address), int(network.broadcast_address)
        top = (1 << network.max_prefixlen) - 1
        for value in (first - 1, first, last, last + 1, rng.randint(first, last)):
            if 0 <= value <= top:
                found.add(family(value))
    found |= {ipaddress.IPv4Address(rng.getrandbits(32)) for _ in range(20)}
    found |= {ipaddress.IPv6Address(rng.getrandbits(128)) for _ in range(10)}
    found.add(ipaddress.IPv6Address("::ffff:203.0.113.7"))
    return [str(a) for a in sorted(found, key=lambda a: (a.version, int(a)))]


def owner_by_service(session: Session, address: str) -> int:
    try:
        return service.responsible_for(
            session=session, principal=SYSTEM, query=address
        ).organisation.id
    except NotFound:
        return UNCLAIMED


def test_index_agrees_with_responsible_for(session: Session) -> None:
    net = build_network(session)
    addresses = sample_addresses(claim_more(session, net))
    index = build_index(session=session)

    expected = [owner_by_service(session, a) for a in addresses]
    batch = index.resolve(addresses)
    assert not batch.invalid.any()
    assert batch.organisation_ids.tolist() == expected
    assert [index.owner_of(a) or UNCLAIMED for a in addresses] == expected
    # The sample must exercise the interesting cases, not only unclaimed space.
    owners = set(expected)
    assert {net.orgs[name].id for name in EXTRA_CLAIMS} <= owners
    assert UNCLAIMED in owners


def test_index_holds_only_prefix_claims(session: Session) -> None:
    net = build_network(session)
    prefixes = claim_more(session, net)
    index = build_index(session=session)
    # The factory's ASN and domain claims are not prefixes and are not in the index.
    assert index.claims == len(prefixes)
    assert index.owner_of("203.0.113.200") == net.orgs["Branch Services"].id
    assert index.owner_of("10.20.30.100") == net.orgs["Branch Services"].id
    assert index.owner_of("10.20.30.101") == net.orgs["Branch Services"].id
    assert index.owner_of("10.20.30.128") == net.orgs["Telco One"].id
    assert index.owner_of("10.20.31.0") == net.orgs["First Bank"].id


def test_an_empty_constituency_claims_nothing(session: Session) -> None:
    index = build_index(session=session)
    assert index.claims == 0
    assert index.owner_of("203.0.113.7") is None


def test_describe_owners_follows_the_access_policy(session: Session) -> None:
    net = build_network(session)
    bank, telco = net.orgs["First Bank"], net.orgs["Telco One"]
    everyone = describe_owners(
        session=session, principal=SYSTEM, organisation_ids=[bank.id, telco.id, UNCLAIMED]
    )
    assert sorted(everyone) == sorted([bank.id, telco.id])
    assert everyone[bank.id].organisation == "First Bank"
    assert everyone[bank.id].cert == "sbpcert"
    as_telco = describe_owners(
        session=session,
        principal=net.principal(session, "telco"),
        organisation_ids=[bank.id, telco.id],
    )
    assert list(as_telco) == [telco.id]


# --- certnet lookup --batch -------------------------------------------------------------------


@pytest.fixture
def cli(session: Session, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The CLI over the test's session: each command is a savepoint, as a request is."""

    @contextmanager
    def unit_of_work() -> Iterator[Session]:
        scope = session.begin_nested()
        try:
            yield session
            scope.commit()
        except BaseException:
            scope.rollback()
            raise

    monkeypatch.setattr(clikit, "unit_of_work", unit_of_work)
    return CliRunner()


def test_batch_prints_csv_and_names_bad_lines(
    session: Session, cli: CliRunner, tmp_path: Path
) -> None:
    net = build_network(session)
    claim_more(session, net)
    feed = tmp_path / "addresses.txt"
    feed.write_text(
        "# scan results\n203.0.113.7\n\n203.0.113.200\nmail.example.pk\n 10.20.30.100 \n"
        "8.8.8.8\n2001:db8:2ff:1::1\n999.0.0.1\n"
    )
    result = cli.invoke(app, ["lookup", "--batch", str(feed)])
    assert result.exit_code == 0, result.output
    bank, branch = net.orgs["First Bank"].id, net.orgs["Branch Services"].id
    assert result.stdout.splitlines() == [
        "address,organisation_id,organisation,cert",
        f"203.0.113.7,{bank},First Bank,sbpcert",
        f"203.0.113.200,{branch},Branch Services,sbpcert",
        f"10.20.30.100,{branch},Branch Services,sbpcert",
        "8.8.8.8,,,",
        f"2001:db8:2ff:1::1,{branch},Branch Services,sbpcert",
    ]
    assert "line 5: 'mail.example.pk' is not an IP address" in result.stderr
    assert "line 9: '999.0.0.1' is not an IP address" in result.stderr
    assert "claimed: 4, unclaimed: 1, not IP addresses: 2" in result.stderr


def test_batch_from_stdin_as_json(session: Session, cli: CliRunner) -> None:
    net = build_network(session)
    result = cli.invoke(
        app, ["lookup", "--batch", "-", "--json"], input="198.51.100.9\n192.0.2.200\n"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {
            "address": "198.51.100.9",
            "organisation_id": net.orgs["Telco One"].id,
            "organisation": "Telco One",
            "cert": "ptacert",
        },
        {"address": "192.0.2.200", "organisation_id": None, "organisation": None, "cert": None},
    ]


def test_batch_fails_only_when_no_line_is_an_address(session: Session, cli: CliRunner) -> None:
    build_network(session)
    result = cli.invoke(app, ["lookup", "--batch", "-", "--json"], input="nonsense\nAS64500\n")
    assert result.exit_code == clikit.EXIT_INVALID
    assert json.loads(result.stdout) == []
    assert "line 2: 'AS64500' is not an IP address" in result.stderr
    empty = cli.invoke(app, ["lookup", "--batch", "-"], input="")
    assert empty.exit_code == 0
    assert empty.stdout.splitlines() == ["address,organisation_id,organisation,cert"]


def test_batch_refuses_to_act_as_a_user(session: Session, cli: CliRunner) -> None:
    build_network(session)
    result = cli.invoke(app, ["lookup", "--batch", "-", "--as", "telco"], input="203.0.113.7\n")
    assert result.exit_code == clikit.EXIT_INVALID
    assert "--batch answers as the operator" in result.stderr
    assert "First Bank" not in result.stdout
    both = cli.invoke(app, ["lookup", "203.0.113.7", "--batch", "-"], input="203.0.113.7\n")
    assert both.exit_code == clikit.EXIT_INVALID
    assert "not both" in both.stderr


def test_single_lookup_is_unchanged(session: Session, cli: CliRunner) -> None:
    build_network(session)
    seen = cli.invoke(app, ["lookup", "203.0.113.200", "--json"])
    assert seen.exit_code == 0, seen.output
    assert json.loads(seen.stdout)["organisation"]["name"] == "Branch Services"
    hidden = cli.invoke(app, ["lookup", "203.0.113.7", "--as", "telco"])
    assert hidden.exit_code == clikit.EXIT_ERROR
    missing = cli.invoke(app, ["lookup"])
    assert missing.exit_code == clikit.EXIT_INVALID
