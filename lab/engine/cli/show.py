"""`show` commands, rendered from the engine state the UI draws (conns, SAs, buffer, config).

Formats follow the reference (../shared/reference/asa.md section 4) where it gives them;
where it does not, the choice is marked [U] beside the code that makes it. Counters come
from sacounters.py (lazily, from the flows' byte counts).
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import acl as acl_mod
from .. import ikestall, profiles, tunnelkinds, vpn
from ..forwarding import conn_bytes
from ..gateway import ASP_DROPS, Conn, Gateway, SideSa, render_log
from ..sacounters import SaTraffic
from ..tunnels import TunnelRun
from ..units import MIN, S, hms
from . import running, show_ikev2
from .grammar import ArgError

if TYPE_CHECKING:
    from ..sim import Simulation

FLOW_DROPS = ("vpn-handle-not-found",)  # the rest of ASP_DROPS are frame drops (reference s1)
VPN_IDLE_TIMEOUT_MIN = 30  # `vpn-idle-timeout` default [V, S8]


def render(
    sim: Simulation, gw: Gateway, action: str, words: tuple[str, ...], args: tuple[str, ...]
) -> str:
    handler = HANDLERS[action]
    return handler(sim, gw, words, args)


def version_of(gw: Gateway) -> str:
    """The software a gateway runs: its node's version (the config's `ASA Version` line
    when the node gives none)."""
    return gw.node.version or (gw.cfg.version if gw.cfg else "")


def profile_of(gw: Gateway) -> profiles.Profile:
    """The software train a gateway runs."""
    return profiles.for_node(version_of(gw), gw.node.platform)


def _tunnels(sim: Simulation, gw: Gateway) -> list[TunnelRun]:
    """This gateway's IPsec tunnels: an AnyConnect session has no IKE or IPsec SA to show."""
    return [
        t
        for t in sim.tunnels.values()
        if gw.id in (t.spec.a, t.spec.b) and tunnelkinds.wording(t).ipsec
    ]


def _peer(sim: Simulation, t: TunnelRun, gw: Gateway) -> str:
    return sim.peer_of(t, gw.id).address("outside")


def _clock(sim: Simulation, t_us: int) -> _dt.datetime:
    return _dt.datetime.fromisoformat(sim.scenario.start_clock) + _dt.timedelta(microseconds=t_us)


def _short(us: int) -> str:
    """`8s`, `2m0s`, `1h0m`: how `show conn detail` prints idle, uptime and timeout."""
    secs = us // S
    if secs >= 3600:
        return f"{secs // 3600}h{secs % 3600 // 60}m"
    if secs >= 60:
        return f"{secs // 60}m{secs % 60}s"
    return f"{secs}s"


# -- running config ----------------------------------------------------------------------


def show_run(sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]) -> str:
    """`show running-config [all] [SECTION [crypto part | NAME]]`."""
    assert gw.cfg is not None
    rest = list(words[2:])
    all_ = rest[:1] == ["all"]
    at = 3 if all_ else 2  # the index of the section word
    rest = rest[1:] if all_ else rest
    section = rest[0] if rest else None
    name = None
    if section == "crypto" and len(rest) > 1:
        section = f"crypto {'isakmp' if rest[1] == 'ikev1' else rest[1]}"
    elif len(rest) > 1:
        name = rest[1]
        if section == "interface" and running.find_interface(gw.cfg, name) is None:
            raise ArgError(at + 1)  # [U] an unknown interface: the caret under its name
    return running.render(
        gw.cfg,
        all_=all_,
        section=section,
        name=name,
        platform=gw.node.platform,
        profile=profile_of(gw),
        version=version_of(gw),
    )


# -- conns -------------------------------------------------------------------------------


def _orphan(gw: Gateway, c: Conn) -> bool:
    return c.tunnel is not None and c.tunnel not in gw.sas


@dataclass(frozen=True)
class ConnQuery:
    """The options of one `show conn` line."""

    count: bool = False
    form: str = ""  # "", detail or long
    protocol: str | None = None
    address: ipaddress.IPv4Network | None = None
    port: int | None = None


