"""Observables are told apart, validated and normalised so that spellings of one indicator
correlate and malformed ones are refused with a reason."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certnet.incidents.models import ObservableKind as K
from certnet.incidents.observables import guess_kind, normalise, value_hash


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("198.51.100.7", K.IPV4, "198.51.100.7"),
        (" 2001:DB8::0:1 ", K.IPV6, "2001:db8::1"),
        ("203.0.113.77/24", K.CIDR, "203.0.113.0/24"),
        ("Mail.Example.PK.", K.DOMAIN, "mail.example.pk"),
        ("bücher.example", K.DOMAIN, "xn--bcher-kva.example"),
        ("HTTP://Evil.Example.COM:80/a?b=1#frag", K.URL, "http://evil.example.com/a?b=1"),
        ("hxxps://evil.example.com", K.URL, "https://evil.example.com/"),
        ("https://[2001:db8::1]:8443/x", K.URL, "https://[2001:db8::1]:8443/x"),
        ("Phish@Example.COM", K.EMAIL, "Phish@example.com"),
        ("D41D8CD98F00B204E9800998ECF8427E", K.MD5, "d41d8cd98f00b204e9800998ecf8427e"),
        (
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            K.SHA1,
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        ),
        (
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            K.SHA256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        ("cve-2024-3400", K.CVE, "CVE-2024-3400"),
        ("as64500", K.ASN, "AS64500"),
    ],
)
def test_normalised(text: str, kind: K, value: str) -> None:
    found = normalise(text)
    assert (found.kind, found.value) == (kind, value)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("999.1.1.1", K.IPV4),
        ("198.51.100.023", K.IPV4),
        ("2001:db8::1", K.IPV4),
        ("10.0.0.0/33", K.CIDR),
        ("-bad-.example", K.DOMAIN),
        ("localhost", K.DOMAIN),
        ("javascript:alert(1)", K.URL),
        ("no-at-sign.example", K.EMAIL),
        ("xyz", K.MD5),
        ("d41d8cd98f00b204e9800998ecf8427e", K.SHA256),
        ("CVE-24-1", K.CVE),
        ("AS99999999999", K.ASN),
    ],
)
def test_malformed_is_refused(text: str, kind: K) -> None:
    with pytest.raises(ValueError, match=r"not|empty"):
        normalise(text, kind)


def test_unknown_kind_needs_naming() -> None:
    with pytest.raises(ValueError, match="name its kind"):
        guess_kind("just words")


def test_spellings_share_one_hash_and_kinds_do_not_collide() -> None:
    assert normalise("EVIL.example.com").value_hash == normalise("evil.example.com.").value_hash
    assert value_hash(K.DOMAIN, "a.example") != value_hash(K.EMAIL, "a.example")
    assert -(2**63) <= value_hash(K.MD5, "x") < 2**63


@given(st.ip_addresses())
def test_any_address_round_trips(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    found = normalise(str(address))
    assert found.value == str(address)
    assert found.kind is (K.IPV4 if address.version == 4 else K.IPV6)
    assert normalise(found.value) == found
