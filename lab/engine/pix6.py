"""PIX 6 command syntax, both ways: the importer reads a PIX 6 config as the ASA lines
that mean the same (`to_asa`), and `show running-config` on a PIX 6 node prints the ASA
lines back in PIX 6 form (`to_pix`). One model (AsaConfig) underneath.

Sources [C]: PIX 5.0/6.x configuration guides' examples (`nameif ethernet0 outside
security0`, `interface ethernet0 auto`, `ip address outside 192.150.50.3 255.255.255.0`)
and real PIX 6 configs in public repositories (`isakmp enable outside`, `isakmp key
******** address 202.x.x.x6 netmask 255.255.255.255`, `isakmp identity address`,
`isakmp policy 10 authentication pre-share`, `crypto map dyn-map 10 ipsec-isakmp`,
`sysopt connection permit-ipsec`, `logging on`, `access-list 90 permit ip host ...`).
PIX 7.0 renamed `permit-ipsec` to `permit-vpn` (a public PIX-to-ASA conversion tool).
[U] The order of `show run` lines follows those configs where they agree: interfaces and
nameifs first, `ip address` lines before the first `nat`/`route`, isakmp after crypto.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .asaconfig import AsaConfig

Numbered = list[tuple[int, str]]

# PIX 6 masks a key with eight stars in `show run` (the real config above).
PIX6_KEY_MASK = "********"


# `interface ethernet0 <hardware_speed>` (PIX 6.3 command reference) as ASA sub-lines.
HARDWARE_SPEEDS: dict[str, tuple[str, ...]] = {
    "auto": (),
    "shutdown": ("shutdown",),
    "10baset": ("speed 10", "duplex half"),
    "10full": ("speed 10", "duplex full"),
    "100basetx": ("speed 100", "duplex half"),
    "100full": ("speed 100", "duplex full"),
    "1000full": ("speed 1000", "duplex full"),
}
# [U] timeouts PIX 6 prints on its `timeout conn` line (the real configs above)
CONN_LINE_TIMEOUTS = ("rpc", "h225")


def _hardware(name: str) -> str:
    """`ethernet0` -> `Ethernet0` (the ASA model's interface name)."""
    return name[:1].upper() + name[1:]


def to_asa(numbered: Numbered) -> Numbered:
    """PIX 6 lines as ASA lines, each keeping the number of the line it came from (so
    errors still name the line typed). Lines that are already ASA syntax pass as they are.
    PIX 6 has IPsec traffic checked by the ACLs unless `sysopt connection permit-ipsec`:
    the default the ASA model lacks is set first."""
    out: Numbered = []
    hardware: dict[str, str] = {}  # nameif -> hardware name
    for number, raw in numbered:
        w = raw.split()
        if not w or raw[:1].isspace():
            out.append((number, raw))
            continue
        if w[0] in ("PIX", "ASA") and w[1:2] == ["Version"]:
            out += [(number, raw), (number, "no sysopt connection permit-vpn")]
        elif w[0] == "nameif" and len(w) == 4 and w[3].startswith("security"):
            hardware[w[2]] = _hardware(w[1])
            out += [
                (number, f"interface {_hardware(w[1])}"),
                (number, f" nameif {w[2]}"),
                (number, f" security-level {w[3].removeprefix('security')}"),
            ]
        elif w[0] == "interface" and len(w) == 3 and w[2] in HARDWARE_SPEEDS:
            out.append((number, f"interface {_hardware(w[1])}"))
            out += [(number, " " + x) for x in HARDWARE_SPEEDS[w[2]]]
        elif w[:2] == ["ip", "address"] and len(w) == 5 and w[2] in hardware:
            out += [
                (number, f"interface {hardware[w[2]]}"),
                (number, " ip address " + " ".join(w[3:])),
            ]
        elif w[0] == "isakmp" and w[1:2] == ["key"] and len(w) >= 7 and w[3:4] == ["address"]:
            peer = w[4]  # [U] no-xauth / no-config-mode: an L2L peer either way
            out += [
                (number, f"tunnel-group {peer} type ipsec-l2l"),
                (number, f"tunnel-group {peer} ipsec-attributes"),
                (number, f" pre-shared-key {w[2]}"),
            ]
        elif w[0] == "isakmp" and w[1:2] == ["policy"] and len(w) >= 4:
            out += [(number, f"crypto isakmp policy {w[2]}"), (number, " " + " ".join(w[3:]))]
        elif w[0] == "isakmp":
            out.append((number, "crypto " + raw))
        elif w[0] == "crypto" and w[1:2] == ["map"] and w[4:] == ["ipsec-isakmp"]:
            continue  # an IKE-keyed entry: what every ASA crypto map entry is
        elif w[:3] == ["sysopt", "connection", "permit-ipsec"]:
            out.append((number, "sysopt connection permit-vpn"))
        elif w[:2] == ["logging", "on"]:
            out.append((number, "logging enable"))
        elif w[0] == "access-list" and len(w) > 2 and w[2] in ("permit", "deny"):
            out.append((number, " ".join([*w[:2], "extended", *w[2:]])))
        else:
            out.append((number, raw))
    return out


def _interfaces(block: list[str]) -> tuple[list[str], list[str], list[str]]:
    """One ASA interface block -> its `interface`, `nameif` and `ip address` lines."""
    name = block[0].split()[1].lower()
    words = [x.split() for x in block[1:]]
    nameif = next((w[1] for w in words if w[:1] == ["nameif"]), "")
    level = next((w[1] for w in words if w[:1] == ["security-level"]), "0")
    subs = tuple(" ".join(w) for w in words if w[:1] in (["shutdown"], ["speed"], ["duplex"]))
    speed = next((k for k, v in HARDWARE_SPEEDS.items() if v == subs), "auto")
    ifc = [f"interface {name} {speed}"]
    if not nameif:
        return ifc, [], []
    addr = [" ".join(["ip address", nameif, *w[2:]]) for w in words if w[:2] == ["ip", "address"]]
    return ifc, [f"nameif {name} {nameif} security{level}"], addr


def to_pix(lines: list[str], cfg: AsaConfig, *, mask: bool, sysopt: bool = True) -> list[str]:
    """ASA `show running-config` body lines in PIX 6 form (`sysopt`: print PIX 6's
    `sysopt connection permit-ipsec`, which the ASA lines leave out as the ASA default)."""
    ifcs: list[str] = []
    names: list[str] = []
    addrs: list[str] = []
    isakmp: list[str] = []
    out: list[str] = []
    at_addr = -1
    i = 0
    while i < len(lines):
        line = lines[i]
        j = i + 1
        while j < len(lines) and lines[j][:1].isspace():
            j += 1
        block, i = lines[i:j], j
        w = line.split()
        if w[:1] == ["interface"]:
            a, b, c = _interfaces(block)
            ifcs, names, addrs = ifcs + a, names + b, addrs + c
        elif w[:3] in (["crypto", "isakmp", "policy"], ["crypto", "ikev1", "policy"]):
            isakmp += [f"isakmp policy {w[3]} {x.strip()}" for x in block[1:]]
        elif w[:2] in (["crypto", "isakmp"], ["crypto", "ikev1"]):
            isakmp.append("isakmp " + " ".join(w[2:]))
        elif w[:1] == ["tunnel-group"]:
            isakmp += _tunnel_group(block, w, mask)
        elif w[:2] == ["access-list"] + w[1:2] and w[2:3] == ["extended"]:
            out.append(" ".join([*w[:2], *w[3:]]))
        elif w == ["no", "sysopt", "connection", "permit-vpn"]:
            continue  # PIX 6's default: the line is not printed
        elif w[:2] == ["timeout", "conn"]:  # PIX 6 has no icmp timeout on this line
            out.append(" ".join(x for k, x in enumerate(w) if "icmp" not in w[k - 1 : k + 1]))
        elif w[:1] == ["timeout"] and w[1:2] and w[1] in CONN_LINE_TIMEOUTS and out:
            at = next((k for k, x in enumerate(out) if x.startswith("timeout conn ")), -1)
            if at < 0:
                out.append(line)
            else:
                out[at] += " " + " ".join(w[1:])
        elif w[:2] == ["logging", "enable"]:
            out.append("logging on")
        elif w[:2] == ["crypto", "map"] and w[4:6] == ["match", "address"]:
            out += [f"crypto map {w[2]} {w[3]} ipsec-isakmp", line]
        else:
            if at_addr < 0 and w[:1] and w[0] in ("global", "nat", "route", "static", "arp"):
                at_addr = len(out)
            out += block
    if sysopt and cfg.sysopt.permit_vpn:
        isakmp_at = next((k for k, x in enumerate(out) if x.startswith("crypto ")), len(out))
        out.insert(isakmp_at, "sysopt connection permit-ipsec")
    crypto_end = max(
        (k + 1 for k, x in enumerate(out) if x.startswith("crypto ")), default=len(out)
    )
    rank = {"enable": 0, "key": 1, "identity": 2, "policy": 3}
    isakmp.sort(key=lambda x: rank.get(x.split()[1], 4))  # the real configs' order
    out[crypto_end:crypto_end] = isakmp
    at_addr = len(out) if at_addr < 0 else at_addr
    out[at_addr:at_addr] = addrs
    out[0:0] = ifcs + names  # first, as in every PIX 6 config
    return [x for x in out if x != "!"]


def _tunnel_group(block: list[str], w: list[str], mask: bool) -> list[str]:
    """`tunnel-group P ipsec-attributes` + `pre-shared-key K` -> `isakmp key K address P
    netmask 255.255.255.255 no-xauth no-config-mode` (the real line's L2L form). [U] Other
    tunnel-group lines have no PIX 6 form and are not printed."""
    if w[2:3] != ["ipsec-attributes"]:
        return []
    for sub in block[1:]:
        s = sub.split()
        if s and s[-2:-1] == ["pre-shared-key"]:
            key = PIX6_KEY_MASK if mask else s[-1]
            return [
                f"isakmp key {key} address {w[1]} netmask 255.255.255.255 no-xauth no-config-mode"
            ]
    return []