def conn_query(words: tuple[str, ...]) -> ConnQuery:
    """Read the options after `show conn`; an option given twice, or `detail` with `long`,
    is refused at that word [U] (the lab's reading of the ASA's one-of-each syntax)."""
    seen: set[str] = set()
    count, form = False, ""
    protocol: str | None = None
    address: ipaddress.IPv4Network | None = None
    port: int | None = None
    i = 2
    while i < len(words):
        w = words[i]
        group = "form" if w in ("detail", "long") else w
        if group in seen:
            raise ArgError(i)
        seen.add(group)
        if w == "count":
            count = True
        elif w in ("detail", "long"):
            form = w
        elif w == "protocol":
            i += 1
            protocol = words[i]
        elif w == "port":
            i += 1
            port = int(words[i])
        elif w == "address":
            i += 1
            host, mask = words[i], "255.255.255.255"
            if words[i + 1 : i + 2] == ("netmask",):
                i += 2
                mask = words[i]
            try:
                address = ipaddress.IPv4Network(f"{host}/{mask}", strict=False)
            except ValueError:
                raise ArgError(i) from None  # not a contiguous netmask
        i += 1
    return ConnQuery(count, form, protocol, address, port)


def _conn_matches(c: Conn, q: ConnQuery) -> bool:
    if q.protocol is not None and c.proto != q.protocol:
        return False
    if q.address is not None and not any(
        ipaddress.IPv4Address(a) in q.address for a in (c.o_addr, c.i_addr)
    ):
        return False
    return q.port is None or q.port in (c.o_port, c.i_port)


def show_conn(sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]) -> str:
    q = conn_query(words)
    conns = sorted(gw.conns.values(), key=lambda c: -c.id)  # [U] newest first
    conns = [c for c in conns if _conn_matches(c, q)]
    head = f"{len(gw.conns)} in use, {gw.most_used} most used.\n"
    if q.count:
        return head
    now = sim.now
    if q.form:
        out = [head, profile_of(gw).conn_legend, "\n"]
        for c in conns:
            out.append(_conn_detail(sim, gw, c, now, long=q.form == "long"))
        return "".join(out)
    lines = [head]
    for c in conns:
        proto = c.proto.upper()
        lines.append(
            f"{proto} {c.o_ifc} {c.o_addr}:{c.o_port} {c.i_ifc} {c.i_addr}:{c.i_port}, "
            f"idle {hms(c.idle_us(now))}, bytes {conn_bytes(sim, c)}, "
            f"flags {c.flags(_orphan(gw, c))}\n"
        )
    return "".join(lines)


def _conn_detail(sim: Simulation, gw: Gateway, c: Conn, now: int, *, long: bool) -> str:
    flags = c.flags(_orphan(gw, c))
    timing = (
        f"idle {_short(c.idle_us(now))}, uptime {_short(now - c.created_us)}, "
        f"timeout {_short(gw.timeout_for(c))}, bytes {conn_bytes(sim, c)}"
    )
    initiator, responder = (c.o_addr, c.i_addr) if c.inbound else (c.i_addr, c.o_addr)
    who = f"  Initiator: {initiator}, Responder: {responder}\n"
    proto = c.proto.upper()
    if long:  # [V, S7]
        return (
            f"{proto} {c.o_ifc}: {c.o_addr}/{c.o_port} ({c.o_addr}/{c.o_port}) "
            f"{c.i_ifc}: {c.i_addr}/{c.i_port} ({c.i_addr}/{c.i_port}), flags {flags} , {timing}\n"
            + who
        )
    return (  # [V, S11]
        f"{proto} {c.o_ifc}: {c.o_addr}/{c.o_port} {c.i_ifc}: {c.i_addr}/{c.i_port},\n"
        f"    flags {flags}, {timing}\n" + who + f"  Connection lookup keyid: {c.id}\n"
    )


# -- crypto ------------------------------------------------------------------------------


