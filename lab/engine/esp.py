"""ESP in tunnel mode (RFC 4303) with the keys the engine derived, and Wireshark's SA table.

A run's SAs hold `keys.EspKeys` (SPI, transform, encryption and authentication keys from
the quick-mode KEYMAT). `seal` turns inner IPv4 packets into ESP payloads: CBC encryption
with `cryptography`, HMAC-MD5-96 or HMAC-SHA1-96 (RFC 2403/2404), or for IKEv2 proposals
HMAC-SHA-256-128/384-192/512-256 (RFC 4868) for the ICV.

All packets of one SA in one export go through one CBC encryptor: the IV written in each
packet is the last ciphertext block of the packet before it (the first IV is derived from
the key and the first sequence number). [U] Real ASAs draw a fresh random IV per packet;
chained IVs are valid ESP (the receiver reads the IV from the packet) and make the export
one OpenSSL call per SA instead of one per packet, but they are predictable, which is only
acceptable because these keys protect nothing.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

try:  # cryptography >= 43 keeps 3DES among the "decrepit" algorithms
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # pragma: no cover - older cryptography
    TripleDES = algorithms.TripleDES  # type: ignore[misc,attr-defined,unused-ignore]

ICV_BYTES = 12  # HMAC-*-96; the RFC 4868 algorithms carry their own length
NEXT_HEADER_IPV4 = 4  # tunnel mode: the payload is an IPv4 packet


@dataclass(frozen=True)
class Transform:
    cipher: str  # esp-aes-256, esp-3des...
    auth: str  # esp-sha-hmac | esp-md5-hmac
    block: int
    wireshark_cipher: str
    wireshark_auth: str
    digest: str
    icv: int = ICV_BYTES


_CIPHERS = {  # transform -> (block size, Wireshark esp_sa name)
    "esp-aes": (16, "AES-CBC [RFC3602]"),
    "esp-aes-192": (16, "AES-CBC [RFC3602]"),
    "esp-aes-256": (16, "AES-CBC [RFC3602]"),
    "esp-3des": (8, "TripleDES-CBC [RFC2451]"),
    "esp-des": (8, "DES-CBC [RFC2405]"),
}
_AUTHS = {  # transform -> (Wireshark esp_sa name, digest, ICV bytes)
    "esp-sha-hmac": ("HMAC-SHA-1-96 [RFC2404]", "sha1", ICV_BYTES),
    "esp-md5-hmac": ("HMAC-MD5-96 [RFC2403]", "md5", ICV_BYTES),
    # names as a real ASA 9.x `show crypto ipsec sa` prints them (`esp-sha-256-hmac`)
    "esp-sha-256-hmac": ("HMAC-SHA-256-128 [RFC4868]", "sha256", 16),
    "esp-sha-384-hmac": ("HMAC-SHA-384-192 [RFC4868]", "sha384", 24),
    "esp-sha-512-hmac": ("HMAC-SHA-512-256 [RFC4868]", "sha512", 32),
}


def transform_of(names: tuple[str, ...]) -> Transform:
    """The cipher and integrity algorithm of a transform set (keys.quick_mode's defaults:
    3DES key length and SHA-1 when a name is missing)."""
    cipher = next((n for n in names if n in _CIPHERS), "esp-3des")
    auth = next((n for n in names if n in _AUTHS), "esp-sha-hmac")
    block, ws_cipher = _CIPHERS[cipher]
    ws_auth, digest, icv = _AUTHS[auth]
    return Transform(cipher, auth, block, ws_cipher, ws_auth, digest, icv)


def _algorithm(t: Transform, key: bytes) -> Any:
    if t.block == 16:
        return algorithms.AES(key)
    if t.cipher == "esp-des":
        return TripleDES(key * 3)  # K1 = K2 = K3 is single DES
    return TripleDES(key)


@dataclass(frozen=True)
class OutboundSa:
    """One direction of an SA as the sender uses it."""

    spi: int
    src: str  # outer addresses
    dst: str
    transform: Transform
    enc_key: bytes
    auth_key: bytes


def seal(sa: OutboundSa, packets: list[tuple[int, bytes]]) -> list[bytes]:
    """ESP payloads (header, IV, ciphertext, ICV) for (sequence number, inner packet)
    pairs, in the order given."""
    if not packets:
        return []
    t = sa.transform
    bs = t.block
    spi = sa.spi.to_bytes(4, "big")
    first_iv = hmac.digest(sa.enc_key, spi + packets[0][0].to_bytes(4, "big"), "sha256")[:bs]
    trailers = [bytes(range(1, pad + 1)) + bytes((pad, NEXT_HEADER_IPV4)) for pad in range(bs)]
    plains = [inner + trailers[-(len(inner) + 2) % bs] for _, inner in packets]
    enc = Cipher(_algorithm(t, sa.enc_key), modes.CBC(first_iv)).encryptor()
    cipher = enc.update(b"".join(plains)) + enc.finalize()
    out = []
    pos = 0
    iv = first_iv
    auth_key, digest, mac = sa.auth_key, t.digest, hmac.digest
    view = memoryview(cipher)
    for (seq, _), plain in zip(packets, plains, strict=True):
        end = pos + len(plain)
        body = b"".join((spi, seq.to_bytes(4, "big"), iv, view[pos:end]))
        out.append(body + mac(auth_key, body, digest)[: t.icv])
        iv = cipher[end - bs : end]
        pos = end
    return out


def esp_sa_line(sa: OutboundSa) -> str:
    """One record of Wireshark's `esp_sa` UAT file (Preferences > Protocols > ESP)."""
    fields = [
        "IPv4",
        sa.src,
        sa.dst,
        f"0x{sa.spi:08x}",
        sa.transform.wireshark_cipher,
        "0x" + sa.enc_key.hex(),
        sa.transform.wireshark_auth,
        "0x" + sa.auth_key.hex(),
    ]
    return ",".join(f'"{f}"' for f in fields)


def esp_sa_file(sas: list[OutboundSa]) -> str:
    """The whole file: a comment header and one line per SA (each direction is one SA)."""
    head = (
        "# This file is automatically generated, DO NOT MODIFY.\n"
        "# ESP SAs of a VPN Flow Lab capture: copy into your Wireshark profile as esp_sa\n"
    )
    return head + "".join(esp_sa_line(sa) + "\n" for sa in sas)
