"""`show running-config [all] [SECTION]`: an `AsaConfig` printed back as ASA config text.

Every command is an `Item` with its place in the ASA's order (configtext.rank) and the
section keyword that selects it; modelled commands are generated from the config, kept
lines are printed verbatim. Reading the printed text with `import_config` gives the same
`AsaConfig` again (the round trip the tests check), provided secrets are not masked:
`show running-config` prints `pre-shared-key *` as the device does, `render(...,
mask=False)` prints the key (what `more system:running-config` would show).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..asaconfig import (
    IPSEC_LIFETIME_DEFAULT_KB,
    IPSEC_LIFETIME_DEFAULT_S,
    LOG_LEVELS,
    AsaConfig,
    Interface,
    TunnelGroup,
)
from ..configtext import RANK_TIMEOUT_CONN, rank
from ..platforms import parse_version
from ..units import S, hms

SECTIONS = (
    "access-list",
    "crypto",
    "domain-name",
    "hostname",
    "interface",
    "logging",
    "route",
    "service",
    "sysopt",
    "timeout",
    "tunnel-group",
)

# `show run all timeout` [V, S0/S15]; the modelled `timeout conn` line is substituted.
TIMEOUT_DEFAULTS = (
    "timeout xlate 3:00:00",
    "timeout pat-xlate 0:00:30",
    "timeout conn",
    "timeout sunrpc 0:10:00 h323 0:05:00 h225 1:00:00 mgcp 0:05:00 mgcp-pat 0:05:00",
    "timeout sip 0:30:00 sip_media 0:02:00 sip-invite 0:03:00 sip-disconnect 0:02:00",
    "timeout sip-provisional-media 0:02:00 uauth 0:05:00 absolute",
    "timeout tcp-proxy-reassembly 0:01:00",
    "timeout floating-conn 0:00:00",
)


@dataclass(frozen=True)
class Item:
    rank: int
    section: str
    lines: tuple[str, ...]


def _section(line: str) -> str:
    head = line.split()[0] if line.split() else ""
    return head if head in SECTIONS else ""


def _hms(secs: int) -> str:
    return hms(secs * S)


def sysopt_lines(cfg: AsaConfig, *, all_: bool) -> list[str]:
    """`show run [all] sysopt`; with all, the seed's exact list (ASA 8.2) [V, S0]."""
    so = cfg.sysopt
    if not all_:
        out = []
        if not so.permit_vpn:
            out.append("no sysopt connection permit-vpn")
        if so.tcpmss != 1380:
            out.append(f"sysopt connection tcpmss {so.tcpmss}")
        if not so.reclassify_vpn:
            out.append("no sysopt connection reclassify-vpn")
        if so.preserve_vpn_flows:
            out.append("sysopt connection preserve-vpn-flows")
        return out
    neg = {True: "", False: "no "}
    out = [
        "no sysopt connection timewait",
        f"sysopt connection tcpmss {so.tcpmss}",
        "sysopt connection tcpmss minimum 0",
        f"{neg[so.permit_vpn]}sysopt connection permit-vpn",
        f"{neg[so.reclassify_vpn]}sysopt connection reclassify-vpn",
        f"{neg[so.preserve_vpn_flows]}sysopt connection preserve-vpn-flows",
        "no sysopt nodnsalias inbound",
        "no sysopt nodnsalias outbound",
        "no sysopt radius ignore-secret",
    ]
    # [U] The seed lists noproxyarp for `outside` only, although its box has three
    # named interfaces; the lab prints it for an interface named outside, as the seed.
    if cfg.interface_by_nameif("outside") is not None:
        out.append("no sysopt noproxyarp outside")
    return out


def timeout_conn_line(cfg: AsaConfig) -> str:
    t = cfg.timeouts
    return (
        f"timeout conn {_hms(t.conn_s)} half-closed {_hms(t.half_closed_s)} "
        f"udp {_hms(t.udp_s)} icmp {_hms(t.icmp_s)}"
    )