def show_isakmp(sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]) -> str:
    """`show crypto isakmp|ikev1 sa [detail]` as the node's train prints it.

    8.4+ [C, Cisco 113597; layout S13]: an `IKEv1 SAs:` section, then the IKEv2 one
    (`show crypto isakmp sa` only; `show crypto ikev1 sa` stops after IKEv1 [U]).
    Before 8.4 there are no section headers; `detail` is the one-line table of
    ntc-templates tests/cisco_asa/show_crypto_ikev1_sa_detail (a real capture) [P].
    """
    prof = profile_of(gw)
    detail = words[-1] == "detail"
    rows = []
    for t in _tunnels(sim, gw):
        state = ikestall.ike_state(sim, t, gw)  # main-mode states by messages received (S13)
        if state is not None:
            rows.append((t, state))
    both = prof.ike_keywords and "isakmp" in words  # `show crypto isakmp sa` on 8.4+
    ikev2 = show_ikev2.render(sim, gw, detail=detail) if both else ""
    if not rows:
        if not prof.ike_keywords:
            return "\nThere are no isakmp sas\n"  # [U]
        return "There are no IKEv1 SAs\n" + ("\n" + ikev2 if ikev2 else "")
    out = ["IKEv1 SAs:\n\n"] if prof.ike_keywords else []
    out += [
        f"   Active SA: {len(rows)}\n",
        "    Rekey SA: 0 (A tunnel will report 1 Active and 1 Rekey SA during rekey)\n",
        f"Total IKE SA: {len(rows)}\n\n",
    ]
    assert gw.cfg is not None
    pol = gw.cfg.isakmp_policies[min(gw.cfg.isakmp_policies)] if gw.cfg.isakmp_policies else None
    if detail and pol is not None and not prof.ike_keywords:
        out.append("IKE Peer      Type  Dir   Rky  State      Encrypt Hash  Auth    Lifetime\n")
        for n, (t, state) in enumerate(rows, start=1):
            role = "Init" if t.initiator == gw.id else "Resp"
            out.append(
                f"{n} {_peer(sim, t, gw)} L2L   {role}  No   {state:<10} "
                f"{pol.encryption:<7} {pol.hash.upper():<5} preshrd {pol.lifetime_s}\n"
            )
        return "".join(out)
    for n, (t, state) in enumerate(rows, start=1):
        role = "initiator" if t.initiator == gw.id else "responder"
        out.append(f"{n}   IKE Peer: {_peer(sim, t, gw)}\n")
        out.append(f"    Type    : {'L2L':<16}Role    : {role}\n")
        out.append(f"    Rekey   : {'no':<16}State   : {state}\n")
        if detail and pol is not None:
            auth = "preshared" if pol.authentication == "pre-share" else pol.authentication
            out.append(f"    Encrypt : {pol.encryption:<16}Hash    : {pol.hash.upper()}\n")
            out.append(f"    Auth    : {auth:<16}Lifetime: {pol.lifetime_s}\n")
            if pol.lifetime_s and t.id in gw.ike_up:
                left = pol.lifetime_s - (sim.now - gw.ike_up[t.id]) // S
                out.append(f"    Lifetime Remaining: {max(0, left)}\n")  # [U]
        out.append("\n")
    out.append(ikev2)
    return "".join(out)


def _proxies(gw: Gateway, acl: str) -> tuple[str, str, str]:
    """(ACL entry line, local ident, remote ident) of a crypto ACL's first protected pair,
    objects and object-groups resolved (the entry then printed with them written out)."""
    assert gw.cfg is not None
    for line, local, remote in acl_mod.protected(gw.cfg, acl):
        shown = line if " object" not in line else acl_mod.spelled(line, local, remote)
        return shown, _ident(local), _ident(remote)
    entries = gw.cfg.access_lists.get(acl, [])
    return (entries[0] if entries else ""), "0.0.0.0/0.0.0.0", "0.0.0.0/0.0.0.0"


def _ident(net: ipaddress.IPv4Network) -> str:
    return f"{net.network_address}/{net.netmask}"


def _iv(transform: tuple[str, ...]) -> int:
    return 16 if any("aes" in x for x in transform) else 8


def replay_bitmap(received: int) -> str:
    """The 64-packet anti-replay window of an inbound SA after `received` packets in order:
    a busy SA shows `0xFFFFFFFF 0xFFFFFFFF` [C, ntc-templates show_crypto_ipsec_sa]."""
    bits = (1 << min(received, 64)) - 1
    return f"0x{bits >> 32:08X} 0x{bits & 0xFFFFFFFF:08X}"


# An outbound SA prints `0x00000000 0x00000001` however busy it is [C, same capture].
OUTBOUND_BITMAP = "0x00000000 0x00000001"


