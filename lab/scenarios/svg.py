"""Draw a topology graph as a static SVG picture, on the server, without JavaScript.

Layout: the branch side (the site of the first tunnel's `a` end) on the left, every other
site on the right. On each side a node's column is its hop count from the node that
reaches the other side, so gateways sit inward and hosts at the far edges. Links between
sites pass through a cloud in the middle; each tunnel is a thick coloured line drawn over
the cloud between its two gateways. The same graph always gives the same picture.
"""

from __future__ import annotations

from html import escape
from typing import Any

import networkx as nx

from lab.engine.asaconfig import import_config

COLUMN_WIDTH = 270
ROW_HEIGHT = 130
CLOUD_HALF_WIDTH = 120
MARGIN_X = 90
TOP = 70
NODE_W = 124
NODE_H = 44
TUNNEL_COLOURS = {
    "l2l": "#d9480f",
    "nem": "#7048e8",
    "client": "#0c8599",
    "anyconnect": "#2b8a3e",
}
KIND_STYLE = {  # fill, stroke, text colour
    "client": ("#e7f0fa", "#0b5cad", "#1d232a"),
    "server": ("#e7f0fa", "#0b5cad", "#1d232a"),
    "asa": ("#1d3b5c", "#0f2236", "#ffffff"),
    "gateway": ("#5c3b1d", "#36220f", "#ffffff"),
    "ra-client": ("#2f4f4f", "#1a2e2e", "#ffffff"),
    "router": ("#f1f3f5", "#495057", "#1d232a"),
}


def format_rate(bps: int) -> str:
    for unit, size in (("Gb/s", 10**9), ("Mb/s", 10**6), ("kb/s", 10**3)):
        if bps >= size:
            return f"{bps / size:g} {unit}"
    return f"{bps} b/s"


def format_delay(us: int) -> str:
    return f"{us / 1000:g} ms"


def _addresses(attrs: dict[str, Any]) -> list[str]:
    """The addresses worth printing under a node: interface IPs for an ASA, else its own."""
    if attrs.get("config"):
        config = import_config(attrs["config"]).config
        return [
            f"{ifc.nameif} {ifc.address}"
            for ifc in config.interfaces.values()
            if ifc.nameif and ifc.address
        ]
    if attrs.get("inside_address"):
        return [f"outside {attrs['address']}", f"inside {attrs['inside_address']}"]
    return [attrs["address"]] if attrs.get("address") else []


def _sides(g: Any) -> tuple[set[str], set[str]]:
    tunnels = g.graph.get("tunnels", [])
    sites = [s["id"] for s in g.graph.get("sites", [])]
    if tunnels and tunnels[0]["a"] in g:
        left_site = g.nodes[tunnels[0]["a"]]["site"]
    else:
        left_site = sites[0] if sites else ""
    left = {n for n, a in g.nodes(data=True) if a.get("site") == left_site}
    return left, set(g.nodes) - left


def _columns(g: Any, side: set[str], other: set[str]) -> dict[str, int]:
    """Column of each node on one side: 0 next to the cloud, hosts outermost."""
    sub = g.subgraph(side)
    edge_nodes = [n for n in side if any(m in other for m in g.neighbors(n))] or sorted(side)[:1]
    depth: dict[str, int] = {}
    for source in sorted(edge_nodes):
        for node, d in nx.single_source_shortest_path_length(sub, source).items():
            depth[node] = min(d, depth.get(node, d))
    for node in side:
        depth.setdefault(node, 0)
    outer = max([*depth.values(), 1])
    for node in side:
        if g.nodes[node].get("kind") in ("client", "server"):
            depth[node] = max(outer, 1)
    return depth


def layout(g: Any) -> tuple[dict[str, tuple[float, float]], float, float]:
    """Node centres, and the picture's width and height."""
    left, right = _sides(g)
    columns = {**_columns(g, left, right), **_columns(g, right, left)} if g else {}
    ncols = max([*columns.values(), 0]) + 1
    centre = MARGIN_X + NODE_W / 2 + (ncols - 1) * COLUMN_WIDTH + CLOUD_HALF_WIDTH + 60
    width = 2 * centre
    stacks: dict[tuple[bool, int], list[str]] = {}
    for node in g.nodes:  # insertion order: the order of the scenario file
        stacks.setdefault((node in left, columns[node]), []).append(node)
    rows = max([len(v) for v in stacks.values()] + [1])
    height = TOP + rows * ROW_HEIGHT + 40
    middle = TOP + rows * ROW_HEIGHT / 2
    positions = {}
    for (is_left, column), nodes in stacks.items():
        offset = CLOUD_HALF_WIDTH + 60 + NODE_W / 2 + column * COLUMN_WIDTH
        x = centre - offset if is_left else centre + offset
        for i, node in enumerate(nodes):
            y = middle + (i - (len(nodes) - 1) / 2) * ROW_HEIGHT
            positions[node] = (x, y)
    return positions, width, height