def _interface(ifc: Interface) -> tuple[str, ...]:
    lines = [f"interface {ifc.name}"]
    lines += [f" {x}" for x in ifc.extra]
    if ifc.shutdown:
        lines.append(" shutdown")
    lines.append(f" nameif {ifc.nameif}" if ifc.nameif else " no nameif")
    level = ifc.security_level
    lines.append(f" security-level {level}" if level is not None else " no security-level")
    lines.append(f" ip address {ifc.address} {ifc.mask}" if ifc.address else " no ip address")
    lines.append("!")
    return tuple(lines)


def _logging(cfg: AsaConfig) -> list[str]:
    lg = cfg.logging
    out = []
    if lg.enabled:
        out.append("logging enable")
    if lg.timestamp:
        out.append("logging timestamp")
    if lg.buffer_size != 4096:
        out.append(f"logging buffer-size {lg.buffer_size}")
    for what in ("console", "buffered", "trap"):
        level = getattr(lg, what)
        if level is not None:
            out.append(f"logging {what} {LOG_LEVELS[level]}")
    return out


def _crypto(cfg: AsaConfig, *, all_: bool) -> list[Item]:
    ikev1 = parse_version(cfg.version) >= (8, 4)  # [U] 8.4 renamed isakmp to ikev1
    ike = "ikev1" if ikev1 else "isakmp"
    ipsec = "crypto ipsec ikev1" if ikev1 else "crypto ipsec"
    items = []
    lines = [f"{ipsec} transform-set {n} {' '.join(t)}" for n, t in cfg.transform_sets.items()]
    if all_ or cfg.ipsec_lifetime_s != IPSEC_LIFETIME_DEFAULT_S:
        lines.append(f"crypto ipsec security-association lifetime seconds {cfg.ipsec_lifetime_s}")
    if all_ or cfg.ipsec_lifetime_kb != IPSEC_LIFETIME_DEFAULT_KB:
        lines.append(
            f"crypto ipsec security-association lifetime kilobytes {cfg.ipsec_lifetime_kb}"
        )
    items.append(Item(rank("crypto ipsec"), "crypto", tuple(lines)))
    lines = []
    for (name, seq), e in sorted(cfg.crypto_maps.items()):
        head = f"crypto map {name} {seq}"
        if e.match_address:
            lines.append(f"{head} match address {e.match_address}")
        if e.pfs_group is not None:
            lines.append(f"{head} set pfs" + ("" if e.pfs_group == 2 else f" group{e.pfs_group}"))
        if e.peers:
            lines.append(f"{head} set peer {' '.join(e.peers)}")
        if e.transform_sets:
            lines.append(f"{head} set transform-set {' '.join(e.transform_sets)}")
        if e.lifetime_s is not None:
            lines.append(f"{head} set security-association lifetime seconds {e.lifetime_s}")
        if e.lifetime_kb is not None:
            lines.append(f"{head} set security-association lifetime kilobytes {e.lifetime_kb}")
    lines += [f"crypto map {m} interface {i}" for m, i in cfg.crypto_map_interfaces.items()]
    items.append(Item(rank("crypto map"), "crypto", tuple(lines)))
    lines = [f"crypto {ike} enable {i}" for i in cfg.isakmp_enabled]
    for prio in sorted(cfg.isakmp_policies):
        p = cfg.isakmp_policies[prio]
        lines += [
            f"crypto {ike} policy {prio}",
            f" authentication {p.authentication}",
            f" encryption {p.encryption}",
            f" hash {p.hash}",
            f" group {p.group}",
            f" lifetime {p.lifetime_s}",
        ]
        lines += [f" {x}" for x in cfg.sub_extra.get(f"crypto isakmp policy {prio}", [])]
    items.append(Item(rank("crypto isakmp"), "crypto", tuple(lines)))
    return items


