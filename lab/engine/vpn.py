"""The tunnel life cycle as it plays out on the wire and in each gateway (see tunnels.py).

Every SA creation stamps PRESERVE from that gateway's sysopt at that moment; every SA
deletion tears down that gateway's TCP conns on the tunnel unless the SA carried it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import ikepolicy, ikestall, keys, profiles, sacounters, tunnelkinds
from .asaconfig import IPSEC_LIFETIME_DEFAULT_KB, IPSEC_LIFETIME_DEFAULT_S
from .core import cancel
from .gateway import Gateway, SideSa
from .ikestall import half as _half
from .ikestall import is_asa as _asa
from .ikestall import log_ikev2 as _log2
from .ikestall import messages_reached
from .ikestall import peer_ip as _peer_ip
from .platforms import PRESERVE_TUNNEL_KINDS, has_preserve_vpn_flows
from .tunnels import (
    DPD_RETRIES,
    IKE_MAIN_MODE_MESSAGES,
    IKE_NEGOTIATION_TIMEOUT_US,
    IKE_QUICK_MODE_MESSAGES,
    IKEV2_CREATE_CHILD_MESSAGES,
    IKEV2_INIT_AUTH_MESSAGES,
    REKEY_PERCENT,
    TunnelRun,
    next_state,
)
from .units import S

if TYPE_CHECKING:
    from .sim import Simulation


def _move(sim: Simulation, t: TunnelRun, event: str, cause: str) -> None:
    t.state = next_state(t.state, event)
    t.history.append({"t_us": sim.now, "state": t.state, "cause": cause})
    sim.loop.record("tunnel", tunnel=t.id, state=t.state, cause=cause)
    sim.touch()


def _ends(sim: Simulation, t: TunnelRun) -> tuple[Gateway, Gateway]:
    return sim.gateways[t.spec.a], sim.gateways[t.spec.b]


# -- negotiation ------------------------------------------------------------------------


def trigger(sim: Simulation, t: TunnelRun, gw_id: str, ifc: str = "inside") -> None:
    """An interesting packet met no SA at gw_id (it came in on `ifc`): start IKE unless
    already under way."""
    if t.state != "down":
        return
    from .forwarding import crypto_active

    gw = sim.gateways[gw_id]
    peer = sim.peer_of(t, gw_id)
    if t.ike_keys is None:
        plan = ikepolicy.plan(gw, peer, gw.address("outside"), _peer_ip(sim, t, gw), t.spec.kind)
        if plan.delivered == 0:  # [U] no IKE enabled here: this end cannot start anything
            return
        if not plan.checked and not crypto_active(sim, peer, t):
            plan = ikepolicy.Plan(1, delivered=1, why="no crypto map at peer")
        t.plan, t.version = plan, plan.version
    else:  # an IKE SA is up: only the child can be refused, by the configs of now
        fresh = ikepolicy.plan(gw, peer, gw.address("outside"), _peer_ip(sim, t, gw), t.spec.kind)
        refused = fresh.child_refused and fresh.version == t.version
        t.plan = ikepolicy.Plan(t.version, child_refused=refused, why=fresh.why if refused else "")
    t.initiator = gw_id
    t.neg_started_us = sim.now
    _move(sim, t, "trigger", f"interesting traffic at {gw_id}")
    t.sent_us, t.reached, t.responder_holds = None, None, False
    _key_acquire(sim, t, gw)
    if _asa(gw) and t.ike_keys is None and t.version == 1 and tunnelkinds.wording(t).ipsec:
        assert gw.cfg is not None
        entry = gw.cfg.crypto_entry_for_peer(_peer_ip(sim, t, gw))
        lnet, _, rnet, _ = ikepolicy.acl_networks(gw.cfg, entry)
        gw.log(
            sim.now,
            713041,
            peer=_peer_ip(sim, t, gw),
            ifc=ifc,
            lproxy=lnet,
            rproxy=rnet,
            map=entry.name if entry else "",
        )
    t.timers["neg_deadline"] = sim.loop.after(
        IKE_NEGOTIATION_TIMEOUT_US, _failed, sim, t, t.plan.why or "no answer from peer"
    )
    _attempt(sim, t)


def _key_acquire(sim: Simulation, t: TunnelRun, gw: Gateway) -> None:
    """8.4+: the Tunnel Manager hands the packet's KEY_ACQUIRE to IKEv2 or IKEv1 (752003 /
    752004); a map entry without an IKEv2 proposal says so first (752010, real FTD log)."""
    if gw.cfg is None or not profiles.for_node(gw.node.version).ike_keywords:
        return
    if not tunnelkinds.wording(t).ipsec:
        return
    entry = gw.cfg.crypto_entry_for_peer(_peer_ip(sim, t, gw))
    if entry is None:
        return
    msg_id = 752003 if t.version == 2 else 752004
    gw.log(sim.now, msg_id, map=entry.name, seq=entry.seq)
    if t.version != 2 and not entry.ikev2_proposals:
        gw.log(sim.now, 752010)


def _attempt(sim: Simulation, t: TunnelRun) -> None:
    """Send the exchange if the WAN path is up; it completes after its message trips, or
    stalls where the plan says the peer stops answering."""
    cancel(t.timers.pop("neg", None))
    if not sim.wan_up(t):
        return
    t.sent_us, t.reached = sim.now, None
    plan = t.plan or ikepolicy.Plan(t.version or 1)
    if t.ike_keys is None and plan.delivered is not None:
        t.timers["neg"] = sim.loop.after(plan.delivered * _half(t), ikestall.stalled, sim, t)
        return
    if t.version == 2 and t.ike_keys is not None and plan.child_refused:
        t.timers["neg"] = sim.loop.after(_half(t), ikestall.child_refused, sim, t)
        return
    if t.version == 2:
        messages = IKEV2_CREATE_CHILD_MESSAGES if t.ike_keys else IKEV2_INIT_AUTH_MESSAGES
        t.timers["neg"] = sim.loop.after(messages * _half(t), _established, sim, t)
        return
    if plan.child_refused:
        if t.ike_keys is None:
            t.timers["neg"] = sim.loop.after(
                IKE_MAIN_MODE_MESSAGES * _half(t), _phase1_only, sim, t
            )
        else:
            t.timers["neg"] = sim.loop.after(_half(t), ikestall.child_refused, sim, t)
        return
    messages = IKE_QUICK_MODE_MESSAGES
    if t.ike_keys is None:
        messages += IKE_MAIN_MODE_MESSAGES
    t.timers["neg"] = sim.loop.after(messages * t.wan_rtt_us // 2, _established, sim, t)


def _phase1_only(sim: Simulation, t: TunnelRun) -> None:
    """Main mode completes; the quick mode that follows is refused by the responder."""
    t.timers.pop("neg", None)
    initiator = sim.gateways[t.initiator]
    _ike_sa_up(sim, t, initiator, sim.peer_of(t, t.initiator))
    t.timers["neg"] = sim.loop.after(_half(t), ikestall.child_refused, sim, t)
    sim.touch()


def _failed(sim: Simulation, t: TunnelRun, why: str) -> None:
    cancel(t.timers.pop("neg", None))
    t.timers.pop("neg_deadline", None)
    if t.state != "negotiating":
        return
    if t.ike_keys is None:  # phase 1 timed out: each end that held an SA removes it
        ikestall.timeout_logs(sim, t)
    t.sent_us, t.reached, t.responder_holds = None, None, False
    _move(sim, t, "failed", why)
    sim.path_changed()  # the next interesting packet starts a new negotiation


def recheck_waiting(sim: Simulation) -> None:
    """After any change: negotiations resume or lose their messages; DPD arms or disarms."""
    for t in sim.tunnels.values():
        up = sim.wan_up(t)
        if t.state in ("negotiating", "rekeying"):
            if up and "neg" not in t.timers:
                _attempt(sim, t)
            elif not up and "neg" in t.timers:
                if t.state == "negotiating" and t.ike_keys is None:
                    t.reached = messages_reached(sim, t)  # what got through stays got through
                cancel(t.timers.pop("neg"))
        for gw in _ends(sim, t):
            if t.id not in gw.ike_up:
                cancel(t.dpd.pop(gw.id, None))
                continue
            if up:
                cancel(t.dpd.pop(gw.id, None))
            elif gw.id not in t.dpd:
                _arm_dpd(sim, t, gw)


def _group_policy(gw: Gateway, peer: str) -> str:
    assert gw.cfg is not None
    head = f"tunnel-group {gw.cfg.tunnel_group(peer).name} general-attributes"
    for line in gw.cfg.sub_extra.get(head, []):
        if line.startswith("default-group-policy "):
            return line.split()[1]
    return "DfltGrpPolicy"


def _ike_sa_up(sim: Simulation, t: TunnelRun, initiator: Gateway, responder: Gateway) -> None:
    """Phase 1 / IKE_SA_INIT + IKE_AUTH done: real DH, keys, both ends' IKE SA."""
    cfg = initiator.cfg or responder.cfg
    if t.version == 2 and initiator.cfg is not None:
        pol = initiator.cfg.ikev2_policies[min(initiator.cfg.ikev2_policies)]
        t.ike_keys = keys.ikev2_sa(
            pol.group[0], pol.prf[0], pol.encryption[0], pol.integrity[0], sim.rng
        )
    else:
        psk = ""
        if cfg is not None:
            psk = cfg.tunnel_group(
                _peer_ip(sim, t, initiator if initiator.cfg else responder)
            ).pre_shared_key
        group = cfg.ike_group() if cfg else 2
        hash_name = (
            cfg.isakmp_policies[min(cfg.isakmp_policies)].hash
            if cfg and cfg.isakmp_policies
            else "sha"
        )
        t.ike_keys = keys.phase1(group, hash_name, psk, sim.rng)
    t.ike_created_us = sim.now
    for gw in (initiator, responder):
        gw.ike_up[t.id] = sim.now
        gw.retired[t.id] = sacounters.SaTraffic()
        if _asa(gw):
            peer = _peer_ip(sim, t, gw)
            if not tunnelkinds.wording(t).ipsec:
                tunnelkinds.log_svc_up(sim, t, gw, peer, _group_policy(gw, peer))
                continue
            gw.log(sim.now, 113009, policy=_group_policy(gw, peer), peer=tunnelkinds.user(t, peer))
            if t.version == 2:
                _log2(sim, t, gw, 750006, "New Connection Established")
            else:
                gw.log(sim.now, 713119, who=_who(sim, t, gw))
    a, b = _ends(sim, t)
    lifetimes = [_ike_lifetime(gw, t.version) for gw in (a, b) if gw.cfg]
    finite = [x for x in lifetimes if x]
    if finite:  # lifetime 0 means infinite: the lower finite value wins
        t.timers["ike_expire"] = sim.loop.after(min(finite) * S, _ike_expired, sim, t)


