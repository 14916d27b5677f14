"""An ASA's running configuration as data, and the importer that reads config text into it.

Theory of operation: `AsaConfig` holds only what the lab simulates (interfaces, crypto,
timeouts, sysopt, logging, reset services); every other line is kept verbatim in
`unmodelled` so `show running-config` can print it again. `import_config` reads text the
way `show running-config` prints it (sub-mode lines indented) and reports warnings (lines
kept but not simulated) and errors (lines refused, with the reason) by line number.
`apply_line` is the single place a config line changes an `AsaConfig`; the interactive CLI
and the UI's buttons both end up here.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from .units import S, parse_hms

LOG_LEVELS = (
    "emergencies",
    "alerts",
    "critical",
    "errors",
    "warnings",
    "notifications",
    "informational",
    "debugging",
)

# Cisco: IPsec SA lifetime 120..2147483647 s (S0 prints the maximum as a typo, 214783647).
IPSEC_LIFETIME_MIN_S = 120
IPSEC_LIFETIME_MAX_S = 2_147_483_647
IPSEC_LIFETIME_DEFAULT_S = 28_800  # S19
IPSEC_LIFETIME_DEFAULT_KB = 4_608_000  # S19
IPSEC_LIFETIME_KB_MIN = 10  # [U] reference section 5
IKE_LIFETIME_DEFAULT_S = 86_400  # S0/S8
IKE_LIFETIME_MIN_S = 120  # [U] reference section 5; 0 means infinite (S0)
TIMEOUT_CONN_MIN_S = 300  # conn and half-closed: at least 5 min, 0:0:0 disables (S15)
DPD_THRESHOLD_RANGE = (10, 3600)  # [U] reference section 5
DPD_RETRY_RANGE = (2, 10)  # [U] reference section 5
# `show running-config` masks pre-shared keys (`*` on 8.x, `*****` on 9.x). A masked key
# cannot be read back, so an imported config gets this placeholder instead, the same on
# both ends, and the tunnel still comes up (the import warns about it).
MASKED_PSK_PLACEHOLDER = "masked-key-placeholder"
PFS_GROUPS: tuple[str, ...] = ("group1", "group2", "group5", "group14", "group15", "group16")
PFS_GROUPS += ("group19", "group20", "group21", "group24")


def is_masked(key: str) -> bool:
    return bool(key) and set(key) == {"*"}


def _split_ifname(name: str) -> tuple[str, str]:
    """`ethernet0/1` -> (`ethernet`, `0/1`)."""
    cut = next((i for i, c in enumerate(name) if c.isdigit()), len(name))
    return name[:cut], name[cut:]


class ConfigLineError(ValueError):
    """A config line the device refuses; the message is the device's own error text."""


@dataclass
class Interface:
    name: str
    nameif: str = ""
    security_level: int | None = None
    address: str = ""
    mask: str = ""
    shutdown: bool = False
    extra: list[str] = field(default_factory=list)  # speed, duplex, ... kept verbatim

    @property
    def network(self) -> ipaddress.IPv4Network | None:
        if not self.address:
            return None
        return ipaddress.IPv4Network(f"{self.address}/{self.mask}", strict=False)


@dataclass
class IsakmpPolicy:
    priority: int
    authentication: str = "pre-share"
    encryption: str = "3des"
    hash: str = "sha"
    group: int = 2
    lifetime_s: int = IKE_LIFETIME_DEFAULT_S  # 0: never expires


@dataclass
class Ikev2Policy:
    """`crypto ikev2 policy N` (8.4+). Each attribute lists the proposals in order."""

    priority: int
    encryption: list[str] = field(default_factory=lambda: ["aes-256"])  # [U] shown defaults
    integrity: list[str] = field(default_factory=lambda: ["sha"])
    group: list[int] = field(default_factory=lambda: [2])
    prf: list[str] = field(default_factory=lambda: ["sha"])
    lifetime_s: int = IKE_LIFETIME_DEFAULT_S


@dataclass
class Ikev2Proposal:
    """`crypto ipsec ikev2 ipsec-proposal NAME` with its `protocol esp ...` lines."""

    name: str
    encryption: list[str] = field(default_factory=list)
    integrity: list[str] = field(default_factory=list)


@dataclass
class CryptoMapEntry:
    name: str
    seq: int
    match_address: str = ""
    peers: list[str] = field(default_factory=list)
    transform_sets: list[str] = field(default_factory=list)
    ikev2_proposals: list[str] = field(default_factory=list)
    lifetime_s: int | None = None
    lifetime_kb: int | None = None
    pfs_group: int | None = None


@dataclass
class TunnelGroup:
    name: str
    type: str = ""
    pre_shared_key: str = ""
    keepalive_threshold: int = 10  # DefaultL2LGroup: threshold 10 retry 2 (S18)
    keepalive_retry: int = 2
    keepalive_disabled: bool = False
    has_ipsec_attributes: bool = False
    has_general_attributes: bool = False
    ikev2_remote_psk: str = ""  # `ikev2 remote-authentication pre-shared-key K`
    ikev2_local_psk: str = ""  # `ikev2 local-authentication pre-shared-key K`


