"""Wire formats for the capture export: libpcap, Ethernet, IPv4, TCP, UDP, ISAKMP (IKEv1).

Plain `struct`, no dissector library. Checksums use the identity that the ones'-complement
sum of 16-bit big-endian words is the number they spell modulo 0xFFFF (RFC 1071), so one
`int.from_bytes` does the work of a loop over words.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable

LINKTYPE_ETHERNET = 1
PCAP_SNAPLEN = 65535
ETHERTYPE_IPV4 = 0x0800
PROTO_TCP = 6
PROTO_UDP = 17
PROTO_ESP = 50
IP_DF = 0x4000

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

_PCAP_HEADER = struct.Struct("<IHHiIII")
_PCAP_RECORD = struct.Struct("<IIII")
_IP = struct.Struct("!BBHHHBBH4s4s")
_TCP = struct.Struct("!HHIIBBHHH")
_UDP = struct.Struct("!HHHH")


# -- libpcap ----------------------------------------------------------------------------


def pcap_header(linktype: int = LINKTYPE_ETHERNET) -> bytes:
    """The global header: magic a1b2c3d4 (microsecond timestamps), version 2.4."""
    return _PCAP_HEADER.pack(0xA1B2C3D4, 2, 4, 0, 0, PCAP_SNAPLEN, linktype)


def pcap_record(t_us: int, frame: bytes) -> bytes:
    n = len(frame)
    return _PCAP_RECORD.pack(t_us // 1_000_000, t_us % 1_000_000, n, n) + frame


def pcap_file(frames: Iterable[tuple[int, bytes]], base_us: int = 0) -> bytes:
    """`base_us`: the wall time of simulated time 0, microseconds since 1970 (UTC)."""
    rec = _PCAP_RECORD.pack
    parts = [pcap_header()]
    for t_us, frame in frames:
        n = len(frame)
        t_us += base_us
        parts.append(rec(t_us // 1_000_000, t_us % 1_000_000, n, n))
        parts.append(frame)
    return b"".join(parts)


# -- addresses --------------------------------------------------------------------------


def ip4(text: str) -> bytes:
    parts = [int(p) for p in text.split(".")]
    if len(parts) != 4 or any(not 0 <= p <= 255 for p in parts):
        raise ValueError(f"not an IPv4 address: {text!r}")
    return bytes(parts)


def mac_for(name: str) -> bytes:
    """A stable, locally administered unicast MAC for a node interface. [U] Real ASAs use
    their burned-in Cisco addresses; the capture only needs them distinct and stable."""
    digest = hashlib.sha256(name.encode()).digest()
    return bytes([0x02]) + digest[:5]


def ethernet(dst: bytes, src: bytes, payload: bytes) -> bytes:
    return dst + src + b"\x08\x00" + payload


# -- checksums --------------------------------------------------------------------------


def ones_sum(data: bytes) -> int:
    """Ones'-complement sum of 16-bit words (0 only for all-zero data)."""
    if len(data) & 1:
        data += b"\x00"
    n = int.from_bytes(data, "big")
    s = n % 0xFFFF
    return 0xFFFF if s == 0 and n else s


def checksum(data: bytes) -> int:
    return ~ones_sum(data) & 0xFFFF


# -- IPv4 / TCP / UDP -------------------------------------------------------------------


_IP_BASE: dict[tuple[bytes, bytes, int, int, bool], int] = {}


def ipv4(
    src: bytes, dst: bytes, proto: int, payload: bytes, ident: int, ttl: int, df: bool
) -> bytes:
    """An IPv4 header (no options) and payload. The header checksum starts from a cached
    sum of the fields that stay the same between packets of one flow."""
    key = (src, dst, proto, ttl, df)
    base = _IP_BASE.get(key)
    if base is None:
        fixed = _IP.pack(0x45, 0, 0, 0, IP_DF if df else 0, ttl, proto, 0, src, dst)
        base = _IP_BASE[key] = ones_sum(fixed)
        if len(_IP_BASE) > 4096:
            _IP_BASE.clear()
    total = 20 + len(payload)
    ident &= 0xFFFF
    s = base + total + ident
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    csum = ~s & 0xFFFF
    return _IP.pack(0x45, 0, total, ident, IP_DF if df else 0, ttl, proto, csum, src, dst) + payload


