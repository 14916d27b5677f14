"""Draw a topology graph as a static SVG picture, on the server, without JavaScript.

Layout: the branch side (the site of the first tunnel's `a` end) on the left, the head
office (the site of its `b` end) on the right, and any other site (an internet router, say)
in the middle. On each side a node's column is its hop count from the node that reaches the
middle, so gateways sit inward and hosts at the far edges. Links that join the two sides
directly pass through a cloud in the middle; each tunnel is a thick coloured pipe arching
over that cloud between its two gateways, its name on top.

Nothing overlaps by construction: boxes are as wide as their (measured) text, the gap
between two columns is as wide as the label of the links between them, and addresses sit
under their node inside the column's width. The same graph always gives the same picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

import networkx as nx

from lab.engine.asaconfig import import_config

# Font sizes (SVG units) and rough average glyph widths, as a fraction of the size, of the
# fonts static/css/lab.css asks for (DejaVu/Liberation metrics; a little generous).
LABEL_SIZE = 14
SUB_SIZE = 11.5
SMALL_SIZE = 12
BOLD_EM = 0.64
SANS_EM = 0.57
MONO_EM = 0.61

NODE_PAD_X = 14
NODE_MIN_W = 112
LABEL_WRAP_W = 176  # a node label wider than this goes onto two lines
LINE_H = 18
ADDRESS_H = 15
MIN_GAP = 56  # between two columns of one side
CLOUD_RX = 104  # half width of the internet cloud
CLOUD_GAP = 34  # between the cloud and the innermost column
SITE_PAD = 16
MARGIN = 14
ROWS_TOP = 112  # top edge of the first row of boxes
ROW_GAP = 36
TUNNEL_RISE = 96  # apex of a tunnel arc above the gateways' row

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


def text_width(text: str, size: float, em: float = SANS_EM) -> float:
    """A generous estimate of the rendered width of `text`."""
    return len(text) * size * em


def _wrap(label: str) -> list[str]:
    """One line, or two split at the space nearest the middle when it is too wide."""
    if text_width(label, LABEL_SIZE, BOLD_EM) <= LABEL_WRAP_W or " " not in label:
        return [label]
    spaces = [i for i, ch in enumerate(label) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - len(label) / 2))
    return [label[:cut], label[cut + 1 :]]


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


def _subtitle(node: str, attrs: dict[str, Any]) -> str:
    kind = attrs.get("kind", "")
    if attrs.get("platform") and attrs.get("platform") != "other":
        kind = f"{attrs['platform'].upper()} {attrs.get('version', '')}".strip()
    return f"{node} · {kind}"


@dataclass
class Box:
    """A node's box: its text, its size and (once laid out) its centre."""

    node: str
    lines: list[str]
    subtitle: str
    addresses: list[str]
    w: float
    h: float
    footprint: float  # the column width it needs, addresses included
    x: float = 0.0
    y: float = 0.0

    @property
    def block_h(self) -> float:
        return self.h + (8 + len(self.addresses) * ADDRESS_H if self.addresses else 0)


def _box(node: str, attrs: dict[str, Any]) -> Box:
    lines = _wrap(attrs.get("label") or node)
    subtitle = _subtitle(node, attrs)
    addresses = _addresses(attrs)
    inner = max(
        *(text_width(line, LABEL_SIZE, BOLD_EM) for line in lines),
        text_width(subtitle, SUB_SIZE),
    )
    w = max(NODE_MIN_W, inner + 2 * NODE_PAD_X)
    h = 14 + len(lines) * LINE_H + 16
    widest_address = max([text_width(a, SMALL_SIZE, MONO_EM) for a in addresses] + [0])
    return Box(node, lines, subtitle, addresses, w, h, max(w, widest_address + 8))


def _link_label(a: dict[str, Any]) -> str:
    return f"{format_rate(a['rate_bps'])} · {format_delay(a['delay_us'])}"


