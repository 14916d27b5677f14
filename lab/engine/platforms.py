"""What each kind of VPN gateway can do, as data (seed: "Compatibility Details").

`preserve_since` is the first software version that has `sysopt connection
preserve-vpn-flows` (ASA 8.0(4), S0); None means the platform never has it (PIX 6.0,
VPN 3000 concentrators, IOS). `conn_table` says whether the box keeps per-flow state that
a tunnel loss can tear down; a non-Cisco peer keeps none the lab models (S0: "enabling
this command on the Cisco ASA should suffice").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Platform:
    name: str
    conn_table: bool
    preserve_since: tuple[int, ...] | None
    syslog_prefix: str  # "%ASA" / "%PIX"
    # How the CLI refuses `sysopt connection preserve-vpn-flows` where it does not exist.
    # [U] PIX 6.0 and VPN 3000 wording is our best reconstruction, not a capture.
    reject_style: str


PLATFORMS: dict[str, Platform] = {
    "asa": Platform("Cisco ASA", True, (8, 0, 4), "%ASA", "asa"),
    "pix": Platform("Cisco PIX", True, None, "%PIX", "pix"),
    "vpn3000": Platform("Cisco VPN 3000 Concentrator", False, None, "", "vpn3000"),
    "ios": Platform("Cisco IOS router", False, None, "%", "ios"),
    "other": Platform("Non-Cisco VPN gateway", False, None, "", "other"),
}

# Tunnel kinds on which PRESERVE is stamped (S0: supported only for LAN-to-LAN and remote
# access in Network Extension Mode; not client mode, not AnyConnect/SSL).
PRESERVE_TUNNEL_KINDS = frozenset({"l2l", "nem"})
# How each kind is named in the device's logs and shows: tunnelkinds.WORDING.


def parse_version(text: str) -> tuple[int, ...]:
    """`8.0(4)` -> (8, 0, 4); `9.16(4)` -> (9, 16, 4); junk -> ()."""
    digits = []
    for part in text.replace("(", ".").replace(")", ".").split("."):
        num = "".join(c for c in part if c.isdigit())
        if num and part[: len(num)] == num:
            digits.append(int(num))
    return tuple(digits)


def has_preserve_vpn_flows(platform: str, version: str) -> bool:
    since = PLATFORMS[platform].preserve_since
    return since is not None and parse_version(version) >= since
