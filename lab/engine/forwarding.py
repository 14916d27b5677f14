"""What happens to one packet on its way: every rule a gateway applies, in one place.

`walk` carries a packet of a flow hop by hop at the current time and returns a Verdict.
At each stateful gateway (ASA, PIX) it looks the flow up in the conn table: only a SYN
(or a UDP datagram) may build a conn (302013/302015); any other TCP segment without a conn
is dropped with 106015 and answered with a RST where the `service reset*` settings say so.
Leaving towards a tunnel peer, the packet is encrypted if this end has an SA; if not, it
triggers IKE and is dropped ("IPSEC SA not negotiated yet"). A conn built while no tunnel
covered the traffic stays in clear until reclassify-vpn moves it (vpn.py).
Walks have side effects (conns built, timers refreshed, syslog): a walk *is* the packet.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import profiles, vpn
from .flows import FlowRun
from .gateway import Conn, Gateway
from .topology import Hop
from .tunnels import TunnelRun

if TYPE_CHECKING:
    from .sim import Simulation

# How the ASA prints the TCP flags of a denied segment in 106015 (reference section 1, P).
FLAGS = {
    "syn": "SYN",
    "synack": "SYN ACK",
    "data": "ACK",
    "ack": "ACK",
    "rst": "RST",
    "fin": "FIN ACK",
}


@dataclass(frozen=True)
class Verdict:
    ok: bool
    where: str = ""
    reason: str = ""
    rst_by: str | None = None  # gateway that answered the sender with a RST
    passed: tuple[str, ...] = ()  # gateways whose conn forwarded the packet


def tunnel_on_path(tunnel: TunnelRun, hops: list[Hop]) -> bool:
    order = [h.node for h in hops]
    a, b = tunnel.spec.a, tunnel.spec.b
    return a in order and b in order and abs(order.index(a) - order.index(b)) >= 1


def tunnel_out(sim: Simulation, hops: list[Hop], index: int) -> TunnelRun | None:
    """The tunnel a packet enters when it leaves hops[index] (the next gateway is the peer)."""
    here = hops[index].node
    for hop in hops[index + 1 :]:
        if hop.node in sim.gateways:
            for t in sim.tunnels.values():
                if {t.spec.a, t.spec.b} == {here, hop.node}:
                    return t
            return None
    return None


def crypto_active(sim: Simulation, gw: Gateway, tunnel: TunnelRun) -> bool:
    """Does this end's config send the peer's traffic into the tunnel (map applied)?"""
    if gw.cfg is None:
        return True
    peer = sim.peer_of(tunnel, gw.id).address("outside")
    entry = gw.cfg.crypto_entry_for_peer(peer)
    return entry is not None and gw.cfg.crypto_map_applied(entry)


def reset_applies(gw: Gateway, in_ifc: str, out_ifc: str) -> bool:
    """Does the ASA answer a denied TCP segment with a RST (S16/S17, reference section 1)?"""
    assert gw.cfg is not None
    svc = gw.cfg.service
    if gw.security_level(in_ifc) > gw.security_level(out_ifc):
        return svc.reset_outbound
    return svc.reset_inbound or (svc.reset_outside and in_ifc == "outside")


def walk(sim: Simulation, flow: FlowRun, direction: str, kind: str) -> Verdict:
    hops = flow.c2s if direction == "c2s" else flow.s2c
    inside_tunnel: TunnelRun | None = None
    clear_into: TunnelRun | None = None  # protected traffic leaving in clear
    passed: list[str] = []
    for i, hop in enumerate(hops):
        gw = sim.gateways.get(hop.node)
        if gw is not None:
            if inside_tunnel is not None:
                if inside_tunnel.id not in gw.sas:
                    gw.asp_drops["vpn-handle-not-found"] += 1
                    return Verdict(False, gw.id, "no inbound SA for this SPI")
                inside_tunnel = None
            out = tunnel_out(sim, hops, i)
            conn = None
            if gw.stateful:
                conn = gw.conns.get(flow.key)
                if conn is None:
                    if flow.is_tcp and kind != "syn":
                        return _deny_no_conn(sim, gw, flow, hop, direction, kind)
                    conn = build_conn(sim, gw, flow, hop, direction)
            if out is not None:
                if not crypto_active(sim, gw, out) or (conn is not None and conn.clear):
                    if conn is not None and conn.tunnel is None:
                        conn.clear = True
                    clear_into = out
                elif out.id in gw.sas:
                    inside_tunnel = out
                    if conn is not None:
                        conn.tunnel = out.id
                else:
                    vpn.trigger(sim, out, gw.id, hop.in_ifc or "inside")
                    gw.asp_drops["ipsec-need-sa"] += 1
                    return Verdict(False, gw.id, "IPSEC SA not negotiated yet")
            if conn is not None:
                forwarded(sim, gw, conn)
                passed.append(gw.id)
        if hop.out_link is not None:
            if not sim.link_is_up(hop.out_link):
                return Verdict(False, hop.out_link, "link down", passed=tuple(passed))
            if clear_into is not None and hop.out_link in clear_into.wan_links:
                why = "sent in clear: the internet does not route private addresses"
                return Verdict(False, hop.out_link, why, passed=tuple(passed))
    return Verdict(True, passed=tuple(passed))


def _deny_no_conn(
    sim: Simulation, gw: Gateway, flow: FlowRun, hop: Hop, direction: str, kind: str
) -> Verdict:
    src, sport, dst, dport = endpoints(sim, flow, direction)
    gw.log(
        sim.now,
        106015,
        src=src,
        sport=sport,
        dst=dst,
        dport=dport,
        flags=FLAGS[kind],
        ifc=hop.in_ifc,
    )
    sim.loop.record("drop", device=gw.id, flow=flow.id, msg=106015, kind=kind)
    gw.asp_drops["tcp-not-syn"] += 1
    rst = gw.id if kind != "rst" and reset_applies(gw, hop.in_ifc, hop.out_ifc) else None
    return Verdict(False, gw.id, "no connection (106015)", rst)


def endpoints(sim: Simulation, flow: FlowRun, direction: str) -> tuple[str, int, str, int]:
    client = sim.nodes[flow.spec.client].address
    server = sim.nodes[flow.spec.server].address
    cport, sport = flow.current.client_port, flow.spec.server_port
    if direction == "c2s":
        return client, cport, server, sport
    return server, sport, client, cport


def build_conn(sim: Simulation, gw: Gateway, flow: FlowRun, hop: Hop, direction: str) -> Conn:
    src, sport, dst, dport = endpoints(sim, flow, direction)
    inbound = gw.security_level(hop.in_ifc) < gw.security_level(hop.out_ifc)
    if inbound:  # the lower-security side is where the packet came in
        o, i = (hop.in_ifc, src, sport), (hop.out_ifc, dst, dport)
    else:
        o, i = (hop.out_ifc, dst, dport), (hop.in_ifc, src, sport)
    conn = Conn(
        id=gw.next_conn_id,
        proto=flow.spec.proto,
        key=flow.key,
        o_ifc=o[0],
        o_addr=o[1],
        o_port=o[2],
        i_ifc=i[0],
        i_addr=i[1],
        i_port=i[2],
        inbound=inbound,
        created_us=sim.now,
        last_us=sim.now,
        bytes_offset=flow.current.transferred(sim.now),
    )
    gw.add_conn(conn)
    msg = 302013 if flow.is_tcp else 302015
    gw.log(
        sim.now,
        msg,
        direction="inbound" if inbound else "outbound",
        **gw.teardown_fields(conn, sim.now, 0),
    )
    sim.loop.record("conn_built", device=gw.id, flow=flow.id, conn=conn.id)
    sim.touch()
    return conn


def forwarded(sim: Simulation, gw: Gateway, conn: Conn) -> None:
    """A packet of this conn passed the box: its idle timer starts again."""
    conn.last_us = sim.now
    if not conn.moving:
        arm_idle(sim, gw, conn)


def arm_idle(sim: Simulation, gw: Gateway, conn: Conn) -> None:
    if conn.timer is not None:
        conn.timer.cancel()
    timeout = gw.timeout_for(conn)
    conn.timer = (
        sim.loop.at(conn.last_us + timeout, _idle_expired, sim, gw, conn) if timeout else None
    )


def _idle_expired(sim: Simulation, gw: Gateway, conn: Conn) -> None:
    if gw.conns.get(conn.key) is not conn or conn.moving:
        return
    reason = "Conn-timeout" if conn.established or conn.proto == "udp" else "SYN Timeout"
    teardown(sim, gw, conn, reason)
    sim.path_changed()


def set_moving(
    sim: Simulation, flow: FlowRun, moving: bool, only: tuple[str, ...] | None = None
) -> None:
    """Data starts or stops passing the conns of the flow's current attempt (at the
    gateways in `only`, when given; the others stop)."""
    for gw in sim.gateways.values():
        conn = gw.conns.get(flow.key)
        here = moving if only is None else gw.id in only
        if conn is None or conn.moving == here:
            continue
        conn.moving = here
        conn.last_us = sim.now
        if here:
            if conn.timer is not None:
                conn.timer.cancel()
                conn.timer = None
        else:
            arm_idle(sim, gw, conn)


def mark_established(sim: Simulation, flow: FlowRun) -> None:
    for gw in sim.gateways.values():
        conn = gw.conns.get(flow.key)
        if conn is not None and not conn.established:
            conn.established = True
            arm_idle(sim, gw, conn)


def conn_bytes(sim: Simulation, conn: Conn) -> int:
    flow = sim.flows[conn.key[0]]
    attempt = flow.attempts[conn.key[1] - 1]
    return max(0, attempt.transferred(sim.now) - conn.bytes_offset)


def teardown(
    sim: Simulation, gw: Gateway, conn: Conn, reason: str, initiator: str | None = None
) -> None:
    """Remove a conn and log why (302014 with a reason; 302016 has none). `initiator`: the
    address whose packet ended the conn (a FIN), printed as its interface on 9.x."""
    if conn.timer is not None:
        conn.timer.cancel()
    del gw.conns[conn.key]
    fields = gw.teardown_fields(conn, sim.now, conn_bytes(sim, conn))
    if conn.proto == "tcp":
        gw.log(sim.now, 302014, reason=reason + _initiated(gw, conn, initiator), **fields)
    else:
        gw.log(sim.now, 302016, **fields)
    sim.loop.record("conn_teardown", device=gw.id, flow=conn.key[0], conn=conn.id, reason=reason)
    sim.touch()


def _initiated(gw: Gateway, conn: Conn, initiator: str | None) -> str:
    """` from inside`: the interface the teardown came in on, on trains that print it.
    [U] Timeouts, `clear conn` and a tunnel teardown are the ASA's own: no suffix."""
    if (
        initiator is None
        or not profiles.for_node(gw.node.version, gw.node.platform).teardown_initiator
    ):
        return ""
    return f" from {conn.o_ifc if initiator == conn.o_addr else conn.i_ifc}"