def _cloud(cx: float, cy: float) -> str:
    bumps = [(-70, 8, 34), (-30, -18, 40), (20, -22, 42), (62, 0, 36), (20, 22, 38), (-30, 22, 36)]
    circles = "".join(f'<circle cx="{cx + dx:g}" cy="{cy + dy:g}" r="{r}"/>' for dx, dy, r in bumps)
    return f'<g class="cloud" fill="#f1f3f5" stroke="#adb5bd" stroke-width="1.5">{circles}</g>'


def _text(x: float, y: float, text: str, cls: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return f'<text x="{x:g}" y="{y:g}" class="{cls}"{extra}>{escape(text)}</text>'


def _describe(g: Any) -> str:
    nodes = ", ".join(f"{a.get('label') or n} ({a.get('kind')})" for n, a in g.nodes(data=True))
    links = "; ".join(
        f"link {a['id']} joins {a['a']} and {a['b']} at {format_rate(a['rate_bps'])}, "
        f"{format_delay(a['delay_us'])} one way"
        for _, _, a in g.edges(data=True)
    )
    tunnels = "; ".join(
        f"{t['kind']} tunnel {t['id']} from {t['a']} to {t['b']}" for t in g.graph["tunnels"]
    )
    return f"Nodes: {nodes}. {links}. {tunnels}."


def render_svg(g: Any, *, id_prefix: str = "topology") -> str:
    """The SVG picture of an engine-schema topology graph."""
    positions, width, height = layout(g)
    left, _ = _sides(g)
    cx, cy = width / 2, TOP + (height - TOP - 40) / 2
    title = "Topology: " + " and ".join(s.get("name") or s["id"] for s in g.graph.get("sites", []))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}" '
        f'class="topology" role="img" aria-labelledby="{id_prefix}-title {id_prefix}-desc">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(_describe(g))}</desc>',
    ]
    for site in g.graph.get("sites", []):
        members = [positions[n] for n, a in g.nodes(data=True) if a.get("site") == site["id"]]
        if members:
            x = min(p[0] for p in members) - NODE_W / 2 - 20
            x2 = max(p[0] for p in members) + NODE_W / 2 + 20
            parts.append(
                f'<rect class="site" x="{x:g}" y="24" width="{x2 - x:g}" '
                f'height="{height - 34:g}" rx="12"/>'
            )
            parts.append(_text((x + x2) / 2, 46, site.get("name") or site["id"], "site-name"))
    crossing = []
    for u, v, a in g.edges(data=True):
        (x1, y1), (x2, y2) = positions[u], positions[v]
        label = f"{format_rate(a['rate_bps'])} · {format_delay(a['delay_us'])}"
        if (u in left) != (v in left):
            crossing.append(a)
            parts.append(
                f'<path class="link wan" d="M{x1:g},{y1:g} L{cx:g},{cy:g} L{x2:g},{y2:g}"/>'
            )
            continue
        parts.append(f'<line class="link" x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2:g}"/>')
        parts.append(_text((x1 + x2) / 2, (y1 + y2) / 2 - 8, label, "link-label"))
    if crossing:
        parts.append(_cloud(cx, cy))
        for i, a in enumerate(crossing):
            parts.append(_text(cx, cy - 28 + i * 16, a["id"], "cloud-name"))
            rate = f"{format_rate(a['rate_bps'])} · {format_delay(a['delay_us'])}"
            parts.append(_text(cx, cy + 80 + i * 16, rate, "link-label"))
    for t in g.graph.get("tunnels", []):
        if t["a"] in positions and t["b"] in positions:
            (x1, y1), (x2, y2) = positions[t["a"]], positions[t["b"]]
            colour = TUNNEL_COLOURS.get(t["kind"], "#d9480f")
            parts.append(
                f'<line class="tunnel" x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2:g}" '
                f'stroke="{colour}" stroke-width="9" stroke-linecap="round" opacity="0.85">'
                f"<title>{escape(t['kind'])} tunnel {escape(t['id'])}</title></line>"
            )
            parts.append(
                _text(cx, min(y1, y2) - 76, f"IPsec tunnel {t['id']} ({t['kind']})", "tunnel-label")
            )
    for node, a in g.nodes(data=True):
        x, y = positions[node]
        fill, stroke, ink = KIND_STYLE.get(a.get("kind", ""), KIND_STYLE["router"])
        kind_class = escape(a.get("kind", ""))
        parts.append(
            f'<g class="node node-{kind_class}" id="{id_prefix}-node-{escape(node)}">'
            f'<rect x="{x - NODE_W / 2:g}" y="{y - NODE_H / 2:g}" width="{NODE_W}" '
            f'height="{NODE_H}" rx="8" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
        )
        parts.append(_text(x, y - 3, a.get("label") or node, "node-label", fill=ink))
        kind = a.get("kind", "")
        if a.get("platform") and a.get("platform") != "other":
            kind = f"{a['platform'].upper()} {a.get('version', '')}".strip()
        parts.append(_text(x, y + 13, f"{node} · {kind}", "node-id", fill=ink))
        for i, line in enumerate(_addresses(a)):
            parts.append(_text(x, y + NODE_H / 2 + 16 + i * 15, line, "node-address"))
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)
