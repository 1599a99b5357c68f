"""How fast is the bulk "who is responsible" index, next to its peers, on the same data?

Generates a deterministic synthetic constituency (mostly IPv4, some IPv6, a share of nested
more-specifics), builds certnet's :class:`~certnet.constituency.lookup.PrefixIndex`, resolves
a million addresses in batches, and measures in the same run, on the same claims and the same
addresses:

* a naive pure-Python approach with :mod:`ipaddress` (every covering network looked up in a
  dict, which is what ``responsible_for`` asks the database), on a subsample;
* ``pytricia`` (a patricia trie in C) and ``pyasn`` (the radix tree IntelMQ's ASN expert
  uses), if they are installed, one address at a time as their APIs take them.

Each peer's answers are compared with certnet's: the "agrees" column must read 100%.

Run: ``.venv/bin/python benchmarks/lookup_bench.py [--prefixes N] [--lookups M] ...``
"""

from __future__ import annotations

import argparse
import gc
import ipaddress
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from certnet.constituency.lookup import UNCLAIMED, PrefixIndex, PrefixIndexBuilder

# The peers are optional: the benchmark measures what is installed and says what is not.
try:
    import pytricia
except ImportError:
    pytricia = None
try:
    import pyasn
except ImportError:
    pyasn = None

V4_LENGTHS = [12, 14, 16, 18, 19, 20, 21, 22, 23, 24]
V4_WEIGHTS = [0.01, 0.02, 0.06, 0.03, 0.04, 0.06, 0.06, 0.1, 0.1, 0.52]
V6_LENGTHS = [29, 32, 36, 40, 44, 48, 56, 64]
V6_WEIGHTS = [0.05, 0.25, 0.05, 0.05, 0.05, 0.35, 0.1, 0.1]


