"""Why two ASA configs cannot build a tunnel with each other, line by line.

`pair_problems(a, b)` reads two imported configs as a pair and names, for each problem,
the line on each side that causes it: the same config twice, a `set peer` that is not the
other's outside address, crypto ACLs that do not mirror, no IKE policy or transform set
in common, different pre-shared keys. These are warnings, not errors: the scenario is
still built and the run shows what the real pair does (phase 1 or phase 2 failing).

Matching rules (Cisco's IKEv1 L2L requirements): an IKE policy matches when encryption,
hash, group and authentication are equal (lifetimes may differ, the lower wins); a
transform set matches when its transforms are the same; crypto ACLs must be mirror
images (each side's local networks are the other's remote ones).
"""

from __future__ import annotations

from .acl import protected
from .asaconfig import MASKED_PSK_PLACEHOLDER, AsaConfig, CryptoMapEntry, IsakmpPolicy

Problem = tuple[str, str]  # (side, message)


def _outside(cfg: AsaConfig) -> str:
    ifc = cfg.interface_by_nameif("outside")
    return ifc.address if ifc else ""


def _entry_for(cfg: AsaConfig, peer: str) -> CryptoMapEntry | None:
    return cfg.crypto_entry_for_peer(peer)


def _policy_line(p: IsakmpPolicy) -> str:
    return (
        f"crypto isakmp policy {p.priority} (authentication {p.authentication}, "
        f"encryption {p.encryption}, hash {p.hash}, group {p.group})"
    )


def _policy_key(p: IsakmpPolicy) -> tuple[str, str, str, int]:
    return (p.authentication, p.encryption, p.hash, p.group)


def pair_problems(
    a: AsaConfig,
    b: AsaConfig,
    names: tuple[str, str] = ("a", "b"),
    outside: tuple[str, str] | None = None,
) -> list[Problem]:
    """Every reason the pair cannot build its tunnel, each naming the lines on both sides.
    `outside` gives the two outside addresses when the interfaces are not named so."""
    na, nb = names
    out: list[Problem] = []
    addr_a, addr_b = outside or (_outside(a), _outside(b))
    if addr_a and addr_a == addr_b:
        out.append(
            (
                nb,
                f"both configs give outside the address {addr_a} (`ip address {addr_a} ...` "
                f"on {na.upper()} and on {nb.upper()}): the same config twice cannot "
                "build a tunnel with itself",
            )
        )
        return out
    entries = {}
    for side, cfg, other_addr, other in ((na, a, addr_b, nb), (nb, b, addr_a, na)):
        entry = _entry_for(cfg, other_addr)
        entries[side] = entry
        if entry is None:
            peers = [p for e in cfg.crypto_maps.values() for p in e.peers]
            said = (
                ", ".join(
                    f"`crypto map {e.name} {e.seq} set peer {' '.join(e.peers)}`"
                    for e in cfg.crypto_maps.values()
                    if e.peers
                )
                or "no `set peer`"
            )
            out.append(
                (
                    side,
                    f"{said} on {side.upper()}, but {other.upper()}'s outside address is "
                    f"{other_addr or 'not set'}: {side.upper()} never sends IKE to it"
                    + ("" if peers else " (no crypto map peer at all)"),
                )
            )
    ea, eb = entries[na], entries[nb]
    if ea is None or eb is None:
        return out
    out += _acl_mirror(a, b, ea, eb, na, nb)
    if _ikev2(a) or _ikev2(b):  # IKEv2 proposals and keys are matched by their own rules
        return out
    out += _ike_policies(a, b, na, nb)
    out += _transforms(a, b, ea, eb, na, nb)
    out += _keys(a, b, addr_a, addr_b, na, nb)
    return out


def _ikev2(cfg: AsaConfig) -> bool:
    """The config speaks IKEv2 (its lines kept here, or modelled by the IKEv2 engine)."""
    kept = any(x.startswith(("crypto ikev2 ", "crypto ipsec ikev2 ")) for x in cfg.unmodelled)
    return kept or bool(getattr(cfg, "ikev2_policies", None))