@dataclass
class Timeouts:
    conn_s: int = 3600
    half_closed_s: int = 600
    udp_s: int = 120
    icmp_s: int = 2
    sctp_s: int = 120  # 9.5+ print it in `timeout conn` (profiles.timeout_sctp)
    embryonic_s: int = 30  # `timeout conn` does not set it; fixed default (S15)


@dataclass
class Sysopt:
    preserve_vpn_flows: bool = False  # S0: disabled by default
    reclassify_vpn: bool = True  # S0: on by default
    permit_vpn: bool = True
    tcpmss: int = 1380


@dataclass
class Logging:
    enabled: bool = False
    timestamp: bool = False
    buffered: int | None = None  # a LOG_LEVELS index; None: buffer logging off
    console: int | None = None
    trap: int | None = None
    buffer_size: int = 4096


@dataclass
class Service:
    reset_outside: bool = False
    reset_inbound: bool = False
    reset_outbound: bool = True  # on by default on every interface (S16)


@dataclass
class AsaConfig:
    hostname: str = "ciscoasa"
    domain_name: str = ""
    version: str = "8.2(1)"
    enable_password: str = ""
    interfaces: dict[str, Interface] = field(default_factory=dict)
    routes: list[str] = field(default_factory=list)
    access_lists: dict[str, list[str]] = field(default_factory=dict)
    transform_sets: dict[str, list[str]] = field(default_factory=dict)
    ipsec_lifetime_s: int = IPSEC_LIFETIME_DEFAULT_S
    ipsec_lifetime_kb: int = IPSEC_LIFETIME_DEFAULT_KB
    crypto_maps: dict[tuple[str, int], CryptoMapEntry] = field(default_factory=dict)
    crypto_map_interfaces: dict[str, str] = field(default_factory=dict)  # map name -> nameif
    isakmp_enabled: list[str] = field(default_factory=list)
    isakmp_policies: dict[int, IsakmpPolicy] = field(default_factory=dict)
    ikev2_enabled: list[str] = field(default_factory=list)
    ikev2_enable_extra: dict[str, str] = field(default_factory=dict)  # nameif -> tail kept
    ikev2_policies: dict[int, Ikev2Policy] = field(default_factory=dict)
    ikev2_proposals: dict[str, Ikev2Proposal] = field(default_factory=dict)
    tunnel_groups: dict[str, TunnelGroup] = field(default_factory=dict)
    timeouts: Timeouts = field(default_factory=Timeouts)
    sysopt: Sysopt = field(default_factory=Sysopt)
    logging: Logging = field(default_factory=Logging)
    service: Service = field(default_factory=Service)
    # Lines kept verbatim, in `show running-config` order (configtext.rank); a block's
    # sub-mode lines follow its head in the same string, one per line, indented.
    unmodelled: list[str] = field(default_factory=list)
    # Sub-mode lines kept verbatim under a modelled head (`crypto isakmp policy 10`,
    # `tunnel-group X general-attributes`...): head -> lines (without indentation).
    sub_extra: dict[str, list[str]] = field(default_factory=dict)
    # Global IPsec lifetime lines the config spells out even at their defaults
    # ("seconds", "kilobytes"): `show running-config` keeps them (8.2 prints them [C]).
    shown_lifetimes: set[str] = field(default_factory=set)

    # -- lookups the engine needs --------------------------------------------------------
    def interface_by_nameif(self, nameif: str) -> Interface | None:
        for ifc in self.interfaces.values():
            if ifc.nameif == nameif:
                return ifc
        return None

    def interface_by_hardware(self, name: str) -> Interface | None:
        """`Ethernet0/1` typed in full, in any case, or with its type abbreviated (`e0/1`,
        `eth0/1`), as the ASA accepts; None when no interface fits."""
        typed_kind, typed_number = _split_ifname(name.lower())
        for ifc in self.interfaces.values():
            kind, number = _split_ifname(ifc.name.lower())
            if ifc.name.lower() == name.lower() or (
                typed_kind
                and typed_number
                and number == typed_number
                and kind.startswith(typed_kind)
            ):
                return ifc
        return None

    def crypto_entry_for_peer(self, peer: str) -> CryptoMapEntry | None:
        for entry in sorted(self.crypto_maps.values(), key=lambda e: (e.name, e.seq)):
            if peer in entry.peers:
                return entry
        return None

    def crypto_map_applied(self, entry: CryptoMapEntry) -> bool:
        return entry.name in self.crypto_map_interfaces

    def ipsec_lifetime_for(self, entry: CryptoMapEntry | None) -> tuple[int, int]:
        """(seconds, kilobytes) for an SA of this crypto map entry; None fields: global."""
        secs = entry.lifetime_s if entry and entry.lifetime_s is not None else self.ipsec_lifetime_s
        kb = (
            entry.lifetime_kb if entry and entry.lifetime_kb is not None else self.ipsec_lifetime_kb
        )
        return secs, kb

    def ike_lifetime_s(self) -> int:
        """Lifetime of the IKE SA: the highest-priority (lowest number) policy's."""
        if not self.isakmp_policies:
            return IKE_LIFETIME_DEFAULT_S
        return self.isakmp_policies[min(self.isakmp_policies)].lifetime_s

    def ike_group(self) -> int:
        if not self.isakmp_policies:
            return 2
        return self.isakmp_policies[min(self.isakmp_policies)].group

    def tunnel_protocols(self, peer: str) -> set[str] | None:
        """The `vpn-tunnel-protocol` words of the group policy the peer's tunnel group uses
        (kept verbatim in its `group-policy NAME attributes` block); None: not set, which
        allows IKEv1 and IKEv2 [U] (DfltGrpPolicy's default list)."""
        name = "DfltGrpPolicy"
        general = self.sub_extra.get(
            f"tunnel-group {self.tunnel_group(peer).name} general-attributes"
        )
        for line in general or []:
            if line.startswith("default-group-policy "):
                name = line.split()[1]
        for block in self.unmodelled:
            lines = block.split("\n")
            if lines[0].strip() != f"group-policy {name} attributes":
                continue
            for line in lines[1:]:
                words = line.split()
                if words[:1] == ["vpn-tunnel-protocol"]:
                    return set(words[1:])
        return None

    def tunnel_group(self, peer: str) -> TunnelGroup:
        return (
            self.tunnel_groups.get(peer)
            or self.tunnel_groups.get("DefaultL2LGroup")
            or TunnelGroup(peer)
        )

    def timeout_us(self, kind: str) -> int:
        t = self.timeouts
        secs = {
            "conn": t.conn_s,
            "half-closed": t.half_closed_s,
            "udp": t.udp_s,
            "embryonic": t.embryonic_s,
        }
        return secs[kind] * S