def _ike_lifetime(gw: Gateway, version: int) -> int:
    assert gw.cfg is not None
    if version == 2 and gw.cfg.ikev2_policies:
        return gw.cfg.ikev2_policies[min(gw.cfg.ikev2_policies)].lifetime_s
    return gw.cfg.ike_lifetime_s()


def _established(sim: Simulation, t: TunnelRun) -> None:
    t.timers.pop("neg", None)
    cancel(t.timers.pop("neg_deadline", None))
    a, b = _ends(sim, t)
    initiator = sim.gateways[t.initiator] if t.initiator else a
    responder = b if initiator is a else a
    first = t.ike_keys is None
    if first:
        _ike_sa_up(sim, t, initiator, responder)
    transform = _transform(initiator, responder, sim, t)
    if t.version == 2:
        out_i, out_r, _, _ = keys.ikev2_child(t.ike_keys, transform, sim.rng, first=first)
    else:
        out_i, out_r = keys.quick_mode(t.ike_keys, transform, sim.rng)
    secs, kb = _lifetime(sim, t)
    rekey = t.state == "rekeying"
    t.msgid = sim.rng.getrandbits(32)
    baseline = sacounters.snapshot(sim, t)
    for gw, out, inb in ((initiator, out_i, out_r), (responder, out_r, out_i)):
        old = gw.sas.get(t.id)
        sa = SideSa(
            spi_in=inb.spi,
            spi_out=out.spi,
            created_us=sim.now,
            preserve=_stamp_preserve(sim, gw, t),
            lifetime_s=secs,
            lifetime_kb=kb,
            bytes_at_create=t.carried(sim.now),
            keys_in=inb,
            keys_out=out,
            ctx_in=sim.rng.randrange(0x10000, 0x100000),
            ctx_out=sim.rng.randrange(0x10000, 0x100000),
            baseline=baseline,
        )
        if old is not None:
            retire(sim, t, gw, old)
        gw.sas[t.id] = sa
        if _asa(gw):
            peer = _peer_ip(sim, t, gw)
            role = "Initiator" if gw is initiator else "Responder"
            if t.version != 2 and tunnelkinds.wording(t).ipsec:
                gw.log(
                    sim.now,
                    713049,
                    who=_who(sim, t, gw),
                    party=tunnelkinds.party(t, peer),
                    role=role,
                    ispi=f"0x{sa.spi_in:08x}",
                    ospi=f"0x{sa.spi_out:08x}",
                )
            _log_sa(sim, t, gw, 602303, sa)
            if t.version != 2 and tunnelkinds.wording(t).ipsec:
                gw.log(sim.now, 713120, who=_who(sim, t, gw), msgid=f"{t.msgid:08x}")
            if old is not None:  # make-before-break: the old pair goes after the new is up
                _log_sa(sim, t, gw, 602304, old)
    t.sent_us, t.reached, t.responder_holds = None, None, False
    _move(sim, t, "established", "rekey" if rekey else "negotiated")
    _arm_lifetime(sim, t, secs)
    arm_kb(sim, t)
    _reclassify(sim, t)
    sim.path_changed()


