"""Minimal but real-format answers for the tables an ASA course looks at: `show access-list`,
`show xlate`, `show local-host`, `show route`, `show nat`, `show crypto isakmp stats`,
`show vpn-sessiondb summary`, and `write memory` / `copy running-config startup-config`.

Formats (cited per function) follow real device outputs in networktocode/ntc-templates
(tests/cisco_asa/<command>/*.raw); the lab's output parses with the cisco_asa template of
each command that has one (tests/engine/test_cli_tools.py).
"""

from __future__ import annotations

import hashlib
import ipaddress
import zlib
from typing import TYPE_CHECKING

from .. import acl, profiles
from ..gateway import Gateway
from ..units import hms
from . import running

if TYPE_CHECKING:
    from ..sim import Simulation


def _major(gw: Gateway) -> int:
    version = gw.cfg.version if gw.cfg else gw.node.version
    try:
        return int(version.split(".", 1)[0])
    except ValueError:
        return 8


def _hash(text: str) -> str:
    """[U] a stable 32-bit number in place of the ASA's rule hash."""
    return f"0x{zlib.crc32(text.encode()):08x}"


def _conn_tuples(sim: Simulation, gw: Gateway) -> list[tuple[str, str, int, str, int]]:
    """(proto, initiator, port, responder, port) of every conn ever built in this box."""
    out = []
    for rec in sim.loop.trace:
        if rec["type"] == "conn_built" and rec["device"] == gw.id:
            f = sim.flows[rec["flow"]]
            client = sim.nodes[f.spec.client].address
            server = sim.nodes[f.spec.server].address
            out.append((f.spec.proto, client, 0, server, f.spec.server_port))
    return out


def show_access_list(
    sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]
) -> str:
    """Layout of cisco_asa_show_access-list.raw (ntc-templates). [U] hitcnt counts the
    conns built through this box that match the entry either way round."""
    assert gw.cfg is not None
    built = _conn_tuples(sim, gw)
    out = [
        "access-list cached ACL log flows: total 0, denied 0 (deny-flow-max 4096)\n",
        "            alert-interval 300\n",
    ]
    for name, entries in gw.cfg.access_lists.items():
        if args and args[0] != name:
            continue
        out.append(f"access-list {name}; {len(entries)} elements; name hash: {_hash(name)}\n")
        for n, line in enumerate(entries, start=1):
            body = line.split(None, 2)[2] if line.startswith("access-list ") else line
            if body.startswith("remark"):
                out.append(f"access-list {name} line {n} {body}\n")
                continue
            if not body.startswith(("extended", "standard")):
                body = f"extended {body}"
            e = acl.parse_entry(body)
            hits = 0
            if e is not None:
                for proto, a, ap, b, bp in built:
                    if e.matches(proto, a, ap, b, bp) or e.matches(proto, b, bp, a, ap):
                        hits += 1
            out.append(f"access-list {name} line {n} {body} (hitcnt={hits}) {_hash(line)}\n")
    return "".join(out)


XLATE_FLAGS = (  # cisco_asa_show_xlate.raw (ntc-templates)
    "Flags: D - DNS, i - dynamic, r - portmap, s - static, I - identity, T - twice\ne - extended\n"
)


def _objects(gw: Gateway) -> dict[str, str]:
    """`object network NAME` -> `A/len` (subnet or host), from the kept lines."""
    assert gw.cfg is not None
    found = {}
    for block in gw.cfg.unmodelled:
        lines = block.split("\n")
        head = lines[0].split()
        if head[:2] == ["object", "network"] and len(head) == 3 and len(lines) > 1:
            w = lines[1].split()
            if w[:1] == ["host"] and len(w) == 2:
                found[head[2]] = w[1]
            elif w[:1] == ["subnet"] and len(w) == 3:
                found[head[2]] = str(ipaddress.IPv4Network(f"{w[1]}/{w[2]}", strict=False))
    return found


