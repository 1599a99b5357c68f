"""The bulk "who is responsible" index: longest-prefix match of many addresses at once.

A feed run enriches tens of thousands of events per batch with the organisation that claims
each address. Asking the database once per event (as :func:`service.responsible_for` does for
one interactive query) is far too slow for that, so :func:`build_index` reads every prefix
claim once and builds a :class:`PrefixIndex` that answers whole batches with numpy.

How it works: CIDR prefixes are either nested or disjoint, so the claims cut each address
family into disjoint intervals, each owned by the most specific claim covering it (or by no
one). The index keeps, per family, the sorted first address of every interval and its owner;
an address belongs to the last interval starting at or below it, which ``numpy.searchsorted``
finds for a whole batch in one call. IPv4 starts are ``uint32``; IPv6 starts are 16-byte
big-endian strings (numpy dtype ``S16``), which compare exactly like the 128-bit numbers —
nothing is approximated.

Cost, for ``n`` claims (``n4`` IPv4, ``n6`` IPv6) and a batch of ``m`` addresses:

* build: ``O(n log n)`` (one sort and one sweep); at most ``2 n + 1`` intervals per family;
* memory: 12 bytes per IPv4 interval and 24 bytes per IPv6 interval (start + int64 owner),
  so about ``24 n4 + 48 n6`` bytes at worst — roughly 2.6 MB for 100,000 claims;
* lookup: ``O(m log n)``; parsing text costs more than the search (see ``benchmarks/``).

**Access policy.** The index knows nothing about who may see what: it answers as the system
(certnet itself). It is meant for system work such as the feed pipeline's enrichment and the
operator's ``certnet lookup --batch``. A user-facing single lookup goes through
:func:`certnet.constituency.service.responsible_for`, which applies the access policy.

**IPv4-mapped IPv6** (``::ffff:192.0.2.1``) is an IPv6 address here, as it is for
``responsible_for``: only an IPv6 claim such as ``::ffff:0:0/96`` covers it. The two must agree.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.constituency.models import Cert, Organisation, Resource, ResourceKind
from certnet.core import access
from certnet.core.access import Principal

#: The owner reported for an address no organisation claims (database ids start at 1).
UNCLAIMED = 0

#: How many rows the database hands over at a time while the index is built.
_STREAM_ROWS = 10_000

_V4_TOP = (1 << 32) - 1
_V6_TOP = (1 << 128) - 1

OwnerArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class BatchResolution:
    """The owners of a batch of addresses, position by position.

    ``organisation_ids[i]`` is the organisation responsible for ``addresses[i]``, or
    :data:`UNCLAIMED`; where ``invalid[i]`` is true the text was not an IP address (its owner
    is then :data:`UNCLAIMED` too) and the caller should quarantine that row.
    """

    organisation_ids: OwnerArray
    invalid: npt.NDArray[np.bool_]

    @property
    def invalid_positions(self) -> list[int]:
        """The positions of the texts that were not IP addresses, in order."""
        return [int(i) for i in np.flatnonzero(self.invalid)]


@dataclass(frozen=True)
class _Family:
    """One address family: interval starts (sorted, the first is 0) and their owners."""

    starts: npt.NDArray[Any]
    owners: OwnerArray

    def resolve(self, addresses: npt.NDArray[Any]) -> OwnerArray:
        # "right" puts an address equal to a start into that start's interval; the first start
        # is the lowest address, so the index never falls below 0.
        positions = np.searchsorted(self.starts, addresses, side="right")
        positions -= 1
        return self.owners[positions]


def _flatten(claims: list[tuple[int, int, int]], top: int) -> tuple[list[int], list[int]]:
    """Cut nested ``(first, last, owner)`` ranges into disjoint intervals, each owned by the
    most specific range covering it: ``(starts, owners)`` with equal neighbours merged."""
    # Wider ranges first among those starting at the same address, so that every range is
    # met after the ranges that contain it.
    claims.sort(key=lambda claim: (claim[0], -claim[1]))
    starts, owners = [0], [UNCLAIMED]

    def mark(at: int, owner: int) -> None:
        if at == starts[-1]:
            owners[-1] = owner
        else:
            starts.append(at)
            owners.append(owner)

    open_claims: list[tuple[int, int]] = []  # (last, owner) of the ranges around the sweep
    previous: tuple[int, int] | None = None
    for first, last, owner in claims:
        if not 0 <= first <= last <= top:
            raise ValueError(f"range {first:#x}-{last:#x} is outside the address family")
        if (first, last) == previous:
            raise ValueError(f"range {first:#x}-{last:#x} is claimed twice")
        previous = (first, last)
        while open_claims and open_claims[-1][0] < first:
            end, _ = open_claims.pop()
            mark(end + 1, open_claims[-1][1] if open_claims else UNCLAIMED)
        if open_claims and open_claims[-1][0] < last:
            raise ValueError(f"range {first:#x}-{last:#x} overlaps another without nesting")
        mark(first, owner)
        open_claims.append((last, owner))
    while open_claims:
        end, _ = open_claims.pop()
        if end < top:
            mark(end + 1, open_claims[-1][1] if open_claims else UNCLAIMED)
    merged_starts, merged_owners = [starts[0]], [owners[0]]
    for at, owner in zip(starts[1:], owners[1:], strict=True):
        if owner != merged_owners[-1]:
            merged_starts.append(at)
            merged_owners.append(owner)
    return merged_starts, merged_owners


def _v6_bytes(values: Iterable[int]) -> npt.NDArray[np.bytes_]:
    return np.array([value.to_bytes(16, "big") for value in values], dtype="S16")


class PrefixIndexBuilder:
    """Collects prefix claims, then builds an immutable :class:`PrefixIndex`."""

    def __init__(self) -> None:
        self._v4: list[tuple[int, int, int]] = []
        self._v6: list[tuple[int, int, int]] = []

    def add_range(self, *, version: int, first: int, last: int, organisation_id: int) -> None:
        """Claim the addresses ``first``..``last`` (a CIDR prefix's range) of one family."""
        if organisation_id == UNCLAIMED:
            raise ValueError(f"organisation id {UNCLAIMED} means 'unclaimed'")
        if version == 4:
            self._v4.append((first, last, organisation_id))
        elif version == 6:
            self._v6.append((first, last, organisation_id))
        else:
            raise ValueError(f"IP version {version} is neither 4 nor 6")

    def add_prefix(self, prefix: str, organisation_id: int) -> None:
        """Claim ``203.0.113.0/24`` or ``2001:db8::/32`` (host bits must be zero)."""
        network = ipaddress.ip_network(prefix, strict=True)
        self.add_range(
            version=network.version,
            first=int(network.network_address),
            last=int(network.broadcast_address),
            organisation_id=organisation_id,
        )

    def build(self) -> PrefixIndex:
        """The index; raises ValueError if one range is claimed twice or two overlap without
        nesting (neither happens with CIDR prefixes stored once each)."""
        starts4, owners4 = _flatten(self._v4, _V4_TOP)
        starts6, owners6 = _flatten(self._v6, _V6_TOP)
        return PrefixIndex(
            v4=_Family(np.array(starts4, dtype=np.uint32), np.array(owners4, dtype=np.int64)),
            v6=_Family(_v6_bytes(starts6), np.array(owners6, dtype=np.int64)),
            claims=len(self._v4) + len(self._v6),
        )


_pton = socket.inet_pton
_AF_INET = socket.AF_INET
_AF_INET6 = socket.AF_INET6


class PrefixIndex:
    """Longest-prefix match of IPv4 and IPv6 addresses against the organisations' claims.

    Immutable once built, so one index can serve many threads. Build it with
    :func:`build_index` (from the database) or :class:`PrefixIndexBuilder`.
    """

    def __init__(self, *, v4: _Family, v6: _Family, claims: int) -> None:
        self._v4 = v4
        self._v6 = v6
        self.claims = claims

    @property
    def intervals(self) -> int:
        """How many disjoint intervals the claims cut the address space into."""
        return len(self._v4.starts) + len(self._v6.starts)

    @property
    def nbytes(self) -> int:
        """Memory held by the index's arrays."""
        family_arrays = (self._v4.starts, self._v4.owners, self._v6.starts, self._v6.owners)
        return sum(array.nbytes for array in family_arrays)

    def resolve_v4(self, addresses: npt.NDArray[np.uint32]) -> OwnerArray:
        """Owners of IPv4 addresses given as ``uint32`` numbers (the fast path for columns
        that are already parsed)."""
        if addresses.dtype != np.uint32:
            raise TypeError(f"IPv4 addresses must be uint32, not {addresses.dtype}")
        return self._v4.resolve(addresses)

    def resolve_v6(self, addresses: npt.NDArray[np.bytes_]) -> OwnerArray:
        """Owners of IPv6 addresses given as 16-byte big-endian strings (dtype ``S16``, e.g.
        from :func:`pack_v6`)."""
        if addresses.dtype != np.dtype("S16"):
            raise TypeError(f"IPv6 addresses must be S16, not {addresses.dtype}")
        return self._v6.resolve(addresses)

    def resolve(self, addresses: Sequence[str]) -> BatchResolution:
        """Owners of a batch of address texts; a text that is not an IP address does not
        stop the batch but is marked in ``invalid``.

        Texts are parsed by the C library (``inet_pton``) where it can; what it refuses is
        judged by Python's :mod:`ipaddress`, exactly as ``responsible_for`` judges a query
        (surrounding white space and IPv6 scope ids allowed). The two agree on every text
        both accept; a unit test holds them to it.
        """
        count = len(addresses)
        packed4: list[bytes] = []
        others: list[int] = []
        placeholder = bytes(4)
        for position, text in enumerate(addresses):
            try:
                packed4.append(_pton(_AF_INET, text))
            except (OSError, TypeError, ValueError):
                # Not plain dotted-quad IPv4: decided below, one by one (rare in feeds).
                packed4.append(placeholder)
                others.append(position)
        v4 = np.frombuffer(b"".join(packed4), dtype=">u4").astype(np.uint32)
        owners = self._v4.resolve(v4) if count else np.zeros(0, dtype=np.int64)
        invalid = np.zeros(count, dtype=np.bool_)
        if not others:
            return BatchResolution(owners, invalid)
        v6_positions: list[int] = []
        packed6: list[bytes] = []
        v4_positions: list[int] = []
        v4_values: list[int] = []
        for position in others:
            text = addresses[position]
            try:
                packed6.append(_pton(_AF_INET6, text))
                v6_positions.append(position)
                continue
            except (OSError, TypeError, ValueError):
                pass  # white space, a scope id, or not an address: ipaddress decides
            address = _parse(text)
            if address is None:
                invalid[position] = True
            elif address.version == 4:
                v4_positions.append(position)
                v4_values.append(int(address))
            else:
                v6_positions.append(position)
                packed6.append(address.packed)
        owners[others] = UNCLAIMED
        if v4_positions:
            owners[v4_positions] = self._v4.resolve(np.array(v4_values, dtype=np.uint32))
        if v6_positions:
            owners[v6_positions] = self._v6.resolve(np.array(packed6, dtype="S16"))
        return BatchResolution(owners, invalid)

    def owner_of(self, address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> int | None:
        """The organisation responsible for one address, or None if no one claims it; raises
        ValueError if ``address`` is not an IP address."""
        parsed = _parse(address) if isinstance(address, str) else address
        if parsed is None:
            raise ValueError(f"{address!r} is not an IP address")
        if parsed.version == 4:
            owner = self._v4.resolve(np.array([int(parsed)], dtype=np.uint32))[0]
        else:
            owner = self._v6.resolve(_v6_bytes([int(parsed)]))[0]
        return None if owner == UNCLAIMED else int(owner)


def _parse(text: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not isinstance(text, str):
        return None
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def pack_v6(high: npt.NDArray[np.uint64], low: npt.NDArray[np.uint64]) -> npt.NDArray[np.bytes_]:
    """IPv6 addresses held as two ``uint64`` halves, as the ``S16`` array
    :meth:`PrefixIndex.resolve_v6` takes."""
    pairs = np.empty((len(high), 2), dtype=">u8")
    pairs[:, 0] = high
    pairs[:, 1] = low
    return pairs.view("S16").reshape(len(high))


def build_index(*, session: Session) -> PrefixIndex:
    """The index of every prefix claim in the database, read in one streamed query.

    It sees every claim, whoever may see it: see the module docstring on the access policy.
    """
    builder = PrefixIndexBuilder()
    rows = session.execute(
        select(
            Resource.ip_version,
            Resource.first_address,
            Resource.last_address,
            Resource.organisation_id,
        )
        .where(Resource.kind == ResourceKind.PREFIX)
        .execution_options(yield_per=_STREAM_ROWS)
    )
    for version, first, last, organisation_id in rows:
        if version is None or first is None or last is None:
            # add_resource always fills these for a prefix; a row without them is damaged.
            raise ValueError(f"prefix claim of organisation {organisation_id} has no range")
        builder.add_range(
            version=version,
            first=int(first, 16),
            last=int(last, 16),
            organisation_id=organisation_id,
        )
    return builder.build()


@dataclass(frozen=True)
class Owner:
    """What a bulk answer prints about an organisation: its name and its CERT."""

    organisation_id: int
    organisation: str
    cert_id: int
    cert: str


def describe_owners(
    *, session: Session, principal: Principal, organisation_ids: Iterable[int]
) -> dict[int, Owner]:
    """Name and CERT of each organisation the principal may see, by id (others are left out)."""
    wanted = sorted({int(i) for i in organisation_ids} - {UNCLAIMED})
    found: dict[int, Owner] = {}
    # Chunked so that the IN list stays well below every engine's parameter limit.
    for offset in range(0, len(wanted), 1000):
        visible = access.scoped(
            select(Organisation.id).where(Organisation.id.in_(wanted[offset : offset + 1000])),
            principal,
        )
        stmt = (
            select(Organisation.id, Organisation.name, Cert.id, Cert.short_name)
            .join(Cert, Cert.id == Organisation.cert_id)
            .where(Organisation.id.in_(visible))
        )
        for org_id, name, cert_id, cert_short in session.execute(stmt):
            found[org_id] = Owner(org_id, name, cert_id, cert_short)
    return found