def _transform(
    initiator: Gateway, responder: Gateway, sim: Simulation, t: TunnelRun
) -> tuple[str, ...]:
    for gw in (initiator, responder):
        if gw.cfg is not None:
            entry = gw.cfg.crypto_entry_for_peer(_peer_ip(sim, t, gw))
            chosen = ikepolicy.child_transform(gw.cfg, entry, 2 if t.version == 2 else 1)
            if chosen:
                return chosen
    return ("esp-aes-256", "esp-sha-hmac")


def _lifetime(sim: Simulation, t: TunnelRun) -> tuple[int, int]:
    """The responder overrides a longer proposal (713075/713076): the lower value wins."""
    secs, kb = [], []
    for gw in _ends(sim, t):
        if gw.cfg is not None:
            s_, k_ = gw.cfg.ipsec_lifetime_for(gw.cfg.crypto_entry_for_peer(_peer_ip(sim, t, gw)))
            secs.append(s_)
            kb.append(k_)
    return min(secs, default=IPSEC_LIFETIME_DEFAULT_S), min(kb, default=IPSEC_LIFETIME_DEFAULT_KB)


def _stamp_preserve(sim: Simulation, gw: Gateway, t: TunnelRun) -> bool:
    """PRESERVE goes on the vpn-context when the SA is created (S0) - and only where the
    platform has the feature and the tunnel kind is supported (L2L, NEM). [U] An IKEv2 L2L
    tunnel is treated like an IKEv1 one: Cisco documents the sysopt for L2L tunnels
    without naming an IKE version, and no statement about IKEv2 was found."""
    return bool(
        gw.cfg is not None
        and gw.cfg.sysopt.preserve_vpn_flows
        and has_preserve_vpn_flows(gw.node.platform, gw.node.version)
        and t.spec.kind in PRESERVE_TUNNEL_KINDS
    )