def _twice_nats(gw: Gateway) -> list[list[str]]:
    assert gw.cfg is not None
    return [
        line.split()
        for line in gw.cfg.unmodelled
        if line.startswith("nat (") and "," in line.split()[1] and " source " in line
    ]


def show_xlate(sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]) -> str:
    """Layout of cisco_asa_show_xlate.raw (ntc-templates): `N in use, N most used`, the
    8.3+ flag legend, `NAT from IF:A to IF:B` + `flags sT idle ... timeout 0:00:00` for
    each static twice NAT (both ways, as 9.x prints identity NAT) [P]. An 8.2 `nat 0`
    (exemption) builds no xlate."""
    rows = []
    objects = _objects(gw)
    # [U] idle: the least idle conn through the box (the xlate is used by every flow)
    idle = min((c.idle_us(sim.now) for c in gw.conns.values()), default=sim.now)
    for w in _twice_nats(gw):
        if len(w) < 6 or w[3] != "static":
            continue
        ifs = w[1].strip("()").split(",")
        real, mapped = objects.get(w[4], w[4]), objects.get(w[5], w[5])
        pairs = [(ifs[0], real, ifs[1], mapped)]
        if len(w) >= 9 and w[6:8] == ["destination", "static"]:  # the other way too [P]
            pairs.insert(0, (ifs[1], objects.get(w[8], w[8]), ifs[0], objects.get(w[9], w[9])))
        for a, x, b, y in pairs:
            rows.append(f"NAT from {a}:{x} to {b}:{y}\n")
            rows.append(f"    flags sIT idle {hms(idle)} timeout 0:00:00\n")
    n = len(rows) // 2
    legend = XLATE_FLAGS if _major(gw) >= 9 or rows else ""  # [U] 8.2 prints no legend
    return f"{n} in use, {n} most used\n" + legend + "".join(rows)


def show_nat(sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]) -> str:
    """8.3+: `Manual NAT Policies (Section 1)` / `1 (inside) to (outside) source static ...`
    / `    translate_hits = N, untranslate_hits = N` (cisco_asa_show_nat.raw, ntc-templates).
    8.2 `nat (IF) 0 access-list ACL`: `NAT policies on Interface IF:` / `  match ip ...` /
    `    NAT exempt` [U: from memory of 8.2]. Hits: conns built that match [U]."""
    assert gw.cfg is not None
    built = _conn_tuples(sim, gw)
    out: list[str] = []
    twice = _twice_nats(gw)
    if twice:
        out.append("Manual NAT Policies (Section 1)\n")
        objects = _objects(gw)
        for n, w in enumerate(twice, start=1):
            ifs = w[1].strip("()").split(",")
            out.append(f"{n} ({ifs[0]}) to ({ifs[1]}) {' '.join(w[2:])}\n")
            hits = 0
            if len(w) >= 9 and w[6] == "destination":
                src = ipaddress.IPv4Network(objects.get(w[4], "0.0.0.0/0"), strict=False)
                dst = ipaddress.IPv4Network(objects.get(w[8], "0.0.0.0/0"), strict=False)
                hits = sum(
                    1
                    for _, a, _, b, _ in built
                    if ipaddress.IPv4Address(a) in src and ipaddress.IPv4Address(b) in dst
                )
            out.append(f"    translate_hits = {hits}, untranslate_hits = 0\n")
    for line in gw.cfg.unmodelled:
        w = line.split()
        if w[:1] != ["nat"] or w[2:4] != ["0", "access-list"] or len(w) < 5:
            continue
        ifc = w[1].strip("()")
        out.append(f"NAT policies on Interface {ifc}:\n")
        for text in gw.cfg.access_lists.get(w[4], []):
            e = acl.parse_entry(text)
            if e is None:
                continue
            hits = sum(1 for p, a, ap, b, bp in built if e.matches(p, a, ap, b, bp))
            others = [i.nameif for i in gw.cfg.interfaces.values() if i.nameif not in ("", ifc)]
            for other in others:
                out.append(
                    f"  match ip {ifc} {e.src.network_address} {e.src.netmask} "
                    f"{other} {e.dst.network_address} {e.dst.netmask}\n"
                    "    NAT exempt\n"
                    f"    translate_hits = {hits}, untranslate_hits = 0\n"
                )
    return "".join(out)


