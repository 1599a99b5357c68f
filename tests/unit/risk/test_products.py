"""CPE 2.3 and purl parsing, version ordering and ranges (CVE 5 and vers)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certnet.risk.products import (
    ProductIdError,
    collection_purl_key,
    compare_versions,
    cve_ranges,
    in_range,
    parse_cpe,
    parse_purl,
    parse_vers,
)


def test_cpe_23_with_escapes_and_22_uris() -> None:
    cpe = parse_cpe(r"cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*")
    assert (cpe.part, cpe.key, cpe.version) == ("a", "cpe:microsoft:internet_explorer", "8.0.6001")
    escaped = parse_cpe(r"cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*")
    assert escaped.key == "cpe:hp:insight_diagnostics"
    quoted = parse_cpe(r"cpe:2.3:a:foo\\bar:big\$money_manager_2010:*:*:*:*:*:*:*:*")
    assert quoted.key == "cpe:foo\\bar:big$money_manager_2010"
    assert quoted.version is None
    assert (
        parse_cpe("cpe:/o:redhat:enterprise_linux:9::baseos").key == "cpe:redhat:enterprise_linux"
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("cpe:2.3:x:v:p:1:*:*:*:*:*:*:*", "part"),
        ("cpe:2.3:a:v:p:1", "11 components"),
        ("cpe:2.3:a:v p:p:1:*:*:*:*:*:*:*", "vendor"),
        ("cpe:2.3:a:*:p:1:*:*:*:*:*:*:*", "wildcards"),
        ("cpe:2.2:a:v:p", "starts with"),
    ],
)
def test_bad_cpes_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ProductIdError, match=says):
        parse_cpe(text)


def test_purls() -> None:
    purl = parse_purl("pkg:maven/org.apache.activemq/activemq-client@5.18.2")
    assert (purl.key, purl.version) == ("pkg:maven/org.apache.activemq/activemq-client", "5.18.2")
    with pytest.raises(ProductIdError):
        parse_purl("pkg:maven")
    assert (
        collection_purl_key(
            "https://repo.maven.apache.org/maven2", "org.apache.activemq:activemq-client"
        )
        == purl.key
    )
    assert collection_purl_key("https://www.openssh.com/", "OpenSSH") is None


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("2.0-beta9", "2.0"),
        ("2.14.1", "2.15.0"),
        ("10.2.9", "10.2.9-h1"),
        ("22.7R2", "22.7R2.4"),
        ("9.7p1", "9.8p1"),
        ("1.2.9", "1.2.10"),
        ("0:8.7p1-38.el9_4", "0:8.7p1-38.el9_4.1"),
    ],
)
def test_versions_order(older: str, newer: str) -> None:
    assert compare_versions(older, newer) == -1
    assert compare_versions(newer, older) == 1


@given(
    st.lists(st.integers(min_value=0, max_value=999), min_size=1, max_size=4),
    st.lists(st.integers(min_value=0, max_value=999), min_size=1, max_size=4),
)
def test_dotted_numbers_order_like_tuples(a: list[int], b: list[int]) -> None:
    def pad(v: list[int]) -> tuple[int, ...]:
        return tuple(v + [0] * (4 - len(v)))

    left, right = ".".join(map(str, a)), ".".join(map(str, b))
    if pad(a) != pad(b):
        assert compare_versions(left, right) == (pad(a) > pad(b)) - (pad(a) < pad(b))


def test_vers_ranges() -> None:
    assert parse_vers("vers:semver/>=2.0.0|<2.17.1") == [{"introduced": "2.0.0", "fixed": "2.17.1"}]
    assert parse_vers("vers:generic/<=4.1") == [{"last_affected": "4.1"}]
    assert parse_vers("vers:generic/*") == []
    assert parse_vers("1.2.3") == [{"exact": "1.2.3"}]
    with pytest.raises(ProductIdError):
        parse_vers("vers:semver")
    spec = parse_vers(">1.0|<2.0")[0]
    assert not in_range("1.0", spec)
    assert in_range("1.5", spec)


def test_cve_changes_split_a_range() -> None:
    entry = {
        "versions": [
            {
                "version": "2.0-beta9",
                "lessThan": "log4j-core*",
                "status": "affected",
                "versionType": "custom",
                "changes": [
                    {"at": "2.3.1", "status": "unaffected"},
                    {"at": "2.4", "status": "affected"},
                    {"at": "2.15.0", "status": "unaffected"},
                ],
            }
        ]
    }
    affected, unaffected, default = cve_ranges(entry)
    assert not default
    inside = [
        v
        for v in ("2.0", "2.3.0", "2.3.1", "2.4", "2.14.1", "2.15.0", "2.17.0")
        if any(in_range(v, r) for r in affected)
    ]
    assert inside == ["2.0", "2.3.0", "2.4", "2.14.1"]
    assert any(in_range("2.16.0", r) for r in unaffected)


def test_cve_patch_and_wildcard_ranges() -> None:
    citrix = {
        "versions": [
            {"version": "14.1", "lessThan": "8.50", "status": "affected", "versionType": "patch"}
        ]
    }
    affected, _, _ = cve_ranges(citrix)
    assert in_range("14.1-8.49", affected[0])
    assert not in_range("14.1-8.50", affected[0])
    linux = {
        "defaultStatus": "affected",
        "versions": [
            {
                "version": "5.4.274",
                "lessThanOrEqual": "5.4.*",
                "status": "unaffected",
                "versionType": "custom",
            }
        ],
    }
    _, unaffected, default = cve_ranges(linux)
    assert default
    assert in_range("5.4.300", unaffected[0])
    assert not in_range("5.5.1", unaffected[0])
    git = {
        "versions": [
            {
                "version": "4b6346dc1edf",
                "lessThan": "61ac7284346c",
                "status": "affected",
                "versionType": "git",
            }
        ]
    }
    assert cve_ranges(git) == ([], [], False)