def tcp_segment(
    src: bytes,
    dst: bytes,
    sport: int,
    dport: int,
    seq: int,
    ack: int,
    flags: int,
    window: int,
    payload: bytes = b"",
    options: bytes = b"",
) -> bytes:
    """A TCP header (with options padded to 32 bits) and payload, checksum filled in."""
    if len(options) % 4:
        options += b"\x01" * (4 - len(options) % 4)  # NOP padding
    hlen = 20 + len(options)
    head = _TCP.pack(
        sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, (hlen // 4) << 4, flags, window, 0, 0
    )
    seg = head + options + payload
    pseudo = src + dst + bytes((0, PROTO_TCP)) + len(seg).to_bytes(2, "big")
    csum = checksum(pseudo + seg)
    return seg[:16] + csum.to_bytes(2, "big") + seg[18:]


def udp_datagram(src: bytes, dst: bytes, sport: int, dport: int, payload: bytes) -> bytes:
    length = 8 + len(payload)
    pseudo = src + dst + bytes((0, PROTO_UDP)) + length.to_bytes(2, "big")
    csum = checksum(pseudo + _UDP.pack(sport, dport, length, 0) + payload) or 0xFFFF
    return _UDP.pack(sport, dport, length, csum) + payload


def tcp_options_syn(mss: int, wscale: int) -> bytes:
    """MSS, NOP, window scale (RFC 7323), SACK permitted: what a Linux SYN carries, minus
    timestamps (left out to keep every segment's header 20 bytes). [U]"""
    return (
        b"\x02\x04"
        + mss.to_bytes(2, "big")
        + b"\x01\x03\x03"
        + bytes([wscale])
        + b"\x01\x01\x04\x02"
    )


# -- ISAKMP (IKEv1, RFC 2408/2409) ------------------------------------------------------

ISAKMP_VERSION = 0x10  # major 1, minor 0
EXCH_MAIN = 2  # Identity Protection
EXCH_INFO = 5
EXCH_QUICK = 32
FLAG_ENCRYPTED = 0x01
PL_NONE, PL_SA, PL_PROPOSAL, PL_TRANSFORM, PL_KE, PL_ID, PL_HASH = 0, 1, 2, 3, 4, 5, 8
PL_NONCE, PL_NOTIFY, PL_DELETE, PL_VID = 10, 11, 12, 13

# Phase-1 attribute values (RFC 2409 appendix A)
IKE_ENCRYPTION = {"des": 1, "3des": 5, "aes": 7, "aes-192": 7, "aes-256": 7}
IKE_KEY_LENGTH = {"aes": 128, "aes-192": 192, "aes-256": 256}
IKE_HASH = {"md5": 1, "sha": 2}


def isakmp(
    cookie_i: bytes,
    cookie_r: bytes,
    first_payload: int,
    exchange: int,
    flags: int,
    msgid: int,
    body: bytes,
) -> bytes:
    length = 28 + len(body)
    return (
        cookie_i
        + cookie_r
        + struct.pack("!BBBBII", first_payload, ISAKMP_VERSION, exchange, flags, msgid, length)
        + body
    )


def payload(next_payload: int, data: bytes) -> bytes:
    """A generic payload header (RFC 2408 3.2) around its data."""
    return struct.pack("!BBH", next_payload, 0, 4 + len(data)) + data


def _attr_tv(kind: int, value: int) -> bytes:
    return struct.pack("!HH", 0x8000 | kind, value)


def _attr_tlv(kind: int, value: int) -> bytes:
    return struct.pack("!HHI", kind, 4, value)


def phase1_sa(encryption: str, hash_name: str, group: int, lifetime_s: int) -> bytes:
    """An SA payload body (DOI IPsec, identity only) with one ISAKMP proposal of one
    KEY_IKE transform carrying the policy's attributes."""
    attrs = _attr_tv(1, IKE_ENCRYPTION.get(encryption, 5))
    if encryption in IKE_KEY_LENGTH:
        attrs += _attr_tv(14, IKE_KEY_LENGTH[encryption])
    attrs += _attr_tv(2, IKE_HASH.get(hash_name, 2))
    attrs += _attr_tv(3, 1)  # pre-shared key
    attrs += _attr_tv(4, group)
    if lifetime_s:
        attrs += _attr_tv(11, 1) + _attr_tlv(12, lifetime_s)  # seconds
    transform = payload(PL_NONE, struct.pack("!BBH", 1, 1, 0) + attrs)  # #1, KEY_IKE
    proposal = payload(PL_NONE, struct.pack("!BBBB", 1, 1, 0, 1) + transform)  # ISAKMP
    return struct.pack("!II", 1, 1) + proposal


# -- IKEv2 (RFC 7296) -------------------------------------------------------------------

IKEV2_VERSION = 0x20  # major 2, minor 0 (RFC 7296 3.1)
EXCH_IKE_SA_INIT, EXCH_IKE_AUTH, EXCH_CREATE_CHILD_SA = 34, 35, 36
FLAG2_INITIATOR, FLAG2_RESPONSE = 0x08, 0x20
PL2_NONE, PL2_SA, PL2_KE, PL2_IDI, PL2_IDR, PL2_NONCE, PL2_SK = 0, 33, 34, 35, 36, 40, 46
# Transform IDs (IANA "IKEv2 Parameters"): type 1 ENCR, 2 PRF, 3 INTEG, 4 D-H group.
IKEV2_ENCR = {"des": 2, "3des": 3, "aes": 12, "aes-192": 12, "aes-256": 12}
IKEV2_PRF = {"md5": 1, "sha": 2, "sha256": 5, "sha384": 6, "sha512": 7}
IKEV2_INTEG = {"md5": 1, "sha": 2, "sha256": 12, "sha384": 13, "sha512": 14}


def ikev2(
    spi_i: bytes,
    spi_r: bytes,
    first_payload: int,
    exchange: int,
    flags: int,
    msgid: int,
    body: bytes,
) -> bytes:
    """An IKEv2 message: the 28-byte header (RFC 7296 3.1) and its payloads."""
    head = struct.pack(
        "!BBBBII", first_payload, IKEV2_VERSION, exchange, flags, msgid, 28 + len(body)
    )
    return spi_i + spi_r + head + body


def _transform2(last: bool, kind: int, ident: int, key_bits: int = 0) -> bytes:
    attrs = _attr_tv(14, key_bits) if key_bits else b""  # Key Length (RFC 7296 3.3.5)
    return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attrs), kind, 0, ident) + attrs


def ikev2_sa(encryption: str, prf: str, integrity: str, group: int) -> bytes:
    """An SA payload body with one IKE proposal of four transforms (RFC 7296 3.3)."""
    bits = IKE_KEY_LENGTH.get(encryption, 0)
    transforms = (
        _transform2(False, 1, IKEV2_ENCR.get(encryption, 12), bits)
        + _transform2(False, 2, IKEV2_PRF.get(prf, 2))
        + _transform2(False, 3, IKEV2_INTEG.get(integrity, 2))
        + _transform2(True, 4, group)
    )
    return struct.pack("!BBHBBBB", 0, 0, 8 + len(transforms), 1, 1, 0, 4) + transforms


def ikev2_ke(group: int, public: bytes) -> bytes:
    """A Key Exchange payload body: D-H group number, reserved, the public value."""
    return struct.pack("!HH", group, 0) + public
