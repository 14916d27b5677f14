"""`show vpn-sessiondb anyconnect`: the remote-access sessions an AnyConnect client holds.

Laid out as a real 9.x capture (ntc-templates tests/cisco_asa/show_vpn-sessiondb_anyconnect/
cisco_asa_show_vpn-sessiondb_anyconnect.raw) [C]: `Session Type: AnyConnect`, the
Username value padded to 19 characters and the others to 23, the three-part Protocol /
Encryption / Hashing lines, `License : AnyConnect Premium`, Group Policy beside Tunnel
Group, `Audt Sess ID` as the ASA's address, a counter and the login time in hex.
[U] The SSL and DTLS tunnels use the crypto map's cipher (the lab has no SSL settings);
`Assigned IP` is the client's inside address.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from .. import tunnelkinds, vpn
from ..gateway import Gateway
from ..units import S
from .show import _cipher, _clock, _login, _pair, _peer

if TYPE_CHECKING:
    from ..sim import Simulation

USERNAME_VALUE = 19  # [C] the capture pads the user name to 19 where the rest take 23


def show_anyconnect(
    sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]
) -> str:
    from ..vpn import _group_policy

    assert gw.cfg is not None
    out = ["Session Type: AnyConnect\n"]
    index = 0
    for t in sim.tunnels.values():
        if gw.id not in (t.spec.a, t.spec.b) or tunnelkinds.wording(t).ipsec:
            continue
        if t.id not in gw.ike_up:
            continue
        index += 1
        peer = _peer(sim, t, gw)
        sa = gw.sas.get(t.id)
        transform = tuple(sa.keys_out.transform) if sa and sa.keys_out is not None else ()
        enc, hsh = _cipher(transform)
        total = vpn.session_traffic(sim, t, gw)
        started = gw.ike_up[t.id]
        dur = (sim.now - started) // S
        assigned = sim.peer_of(t, gw.id).node.inside_address or peer
        own = int(ipaddress.IPv4Address(gw.address("outside")))
        login_s = int(_clock(sim, started).timestamp())
        out += [
            f"Username     : {t.spec.user:<{USERNAME_VALUE}}Index        : {index}\n",
            _pair(f"Assigned IP  : {assigned}", f"Public IP    : {peer}"),
            "Protocol     : AnyConnect-Parent SSL-Tunnel DTLS-Tunnel\n",
            "License      : AnyConnect Premium\n",
            f"Encryption   : AnyConnect-Parent: (1)none  SSL-Tunnel: (1){enc}  "
            f"DTLS-Tunnel: (1){enc}\n",
            f"Hashing      : AnyConnect-Parent: (1)none  SSL-Tunnel: (1){hsh}  "
            f"DTLS-Tunnel: (1){hsh}\n",
            _pair(f"Bytes Tx     : {total.bytes_out}", f"Bytes Rx     : {total.bytes_in}"),
            _pair(
                f"Group Policy : {_group_policy(gw, peer)}",
                f"Tunnel Group : {gw.cfg.tunnel_group(peer).name}",
            ),
            f"Login Time   : {_login(_clock(sim, started))}\n",
            f"Duration     : {dur // 3600}h:{dur % 3600 // 60:02d}m:{dur % 60:02d}s\n",
            "Inactivity   : 0h:00m:00s\n",
            _pair("VLAN Mapping : N/A", "VLAN         : none"),
            f"Audt Sess ID : {own:08x}{index:08x}{login_s & 0xFFFFFFFF:08x}\n",
            _pair("Security Grp : none", ""),
        ]
    if index == 0:  # [U] the wording the lab prints for an empty l2l list
        return "INFO: There are presently no active sessions of the type specified\n"
    return "".join(out)
