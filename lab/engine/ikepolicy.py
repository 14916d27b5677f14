"""Which IKE version two gateways negotiate, and where a pair that cannot agree stalls.

Theory of operation: each end offers what its own config enables toward the other.
IKEv2 needs software 8.4 or later (Cisco 113597), `crypto ikev2 enable IF`, an IKEv2
policy, the crypto map entry's `set ikev2 ipsec-proposal` and a group policy whose
`vpn-tunnel-protocol` allows `ikev2`; IKEv1 needs `crypto isakmp|ikev1 enable IF` and a
policy. The initiator tries IKEv2 first when both ends have it configured; when the
responder has no IKEv2 at all it uses IKEv1 [P: no Cisco statement found; a real FTD log
checks IKEv2 first (752010 "IKEv2 Doesn't have a proposal specified" beside 752004's
dispatch to IKEv1); the fallback's retransmission delay is not modelled]. A pair that
can never build the tunnel stalls where the real pair would (tunnelsup "ISAKMP status
messages MM_WAIT_MSG#", reference S13): no answer or no common policy -> MM_WAIT_MSG2;
the responder has no tunnel group for the initiator (`set peer` pointing elsewhere) ->
MM_WAIT_MSG4; different pre-shared keys -> MM_WAIT_MSG6 / responder MM_WAIT_MSG5; phase
1 up but quick mode refused (no common transform set, crypto ACLs that do not mirror).
Non-ASA ends, PIX and remote-access kinds keep the lab's lenient IKEv1 (every check
passes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import acl, profiles
from .asaconfig import AsaConfig, CryptoMapEntry

if TYPE_CHECKING:
    from .gateway import Gateway


# IKEv2 `protocol esp` words -> the ESP transform names the lab's SAs carry.
ESP_FROM_IKEV2 = {
    "aes": "esp-aes",
    "aes-192": "esp-aes-192",
    "aes-256": "esp-aes-256",
    "3des": "esp-3des",
    "des": "esp-des",
    "null": "esp-null",
    "sha-1": "esp-sha-hmac",
    "md5": "esp-md5-hmac",
    "sha-256": "esp-sha-256-hmac",  # as a real 9.x `show crypto ipsec sa` prints it
    "sha-384": "esp-sha-384-hmac",
    "sha-512": "esp-sha-512-hmac",
}


@dataclass(frozen=True)
class Plan:
    """What a negotiation started by one end will do.

    `delivered`: None when the exchange completes; else how many messages of the first
    exchange get answered before it stalls (main mode counts 1..6, IKEv2 1..4).
    `responder_keeps`: the responder holds a half-built SA while stalled.
    `child_refused`: the IPsec SA (quick mode / child) is refused: IKEv1 brings its IKE SA
    up first; IKEv2 refuses IKE_AUTH's child with the IKE SA (`delivered`) and, over an
    IKE SA that already exists, a CREATE_CHILD_SA.
    """

    version: int
    delivered: int | None = None
    responder_keeps: bool = False
    child_refused: bool = False
    why: str = ""
    checked: bool = True  # False: a lenient pair (non-ASA end, remote access, PIX)


def offers(cfg: AsaConfig | None, version_text: str, peer: str, ifc: str) -> set[int]:
    """The IKE versions this end is configured to speak to `peer` on interface `ifc`."""
    if cfg is None:
        return {1}
    entry = cfg.crypto_entry_for_peer(peer)
    allowed = cfg.tunnel_protocols(peer)
    out = set()
    if (
        profiles.for_node(version_text).ike_keywords  # IKEv2 from 8.4 (Cisco 113597)
        and ifc in cfg.ikev2_enabled
        and cfg.ikev2_policies
        and (allowed is None or "ikev2" in allowed)
        and (entry is None or entry.ikev2_proposals)
    ):
        out.add(2)
    # 8.x spells IKEv1 `IPSec` (`vpn-tunnel-protocol IPSec l2tp-ipsec`); 8.4 renamed it ikev1
    v1 = allowed is None or bool({"ikev1", "ipsec"} & {w.lower() for w in allowed})
    if ifc in cfg.isakmp_enabled and v1:
        out.add(1)
    return out


def acl_networks(cfg: AsaConfig, entry: CryptoMapEntry | None) -> tuple[str, str, str, str]:
    """(local net, local mask, remote net, remote mask) of a crypto ACL's first protected
    pair, network objects and object-groups resolved (acl.py); all zeros when unknown."""
    first = next(acl.protected(cfg, entry.match_address), None) if entry else None
    if first is None:
        return "0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0"
    _, local, remote = first
    return (
        str(local.network_address),
        str(local.netmask),
        str(remote.network_address),
        str(remote.netmask),
    )


def mirrored(
    a: AsaConfig, ea: CryptoMapEntry | None, b: AsaConfig, eb: CryptoMapEntry | None
) -> bool:
    """Do the two crypto ACLs' first entries mirror each other (A's source is B's destination)?"""
    la, ma, ra, rma = acl_networks(a, ea)
    lb, mb, rb, rmb = acl_networks(b, eb)
    return (la, ma, ra, rma) == (rb, rmb, lb, mb)


def _ikev1_policy_match(a: AsaConfig, b: AsaConfig) -> bool:
    def key(p: object) -> tuple[object, ...]:
        return tuple(getattr(p, f) for f in ("authentication", "encryption", "hash", "group"))

    return bool(
        {key(p) for p in a.isakmp_policies.values()} & {key(p) for p in b.isakmp_policies.values()}
    )


