"""`show running-config [all] [SECTION [NAME]]`: an `AsaConfig` printed back as ASA config text.

Every command is an `Item` with its place in the ASA's order (configtext.rank) and the
section keyword that selects it; modelled commands are generated from the config, kept
lines are printed verbatim. Reading the printed text with `import_config` gives the same
`AsaConfig` again (the round trip the tests check), provided secrets are not masked:
`show running-config` prints `pre-shared-key *` as the device does, `render(...,
mask=False)` prints the key (what `more system:running-config` would show).

`all` adds the defaults an ASA 8.2 prints for the sections the lab models. The sysopt and
timeout lists are the seed's own [V, S0/S15]; the tunnel-group attributes follow a real
`show run all` of a later release [P]; the other defaults are our best reading of 8.2 and
are marked [U] where they are listed. A default is left out when the config holds a kept
line that sets the same thing (`logging facility 23` replaces `logging facility 20`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from .. import pix6
from ..asaconfig import (
    IPSEC_LIFETIME_DEFAULT_KB,
    IPSEC_LIFETIME_DEFAULT_S,
    LOG_LEVELS,
    AsaConfig,
    Interface,
    TunnelGroup,
)
from ..configtext import RANK_TIMEOUT_CONN, RANK_UNKNOWN, known_rank, rank
from ..profiles import Profile, for_node
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

# [U] `show run all logging` on 8.2, apart from the modelled lines (None: the modelled line
# goes here). `Facility: 20` is verified in `show logging` [V, S8]; the rest is our reading.
LOGGING_DEFAULTS: tuple[str | None, ...] = (
    None,  # logging enable
    None,  # logging timestamp
    "no logging hide username",
    "no logging standby",
    "no logging debug-trace",
    None,  # logging buffer-size
    None,  # logging console
    "no logging monitor",
    None,  # logging buffered
    None,  # logging trap
    "no logging asdm",
    "no logging history",
    "no logging mail",
    "logging facility 20",
    "logging queue 512",
    "no logging device-id",
    "no logging flash-bufferwrap",
    "logging flash-maximum-allocation 3076",
    "logging flash-minimum-free 4000",
    "no logging permit-hostdown",
)

# [U] `show run all crypto` lines after the ISAKMP policies: 8.2 defaults (NAT-T is on
# with a 20 s keepalive since 7.2(1); identity auto; the rest off).
ISAKMP_DEFAULTS = (
    "crypto {ike} identity auto",
    "crypto {ike} nat-traversal 20",
    "no crypto {ike} ipsec-over-tcp",
    "no crypto {ike} disconnect-notify",
    "no crypto {ike} am-disable",
)

# [P] the attributes a real `show run all tunnel-group` prints for an L2L group (a 9.x
# sample, with its `ikev1 ` and `ikev2` lines mapped back to the 8.2 commands).
GENERAL_DEFAULTS = ("no accounting-server-group", "default-group-policy DfltGrpPolicy")
IPSEC_DEFAULTS = ("peer-id-validate req", "no chain", "no trust-point")
DEFAULT_L2L = "DefaultL2LGroup"


@dataclass(frozen=True)
class Item:
    rank: int
    section: str  # the `show running-config` keyword that selects it; `crypto map` etc.
    lines: tuple[str, ...]
    name: str = ""  # what `show running-config SECTION NAME` matches (interface, ACL, group)


def _section(line: str) -> str:
    words = line.split()
    head = words[0] if words else ""
    if head == "crypto" and len(words) > 1:
        return f"crypto {'isakmp' if words[1] == 'ikev1' else words[1]}"
    return head if head in SECTIONS else ""


def _hms(secs: int) -> str:
    return hms(secs * S)


def _key(line: str, n: int) -> tuple[str, ...]:
    words = line.split()
    return tuple(words[1:] if words[:1] == ["no"] else words)[:n]


def _defaults(lines: Iterable[str], kept: Iterable[str], n: int) -> list[str]:
    """Default lines, less those a kept line already sets (same first `n` words)."""
    taken = {_key(x, n) for x in kept}
    return [x for x in lines if _key(x, n) not in taken]


def sysopt_lines(cfg: AsaConfig, *, all_: bool, profile: Profile | None = None) -> list[str]:
    """`show run [all] sysopt`; with all, the seed's exact list (ASA 8.2) [V, S0], less
    `preserve-vpn-flows` on a train that lacks it (before 8.0(4))."""
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
    if not (profile or for_node(cfg.version)).preserve_vpn_flows:
        out = [x for x in out if not x.endswith("preserve-vpn-flows")]
    kept = [x for x in cfg.unmodelled if _section(x) == "sysopt"]
    return _defaults(out, kept, 4)


def timeout_conn_line(cfg: AsaConfig, profile: Profile | None = None) -> str:
    """9.5+ print `sctp` between udp and icmp [C, reference "Versions and formats"]."""
    t = cfg.timeouts
    sctp = f" sctp {_hms(t.sctp_s)}" if (profile or for_node(cfg.version)).timeout_sctp else ""
    return (
        f"timeout conn {_hms(t.conn_s)} half-closed {_hms(t.half_closed_s)} "
        f"udp {_hms(t.udp_s)}{sctp} icmp {_hms(t.icmp_s)}"
    )


def _interface(ifc: Interface, *, all_: bool) -> tuple[str, ...]:
    """One interface block, without the `!` lines around it."""
    lines = [f"interface {ifc.name}"]
    if all_ and ifc.name.lower().startswith(("ethernet", "gigabitethernet", "management")):
        # [U] 8.2 prints the auto speed and duplex of a physical port under `all`; the
        # routing-protocol defaults it also prints (ospf, pim, igmp) are left out.
        lines += _defaults((" speed auto", " duplex auto"), ifc.extra, 1)
    # `management-only` comes last in the block [C, a real 8.2(1) config, Server Fault
    # "Configuring a Cisco ASA 5505 for routing"]; the other kept lines come first.
    last = [x for x in ifc.extra if x.split()[:1] == ["management-only"]]
    lines += [f" {x}" for x in ifc.extra if x not in last]
    if ifc.shutdown:
        lines.append(" shutdown")
    lines.append(f" nameif {ifc.nameif}" if ifc.nameif else " no nameif")
    level = ifc.security_level
    lines.append(f" security-level {level}" if level is not None else " no security-level")
    lines.append(f" ip address {ifc.address} {ifc.mask}" if ifc.address else " no ip address")
    lines += [f" {x}" for x in last]
    return tuple(lines)


def _logging(cfg: AsaConfig, *, all_: bool) -> list[str]:
    lg = cfg.logging
    levels = (("console", lg.console), ("buffered", lg.buffered), ("trap", lg.trap))
    if not all_:
        out = ["logging enable"] if lg.enabled else []
        out += ["logging timestamp"] if lg.timestamp else []
        out += [f"logging buffer-size {lg.buffer_size}"] if lg.buffer_size != 4096 else []
        out += [f"logging {w} {LOG_LEVELS[v]}" for w, v in levels if v is not None]
        return out
    modelled = [
        "logging enable" if lg.enabled else "no logging enable",
        "logging timestamp" if lg.timestamp else "no logging timestamp",
        f"logging buffer-size {lg.buffer_size}",
        *[
            f"logging {w} {LOG_LEVELS[v]}" if v is not None else f"no logging {w}"
            for w, v in levels
        ],
    ]
    values = iter(modelled)
    lines = [next(values) if d is None else d for d in LOGGING_DEFAULTS]
    kept = {_key(x, 2) for x in cfg.unmodelled if _section(x) == "logging"}
    return [x for x in lines if x in modelled or _key(x, 2) not in kept]


def _crypto(cfg: AsaConfig, profile: Profile, *, all_: bool) -> list[Item]:
    ikev1 = profile.ike_keywords  # 8.4 renamed isakmp to ikev1 [C, Cisco 113597]
    ike = profile.ike
    ipsec = "crypto ipsec ikev1" if ikev1 else "crypto ipsec"
    set_ts = "set ikev1 transform-set" if ikev1 else "set transform-set"
    kept = [x for x in cfg.unmodelled if x.startswith("crypto ")]
    items = []
    # 8.4+ end each transform-set line with a space [C, ntc-templates
    # tests/cisco_asa/show_running-config_ipsec, a 9.x capture]; 8.x as the seed prints it.
    end = " " if ikev1 else ""
    lines = [f"{ipsec} transform-set {n} {' '.join(t)}{end}" for n, t in cfg.transform_sets.items()]
    for prop in cfg.ikev2_proposals.values():  # [V] Cisco 115935's ASA configuration
        lines.append(f"crypto ipsec ikev2 ipsec-proposal {prop.name}")
        lines += [f" protocol esp encryption {' '.join(prop.encryption)}"] * bool(prop.encryption)
        lines += [f" protocol esp integrity {' '.join(prop.integrity)}"] * bool(prop.integrity)
    # A config that spells out the defaults keeps them (a real 8.2(1) config prints both:
    # Server Fault "Configuring a Cisco ASA 5505 for routing" [C]; the seed's 8.2 sample
    # has neither, so a config without them prints none) [P].
    shown = cfg.shown_lifetimes
    if all_ or "seconds" in shown or cfg.ipsec_lifetime_s != IPSEC_LIFETIME_DEFAULT_S:
        lines.append(f"crypto ipsec security-association lifetime seconds {cfg.ipsec_lifetime_s}")
    if all_ or "kilobytes" in shown or cfg.ipsec_lifetime_kb != IPSEC_LIFETIME_DEFAULT_KB:
        lines.append(
            f"crypto ipsec security-association lifetime kilobytes {cfg.ipsec_lifetime_kb}"
        )
    if profile.ipsec_pmtu_aging:  # [P] a line every 9.x config shows
        pmtu = "crypto ipsec security-association pmtu-aging infinite"
        lines += _defaults([pmtu], kept, 4)
    items.append(Item(rank("crypto ipsec"), "crypto ipsec", tuple(lines)))
    lines = []
    for (name, seq), e in sorted(cfg.crypto_maps.items()):
        head = f"crypto map {name} {seq}"
        if e.match_address:
            lines.append(f"{head} match address {e.match_address}")
        if e.pfs_group is not None:
            lines.append(f"{head} set pfs" + ("" if e.pfs_group == 2 else f" group{e.pfs_group}"))
        # `all`: the defaults and their order of a real 9.x `show run all crypto map`
        # [C, ntc-templates tests/cisco_asa/show_running-config_all_crypto_map]; an entry
        # without its own SA lifetimes prints none there [C]; 8.x spellings [P].
        if all_:
            lines += _defaults([f"{head} set connection-type bidirectional"], kept, 6)
        if e.peers:
            lines.append(f"{head} set peer {' '.join(e.peers)}")
        if all_:
            phase1 = f"{head} set {'ikev1 ' if ikev1 else ''}phase1-mode main"
            lines += _defaults([phase1], kept, 7)
        if e.transform_sets:
            lines.append(f"{head} {set_ts} {' '.join(e.transform_sets)}")
        if e.ikev2_proposals:
            lines.append(f"{head} set ikev2 ipsec-proposal {' '.join(e.ikev2_proposals)}")
        if all_ and ikev1:
            lines += _defaults([f"{head} set ikev2 mode tunnel"], kept, 7)
        if e.lifetime_s is not None:
            lines.append(f"{head} set security-association lifetime seconds {e.lifetime_s}")
        if e.lifetime_kb is not None:
            lines.append(f"{head} set security-association lifetime kilobytes {e.lifetime_kb}")
        if all_ and profile.tfc:
            lines += _defaults([f"no {head} set tfc-packets"], kept, 6)
    lines += [f"crypto map {m} interface {i}" for m, i in cfg.crypto_map_interfaces.items()]
    items.append(Item(rank("crypto map"), "crypto map", tuple(lines)))
    lines = []
    for prio in sorted(cfg.ikev2_policies):  # [V] order of a real 9.x `show run crypto ikev2`
        q = cfg.ikev2_policies[prio]
        lines += [
            f"crypto ikev2 policy {prio}",
            f" encryption {' '.join(q.encryption)}",
            f" integrity {' '.join(q.integrity)}",
            f" group {' '.join(str(g) for g in q.group)}",
            f" prf {' '.join(q.prf)}",
            f" lifetime seconds {q.lifetime_s}",
        ]
    for ifc in cfg.ikev2_enabled:
        extra = cfg.ikev2_enable_extra.get(ifc)
        lines.append(f"crypto ikev2 enable {ifc}" + (f" {extra}" if extra else ""))
    # [U] IKEv2 before IKEv1, as real 9.x configs print them
    items.append(Item(rank("crypto isakmp"), "crypto ikev2", tuple(lines)))
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
    if all_:
        same = [x.replace(" ikev1 ", " isakmp ") for x in kept]
        defaults = [d.format(ike="isakmp") for d in ISAKMP_DEFAULTS]
        lines += [x.replace(" isakmp ", f" {ike} ") for x in _defaults(defaults, same, 3)]
    items.append(Item(rank("crypto isakmp"), "crypto isakmp", tuple(lines)))
    return items


def _tunnel_group(
    cfg: AsaConfig, tg: TunnelGroup, profile: Profile, *, all_: bool, mask: bool
) -> tuple[str, ...]:
    head = f"tunnel-group {tg.name}"
    lines = []
    if tg.type:
        lines.append(f"{head} type {tg.type}")
    general = cfg.sub_extra.get(f"{head} general-attributes", [])
    if tg.has_general_attributes or all_:
        lines.append(f"{head} general-attributes")
        if all_:
            lines += [f" {x}" for x in _defaults(GENERAL_DEFAULTS, general, 1)]
        lines += [f" {x}" for x in general]
    if tg.has_ipsec_attributes or all_:
        extra = cfg.sub_extra.get(f"{head} ipsec-attributes", [])
        lines.append(f"{head} ipsec-attributes")
        # 8.x `pre-shared-key *` [C, the seed]; 8.4+ `ikev1 pre-shared-key *****` [C,
        # ntc-templates tests/cisco_asa/show_run_tunnel-group, a 9.x capture]
        psk = f" {profile.ike + ' ' if profile.ike_keywords else ''}pre-shared-key"
        if tg.pre_shared_key:
            lines.append(f"{psk} {profile.psk_mask if mask else tg.pre_shared_key}")
        elif all_:
            lines.append(f" no{psk}")
        for side, key in (("remote", tg.ikev2_remote_psk), ("local", tg.ikev2_local_psk)):
            if key:  # [V] a real 9.x `sh run tunnel-group`: remote, then local; masked *****
                shown_key = profile.psk_mask if mask else key
                lines.append(f" ikev2 {side}-authentication pre-shared-key {shown_key}")
        if all_:
            lines += [f" {x}" for x in _defaults(IPSEC_DEFAULTS, extra, 1)]
        if tg.keepalive_disabled:
            lines.append(" isakmp keepalive disable")
        elif all_ or (tg.keepalive_threshold, tg.keepalive_retry) != (10, 2):
            threshold = tg.keepalive_threshold or "infinite"
            lines.append(f" isakmp keepalive threshold {threshold} retry {tg.keepalive_retry}")
        lines += [f" {x}" for x in extra]
    return tuple(lines)


def _service(cfg: AsaConfig, *, all_: bool) -> list[str]:
    svc = cfg.service
    if not all_:
        lines = [
            f"service {n}"
            for n, on in (("resetinbound", svc.reset_inbound), ("resetoutside", svc.reset_outside))
            if on
        ]
        if not svc.reset_outbound:
            lines.append("no service resetoutbound")
        return lines
    # [U] the 8.2 order and the global (not per-interface) form of the reset services
    lines = [
        f"{'' if on else 'no '}service {n}"
        for n, on in (
            ("resetinbound", svc.reset_inbound),
            ("resetoutbound", svc.reset_outbound),
            ("resetoutside", svc.reset_outside),
        )
    ]
    kept = [x for x in cfg.unmodelled if _section(x) == "service"]
    return lines + _defaults(["service password-recovery"], kept, 2)


def items(
    cfg: AsaConfig, *, all_: bool = False, mask: bool = True, profile: Profile | None = None
) -> list[Item]:
    profile = profile or for_node(cfg.version)
    out = [Item(rank("hostname"), "hostname", (f"hostname {cfg.hostname}",))]
    if cfg.domain_name:
        out.append(Item(rank("domain-name"), "domain-name", (f"domain-name {cfg.domain_name}",)))
    if cfg.enable_password:
        out.append(Item(rank("enable"), "", (f"enable password {cfg.enable_password}",)))
    for ifc in cfg.interfaces.values():  # each block follows a `!`, and a `!` ends the last
        block = ("!", *_interface(ifc, all_=all_))
        out.append(Item(rank("interface"), "interface", block, ifc.name))
    if cfg.interfaces:
        out.append(Item(rank("interface"), "", ("!",)))
    for name, entries in cfg.access_lists.items():
        out.append(Item(rank("access-list"), "access-list", tuple(entries), name))
    out.append(Item(rank("logging"), "logging", tuple(_logging(cfg, all_=all_))))
    out.append(Item(rank("route"), "route", tuple(cfg.routes)))
    if all_:
        kept = {" ".join(x.split()[:2]): x for x in cfg.unmodelled if x.startswith("timeout ")}
        lines = [
            timeout_conn_line(cfg, profile)
            if d == "timeout conn"
            else kept.get(" ".join(d.split()[:2]), d)
            for d in TIMEOUT_DEFAULTS
        ]
        out.append(Item(RANK_TIMEOUT_CONN, "timeout", tuple(lines)))
    else:
        out.append(Item(RANK_TIMEOUT_CONN, "timeout", (timeout_conn_line(cfg, profile),)))
    out.append(Item(rank("sysopt"), "sysopt", tuple(sysopt_lines(cfg, all_=all_, profile=profile))))
    out.append(Item(rank("service"), "service", tuple(_service(cfg, all_=all_))))
    out += _crypto(cfg, profile, all_=all_)
    groups = list(cfg.tunnel_groups.values())
    if all_ and DEFAULT_L2L not in cfg.tunnel_groups:
        # [U] the ASA also prints DefaultRAGroup and DefaultWEBVPNGroup; the lab has no
        # remote access and shows only the L2L default group (the one it falls back to).
        groups.insert(0, TunnelGroup(DEFAULT_L2L, type="ipsec-l2l"))
    for tg in groups:
        group = _tunnel_group(cfg, tg, profile, all_=all_, mask=mask)
        out.append(Item(rank("tunnel-group"), "tunnel-group", group, tg.name))
    place = RANK_UNKNOWN  # a command the rank table does not know stays where it was read
    for kept_line in cfg.unmodelled:
        found = known_rank(kept_line)
        place = place if found is None else found
        if all_ and kept_line.startswith("timeout "):
            continue  # already merged into the full timeout list
        words = kept_line.split()
        name = words[1] if len(words) > 1 and words[0] in ("access-list", "tunnel-group") else ""
        block = tuple(kept_line.split("\n"))
        out.append(Item(place, _section(kept_line), block, name))
    out.sort(key=lambda item: item.rank)  # stable: same-rank items keep their order
    return out


def find_interface(cfg: AsaConfig, name: str) -> Interface | None:
    """An interface by nameif, or by its hardware name, abbreviated or not (`e0/0`)."""
    return cfg.interface_by_nameif(name) or cfg.interface_by_hardware(name)


def render(
    cfg: AsaConfig,
    *,
    all_: bool = False,
    section: str | None = None,
    name: str | None = None,
    mask: bool = True,
    platform: str = "asa",
    profile: Profile | None = None,
    version: str = "",
) -> str:
    """The text `show running-config [all] [SECTION [NAME]]` prints (one line per command).

    `section` may be two words (`crypto map`); `name` picks one interface (its name or
    nameif; the caller checks it exists), access list or tunnel group.
    """
    chosen = items(cfg, all_=all_, mask=mask, profile=profile)
    if section is not None:
        if section == "interface" and name is not None:
            ifc = find_interface(cfg, name)
            name = ifc.name if ifc is not None else name
        picked = [
            item
            for item in chosen
            if (item.section == section or item.section.startswith(section + " "))
            and (name is None or item.name == name)
        ]
        lines = [x for item in picked for x in item.lines]
        if (profile or for_node(cfg.version)).syntax == "pix6":
            lines = pix6.to_pix(lines, cfg, mask=mask, sysopt=section == "sysopt")
        if section == "interface":  # [U] each block after a `!`, as in the full config
            return "".join(x + "\n" for x in lines)
        return "".join(x + "\n" for x in lines if x != "!")
    body: list[str] = []
    for item in chosen:
        body.extend(item.lines)
    if (profile or for_node(cfg.version)).syntax == "pix6":
        body = pix6.to_pix(body, cfg, mask=mask)
    name_ = "PIX" if platform == "pix" else "ASA"
    head = [": Saved", ":", f"{name_} Version {version or cfg.version} ", "!"]
    if (profile or for_node(cfg.version)).syntax == "pix6":
        head.pop()  # PIX 6 configs have no `!` lines
    text = "\n".join(body) + "\n"
    # [U] The real checksum is an MD5 over the device's own encoding; ours is over the text.
    checksum = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
    tail = [f"Cryptochecksum:{checksum}", ": end"]
    return "\n".join(head) + "\n" + text + "\n".join(tail) + "\n"
