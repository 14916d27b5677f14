"""`show crypto ikev2 sa [detail]` and the IKEv2 block of `show vpn-sessiondb detail l2l`.

Sources [C]: real ASA captures of `show crypto ikev2 sa` on an IKEv2 L2L pair (the
"Cisco ASA IPsec site-to-site VPN IKEv2 how-to tutorial", both ends: INITIATOR and
RESPONDER rows) and of `show crypto isakmp sa` on ASA 9.6 (Zscaler's "Troubleshooting
IPSec VPN tunnels" page): `Session-id:N, Status:UP-ACTIVE, IKE count:1, CHILD count:1`,
the `Tunnel-id Local Remote Status Role` table (column widths as a public parser test
quotes the same output), `Encr: AES-CBC, keysize: 256, Hash: SHA96, DH Grp:2, Auth sign:
PSK, Auth verify: PSK`, `Life/Active Time: 86400/33 sec` and the `Child sa:` selector and
`ESP spi in/out:` lines (lower-case hex). The `detail` lines and the sessiondb block are
[U]: our reconstruction of the ASA layout, not checked on a capture.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from .. import ikepolicy
from ..gateway import Gateway
from ..tunnels import TunnelRun
from ..units import S

if TYPE_CHECKING:
    from ..sim import Simulation

_ENCR = {"aes": "AES-CBC, keysize: 128", "aes-192": "AES-CBC, keysize: 192"}
_ENCR |= {"aes-256": "AES-CBC, keysize: 256", "3des": "3DES", "des": "DES"}
_HASH = {"sha": "SHA96", "md5": "MD596", "sha256": "SHA256", "sha384": "SHA384"}
_HASH |= {"sha512": "SHA512"}
_ESP_HMAC = {"esp-sha-hmac": "SHA96", "esp-md5-hmac": "MD596", "esp-sha-256-hmac": "SHA256"}
_ESP_HMAC |= {"esp-sha-384-hmac": "SHA384", "esp-sha-512-hmac": "SHA512"}
_SESSIONDB_ENC = {"aes": "AES128", "aes-192": "AES192", "aes-256": "AES256"}
_SESSIONDB_ENC |= {"3des": "3DES", "des": "DES"}
_SESSIONDB_HASH = {"sha": "SHA1", "md5": "MD5", "sha256": "SHA256", "sha384": "SHA384"}
_SESSIONDB_HASH |= {"sha512": "SHA512"}


def _tunnels(sim: Simulation, gw: Gateway) -> list[TunnelRun]:
    return [
        t
        for t in sim.tunnels.values()
        if gw.id in (t.spec.a, t.spec.b) and t.version == 2 and t.id in gw.ike_up
    ]


def _peer(sim: Simulation, t: TunnelRun, gw: Gateway) -> str:
    return sim.peer_of(t, gw.id).address("outside")


def _selector(addr: str, mask: str) -> str:
    net = ipaddress.IPv4Network(f"{addr}/{mask}", strict=False)
    return f"{net.network_address}/0 - {net.broadcast_address}/65535"


def _tunnel_id(t: TunnelRun) -> int:
    return int.from_bytes(t.ike_keys.spi_i[:4], "big") >> 1  # [U] a stable number


def render(sim: Simulation, gw: Gateway, *, detail: bool) -> str:
    """The IKEv2 part of `show crypto isakmp sa` / `show crypto ikev2 sa`."""
    rows = _tunnels(sim, gw)
    if not rows:
        return "There are no IKEv2 SAs\n"
    out = ["IKEv2 SAs:\n\n"]
    for session, t in enumerate(rows, start=1):
        k = t.ike_keys
        local, peer = gw.address("outside"), _peer(sim, t, gw)
        role = "INITIATOR" if t.initiator == gw.id else "RESPONDER"
        assert gw.cfg is not None
        pol = gw.cfg.ikev2_policies[min(gw.cfg.ikev2_policies)] if gw.cfg.ikev2_policies else None
        lifetime = pol.lifetime_s if pol else 86400
        active = (sim.now - gw.ike_up[t.id]) // S
        out += [
            f"Session-id:{session}, Status:UP-ACTIVE, IKE count:1, CHILD count:"
            f"{1 if t.id in gw.sas else 0}\n\n",
            "Tunnel-id                 Local                Remote     Status         Role\n",
            f"{_tunnel_id(t):>12}{local + '/500':>19}{peer + '/500':>22}{'READY':>11}{role:>13}\n",
            f"      Encr: {_ENCR.get(k.encryption, k.encryption)}, Hash: "
            f"{_HASH.get(k.integrity, k.integrity)}, DH Grp:{k.group}, Auth sign: PSK, "
            "Auth verify: PSK\n",
            f"      Life/Active Time: {lifetime}/{active} sec\n",
        ]
        if detail:  # [U]
            tg = gw.cfg.tunnel_group(peer)
            dpd = (
                "DPD disabled"
                if tg.keepalive_disabled
                else f"DPD configured for {tg.keepalive_threshold} seconds, retry "
                f"{tg.keepalive_retry}"
            )
            mine, theirs = (k.spi_i, k.spi_r) if role == "INITIATOR" else (k.spi_r, k.spi_i)
            out += [
                f"      Session-id: {session}\n",
                "      Status Description: Negotiation done\n",
                f"      Local spi: {mine.hex().upper()}       Remote spi: {theirs.hex().upper()}\n",
                f"      Local id: {local}\n",
                f"      Remote id: {peer}\n",
                f"      {dpd}\n",
                "      NAT-T is not detected\n",
            ]
        sa = gw.sas.get(t.id)
        if sa is not None:
            entry = gw.cfg.crypto_entry_for_peer(peer)
            la, lm, ra, rm = ikepolicy.acl_networks(gw.cfg, entry)
            out += [
                f"Child sa: local selector  {_selector(la, lm)}\n",
                f"          remote selector {_selector(ra, rm)}\n",
                f"          ESP spi in/out: 0x{sa.spi_in:08x}/0x{sa.spi_out:08x}\n",
            ]
            if detail:  # [U]
                hmac = next((x for x in sa.keys_out.transform if x.endswith("hmac")), "")
                esp_hmac = _ESP_HMAC.get(hmac, "None")
                enc = next((x for x in sa.keys_out.transform if not x.endswith("hmac")), "")
                bits = {"esp-aes": 128, "esp-aes-192": 192, "esp-aes-256": 256}.get(enc)
                encr = f"AES-CBC, keysize: {bits}" if bits else enc.removeprefix("esp-").upper()
                out += [
                    "          AH spi in/out: 0x0/0x0\n",
                    "          CPI in/out: 0x0/0x0\n",
                    f"          Encr: {encr}, esp_hmac: {esp_hmac}\n",
                    "          ah_hmac: None, comp: IPCOMP_NONE, mode tunnel\n",
                ]
        out.append("\n")
    return "".join(out)


def show(sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]) -> str:
    """`show crypto ikev2 sa [detail]`."""
    return render(sim, gw, detail=words[-1] == "detail")


def sessiondb_ciphers(t: TunnelRun) -> tuple[str, str]:
    """The IKE SA's encryption and hashing as `show vpn-sessiondb` names them."""
    k = t.ike_keys
    return _SESSIONDB_ENC.get(k.encryption, k.encryption), _SESSIONDB_HASH.get(
        k.integrity, k.integrity
    )


