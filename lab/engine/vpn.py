"""The tunnel life cycle as it plays out on the wire and in each gateway (see tunnels.py).

Every SA creation stamps PRESERVE from that gateway's sysopt at that moment; every SA
deletion tears down that gateway's TCP conns on the tunnel unless the SA carried it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import keys, sacounters
from .asaconfig import IPSEC_LIFETIME_DEFAULT_KB, IPSEC_LIFETIME_DEFAULT_S
from .core import cancel
from .gateway import Gateway, SideSa
from .platforms import PRESERVE_TUNNEL_KINDS, TUNNEL_KIND_NAMES, has_preserve_vpn_flows
from .tunnels import (
    DPD_RETRIES,
    IKE_MAIN_MODE_MESSAGES,
    IKE_NEGOTIATION_TIMEOUT_US,
    IKE_QUICK_MODE_MESSAGES,
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


def _peer_ip(sim: Simulation, t: TunnelRun, gw: Gateway) -> str:
    return sim.peer_of(t, gw.id).address("outside")


def _asa(gw: Gateway) -> bool:
    return gw.cfg is not None


# -- negotiation ------------------------------------------------------------------------


def trigger(sim: Simulation, t: TunnelRun, gw_id: str) -> None:
    """An interesting packet met no SA at gw_id: start IKE unless already under way."""
    if t.state != "down":
        return
    from .forwarding import crypto_active

    t.initiator = gw_id
    t.neg_started_us = sim.now
    _move(sim, t, "trigger", f"interesting traffic at {gw_id}")
    gw = sim.gateways[gw_id]
    peer = sim.peer_of(t, gw_id)
    if _asa(gw) and t.ike_keys is None:
        assert gw.cfg is not None
        entry = gw.cfg.crypto_entry_for_peer(_peer_ip(sim, t, gw))
        gw.log(
            sim.now,
            713041,
            peer=_peer_ip(sim, t, gw),
            ifc="outside",
            lproxy=gw.address("inside"),
            rproxy=peer.address("inside"),
            map=entry.name if entry else "",
        )
    if not crypto_active(sim, peer, t):
        t.timers["neg_deadline"] = sim.loop.after(
            IKE_NEGOTIATION_TIMEOUT_US, _failed, sim, t, "no crypto map at peer"
        )
        return
    t.timers["neg_deadline"] = sim.loop.after(
        IKE_NEGOTIATION_TIMEOUT_US, _failed, sim, t, "no answer from peer"
    )
    _attempt(sim, t)


def _attempt(sim: Simulation, t: TunnelRun) -> None:
    """Send the exchange if the WAN path is up; it completes after its message trips."""
    cancel(t.timers.pop("neg", None))
    if not sim.wan_up(t):
        return
    messages = IKE_QUICK_MODE_MESSAGES
    if t.ike_keys is None:
        messages += IKE_MAIN_MODE_MESSAGES
    t.timers["neg"] = sim.loop.after(messages * t.wan_rtt_us // 2, _established, sim, t)


def _failed(sim: Simulation, t: TunnelRun, why: str) -> None:
    cancel(t.timers.pop("neg", None))
    t.timers.pop("neg_deadline", None)
    if t.state == "negotiating":
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
                cancel(t.timers.pop("neg"))
        for gw in _ends(sim, t):
            if t.id not in gw.ike_up:
                cancel(t.dpd.pop(gw.id, None))
                continue
            if up:
                cancel(t.dpd.pop(gw.id, None))
            elif gw.id not in t.dpd:
                _arm_dpd(sim, t, gw)


def _established(sim: Simulation, t: TunnelRun) -> None:
    t.timers.pop("neg", None)
    cancel(t.timers.pop("neg_deadline", None))
    a, b = _ends(sim, t)
    initiator = sim.gateways[t.initiator] if t.initiator else a
    responder = b if initiator is a else a
    cfg = initiator.cfg or responder.cfg
    if t.ike_keys is None:
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
                gw.log(sim.now, 713119, peer=_peer_ip(sim, t, gw))
        lifetimes = [gw.cfg.ike_lifetime_s() for gw in (a, b) if gw.cfg]
        finite = [x for x in lifetimes if x]
        if finite:  # lifetime 0 means infinite: the lower finite value wins
            t.timers["ike_expire"] = sim.loop.after(min(finite) * S, _ike_expired, sim, t)
    transform = _transform(initiator, responder, sim, t)
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
            gw.log(
                sim.now,
                713049,
                peer=peer,
                role=role,
                ispi=f"0x{sa.spi_in:08x}",
                ospi=f"0x{sa.spi_out:08x}",
            )
            _log_sa(sim, t, gw, 602303, sa)
            gw.log(sim.now, 713120, peer=peer, msgid=f"{t.msgid:08x}")
            if old is not None:  # make-before-break: the old pair goes after the new is up
                _log_sa(sim, t, gw, 602304, old)
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
            if entry and entry.transform_sets and entry.transform_sets[0] in gw.cfg.transform_sets:
                return tuple(gw.cfg.transform_sets[entry.transform_sets[0]])
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
    platform has the feature and the tunnel kind is supported (L2L, NEM)."""
    return bool(
        gw.cfg is not None
        and gw.cfg.sysopt.preserve_vpn_flows
        and has_preserve_vpn_flows(gw.node.platform, gw.node.version)
        and t.spec.kind in PRESERVE_TUNNEL_KINDS
    )