def _sides(g: Any) -> tuple[set[str], set[str], set[str]]:
    """Left (branch) nodes, right (head office) nodes, and the nodes of any other site."""
    tunnels = [t for t in g.graph.get("tunnels", []) if t["a"] in g and t["b"] in g]
    sites = [s["id"] for s in g.graph.get("sites", [])]
    if tunnels:
        left_site = g.nodes[tunnels[0]["a"]]["site"]
        right_site = g.nodes[tunnels[0]["b"]]["site"]
    else:
        left_site = sites[0] if sites else ""
        right_site = ""
    left = {n for n, a in g.nodes(data=True) if a.get("site") == left_site}
    if right_site and right_site != left_site:
        right = {n for n, a in g.nodes(data=True) if a.get("site") == right_site}
    else:
        right = set(g.nodes) - left
    return left, right, set(g.nodes) - left - right


def _columns(g: Any, side: set[str]) -> dict[str, int]:
    """Column of each node on one side: 0 next to the middle, hosts outermost."""
    if not side:
        return {}
    sub = g.subgraph(side)
    edge_nodes = [n for n in side if any(m not in side for m in g.neighbors(n))] or [
        sorted(side)[0]
    ]
    depth: dict[str, int] = {}
    for source in sorted(edge_nodes):
        for node, d in nx.single_source_shortest_path_length(sub, source).items():
            depth[node] = min(d, depth.get(node, d))
    for node in side:
        depth.setdefault(node, 0)
    outer = max([*depth.values(), 1])
    for node in side:
        if g.nodes[node].get("kind") in ("client", "server"):
            depth[node] = outer
    return depth


def _stacks(g: Any, columns: dict[str, int]) -> list[list[str]]:
    """Nodes per column (0 innermost), in the order of the scenario file."""
    out: list[list[str]] = [[] for _ in range(max([*columns.values(), -1]) + 1)]
    for node in g.nodes:
        if node in columns:
            out[columns[node]].append(node)
    return [s for s in out if s]


def _gap(g: Any, one: list[str], two: list[str]) -> float:
    """Room between two neighbouring columns: enough for the labels of links between them."""
    labels = [
        text_width(_link_label(g.edges[u, v]), SMALL_SIZE, MONO_EM)
        for u in one
        for v in two
        if g.has_edge(u, v)
    ]
    return max([MIN_GAP, *(w + 24 for w in labels)])


@dataclass
class Layout:
    boxes: dict[str, Box]
    left: set[str]
    right: set[str]
    middle: set[str]
    width: float
    height: float
    cx: float  # centre of the middle (the cloud)
    cy: float


def compute_layout(g: Any) -> Layout:
    """Where every box goes, and the picture's size."""
    boxes = {n: _box(n, a) for n, a in g.nodes(data=True)}
    left, right, middle = _sides(g)
    left_stacks = _stacks(g, _columns(g, left))
    right_stacks = _stacks(g, _columns(g, right))
    middle_stack = [n for n in g.nodes if n in middle]
    crossing = any((u in left) != (v in left) and not {u, v} & middle for u, v in g.edges)
    every = [*left_stacks, *right_stacks, *([middle_stack] if middle_stack else [])]

    rows = max([len(s) for s in every] + [1])
    row_h = max([b.block_h for b in boxes.values()] + [44]) + ROW_GAP
    top = ROWS_TOP + (24 if any(len(b.lines) > 1 for b in boxes.values()) else 0)

    tallest = max([b.h for b in boxes.values()] + [0])

    def place_stack(stack: list[str], x: float) -> None:
        for i, node in enumerate(stack):  # box centres of one row on one line
            boxes[node].x = x
            boxes[node].y = top + row_h * ((rows - len(stack)) / 2 + i) + tallest / 2

    # Left to right: outermost left column ... cloud or middle ... outermost right column.
    x = MARGIN + SITE_PAD
    for i, stack in enumerate(reversed(left_stacks)):
        foot = max(boxes[n].footprint for n in stack)
        place_stack(stack, x + foot / 2)
        x += foot
        if i < len(left_stacks) - 1:
            x += _gap(g, stack, list(reversed(left_stacks))[i + 1])
    x += SITE_PAD
    if middle_stack:
        foot = max(boxes[n].footprint for n in middle_stack)
        x += _gap(g, left_stacks[0] if left_stacks else [], middle_stack) - SITE_PAD
        cx = x + foot / 2
        place_stack(middle_stack, cx)
        x += foot + _gap(g, middle_stack, right_stacks[0] if right_stacks else []) - SITE_PAD
    else:
        half = CLOUD_RX + CLOUD_GAP if crossing or right_stacks else 0.0
        cx = x + half
        x += 2 * half
    x += SITE_PAD
    for i, stack in enumerate(right_stacks):
        foot = max(boxes[n].footprint for n in stack)
        place_stack(stack, x + foot / 2)
        x += foot
        if i < len(right_stacks) - 1:
            x += _gap(g, stack, right_stacks[i + 1])
    width = x + SITE_PAD + MARGIN
    bottom = max(b.y - b.h / 2 + b.block_h for b in boxes.values()) if boxes else top
    ys = [b.y for b in boxes.values()] or [top]
    cy = (min(ys) + max(ys)) / 2
    height = max(bottom, cy + 90) + 24
    return Layout(boxes, left, right, middle, width, height, cx, cy)