# --- the line applier -------------------------------------------------------------------

INVALID = "ERROR: % Invalid input detected at '^' marker."
INCOMPLETE = "ERROR: % Incomplete command."


class Mode:
    """Where a config line lands: top level or a sub-mode opened by an earlier line."""

    def __init__(self, kind: str = "config", key: str | int | None = None) -> None:
        self.kind = kind  # config | if | isakmp-policy | tunnel-ipsec | tunnel-general
        self.key = key

    def head(self) -> str:
        """The config line that opened this sub-mode (the key of its kept lines)."""
        return {
            "config": "",
            "if": f"interface {self.key}",
            "isakmp-policy": f"crypto isakmp policy {self.key}",
            "tunnel-ipsec": f"tunnel-group {self.key} ipsec-attributes",
            "tunnel-general": f"tunnel-group {self.key} general-attributes",
            "ikev2-policy": f"crypto ikev2 policy {self.key}",
            "ikev2-proposal": f"crypto ipsec ikev2 ipsec-proposal {self.key}",
        }[self.kind]

    @property
    def prompt_suffix(self) -> str:
        return {
            "config": "(config)",
            "if": "(config-if)",
            "isakmp-policy": "(config-isakmp-policy)",
            "tunnel-ipsec": "(config-tunnel-ipsec)",
            "tunnel-general": "(config-tunnel-general)",
            "ikev2-policy": "(config-ikev2-policy)",
            "ikev2-proposal": "(config-ipsec-proposal)",
        }[self.kind]


class Unmodelled(Exception):
    """A valid-looking line the lab keeps verbatim but does not simulate; `keep` is the
    text to keep when it is not the whole line (the unmodelled part of a timeout line)."""

    def __init__(self, text: str, keep: str | None = None) -> None:
        super().__init__(text)
        self.keep = keep


def _int(tok: str, lo: int, hi: int) -> int:
    if not tok.isdigit() or not lo <= int(tok) <= hi:
        raise ConfigLineError(f"ERROR: {tok} is out of range {lo}-{hi}")
    return int(tok)


def _level(tok: str) -> int:
    if tok.isdigit() and int(tok) < len(LOG_LEVELS):
        return int(tok)
    if tok in LOG_LEVELS:
        return LOG_LEVELS.index(tok)
    raise ConfigLineError(INVALID)


def _timeout(tok: str, minimum_s: int) -> int:
    try:
        us = parse_hms(tok)
    except ValueError:
        raise ConfigLineError(INVALID) from None
    secs = us // S
    if secs and secs < minimum_s:  # [U] the wording; the minimums are S15's
        raise ConfigLineError(
            f"ERROR: timeout value {tok} is below the minimum {minimum_s // 60} minutes"
        )
    return secs


def apply_line(cfg: AsaConfig, mode: Mode, line: str) -> Mode:
    """Apply one config line in `mode`; return the mode the next line is read in.

    Raises ConfigLineError (refused; cfg unchanged) or Unmodelled (kept verbatim by the
    caller). Sub-mode lines given at top level fall back to the top level, as an ASA does
    when a config is pasted without indentation.
    """
    words = line.split()
    if not words:
        return mode
    negate = words[0] == "no"
    body = words[1:] if negate else words
    if not body:
        raise ConfigLineError(INCOMPLETE)
    if mode.kind != "config":
        handled = _apply_submode(cfg, mode, body, negate)
        if handled:
            return mode
    return _apply_top(cfg, body, negate)