def show_ipsec(sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]) -> str:
    """`show crypto ipsec sa [peer IP]`. The 8.4+ layout is the real 9.x capture in
    ntc-templates tests/cisco_asa/show_crypto_ipsec_sa (second block) [C]; before 8.4 the
    lines that capture's older first block lacks are left out (ports on the endpoints,
    PMTU/ICMP lines, `SA State`, `current inbound spi`, `no compression`) [P]."""
    assert gw.cfg is not None
    prof = profile_of(gw)
    new = prof.ike_keywords
    peer_filter = args[0] if "peer" in words else None
    blocks = []
    for t in _tunnels(sim, gw):
        sa = gw.sas.get(t.id)
        peer = _peer(sim, t, gw)
        if sa is None or (peer_filter and peer != peer_filter):
            continue
        entry = gw.cfg.crypto_entry_for_peer(peer)
        map_name = entry.name if entry else ""
        ifc = gw.cfg.crypto_map_interfaces.get(map_name, "outside")
        acl_line, local, remote = _proxies(gw, entry.match_address if entry else "")
        raw = vpn.sa_traffic(sim, t, gw)
        n = raw - sa.zeroed
        transform = tuple(sa.keys_out.transform) if sa.keys_out is not None else ()
        secs_left = max(0, sa.lifetime_s - (sim.now - sa.created_us) // S)
        # The kB budget is spent per direction [C, the capture's two SAs differ].
        left_in = f"({max(0, sa.lifetime_kb - raw.bytes_in // 1024)}/{secs_left})"
        left_out = f"({max(0, sa.lifetime_kb - raw.bytes_out // 1024)}/{secs_left})"
        out, inn = n.pkts_out, n.pkts_in
        pfs = f"PFS Group {entry.pfs_group}, " if entry and entry.pfs_group else ""
        ike = ("IKEv2, " if t.version == 2 else "IKEv1, ") if new else ""  # reference section 4
        settings = f"{{L2L, Tunnel, {pfs}{ike}}}"
        conn_id = (sa.ctx_in & 0xFFFF) << 8  # [U] a stable number derived from the context
        local_addr = gw.address(ifc)
        port = "/500" if new else ""
        sa_lines = []
        for direction, spi, left, bitmap in (
            ("inbound", sa.spi_in, left_in, replay_bitmap(raw.pkts_in)),
            ("outbound", sa.spi_out, left_out, OUTBOUND_BITMAP),
        ):
            sa_lines += [
                f"    {direction} esp sas:\n",
                f"      spi: 0x{spi:08X} ({spi})\n",
                "         SA State: active\n" if new else "",
                f"         transform: {' '.join(transform)}{' no compression' if new else ''}\n",
                f"         in use settings ={settings}\n",
                f"         slot: 0, conn_id: {conn_id}, crypto-map: {map_name}\n",
                f"         sa timing: remaining key lifetime (kB/sec): {left}\n",
                f"         IV size: {_iv(transform)} bytes\n",
                "         replay detection support: Y\n",
                "         Anti replay bitmap:\n",
                f"          {bitmap}\n",
            ]
        tfc = ["      #TFC rcvd: 0, #TFC sent: 0\n"] if prof.tfc else []
        icmp = ["      #Valid ICMP Errors rcvd: 0, #Invalid ICMP Errors rcvd: 0\n"] if new else []
        tail = (
            [
                "      PMTU time remaining (sec): 0, DF policy: copy-df\n",
                "      ICMP error validation: disabled, TFC packets: disabled\n"
                if prof.tfc
                else "      ICMP error validation: disabled\n",  # [U] 8.4 without TFC
            ]
            if new
            else []
        )
        inbound_spi = [f"      current inbound spi : {sa.spi_in:08X}\n"] if new else []
        blocks.append(
            "".join(
                [
                    f"interface: {ifc}\n",
                    f"    Crypto map tag: {map_name}, seq num: {entry.seq if entry else 0}, "
                    f"local addr: {local_addr}\n\n",
                    f"      {acl_line}\n" if acl_line else "",
                    f"      local ident (addr/mask/prot/port): ({local}/0/0)\n",
                    f"      remote ident (addr/mask/prot/port): ({remote}/0/0)\n",
                    f"      current_peer: {peer}\n\n",
                    f"      #pkts encaps: {out}, #pkts encrypt: {out}, #pkts digest: {out}\n",
                    f"      #pkts decaps: {inn}, #pkts decrypt: {inn}, #pkts verify: {inn}\n",
                    "      #pkts compressed: 0, #pkts decompressed: 0\n",
                    f"      #pkts not compressed: {out}, #pkts comp failed: 0, "
                    "#pkts decomp failed: 0\n",
                    "      #pre-frag successes: 0, #pre-frag failures: 0, #fragments created: 0\n",
                    "      #PMTUs sent: 0, #PMTUs rcvd: 0, "
                    "#decapsulated frgs needing reassembly: 0\n",
                    *tfc,
                    *icmp,
                    "      #send errors: 0, #recv errors: 0\n\n",
                    f"      local crypto endpt.: {local_addr}{port}, "
                    f"remote crypto endpt.: {peer}{port}\n",
                    "      path mtu 1500, ipsec overhead 74(44), media mtu 1500\n"
                    if new
                    else "      path mtu 1500, ipsec overhead 74, media mtu 1500\n",
                    *tail,
                    f"      current outbound spi: {sa.spi_out:08X}\n",
                    *inbound_spi,
                    "\n",
                    *sa_lines,
                ]
            )
        )
    if not blocks:
        return "There are no ipsec sas\n"  # [U]
    return "\n".join(blocks)


def show_vpnctx(sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]) -> str:
    detail = words[-1] == "detail"
    out = []
    for group, t in enumerate(_tunnels(sim, gw), start=1):
        sa = gw.sas.get(t.id)
        if sa is None:
            continue
        n = vpn.sa_traffic(sim, t, gw) - sa.zeroed
        flag = "+PRESERVE" if sa.preserve else ""
        for kind, ctx, spi, pkts in (
            ("DECR", sa.ctx_in, sa.spi_in, n.pkts_in),
            ("ENCR", sa.ctx_out, sa.spi_out, n.pkts_out),
        ):
            ptr = 0x6DE60000 + (ctx & 0xFFFF)  # [U] pointers: stable numbers from the context
            if not detail:  # [V, S0]
                out.append(
                    f"VPN CTX=0x{ctx:08X}, Ptr=0x{ptr:08X}, {kind}+ESP{flag}, UP, "
                    "pk=0000000000, rk=0000000000, gc=0\n"
                )
                continue
            out.append(  # [V, S8]; VPN Filter text when none is set [U]
                f"VPN CTX  = 0x{ctx:08X}\n\n"
                f"Peer IP  = {_peer(sim, t, gw)}\n"
                f"Pointer  = 0x{ptr:08X}\n"
                "State    = UP\n"
                f"Flags    = {kind}+ESP{flag}\n"
                f"SA       = 0x{0x0DAC0000 + (ctx & 0xFFFF):08X}\n"
                f"SPI      = 0x{spi:08X}\n"
                f"Group    = {group}\n"
                f"Pkts     = {pkts}\n"
                "Bad Pkts = 0\n"
                "Bad SPI  = 0\n"
                "Spoof    = 0\n"
                "Bad Crypto = 0\n"
                "Rekey Pkt  = 0\n"
                "Rekey Call = 0\n"
                "VPN Filter = <none>\n\n"
            )
    return "".join(out)


