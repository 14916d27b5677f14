from __future__ import annotations

import re

import pytest

from lab.engine.library import BUILTIN_SLUGS, builtin_dict
from lab.engine.spec import parse_topology
from lab.engine.topology import to_graph
from lab.scenarios.svg import (
    MONO_EM,
    SMALL_SIZE,
    compute_layout,
    format_rate,
    layout,
    render_svg,
    text_width,
)


def graph(slug: str):  # type: ignore[no-untyped-def]
    return to_graph(parse_topology(builtin_dict(slug)["topology"]))


def test_it_puts_bo_left_ho_right_hosts_outermost() -> None:
    positions, width, _ = layout(graph("default-drop"))

    xs = {n: p[0] for n, p in positions.items()}
    assert xs["bo-pc"] < xs["bo-asa"] < width / 2 < xs["ho-asa"] < xs["ho-server"]
    assert len({p[1] for p in positions.values()}) == 1  # one row


def test_it_draws_the_cloud_the_tunnel_and_the_addresses() -> None:
    svg = render_svg(graph("default-drop"))

    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert 'role="img" aria-labelledby="topology-title topology-desc"' in svg
    assert '<title id="topology-title">Topology: Branch office and Head office</title>' in svg
    assert 'class="cloud"' in svg and ">internet<" in svg
    assert svg.index('class="cloud"') < svg.index('class="tunnel')  # drawn on top of the cloud
    assert "IPsec tunnel bo-ho (l2l)" in svg
    for text in ("10.0.0.100", "outside 209.165.201.2", "inside 10.1.1.1", "10 Mb/s · 20 ms"):
        assert text in svg
    assert "<script" not in svg


def test_it_is_stable_and_escapes_labels() -> None:
    d = builtin_dict("non-cisco-peer")
    d["topology"]["nodes"][0]["label"] = "<b>PC</b> & co"
    g = to_graph(parse_topology(d["topology"]))

    svg = render_svg(g)

    assert svg == render_svg(g)
    assert "&lt;b&gt;PC&lt;/b&gt; &amp; co" in svg
    assert "outside 209.165.200.10" in svg  # a non-Cisco gateway's own addresses
    assert not re.search(r"<b>", svg)


def test_it_formats_rates() -> None:
    assert [format_rate(r) for r in (1_000_000_000, 64_000, 2_500_000, 12)] == [
        "1 Gb/s",
        "64 kb/s",
        "2.5 Mb/s",
        "12 b/s",
    ]


def _apex(svg: str) -> float:
    """The highest point of the first tunnel's arc (a quadratic curve at t = 1/2)."""
    d = re.search(
        r'class="tunnel-pipe" d="M([\d.]+),([\d.]+) Q([\d.]+),(-?[\d.]+) ([\d.]+),([\d.]+)"', svg
    )
    assert d, "no tunnel arc"
    y1, cy, y2 = float(d.group(2)), float(d.group(4)), float(d.group(6))
    return (y1 + 2 * cy + y2) / 4


def test_it_arches_the_tunnel_over_the_internet_cloud() -> None:
    g = graph("default-drop")
    lay = compute_layout(g)

    svg = render_svg(g)

    cloud_top = min(
        float(cy) - float(r)
        for cy, r in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)" r="(\d+)"', svg)
    )
    assert _apex(svg) < cloud_top  # above the cloud, not through it
    assert lay.boxes["bo-asa"].x < lay.cx < lay.boxes["ho-asa"].x


@pytest.mark.parametrize("slug", BUILTIN_SLUGS)
def test_it_keeps_boxes_and_link_labels_apart(slug: str) -> None:
    g = graph(slug)
    lay = compute_layout(g)

    boxes = sorted(lay.boxes.values(), key=lambda b: b.x)
    for left, right in zip(boxes, boxes[1:], strict=False):  # one row: neighbours never touch
        assert left.x + left.footprint / 2 < right.x - right.footprint / 2
    for u, v, a in g.edges(data=True):
        bu, bv = sorted((lay.boxes[u], lay.boxes[v]), key=lambda b: b.x)
        if (u in lay.left) == (v in lay.left):
            label = f"{format_rate(a['rate_bps'])} · {a['delay_us'] / 1000:g} ms"
            room = (bv.x - bv.w / 2) - (bu.x + bu.w / 2)
            assert text_width(label, SMALL_SIZE, MONO_EM) < room, a["id"]
    assert all(b.x - b.footprint / 2 > 0 and b.x + b.footprint / 2 < lay.width for b in boxes)
    assert all(b.y + b.block_h < lay.height for b in boxes)


def test_it_wraps_a_long_label_and_keeps_its_row_level() -> None:
    g = graph("non-cisco-peer")
    lay = compute_layout(g)

    assert lay.boxes["ho-gw"].lines == ["HO VPN gateway", "(non-Cisco)"]
    assert len({round(b.y) for b in lay.boxes.values()}) == 1  # centres on one line