def _apply_submode(cfg: AsaConfig, mode: Mode, w: list[str], negate: bool) -> bool:
    if mode.kind == "if":
        ifc = cfg.interfaces[str(mode.key)]
        if w[0] == "nameif":
            ifc.nameif = "" if negate else _need(w, 2)[1]
        elif w[0] == "security-level":
            ifc.security_level = None if negate else _int(_need(w, 2)[1], 0, 100)
        elif w[:2] == ["ip", "address"] and w[2:3] in (["dhcp"], ["pppoe"]):
            return False  # an address from DHCP/PPPoE: kept, not simulated
        elif w[:2] == ["ip", "address"]:
            if negate:
                ifc.address, ifc.mask = "", ""
            else:
                _need(w, 4)
                _ip(w[2])
                _ip(w[3])
                ifc.address, ifc.mask = w[2], w[3]
        elif w[0] == "shutdown":
            ifc.shutdown = not negate
        else:
            return False
        return True
    if mode.kind == "isakmp-policy":
        pol = cfg.isakmp_policies[int(mode.key or 0)]
        key = w[0]
        if key == "lifetime":
            pol.lifetime_s = IKE_LIFETIME_DEFAULT_S if negate else _ike_lifetime(_need(w, 2)[1])
        elif key in POLICY_CHOICES:
            value = _need(w, 2)[1]
            if value not in POLICY_CHOICES[key]:
                raise ConfigLineError(INVALID)
            setattr(pol, key, value)
        elif key == "group":
            pol.group = _int(_need(w, 2)[1], 1, 24)
        else:
            return False
        return True
    if mode.kind == "tunnel-ipsec":
        tg = cfg.tunnel_groups[str(mode.key)]
        if w[:2] == ["ikev1", "pre-shared-key"]:  # 8.4 and later spell it so
            w = w[1:]
        if w[0] == "pre-shared-key":
            key = "" if negate else _need(w, 2)[1]
            tg.pre_shared_key = MASKED_PSK_PLACEHOLDER if is_masked(key) else key
        elif w[0] == "ikev2" and w[1:2] in (["remote-authentication"], ["local-authentication"]):
            if _need(w, 3)[2] != "pre-shared-key":
                raise Unmodelled(" ".join(w))  # certificate authentication: kept
            key = "" if negate else _need(w, 4)[3]
            key = MASKED_PSK_PLACEHOLDER if is_masked(key) else key
            if w[1] == "remote-authentication":
                tg.ikev2_remote_psk = key
            else:
                tg.ikev2_local_psk = key
        elif w[:2] == ["isakmp", "keepalive"]:
            _keepalive(tg, w[2:], negate)
        else:
            return False
        return True
    if mode.kind == "ikev2-policy":
        return _ikev2_policy(cfg.ikev2_policies[int(mode.key or 0)], w, negate)
    if mode.kind == "ikev2-proposal":
        prop = cfg.ikev2_proposals[str(mode.key)]
        if w[:2] != ["protocol", "esp"] or len(w) < 3 or w[2] not in ("encryption", "integrity"):
            return False
        values = [] if negate else _choices(_need(w, 4)[3:], IKEV2_ESP_CHOICES[w[2]])
        setattr(prop, w[2], values)
        return True
    return False


# Cisco ASA 9.x CLI: `crypto ikev2 policy` and `protocol esp` keywords (GCM/null omitted).
IKEV2_POLICY_CHOICES = {
    "encryption": ("des", "3des", "aes", "aes-192", "aes-256"),
    "integrity": ("md5", "sha", "sha256", "sha384", "sha512"),
    "prf": ("md5", "sha", "sha256", "sha384", "sha512"),
}
IKEV2_ESP_CHOICES = {
    "encryption": ("des", "3des", "aes", "aes-192", "aes-256", "null"),
    "integrity": ("md5", "sha-1", "sha-256", "sha-384", "sha-512", "null"),
}
IKEV2_GROUPS = (1, 2, 5, 14, 15, 16, 19, 20, 21, 24)


def _choices(words: list[str], allowed: tuple[str, ...]) -> list[str]:
    if any(x not in allowed for x in words):
        raise ConfigLineError(INVALID)
    return list(words)


def _ikev2_policy(pol: Ikev2Policy, w: list[str], negate: bool) -> bool:
    key = w[0]
    if key == "lifetime":
        if negate:
            pol.lifetime_s = IKE_LIFETIME_DEFAULT_S
        elif _need(w, 3)[1] == "seconds":
            pol.lifetime_s = _int(w[2], IKE_LIFETIME_MIN_S, IPSEC_LIFETIME_MAX_S)
        else:
            raise ConfigLineError(INVALID)
    elif key in IKEV2_POLICY_CHOICES:
        values = _choices(_need(w, 2)[1:], IKEV2_POLICY_CHOICES[key])
        if not negate:
            setattr(pol, key, values)
    elif key == "group":
        groups = [_int(g, 1, 24) for g in _need(w, 2)[1:]]
        if any(g not in IKEV2_GROUPS for g in groups):
            raise ConfigLineError(INVALID)
        if not negate:
            pol.group = groups
    else:
        return False
    return True