@dataclass(frozen=True)
class Claim:
    version: int
    first: int
    length: int
    organisation_id: int

    @property
    def bits(self) -> int:
        return 32 if self.version == 4 else 128

    @property
    def last(self) -> int:
        return self.first | ((1 << (self.bits - self.length)) - 1)

    @property
    def text(self) -> str:
        family = socket.AF_INET if self.version == 4 else socket.AF_INET6
        packed = self.first.to_bytes(self.bits // 8, "big")
        return f"{socket.inet_ntop(family, packed)}/{self.length}"


def synthetic_claims(
    rng: np.random.Generator, count: int, v6_share: float, nested_share: float
) -> list[Claim]:
    """``count`` distinct prefixes: random top-level blocks, then more-specifics inside them."""
    nested = int(count * nested_share)
    top_v6 = int((count - nested) * v6_share)
    top_v4 = count - nested - top_v6
    seen: set[tuple[int, int, int]] = set()
    claims: list[Claim] = []
    organisations = max(count // 5, 1)

    def add(version: int, address: int, length: int) -> None:
        bits = 32 if version == 4 else 128
        first = address & (((1 << length) - 1) << (bits - length))
        if (version, first, length) not in seen:
            seen.add((version, first, length))
            claims.append(Claim(version, first, length, int(rng.integers(1, organisations + 1))))

    while len(claims) < top_v4:
        length = int(rng.choice(V4_LENGTHS, p=V4_WEIGHTS))
        add(4, int(rng.integers(0x01000000, 0xE0000000)), length)
    while len(claims) < top_v4 + top_v6:
        length = int(rng.choice(V6_LENGTHS, p=V6_WEIGHTS))
        # Global unicast, 2000::/3, as real claims are.
        add(6, (0b001 << 125) | int.from_bytes(rng.bytes(16)) >> 3, length)
    bases = list(claims)
    while len(claims) < count:
        base = bases[int(rng.integers(len(bases)))]
        deepest = min(base.length + 8, base.bits)
        if base.length == deepest:
            continue
        length = int(rng.integers(base.length + 1, deepest + 1))
        offset = int.from_bytes(rng.bytes(16)) & ((1 << (base.bits - base.length)) - 1)
        add(base.version, base.first | offset, length)
    return claims


@dataclass
class Addresses:
    """The same lookups in every form a contender takes."""

    texts: list[str]
    is_v6: np.ndarray[Any, np.dtype[np.bool_]]
    v4: np.ndarray[Any, np.dtype[np.uint32]]
    v6: np.ndarray[Any, np.dtype[np.bytes_]]


def synthetic_addresses(
    rng: np.random.Generator, claims: Sequence[Claim], count: int, v6_share: float
) -> Addresses:
    """``count`` addresses: 70% inside some claim, 30% anywhere (mostly unclaimed)."""
    v4_claims = [c for c in claims if c.version == 4]
    v6_claims = [c for c in claims if c.version == 6]
    is_v6 = rng.random(count) < v6_share
    inside = rng.random(count) < 0.7
    texts: list[str] = []
    v4_values: list[int] = []
    v6_values: list[bytes] = []
    picks = rng.integers(0, 1 << 62, count)
    for position in range(count):
        pick = int(picks[position])
        if is_v6[position]:
            if inside[position] and v6_claims:
                claim = v6_claims[pick % len(v6_claims)]
                span = (1 << (128 - claim.length)) - 1
                value = claim.first | (int.from_bytes(rng.bytes(16)) & span)
            else:
                value = (0b001 << 125) | int.from_bytes(rng.bytes(16)) >> 3
            packed = value.to_bytes(16, "big")
            v6_values.append(packed)
            texts.append(socket.inet_ntop(socket.AF_INET6, packed))
        else:
            if inside[position] and v4_claims:
                claim = v4_claims[pick % len(v4_claims)]
                value = claim.first | (pick & ((1 << (32 - claim.length)) - 1))
            else:
                value = pick & 0xFFFFFFFF
            v4_values.append(value)
            texts.append(socket.inet_ntop(socket.AF_INET, value.to_bytes(4, "big")))
    return Addresses(
        texts=texts,
        is_v6=is_v6,
        v4=np.array(v4_values, dtype=np.uint32),
        v6=np.array(v6_values, dtype="S16"),
    )


@dataclass
class Timing:
    """Wall-clock and CPU seconds of the best of the repeats (least disturbed by neighbours
    on a shared machine; everything measured here runs on one core)."""

    wall: float
    cpu: float


#: How often each measurement is repeated (set from --repeat).
REPEATS = 1


@dataclass
class Row:
    name: str
    build: Timing
    memory: str
    lookups: int
    lookup: Timing
    agrees: float | None

    def cells(self) -> list[str]:
        return [
            self.name,
            f"{self.build.cpu:.2f}",
            self.memory,
            f"{self.lookups:,}",
            f"{self.lookups / self.lookup.cpu:,.0f}",
            f"{self.lookups / self.lookup.wall:,.0f}",
            "-" if self.agrees is None else f"{self.agrees:.2%}",
        ]


def rss_mib() -> float:
    """Resident memory now (Linux), in MiB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def timed(action: Callable[[], Any]) -> tuple[Any, Timing]:
    best: Timing | None = None
    for _ in range(REPEATS):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        result = action()
        timing = Timing(time.perf_counter() - wall, time.process_time() - cpu)
        best = timing if best is None or timing.cpu < best.cpu else best
    assert best is not None
    return result, best


def build_certnet(claims: Sequence[Claim]) -> PrefixIndex:
    builder = PrefixIndexBuilder()
    for claim in claims:
        builder.add_range(
            version=claim.version,
            first=claim.first,
            last=claim.last,
            organisation_id=claim.organisation_id,
        )
    return builder.build()


def in_batches(total: int, size: int) -> list[slice]:
    return [slice(start, min(start + size, total)) for start in range(0, total, size)]


def resolve_numbers(index: PrefixIndex, addresses: Addresses, batch: int) -> np.ndarray[Any, Any]:
    """Already-parsed columns, per family: the feed pipeline's fast path."""
    owners = np.empty(len(addresses.texts), dtype=np.int64)
    v4 = [index.resolve_v4(addresses.v4[part]) for part in in_batches(len(addresses.v4), batch)]
    v6 = [index.resolve_v6(addresses.v6[part]) for part in in_batches(len(addresses.v6), batch)]
    owners[~addresses.is_v6] = np.concatenate(v4) if v4 else []
    owners[addresses.is_v6] = np.concatenate(v6) if v6 else []
    return owners


def resolve_texts(index: PrefixIndex, texts: list[str], batch: int) -> np.ndarray[Any, Any]:
    """Address texts as a parser hands them over: parsing included."""
    parts = [index.resolve(texts[part]).organisation_ids for part in in_batches(len(texts), batch)]
    return np.concatenate(parts)


def naive_owner(networks: dict[Any, int], text: str) -> int:
    """What responsible_for asks the database, in pure Python: every covering network."""
    address = ipaddress.ip_address(text)
    for length in range(address.max_prefixlen, -1, -1):
        owner = networks.get(ipaddress.ip_network((address, length), strict=False))
        if owner is not None:
            return owner
    return UNCLAIMED


def agreement(found: Sequence[int] | np.ndarray[Any, Any], expected: np.ndarray[Any, Any]) -> float:
    return float(np.mean(np.asarray(found, dtype=np.int64) == expected[: len(found)]))


def build_naive(claims: Sequence[Claim]) -> dict[Any, int]:
    return {ipaddress.ip_network(c.text): c.organisation_id for c in claims}


def build_pytricia(claims: Sequence[Claim]) -> tuple[Any, Any]:
    v4, v6 = pytricia.PyTricia(32), pytricia.PyTricia(128)
    for claim in claims:
        (v4 if claim.version == 4 else v6)[claim.text] = claim.organisation_id
    return v4, v6


def build_pyasn(claims: Sequence[Claim]) -> Any:
    # pyasn maps prefixes to AS numbers; here the "AS number" is the organisation id.
    table = "".join(f"{c.text}\t{c.organisation_id}\n" for c in claims)
    return pyasn.pyasn(None, ipasn_string=table)


BUILDERS: dict[str, Callable[[Sequence[Claim]], Any]] = {
    "certnet": build_certnet,
    "naive": build_naive,
    "pytricia": build_pytricia,
    "pyasn": build_pyasn,
}


def memory_of(name: str, claims: Sequence[Claim]) -> str:
    """Resident memory a structure adds, measured in a fresh process (in this one, memory
    freed by earlier steps would be reused and hide the growth)."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as table:
        table.writelines(
            f"{c.version}\t{c.first}\t{c.length}\t{c.organisation_id}\n" for c in claims
        )
    try:
        child = subprocess.run(
            [sys.executable, __file__, "--memory-of", name, "--claims-file", table.name],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        Path(table.name).unlink()
    return f"{float(child.stdout):.1f} MiB"


def measure_memory(name: str, claims_file: str) -> None:
    """The child's side of :func:`memory_of`: print the MiB the structure adds."""
    claims = [
        Claim(*(int(field) for field in line.split("\t")))
        for line in Path(claims_file).read_text().splitlines()
    ]
    gc.collect()
    before = rss_mib()
    built = BUILDERS[name](claims)
    gc.collect()
    print(f"{rss_mib() - before:.2f}")
    del built


def bench_naive(claims: Sequence[Claim], texts: list[str], expected: np.ndarray[Any, Any]) -> Row:
    networks, build = timed(lambda: build_naive(claims))
    found, lookup = timed(lambda: [naive_owner(networks, t) for t in texts])
    return Row(
        "naive ipaddress + dict", build, memory_of("naive", claims), len(texts), lookup,
        agreement(found, expected),
    )  # fmt: skip


def bench_pytricia(
    claims: Sequence[Claim], texts: list[str], expected: np.ndarray[Any, Any]
) -> Row | str:
    if pytricia is None:
        return "pytricia: not installed (pip install pytricia)"
    (v4, v6), build = timed(lambda: build_pytricia(claims))
    get4, get6 = v4.get, v6.get
    # One address at a time, as its API takes them; the family decides the tree.
    found, lookup = timed(lambda: [(get6 if ":" in t else get4)(t) or UNCLAIMED for t in texts])
    return Row(
        f"pytricia {metadata.version('pytricia')}", build, memory_of("pytricia", claims),
        len(texts), lookup, agreement(found, expected),
    )  # fmt: skip


def bench_pyasn(
    claims: Sequence[Claim], texts: list[str], expected: np.ndarray[Any, Any]
) -> Row | str:
    if pyasn is None:
        return "pyasn: not installed (pip install pyasn)"
    database, build = timed(lambda: build_pyasn(claims))
    lookup_one = database.lookup
    found, lookup = timed(lambda: [lookup_one(t)[0] or UNCLAIMED for t in texts])
    return Row(
        f"pyasn {metadata.version('pyasn')}", build, memory_of("pyasn", claims), len(texts),
        lookup, agreement(found, expected),
    )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefixes", type=int, default=100_000, help="claims to generate")
    parser.add_argument("--lookups", type=int, default=1_000_000, help="addresses to resolve")
    parser.add_argument("--batch-size", type=int, default=100_000, help="addresses per batch")
    parser.add_argument("--v6-share", type=float, default=0.1, help="share of IPv6 claims")
    parser.add_argument("--nested-share", type=float, default=0.08, help="more-specifics")
    parser.add_argument("--naive-sample", type=int, default=2_000, help="naive approach's share")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--no-peers", action="store_true", help="measure certnet only")
    parser.add_argument("--memory-of", choices=sorted(BUILDERS), help=argparse.SUPPRESS)
    parser.add_argument("--claims-file", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.memory_of:
        measure_memory(options.memory_of, options.claims_file)
        return 0
    global REPEATS
    REPEATS = max(options.repeat, 1)

    rng = np.random.default_rng(options.seed)
    started = time.perf_counter()
    claims = synthetic_claims(rng, options.prefixes, options.v6_share, options.nested_share)
    addresses = synthetic_addresses(rng, claims, options.lookups, options.v6_share)
    print(
        f"data: {len(claims):,} claims ({sum(c.version == 6 for c in claims):,} IPv6, "
        f"{int(options.prefixes * options.nested_share):,} nested more-specifics), "
        f"{len(addresses.texts):,} addresses ({int(addresses.is_v6.sum()):,} IPv6), "
        f"generated in {time.perf_counter() - started:.1f} s; seed {options.seed}"
    )

    index, build = timed(lambda: build_certnet(claims))
    memory = f"{memory_of('certnet', claims)} (arrays {index.nbytes / 2**20:.1f})"
    expected, numbers = timed(lambda: resolve_numbers(index, addresses, options.batch_size))
    from_text, texts = timed(lambda: resolve_texts(index, addresses.texts, options.batch_size))
    rows: list[Row] = [
        Row("certnet index, parsed columns", build, memory, options.lookups, numbers, None),
        Row("certnet index, address texts", build, memory, options.lookups, texts, None),
    ]
    if not np.array_equal(from_text, expected):
        raise SystemExit("certnet's text and number paths disagree: a bug, not a benchmark")
    notes = [
        f"certnet: {index.claims:,} claims cut into {index.intervals:,} intervals; "
        f"{int(np.count_nonzero(expected)):,} of the addresses are claimed",
    ]
    if not options.no_peers:
        sample = addresses.texts[: options.naive_sample]
        rows.append(bench_naive(claims, sample, expected))
        for bench in (bench_pytricia, bench_pyasn):
            outcome = bench(claims, addresses.texts, expected)
            if isinstance(outcome, Row):
                rows.append(outcome)
            else:
                notes.append(outcome)

    header = [
        "contender",
        "build CPU s",
        "memory (RSS)",
        "lookups",
        "lookups/CPU s",
        "lookups/wall s",
        "agrees",
    ]
    table = [header, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    print()
    for number, line in enumerate(table):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if number == 0:
            print("  ".join("-" * width for width in widths))
    print()
    for note in notes:
        print(note)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"process peak RSS {peak:.0f} MiB; Python {sys.version.split()[0]}, "
        f"numpy {np.__version__}, batch size {options.batch_size:,}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
