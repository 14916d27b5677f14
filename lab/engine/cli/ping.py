"""`ping [IF] HOST`: five 100-byte ICMP echos, as the ASA prints them.

Output: `Type escape sequence to abort.` / `Sending 5, 100-byte ICMP Echos to HOST, timeout
is 2 seconds:` / one mark per echo / `Success rate is P percent (n/5), round-trip
min/avg/max = a/b/c ms`, from an ASA's real output (networktocode/ntc-templates,
tests/cisco_asa/ping/cisco_asa_ping.raw; the lab's output parses with its
cisco_asa_ping template). Marks: `!` reply, `.` timeout, as in those captures (they
also show `U` and `Q`, which the lab never has cause to print). The echo the ASA drops
while IKE negotiates times out: `.!!!!` [U: no capture of that moment found; `?`, which
some recall, is not among the marks of the real outputs above].

How the result is computed. The engine does not step echo packets and does not advance
time inside a command, so the answer is read from the path state now: the route and the
crypto lookup of forwarding.meet for a packet from the interface's address, the links'
state and delays. An echo that meets a crypto map without an SA triggers IKE (a real
side effect: the tunnel comes up) and is dropped; the later echos are sent one timeout
(2 s) later and pass if the negotiation's message trips take less than that and the WAN
is up. Across a tunnel the reply comes back to the interface the echo was sourced from,
which the ASA answers only with `management-access IF` configured (command reference:
management access across a VPN tunnel) [P]; without it the echos time out after the
tunnel came up. Round-trip times are the path's link delays, both ways.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from .. import vpn
from ..forwarding import meet
from ..gateway import Gateway
from ..topology import path_hops
from ..tunnels import IKE_MAIN_MODE_MESSAGES, IKE_QUICK_MODE_MESSAGES
from ..units import MS, S
from .grammar import ArgError

if TYPE_CHECKING:
    from ..sim import Simulation

COUNT, SIZE, TIMEOUT_S = 5, 100, 2  # the ASA's defaults (command reference)


def _target(sim: Simulation, host: str) -> tuple[str, str] | None:
    """(node id, interface or "") of the node that owns `host`."""
    for n in sim.nodes.values():
        if n.address == host:
            return n.id, ""
    for gw in sim.gateways.values():
        if gw.cfg is not None:
            for ifc in gw.cfg.interfaces.values():
                if ifc.address == host and ifc.nameif:
                    return gw.id, ifc.nameif
    return None


def _rtt_us(sim: Simulation, src: str, dst: str) -> tuple[int, bool]:
    """Both ways over the path's links, and whether every link is up."""
    if src == dst:
        return 0, True
    hops = path_hops(sim.graph, sim.links, src, dst)
    links = [h.out_link for h in hops if h.out_link]
    return 2 * sum(sim.links[x].delay_us for x in links), all(sim.link_is_up(x) for x in links)


def ping(sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]) -> str:
    assert gw.cfg is not None
    host = args[-1]
    ifc = args[0] if len(args) == 2 else ""
    if ifc and gw.cfg.interface_by_nameif(ifc) is None:
        raise ArgError(1)
    head = (
        "Type escape sequence to abort.\n"
        f"Sending {COUNT}, {SIZE}-byte ICMP Echos to {host}, timeout is {TIMEOUT_S} seconds:\n"
    )
    marks = _marks(sim, gw, ifc, host)
    ok = [r for r in marks if isinstance(r, int)]
    text = "".join("!" if isinstance(r, int) else r for r in marks)
    tail = f"Success rate is {100 * len(ok) // COUNT} percent ({len(ok)}/{COUNT})"
    if ok:
        lo, avg, hi = min(ok), sum(ok) // len(ok), max(ok)
        tail += f", round-trip min/avg/max = {lo}/{avg}/{hi} ms"
    return head + text + "\n" + tail + "\n"


def _marks(sim: Simulation, gw: Gateway, ifc: str, host: str) -> list[int | str]:
    """One entry per echo: the round trip in ms, or the mark printed for a lost echo."""
    assert gw.cfg is not None
    target = _target(sim, host)
    out_ifc_route = meet(sim, gw, ifc or "inside", "icmp", host, 0, host, 0).out_ifc
    source_ifc = ifc or out_ifc_route
    source = gw.address(source_ifc) if source_ifc else ""
    if target is None or not source:
        return ["."] * COUNT  # [U] nobody answers an address the lab does not have
    if target == (gw.id, source_ifc):
        return [1] * COUNT  # [U] the box's own address: 1 ms
    m = meet(sim, gw, source_ifc, "icmp", source, 0, host, 0)
    rtt_us, up = _rtt_us(sim, gw.id, target[0])
    rtt_ms = max(1, -(-rtt_us // MS))
    if m.drop == "no-route":
        return ["."] * COUNT  # [U] no route: nothing leaves
    if m.tunnel is None:
        if not up or _crosses_wan_in_clear(sim, gw, target[0], host):
            return ["."] * COUNT
        return [rtt_ms] * COUNT
    t = m.tunnel
    answered = f"management-access {source_ifc}" in gw.cfg.unmodelled or source_ifc == "outside"
    marks: list[int | str] = []
    sa_at_us = 0 if t.id in gw.sas else None
    if m.triggers_ike:
        vpn.trigger(sim, t, gw.id)
        if sim.wan_up(t):
            messages = IKE_MAIN_MODE_MESSAGES + IKE_QUICK_MODE_MESSAGES
            sa_at_us = messages * t.wan_rtt_us // 2
    elapsed = 0
    for _ in range(COUNT):
        if sa_at_us is None or elapsed < sa_at_us:
            marks.append(".")
            elapsed += TIMEOUT_S * S
        elif up and answered:
            marks.append(rtt_ms)
            elapsed += rtt_us
        else:
            marks.append(".")
            elapsed += TIMEOUT_S * S
    return marks


def _private(host: str) -> bool:
    return ipaddress.IPv4Address(host).is_private


def _crosses_wan_in_clear(sim: Simulation, gw: Gateway, node: str, host: str) -> bool:
    """A private destination reached over the internet in clear is lost there (walk's
    "the internet does not route private addresses")."""
    if not _private(host) or node == gw.id:
        return False
    hops = path_hops(sim.graph, sim.links, gw.id, node)
    wan = {x for t in sim.tunnels.values() for x in t.wan_links}
    return any(h.out_link in wan for h in hops)