ROUTE_CODES_8 = (  # [U] the 8.x legend, from memory of 8.2
    "Codes: C - connected, S - static, I - IGRP, R - RIP, M - mobile, B - BGP\n"
    "       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area\n"
    "       N1 - OSPF NSSA external type 1, N2 - OSPF NSSA external type 2\n"
    "       E1 - OSPF external type 1, E2 - OSPF external type 2, E - EGP\n"
    "       i - IS-IS, L1 - IS-IS level-1, L2 - IS-IS level-2, ia - IS-IS inter area\n"
    "       * - candidate default, U - per-user static route, o - ODR\n"
    "       P - periodic downloaded static route\n"
)
ROUTE_CODES_9 = (  # cisco_asa_show_route.raw (ntc-templates)
    "Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP\n"
    "       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area\n"
    "       N1 - OSPF NSSA external type 1, N2 - OSPF NSSA external type 2\n"
    "       E1 - OSPF external type 1, E2 - OSPF external type 2\n"
    "       i - IS-IS, su - IS-IS summary, L1 - IS-IS level-1, L2 - IS-IS level-2\n"
    "       ia - IS-IS inter area, * - candidate default, U - per-user static route\n"
    "       o - ODR, P - periodic downloaded static route, + - replicated route\n"
)


def show_route(sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]) -> str:
    """Legend, `Gateway of last resort ...`, then connected (and 9.x local) and static
    routes, as in cisco_asa_show_route.raw (ntc-templates); 8.x codes column 5 wide [U]."""
    assert gw.cfg is not None
    nine = _major(gw) >= 9
    pad = 9 if nine else 5
    rows = []
    default = None
    for ifc in gw.cfg.interfaces.values():
        net = ifc.network
        if not ifc.nameif or net is None or ifc.shutdown:
            continue
        rows.append(
            f"{'C':<{pad}}{net.network_address} {net.netmask} is directly connected, {ifc.nameif}\n"
        )
        if nine:
            rows.append(
                f"{'L':<{pad}}{ifc.address} 255.255.255.255 is directly connected, {ifc.nameif}\n"
            )
    for line in gw.cfg.routes:
        w = line.split()
        if len(w) < 5:
            continue
        metric = w[5] if len(w) > 5 and w[5].isdigit() else "1"
        code = "S*" if w[2:4] == ["0.0.0.0", "0.0.0.0"] else "S"
        if code == "S*":
            default = w[4]
        rows.append(f"{code:<{pad}}{w[2]} {w[3]} [{metric}/0] via {w[4]}, {w[1]}\n")
    gateway = (
        f"Gateway of last resort is {default} to network 0.0.0.0\n"
        if default
        else "Gateway of last resort is not set\n"
    )
    return (ROUTE_CODES_9 if nine else ROUTE_CODES_8) + "\n" + gateway + "\n" + "".join(rows)


