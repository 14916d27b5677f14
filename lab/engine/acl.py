"""Access lists as the ASA reads them: the networks a crypto ACL protects, and whether an
entry permits a packet.

8.3+ configs name their networks (`object network BO-LAN` / ` subnet 10.0.0.0
255.255.255.0`, `object-group network BO-NETS` / ` network-object object BO-LAN`) and the
crypto ACL uses the names (`access-list X extended permit ip object-group BO-NETS
object-group HO-NETS`). The object blocks are kept verbatim in `AsaConfig.unmodelled`
(so `show running-config` prints them as they were); `Resolver` reads them on demand.
A name that cannot be resolved yields no network (the caller treats the ACE as unknown).

Packet matching (`parse_entries`, `first_match`) serves where the lab asks what a config
matches without a flow to follow: packet-tracer (forwarding.meet), `show access-list` hit
counts, `capture ... match`. An entry is the text after the ACL name (`extended permit ip
10.0.0.0 255.255.255.0 10.1.1.0 255.255.255.0`): `host A`, `any`/`any4`, `A MASK`,
`object N`, `object-group N` (with a resolver) and `eq|lt|gt|range` ports after an address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

from .asaconfig import AsaConfig

Net = ipaddress.IPv4Network
ANY = Net("0.0.0.0/0")


def _blocks(cfg: AsaConfig, kind: str) -> dict[str, list[list[str]]]:
    """`object network NAME` (kind "object") or `object-group network NAME` blocks:
    name -> the words of each sub-line. A name may have several blocks (object NAT)."""
    out: dict[str, list[list[str]]] = {}
    for block in cfg.unmodelled:
        lines = block.split("\n")
        head = lines[0].split()
        if head[:2] == [kind, "network"] and len(head) == 3:
            out.setdefault(head[2], []).extend(x.split() for x in lines[1:])
    return out


def _net(address: str, mask: str) -> Net | None:
    try:
        return Net(f"{address}/{mask}", strict=False)
    except ValueError:
        return None


class Resolver:
    """Network objects and groups of one config, resolved to networks."""

    def __init__(self, cfg: AsaConfig | None) -> None:
        self.objects = _blocks(cfg, "object") if cfg else {}
        self.groups = _blocks(cfg, "object-group") if cfg else {}

    def object(self, name: str) -> list[Net]:
        nets = []
        for w in self.objects.get(name, []):
            if w[:1] == ["subnet"] and len(w) == 3:
                nets.append(_net(w[1], w[2]))
            elif w[:1] == ["host"] and len(w) == 2:
                nets.append(_net(w[1], "255.255.255.255"))
        return [n for n in nets if n is not None]

    def group(self, name: str, seen: frozenset[str] = frozenset()) -> list[Net]:
        if name in seen:  # a group that contains itself: stop
            return []
        nets: list[Net | None] = []
        for w in self.groups.get(name, []):
            if w[:1] == ["network-object"]:
                rest = w[1:]
                if rest[:1] == ["host"] and len(rest) == 2:
                    nets.append(_net(rest[1], "255.255.255.255"))
                elif rest[:1] == ["object"] and len(rest) == 2:
                    nets.extend(self.object(rest[1]))
                elif len(rest) == 2:
                    nets.append(_net(rest[0], rest[1]))
            elif w[:1] == ["group-object"] and len(w) == 2:
                nets.extend(self.group(w[1], seen | {name}))
        return [n for n in nets if n is not None]

    def side(self, words: list[str]) -> tuple[list[Net], list[str]]:
        """One address spec of an ACE (`any`, `host A`, `A M`, `object N`,
        `object-group N`) as networks, and the words after it."""
        head = words[:1]
        if head in (["any"], ["any4"]):
            return [ANY], words[1:]
        if head == ["host"] and len(words) > 1:
            net = _net(words[1], "255.255.255.255")
            return ([net] if net else []), words[2:]
        if head == ["object"] and len(words) > 1:
            return self.object(words[1]), words[2:]
        if head == ["object-group"] and len(words) > 1:
            return self.group(words[1]), words[2:]
        if len(words) >= 2:
            net = _net(words[0], words[1])
            return ([net] if net else []), words[2:]
        return [], []


def ace_pairs(cfg: AsaConfig, line: str, resolver: Resolver | None = None) -> list[tuple[Net, Net]]:
    """The (source, destination) networks an `extended permit ip` ACE covers."""
    words = line.split()
    if "ip" not in words or "permit" not in words:
        return []
    r = resolver or Resolver(cfg)
    src, rest = r.side(words[words.index("ip") + 1 :])
    dst, _ = r.side(rest)
    return [(s, d) for s in src for d in dst]


def protected(cfg: AsaConfig, acl: str) -> Iterator[tuple[str, Net, Net]]:
    """Each (ACE line, local network, remote network) a crypto ACL protects, in order."""
    r = Resolver(cfg)
    for line in cfg.access_lists.get(acl, []):
        for src, dst in ace_pairs(cfg, line, r):
            yield line, src, dst


def spelled(line: str, src: Net, dst: Net) -> str:
    """An ACE with its objects written out, as `show crypto ipsec sa` prints it [U]."""
    words = line.split()
    head = words[: words.index("ip") + 1]
    return " ".join([*head, _spec(src), _spec(dst)])


def _spec(net: Net) -> str:
    if net.prefixlen == 0:
        return "any"
    if net.prefixlen == 32:
        return f"host {net.network_address}"
    return f"{net.network_address} {net.netmask}"


# -- packet matching -------------------------------------------------------------------

PROTOCOLS = ("ip", "tcp", "udp", "icmp")
PORT_NAMES = {"www": 80, "http": 80, "https": 443, "domain": 53, "ssh": 22, "telnet": 23}


@dataclass(frozen=True)
class Entry:
    action: str  # permit | deny
    proto: str
    src: Net
    src_ports: tuple[int, int] | None
    dst: Net
    dst_ports: tuple[int, int] | None

    def matches(self, proto: str, src: str, sport: int, dst: str, dport: int) -> bool:
        if self.proto != "ip" and self.proto != proto:
            return False
        if ipaddress.IPv4Address(src) not in self.src:
            return False
        if ipaddress.IPv4Address(dst) not in self.dst:
            return False
        for ports, port in ((self.src_ports, sport), (self.dst_ports, dport)):
            if ports is not None and not ports[0] <= port <= ports[1]:
                return False
        return True


def _port(tok: str) -> int:
    return PORT_NAMES[tok] if tok in PORT_NAMES else int(tok)


def _ports(w: list[str]) -> tuple[tuple[int, int] | None, list[str]]:
    if not w:
        return None, w
    if w[0] == "eq":
        return (_port(w[1]), _port(w[1])), w[2:]
    if w[0] == "lt":
        return (0, _port(w[1]) - 1), w[2:]
    if w[0] == "gt":
        return (_port(w[1]) + 1, 65535), w[2:]
    if w[0] == "range":
        return (_port(w[1]), _port(w[2])), w[3:]
    return None, w


def parse_entries(text: str, resolver: Resolver | None = None) -> list[Entry]:
    """An `extended permit|deny PROTO SRC [PORTS] DST [PORTS] ...` entry, one Entry per
    (source, destination) network pair its objects stand for; [] for remarks, standard
    entries and forms the lab does not read (objects without a resolver: [U])."""
    w = text.split()
    if w[:1] == ["access-list"]:  # a config line as AsaConfig keeps it
        w = w[2:]
    if w[:1] == ["extended"]:
        w = w[1:]
    if len(w) < 4 or w[0] not in ("permit", "deny") or w[1] not in PROTOCOLS:
        return []
    r = resolver or Resolver(None)
    tcp_udp = w[1] in ("tcp", "udp")
    try:
        srcs, rest = r.side(w[2:])
        sports, rest = _ports(rest) if tcp_udp else (None, rest)
        dsts, rest = r.side(rest)
        dports, _ = _ports(rest) if tcp_udp else (None, rest)
    except (ValueError, IndexError, KeyError):
        return []
    return [Entry(w[0], w[1], s, sports, d, dports) for s in srcs for d in dsts]


def parse_entry(text: str) -> Entry | None:
    """The entry when it stands for one network pair (no objects), else None."""
    found = parse_entries(text)
    return found[0] if len(found) == 1 else None


def first_match(
    entries: list[str],
    proto: str,
    src: str,
    sport: int,
    dst: str,
    dport: int,
    resolver: Resolver | None = None,
) -> tuple[int, Entry] | None:
    """(index, entry) of the first entry that matches the packet, as the ASA reads an ACL."""
    for i, text in enumerate(entries):
        for e in parse_entries(text, resolver):
            if e.matches(proto, src, sport, dst, dport):
                return i, e
    return None


def permits(entries: list[str], proto: str, src: str, sport: int, dst: str, dport: int) -> bool:
    found = first_match(entries, proto, src, sport, dst, dport)
    return found is not None and found[1].action == "permit"
