"""The bulk prefix index against a brute-force reference that checks every covering claim."""

from __future__ import annotations

import ipaddress
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from certnet.constituency.lookup import (
    UNCLAIMED,
    PrefixIndex,
    PrefixIndexBuilder,
    pack_v6,
)

FIRST_V4 = "0.0.0.0"  # noqa: S104 — an address to look up, not one to bind

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def index_of(claims: dict[str, int]) -> PrefixIndex:
    builder = PrefixIndexBuilder()
    for prefix, organisation_id in claims.items():
        builder.add_prefix(prefix, organisation_id)
    return builder.build()


def reference_owner(claims: dict[str, int], address: Address) -> int:
    """Look at every claim: the longest prefix that contains the address wins."""
    covering = [
        (network.prefixlen, owner)
        for network, owner in ((ipaddress.ip_network(p), o) for p, o in claims.items())
        if network.version == address.version and address in network
    ]
    return max(covering)[1] if covering else UNCLAIMED


# Claims clustered around a few bases, so that random prefixes nest and touch often.
V4_BASES = [0, 0x0A000000, 0xCB007100, 0xFFFFFF00]
V6_BASES = [0, 0x20010DB8 << 96, 0xFFFF << 32, (1 << 128) - (1 << 16)]


@st.composite
def networks(draw: Any, version: int) -> Network:
    bits = 32 if version == 4 else 128
    base = draw(st.sampled_from(V4_BASES if version == 4 else V6_BASES))
    noise = draw(st.integers(0, (1 << draw(st.integers(0, bits))) - 1))
    length = draw(st.integers(0, bits))
    address = (base ^ noise) & ((1 << bits) - 1)
    return ipaddress.ip_network((address, length), strict=False)


claim_sets = st.dictionaries(
    st.one_of(networks(4), networks(6)).map(str), st.integers(1, 6), max_size=40
)


def probes(claims: dict[str, int], extra: list[int]) -> list[Address]:
    """Every claim's edges and their neighbours, plus some arbitrary addresses."""
    found: set[Address] = set()
    for prefix in claims:
        network = ipaddress.ip_network(prefix)
        top = (1 << network.max_prefixlen) - 1
        for value in (
            int(network.network_address) - 1,
            int(network.network_address),
            int(network.broadcast_address),
            int(network.broadcast_address) + 1,
        ):
            if 0 <= value <= top:
                found.add(type(network.network_address)(value))
    for value in extra:
        found.add(ipaddress.IPv4Address(value & 0xFFFFFFFF))
        found.add(ipaddress.IPv6Address(value))
    return sorted(found, key=lambda a: (a.version, int(a)))


@settings(max_examples=300, deadline=None)
@given(claims=claim_sets, extra=st.lists(st.integers(0, (1 << 128) - 1), max_size=20))
def test_agrees_with_brute_force(claims: dict[str, int], extra: list[int]) -> None:
    index = index_of(claims)
    addresses = probes(claims, extra)
    expected = [reference_owner(claims, a) for a in addresses]

    batch = index.resolve([str(a) for a in addresses])
    assert batch.organisation_ids.tolist() == expected
    assert not batch.invalid.any()
    assert [index.owner_of(a) or UNCLAIMED for a in addresses] == expected

    v4 = [a for a in addresses if a.version == 4]
    v6 = [a for a in addresses if a.version == 6]
    fast4 = index.resolve_v4(np.array([int(a) for a in v4], dtype=np.uint32))
    fast6 = index.resolve_v6(
        pack_v6(
            np.array([int(a) >> 64 for a in v6], dtype=np.uint64),
            np.array([int(a) & ((1 << 64) - 1) for a in v6], dtype=np.uint64),
        )
    )
    assert fast4.tolist() == [reference_owner(claims, a) for a in v4]
    assert fast6.tolist() == [reference_owner(claims, a) for a in v6]


NESTED = {
    "10.0.0.0/8": 1,
    "10.1.0.0/16": 2,
    "10.1.1.0/24": 3,
    "10.1.1.128/25": 1,  # the ISP again, inside its customer's block
    "10.1.1.255/32": 4,
    "10.2.0.0/16": 5,
}


