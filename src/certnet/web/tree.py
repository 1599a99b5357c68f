"""The CERT network drawn as a tree: node positions computed on the server, drawn as inline
SVG by the dashboard template (no script needed to see it)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

NODE_WIDTH = 168
NODE_HEIGHT = 38
#: Space between two sibling boxes stacked in a column.
GAP_Y = 8
#: Distance from one level of the reporting line to the next, left to right.
LEVEL_WIDTH = NODE_WIDTH + 56
MARGIN = 12

#: Fill colour per tier of the reporting line; unknown tiers (another profile's) get ``other``.
TIER_COLOURS = {
    "national": "#0b3d91",
    "national_soc": "#3949ab",
    "government": "#00695c",
    "federal": "#2e7d32",
    "provincial": "#5b7f1a",
    "sectoral": "#b45309",
    "cii": "#b91c1c",
    "organisational": "#6b21a8",
    "other": "#475569",
}


@dataclass(frozen=True)
class CertNode:
    """What the drawing needs of a CERT."""

    id: int
    short_name: str
    name: str
    tier: str
    parent_id: int | None


@dataclass(frozen=True)
class PlacedNode:
    """A CERT's box: top-left corner, size and colour."""

    cert: CertNode
    x: float
    y: float
    colour: str
    width: int = NODE_WIDTH
    height: int = NODE_HEIGHT

    @property
    def centre_x(self) -> float:
        return self.x + self.width / 2

    @property
    def centre_y(self) -> float:
        return self.y + self.height / 2


@dataclass(frozen=True)
class Edge:
    """A line from a parent's right edge to a child's left edge (an elbow path)."""

    path: str


@dataclass(frozen=True)
class Drawing:
    """A laid-out tree: boxes, lines and the canvas size."""

    nodes: list[PlacedNode]
    edges: list[Edge]
    width: float
    height: float
    legend: list[tuple[str, str]]


def layout(certs: Iterable[CertNode]) -> Drawing:
    """Draw the reporting line left to right: each level of the line is a column, leaves are
    stacked in depth-first order and each parent is centred beside its children. (A national
    network is wide — a dozen sectoral and half a dozen provincial CERTs under one parent — and
    shallow, so columns keep every label readable where a top-down tree would not fit.)
    CERTs whose parent is not visible become roots."""
    by_id = {c.id: c for c in certs}
    children: dict[int | None, list[CertNode]] = {}
    for cert in by_id.values():
        parent = cert.parent_id if cert.parent_id in by_id else None
        children.setdefault(parent, []).append(cert)
    for siblings in children.values():
        siblings.sort(key=lambda c: (c.tier, c.short_name))

    centres: dict[int, float] = {}
    depths: dict[int, int] = {}
    next_slot = 0.0

    def place(cert: CertNode, depth: int, seen: frozenset[int]) -> None:
        nonlocal next_slot
        depths[cert.id] = depth
        kids = [k for k in children.get(cert.id, []) if k.id not in seen]
        if not kids:
            centres[cert.id] = next_slot
            next_slot += 1
            return
        for kid in kids:
            place(kid, depth + 1, seen | {kid.id})
        centres[cert.id] = (centres[kids[0].id] + centres[kids[-1].id]) / 2

    for root in children.get(None, []):
        place(root, 0, frozenset({root.id}))

    step = NODE_HEIGHT + GAP_Y
    nodes = [
        PlacedNode(
            cert=by_id[ident],
            x=MARGIN + depths[ident] * LEVEL_WIDTH,
            y=MARGIN + centres[ident] * step,
            colour=TIER_COLOURS.get(by_id[ident].tier, TIER_COLOURS["other"]),
        )
        for ident in centres
    ]
    placed = {n.cert.id: n for n in nodes}
    edges = []
    for node in nodes:
        above = placed.get(node.cert.parent_id) if node.cert.parent_id is not None else None
        if above is None:
            continue
        right = above.x + above.width
        middle = right + (node.x - right) / 2
        edges.append(
            Edge(
                f"M{right:.1f},{above.centre_y:.1f} H{middle:.1f} V{node.centre_y:.1f} "
                f"H{node.x:.1f}"
            )
        )
    levels = max(depths.values(), default=-1) + 1
    tiers = sorted(
        {n.cert.tier for n in nodes},
        key=lambda t: list(TIER_COLOURS).index(t) if t in TIER_COLOURS else len(TIER_COLOURS),
    )
    return Drawing(
        nodes=nodes,
        edges=edges,
        width=2 * MARGIN + max(levels, 1) * LEVEL_WIDTH - (LEVEL_WIDTH - NODE_WIDTH),
        height=2 * MARGIN + max(next_slot, 1) * step - GAP_Y,
        legend=[(t, TIER_COLOURS.get(t, TIER_COLOURS["other"])) for t in tiers],
    )