def layout(g: Any) -> tuple[dict[str, tuple[float, float]], float, float]:
    """Node centres, and the picture's width and height."""
    lay = compute_layout(g)
    return {n: (b.x, b.y) for n, b in lay.boxes.items()}, lay.width, lay.height


def _cloud(cx: float, cy: float) -> str:
    bumps = [(-66, 8, 34), (-28, -16, 40), (20, -20, 42), (62, 2, 36), (22, 22, 36), (-26, 22, 34)]
    circles = "".join(f'<circle cx="{cx + dx:g}" cy="{cy + dy:g}" r="{r}"/>' for dx, dy, r in bumps)
    return f'<g class="cloud">{circles}</g>'


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


def _sites(g: Any, lay: Layout) -> list[str]:
    parts = []
    for site in g.graph.get("sites", []):
        members = [b for n, b in lay.boxes.items() if g.nodes[n].get("site") == site["id"]]
        if not members or all(b.node in lay.middle for b in members):
            continue
        x = min(b.x - b.footprint / 2 for b in members) - SITE_PAD
        x2 = max(b.x + b.footprint / 2 for b in members) + SITE_PAD
        top = min(b.y - b.h / 2 for b in members) - 52
        bottom = max(b.y - b.h / 2 + b.block_h for b in members) + 14
        bottom = max(bottom, lay.cy + 70)
        parts.append(
            f'<g class="site" id="site-{escape(site["id"])}">'
            f'<rect x="{x:g}" y="{top:g}" width="{x2 - x:g}" height="{bottom - top:g}" rx="12"/>'
            + _text((x + x2) / 2, top + 24, site.get("name") or site["id"], "site-name")
            + "</g>"
        )
    return parts


def _state(state: dict[str, dict[str, str]] | None, kind: str, item: str) -> str:
    """Extra CSS classes for a link or tunnel of a live run (" is-cut", " is-down"...)."""
    value = (state or {}).get(kind, {}).get(item)
    return f" is-{escape(value)}" if value else ""


def _links(g: Any, lay: Layout, state: dict[str, dict[str, str]] | None = None) -> list[str]:
    parts, crossing = [], []
    for u, v, a in g.edges(data=True):
        bu, bv = lay.boxes[u], lay.boxes[v]
        if (u in lay.left) != (v in lay.left) and not {u, v} & lay.middle:
            crossing.append(a)
            parts.append(
                f'<path class="link wan{_state(state, "links", a["id"])}" '
                f'd="M{bu.x:g},{bu.y:g} L{lay.cx:g},{lay.cy:g} L{bv.x:g},{bv.y:g}">'
                f"<title>link {escape(a['id'])}</title></path>"
            )
            continue
        parts.append(
            f'<line class="link{_state(state, "links", a["id"])}" '
            f'x1="{bu.x:g}" y1="{bu.y:g}" x2="{bv.x:g}" y2="{bv.y:g}">'
            f"<title>link {escape(a['id'])}</title></line>"
        )
        # Above the middle of the gap between the two boxes (not of the centres).
        first, second = (bu, bv) if bu.x <= bv.x else (bv, bu)
        mid_x = (first.x + first.w / 2 + second.x - second.w / 2) / 2
        if abs(first.x - second.x) < 1:  # one above the other: beside the line
            mid_x = first.x + 8
            parts.append(
                _text(mid_x, (bu.y + bv.y) / 2, _link_label(a), "link-label", text_anchor="start")
            )
        else:
            parts.append(_text(mid_x, (bu.y + bv.y) / 2 - 8, _link_label(a), "link-label"))
    if crossing:
        parts.append(_cloud(lay.cx, lay.cy))
        for i, a in enumerate(crossing):
            parts.append(
                _text(
                    lay.cx, lay.cy + 5 + (i - (len(crossing) - 1) / 2) * 16, a["id"], "cloud-name"
                )
            )
            parts.append(_text(lay.cx, lay.cy + 84 + i * 16, _link_label(a), "link-label"))
    return parts


