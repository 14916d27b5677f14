"""Limits on packet captures (lab.engine.pcap builds a capture in memory, in a thread).

Before a capture starts: its size is bounded by the link's rate times the window, which
must fit LAB_CAPTURE_MAX_BYTES (else the form says how long a window may be), and the
process makes at most LAB_CAPTURES_PER_PROCESS at once, LAB_CAPTURES_PER_ADDRESS per
client address. So memory held by captures stays under about processes x size.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings

from lab.engine.pcap import MAX_WINDOW_US
from lab.engine.spec import parse_scenario
from lab.engine.topology import path_hops, to_graph
from lab.engine.units import S
from lab.live.throttle import Slots

# [U] The pcap of a window holds at most the link's bytes one way plus the ACKs and
# headers the other way: 10 % on top covers both for a download.
OVERHEAD = 1.1


@functools.cache
def slots() -> Slots:
    """This process's capture slots (built on first use, from settings)."""
    return Slots(int(settings.LAB_CAPTURES_PER_PROCESS), int(settings.LAB_CAPTURES_PER_ADDRESS))


def link_load_bps(spec: dict[str, Any], link: str) -> int:
    """An upper bound of the bits a second `link` carries: its rate, or less when the
    flows that cross it are held back by a slower link of their path."""
    scenario = parse_scenario(spec)
    links = {x.id: x for x in scenario.topology.links}
    graph = to_graph(scenario.topology)
    load = 0
    for flow in scenario.flows:
        hops = path_hops(graph, links, flow.client, flow.server)
        path = [h.out_link for h in hops if h.out_link]
        if link in path:
            bottleneck = min(links[x].rate_bps for x in path)
            load += min(bottleneck, flow.rate_bps) if flow.proto == "udp" else bottleneck
    return min(load, links[link].rate_bps) if link in links else 0


def size_problem(spec: dict[str, Any], link: str, window_s: float) -> str:
    """Why a capture of `link` for `window_s` seconds is too big; "" when it fits."""
    if window_s * S > MAX_WINDOW_US:
        return ""  # export_pcap refuses it with its own message
    limit = int(settings.LAB_CAPTURE_MAX_BYTES)
    rate = link_load_bps(spec, link)
    estimate = rate / 8 * window_s * OVERHEAD
    if estimate <= limit or rate == 0:
        return ""
    longest = limit / (rate / 8 * OVERHEAD)
    return (
        f"a {window_s:g} s window of link {link} (up to {rate} bit/s) may hold about "
        f"{estimate / 1e6:.0f} MB; captures are limited to {limit / 1e6:g} MB "
        f"(LAB_CAPTURE_MAX_BYTES): choose a window of at most {longest:.1f} s"
    )