POLICY_CHOICES = {
    "authentication": ("pre-share", "rsa-sig", "crack"),
    "encryption": ("des", "3des", "aes", "aes-192", "aes-256"),
    "hash": ("sha", "md5"),
}


def _keepalive(tg: TunnelGroup, w: list[str], negate: bool) -> None:
    if negate:
        tg.keepalive_threshold, tg.keepalive_retry, tg.keepalive_disabled = 10, 2, False
        return
    if w == ["disable"]:
        tg.keepalive_disabled = True
        return
    if len(w) == 4 and w[0] == "threshold" and w[2] == "retry":
        threshold = 0 if w[1] == "infinite" else _int(w[1], *DPD_THRESHOLD_RANGE)
        tg.keepalive_threshold = threshold
        tg.keepalive_retry = _int(w[3], *DPD_RETRY_RANGE)
        tg.keepalive_disabled = False
        return
    raise ConfigLineError(INCOMPLETE if len(w) < 4 else INVALID)


def _need(w: list[str], n: int) -> list[str]:
    if len(w) < n:
        raise ConfigLineError(INCOMPLETE)
    return w


def _ip(tok: str) -> str:
    try:
        ipaddress.IPv4Address(tok)
    except ValueError:
        raise ConfigLineError(INVALID) from None
    return tok


def _ike_lifetime(tok: str) -> int:
    if tok == "0":
        return 0
    return _int(tok, IKE_LIFETIME_MIN_S, IPSEC_LIFETIME_MAX_S)


def _ipsec_lifetime(w: list[str]) -> tuple[str, int]:
    _need(w, 2)
    if w[0] == "seconds":
        return "s", _int(w[1], IPSEC_LIFETIME_MIN_S, IPSEC_LIFETIME_MAX_S)
    if w[0] == "kilobytes":
        return "kb", _int(w[1], IPSEC_LIFETIME_KB_MIN, IPSEC_LIFETIME_MAX_S)
    raise ConfigLineError(INVALID)


def _apply_top(cfg: AsaConfig, w: list[str], negate: bool) -> Mode:  # noqa: C901 - a dispatch table in code
    top = Mode()
    head = w[0]
    if head == "hostname":
        cfg.hostname = "ciscoasa" if negate else _need(w, 2)[1]
    elif head == "domain-name":
        cfg.domain_name = "" if negate else _need(w, 2)[1]
    elif head == "enable" and len(w) >= 2 and w[1] == "password":
        cfg.enable_password = "" if negate else " ".join(_need(w, 3)[2:4])
    elif head == "interface":
        name = _need(w, 2)[1]
        known = cfg.interface_by_hardware(name)  # `interface e0/1` opens Ethernet0/1
        name = known.name if known is not None else name
        cfg.interfaces.setdefault(name, Interface(name))
        return Mode("if", name)
    elif head in ("nameif", "security-level", "shutdown") or w[:2] == ["ip", "address"]:
        raise ConfigLineError(INVALID)  # interface lines outside an interface
    elif head == "route":
        _need(w, 5)
        text = " ".join(w)
        if negate:
            cfg.routes = [r for r in cfg.routes if r != text]
        elif text not in cfg.routes:
            cfg.routes.append(text)
    elif head == "access-list":
        name = _need(w, 3)[1]
        text = " ".join(w)
        if negate:
            entries = cfg.access_lists.get(name, [])
            if text in entries:
                entries.remove(text)
            if not entries:
                cfg.access_lists.pop(name, None)
        else:
            cfg.access_lists.setdefault(name, []).append(text)
    elif head == "sysopt":
        _sysopt(cfg, w[1:], negate)
    elif head == "timeout":
        _timeouts(cfg, w[1:], negate)
    elif head == "logging":
        _logging(cfg, w[1:], negate)
    elif head == "service":
        _service(cfg, w[1:], negate)
    elif head == "crypto":
        return _crypto(cfg, w[1:], negate)
    elif head == "tunnel-group":
        return _tunnel_group(cfg, w, negate)
    else:
        raise Unmodelled(" ".join(w))
    return top


def _tunnel_group(cfg: AsaConfig, w: list[str], negate: bool) -> Mode:
    name = _need(w, 3)[1]
    if negate and len(w) == 3 and w[2] == "type":
        cfg.tunnel_groups.pop(name, None)
        return Mode()
    if w[2] == "type":
        kind = _need(w, 4)[3]
        if kind not in TUNNEL_GROUP_TYPES:
            raise ConfigLineError(INVALID)
        cfg.tunnel_groups.setdefault(name, TunnelGroup(name)).type = kind
        return Mode()
    if w[2] == "ipsec-attributes":
        tg = cfg.tunnel_groups.setdefault(name, TunnelGroup(name))
        tg.has_ipsec_attributes = True
        return Mode("tunnel-ipsec", name)
    if w[2] == "general-attributes":
        cfg.tunnel_groups.setdefault(name, TunnelGroup(name)).has_general_attributes = True
        return Mode("tunnel-general", name)
    if w[2].endswith("-attributes"):  # webvpn-, ppp-attributes...: kept, not simulated
        raise Unmodelled(" ".join(w))
    raise ConfigLineError(INVALID)