SESSIONDB_VALUE = 23  # a left-hand value is padded to 23 characters [C, the 9.x capture]


def _pair(left: str, right: str) -> str:
    """Two `Label : value` fields on one line, the right one after the left value padded
    to 23 characters (`Index        : 26386                  IP Addr      : ...`)."""
    width = max(left.index(": ") + 2 + SESSIONDB_VALUE, len(left) + 1)
    return f"{left:<{width}}{right}\n"


def _login(when: _dt.datetime) -> str:
    """`07:30:58 UTC Mon Nov 7 2022`: the day of the month is not zero-padded [C]."""
    return when.strftime("%H:%M:%S UTC %a %b ") + f"{when.day} {when.year}"


def _cipher(transform: tuple[str, ...]) -> tuple[str, str]:
    enc = {"esp-aes-256": "AES256", "esp-aes-192": "AES192", "esp-aes": "AES128"}
    enc |= {"esp-3des": "3DES", "esp-des": "DES", "esp-null": "none"}
    hashes = {"esp-sha-hmac": "SHA1", "esp-md5-hmac": "MD5", "esp-none": "none"}
    hashes |= {"esp-sha-256-hmac": "SHA256", "esp-sha-384-hmac": "SHA384"}  # IKEv2 proposals
    hashes |= {"esp-sha-512-hmac": "SHA512"}
    e = next((enc[x] for x in transform if x in enc), "none")
    h = next((hashes[x] for x in transform if x in hashes), "none")
    return e, h


IKE_CIPHERS = {"aes-256": "AES256", "aes-192": "AES192", "aes": "AES128", "3des": "3DES"}
IKE_CIPHERS |= {"des": "DES"}
IKE_HASHES = {"sha": "SHA1", "md5": "MD5"}


def _session(
    sim: Simulation, gw: Gateway, t: TunnelRun
) -> tuple[str, SideSa | None, str, str, SaTraffic, int]:
    """What `show vpn-sessiondb` reads of one session (LAN-to-LAN or remote access): the
    peer, its SA, the SA's cipher and hash names, its traffic, and when it came up."""
    peer = _peer(sim, t, gw)
    sa = gw.sas.get(t.id)
    transform = tuple(sa.keys_out.transform) if sa and sa.keys_out is not None else ()
    enc, hsh = _cipher(transform)
    return peer, sa, enc, hsh, vpn.session_traffic(sim, t, gw), gw.ike_up[t.id]


