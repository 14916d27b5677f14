"""The TCP sender and the UDP stream, driven by events (rules in tcp.py, state in flows.py).

A download opens with a SYN the whole path must accept (it builds the conns and may
trigger IKE), then slow start is stepped per round trip until the flow takes its fair
share, where it becomes a fluid. When the path stops carrying it, the sender stalls and
retransmits on its own timers (a tail-loss probe, then RTOs with back-off); it resumes at
the first retransmission the whole path accepts, or gives up, or dies on a RST.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import forwarding, sharing, tcp, vpn
from .core import cancel
from .flows import Attempt, FlowRun
from .forwarding import Verdict, walk
from .units import S, time_for_bytes

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
    v = walk(sim, f, "c2s", "syn")
    if v.ok:
        v = walk(sim, f, "s2c", "synack")
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
    f.demand_bps = mean_window * f.mss * 8 * S // f.base_rtt_us
    reallocate(sim)
    a = f.current
    if a.state == "slow_start" and a.rate_bps * 100 < f.demand_bps * 99:
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
    f.demand_bps = None
    reallocate(sim)


def _rtt_now(sim: Simulation, f: FlowRun) -> None:
    """Fold the steady-state RTT (queue included) into SRTT/RTTVAR, one sample per round
    since the flow went steady (bounded: after 64 rounds the estimators have converged)."""
    if f.current.state == "steady" and f.steady_rtt_us:
        for _ in range(16):
            f.srtt_us, f.rttvar_us = tcp.rtt_sample(f.srtt_us, f.rttvar_us, f.steady_rtt_us)


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
    _rtt_now(sim, f)
    cancel(f.round_timer)
    a.settle(sim.now)
    a.stalls.append([sim.now, None])
    _move(sim, f, "path_lost", where=v.where, reason=v.reason)
    forwarding.set_moving(sim, f, False)
    f.demand_bps = 0
    reallocate(sim)
    f.backoff = 0
    rto = tcp.rto_us(f.profile, f.srtt_us, f.rttvar_us)
    if f.profile.tail_loss_probe:
        f.rtx_timer = sim.loop.after(
            tcp.tail_loss_probe_us(f.srtt_us, rto), _retransmit, sim, f, "tlp"
        )
    else:
        f.rtx_timer = sim.loop.after(rto, _retransmit, sim, f, "rto")


def _gives_up(f: FlowRun, now: int) -> bool:
    assert f.profile is not None
    stalled_at = f.current.stalls[-1][0]
    assert stalled_at is not None
    if f.profile.data_retries is not None:
        return f.backoff >= f.profile.data_retries
    return now - stalled_at >= tcp.linux_give_up_us(f.retries2)


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
    a.retransmissions.append(sim.now)
    sim.loop.record("retransmit", flow=f.id, probe=kind)
    v = walk(sim, f, "s2c", "data")
    if v.ok:
        v = walk(sim, f, "c2s", "ack")
    if v.ok:
        _resume(sim, f, after_rto=kind == "rto")
        return
    if v.rst_by:
        _abort(sim, f, f"connection reset by {v.rst_by} (106015)", event="reset")
        return
    rto = tcp.rto_us(f.profile, f.srtt_us, f.rttvar_us)
    if kind == "rto":
        f.backoff += 1
    wait = min(rto << f.backoff, f.profile.rto_max_us)
    f.rtx_timer = sim.loop.after(wait, _retransmit, sim, f, "rto")


def _resume(sim: Simulation, f: FlowRun, *, after_rto: bool) -> None:
    a = f.current
    a.stalls[-1][1] = sim.now
    a.resumed = True
    if after_rto:  # RFC 5681: cwnd to one segment, ssthresh to half the flight
        f.ssthresh = max(2, f.cwnd // 2)
        f.cwnd = 1
    else:  # the probe repaired the tail: fast recovery halves the window
        f.ssthresh = max(2, f.cwnd // 2)
        f.cwnd = f.ssthresh
    f.ca_rounds = 1
    f.backoff = 0
    _move(sim, f, "resume", after_rto=after_rto)
    forwarding.set_moving(sim, f, True)
    _begin_round(sim, f)


def _complete(sim: Simulation, f: FlowRun) -> None:
    a = f.current
    if a.state not in ("slow_start", "steady"):
        return
    cancel(f.round_timer)
    a.settle(sim.now)
    a.delivered = f.spec.size_bytes
    a.completed_us = sim.now
    _move(sim, f, "done")
    f.demand_bps = 0
    forwarding.set_moving(sim, f, False)
    forwarding.close_conns(sim, f, "TCP FINs")
    reallocate(sim)


def _abort(sim: Simulation, f: FlowRun, reason: str, *, event: str) -> None:
    a = f.current
    for timer in (f.round_timer, f.rtx_timer, f.done_timer):
        cancel(timer)
    a.settle(sim.now)
    a.aborted_us = sim.now
    a.abort_reason = reason
    _move(sim, f, event, reason=reason)
    f.demand_bps = 0
    forwarding.set_moving(sim, f, False)
    reallocate(sim)


# -- UDP --------------------------------------------------------------------------------


def udp_check(sim: Simulation, f: FlowRun) -> None:
    """The stream sends all the time: after any change its next datagram finds out."""
    a = f.current
    if a.state not in ("running", "stalled"):
        return
    v = walk(sim, f, "c2s", "udp")
    forwarding.set_moving(sim, f, True, only=v.passed)  # a stream keeps every conn it passes busy
    if v.ok and a.state == "stalled":
        a.stalls[-1][1] = sim.now
        a.resumed = a.resumed or len(a.stalls) > 1 or a.stalls[-1][0] != a.started_us
        a.state = "running"
        f.demand_bps = f.spec.rate_bps
        sim.loop.record("flow", flow=f.id, attempt=a.number, event="flowing", state="running")
        reallocate(sim)
    elif not v.ok and a.state == "running":
        a.settle(sim.now)
        a.stalls.append([sim.now, None])
        a.state = "stalled"
        f.demand_bps = 0
        sim.loop.record(
            "flow", flow=f.id, attempt=a.number, event="path_lost", state="stalled", reason=v.reason
        )
        reallocate(sim)


def _udp_stop(sim: Simulation, f: FlowRun, number: int) -> None:
    a = f.current
    if a.number != number or a.state not in ("running", "stalled"):
        return
    a.settle(sim.now)
    a.state = "completed"
    a.completed_us = sim.now
    f.demand_bps = 0
    forwarding.set_moving(sim, f, False)
    sim.loop.record("flow", flow=f.id, attempt=a.number, event="stop", state="completed")
    reallocate(sim)


# -- sharing the links ------------------------------------------------------------------


def reallocate(sim: Simulation) -> None:
    """Share every link among the flows moving data; settle and re-plan what changed."""
    demands: dict[str, int | None] = {}
    paths: dict[str, tuple[str, ...]] = {}
    for f in sim.flows.values():
        if not f.attempts:
            continue
        d = f.demand_bps
        demands[f.id] = None if d is None else d * f.overhead_num // f.mss
        paths[f.id] = f.links
    capacity = {x: link.rate_bps for x, link in sim.links.items()}
    wire = sharing.allocate(demands, paths, capacity)
    load: dict[str, int] = {}
    tunnel_rate: dict[str, int] = {}
    for fid, rate in wire.items():
        f = sim.flows[fid]
        payload = rate * f.mss // f.overhead_num
        for x in f.links:
            load[x] = load.get(x, 0) + rate
        for tid in f.tunnels:
            tunnel_rate[tid] = (
                tunnel_rate.get(tid, 0) + payload * (f.mss + tcp.TCP_HEADER_BYTES) // f.mss
            )
        a = f.current
        if payload != a.rate_bps:
            a.settle(sim.now)
            a.rate_bps = payload
            _plan_completion(sim, f)
    for f in sim.flows.values():  # a loss-based sender fills the bottleneck queue
        if f.attempts and f.current.state == "steady":
            queue = sum(
                sim.links[x].buffer_bytes * 8 * S // sim.links[x].rate_bps
                for x in f.links
                if load.get(x, 0) * 100 >= sim.links[x].rate_bps * 99
            )
            f.steady_rtt_us = f.base_rtt_us + queue
    for t in sim.tunnels.values():
        vpn.set_rate(sim, t, tunnel_rate.get(t.id, 0))


def _plan_completion(sim: Simulation, f: FlowRun) -> None:
    cancel(f.done_timer)
    f.done_timer = None
    a = f.current
    if not f.is_tcp or a.rate_bps <= 0:
        return
    left = f.spec.size_bytes - a.transferred(sim.now)
    f.done_timer = sim.loop.after(time_for_bytes(a.rate_bps, max(0, left)), _complete, sim, f)