def show_local_host(
    sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]
) -> str:
    """[U] layout of 8.x `show local-host`: per interface the hosts with conns, their flow
    counts and their conns in `show conn` form."""
    assert gw.cfg is not None
    out = []
    for ifc in gw.cfg.interfaces.values():
        if not ifc.nameif:
            continue
        hosts: dict[str, list[str]] = {}
        for c in sorted(gw.conns.values(), key=lambda c: c.id):
            for addr, nameif in ((c.o_addr, c.o_ifc), (c.i_addr, c.i_ifc)):
                if nameif == ifc.nameif:
                    hosts.setdefault(addr, []).append(
                        f"    {c.proto.upper()} {c.o_ifc} {c.o_addr}:{c.o_port} "
                        f"{c.i_ifc} {c.i_addr}:{c.i_port}, idle {hms(c.idle_us(sim.now))}, "
                        f"flags {c.flags(c.tunnel is not None and c.tunnel not in gw.sas)}\n"
                    )
        n = len(hosts)
        out.append(f"Interface {ifc.nameif}: {n} active, {n} maximum active, 0 denied\n")
        for addr, conns in hosts.items():
            tcp = sum(1 for x in conns if x.startswith("    TCP"))
            out += [
                f"local host: <{addr}>,\n",
                f"    TCP flow count/limit = {tcp}/unlimited\n",
                "    TCP embryonic count to host = 0\n",
                "    TCP intercept watermark = unlimited\n",
                f"    UDP flow count/limit = {len(conns) - tcp}/unlimited\n",
                "  Conn:\n",
                *conns,
            ]
    return "".join(out)


def _ike_counts(sim: Simulation, gw: Gateway) -> dict[str, int]:
    """Exchanges, messages and octets of this box's IKE negotiations, from the trace. A
    negotiation that took at least main mode's message trips ran main mode; a shorter one
    (an IKE SA already up: `clear crypto ipsec sa`, a rekey) ran quick mode only [U: one
    resumed after an outage counts as main mode]."""
    from .debug import MAIN_MODE, QUICK_MODE, initiator_of

    keys = ("p1", "ended", "in_pk", "out_pk", "in_oct", "out_oct", "in_p2", "out_p2", "init")
    n = dict.fromkeys(keys, 0)
    started: dict[str, str] = {}
    began: dict[str, int] = {}
    for rec in sim.loop.trace:
        if rec["type"] != "tunnel":
            continue
        t = sim.tunnels[rec["tunnel"]]
        if gw.id not in (t.spec.a, t.spec.b):
            continue
        initiator = initiator_of(t, rec, started) == gw.id
        if rec["state"] == "negotiating":
            began[t.id] = rec["t_us"]
        if rec["state"] != "up":
            continue
        trips = (len(MAIN_MODE) + len(QUICK_MODE)) * (t.wan_rtt_us // 2)
        main = rec["cause"] == "negotiated" and rec["t_us"] - began.get(t.id, 0) >= trips
        messages = (MAIN_MODE if main else ()) + QUICK_MODE
        n["p1"] += main
        n["init"] += main and initiator
        n["out_p2" if initiator else "in_p2"] += 1
        for by_init, _, length in messages:
            way = "out" if by_init == initiator else "in"
            n[f"{way}_pk"] += 1
            n[f"{way}_oct"] += length
    n["ended"] = max(0, n["p1"] - sum(1 for t in sim.tunnels.values() if t.id in gw.ike_up))
    return n


def show_isakmp_stats(
    sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]
) -> str:
    """[P] the counter list of `show crypto isakmp stats` (8.x: "Global IKEv1 Statistics"),
    from memory; counters the lab does not model print 0 [U]."""
    n = _ike_counts(sim, gw)
    rows = [
        ("Active Tunnels", len(gw.ike_up)),
        ("Previous Tunnels", n["ended"]),
        ("In Octets", n["in_oct"]),
        ("In Packets", n["in_pk"]),
        ("In Drop Packets", 0),
        ("In Notifys", 0),
        ("In P2 Exchanges", n["in_p2"]),
        ("In P2 Exchange Invalids", 0),
        ("In P2 Exchange Rejects", 0),
        ("In P2 Sa Delete Requests", 0),
        ("Out Octets", n["out_oct"]),
        ("Out Packets", n["out_pk"]),
        ("Out Drop Packets", 0),
        ("Out Notifys", 0),
        ("Out P2 Exchanges", n["out_p2"]),
        ("Out P2 Exchange Invalids", 0),
        ("Out P2 Exchange Rejects", 0),
        ("Out P2 Sa Delete Requests", 0),
        ("Initiator Tunnels", n["init"]),
        ("Initiator Fails", 0),
        ("Responder Fails", 0),
        ("System Capacity Fails", 0),
        ("Auth Fails", 0),
        ("Decrypt Fails", 0),
        ("Hash Valid Fails", 0),
        ("No Sa Fails", 0),
    ]
    return "\nGlobal IKEv1 Statistics\n" + "".join(f"  {k + ':':<29}{v}\n" for k, v in rows)


