"""The networks a crypto ACL protects, with network objects and object-groups resolved.

8.3+ configs name their networks (`object network BO-LAN` / ` subnet 10.0.0.0
255.255.255.0`, `object-group network BO-NETS` / ` network-object object BO-LAN`) and the
crypto ACL uses the names (`access-list X extended permit ip object-group BO-NETS
object-group HO-NETS`). The object blocks are kept verbatim in `AsaConfig.unmodelled`
(so `show running-config` prints them as they were); this module reads them on demand.
A name that cannot be resolved yields no network (the caller treats the ACE as unknown).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

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

    def __init__(self, cfg: AsaConfig) -> None:
        self.objects = _blocks(cfg, "object")
        self.groups = _blocks(cfg, "object-group")

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