TUNNEL_GROUP_TYPES = ("ipsec-l2l", "ipsec-ra", "remote-access", "webvpn")


def _sysopt(cfg: AsaConfig, w: list[str], negate: bool) -> None:
    if w[:1] != ["connection"]:
        raise Unmodelled("sysopt " + " ".join(w))
    opt = _need(w, 2)[1]
    if opt == "preserve-vpn-flows":
        cfg.sysopt.preserve_vpn_flows = not negate
    elif opt == "reclassify-vpn":
        cfg.sysopt.reclassify_vpn = not negate
    elif opt == "permit-vpn":
        cfg.sysopt.permit_vpn = not negate
    elif opt == "tcpmss" and len(w) == 3:
        cfg.sysopt.tcpmss = 1380 if negate else _int(w[2], 48, 65535)
    else:
        raise Unmodelled("sysopt " + " ".join(w))


TIMEOUT_MODELLED = {  # keyword -> (Timeouts field, minimum seconds) [S15]
    "conn": ("conn_s", TIMEOUT_CONN_MIN_S),
    "half-closed": ("half_closed_s", TIMEOUT_CONN_MIN_S),
    "udp": ("udp_s", 60),
    "icmp": ("icmp_s", 0),
    "sctp": ("sctp_s", 60),  # [U] minimum
}


def _timeouts(cfg: AsaConfig, w: list[str], negate: bool) -> None:
    """`timeout conn 1:00:00 half-closed 0:10:00 udp 0:02:00 sctp 0:02:00 icmp 0:00:02`.

    The modelled keywords are applied; every other timeout (`xlate`, `pat-xlate`,
    `floating-conn`, `igp stale-route`, `uauth 0:05:00 absolute`...) is kept verbatim
    (Unmodelled, with the modelled pairs taken out of the kept text)."""
    if negate:
        raise ConfigLineError(INVALID)
    values: dict[str, int] = {}
    rest: list[str] = []
    i = 0
    while i < len(w):
        if w[i] in TIMEOUT_MODELLED and (rest[-1:] != ["igp"]):
            if i + 1 >= len(w):
                raise ConfigLineError(INCOMPLETE)
            values[w[i]] = _timeout(w[i + 1], TIMEOUT_MODELLED[w[i]][1])
            i += 2
        else:
            rest.append(w[i])
            i += 1
    for k, v in values.items():
        setattr(cfg.timeouts, TIMEOUT_MODELLED[k][0], v)
    if rest:
        kept = "timeout " + " ".join(rest)
        raise Unmodelled(kept, keep=kept if values else None)


def _logging(cfg: AsaConfig, w: list[str], negate: bool) -> None:
    what = _need(w, 1)[0]
    lg = cfg.logging
    if what == "enable":
        lg.enabled = not negate
    elif what == "timestamp":
        lg.timestamp = not negate
    elif what in ("buffered", "console", "trap"):
        setattr(lg, what, None if negate else _level(_need(w, 2)[1]))
    elif what == "buffer-size":
        lg.buffer_size = 4096 if negate else _int(_need(w, 2)[1], 4096, 52_428_800)
    else:
        raise Unmodelled("logging " + " ".join(w))


def _service(cfg: AsaConfig, w: list[str], negate: bool) -> None:
    what = _need(w, 1)[0]
    attr = {
        "resetoutside": "reset_outside",
        "resetinbound": "reset_inbound",
        "resetoutbound": "reset_outbound",
    }
    if what not in attr:
        raise Unmodelled("service " + " ".join(w))
    setattr(cfg.service, attr[what], not negate)