def show_sessiondb(
    sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]
) -> str:
    """`show vpn-sessiondb [detail] l2l`, laid out as a real 9.x capture (ntc-templates
    tests/cisco_asa/show_vpn-sessiondb_detail_l2l/..._l2l4.raw) [C]: the `Detailed` title,
    value columns 23 wide, `IKEv2: (1)AES256  IPsec...: (1)...` cipher lines, a blank line
    before the tunnel counts, `PFS Group` beside `Encapsulation`. 8.x print `IKE` where
    8.4+ print `IKEv1`, and one `Encryption`/`Hashing` line [P]."""
    assert gw.cfg is not None
    prof = profile_of(gw)
    detail = "detail" in words
    out = [f"\nSession Type: LAN-to-LAN{' Detailed' if detail else ''}\n\n"]
    pol = gw.cfg.isakmp_policies[min(gw.cfg.isakmp_policies)] if gw.cfg.isakmp_policies else None
    v1_enc = IKE_CIPHERS.get(pol.encryption, "3DES") if pol else "3DES"
    v1_hash = IKE_HASHES.get(pol.hash, "SHA1") if pol else "SHA1"
    index = 0
    for t in _tunnels(sim, gw):
        if t.id not in gw.ike_up or t.spec.kind != "l2l":  # remote access is not LAN-to-LAN
            continue
        index += 1
        peer, sa, enc, hsh, total, started = _session(sim, gw, t)
        login = _login(_clock(sim, started))
        dur = (sim.now - started) // S
        ike = "IKEv2" if t.version == 2 else "IKEv1" if prof.ike_keywords else "IKE"
        ike_enc, ike_hash = show_ikev2.sessiondb_ciphers(t) if t.version == 2 else (v1_enc, v1_hash)
        out += [
            f"Connection   : {peer}\n",
            _pair(f"Index        : {index}", f"IP Addr      : {peer}"),
            f"Protocol     : {ike} IPsec\n",
        ]
        if prof.ike_keywords:
            ipsec_enc = f"  IPsec: (1){enc}" if sa else ""
            ipsec_hash = f"  IPsec: (1){hsh}" if sa else ""
            out += [
                f"Encryption   : {ike}: (1){ike_enc}{ipsec_enc}\n",
                f"Hashing      : {ike}: (1){ike_hash}{ipsec_hash}\n",
            ]
        else:
            out.append(_pair(f"Encryption   : {enc}", f"Hashing      : {hsh}"))
        out += [
            _pair(f"Bytes Tx     : {total.bytes_out}", f"Bytes Rx     : {total.bytes_in}"),
            f"Login Time   : {login}\n",
            f"Duration     : {dur // 3600}h:{dur % 3600 // 60:02d}m:{dur % 60:02d}s\n",
        ]
        if not detail:
            out.append("\n")
            continue
        ike_life = gw.cfg.ike_lifetime_s()
        ike_left = max(0, ike_life - dur) if ike_life else 0
        if t.version == 2:
            out += [f"\nIKEv2 Tunnels: 1\nIPsec Tunnels: {1 if sa else 0}\n\n"]
            out += show_ikev2.sessiondb_ike(sim, gw, t, index)
        else:
            out += [
                f"\n{ike} Tunnels: 1\n",
                f"IPsec Tunnels: {1 if sa else 0}\n\n",
                f"{ike}:\n",
                f"  Tunnel ID    : {index}.1\n",
                _pair("  UDP Src Port : 500", "UDP Dst Port : 500"),
                _pair("  IKE Neg Mode : Main", "Auth Mode    : preSharedKeys"),
                _pair(f"  Encryption   : {ike_enc}", f"Hashing      : {ike_hash}"),
                _pair(
                    f"  Rekey Int (T): {ike_life} Seconds",
                    f"Rekey Left(T): {ike_left} Seconds",
                ),
                f"  D/H Group    : {gw.cfg.ike_group()}\n\n",
            ]
        if sa is not None:
            n = vpn.sa_traffic(sim, t, gw)
            entry = gw.cfg.crypto_entry_for_peer(peer)
            _, local, remote = _proxies(gw, entry.match_address if entry else "")
            age = (sim.now - sa.created_us) // S
            used_kb = (t.carried(sim.now) - sa.bytes_at_create) // 1024
            idle_us = 0 if t.rate_bps else sim.now - max(t.settled_at, sa.created_us)
            idle_min = idle_us // MIN
            out += [
                "IPsec:\n",
                f"  Tunnel ID    : {index}.2\n",
                f"  Local Addr   : {local}/0/0\n",
                f"  Remote Addr  : {remote}/0/0\n",
                _pair(f"  Encryption   : {enc}", f"Hashing      : {hsh}"),
                _pair("  Encapsulation: Tunnel", f"PFS Group    : {entry.pfs_group}")
                if entry and entry.pfs_group
                else "  Encapsulation: Tunnel\n",
                _pair(
                    f"  Rekey Int (T): {sa.lifetime_s} Seconds",
                    f"Rekey Left(T): {max(0, sa.lifetime_s - age)} Seconds",
                ),
                _pair(
                    f"  Rekey Int (D): {sa.lifetime_kb} K-Bytes",
                    f"Rekey Left(D): {max(0, sa.lifetime_kb - used_kb)} K-Bytes",
                ),
                _pair(
                    f"  Idle Time Out: {VPN_IDLE_TIMEOUT_MIN} Minutes",
                    f"Idle TO Left : {max(0, VPN_IDLE_TIMEOUT_MIN - idle_min)} Minutes",
                ),
                _pair(f"  Bytes Tx     : {n.bytes_out}", f"Bytes Rx     : {n.bytes_in}"),
                _pair(f"  Pkts Tx      : {n.pkts_out}", f"Pkts Rx      : {n.pkts_in}"),
                "\n",
            ]
    if index == 0:
        return "INFO: There are presently no active sessions of the type specified\n"  # [U]
    return "".join(out)