def _who(sim: Simulation, t: TunnelRun, gw: Gateway) -> str:
    return tunnelkinds.who(sim, t, gw, _peer_ip(sim, t, gw))


def _log_sa(sim: Simulation, t: TunnelRun, gw: Gateway, msg_id: int, sa: SideSa) -> None:
    """602303/602304, both directions; AnyConnect has no IPsec SA to log."""
    if not tunnelkinds.wording(t).ipsec:
        return
    peer = _peer_ip(sim, t, gw)
    local = gw.address("outside")
    for direction, spi in (("outbound", sa.spi_out), ("inbound", sa.spi_in)):
        gw.log(
            sim.now,
            msg_id,
            direction=direction,
            tunnel_type=tunnelkinds.wording(t).sa_type,
            spi=f"0x{spi:08X}",
            local=local,
            peer=peer,
            user=tunnelkinds.user(t, peer),
        )


def _reclassify(sim: Simulation, t: TunnelRun) -> None:
    """sysopt connection reclassify-vpn: conns built in clear move into the new tunnel."""
    for gw in _ends(sim, t):
        if gw.cfg is None or not gw.cfg.sysopt.reclassify_vpn:
            continue
        for conn in gw.conns.values():
            if conn.clear and t.id in sim.flows[conn.key[0]].tunnels:
                conn.clear = False
                conn.tunnel = t.id
                sim.loop.record("reclassified", device=gw.id, conn=conn.id, tunnel=t.id)