def _crypto(cfg: AsaConfig, w: list[str], negate: bool) -> Mode:
    kind = _need(w, 1)[0]
    if kind == "isakmp" or kind == "ikev1":
        _need(w, 2)
        if w[1] == "policy":
            prio = _int(_need(w, 3)[2], 1, 65535)
            if negate:
                cfg.isakmp_policies.pop(prio, None)
                cfg.sub_extra.pop(f"crypto isakmp policy {prio}", None)
                return Mode()
            fresh = prio not in cfg.isakmp_policies
            cfg.isakmp_policies.setdefault(prio, IsakmpPolicy(prio))
            if len(w) > 3:  # one-line form: crypto isakmp policy 50 lifetime 0
                try:
                    _apply_submode(cfg, Mode("isakmp-policy", prio), w[3:], False) or _raise(
                        INVALID
                    )
                except ConfigLineError:
                    if fresh:
                        del cfg.isakmp_policies[prio]
                    raise
            return Mode("isakmp-policy", prio)
        if w[1] == "enable":
            ifname = _need(w, 3)[2]
            if negate:
                cfg.isakmp_enabled = [i for i in cfg.isakmp_enabled if i != ifname]
            elif ifname not in cfg.isakmp_enabled:
                cfg.isakmp_enabled.append(ifname)
            return Mode()
        raise Unmodelled("crypto " + " ".join(w))
    if kind == "ikev2":
        _need(w, 3)
        if w[1] == "policy":
            prio = _int(w[2], 1, 65535)
            if negate:
                cfg.ikev2_policies.pop(prio, None)
                return Mode()
            cfg.ikev2_policies.setdefault(prio, Ikev2Policy(prio))
            return Mode("ikev2-policy", prio)
        if w[1] == "enable":
            if negate:
                cfg.ikev2_enabled = [i for i in cfg.ikev2_enabled if i != w[2]]
                cfg.ikev2_enable_extra.pop(w[2], None)
                return Mode()
            if w[2] not in cfg.ikev2_enabled:
                cfg.ikev2_enabled.append(w[2])
            if len(w) > 3:  # `crypto ikev2 enable outside client-services port 443`: kept
                cfg.ikev2_enable_extra[w[2]] = " ".join(w[3:])
            return Mode()
        raise Unmodelled("crypto " + " ".join(w))
    if kind == "ipsec" and w[1:3] == ["ikev2", "ipsec-proposal"]:
        name = _need(w, 4)[3]
        if negate:
            cfg.ikev2_proposals.pop(name, None)
            return Mode()
        cfg.ikev2_proposals.setdefault(name, Ikev2Proposal(name))
        return Mode("ikev2-proposal", name)
    if kind == "ipsec":
        _need(w, 2)
        if w[1] == "ikev1" and w[2:3] == ["transform-set"]:  # 8.4 and later spell it so
            w = w[:1] + w[2:]
        if w[1] == "transform-set":
            name = _need(w, 4)[2]
            if negate:
                cfg.transform_sets.pop(name, None)
            else:
                cfg.transform_sets[name] = w[3:]
            return Mode()
        if w[1] == "security-association" and len(w) >= 3 and w[2] == "lifetime":
            unit, value = _ipsec_lifetime(w[3:])
            if unit == "s":
                cfg.ipsec_lifetime_s = IPSEC_LIFETIME_DEFAULT_S if negate else value
            else:
                cfg.ipsec_lifetime_kb = IPSEC_LIFETIME_DEFAULT_KB if negate else value
            (cfg.shown_lifetimes.discard if negate else cfg.shown_lifetimes.add)(w[3])
            return Mode()
        raise Unmodelled("crypto " + " ".join(w))
    if kind == "map":
        return _crypto_map(cfg, w[1:], negate)
    raise Unmodelled("crypto " + " ".join(w))


def _raise(text: str) -> bool:
    raise ConfigLineError(text)


def _crypto_map(cfg: AsaConfig, w: list[str], negate: bool) -> Mode:
    name = _need(w, 2)[0]
    if w[1] == "interface":
        ifname = _need(w, 3)[2]
        if negate:
            cfg.crypto_map_interfaces.pop(name, None)
        else:
            cfg.crypto_map_interfaces[name] = ifname
        return Mode()
    seq = _int(w[1], 1, 65535)
    entry = cfg.crypto_maps.get((name, seq))
    if entry is None:
        entry = CryptoMapEntry(name, seq)
    rest = _need(w, 3)[2:]
    if rest[0] == "match" and len(rest) == 3 and rest[1] == "address":
        entry.match_address = "" if negate else rest[2]
    elif rest[:2] == ["set", "peer"]:
        entry.peers = [] if negate else [_ip(p) for p in _need(rest, 3)[2:]]
    elif rest[:2] == ["set", "transform-set"]:
        entry.transform_sets = [] if negate else _need(rest, 3)[2:]
    elif rest[:3] == ["set", "ikev1", "transform-set"]:  # 8.4 and later spell it so
        entry.transform_sets = [] if negate else _need(rest, 4)[3:]
    elif rest[:3] == ["set", "ikev2", "ipsec-proposal"]:
        entry.ikev2_proposals = [] if negate else _need(rest, 4)[3:]
    elif rest[:3] == ["set", "security-association", "lifetime"]:
        unit, value = _ipsec_lifetime(rest[3:])
        if unit == "s":
            entry.lifetime_s = None if negate else value
        else:
            entry.lifetime_kb = None if negate else value
    elif rest[:2] == ["set", "pfs"]:
        group = (rest + ["group2"])[2]
        if group not in PFS_GROUPS:
            raise ConfigLineError(INVALID)
        entry.pfs_group = None if negate else int(group.removeprefix("group"))
    else:
        raise Unmodelled("crypto map " + " ".join(w))
    cfg.crypto_maps[(name, seq)] = entry
    if entry == CryptoMapEntry(name, seq):  # every line of the entry removed
        del cfg.crypto_maps[(name, seq)]
    return Mode()


# --- importing a whole config -----------------------------------------------------------