# -- logging, asp drop, box ----------------------------------------------------------------


def show_logging(
    sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]
) -> str:
    """Header [V, S8]; lines we do not model print `disabled` [U]."""
    assert gw.cfg is not None
    lg = gw.cfg.logging

    def level(value: int | None, what: str, count: int | None) -> str:
        if value is None:
            return f"    {what} logging: disabled\n"
        tail = "" if count is None else f", {count} messages logged"
        return f"    {what} logging: level {_level_name(value)}{tail}\n"

    out = [
        f"Syslog logging: {'enabled' if lg.enabled else 'disabled'}\n",
        "    Facility: 20\n",
        f"    Timestamp logging: {'enabled' if lg.timestamp else 'disabled'}\n",
        "    Standby logging: disabled\n",
        "    Debug-trace logging: disabled\n",
        level(lg.console, "Console", 0),
        "    Monitor logging: disabled\n",
        level(lg.buffered, "Buffer", gw.logged),
        "    Trap logging: disabled\n"
        if lg.trap is None
        else f"    Trap logging: level {_level_name(lg.trap)}, facility 20, 0 messages logged\n",
        "    History logging: disabled\n",
        "    Device ID: disabled\n",
        "    Mail logging: disabled\n",
        "    ASDM logging: disabled\n",
    ]
    out += [render_log(gw, line) + "\n" for line in gw.buffer]
    return "".join(out)


def _level_name(value: int) -> str:
    from ..asaconfig import LOG_LEVELS

    return LOG_LEVELS[value]


def show_aspdrop(
    sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]
) -> str:
    """Frame drops, then flow drops: `  reason (name)` and the count right-aligned to column
    80 [C, ntc-templates tests/cisco_asa/show_asp_drop, a real capture]; a label too long
    for that gets one space before its count [U]."""
    which = words[-1] if words[-1] in ("frame", "flow") else None
    cleared = (
        "Never"
        if gw.asp_cleared_us is None
        else _clock(sim, gw.asp_cleared_us).strftime("%H:%M:%S UTC %b %d %Y") + " by enable_15"
    )
    out = []
    for title, kinds in (("Frame", "frame"), ("Flow", "flow")):
        if which not in (None, kinds):
            continue
        rows = [
            (f"{ASP_DROPS[name]} ({name})", count)
            for name, count in sorted(gw.asp_drops.items())
            if count and (name in FLOW_DROPS) == (kinds == "flow")
        ]
        out.append(f"\n{title} drop:\n")
        out += [f"  {label} {count:>{max(77 - len(label), 1)}}\n" for label, count in rows]
        out.append(f"\nLast clearing: {cleared}\n")
    return "".join(out)


def _uptime(secs: int) -> str:
    days, hours, mins = secs // 86400, secs % 86400 // 3600, secs % 3600 // 60
    if days:
        return f"{days} day{'s' * (days != 1)} {hours} hour{'s' * (hours != 1)}"
    if hours:
        return f"{hours} hour{'s' * (hours != 1)} {mins} min{'s' * (mins != 1)}"
    return f"{mins} min{'s' * (mins != 1)} {secs % 60} sec{'s' * (secs % 60 != 1)}"