def close_conns(sim: Simulation, flow: FlowRun, reason: str) -> None:
    """The flow ended with FINs. [U] The server, having sent the last byte, closes first
    (an HTTP/1.0-style download): its side is the teardown's initiator."""
    server = sim.nodes[flow.spec.server].address
    for gw in sim.gateways.values():
        conn = gw.conns.get(flow.key)
        if conn is not None:
            teardown(sim, gw, conn, reason, initiator=server)


# -- what the next packet would meet (packet-tracer) -------------------------------------


@dataclass(frozen=True)
class Meet:
    """What a packet entering `gw` on `in_ifc` meets there now, by the rules `walk` applies
    (conn lookup, the not-SYN rule, encrypt or trigger IKE, a preserved conn's tunnel), as
    packet-tracer reports it. `drop` is the ASP reason name ("" when it passes)."""

    in_ifc: str
    out_ifc: str  # "" when no route leads anywhere
    route: tuple[str, str, str]  # (network, mask, gateway or "") of the route used
    conn: Conn | None  # the conn it belongs to, if one exists
    tunnel: TunnelRun | None  # the tunnel the packet enters when it leaves
    crypto_line: str  # the crypto ACL entry that sends it there
    encrypt: bool  # an SA exists: it leaves encrypted
    drop: str  # no-route | tcp-not-syn | acl-drop | ipsec-need-sa | interface-down | ""
    triggers_ike: bool  # a real packet would start IKE (vpn.trigger)
    out_up: bool  # the output interface's link is up


