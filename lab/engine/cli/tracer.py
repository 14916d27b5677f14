"""`packet-tracer input IF tcp|udp SRC SPORT DST DPORT [detailed]` (and `icmp SRC TYPE CODE
DST`): the phases a packet meets in this box now, from `forwarding.meet`, the same rules
a real packet meets in `forwarding.walk`.

Output layout: `Phase: N` / `Type:` / `Subtype:` / `Result:` / `Config:` / `Additional
Information:` per phase, then the `Result:` block (input/output interface and status,
`Action:`, `Drop-reason:`), as captured from ASAs in two posts: "What is an error
Subtype:Encrypt Result:Drop" (itknowledgeexchange.techtarget.com, 2017: the VPN encrypt
phase with an empty Config drops while the tunnel is not up, `Drop-reason: (acl-drop) Flow
is denied by configured rule`) and "ASA: Deny IP due to Land Attack" (an ASA 9.5 blog post,
2015: ACCESS-LIST `Implicit Rule`, ROUTE-LOOKUP `Resolve Egress Interface` / `found
next-hop GW using egress ifc  IFC`, NAT `Static translate A/P to A/P`, FLOW-CREATION
`New flow created with id N, packet dispatched to next module`, no FLOW-LOOKUP phase for a
new flow). The 8.x forms (FLOW-LOOKUP `Found no matching flow, creating a new flow`,
ROUTE-LOOKUP `Subtype: input` / `in   NET MASK IFC`, NAT-EXEMPT with the `nat 0` match)
are from memory of 8.x output [P]; `Found flow with id N, using existing flow` [P]; the
`detailed` rule lines are the lab's [U].

Like the real command (Cisco TAC's tunnel checklists run it to bring an L2L tunnel up), a
packet that meets a crypto map with no SA starts IKE [P]; nothing else changes: the
packet is simulated, no conn is built, no counter moves.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from .. import vpn
from ..forwarding import Meet, meet
from ..gateway import Gateway
from .grammar import ArgError

if TYPE_CHECKING:
    from ..sim import Simulation

# Drop-reason texts: the `show asp drop` names and descriptions (Cisco "show asp drop
# command usage"); a VPN encrypt drop prints acl-drop, as the captured output above does.
DROP_REASONS = {
    "no-route": "(no-route) No route to host",
    "tcp-not-syn": "(tcp-not-syn) First TCP packet not SYN",
    "acl-drop": "(acl-drop) Flow is denied by configured rule",
    "ipsec-need-sa": "(acl-drop) Flow is denied by configured rule",
    "interface-down": "(interface-down) Interface is down",
}


def _phase(n: int, kind: str, sub: str, ok: bool, config: list[str], info: list[str]) -> str:
    lines = [
        f"Phase: {n}",
        f"Type: {kind}",
        f"Subtype: {sub}".rstrip(),
        f"Result: {'ALLOW' if ok else 'DROP'}",
        "Config:",
        *config,
        "Additional Information:",
        *info,
    ]
    return "\n".join(lines) + "\n\n"


def _nat_exempt(gw: Gateway, m: Meet, proto: str, packet: tuple[str, int, str, int]) -> list[str]:
    """The 8.2 `nat (IFC) 0 access-list ACL` entry that matches the packet, as `show nat`
    prints it ([U] layout of 8.2's `match ip ... NAT exempt` block)."""
    from ..acl import Resolver, first_match

    assert gw.cfg is not None
    for line in gw.cfg.unmodelled:
        w = line.split()
        if w[:4] != ["nat", f"({m.in_ifc})", "0", "access-list"] or len(w) < 5:
            continue
        acl = gw.cfg.access_lists.get(w[4], [])
        found = first_match(acl, proto, *packet, resolver=Resolver(gw.cfg))
        if found is not None and found[1].action == "permit":
            e = found[1]
            return [
                line,
                f"  match ip {m.in_ifc} {e.src.network_address} {e.src.netmask} "
                f"{m.out_ifc} {e.dst.network_address} {e.dst.netmask}",
                "    NAT exempt",
            ]
    return []


def _nine(gw: Gateway) -> bool:
    """9.x prints the later phase forms [U: where between 8.2 and 9.x they changed]."""
    version = gw.cfg.version if gw.cfg else gw.node.version
    head = version.split(".", 1)[0]
    return head.isdigit() and int(head) >= 9


def _twice_nat(gw: Gateway, packet: tuple[str, int, str, int]) -> list[str]:
    """The 8.3+ twice NAT line that covers the packet, and what it translates it to."""
    from .tables import _objects

    assert gw.cfg is not None
    objects = _objects(gw)
    src, sport, dst, _ = packet
    for line in gw.cfg.unmodelled:
        w = line.split()
        if w[:1] != ["nat"] or len(w) < 9 or w[2:4] != ["source", "static"]:
            continue
        try:
            real = ipaddress.IPv4Network(objects.get(w[4], w[4]), strict=False)
            far = ipaddress.IPv4Network(objects.get(w[8], w[8]), strict=False)
        except ValueError:
            continue
        here = ipaddress.IPv4Address(src)
        if here in real and ipaddress.IPv4Address(dst) in far:
            mapped = objects.get(w[5], w[5])
            to = src if w[4] == w[5] else mapped.split("/")[0]  # [U] a mapped subnet: its base
            return [line, f"Static translate {src}/{sport} to {to}/{sport}"]
    return []


def trace(sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]) -> str:
    assert gw.cfg is not None
    in_ifc = args[0]
    if gw.cfg.interface_by_nameif(in_ifc) is None:
        raise ArgError(2)
    proto = words[3]
    detailed = words[-1] == "detailed"
    if proto == "icmp":  # icmp SRC TYPE CODE DST: the conn key uses 0 for ports [U]
        src, dst, sport, dport = args[1], args[4], 0, 0
    else:
        src, sport, dst, dport = args[1], int(args[2]), args[3], int(args[4])
    m = meet(sim, gw, in_ifc, proto, src, sport, dst, dport)
    nine = _nine(gw)
    phases: list[tuple[str, str, bool, list[str], list[str]]] = []
    if m.conn is not None:
        found = f"Found flow with id {m.conn.id}, using existing flow"
        phases.append(("FLOW-LOOKUP", "", True, [], [found]))
    elif nine:  # the layer-2 rule first, as captured
        phases.append(("ACCESS-LIST", "", True, ["Implicit Rule"], ["MAC Access list"]))
        _route_phase(phases, m, nine)
    else:
        created = "Found no matching flow, creating a new flow"
        phases.append(("FLOW-LOOKUP", "", True, [], [created]))
        _route_phase(phases, m, nine)
    if m.out_ifc and m.conn is None:
        acl_ok = m.drop not in ("acl-drop", "tcp-not-syn")
        inbound = gw.security_level(in_ifc) < gw.security_level(m.out_ifc)
        if not nine or inbound:  # [P] 9.x shows no layer-3 rule for outbound traffic
            phases.append(("ACCESS-LIST", "", acl_ok, ["Implicit Rule"], []))
        packet = (src, sport, dst, dport)
        if acl_ok and nine:
            nat = _twice_nat(gw, packet)
            if nat:
                phases.append(("NAT", "", True, nat[:1], nat[1:]))
        elif acl_ok:
            exempt = _nat_exempt(gw, m, proto, packet)
            if exempt:
                phases.append(("NAT-EXEMPT", "", True, exempt, []))
    reached_vpn = m.out_ifc and m.drop not in ("acl-drop", "tcp-not-syn", "no-route")
    if reached_vpn and m.tunnel is not None and not (m.conn is not None and m.conn.clear):
        phases.append(("VPN", "encrypt", m.encrypt, [], []))  # empty Config, as captured
    if m.conn is None and not m.drop:
        created = f"New flow created with id {gw.next_conn_id}, packet dispatched to next module"
        phases.append(("FLOW-CREATION", "", True, [], [created]))
    out = ["\n"]
    for n, (kind, sub, ok, config, info) in enumerate(phases, start=1):
        if detailed:  # [U] the lab's stand-in for the rule dump of `detailed`
            info = [
                *info,
                " Forward Flow based lookup yields rule:",
                f"  in  id=0x{0x6D000000 + n * 0x1000:08x}, priority={n}, "
                f"domain={kind.lower()}, deny={'false' if ok else 'true'}",
            ]
        out.append(_phase(n, kind, sub, ok, config, info))
    out.append(_result(sim, gw, m))
    if m.triggers_ike:
        assert m.tunnel is not None
        vpn.trigger(sim, m.tunnel, gw.id)  # as the real command does: IKE starts
    return "".join(out)


