"""The TCP sender and the UDP stream, driven by events (rules in tcp.py, state in flows.py).

A download opens with a SYN the whole path must accept (it builds the conns and may
trigger IKE), then slow start is stepped per round trip until the flow takes its fair
share, where it becomes a fluid. When the path stops carrying it, the sender stalls and
retransmits on its own timers (a tail-loss probe, then RTOs with back-off); it resumes at
the first retransmission the whole path accepts, or gives up, or dies on a RST. A delay
spike that outlasts the RTO stalls it too, until the late ACKs arrive (delay_changed).
Flows share the links through lanes (flows.py): a change costs O(lanes), not O(flows).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from . import forwarding, sharing, tcp, vpn
from .core import cancel
from .flows import Attempt, FlowRun, Lane, round_trip_us
from .forwarding import Verdict, walk
from .units import S

if TYPE_CHECKING:
    from .sim import Simulation


def public_state(f: FlowRun) -> str:
    state = f.current.state
    return "running" if state in tcp.RUNNING else state


def _move(sim: Simulation, f: FlowRun, event: str, **detail: object) -> None:
    a = f.current
    a.state = tcp.next_state(a.state, event)
    sim.loop.record("flow", flow=f.id, attempt=a.number, event=event, state=a.state, **detail)
    sim.touch()


def start(sim: Simulation, f: FlowRun) -> None:
    n = len(f.attempts)
    f.attempts.append(Attempt(n + 1, f.spec.client_port + n, sim.now, settled_at=sim.now))
    if not f.is_tcp:
        f.current.state = "stalled"
        f.current.stalls.append([sim.now, None])
        sim.loop.record("flow", flow=f.id, attempt=n + 1, event="start", state="stalled")
        if f.spec.stop_us is not None:
            sim.loop.at(f.spec.stop_us, _udp_stop, sim, f, n + 1)
        udp_check(sim, f)
        return
    f.cwnd, f.ssthresh, f.srtt_us, f.rttvar_us, f.backoff = 0, 1 << 30, 0, 0, 0
    f.prior_cwnd = f.prior_ssthresh = 0
    f.late_acks_us = None
    _move(sim, f, "start")
    _send_syn(sim, f, 0)


def restart(sim: Simulation, f: FlowRun) -> None:
    """The user gives up and downloads again: the client resets its old connection."""
    a = f.current
    if a.state not in ("completed", "aborted"):
        if f.is_tcp:
            walk(sim, f, "c2s", "rst")
            _abort(sim, f, "abandoned: the user restarted the download", event="abandon")
        else:
            _udp_stop(sim, f, a.number)
    start(sim, f)


# -- TCP --------------------------------------------------------------------------------


def _send_syn(sim: Simulation, f: FlowRun, tries: int) -> None:
    assert f.profile is not None
    if f.current.state != "connecting":
        return
    if tries:
        f.current.retransmissions.append(sim.now)
    v = first = walk(sim, f, "c2s", "syn")
    if v.ok:
        v = walk(sim, f, "s2c", "synack")
    sim.loop.record(
        "path",
        flow=f.id,
        kind="syn",
        first_ok=first.ok,
        ok=v.ok,
        where=v.where,
        reason=v.reason,
        rst_by=v.rst_by,
    )  # for pcap.py: where the packet died
    if v.ok:
        f.rtx_timer = sim.loop.after(f.base_rtt_us, _established, sim, f)
        return
    if v.rst_by:
        _abort(sim, f, f"connection reset by {v.rst_by}", event="reset")
        return
    wait = f.profile.rto_initial_us << tries
    if tries >= f.profile.syn_retries:
        f.rtx_timer = sim.loop.after(wait, _syn_give_up, sim, f)
    else:
        f.rtx_timer = sim.loop.after(wait, _send_syn, sim, f, tries + 1)


def _syn_give_up(sim: Simulation, f: FlowRun) -> None:
    if f.current.state == "connecting":
        _abort(sim, f, "connect timed out (SYN retries exhausted)", event="give_up")


def _established(sim: Simulation, f: FlowRun) -> None:
    if f.current.state != "connecting":
        return
    forwarding.mark_established(sim, f)
    f.srtt_us, f.rttvar_us = tcp.rtt_sample(0, 0, f.base_rtt_us)
    f.cwnd = tcp.TCP_INIT_CWND
    f.ca_rounds = 1
    _move(sim, f, "established")
    forwarding.set_moving(sim, f, True)
    _begin_round(sim, f)


def _begin_round(sim: Simulation, f: FlowRun) -> None:
    """Send one window (or, in congestion avoidance, a batch of rounds)."""
    rounds = 1 if f.cwnd < f.ssthresh else f.ca_rounds
    mean_window = f.cwnd + (rounds - 1) // 2 if rounds > 1 else f.cwnd
    demand = mean_window * f.mss * 8 * S // f.base_rtt_us
    set_demand(sim, f, demand)
    a = f.current
    if a.state == "slow_start" and a.rate_bps * 100 < demand * 99:
        _go_steady(sim, f)
        return
    f.round_timer = sim.loop.after(rounds * f.base_rtt_us, _round_end, sim, f, rounds)


def _round_end(sim: Simulation, f: FlowRun, rounds: int) -> None:
    if f.current.state != "slow_start":
        return
    f.srtt_us, f.rttvar_us = tcp.rtt_sample(f.srtt_us, f.rttvar_us, f.base_rtt_us)
    if f.cwnd < f.ssthresh:
        f.cwnd = min(f.cwnd * 2, max(f.ssthresh, f.cwnd + 1))
    else:
        f.cwnd += rounds
        f.ca_rounds = rounds * 2
    _begin_round(sim, f)


def _go_steady(sim: Simulation, f: FlowRun) -> None:
    _move(sim, f, "window_full")
    set_demand(sim, f, None)


def _measured(sim: Simulation, f: FlowRun) -> tuple[int, int]:
    """SRTT/RTTVAR with the steady-state RTT (queue included) folded in. Linux takes a
    sample from every ACK (net/ipv4/tcp_input.c tcp_clean_rtx_queue -> tcp_ack_update_rtt),
    about cwnd/2 a round trip, so a steady sender's estimators have converged on it: 64
    samples leave under 0.1 % of the old SRTT."""
    srtt, rttvar = f.srtt_us, f.rttvar_us
    if f.current.state == "steady":
        sample = steady_rtt_us(sim, f)
        for _ in range(64):
            srtt, rttvar = tcp.rtt_sample(srtt, rttvar, sample)
    return srtt, rttvar


def _rtt_now(sim: Simulation, f: FlowRun) -> None:
    f.srtt_us, f.rttvar_us = _measured(sim, f)


def recheck_all(sim: Simulation) -> None:
    for f in sim.flows.values():
        if not f.attempts:
            continue
        if not f.is_tcp:
            udp_check(sim, f)
        elif f.current.state in ("slow_start", "steady"):
            v = walk(sim, f, "s2c", "data")
            if v.ok:
                v = walk(sim, f, "c2s", "ack")
            if not v.ok:
                _stall(sim, f, v)


def _stall(sim: Simulation, f: FlowRun, v: Verdict) -> None:
    assert f.profile is not None
    a = f.current
    # The RTT of the last ACKs: a queue-filling sender's includes its standing queues.
    rtt_now = steady_rtt_us(sim, f) if a.state == "steady" else f.base_rtt_us
    _rtt_now(sim, f)
    cancel(f.round_timer)
    a.stalls.append([sim.now, None])
    _move(sim, f, "path_lost", where=v.where, reason=v.reason)
    forwarding.set_moving(sim, f, False)
    set_demand(sim, f, 0)
    f.backoff = 0
    f.prior_cwnd = f.prior_ssthresh = 0
    f.retrans_stamp_us = None
    rto = tcp.rto_us(f.profile, f.srtt_us, f.rttvar_us)
    # [U] ACKs that had passed the break keep arriving, and re-arming the timers, until the
    # last of them reaches the sender (tcp_ack -> tcp_set_xmit_timer / tcp_rearm_rto).
    heard = sim.now + _ack_transit_us(sim, f, v.where)
    if f.profile.tail_loss_probe:
        # tcp_rto_delta_us: the RTO counts from the oldest unacknowledged segment, sent
        # one RTT before that last ACK.
        pto = tcp.tail_loss_probe_us(f.srtt_us, rto - rtt_now)
        f.rtx_timer = _arm(sim, f, heard, pto, "tlp")
    else:
        f.rtx_timer = _arm(sim, f, heard, rto, "rto")


def _ack_transit_us(sim: Simulation, f: FlowRun, where: str | None) -> int:
    """One-way delay from the point where the path broke to the sender (the server)."""
    links = f.links
    if where in links:
        rest = links[links.index(where) + 1 :]
    else:
        hop = next((h for h in f.c2s if h.node == where), None)
        if hop is None or hop.out_link is None or hop.out_link not in links:
            return 0
        rest = links[links.index(hop.out_link) :]
    return sum(sim.links[x].delay_us for x in rest)


def _arm(sim: Simulation, f: FlowRun, start_us: int, delay_us: int, kind: str) -> Any:
    """A retransmission timer; Linux's run in jiffies on the kernel's timer wheel."""
    assert f.profile is not None
    at = start_us + delay_us
    if f.profile.jiffies:
        at = tcp.timer_fires_at(start_us, tcp.usecs_to_jiffies(delay_us))
    return sim.loop.at(at, _retransmit, sim, f, kind)


def _gives_up(f: FlowRun, now: int) -> bool:
    """At an RTO expiry (net/ipv4/tcp_timer.c tcp_write_timeout, retransmits_timed_out):
    Linux measures from tp->retrans_stamp, the first RTO retransmission of the stall (a
    probe that sent new data does not set it); before any, it cannot time out."""
    assert f.profile is not None
    if f.profile.data_retries is not None:
        return f.backoff >= f.profile.data_retries
    if f.retrans_stamp_us is None:
        return False
    return now - f.retrans_stamp_us >= tcp.linux_give_up_us(f.retries2)


def _retransmit(sim: Simulation, f: FlowRun, kind: str) -> None:
    assert f.profile is not None
    a = f.current
    if a.state != "stalled":
        return
    if kind == "rto" and _gives_up(f, sim.now):
        since = a.stalls[-1][0] or 0
        count = sum(1 for t in a.retransmissions if t >= since)
        _abort(sim, f, f"timed out after {count} retransmissions (ETIMEDOUT)", event="give_up")
        return
    if kind == "rto" and not f.prior_cwnd:  # the stall's first RTO: RFC 5681 3.1
        f.prior_cwnd, f.prior_ssthresh = tcp.undo_marks(f.cwnd, f.ssthresh)
        f.cwnd, f.ssthresh = tcp.after_timeout(f.cwnd, f.profile)
    if kind == "rto" and f.retrans_stamp_us is None:
        f.retrans_stamp_us = sim.now  # tcp_retransmit_skb: "stamp of the first retransmit"
    a.retransmissions.append(sim.now)
    sim.loop.record("retransmit", flow=f.id, probe=kind)
    v = first = walk(sim, f, "s2c", "data")
    if v.ok:
        v = walk(sim, f, "c2s", "ack")
    sim.loop.record(
        "path",
        flow=f.id,
        kind=kind,
        first_ok=first.ok,
        ok=v.ok,
        where=v.where,
        reason=v.reason,
        rst_by=v.rst_by,
    )  # for pcap.py: where the packet died
    if v.ok and f.late_acks_us is None:
        # It got through: new data goes when its ACK is back, one round trip later (F-RTO,
        # RFC 5682 2b: tcp_process_loss sends new data on that ACK). The next RTO stays
        # armed in case the path breaks again meanwhile.
        cancel(f.ack_timer)
        f.ack_timer = sim.loop.after(f.base_rtt_us, _ack_back, sim, f, kind, a.number)
    elif v.rst_by:  # (a retransmission that passed during a delay spike waits for its ACK)
        _abort(sim, f, f"connection reset by {v.rst_by} (106015)", event="reset")
        return
    # After the probe the RTO is re-armed from now (tcp_send_loss_probe -> tcp_rearm_rto);
    # each expiry doubles it up to TCP_RTO_MAX (tcp_retransmit_timer).
    rto = tcp.rto_us(f.profile, f.srtt_us, f.rttvar_us)
    if kind == "rto":
        f.backoff += 1
    wait = min(rto << f.backoff, f.profile.rto_max_us)
    f.rtx_timer = _arm(sim, f, sim.now, wait, "rto")


def _ack_back(sim: Simulation, f: FlowRun, kind: str, number: int) -> None:
    """The ACK of a retransmission that got through reaches the sender."""
    a = f.current
    f.ack_timer = None
    if a.number != number or a.state != "stalled" or f.late_acks_us is not None:
        return
    if not walk(sim, f, "c2s", "ack").ok:  # the path broke again: the RTO carries on
        return
    cancel(f.rtx_timer)
    _resume(sim, f, after_rto=kind == "rto")


def _resume(sim: Simulation, f: FlowRun, *, after_rto: bool) -> None:
    if not after_rto:  # the probe repaired the tail (an RTO's reduction is in already)
        f.cwnd, f.ssthresh = tcp.after_fast_recovery(f.cwnd)
    _send_again(sim, f, "resume", after_rto=after_rto)


def _send_again(sim: Simulation, f: FlowRun, event: str, **detail: object) -> None:
    a = f.current
    a.stalls[-1][1] = sim.now
    a.resumed = True
    f.ca_rounds = 1
    f.backoff = 0
    _move(sim, f, event, **detail)
    forwarding.set_moving(sim, f, True)
    _begin_round(sim, f)


# -- delay spikes -----------------------------------------------------------------------


def delay_changed(sim: Simulation, link: str) -> None:
    """A link's one-way delay changed: every path across it gets a new base RTT.

    [U] Model: when the RTT grows, the ACKs of what is in flight arrive late by the
    growth (new RTT - old RTT), and a later decrease does not hurry them. If that silence
    outlasts the sender's first RTO, the sender stalls and retransmits for nothing; when
    the held-back ACKs arrive the profile decides whether to undo (tcp.py)."""
    for t in sim.tunnels.values():
        if link in t.wan_links:
            t.wan_rtt_us = round_trip_us(sim.links, t.wan_links)
    for f in sim.flows.values():
        if link not in f.links:
            continue
        rtt = round_trip_us(sim.links, f.links)
        gap = rtt - f.base_rtt_us
        if f.attempts and f.profile and gap > 0 and f.current.state in ("slow_start", "steady"):
            srtt, rttvar = _measured(sim, f)  # the RTO is armed on what it measured so far
            if gap > tcp.silence_before_rto_us(f.profile, srtt, rttvar):
                _stall(sim, f, Verdict(False, link, "delay spike: ACKs late"))
                f.late_acks_us = sim.now + gap
                f.late_timer = sim.loop.after(gap, _late_acks, sim, f, f.current.number)
        f.base_rtt_us = rtt


def _late_acks(sim: Simulation, f: FlowRun, number: int) -> None:
    """The ACKs of the original segments arrive: the data was never lost."""
    assert f.profile is not None
    a = f.current
    if a.number != number or a.state != "stalled" or f.late_acks_us != sim.now:
        return
    f.late_acks_us = None
    v = walk(sim, f, "c2s", "ack")
    if not v.ok:  # the path broke meanwhile: they are lost and the timers carry on
        return
    cancel(f.rtx_timer)
    if not f.prior_cwnd:  # no RTO fired: nothing was reduced
        _send_again(sim, f, "late_acks")
    elif f.profile.undo_spurious_rto:
        f.cwnd, f.ssthresh = tcp.undo(f.cwnd, f.ssthresh, f.prior_cwnd, f.prior_ssthresh)
        _send_again(sim, f, "undo", cwnd=f.cwnd, ssthresh=f.ssthresh)
    else:  # the RTO's reduction stands: slow start from one segment
        _resume(sim, f, after_rto=True)


def _complete(sim: Simulation, f: FlowRun) -> None:
    a = f.current
    if a.state not in ("slow_start", "steady"):
        return
    cancel(f.round_timer)
    set_demand(sim, f, 0)
    a.delivered = f.spec.size_bytes
    a.completed_us = sim.now
    _move(sim, f, "done")
    forwarding.set_moving(sim, f, False)
    forwarding.close_conns(sim, f, "TCP FINs")


def _abort(sim: Simulation, f: FlowRun, reason: str, *, event: str) -> None:
    a = f.current
    for timer in (f.round_timer, f.rtx_timer, f.late_timer, f.ack_timer):
        cancel(timer)
    a.aborted_us = sim.now
    a.abort_reason = reason
    _move(sim, f, event, reason=reason)
    forwarding.set_moving(sim, f, False)
    set_demand(sim, f, 0)


# -- UDP --------------------------------------------------------------------------------


def udp_check(sim: Simulation, f: FlowRun) -> None:
    """The stream sends all the time: after any change its next datagram finds out."""
    a = f.current
    if a.state not in ("running", "stalled"):
        return
    v = walk(sim, f, "c2s", "udp")
    sim.loop.record(
        "path",
        flow=f.id,
        kind="udp",
        first_ok=v.ok,
        ok=v.ok,
        where=v.where,
        reason=v.reason,
        rst_by=None,
    )  # for pcap.py: where the datagrams die
    forwarding.set_moving(sim, f, True, only=v.passed)  # a stream keeps every conn it passes busy
    if v.ok and a.state == "stalled":
        a.stalls[-1][1] = sim.now
        a.resumed = a.resumed or len(a.stalls) > 1 or a.stalls[-1][0] != a.started_us
        a.state = "running"
        sim.loop.record("flow", flow=f.id, attempt=a.number, event="flowing", state="running")
        set_demand(sim, f, f.spec.rate_bps)
    elif not v.ok and a.state == "running":
        a.stalls.append([sim.now, None])
        a.state = "stalled"
        sim.loop.record(
            "flow", flow=f.id, attempt=a.number, event="path_lost", state="stalled", reason=v.reason
        )
        set_demand(sim, f, 0)


def _udp_stop(sim: Simulation, f: FlowRun, number: int) -> None:
    a = f.current
    if a.number != number or a.state not in ("running", "stalled"):
        return
    a.state = "completed"
    a.completed_us = sim.now
    forwarding.set_moving(sim, f, False)
    sim.loop.record("flow", flow=f.id, attempt=a.number, event="stop", state="completed")
    set_demand(sim, f, 0)


# -- sharing the links ------------------------------------------------------------------


def set_demand(sim: Simulation, f: FlowRun, demand_bps: int | None) -> None:
    """The flow now asks for `demand_bps` of payload (0: nothing; None: all it can get):
    move it to its lane and share the links again."""
    f.demand_bps = demand_bps
    a = f.current
    lanes = sim.fluid.lanes
    key: Hashable | None = None
    if demand_bps is None:  # max-min fairness gives these senders one rate: one lane
        key = ("steady", f.links, f.mss, f.overhead_num, f.tunnels)
    elif demand_bps:
        key = ("own", f.id)
    old = a.lane
    if old is not None and old.key != key:
        old.leave(f)
        if not old.size:
            cancel(old.timer)
            del lanes[old.key]
    if key is None:
        if a.own_rate_bps:
            a.settle(sim.now)
            a.own_rate_bps = 0
    else:
        lane = lanes.get(key)
        if lane is None:
            lane = lanes[key] = Lane(key, f, demand_bps, sim.now)
        lane.demand_bps = demand_bps
        if a.lane is not lane:
            lane.joining.append(f)
    reallocate(sim)
    if old is not None and old.key in lanes and old.key != key:
        _plan_completion(sim, old)  # its first finisher may have left


def reallocate(sim: Simulation) -> None:
    """Share every link among the lanes moving data; start new epochs where rates changed."""
    lanes = sim.fluid.lanes
    wire = sharing.allocate(
        {
            k: None if x.demand_bps is None else x.demand_bps * x.overhead_num // x.mss
            for k, x in lanes.items()
        },
        {k: x.links for k, x in lanes.items()},
        {x: link.rate_bps for x, link in sim.links.items()},
        {k: x.size for k, x in lanes.items()},
    )
    load: dict[str, int] = {}
    tunnel_rate: dict[str, int] = {}
    for k, lane in lanes.items():
        rate, n = wire[k], lane.size
        payload = rate * lane.mss // lane.overhead_num
        for x in lane.links:
            load[x] = load.get(x, 0) + rate * n
        for tid in lane.tunnels:
            carried = payload * (lane.mss + tcp.TCP_HEADER_BYTES) // lane.mss
            tunnel_rate[tid] = tunnel_rate.get(tid, 0) + carried * n
        changed = payload != lane.rate_bps or bool(lane.joining)
        lane.set_rate(sim.now, payload)
        for f in lane.joining:
            lane.join(f, sim.now)
        lane.joining.clear()
        if changed:
            _plan_completion(sim, lane)
    sim.fluid.load_bps = load
    for t in sim.tunnels.values():
        vpn.set_rate(sim, t, tunnel_rate.get(t.id, 0))


def steady_rtt_us(sim: Simulation, f: FlowRun) -> int:
    """A loss-based sender keeps a queue in every saturated link's buffer: its RTT
    includes their mean standing queues (tcp.standing_queue_bytes)."""
    queue = 0
    for x in f.links:
        link = sim.links[x]
        if sim.fluid.load_bps.get(x, 0) * 100 >= link.rate_bps * 99:
            bdp = link.rate_bps * f.base_rtt_us // (8 * S)
            queued = tcp.standing_queue_bytes(link.buffer_bytes, bdp)
            queue += queued * 8 * S // link.rate_bps
    return f.base_rtt_us + queue


def _plan_completion(sim: Simulation, lane: Lane) -> None:
    cancel(lane.timer)
    nxt = lane.next_done()
    lane.timer = None if nxt is None else sim.loop.at(nxt[0], _lane_due, sim, lane, nxt[1])


def _lane_due(sim: Simulation, lane: Lane, fid: str) -> None:
    lane.timer = None
    _complete(sim, sim.flows[fid])  # leaves the lane, which plans the next finisher