def route_lookup(gw: Gateway, dst: str) -> tuple[str, tuple[str, str, str]]:
    """(nameif, (network, mask, next hop)) of the longest matching connected or static route."""
    best: tuple[int, str, tuple[str, str, str]] | None = None
    addr = ipaddress.IPv4Address(dst)
    if gw.cfg is None:
        return "", ("", "", "")
    for ifc in gw.cfg.interfaces.values():
        net = ifc.network
        usable = ifc.nameif and net is not None and addr in net and not ifc.shutdown
        if usable and net is not None and (best is None or net.prefixlen > best[0]):
            best = (net.prefixlen, ifc.nameif, (str(net.network_address), ifc.mask, ""))
    for line in gw.cfg.routes:
        w = line.split()
        if len(w) < 5:
            continue
        try:
            net = ipaddress.IPv4Network(f"{w[2]}/{w[3]}", strict=False)
        except ValueError:
            continue
        if addr in net and (best is None or net.prefixlen > best[0]):
            best = (net.prefixlen, w[1], (w[2], w[3], w[4]))
    return ("", ("", "", "")) if best is None else (best[1], best[2])


def find_conn(gw: Gateway, proto: str, src: str, sport: int, dst: str, dport: int) -> Conn | None:
    """The conn a packet of this 5-tuple belongs to, either direction."""
    ends = {(src, sport), (dst, dport)}
    for conn in gw.conns.values():
        if conn.proto == proto and {(conn.o_addr, conn.o_port), (conn.i_addr, conn.i_port)} == ends:
            return conn
    return None