def _rule() -> str:
    return "-" * 75 + "\n"


def show_sessiondb_summary(
    sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]
) -> str:
    """The 9.x layout of cisco_asa_show_vpn-sessiondb.raw (ntc-templates), L2L rows [U:
    8.x printed a different summary; capacity 250 is an ASA 5510's]."""
    active = sum(1 for t in sim.tunnels.values() if t.id in gw.ike_up)
    n = _ike_counts(sim, gw)
    cumulative = n["p1"]
    peak = max(active, min(1, cumulative))
    ipsec = sum(1 for t in sim.tunnels.values() if t.id in gw.sas)
    p2 = n["in_p2"] + n["out_p2"]

    def row(name: str, *values: int) -> str:
        cells = " : ".join(f"{v:>{w}}" for v, w in zip(values, (6, 10, 11, 8), strict=False))
        return f"{name:<29}: {cells}\n"

    return "".join(
        [
            _rule(),
            "VPN Session Summary\n",
            _rule(),
            "                               Active : Cumulative : Peak Concur : Inactive\n",
            "                             ----------------------------------------------\n",
            row("Site-to-Site VPN", active, cumulative, peak),
            row("  IKEv1 IPsec", active, cumulative, peak),
            _rule(),
            f"{'Total Active and Inactive':<29}: {active:>6}             "
            f"Total Cumulative : {cumulative:>6}\n",
            f"{'Device Total VPN Capacity':<29}: {250:>6}\n",
            f"{'Device Load':<29}: {100 * active // 250:>5}%\n",
            _rule(),
            _rule(),
            "Tunnels Summary\n",
            _rule(),
            "                               Active : Cumulative : Peak Concurrent\n",
            "                             ----------------------------------------------\n",
            f"{'IKEv1':<29}: {active:>6} : {cumulative:>10} : {peak:>15}\n",
            f"{'IPsec':<29}: {ipsec:>6} : {p2:>10} : {min(1, p2):>15}\n",
            _rule(),
            f"{'Totals':<29}: {active + ipsec:>6} : {cumulative + p2:>10}\n",
            _rule(),
        ]
    )


def write_memory(
    sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]
) -> str:
    """`write memory` / `copy running-config startup-config`: the running config becomes the
    startup config. `Building configuration...` / `Cryptochecksum: 8 8 8 8` (MD5 of the
    config) / `N bytes copied in S secs` / `[OK]` [P: ASA 8.x-9.x output as commonly
    captured; the copy time is the lab's]."""
    assert gw.cfg is not None
    version = gw.node.version or gw.cfg.version
    profile = profiles.for_node(version, gw.node.platform)  # a PIX 6 saves PIX 6 syntax
    text = running.render(gw.cfg, platform=gw.node.platform, profile=profile, version=version)
    digest = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
    gw.tools["startup-config"] = text
    words4 = " ".join(digest[i : i + 8] for i in range(0, 32, 8))
    secs = max(1, len(text) // 20000)  # [U] about 20 kB/s to flash
    return (
        "Building configuration...\n"
        f"Cryptochecksum: {words4} \n\n"
        f"{len(text)} bytes copied in {secs}.{(len(text) // 7) % 1000:03d} secs\n"
        "[OK]\n"
    )


def show_startup(
    sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]
) -> str:
    """`show startup-config`: what `write memory` saved, else the config the box booted
    with (the scenario's text) [U: the `: Saved` header lines are left out]."""
    saved = gw.tools.get("startup-config")
    text = saved if isinstance(saved, str) else gw.node.config
    return text if text.endswith("\n") else text + "\n"