def _acl_mirror(
    a: AsaConfig, b: AsaConfig, ea: CryptoMapEntry, eb: CryptoMapEntry, na: str, nb: str
) -> list[Problem]:
    pa = {(src, dst) for _, src, dst in protected(a, ea.match_address)}
    pb = {(dst, src) for _, src, dst in protected(b, eb.match_address)}
    if pa == pb:
        return []
    line_a = next((line for line, _, _ in protected(a, ea.match_address)), "")
    line_b = next((line for line, _, _ in protected(b, eb.match_address)), "")
    return [
        (
            nb,
            f"the crypto ACLs do not mirror: {na.upper()} `crypto map {ea.name} {ea.seq} match "
            f"address {ea.match_address}` protects `{line_a or 'nothing'}`, {nb.upper()} "
            f"`crypto map {eb.name} {eb.seq} match address {eb.match_address}` protects "
            f"`{line_b or 'nothing'}`: phase 2 fails (no proxy identities match)",
        )
    ]


def _ike_policies(a: AsaConfig, b: AsaConfig, na: str, nb: str) -> list[Problem]:
    keys_b = {_policy_key(p) for p in b.isakmp_policies.values()}
    if not a.isakmp_policies or not b.isakmp_policies:
        side = na if not a.isakmp_policies else nb
        return [(side, f"{side.upper()} has no `crypto isakmp policy`: phase 1 cannot start")]
    if any(_policy_key(p) in keys_b for p in a.isakmp_policies.values()):
        return []
    first_a = a.isakmp_policies[min(a.isakmp_policies)]
    first_b = b.isakmp_policies[min(b.isakmp_policies)]
    return [
        (
            nb,
            f"no IKE policy in common: {na.upper()} `{_policy_line(first_a)}`, {nb.upper()} "
            f"`{_policy_line(first_b)}`: phase 1 stops at MM_WAIT_MSG2 "
            "(no proposal chosen)",
        )
    ]


def _transforms(
    a: AsaConfig, b: AsaConfig, ea: CryptoMapEntry, eb: CryptoMapEntry, na: str, nb: str
) -> list[Problem]:
    sets_a = [tuple(a.transform_sets.get(n, [])) for n in ea.transform_sets]
    sets_b = {tuple(b.transform_sets.get(n, [])) for n in eb.transform_sets}
    if any(s and s in sets_b for s in sets_a):
        return []
    return [
        (
            nb,
            f"no transform set in common: {na.upper()} `crypto map {ea.name} {ea.seq} set "
            f"transform-set {' '.join(ea.transform_sets)}` "
            f"({'; '.join(' '.join(s) for s in sets_a) or 'undefined'}), {nb.upper()} "
            f"`crypto map {eb.name} {eb.seq} set transform-set {' '.join(eb.transform_sets)}` "
            f"({'; '.join(' '.join(s) for s in sets_b) or 'undefined'}): phase 2 fails",
        )
    ]


def _keys(a: AsaConfig, b: AsaConfig, addr_a: str, addr_b: str, na: str, nb: str) -> list[Problem]:
    ka = a.tunnel_group(addr_b).pre_shared_key
    kb = b.tunnel_group(addr_a).pre_shared_key
    if ka == kb or MASKED_PSK_PLACEHOLDER in (ka, kb):  # a masked key: unknown, no warning
        return []
    which_a = a.tunnel_group(addr_b).name
    which_b = b.tunnel_group(addr_a).name
    return [
        (
            nb,
            f"the pre-shared keys differ: {na.upper()} `tunnel-group {which_a} "
            f"ipsec-attributes` / `pre-shared-key`, {nb.upper()} `tunnel-group {which_b} "
            "ipsec-attributes` / `pre-shared-key`: phase 1 fails at MM_WAIT_MSG6 "
            "(the peers cannot check each other's hash)",
        )
    ]