@dataclass
class ImportResult:
    config: AsaConfig
    warnings: list[tuple[int, str]]  # (line number, text): kept verbatim, not simulated
    errors: list[tuple[int, str]]  # (line number, reason): refused
    # line number -> the top-level line a kept sub-mode line belongs to (for grouping)
    heads: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def warning_groups(self) -> list[tuple[str, list[tuple[int, str]]]]:
        """Warnings grouped by the section they belong to (the first word of the block's
        head: `policy-map`, `crypto ca`...), in order of first appearance; notes that are
        not about a kept line (a masked key) form their own groups at the top."""
        groups: dict[str, list[tuple[int, str]]] = {}
        for number, text in self.warnings:
            head = self.heads.get(number)
            label = _warning_group(KEPT + head if head and text.startswith(KEPT) else text)
            groups.setdefault(label, []).append((number, text))
        return sorted(groups.items(), key=lambda kv: kv[0] != "notes")


KEPT = "kept but not simulated: "


def _warning_group(text: str) -> str:
    if not text.startswith(KEPT):
        return "notes"
    words = text.removeprefix(KEPT).split()
    words = words[1:] if words[:1] == ["no"] else words
    if words[:1] == ["crypto"]:
        return " ".join(words[:2])
    return words[0] if words else ""


SKIP_PREFIXES: tuple[str, ...] = ("!", ":", "ASA Version", "PIX Version", "Cryptochecksum")
SKIP_PREFIXES += ("end",)
SKIP_PREFIXES += ("Building configuration", "Current configuration")
MASKED_WARNING = (
    "the pre-shared key is masked ({key}), as `show running-config` prints it: the lab "
    "uses one placeholder key on both ends, so the tunnel comes up as if the keys matched"
)


def _pix6_header(line: str) -> bool:
    """`PIX Version 6.3(5)`: the config is in PIX 6 syntax (the profile says so)."""
    from .profiles import for_node

    words = line.split()
    return (
        words[:2] == ["PIX", "Version"]
        and len(words) > 2
        and for_node(words[2], "pix").syntax == "pix6"
    )


def import_config(text: str) -> ImportResult:
    """Read a running config (one command per line, sub-mode lines indented).

    Text whose line breaks were lost (the seed's printed sample) is read from the first
    such line on by `configtext.split_run_together`, best effort. Every line ends up
    modelled, kept verbatim (a warning) or refused (an error); none is dropped silently.
    Linear in the number of lines: kept blocks are collected in order and sorted into
    `show running-config` order once, at the end (a stable sort keeps their order within
    a section).
    """
    from . import pix6
    from .configtext import RANK_UNKNOWN, known_rank, looks_run_together, split_run_together

    cfg = AsaConfig()
    warnings: list[tuple[int, str]] = []
    errors: list[tuple[int, str]] = []
    mode = Mode()
    # Kept blocks (head line, then its indented lines) with their place: a command the
    # rank table does not know stays after the kept line it followed (the same rule
    # `show running-config` places it by, so printing and reading again keeps the order).
    kept: list[tuple[int, list[str]]] = []
    last_rank = RANK_UNKNOWN
    block: list[str] | None = None  # the kept block being read
    heads: dict[int, str] = {}
    head = ""  # the last top-level line
    numbered = list(enumerate(text.splitlines(), start=1))
    for at, (_, raw) in enumerate(numbered):
        if looks_run_together(raw):
            numbered = numbered[:at] + split_run_together(numbered[at:])
            break
    if any(_pix6_header(raw) for _, raw in numbered):
        numbered = pix6.to_asa(numbered)  # PIX 6 syntax read as the ASA lines it means
    for number, raw in numbered:
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith(("ASA Version", "PIX Version")):
            words = stripped.split()
            cfg.version = words[2] if len(words) > 2 else cfg.version
            continue
        if stripped.startswith(SKIP_PREFIXES):
            continue
        indented = line[0].isspace()
        if not indented:
            mode, block, head = Mode(), None, stripped
        else:
            heads[number] = head
        if indented and block is not None:  # a sub-line of a block kept verbatim
            block.append(line)
            if not stripped.startswith("vpn-tunnel-protocol"):  # read by tunnel_protocols
                warnings.append((number, f"{KEPT}{stripped}"))
            continue
        try:
            mode = apply_line(cfg, mode, stripped)
        except Unmodelled as exc:
            warnings.append((number, f"{KEPT}{exc.keep or stripped}"))
            if indented and mode.kind == "if":
                cfg.interfaces[str(mode.key)].extra.append(stripped)
            elif indented and mode.kind != "config":
                cfg.sub_extra.setdefault(mode.head(), []).append(stripped)
            else:
                mode, block = Mode(), [exc.keep or stripped]
                found = known_rank(block[0])
                last_rank = last_rank if found is None else found
                kept.append((last_rank, block))
        except ConfigLineError as exc:
            errors.append((number, f"{exc}: {stripped}"))
        else:
            words = stripped.split()
            if "pre-shared-key" in words and is_masked(words[-1]):
                warnings.append((number, MASKED_WARNING.format(key=words[-1])))
    kept.sort(key=lambda item: item[0])  # stable: same place, same order as typed
    cfg.unmodelled = ["\n".join(b) for _, b in kept]
    return ImportResult(cfg, warnings, errors, heads)