def sessiondb_ike(sim: Simulation, gw: Gateway, t: TunnelRun, index: int) -> list[str]:
    """[U] The IKEv2 block of `show vpn-sessiondb detail l2l` (the IKEv1 block's layout)."""
    k = t.ike_keys
    assert gw.cfg is not None
    pol = gw.cfg.ikev2_policies[min(gw.cfg.ikev2_policies)] if gw.cfg.ikev2_policies else None
    life = pol.lifetime_s if pol else 86400
    left = max(0, life - (sim.now - gw.ike_up[t.id]) // S)

    def pair(left_text: str, right: str) -> str:
        return f"{left_text}  {right}\n"

    return [
        "IKEv2:\n",
        f"  Tunnel ID    : {index}.1\n",
        pair(f"  UDP Src Port : {500:<22}", "UDP Dst Port : 500"),
        "  Rem Auth Mode: preSharedKeys\n",
        "  Loc Auth Mode: preSharedKeys\n",
        pair(
            f"  Encryption   : {_SESSIONDB_ENC.get(k.encryption, k.encryption):<22}",
            f"Hashing      : {_SESSIONDB_HASH.get(k.integrity, k.integrity)}",
        ),
        pair(f"  Rekey Int (T): {f'{life} Seconds':<22}", f"Rekey Left(T): {left} Seconds"),
        pair(
            f"  PRF          : {_SESSIONDB_HASH.get(k.prf, k.prf):<22}",
            f"D/H Group    : {k.group}",
        ),
        "  Filter Name  : \n\n",
    ]