@pytest.mark.parametrize(
    ("address", "owner"),
    [
        ("9.255.255.255", UNCLAIMED),
        ("10.0.0.0", 1),
        ("10.0.255.255", 1),
        ("10.1.0.0", 2),
        ("10.1.0.255", 2),
        ("10.1.1.0", 3),
        ("10.1.1.127", 3),
        ("10.1.1.128", 1),
        ("10.1.1.254", 1),
        ("10.1.1.255", 4),
        ("10.1.2.0", 2),
        ("10.1.255.255", 2),
        ("10.2.0.0", 5),
        ("10.3.0.0", 1),
        ("10.255.255.255", 1),
        ("11.0.0.0", UNCLAIMED),
    ],
)
def test_nested_more_specifics(address: str, owner: int) -> None:
    assert index_of(NESTED).resolve([address]).organisation_ids.tolist() == [owner]


def test_nested_intervals_are_few() -> None:
    # Six nested claims cut IPv4 into at most 2n + 1 intervals; plus IPv6's single one.
    assert index_of(NESTED).intervals <= 2 * len(NESTED) + 1 + 1


@pytest.mark.parametrize(
    ("claims", "address", "owner"),
    [
        ({"0.0.0.0/0": 7}, FIRST_V4, 7),
        ({"0.0.0.0/0": 7}, "255.255.255.255", 7),
        ({"0.0.0.0/0": 7}, "::", UNCLAIMED),
        ({"0.0.0.0/0": 7, "0.0.0.0/32": 8}, FIRST_V4, 8),
        ({"0.0.0.0/0": 7, "0.0.0.0/32": 8}, "0.0.0.1", 7),
        ({"0.0.0.0/0": 7, "255.255.255.255/32": 8}, "255.255.255.255", 8),
        ({"0.0.0.0/0": 7, "255.255.255.255/32": 8}, "255.255.255.254", 7),
        ({"255.255.255.255/32": 8}, "255.255.255.254", UNCLAIMED),
        ({"::/0": 9}, "::", 9),
        ({"::/0": 9}, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 9),
        ({"::/0": 9}, "1.2.3.4", UNCLAIMED),
        ({"::/0": 9, "::/128": 10}, "::", 10),
        ({"::/0": 9, "::/128": 10}, "::1", 9),
        (
            {"::/0": 9, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128": 10},
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            10,
        ),
        (
            {"::/0": 9, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128": 10},
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
            9,
        ),
        # Bits below the 64th matter: /127 and /128 neighbours differ only in the last bit.
        ({"2001:db8::/127": 11, "2001:db8::1/128": 12}, "2001:db8::", 11),
        ({"2001:db8::/127": 11, "2001:db8::1/128": 12}, "2001:db8::1", 12),
        ({"2001:db8::/127": 11, "2001:db8::1/128": 12}, "2001:db8::2", UNCLAIMED),
        ({"2001:db8::/64": 13, "2001:db8:0:1::/64": 14}, "2001:db8::ffff:ffff:ffff:ffff", 13),
        ({"2001:db8::/64": 13, "2001:db8:0:1::/64": 14}, "2001:db8:0:1::", 14),
    ],
)
def test_edges_of_the_address_space(claims: dict[str, int], address: str, owner: int) -> None:
    index = index_of(claims)
    assert index.resolve([address]).organisation_ids.tolist() == [owner]
    assert (index.owner_of(address) or UNCLAIMED) == owner


def test_ipv4_mapped_addresses_are_ipv6_as_in_responsible_for() -> None:
    index = index_of({"192.0.2.0/24": 1, "::ffff:0:0/96": 2, "64:ff9b::/96": 3})
    batch = index.resolve(["192.0.2.1", "::ffff:192.0.2.1", "::ffff:c000:201", "64:ff9b::c000:201"])
    assert batch.organisation_ids.tolist() == [1, 2, 2, 3]
    assert index_of({"192.0.2.0/24": 1}).owner_of("::ffff:192.0.2.1") is None


def test_bad_texts_do_not_stop_the_batch() -> None:
    index = index_of({"203.0.113.0/24": 1, "2001:db8::/32": 2})
    texts: list[Any] = [
        "203.0.113.7",
        "",
        "not-an-address",
        "999.1.1.1",
        "203.0.113.0/24",
        "01.2.3.4",  # leading zeros are ambiguous (octal?) and rejected, as ipaddress does
        "2001:db8::g",
        None,
        b"203.0.113.7",
        "2001:db8::1",
        " 203.0.113.9\n",  # white space around is fine, as for a single lookup
        "198.51.100.1",
    ]
    batch = index.resolve(texts)
    assert batch.invalid_positions == [1, 2, 3, 4, 5, 6, 7, 8]
    assert batch.organisation_ids.tolist() == [1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0]
    with pytest.raises(ValueError, match="not an IP address"):
        index.owner_of("203.0.113.0/24")


def test_all_bad_and_empty_batches() -> None:
    index = index_of({"203.0.113.0/24": 1})
    assert index.resolve(["x", "y"]).invalid.tolist() == [True, True]
    empty = index.resolve([])
    assert empty.organisation_ids.shape == (0,)
    assert empty.invalid_positions == []


def test_an_empty_index_claims_nothing() -> None:
    index = PrefixIndexBuilder().build()
    assert index.claims == 0
    assert index.resolve(
        [FIRST_V4, "255.255.255.255", "::", "ffff::"]
    ).organisation_ids.tolist() == [0, 0, 0, 0]


# Pieces of addresses, so that random texts are often almost (or really) addresses.
ADDRESS_PIECES = st.sampled_from(
    [
        *("0", "1", "01", "9", "10", "255", "256", "ff", "FFFF", "0001", "00001", "abcd", "g"),
        *(":", ":", "::", ".", ".", "%eth0", " ", "\n", "/", "1.2.3.4", "::ffff:"),
    ]
)


@settings(max_examples=400)
@given(
    st.one_of(
        st.text(alphabet="0123456789abcdefABCDEF:./% \n", max_size=45),
        st.lists(ADDRESS_PIECES, max_size=16).map("".join),
    )
)
@example("::ffff:1.2.3.4")
@example("1:2:3:4:5:6:7::")
@example("::1.2.3.4")
@example("::1.02.3.4")
@example("fe80::1%eth0")
@example("1.2.3.04")
@example("1:2:3:4:5:6:7:8::")
def test_texts_are_judged_like_ipaddress(text: str) -> None:
    try:
        address: Address | None = ipaddress.ip_address(text.strip())
    except ValueError:
        address = None
    index = index_of({"0.0.0.0/0": 4, "::/0": 6})
    batch = index.resolve([text])
    assert batch.invalid.tolist() == [address is None]
    assert batch.organisation_ids.tolist() == [0 if address is None else address.version]


def test_claiming_the_same_prefix_twice_is_refused() -> None:
    builder = PrefixIndexBuilder()
    builder.add_prefix("203.0.113.0/24", 1)
    builder.add_prefix("203.0.113.0/24", 2)
    with pytest.raises(ValueError, match="claimed twice"):
        builder.build()


def test_ranges_that_overlap_without_nesting_are_refused() -> None:
    builder = PrefixIndexBuilder()
    builder.add_range(version=4, first=10, last=20, organisation_id=1)
    builder.add_range(version=4, first=15, last=25, organisation_id=2)
    with pytest.raises(ValueError, match="overlaps"):
        builder.build()


def test_builder_refuses_nonsense() -> None:
    builder = PrefixIndexBuilder()
    with pytest.raises(ValueError, match="unclaimed"):
        builder.add_prefix("203.0.113.0/24", UNCLAIMED)
    with pytest.raises(ValueError, match="neither 4 nor 6"):
        builder.add_range(version=5, first=0, last=1, organisation_id=1)
    with pytest.raises(ValueError, match="host bits"):
        builder.add_prefix("203.0.113.1/24", 1)
    builder.add_range(version=4, first=0, last=1 << 32, organisation_id=1)
    with pytest.raises(ValueError, match="outside"):
        builder.build()


def test_fast_paths_insist_on_their_dtype() -> None:
    index = index_of({"203.0.113.0/24": 1})
    with pytest.raises(TypeError, match="uint32"):
        index.resolve_v4(np.array([3405803783], dtype=np.int64))
    with pytest.raises(TypeError, match="S16"):
        index.resolve_v6(np.array([1], dtype=np.uint64))
    assert index.resolve_v4(np.array([3405803783], dtype=np.uint32)).tolist() == [1]


def test_size_is_reported() -> None:
    index = index_of(NESTED)
    assert index.claims == len(NESTED)
    # 12 bytes per IPv4 interval, 24 per IPv6 interval.
    assert index.nbytes == 12 * (index.intervals - 1) + 24