def show_version(
    sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]
) -> str:
    """The whole `show version`, laid out as the real 9.5 capture in ntc-templates
    tests/cisco_asa/show_version [C]; hardware, dates, MAC addresses, serial number and
    licence values are the lab's own [U] (a PIX prints the same layout [U])."""
    prof = profile_of(gw)
    version = version_of(gw)
    pix = gw.node.platform == "pix"
    product = "Cisco PIX Firewall" if pix else "Cisco Adaptive Security Appliance Software"
    digits = "".join(c for c in version if c.isdigit())
    image = prof.image.format(v=digits)
    ifcs = list(gw.cfg.interfaces.values()) if gw.cfg else []
    serial = f"JMX{zlib.crc32(gw.name.encode()) % 10**8:08d}"  # [U] stable per device
    ports = []
    for i, ifc in enumerate(ifcs):
        mac = f"0019.e8{i:02x}.{zlib.crc32(ifc.name.encode()) & 0xFFFF:04x}"  # [U]
        ports.append(f"{i:2d}: Ext: {ifc.name:<20}: address is {mac}, irq {9 + i % 3}\n")
    features = (
        ("Maximum Physical Interfaces", "Unlimited" if not pix else "6"),
        ("Maximum VLANs", "100"),
        ("Inside Hosts", "Unlimited"),
        ("Failover", "Active/Active"),
        ("VPN-DES", "Enabled"),
        ("VPN-3DES-AES", "Enabled"),
        ("Security Contexts", "2"),
        ("GTP/GPRS", "Disabled"),
        ("Other VPN Peers", "250"),
        ("Total VPN Peers", "250"),
    )
    return "".join(
        [
            f"\n{product} Version {version}\n",
            f"Device Manager Version {prof.asdm}\n\n",
            f"Compiled on {prof.compiled} by builders\n",
            f'System image file is "disk0:/{image}"\n',
            'Config file at boot was "startup-config"\n\n',
            f"{gw.name} up {_uptime(sim.now // S)}\n\n",
            f"Hardware:   {prof.hardware}\n",
            "Internal ATA Compact Flash, 256MB\n",
            "BIOS Flash M50FW016 @ 0xfff00000, 2048KB\n\n",
            *ports,
            "\nLicensed features for this platform:\n",
            *[f"{name:<34}: {value}\n" for name, value in features],
            f"\nSerial Number: {serial}\n",
            "Configuration has not been modified since last system restart.\n",
        ]
    )


def show_ifbrief(
    sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]
) -> str:
    """[U] column layout from memory of ASA 8.x; two real captures in ntc-templates
    (tests/cisco_asa/show_interface_ip_brief) disagree on the header's `OK?` and the
    protocol padding, and its template reads this layout."""
    assert gw.cfg is not None
    out = [f"{'Interface':<27}{'IP-Address':<16}OK? Method Status                Protocol\n"]
    for ifc in gw.cfg.interfaces.values():
        link_up = True
        for link_id, link in sim.links.items():
            if ifc.nameif and f"{gw.id}:{ifc.nameif}" in (link.a, link.b):
                link_up = sim.link_cuts[link_id] == 0
        if ifc.shutdown:
            status, proto = "administratively down", "down"
        else:
            status = proto = "up" if link_up else "down"
        address = ifc.address or "unassigned"
        method = "CONFIG" if ifc.address else "unset"
        out.append(f"{ifc.name:<27}{address:<16}YES {method:<7}{status:<22}{proto}\n")
    return "".join(out)


def show_clock(sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]) -> str:
    when = _clock(sim, sim.now)  # the day is not zero-padded [C, as in `_login`]
    return (
        when.strftime("%H:%M:%S.")
        + f"{when.microsecond // 1000:03d} UTC "
        + when.strftime("%a %b ")
        + f"{when.day} {when.year}\n"
    )


HANDLERS = {
    "show.run": show_run,
    "show.conn": show_conn,
    "show.isakmp": show_isakmp,
    "show.ikev2": show_ikev2.show,
    "show.ipsec": show_ipsec,
    "show.vpnctx": show_vpnctx,
    "show.sessiondb": show_sessiondb,
    "show.logging": show_logging,
    "show.aspdrop": show_aspdrop,
    "show.version": show_version,
    "show.ifbrief": show_ifbrief,
    "show.clock": show_clock,
}
