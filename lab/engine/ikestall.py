"""A negotiation that stalls, and what each end shows and logs meanwhile.

Theory of operation: vpn.py sends an exchange and, when the pair's plan (ikepolicy.py)
says the peer stops answering, schedules `stalled` at the moment the last answered
message arrives. Until then, and after, `ike_state` derives each end's main-mode state
from how many messages have reached their receiver (tunnels.MM_INITIATOR/MM_RESPONDER,
reference S13): a responder has no SA before MM1 arrives, so across a cut path the far
side shows nothing. When the negotiation times out, `timeout_logs` writes 713902/713903
(IKEv1) or 750003 (IKEv2) on each end that held a half-built SA.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import ikepolicy, tunnelkinds
from .gateway import Gateway
from .tunnels import MM_INITIATOR, MM_RESPONDER, TunnelRun

if TYPE_CHECKING:
    from .sim import Simulation


def peer_ip(sim: Simulation, t: TunnelRun, gw: Gateway) -> str:
    return sim.peer_of(t, gw.id).address("outside")


def is_asa(gw: Gateway) -> bool:
    return gw.cfg is not None


def half(t: TunnelRun) -> int:
    return t.wan_rtt_us // 2


def messages_reached(sim: Simulation, t: TunnelRun) -> int:
    """How many messages of the first exchange have reached their receiver by now."""
    if t.reached is not None:
        return t.reached
    if t.sent_us is None or t.state != "negotiating":
        return 0
    got = (sim.now - t.sent_us) // max(1, half(t))
    cap = t.plan.delivered if t.plan is not None and t.plan.delivered is not None else 6
    return min(got, cap)


def ike_state(sim: Simulation, t: TunnelRun, gw: Gateway) -> str | None:
    """This gateway's IKEv1 SA state for `show crypto isakmp sa` (None: it has none)."""
    if t.version == 2:
        return None
    if t.id in gw.ike_up:
        return "MM_ACTIVE"
    if t.state != "negotiating" or t.ike_keys is not None:
        return None
    n = messages_reached(sim, t)
    if t.initiator == gw.id:
        return MM_INITIATOR[min(n, 6)]
    plan = t.plan
    if plan is not None and plan.delivered is not None and n >= plan.delivered:
        # it refused message n: it stays where it was before it (MM_WAIT_MSG5 for a bad key)
        return MM_RESPONDER[n - 1] if t.responder_holds else None
    return MM_RESPONDER[min(n, 6)]


def who(sim: Simulation, t: TunnelRun, gw: Gateway, group_known: bool) -> str:
    peer = peer_ip(sim, t, gw)
    return tunnelkinds.who(sim, t, gw, peer) if group_known else f"IP = {peer}"


def log_peer_table(sim: Simulation, t: TunnelRun, gw: Gateway, group_known: bool) -> None:
    """A phase 1 that ends without an SA: 713902 then 713903 (reference, last section)."""
    text = who(sim, t, gw, group_known)
    gw.log(sim.now, 713902, who=text, event="Removing peer from peer table failed, no match!")
    gw.log(sim.now, 713903, who=text)


def stalled(sim: Simulation, t: TunnelRun) -> None:
    """The last message the peer answers has arrived: the responder reacts, the initiator
    keeps retransmitting until the negotiation times out."""
    t.timers.pop("neg", None)
    plan = t.plan
    assert plan is not None and plan.delivered is not None
    t.reached = plan.delivered
    responder = sim.peer_of(t, t.initiator)
    t.responder_holds = plan.responder_keeps
    sim.touch()
    if not is_asa(responder):
        return
    if t.version == 2 and plan.delivered >= 3:
        log_ikev2(sim, t, responder, 750003, plan.why)
    elif t.version == 1 and plan.delivered == 3:  # no tunnel group: it aborts at once
        log_peer_table(sim, t, responder, False)


def log_ikev2(sim: Simulation, t: TunnelRun, gw: Gateway, msg_id: int, reason: str) -> None:
    gw.log(sim.now, msg_id, local=gw.address("outside"), peer=peer_ip(sim, t, gw), reason=reason)


def child_refused(sim: Simulation, t: TunnelRun) -> None:
    """The responder refuses the IPsec SA: 713061 + 713902 QM FSM error (IKEv1, a real 9.x
    log) or 750003 with the reason (IKEv2); the initiator retries until its timeout."""
    t.timers.pop("neg", None)
    initiator = sim.gateways[t.initiator]
    responder = sim.peer_of(t, t.initiator)
    if t.version == 2:
        if is_asa(responder) and t.plan is not None:
            log_ikev2(sim, t, responder, 750003, t.plan.why)
        return
    if is_asa(responder) and initiator.cfg is not None:
        # the proxies the initiator proposed, seen from this end: its local is our remote
        entry = initiator.cfg.crypto_entry_for_peer(peer_ip(sim, t, initiator))
        lnet, lmask, rnet, rmask = ikepolicy.acl_networks(initiator.cfg, entry)
        responder.log(
            sim.now,
            713061,
            who=who(sim, t, responder, True),
            rproxy=f"{lnet}/{lmask}",
            lproxy=f"{rnet}/{rmask}",
            ifc="outside",
        )
        ptr = 0x00007FFF00000000 | (t.msgid & 0xFFFFFFF0)  # [U] a stable made-up pointer
        t.msgid = sim.rng.getrandbits(32)
        responder.log(
            sim.now,
            713902,
            who=who(sim, t, responder, True),
            event=f"QM FSM error (P2 struct &0x{ptr:016x}, mess id 0x{t.msgid:x})!",
        )


def timeout_logs(sim: Simulation, t: TunnelRun) -> None:
    """Phase 1 timed out: each end that held a half-built SA removes it and says so."""
    initiator = sim.gateways[t.initiator]
    responder = sim.peer_of(t, t.initiator)
    reached = messages_reached(sim, t)
    group_known = reached >= 5
    # a responder mid-way through a good exchange (the path broke) times out too
    midway = t.plan is not None and t.plan.delivered is None and 0 < reached < 5
    for gw, held in ((initiator, True), (responder, t.responder_holds or midway)):
        if not held or not is_asa(gw):
            continue
        if t.version == 2:
            log_ikev2(sim, t, gw, 750003, "Maximum number of retransmissions reached")  # [U]
        else:
            log_peer_table(sim, t, gw, group_known)
