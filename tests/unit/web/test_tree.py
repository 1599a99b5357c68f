"""The dashboard's network drawing: a pure layout, no database."""

from __future__ import annotations

import itertools

from certnet.web.tree import LEVEL_WIDTH, TIER_COLOURS, CertNode, layout


def _node(ident: int, parent: int | None, tier: str = "sectoral") -> CertNode:
    return CertNode(
        id=ident, short_name=f"c{ident}", name=f"CERT {ident}", tier=tier, parent_id=parent
    )


def test_parents_sit_centred_beside_their_children() -> None:
    drawing = layout([_node(1, None, "national"), _node(2, 1), _node(3, 1), _node(4, 1)])
    placed = {n.cert.id: n for n in drawing.nodes}
    kids = sorted([placed[2], placed[3], placed[4]], key=lambda n: n.y)
    assert placed[1].centre_y == (kids[0].centre_y + kids[-1].centre_y) / 2
    assert {k.x for k in kids} == {placed[1].x + LEVEL_WIDTH}
    # Stacked one above the other without overlapping.
    assert all(a.y + a.height < b.y for a, b in itertools.pairwise(kids))
    assert len(drawing.edges) == 3
    assert placed[1].colour == TIER_COLOURS["national"]
    assert drawing.width >= max(n.x + n.width for n in drawing.nodes)
    assert drawing.height >= max(n.y + n.height for n in drawing.nodes)


def test_a_cert_whose_parent_is_hidden_becomes_a_root() -> None:
    # A constituent sees its CERT's chain, not its siblings; a gap still draws.
    drawing = layout([_node(5, 2, "cii"), _node(9, None, "unknown_tier")])
    assert {n.cert.id for n in drawing.nodes} == {5, 9}
    assert {n.x for n in drawing.nodes} == {drawing.nodes[0].x}
    assert drawing.edges == []
    assert {n.colour for n in drawing.nodes} == {TIER_COLOURS["cii"], TIER_COLOURS["other"]}


def test_a_cycle_in_bad_data_does_not_hang_the_dashboard() -> None:
    drawing = layout([_node(1, None), _node(2, 3), _node(3, 2)])
    assert {n.cert.id for n in drawing.nodes} == {1}


def test_nothing_visible_draws_nothing() -> None:
    drawing = layout([])
    assert drawing.nodes == []
    assert drawing.edges == []
