"""The topology as a networkx graph, and the paths flows take through it.

Graph schema (what `to_graph` writes and `from_graph` reads back, losslessly):
- graph attributes `sites` and `tunnels`: lists of dicts (spec field names);
- one node per topology node, attributes = the Node spec fields;
- one edge per link, attributes = the Link spec fields (`id`, `a`, `b`, rates...).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import networkx as nx

from .errors import SpecError
from .spec import Link, Node, Site, Topology, Tunnel


def to_graph(topology: Topology) -> Any:
    g = nx.Graph()
    g.graph["sites"] = [dataclasses.asdict(s) for s in topology.sites]
    g.graph["tunnels"] = [dataclasses.asdict(t) for t in topology.tunnels]
    for n in topology.nodes:
        g.add_node(n.id, **dataclasses.asdict(n))
    for link in topology.links:
        if g.has_edge(link.a_node, link.b_node):
            raise SpecError(f"links.{link.id}", "two links join the same pair of nodes")
        g.add_edge(link.a_node, link.b_node, **dataclasses.asdict(link))
    return g


def from_graph(g: Any) -> Topology:
    sites = tuple(Site(**s) for s in g.graph.get("sites", []))
    tunnels = tuple(Tunnel(**t) for t in g.graph.get("tunnels", []))
    nodes = tuple(Node(**attrs) for _, attrs in g.nodes(data=True))
    links = tuple(Link(**attrs) for _, _, attrs in g.edges(data=True))
    return Topology(sites, nodes, links, tunnels)


@dataclass(frozen=True)
class Hop:
    """One node on a path, with the interfaces a packet enters and leaves by."""

    node: str
    in_link: str | None
    out_link: str | None
    in_ifc: str  # nameif, "" for hosts
    out_ifc: str


def _ifc(link: Link, node: str) -> str:
    end = link.a if link.a_node == node else link.b
    return end.split(":", 1)[1] if ":" in end else ""


def path_hops(g: Any, links: dict[str, Link], src: str, dst: str) -> list[Hop]:
    """Shortest path (fewest hops, ties broken by node id) from src to dst as hops."""
    try:
        nodes = nx.shortest_path(g, src, dst)
    except nx.NetworkXNoPath:
        raise SpecError(
            "topology.links", f"no path from {src} to {dst}: the graph is disconnected"
        ) from None
    hops = []
    for i, node in enumerate(nodes):
        in_link = links[g.edges[nodes[i - 1], node]["id"]] if i > 0 else None
        out_link = links[g.edges[node, nodes[i + 1]]["id"]] if i + 1 < len(nodes) else None
        hops.append(
            Hop(
                node,
                in_link.id if in_link else None,
                out_link.id if out_link else None,
                _ifc(in_link, node) if in_link else "",
                _ifc(out_link, node) if out_link else "",
            )
        )
    return hops


def check_connected(g: Any) -> None:
    if g.number_of_nodes() and not nx.is_connected(g):
        parts = sorted(sorted(c) for c in nx.connected_components(g))
        raise SpecError(
            "topology.links",
            f"the graph is disconnected: {' | '.join(', '.join(p) for p in parts)}",
        )