def _log_sa(sim: Simulation, t: TunnelRun, gw: Gateway, msg_id: int, sa: SideSa) -> None:
    peer = _peer_ip(sim, t, gw)
    local = gw.address("outside")
    kind = TUNNEL_KIND_NAMES[t.spec.kind] if t.spec.kind != "l2l" else "LAN-to-LAN"
    for direction, spi in (("outbound", sa.spi_out), ("inbound", sa.spi_in)):
        gw.log(
            sim.now,
            msg_id,
            direction=direction,
            tunnel_type=kind,
            spi=f"0x{spi:08X}",
            local=local,
            peer=peer,
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
    """[U] The lab takes the IPsec SAs down with an expiring IKE SA: the flow disconnection
    the seed says `lifetime 0` avoids. Real releases may rekey phase 1 without a gap."""
    t.timers.pop("ike_expire", None)
    for gw in _ends(sim, t):
        if _asa(gw) and t.id in gw.ike_up:
            gw.log(sim.now, 713259, peer=_peer_ip(sim, t, gw), reason="Max Time Exceeded")
        delete_side(sim, t, gw, ike=True, reason="Max Time Exceeded")
    sim.path_changed()


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
            gw.log(
                sim.now,
                113019,
                group=peer,
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
    dead_in = (threshold + (DPD_RETRIES + 1) * retry) * S
    t.dpd[gw.id] = sim.loop.after(dead_in, _dpd_dead, sim, t, gw)


def _dpd_dead(sim: Simulation, t: TunnelRun, gw: Gateway) -> None:
    t.dpd.pop(gw.id, None)
    if _asa(gw):
        gw.log(sim.now, 713123, peer=_peer_ip(sim, t, gw))
    sim.loop.record("dpd_dead", device=gw.id, tunnel=t.id)
    delete_side(sim, t, gw, ike=True, reason="Lost Service")  # [U] 113019 reason text
    sim.path_changed()


def clear(sim: Simulation, gw: Gateway, *, ike: bool, peer: str | None = None) -> int:
    """`clear crypto ipsec sa [peer IP]` / `clear crypto isakmp sa`: delete now; the peer
    hears a DELETE notify only if the WAN path is up."""
    count = 0
    for t in sim.tunnels.values():
        if gw.id not in (t.spec.a, t.spec.b):
            continue
        if peer is not None and _peer_ip(sim, t, gw) != peer:
            continue
        if t.id not in gw.sas and not (ike and t.id in gw.ike_up):
            continue
        count += 1
        other = sim.peer_of(t, gw.id)
        if ike and _asa(gw) and t.id in gw.ike_up:
            gw.log(sim.now, 713259, peer=_peer_ip(sim, t, gw), reason="Administrator Reset")
        delete_side(sim, t, gw, ike=ike, reason="Administrator Reset")
        if sim.wan_up(t):
            delete_side(sim, t, other, ike=ike, reason="Peer Terminate")
    sim.path_changed()
    return count