# -- lifetimes and rekeys ---------------------------------------------------------------


def _arm_lifetime(sim: Simulation, t: TunnelRun, secs: int) -> None:
    cancel(t.timers.pop("soft", None))
    cancel(t.timers.pop("hard", None))
    t.timers["soft"] = sim.loop.after(secs * S * REKEY_PERCENT // 100, _rekey, sim, t, "lifetime")
    t.timers["hard"] = sim.loop.after(secs * S, _hard_expired, sim, t)


def set_rate(sim: Simulation, t: TunnelRun, rate_bps: int) -> None:
    if rate_bps == t.rate_bps:
        return
    t.settle(sim.now)
    t.rate_bps = rate_bps
    arm_kb(sim, t)


def arm_kb(sim: Simulation, t: TunnelRun) -> None:
    """Re-project when the kilobyte lifetime runs out at the current rate."""
    cancel(t.timers.pop("soft_kb", None))
    cancel(t.timers.pop("hard_kb", None))
    sa = sim.gateways[t.spec.a].sas.get(t.id) or sim.gateways[t.spec.b].sas.get(t.id)
    if sa is None or t.rate_bps <= 0:
        return
    used = t.carried(sim.now) - sa.bytes_at_create
    for name, share in (("soft_kb", REKEY_PERCENT), ("hard_kb", 100)):
        left = sa.lifetime_kb * 1024 * share // 100 - used
        dt = max(0, left) * 8 * S // t.rate_bps
        if name == "soft_kb":
            t.timers[name] = sim.loop.after(dt, _rekey, sim, t, "volume")
        else:
            t.timers[name] = sim.loop.after(dt, _hard_expired, sim, t)


def _rekey(sim: Simulation, t: TunnelRun, why: str) -> None:
    t.timers.pop("soft" if why == "lifetime" else "soft_kb", None)
    if t.state != "up":
        return
    _move(sim, t, "rekey", f"{why} soft limit")
    if t.ike_keys is None:  # no IKE SA any more: quick mode needs one
        return
    _attempt(sim, t)


def _hard_expired(sim: Simulation, t: TunnelRun) -> None:
    if t.state not in ("up", "rekeying"):
        return
    for gw in _ends(sim, t):
        delete_side(sim, t, gw, ike=False, reason="IPSec SA Max Time Exceeded")
    sim.path_changed()


def _ike_expired(sim: Simulation, t: TunnelRun) -> None:
    """[U] The lab takes the IPsec SAs down with an expiring IKEv1 SA: the flow
    disconnection the seed says `lifetime 0` avoids. Real releases may rekey phase 1
    without a gap. An IKEv2 SA is rekeyed with CREATE_CHILD_SA instead (RFC 7296 2.18):
    new SPIs and keys from the old SK_d, the child SAs untouched."""
    t.timers.pop("ike_expire", None)
    if t.version == 2:
        if sim.wan_up(t):
            t.timers["ike_expire"] = sim.loop.after(
                IKEV2_CREATE_CHILD_MESSAGES * _half(t), _ike2_rekeyed, sim, t
            )
        return  # [U] a peer out of reach: DPD ends the SA, not its lifetime
    for gw in _ends(sim, t):
        if _asa(gw) and t.id in gw.ike_up:
            gw.log(sim.now, 713259, who=_who(sim, t, gw), reason="Max Time Exceeded")
        delete_side(sim, t, gw, ike=True, reason="Max Time Exceeded")
    sim.path_changed()


def _ike2_rekeyed(sim: Simulation, t: TunnelRun) -> None:
    old = t.ike_keys
    if t.version != 2 or old is None or not any(t.id in g.ike_up for g in _ends(sim, t)):
        return
    t.ike_keys = keys.ikev2_sa(old.group, old.prf, old.encryption, old.integrity, sim.rng, old=old)
    t.ike_created_us = sim.now
    for gw in _ends(sim, t):
        if t.id in gw.ike_up:
            gw.ike_up[t.id] = sim.now
    t.history.append({"t_us": sim.now, "state": t.state, "cause": "IKEv2 SA rekeyed"})
    sim.loop.record("ike_rekey", tunnel=t.id)
    lifetimes = [_ike_lifetime(gw, 2) for gw in _ends(sim, t) if gw.cfg]
    finite = [x for x in lifetimes if x]
    if finite:
        t.timers["ike_expire"] = sim.loop.after(min(finite) * S, _ike_expired, sim, t)
    sim.touch()


# -- deletion ---------------------------------------------------------------------------


def delete_side(sim: Simulation, t: TunnelRun, gw: Gateway, *, ike: bool, reason: str) -> None:
    """Remove this gateway's SAs of the tunnel (and its IKE SA if `ike`); tear down the
    TCP conns that used them unless the SA carried PRESERVE. UDP conns are left to time
    out (S0: "The UDP connections will timeout as per the configured timeout period")."""
    from .forwarding import teardown

    sa = gw.sas.pop(t.id, None)
    if sa is not None:
        retire(sim, t, gw, sa)
    if sa is not None and _asa(gw):
        _log_sa(sim, t, gw, 602304, sa)
    if sa is not None and gw.stateful and not sa.preserve:
        for conn in [c for c in gw.conns.values() if c.tunnel == t.id and c.proto == "tcp"]:
            teardown(sim, gw, conn, "Tunnel has been torn down")
    if ike and t.id in gw.ike_up:
        started = gw.ike_up.pop(t.id)
        carried = gw.retired.pop(t.id, sacounters.SaTraffic())
        cancel(t.dpd.pop(gw.id, None))
        if _asa(gw):
            peer = _peer_ip(sim, t, gw)
            if not tunnelkinds.wording(t).ipsec:
                gw.log(sim.now, 722023, **tunnelkinds.svc(t, _group_policy(gw, peer), peer))
            gw.log(
                sim.now,
                113019,
                group=tunnelkinds.group(sim, t, gw, peer),
                user=tunnelkinds.user(t, peer),
                session_type=tunnelkinds.wording(t).session_type,
                peer=peer,
                duration=_dur(sim.now - started),
                xmt=carried.bytes_out,
                rcv=carried.bytes_in,
                reason=reason,
            )
        if not any(t.id in g.ike_up for g in _ends(sim, t)):
            t.ike_keys = None
            cancel(t.timers.pop("ike_expire", None))
    if sa is not None and t.state in (
        "up",
        "rekeying",
    ):  # a stale half never stops a new negotiation
        for name in ("soft", "hard", "soft_kb", "hard_kb", "neg", "neg_deadline"):
            cancel(t.timers.pop(name, None))
        _move(sim, t, "deleted", reason)
    sim.touch()


def sa_traffic(sim: Simulation, t: TunnelRun, gw: Gateway) -> sacounters.SaTraffic:
    """What gw's current SA of the tunnel has carried (zero when it has none)."""
    sa = gw.sas.get(t.id)
    if sa is None:
        return sacounters.SaTraffic()
    return sacounters.traffic(sim, t, gw, sa.baseline)


def session_traffic(sim: Simulation, t: TunnelRun, gw: Gateway) -> sacounters.SaTraffic:
    """What the whole IKE session carried: its retired SAs plus the current one."""
    return gw.retired.get(t.id, sacounters.SaTraffic()) + sa_traffic(sim, t, gw)


def retire(sim: Simulation, t: TunnelRun, gw: Gateway, sa: SideSa) -> None:
    """An SA goes (deleted or rekeyed): fold what it carried into the session's total."""
    if t.id in gw.retired:
        gw.retired[t.id] = gw.retired[t.id] + sacounters.traffic(sim, t, gw, sa.baseline)


def _dur(us: int) -> str:
    total = us // S
    return f"{total // 3600}h:{total % 3600 // 60:02d}m:{total % 60:02d}s"


def _arm_dpd(sim: Simulation, t: TunnelRun, gw: Gateway) -> None:
    """Keepalives start after `threshold` s without inbound traffic (semi-periodic DPD)."""
    threshold, retry = 10, 2  # [U] non-ASA peers: the ASA's L2L defaults
    if gw.cfg is not None:
        tg = gw.cfg.tunnel_group(_peer_ip(sim, t, gw))
        if tg.keepalive_disabled or tg.keepalive_threshold == 0:
            return
        threshold, retry = tg.keepalive_threshold, tg.keepalive_retry
    # [U] IKEv2 liveness checks use the same threshold/retry timing on the ASA
    dead_in = (threshold + (DPD_RETRIES + 1) * retry) * S
    t.dpd[gw.id] = sim.loop.after(dead_in, _dpd_dead, sim, t, gw)


def _dpd_dead(sim: Simulation, t: TunnelRun, gw: Gateway) -> None:
    """Keepalives (IKEv1 DPD) or IKEv2 liveness checks (empty INFORMATIONAL requests,
    RFC 7296 2.4) unanswered: the peer is dead. [P] 713259 comes before 113019 (tunnelsup
    "VPN between Cisco ASA and Amazon AWS", 9.2.2); [U] IKEv2 logs 750007 instead."""
    t.dpd.pop(gw.id, None)
    if _asa(gw) and t.version == 2:
        _log2(sim, t, gw, 750007, "Peer not responding")  # [U] reason text
    elif _asa(gw) and tunnelkinds.wording(t).ipsec:
        gw.log(sim.now, 713123, who=_who(sim, t, gw))
        gw.log(sim.now, 713259, who=_who(sim, t, gw), reason="Lost Service")
    sim.loop.record("dpd_dead", device=gw.id, tunnel=t.id)
    delete_side(sim, t, gw, ike=True, reason="Lost Service")  # [U] 113019 reason text
    sim.path_changed()


def clear(
    sim: Simulation, gw: Gateway, *, ike: bool, peer: str | None = None, version: int | None = None
) -> int:
    """`clear crypto ipsec sa [peer IP]` / `clear crypto isakmp|ikev1|ikev2 sa`: delete
    now (`version`: only tunnels of that IKE version); the peer hears a DELETE notify only
    if the WAN path is up."""
    count = 0
    for t in sim.tunnels.values():
        if gw.id not in (t.spec.a, t.spec.b) or (version and (t.version or 1) != version):
            continue
        if peer is not None and _peer_ip(sim, t, gw) != peer:
            continue
        if t.id not in gw.sas and not (ike and t.id in gw.ike_up):
            continue
        count += 1
        other = sim.peer_of(t, gw.id)
        if ike and _asa(gw) and t.id in gw.ike_up and not tunnelkinds.wording(t).ipsec:
            pass  # [U] AnyConnect: 722023 and 113019 (delete_side) say it
        elif ike and _asa(gw) and t.id in gw.ike_up and t.version != 2:
            gw.log(sim.now, 713259, who=_who(sim, t, gw), reason="Administrator Reset")
        elif ike and _asa(gw) and t.id in gw.ike_up:
            _log2(sim, t, gw, 750007, "Administrator Reset")  # [U] reason text
        delete_side(sim, t, gw, ike=ike, reason="Administrator Reset")
        if sim.wan_up(t):
            delete_side(sim, t, other, ike=ike, reason="Peer Terminate")
    sim.path_changed()
    return count