def crypto_tunnel(
    sim: Simulation,
    gw: Gateway,
    out_ifc: str,
    proto: str,
    src: str,
    sport: int,
    dst: str,
    dport: int,
) -> tuple[TunnelRun | None, str]:
    """The tunnel whose crypto map entry (applied to `out_ifc`) matches the packet, and the
    matching ACL entry: the ASA's crypto lookup for traffic leaving that interface."""
    from .acl import Resolver, first_match

    if gw.cfg is None:
        return None, ""
    resolver = Resolver(gw.cfg)  # crypto ACLs may name network objects (8.3+)
    for t in sim.tunnels.values():
        if gw.id not in (t.spec.a, t.spec.b):
            continue
        entry = gw.cfg.crypto_entry_for_peer(sim.peer_of(t, gw.id).address("outside"))
        if entry is None or gw.cfg.crypto_map_interfaces.get(entry.name) != out_ifc:
            continue
        entries = gw.cfg.access_lists.get(entry.match_address, [])
        found = first_match(entries, proto, src, sport, dst, dport, resolver)
        if found is not None and found[1].action == "permit":
            return t, entries[found[0]]
    return None, ""


def meet(
    sim: Simulation,
    gw: Gateway,
    in_ifc: str,
    proto: str,
    src: str,
    sport: int,
    dst: str,
    dport: int,
    *,
    syn: bool = True,
) -> Meet:
    """Pure: what the next packet of this 5-tuple meets at `gw` now (nothing changes).

    The order is `walk`'s: the conn table first (a packet of an existing conn keeps its
    conn, preserved or not); without a conn only a SYN (or a UDP/ICMP packet) builds one,
    from the lower- to the higher-security side only where decrypted VPN traffic is let
    through (sysopt permit-vpn); then, leaving towards a tunnel peer, encrypt if this end
    has an SA, else trigger IKE and drop. A conn built in clear stays in clear."""
    out_ifc, route = route_lookup(gw, dst)
    conn = find_conn(gw, proto, src, sport, dst, dport)
    tunnel, line = crypto_tunnel(sim, gw, out_ifc, proto, src, sport, dst, dport)
    out_up = True
    for link in sim.links.values():
        if f"{gw.id}:{out_ifc}" in (link.a, link.b):
            out_up = sim.link_is_up(link.id)

    def result(drop: str, *, encrypt: bool = False, trigger: bool = False) -> Meet:
        return Meet(in_ifc, out_ifc, route, conn, tunnel, line, encrypt, drop, trigger, out_up)

    if not out_ifc:
        return result("no-route")
    if conn is None and gw.stateful:
        if proto == "tcp" and not syn:
            return result("tcp-not-syn")
        if gw.security_level(in_ifc) < gw.security_level(out_ifc) and not _decrypted(
            sim, gw, in_ifc, proto, src, sport, dst, dport
        ):
            return result("acl-drop")
    if tunnel is not None and not (conn is not None and conn.clear):
        if tunnel.id not in gw.sas:
            return result("ipsec-need-sa", trigger=True)
        return result("" if out_up else "interface-down", encrypt=True)
    return result("" if out_up else "interface-down")


def _decrypted(
    sim: Simulation,
    gw: Gateway,
    in_ifc: str,
    proto: str,
    src: str,
    sport: int,
    dst: str,
    dport: int,
) -> bool:
    """A packet from a tunnel peer's protected network, arriving while this end has the SA,
    came out of the tunnel: sysopt permit-vpn lets it past the interface ACL."""
    assert gw.cfg is not None
    if not gw.cfg.sysopt.permit_vpn:
        return False
    back, _ = crypto_tunnel(sim, gw, in_ifc, proto, dst, dport, src, sport)
    return back is not None and back.id in gw.sas