def _route_phase(
    phases: list[tuple[str, str, bool, list[str], list[str]]], m: Meet, nine: bool
) -> None:
    """8.x: `Subtype: input` / `in   NET MASK IFC` [P, from memory of 8.x]; 9.x: `Subtype:
    Resolve Egress Interface` / `found next-hop GW using egress ifc  IFC` (ASA 9.5 capture,
    see the module docstring)."""
    if not m.out_ifc:
        phases.append(
            ("ROUTE-LOOKUP", "Resolve Egress Interface" if nine else "input", False, [], [])
        )
        return
    net, mask, hop = m.route
    if nine:
        info = f"found next-hop {hop or 'directly connected'} using egress ifc  {m.out_ifc}"
        phases.append(("ROUTE-LOOKUP", "Resolve Egress Interface", True, [], [info]))
    else:
        phases.append(
            ("ROUTE-LOOKUP", "input", True, [], [f"in   {net:<15} {mask:<15} {m.out_ifc}"])
        )


def _status(sim: Simulation, gw: Gateway, nameif: str) -> str:
    ifc = gw.cfg.interface_by_nameif(nameif) if gw.cfg else None
    if ifc is None or ifc.shutdown:
        return "down"
    for link in sim.links.values():
        if f"{gw.id}:{nameif}" in (link.a, link.b) and not sim.link_is_up(link.id):
            return "down"
    return "up"


def _result(sim: Simulation, gw: Gateway, m: Meet) -> str:
    lines = [
        "Result:",
        f"input-interface: {m.in_ifc}",
        f"input-status: {_status(sim, gw, m.in_ifc)}",
        f"input-line-status: {_status(sim, gw, m.in_ifc)}",
    ]
    if m.out_ifc:
        lines += [
            f"output-interface: {m.out_ifc}",
            f"output-status: {_status(sim, gw, m.out_ifc)}",
            f"output-line-status: {_status(sim, gw, m.out_ifc)}",
        ]
    lines.append(f"Action: {'drop' if m.drop else 'allow'}")
    if m.drop:
        lines.append(f"Drop-reason: {DROP_REASONS[m.drop]}")
    return "\n".join(lines) + "\n\n"
