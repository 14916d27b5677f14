"""`show vpn-sessiondb anyconnect` and `show vpn-sessiondb remote|ra-ikev1-ipsec`: the
remote-access sessions (AnyConnect; IPsec client mode and NEM).

Laid out as a real 9.x capture (ntc-templates tests/cisco_asa/show_vpn-sessiondb_anyconnect/
cisco_asa_show_vpn-sessiondb_anyconnect.raw) [C]: `Session Type: AnyConnect`, the
Username value padded to 19 characters and the others to 23, the three-part Protocol /
Encryption / Hashing lines, `License : AnyConnect Premium`, Group Policy beside Tunnel
Group, `Audt Sess ID` as the ASA's address, a counter and the login time in hex.
[U] The SSL and DTLS tunnels use the crypto map's cipher (the lab has no SSL settings);
`Assigned IP` is the client's inside address. [U] The IPsec remote-access form (no capture
found): the same layout with `Session Type: IPsec`, `Protocol : IKE IPsec` (8.x) or
`IKEv1 IPsec` with the per-protocol cipher lines (8.4+), `License : IPsec`, and the
8.x `NAC Result : Unknown` line.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from .. import tunnelkinds
from ..gateway import Gateway
from ..units import S
from .show import _clock, _login, _pair, _session

if TYPE_CHECKING:
    from ..sim import Simulation

USERNAME_VALUE = 19  # [C] the capture pads the user name to 19 where the rest take 23


def show_anyconnect(
    sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]
) -> str:
    return _sessions(sim, gw, ipsec=False)


def show_remote(sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]) -> str:
    return _sessions(sim, gw, ipsec=True)


def _protocol_lines(ipsec: bool, ike: str, enc: str, hsh: str, ike_keywords: bool) -> list[str]:
    if not ipsec:
        return [
            "Protocol     : AnyConnect-Parent SSL-Tunnel DTLS-Tunnel\n",
            "License      : AnyConnect Premium\n",
            f"Encryption   : AnyConnect-Parent: (1)none  SSL-Tunnel: (1){enc}  "
            f"DTLS-Tunnel: (1){enc}\n",
            f"Hashing      : AnyConnect-Parent: (1)none  SSL-Tunnel: (1){hsh}  "
            f"DTLS-Tunnel: (1){hsh}\n",
        ]
    head = [f"Protocol     : {ike} IPsec\n", "License      : IPsec\n"]
    if ike_keywords:
        return head + [
            f"Encryption   : {ike}: (1){enc}  IPsec: (1){enc}\n",
            f"Hashing      : {ike}: (1){hsh}  IPsec: (1){hsh}\n",
        ]
    return head + [_pair(f"Encryption   : {enc}", f"Hashing      : {hsh}")]


def _sessions(sim: Simulation, gw: Gateway, *, ipsec: bool) -> str:
    from ..vpn import _group_policy
    from .show import profile_of

    assert gw.cfg is not None
    ike_keywords = profile_of(gw).ike_keywords
    ike = "IKEv1" if ike_keywords else "IKE"
    out = [f"Session Type: {'IPsec' if ipsec else 'AnyConnect'}\n"]
    index = 0
    for t in sim.tunnels.values():
        wording = tunnelkinds.wording(t)
        if gw.id not in (t.spec.a, t.spec.b) or not wording.remote_access:
            continue
        if wording.ipsec != ipsec:
            continue
        if t.id not in gw.ike_up:
            continue
        index += 1
        peer, sa, enc, hsh, total, started = _session(sim, gw, t)
        dur = (sim.now - started) // S
        assigned = sim.peer_of(t, gw.id).node.inside_address or peer
        own = int(ipaddress.IPv4Address(gw.address("outside")))
        login_s = int(_clock(sim, started).timestamp())
        out += [
            f"Username     : {t.spec.user:<{USERNAME_VALUE}}Index        : {index}\n",
            _pair(f"Assigned IP  : {assigned}", f"Public IP    : {peer}"),
            *_protocol_lines(ipsec, ike, enc, hsh, ike_keywords),
            _pair(f"Bytes Tx     : {total.bytes_out}", f"Bytes Rx     : {total.bytes_in}"),
            _pair(
                f"Group Policy : {_group_policy(gw, peer)}",
                f"Tunnel Group : {gw.cfg.tunnel_group(peer).name}",
            ),
            f"Login Time   : {_login(_clock(sim, started))}\n",
            f"Duration     : {dur // 3600}h:{dur % 3600 // 60:02d}m:{dur % 60:02d}s\n",
            "Inactivity   : 0h:00m:00s\n",
            *(["NAC Result   : Unknown\n"] if ipsec and not ike_keywords else []),
            _pair("VLAN Mapping : N/A", "VLAN         : none"),
            f"Audt Sess ID : {own:08x}{index:08x}{login_s & 0xFFFFFFFF:08x}\n",
            _pair("Security Grp : none", ""),
        ]
    if index == 0:  # [U] the wording the lab prints for an empty l2l list
        return "INFO: There are presently no active sessions of the type specified\n"
    return "".join(out)