def _ikev2_policy_match(a: AsaConfig, b: AsaConfig) -> bool:
    """A proposal matches when each transform type has a value both sides list (RFC 7296 3.3)."""
    for pa in a.ikev2_policies.values():
        for pb in b.ikev2_policies.values():
            if all(
                set(getattr(pa, f)) & set(getattr(pb, f))
                for f in ("encryption", "integrity", "group", "prf")
            ):
                return True
    return False


def _transforms(cfg: AsaConfig, entry: CryptoMapEntry | None, version: int) -> set[tuple[str, ...]]:
    if entry is None:
        return set()
    if version == 1:
        return {
            tuple(cfg.transform_sets[n]) for n in entry.transform_sets if n in cfg.transform_sets
        }
    out: set[tuple[str, ...]] = set()
    for name in entry.ikev2_proposals:
        prop = cfg.ikev2_proposals.get(name)
        if prop is None:
            continue
        for enc in prop.encryption:
            for integ in prop.integrity or ["null"]:
                out.add((ESP_FROM_IKEV2.get(enc, enc), ESP_FROM_IKEV2.get(integ, integ)))
    return out


def child_transform(
    cfg: AsaConfig, entry: CryptoMapEntry | None, version: int
) -> tuple[str, ...] | None:
    """The first ESP transform this end proposes (the initiator's first choice)."""
    if entry is None:
        return None
    if version == 1:
        for name in entry.transform_sets:
            if name in cfg.transform_sets:
                return tuple(cfg.transform_sets[name])
        return None
    for name in entry.ikev2_proposals:
        prop = cfg.ikev2_proposals.get(name)
        if prop and prop.encryption:
            integ = (prop.integrity or ["null"])[0]
            return (
                ESP_FROM_IKEV2.get(prop.encryption[0], prop.encryption[0]),
                ESP_FROM_IKEV2.get(integ, integ),
            )
    return None


def plan(ini: Gateway, res: Gateway, ini_ip: str, res_ip: str, kind: str) -> Plan:
    """How a negotiation from `ini` (outside address ini_ip) to `res` plays out."""
    a, b = ini.cfg, res.cfg
    if a is None or b is None or kind != "l2l" or {ini.node.platform, res.node.platform} != {"asa"}:
        return Plan(1, checked=False)
    ea, eb = a.crypto_entry_for_peer(res_ip), b.crypto_entry_for_peer(ini_ip)
    mine = offers(a, ini.node.version, res_ip, _map_ifc(a, ea))
    theirs = offers(b, res.node.version, ini_ip, _map_ifc(b, eb))
    if 2 in mine and (2 in theirs or 1 not in mine):
        return _plan_v2(a, b, ea, eb, ini_ip, res_ip, theirs)
    if 1 not in mine:
        return Plan(1, delivered=0, why="IKE is not enabled on the initiator's interface")
    return _plan_v1(a, b, ea, eb, ini_ip, res_ip, theirs)


def _map_ifc(cfg: AsaConfig, entry: CryptoMapEntry | None) -> str:
    return cfg.crypto_map_interfaces.get(entry.name, "outside") if entry else "outside"


def _has_group(cfg: AsaConfig, peer: str) -> bool:
    return peer in cfg.tunnel_groups or "DefaultL2LGroup" in cfg.tunnel_groups


def _plan_v1(
    a: AsaConfig,
    b: AsaConfig,
    ea: CryptoMapEntry | None,
    eb: CryptoMapEntry | None,
    ini_ip: str,
    res_ip: str,
    theirs: set[int],
) -> Plan:
    if 1 not in theirs:
        return Plan(1, delivered=1, why="the peer has no IKEv1 enabled on that interface")
    if not _ikev1_policy_match(a, b):
        return Plan(1, delivered=1, why="no common IKEv1 policy")
    if not _has_group(b, ini_ip):
        return Plan(1, delivered=3, why="the peer has no tunnel group for this address")
    if a.tunnel_group(res_ip).pre_shared_key != b.tunnel_group(ini_ip).pre_shared_key:
        return Plan(1, delivered=5, responder_keeps=True, why="pre-shared keys differ")
    if eb is None or not b.crypto_map_applied(eb):
        return Plan(1, child_refused=True, why="no crypto map entry for this peer at the peer")
    if not _transforms(a, ea, 1) & _transforms(b, eb, 1):
        return Plan(1, child_refused=True, why="no common transform set")
    if not mirrored(a, ea, b, eb):
        return Plan(1, child_refused=True, why="the crypto ACLs do not mirror")
    return Plan(1)


def _plan_v2(
    a: AsaConfig,
    b: AsaConfig,
    ea: CryptoMapEntry | None,
    eb: CryptoMapEntry | None,
    ini_ip: str,
    res_ip: str,
    theirs: set[int],
) -> Plan:
    if 2 not in theirs or not _ikev2_policy_match(a, b):
        return Plan(2, delivered=1, why="no IKEv2 answer / no common IKEv2 policy")
    ta, tb = a.tunnel_group(res_ip), b.tunnel_group(ini_ip)
    if not _has_group(b, ini_ip):
        return Plan(2, delivered=3, why="the peer has no tunnel group for this address")
    if ta.ikev2_local_psk != tb.ikev2_remote_psk or tb.ikev2_local_psk != ta.ikev2_remote_psk:
        return Plan(2, delivered=3, why="pre-shared keys differ")
    if eb is None or not b.crypto_map_applied(eb) or not mirrored(a, ea, b, eb):
        why = "There was no IPSEC policy found for received TS"  # [V, S25]
        return Plan(2, delivered=3, child_refused=True, why=why)
    if not _transforms(a, ea, 2) & _transforms(b, eb, 2):
        return Plan(2, delivered=3, child_refused=True, why="no common IPsec proposal")
    return Plan(2)