def _tunnel_group(cfg: AsaConfig, tg: TunnelGroup, *, all_: bool, mask: bool) -> tuple[str, ...]:
    head = f"tunnel-group {tg.name}"
    lines = []
    if tg.type:
        lines.append(f"{head} type {tg.type}")
    if tg.has_general_attributes:
        lines.append(f"{head} general-attributes")
        lines += [f" {x}" for x in cfg.sub_extra.get(f"{head} general-attributes", [])]
    if tg.has_ipsec_attributes:
        lines.append(f"{head} ipsec-attributes")
        if tg.pre_shared_key:
            lines.append(f" pre-shared-key {'*' if mask else tg.pre_shared_key}")
        if tg.keepalive_disabled:
            lines.append(" isakmp keepalive disable")
        elif all_ or (tg.keepalive_threshold, tg.keepalive_retry) != (10, 2):
            threshold = tg.keepalive_threshold or "infinite"
            lines.append(f" isakmp keepalive threshold {threshold} retry {tg.keepalive_retry}")
        lines += [f" {x}" for x in cfg.sub_extra.get(f"{head} ipsec-attributes", [])]
    return tuple(lines)


def items(cfg: AsaConfig, *, all_: bool = False, mask: bool = True) -> list[Item]:
    out = [Item(rank("hostname"), "hostname", (f"hostname {cfg.hostname}",))]
    if cfg.domain_name:
        out.append(Item(rank("domain-name"), "domain-name", (f"domain-name {cfg.domain_name}",)))
    if cfg.enable_password:
        out.append(Item(rank("enable"), "", (f"enable password {cfg.enable_password}",)))
    out += [Item(rank("interface"), "interface", _interface(i)) for i in cfg.interfaces.values()]
    acl = [line for entries in cfg.access_lists.values() for line in entries]
    out.append(Item(rank("access-list"), "access-list", tuple(acl)))
    out.append(Item(rank("logging"), "logging", tuple(_logging(cfg))))
    out.append(Item(rank("route"), "route", tuple(cfg.routes)))
    if all_:
        kept = {" ".join(x.split()[:2]): x for x in cfg.unmodelled if x.startswith("timeout ")}
        lines = [
            timeout_conn_line(cfg) if d == "timeout conn" else kept.get(" ".join(d.split()[:2]), d)
            for d in TIMEOUT_DEFAULTS
        ]
        out.append(Item(RANK_TIMEOUT_CONN, "timeout", tuple(lines)))
    else:
        out.append(Item(RANK_TIMEOUT_CONN, "timeout", (timeout_conn_line(cfg),)))
    out.append(Item(rank("sysopt"), "sysopt", tuple(sysopt_lines(cfg, all_=all_))))
    svc = cfg.service
    lines = [
        f"service {n}"
        for n, on in (("resetinbound", svc.reset_inbound), ("resetoutside", svc.reset_outside))
        if on
    ]
    if not svc.reset_outbound:
        lines.append("no service resetoutbound")
    out.append(Item(rank("service"), "service", tuple(lines)))
    out += _crypto(cfg, all_=all_)
    for tg in cfg.tunnel_groups.values():
        out.append(
            Item(rank("tunnel-group"), "tunnel-group", _tunnel_group(cfg, tg, all_=all_, mask=mask))
        )
    for kept_line in cfg.unmodelled:
        if all_ and kept_line.startswith("timeout "):
            continue  # already merged into the full timeout list
        out.append(Item(rank(kept_line), _section(kept_line), tuple(kept_line.split("\n"))))
    out.sort(key=lambda item: item.rank)  # stable: same-rank items keep their order
    return out


def render(
    cfg: AsaConfig,
    *,
    all_: bool = False,
    section: str | None = None,
    mask: bool = True,
    platform: str = "asa",
) -> str:
    """The text `show running-config [all] [SECTION]` prints (one line per command)."""
    chosen = items(cfg, all_=all_, mask=mask)
    if section is not None:
        lines = [x for item in chosen if item.section == section for x in item.lines]
        if section == "interface":
            return "".join(x + "\n" for x in lines)
        return "".join(x + "\n" for x in lines if x != "!")
    body: list[str] = []
    for item in chosen:
        body.extend(item.lines)
    name = "PIX" if platform == "pix" else "ASA"
    head = [": Saved", ":", f"{name} Version {cfg.version} ", "!"]
    text = "\n".join(body) + "\n"
    # [U] The real checksum is an MD5 over the device's own encoding; ours is over the text.
    checksum = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
    tail = [f"Cryptochecksum:{checksum}", ": end"]
    return "\n".join(head) + "\n" + text + "\n".join(tail) + "\n"
