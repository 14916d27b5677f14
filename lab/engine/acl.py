"""Extended access-list entries as the ASA reads them: does an entry permit a packet?

Used where the lab asks what a config matches without a flow to follow: packet-tracer
(forwarding.meet), `show access-list` hit counts, `capture ... match`. An entry is the text
after the ACL name (`extended permit ip 10.0.0.0 255.255.255.0 10.1.1.0 255.255.255.0`);
`host A`, `any`/`any4`, `A MASK`, and `eq|lt|gt|range` ports after an address. Object
groups and objects are not resolved here [U]: such an entry matches nothing.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

PROTOCOLS = ("ip", "tcp", "udp", "icmp")
PORT_NAMES = {"www": 80, "http": 80, "https": 443, "domain": 53, "ssh": 22, "telnet": 23}


@dataclass(frozen=True)
class Entry:
    action: str  # permit | deny
    proto: str
    src: ipaddress.IPv4Network
    src_ports: tuple[int, int] | None
    dst: ipaddress.IPv4Network
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


def _address(w: list[str]) -> tuple[ipaddress.IPv4Network, list[str]]:
    if w[0] in ("any", "any4"):
        return ipaddress.IPv4Network("0.0.0.0/0"), w[1:]
    if w[0] == "host":
        return ipaddress.IPv4Network(f"{w[1]}/32"), w[2:]
    return ipaddress.IPv4Network(f"{w[0]}/{w[1]}", strict=False), w[2:]


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


def parse_entry(text: str) -> Entry | None:
    """An `extended permit|deny PROTO SRC [PORTS] DST [PORTS] ...` entry; None for
    remarks, standard entries and forms the lab does not read (objects, groups)."""
    w = text.split()
    if w[:1] == ["access-list"]:  # a config line as AsaConfig keeps it
        w = w[2:]
    if w[:1] == ["extended"]:
        w = w[1:]
    if len(w) < 4 or w[0] not in ("permit", "deny") or w[1] not in PROTOCOLS:
        return None
    try:
        src, rest = _address(w[2:])
        sports, rest = _ports(rest) if w[1] in ("tcp", "udp") else (None, rest)
        dst, rest = _address(rest)
        dports, _ = _ports(rest) if w[1] in ("tcp", "udp") else (None, rest)
    except (ValueError, IndexError, KeyError):
        return None
    return Entry(w[0], w[1], src, sports, dst, dports)


def first_match(
    entries: list[str], proto: str, src: str, sport: int, dst: str, dport: int
) -> tuple[int, Entry] | None:
    """(index, entry) of the first entry that matches the packet, as the ASA reads an ACL."""
    for i, text in enumerate(entries):
        e = parse_entry(text)
        if e is not None and e.matches(proto, src, sport, dst, dport):
            return i, e
    return None


def permits(entries: list[str], proto: str, src: str, sport: int, dst: str, dport: int) -> bool:
    found = first_match(entries, proto, src, sport, dst, dport)
    return found is not None and found[1].action == "permit"
