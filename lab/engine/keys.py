"""IKEv1 (RFC 2409) and IKEv2 (RFC 7296) key exchange and key derivation; the PRF is
`cryptography`'s HMAC.

Private values, nonces, cookies and SPIs come from the simulation's seeded generator, so a
replay derives the same keys; the packet-capture export encrypts ESP with them.
Pre-shared-key authentication:
    SKEYID   = prf(pre-shared-key, Ni_b | Nr_b)
    SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
    SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
    SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
    KEYMAT   = K1 | K2 | ...,  K1 = prf(SKEYID_d, protocol | SPI | Ni_b | Nr_b),
               Kn = prf(SKEYID_d, Kn-1 | protocol | SPI | Ni_b | Nr_b)
IKEv2 (RFC 7296 sections 2.13, 2.14, 2.17, 2.18):
    SKEYSEED = prf(Ni | Nr, g^ir)
    {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
    prf+(K, S) = T1 | T2 | ...,  T1 = prf(K, S | 0x01),  Tn = prf(K, Tn-1 | S | n)
    child KEYMAT = prf+(SK_d, Ni | Nr): initiator->responder keys first, encryption then
    integrity; an IKE SA rekey: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, hmac

# RFC 2409 6.2 (group 2, 1024-bit MODP) and RFC 3526 (groups 5 and 14); generator 2.
_MODP_HEX = {
    2: "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3"
    "CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5"
    "AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
    5: "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3"
    "CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5"
    "AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356"
    "208552BB9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF",
    14: "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3"
    "CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5"
    "AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356"
    "208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28F"
    "B5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF",
}
MODP_GROUPS = {g: int(h, 16) for g, h in _MODP_HEX.items()}

PROTO_ESP = 3  # IPSEC_ESP protocol id (RFC 2407 4.4.1)

# ESP transform -> (encryption key bytes, cipher name for Wireshark/pcap export)
ESP_CIPHERS = {
    "esp-aes": 16,
    "esp-aes-192": 24,
    "esp-aes-256": 32,
    "esp-3des": 24,
    "esp-des": 8,
}
ESP_AUTH = {"esp-md5-hmac": 16, "esp-sha-hmac": 20}
ESP_AUTH |= {"esp-sha-256-hmac": 32, "esp-sha-384-hmac": 48, "esp-sha-512-hmac": 64}  # RFC 4868


# IKEv1 hash / IKEv2 prf and integrity names -> hash algorithm (HMAC-based PRFs only).
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "md5": hashes.MD5,
    "sha": hashes.SHA1,
    "sha-1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def _prf(hash_name: str, key: bytes, data: bytes) -> bytes:
    algorithm = _HASHES.get(hash_name, hashes.SHA1)()
    h = hmac.HMAC(key, algorithm)
    h.update(data)
    return h.finalize()


@dataclass(frozen=True)
class IkeKeys:
    """Phase-1 result: cookies, nonces and SKEYID family (RFC 2409 section 5)."""

    group: int
    hash: str
    cookie_i: bytes
    cookie_r: bytes
    nonce_i: bytes
    nonce_r: bytes
    shared_secret: bytes
    public_i: int
    public_r: int
    skeyid_d: bytes
    skeyid_a: bytes
    skeyid_e: bytes


@dataclass(frozen=True)
class EspKeys:
    """One direction of an IPsec SA: SPI and the keys ESP uses."""

    spi: int
    transform: tuple[str, ...]
    enc_key: bytes
    auth_key: bytes


def dh_keypair(group: int, rng: random.Random) -> tuple[int, int]:
    """(private x, public g^x mod p) for a MODP group, x drawn from the seeded generator.

    The modular exponentiation is done with Python integers: loading each key into
    `cryptography` costs ~30 ms of OpenSSL parameter checks per key, which would dominate
    a run. tests/engine/test_keys.py checks this against cryptography's own DH exchange.
    """
    p = MODP_GROUPS[group]
    x = rng.getrandbits(256) | (1 << 255)
    return x, pow(2, x, p)


def dh_shared(group: int, private: int, peer_public: int) -> bytes:
    """g^xy mod p as a big-endian byte string the length of p (RFC 2409 g^xy)."""
    p = MODP_GROUPS[group]
    if not 1 < peer_public < p - 1:
        raise ValueError("peer public value out of range")
    return pow(peer_public, private, p).to_bytes((p.bit_length() + 7) // 8, "big")


def phase1(group: int, hash_name: str, psk: str, rng: random.Random) -> IkeKeys:
    """Run a main-mode Diffie-Hellman exchange between two simulated peers."""
    if group not in MODP_GROUPS:
        group = 2
    x_i, y_i = dh_keypair(group, rng)
    x_r, y_r = dh_keypair(group, rng)
    shared = dh_shared(group, x_i, y_r)
    cky_i, cky_r = rng.randbytes(8), rng.randbytes(8)
    ni, nr = rng.randbytes(16), rng.randbytes(16)
    skeyid = _prf(hash_name, psk.encode() or b"cisco", ni + nr)
    d = _prf(hash_name, skeyid, shared + cky_i + cky_r + b"\x00")
    a = _prf(hash_name, skeyid, d + shared + cky_i + cky_r + b"\x01")
    e = _prf(hash_name, skeyid, a + shared + cky_i + cky_r + b"\x02")
    return IkeKeys(group, hash_name, cky_i, cky_r, ni, nr, shared, y_i, y_r, d, a, e)


def new_spi(rng: random.Random) -> int:
    """A 32-bit SPI; values below 256 are reserved (RFC 4303 2.1)."""
    return rng.randrange(0x100, 0x1_0000_0000)


def keymat(ike: IkeKeys, spi: int, nonce_i: bytes, nonce_r: bytes, length: int) -> bytes:
    """Quick-mode KEYMAT for one SPI, without PFS (RFC 2409 section 5.5)."""
    seed = bytes([PROTO_ESP]) + spi.to_bytes(4, "big") + nonce_i + nonce_r
    out = b""
    block = b""
    while len(out) < length:
        block = _prf(ike.hash, ike.skeyid_d, block + seed)
        out += block
    return out[:length]


def quick_mode(
    ike: IkeKeys, transform: tuple[str, ...], rng: random.Random
) -> tuple[EspKeys, EspKeys]:
    """Negotiate an SA pair: (initiator->responder, responder->initiator)."""
    enc = next((ESP_CIPHERS[t] for t in transform if t in ESP_CIPHERS), 24)
    auth = next((ESP_AUTH[t] for t in transform if t in ESP_AUTH), 20)
    ni, nr = rng.randbytes(16), rng.randbytes(16)
    pair = []
    for _ in range(2):
        spi = new_spi(rng)
        km = keymat(ike, spi, ni, nr, enc + auth)
        pair.append(EspKeys(spi, transform, km[:enc], km[enc:]))
    return pair[0], pair[1]


# -- IKEv2 (RFC 7296) -------------------------------------------------------------------

# IKEv2 policy encryption -> key bytes (RFC 3602 / 3686 key sizes; 3DES 24, DES 8).
IKEV2_ENCR_KEY = {"aes": 16, "aes-192": 24, "aes-256": 32, "3des": 24, "des": 8}
# IKEv2 integrity -> HMAC key bytes (RFC 7296 3.3.2 / RFC 4868: key = output length).
IKEV2_INTEG_KEY = {"md5": 16, "sha": 20, "sha-1": 20, "sha256": 32, "sha384": 48, "sha512": 64}


def prf_plus(prf: str, key: bytes, seed: bytes, length: int) -> bytes:
    """prf+ (RFC 7296 2.13): T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n)."""
    out = b""
    block = b""
    n = 1
    while len(out) < length:
        block = _prf(prf, key, block + seed + bytes([n]))
        out += block
        n += 1
    return out[:length]


@dataclass(frozen=True)
class Ike2Keys:
    """An IKEv2 SA: SPIs, nonces, DH publics and the SK_* family (RFC 7296 2.14)."""

    group: int
    prf: str
    encryption: str
    integrity: str
    spi_i: bytes
    spi_r: bytes
    nonce_i: bytes
    nonce_r: bytes
    public_i: int
    public_r: int
    shared_secret: bytes
    skeyseed: bytes
    sk_d: bytes
    sk_ai: bytes
    sk_ar: bytes
    sk_ei: bytes
    sk_er: bytes
    sk_pi: bytes
    sk_pr: bytes


def _ike2_family(
    prf: str, encryption: str, integrity: str, skeyseed: bytes, seed: bytes
) -> tuple[bytes, ...]:
    """Split prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) into SK_d, ai, ar, ei, er, pi, pr."""
    p = len(_prf(prf, b"k", b""))
    a = IKEV2_INTEG_KEY.get(integrity, 20)
    e = IKEV2_ENCR_KEY.get(encryption, 32)
    sizes = (p, a, a, e, e, p, p)
    stream = prf_plus(prf, skeyseed, seed, sum(sizes))
    parts, at = [], 0
    for size in sizes:
        parts.append(stream[at : at + size])
        at += size
    return tuple(parts)


def ikev2_sa(
    group: int,
    prf: str,
    encryption: str,
    integrity: str,
    rng: random.Random,
    old: Ike2Keys | None = None,
) -> Ike2Keys:
    """IKE_SA_INIT between two simulated peers (or, with `old`, a CREATE_CHILD_SA rekey of
    the IKE SA: SKEYSEED = prf(SK_d old, g^ir new | Ni | Nr), RFC 7296 2.18)."""
    if group not in MODP_GROUPS:
        group = 2
    x_i, y_i = dh_keypair(group, rng)
    x_r, y_r = dh_keypair(group, rng)
    shared = dh_shared(group, x_i, y_r)
    spi_i, spi_r = rng.randbytes(8), rng.randbytes(8)
    ni, nr = rng.randbytes(32), rng.randbytes(32)
    if old is None:
        skeyseed = _prf(prf, ni + nr, shared)
    else:
        skeyseed = _prf(old.prf, old.sk_d, shared + ni + nr)
    fam = _ike2_family(prf, encryption, integrity, skeyseed, ni + nr + spi_i + spi_r)
    return Ike2Keys(
        group,
        prf,
        encryption,
        integrity,
        spi_i,
        spi_r,
        ni,
        nr,
        y_i,
        y_r,
        shared,
        skeyseed,
        *fam,
    )


def ikev2_child(
    ike: Ike2Keys, transform: tuple[str, ...], rng: random.Random, *, first: bool
) -> tuple[EspKeys, EspKeys, bytes, bytes]:
    """A child SA pair (initiator->responder, responder->initiator) and its nonces.

    The first child comes with IKE_AUTH and uses the IKE_SA_INIT nonces; a CREATE_CHILD_SA
    brings fresh ones. KEYMAT = prf+(SK_d, Ni | Nr), without PFS (RFC 7296 2.17)."""
    enc = next((ESP_CIPHERS[t] for t in transform if t in ESP_CIPHERS), 24)
    auth = next((ESP_AUTH[t] for t in transform if t in ESP_AUTH), 20)
    ni, nr = (ike.nonce_i, ike.nonce_r) if first else (rng.randbytes(32), rng.randbytes(32))
    km = prf_plus(ike.prf, ike.sk_d, ni + nr, 2 * (enc + auth))
    spi_ir, spi_ri = new_spi(rng), new_spi(rng)
    i_to_r = EspKeys(spi_ir, transform, km[:enc], km[enc : enc + auth])
    rest = km[enc + auth :]
    r_to_i = EspKeys(spi_ri, transform, rest[:enc], rest[enc:])
    return i_to_r, r_to_i, ni, nr
