from __future__ import annotations

import re

from lab.engine.library import builtin_dict
from lab.engine.spec import parse_topology
from lab.engine.topology import to_graph
from lab.scenarios.svg import format_rate, layout, render_svg


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
    assert svg.index('class="cloud"') < svg.index('class="tunnel"')  # the tunnel over the cloud
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
