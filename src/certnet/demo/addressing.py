"""Address and AS-number plans for the demo: only ranges that belong to no one.

IPv4 comes from RFC 1918 private space (10.0.0.0/8, 172.16.0.0/12) and RFC 6598 shared space
(100.64.0.0/10); IPv6 from the RFC 3849 documentation prefix 2001:db8::/32; AS numbers from the
RFC 6996 private-use ranges. The documentation /24s of RFC 5737 are far too small for ten
thousand prefixes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

#: Internet service providers' blocks (one /16 each) and their customers' /24s.
ISP_V4 = ipaddress.IPv4Network("100.64.0.0/10")
#: Each organisation's own (provider-independent) /22.
OWN_V4 = ipaddress.IPv4Network("10.0.0.0/8")
#: Management networks of CII and public bodies, one /24 each.
MANAGEMENT_V4 = ipaddress.IPv4Network("172.16.0.0/12")
#: ISPs' IPv6 blocks (one /40 each) and their customers' /48s: the lower half of 2001:db8::/32.
ISP_V6 = ipaddress.IPv6Network("2001:db8::/33")
#: Organisations' own IPv6 /48s: the upper half of 2001:db8::/32.
OWN_V6 = ipaddress.IPv6Network("2001:db8:8000::/33")

#: RFC 6996 private-use AS numbers: 16-bit, then 32-bit.
PRIVATE_ASN_16 = range(64512, 65535)
PRIVATE_ASN_32 = range(4_200_000_000, 4_294_967_295)

ISP_V4_LENGTH, ISP_V6_LENGTH = 16, 40
OWN_V4_LENGTH, OWN_V6_LENGTH = 22, 48
CUSTOMER_V4_LENGTH, CUSTOMER_V6_LENGTH = 24, 48
MANAGEMENT_V4_LENGTH = 24

#: The last /24s of an ISP's /16 are its own infrastructure, never a customer's.
ISP_INFRASTRUCTURE_SLOTS = 2

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
N = TypeVar("N", ipaddress.IPv4Network, ipaddress.IPv6Network)


class Exhausted(ValueError):
    """A pool has no more blocks: the demo was asked for more than its ranges hold."""


class Pool(Generic[N]):
    """Hands out consecutive blocks of one length from a parent range."""

    def __init__(self, parent: N, length: int, name: str) -> None:
        self._blocks: Iterator[N] = iter(parent.subnets(new_prefix=length))
        self.name = name

    def take(self) -> N:
        """The next free block; :class:`Exhausted` when there is none."""
        try:
            return next(self._blocks)
        except StopIteration:
            raise Exhausted(f"the demo's {self.name} range is used up") from None

    def take_or_none(self) -> N | None:
        """The next free block, or None when there is none (for optional extras)."""
        return next(self._blocks, None)


@dataclass
class Isp:
    """An ISP's blocks and how many customer assignments it has made from each."""

    name: str
    v4: ipaddress.IPv4Network
    v6: ipaddress.IPv6Network
    infrastructure: list[ipaddress.IPv4Network] = field(init=False)
    _v4_customers: Iterator[ipaddress.IPv4Network] = field(init=False, repr=False)
    _v6_customers: Iterator[ipaddress.IPv6Network] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        v4_slots = list(self.v4.subnets(new_prefix=CUSTOMER_V4_LENGTH))
        self.infrastructure = v4_slots[-ISP_INFRASTRUCTURE_SLOTS:]
        self._v4_customers = iter(v4_slots[:-ISP_INFRASTRUCTURE_SLOTS])
        self._v6_customers = iter(self.v6.subnets(new_prefix=CUSTOMER_V6_LENGTH))

    def assign_v4(self) -> Network | None:
        """A customer /24 from this ISP's block, or None when it is full."""
        return next(self._v4_customers, None)

    def assign_v6(self) -> Network | None:
        """A customer /48 from this ISP's block, or None when it is full."""
        return next(self._v6_customers, None)


class AsnPool:
    """Private-use AS numbers, 16-bit for those who peer (ISPs, CII), 32-bit for the rest."""

    def __init__(self) -> None:
        self._short = iter(PRIVATE_ASN_16)
        self._long = iter(PRIVATE_ASN_32)

    def take(self, *, short: bool) -> str:
        """The next AS number, as ``AS64512``; falls back to 32-bit when 16-bit runs out."""
        number = next(self._short, None) if short else None
        if number is None:
            number = next(self._long)
        return f"AS{number}"