def _tunnels(g: Any, lay: Layout, state: dict[str, dict[str, str]] | None = None) -> list[str]:
    parts = []
    tunnels = [t for t in g.graph.get("tunnels", []) if t["a"] in g and t["b"] in g]
    for i, t in enumerate(tunnels):
        ba, bb = lay.boxes[t["a"]], lay.boxes[t["b"]]
        y1, y2 = ba.y - ba.h / 2, bb.y - bb.h / 2
        apex = min(y1, y2, lay.cy) - TUNNEL_RISE + 8 - i * 22
        # A quadratic curve reaches half way to its control point: aim twice as high.
        control_y = 2 * apex - (y1 + y2) / 2
        mid_x = (ba.x + bb.x) / 2
        colour = TUNNEL_COLOURS.get(t["kind"], "#d9480f")
        d = f"M{ba.x:g},{y1:g} Q{mid_x:g},{control_y:g} {bb.x:g},{y2:g}"
        parts.append(
            f'<g class="tunnel tunnel-{escape(t["kind"])}{_state(state, "tunnels", t["id"])}" '
            f'id="tunnel-{escape(t["id"])}">'
            f"<title>{escape(t['kind'])} IPsec tunnel {escape(t['id'])}: "
            f"{escape(t['a'])} to {escape(t['b'])}</title>"
            f'<path class="tunnel-pipe" d="{d}" stroke="{colour}"/>'
            f'<path class="tunnel-core" d="{d}"/>'
            + _text(
                mid_x,
                apex - 10,
                f"IPsec tunnel {t['id']} ({t['kind']})",
                "tunnel-label",
                fill=colour,
            )
            + "</g>"
        )
    return parts


def _node(node: str, attrs: dict[str, Any], box: Box, id_prefix: str) -> str:
    fill, stroke, ink = KIND_STYLE.get(attrs.get("kind", ""), KIND_STYLE["router"])
    top = box.y - box.h / 2
    parts = [
        f'<g class="node node-{escape(attrs.get("kind", ""))}" '
        f'id="{id_prefix}-node-{escape(node)}">',
        f'<rect x="{box.x - box.w / 2:g}" y="{top:g}" width="{box.w:g}" height="{box.h:g}" '
        f'rx="8" fill="{fill}" stroke="{stroke}"/>',
    ]
    for i, line in enumerate(box.lines):
        parts.append(_text(box.x, top + 19 + i * LINE_H, line, "node-label", fill=ink))
    parts.append(_text(box.x, top + box.h - 10, box.subtitle, "node-id", fill=ink))
    for i, line in enumerate(box.addresses):
        parts.append(_text(box.x, top + box.h + 18 + i * ADDRESS_H, line, "node-address"))
    parts.append("</g>")
    return "".join(parts)


def render_svg(
    g: Any, *, id_prefix: str = "topology", state: dict[str, dict[str, str]] | None = None
) -> str:
    """The SVG picture of an engine-schema topology graph. `state` (a live run's) maps
    "links" and "tunnels" ids to a word added as an `is-WORD` class; None: a static picture."""
    lay = compute_layout(g)
    title = "Topology: " + " and ".join(s.get("name") or s["id"] for s in g.graph.get("sites", []))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {lay.width:g} {lay.height:g}" '
        f'width="{lay.width:g}" height="{lay.height:g}" '
        f'class="topology" role="img" aria-labelledby="{id_prefix}-title {id_prefix}-desc">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(_describe(g))}</desc>',
        *_sites(g, lay),
        *_links(g, lay, state),
        *_tunnels(g, lay, state),
        *(_node(n, a, lay.boxes[n], id_prefix) for n, a in g.nodes(data=True)),
        "</svg>",
    ]
    return "\n".join(parts)
