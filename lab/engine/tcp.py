"""TCP endpoint behaviour across an outage: profiles, RTO arithmetic, the state table.

Theory of operation: a download is a fluid while data moves (see flows.py); this module
holds the rules that decide *when* the sender tries again and *when it gives up*.
Linux (RFC 6298 as Linux implements it, include/net/tcp.h): RTO = SRTT + max(4*RTTVAR,
TCP_RTO_MIN), initial 1 s, ceiling 120 s, doubling per expiry; one tail-loss probe
(2*SRTT) before the first RTO; give-up when the time since the first RTO retransmission
reaches the bound tcp_retries2 implies, computed as if RTO started at TCP_RTO_MIN (924.6 s
for 15). Linux counts these timers in jiffies and its timer wheel fires them late by up to
a level's granularity (`timer_fires_at`): measured against the kernel by
benchmarks/fidelity.py. Windows gives up after TcpMaxDataRetransmissions (5).
The first RTO of a stall cuts the window (RFC 5681 3.1); when the ACKs of the original
segments arrive afterwards (a delay spike, not a loss), Linux proves the RTO spurious and
undoes the cut (F-RTO, RFC 5682, and the Eifel-style undo of tcp_try_undo_loss), Windows
keeps it and slow-starts.
"""

from __future__ import annotations

from dataclasses import dataclass

from .units import MS, S

TCP_RTO_MIN_US = 200 * MS  # Linux TCP_RTO_MIN = HZ/5
TCP_RTO_MAX_US = 120 * S  # Linux TCP_RTO_MAX = 120*HZ
TCP_TIMEOUT_INIT_US = 1 * S  # RFC 6298 2.1, Linux TCP_TIMEOUT_INIT
TCP_INIT_CWND = 10  # RFC 6928, Linux default
TCP_HEADER_BYTES = 40  # IPv4 + TCP without options
LINUX_SYN_RETRIES = 6  # net.ipv4.tcp_syn_retries
LINUX_RETRIES2 = 15  # net.ipv4.tcp_retries2
# [U] CONFIG_HZ=250 (Debian's kernels and the kernel benchmarks/fidelity.py measured);
# 100, 300 and 1000 exist. One jiffy is the unit of every Linux TCP timer.
JIFFY_US = 4 * MS
TCP_TIMEOUT_MIN_US = 2 * MS  # include/net/tcp.h TCP_TIMEOUT_MIN_US (2*USEC_PER_MSEC)
CUBIC_BETA = (717, 1024)  # net/ipv4/tcp_cubic.c beta: ssthresh = cwnd * 717 / 1024


@dataclass(frozen=True)
class TcpProfile:
    name: str
    rto_initial_us: int
    rto_min_us: int
    rto_max_us: int
    tail_loss_probe: bool
    syn_retries: int
    data_retries: int | None  # None: time-bounded by tcp_retries2 (Linux)
    undo_spurious_rto: bool  # restore cwnd/ssthresh when later ACKs prove an RTO spurious
    jiffies: bool = False  # timers in jiffies on the kernel's timer wheel (Linux)


# Linux undoes by default: net.ipv4.tcp_frto = 2 (RFC 5682 SACK-enhanced F-RTO).
LINUX = TcpProfile(
    "linux",
    TCP_TIMEOUT_INIT_US,
    TCP_RTO_MIN_US,
    TCP_RTO_MAX_US,
    True,
    LINUX_SYN_RETRIES,
    None,
    True,
    jiffies=True,
)
# Windows (S22): TcpMaxDataRetransmissions 5. [U] InitialRto 3 s and MinRto 300 ms are
# our choice (Get-NetTCPSetting on Vista+, reference section 6), as are the 60 s ceiling,
# TcpMaxConnectRetransmissions 2 and no tail-loss probe: confirm on a Windows host.
# [U] No undo of a spurious RTO: Vista+ lists F-RTO, which spares the needless
# retransmissions, but we found nothing saying it restores the window (RFC 5682's
# conservative response keeps the cut). Confirm on a Windows host.
WINDOWS = TcpProfile("windows", 3 * S, 300 * MS, 60 * S, False, 2, 5, False)
PROFILES = {"linux": LINUX, "windows": WINDOWS}


def usecs_to_jiffies(us: int) -> int:
    """include/linux/jiffies.h usecs_to_jiffies: rounds up."""
    return -(-us // JIFFY_US)


def timer_fires_at(now_us: int, delay_jiffies: int) -> int:
    """When a kernel timer armed now for `delay_jiffies` fires (kernel/time/timer.c
    calc_wheel_index, calc_index). The wheel files it in the level its delay falls in
    (level n from LVL_START(n) = 63 << 3(n-1) jiffies, 8**n jiffies per bucket) and it
    fires at that bucket's boundary: expiry + granularity, rounded down to the
    granularity ("Round up with level granularity to prevent" early expiry). At HZ=250 a
    280 ms RTO fires up to 32 ms late, a 2.2 s one up to 256 ms, a 60 s one up to 2 s.
    [U] The lab's jiffy 0 is simulated time 0; the kernel's phase is arbitrary."""
    expires = now_us // JIFFY_US + delay_jiffies
    level, start = 0, 63
    while delay_jiffies >= start and level < 8:
        level, start = level + 1, start << 3
    shift = 3 * level
    return (((expires + (1 << shift)) >> shift) << shift) * JIFFY_US


def rto_us(profile: TcpProfile, srtt_us: int, rttvar_us: int) -> int:
    """Retransmission timeout from the smoothed RTT estimators.

    Linux (net/ipv4/tcp_input.c tcp_set_rto, __tcp_set_rto): icsk_rto =
    usecs_to_jiffies(srtt + rttvar_us), where tcp_rtt_estimator keeps rttvar_us at the
    largest 4*mdev of the last round trip and never below tcp_rto_min (mdev_max_us restarts
    at rto_min every RTT): with a steady RTT that is SRTT + 200 ms, rounded up to a jiffy."""
    if profile.name == "linux":
        value = srtt_us + max(4 * rttvar_us, profile.rto_min_us)
    else:
        value = max(srtt_us + 4 * rttvar_us, profile.rto_min_us)
    if profile.jiffies:
        value = usecs_to_jiffies(value) * JIFFY_US
    return min(value, profile.rto_max_us)


def rtt_sample(srtt_us: int, rttvar_us: int, sample_us: int) -> tuple[int, int]:
    """RFC 6298 2.3: fold one RTT measurement into (SRTT, RTTVAR); srtt 0 = first sample."""
    if srtt_us == 0:
        return sample_us, sample_us // 2
    rttvar = (3 * rttvar_us + abs(srtt_us - sample_us)) // 4
    srtt = (7 * srtt_us + sample_us) // 8
    return srtt, rttvar


def linux_give_up_us(retries2: int, rto_base_us: int = TCP_RTO_MIN_US) -> int:
    """The time bound tcp_retries2 implies (retransmits_timed_out in net/ipv4/tcp_timer.c)."""
    linear_backoff_thresh = (TCP_RTO_MAX_US // rto_base_us).bit_length() - 1  # ilog2
    if retries2 <= linear_backoff_thresh:
        return ((2 << retries2) - 1) * rto_base_us
    return ((2 << linear_backoff_thresh) - 1) * rto_base_us + (
        retries2 - linear_backoff_thresh
    ) * TCP_RTO_MAX_US


def tail_loss_probe_us(srtt_us: int, rto_left_us: int) -> int:
    """Linux PTO with several segments in flight (net/ipv4/tcp_output.c
    tcp_schedule_loss_probe, armed after every ACK and transmission): 2*SRTT +
    TCP_TIMEOUT_MIN_US rounded up to jiffies (tcp_rto_min instead of the 2 ms with one
    segment out, which a bulk sender never has), and never after the RTO would fire:
    `rto_left_us`, the RTO counted from the oldest unacknowledged segment's transmission
    (tcp_rto_delta_us)."""
    timeout = usecs_to_jiffies(2 * srtt_us + TCP_TIMEOUT_MIN_US)
    if rto_left_us > 0:
        timeout = min(timeout, usecs_to_jiffies(rto_left_us))
    return timeout * JIFFY_US


def silence_before_rto_us(profile: TcpProfile, srtt_us: int, rttvar_us: int) -> int:
    """How long ACKs may pause before the first RTO fires (after the probe, if any)."""
    rto = rto_us(profile, srtt_us, rttvar_us)
    return rto + (tail_loss_probe_us(srtt_us, rto - srtt_us) if profile.tail_loss_probe else 0)


def standing_queue_bytes(buffer_bytes: int, bdp_bytes: int) -> int:
    """[U] The mean queue a loss-based sender keeps in a bottleneck buffer, which its SRTT
    carries into an outage. Its window saws between beta*Wmax and Wmax = BDP + buffer (the
    buffer overflows there); CUBIC's concave growth towards Wmax (net/ipv4/tcp_cubic.c
    bictcp_update, W(t) = Wmax - C*(K - t)^3) averages Wmax * (1 - (1 - beta)/4) over a
    cycle, and whatever exceeds the BDP waits in the buffer."""
    w_max = bdp_bytes + buffer_bytes
    mean_window = w_max - w_max * (CUBIC_BETA[1] - CUBIC_BETA[0]) // (4 * CUBIC_BETA[1])
    return min(buffer_bytes, max(0, mean_window - bdp_bytes))


# Windows in segments: (cwnd, ssthresh) after each event.
RFC5681_LOSS_WINDOW = 1  # RFC 5681 3.1: after an RTO, cwnd is at most LW = 1 segment


def after_timeout(cwnd: int, profile: TcpProfile | None = None) -> tuple[int, int]:
    """RFC 5681 3.1 (4): ssthresh = max(FlightSize / 2, 2 segments), cwnd = LW.
    [U] Linux (net/ipv4/tcp_input.c tcp_enter_loss) takes ssthresh from the congestion
    control, CUBIC by default (tcp_cubic.c cubictcp_recalc_ssthresh: cwnd * 717/1024), and
    sets cwnd to what is in flight + 1 = 1 segment, all of it being marked lost."""
    if profile is not None and profile.jiffies:
        return RFC5681_LOSS_WINDOW, max(2, cwnd * CUBIC_BETA[0] // CUBIC_BETA[1])
    return RFC5681_LOSS_WINDOW, max(2, cwnd // 2)


def after_fast_recovery(cwnd: int) -> tuple[int, int]:
    """A probe repaired the tail: fast recovery halves the window (RFC 5681 3.2)."""
    ssthresh = max(2, cwnd // 2)
    return ssthresh, ssthresh


def undo_marks(cwnd: int, ssthresh: int) -> tuple[int, int]:
    """What Linux keeps to undo a cut (tcp_init_undo): cwnd and tcp_current_ssthresh,
    at least 3/4 of cwnd."""
    return cwnd, max(ssthresh, (cwnd >> 1) + (cwnd >> 2))


def undo(cwnd: int, ssthresh: int, prior_cwnd: int, prior_ssthresh: int) -> tuple[int, int]:
    """tcp_undo_cwnd_reduction: back to the window and threshold from before the cut."""
    return max(cwnd, prior_cwnd), max(ssthresh, prior_ssthresh)


# The sender's states and what moves it between them (an illegal step raises).
RUNNING = ("connecting", "slow_start", "steady")
TRANSITIONS: dict[str, dict[str, str]] = {
    "idle": {"start": "connecting"},
    "connecting": {
        "established": "slow_start",
        "give_up": "aborted",
        "reset": "aborted",
        "abandon": "aborted",
    },
    "slow_start": {
        "window_full": "steady",
        "path_lost": "stalled",
        "done": "completed",
        "reset": "aborted",
        "abandon": "aborted",
    },
    "steady": {
        "path_lost": "stalled",
        "done": "completed",
        "reset": "aborted",
        "abandon": "aborted",
    },
    "stalled": {
        "resume": "slow_start",  # a retransmission (or the late ACKs, no undo) got through
        "undo": "slow_start",  # late ACKs proved the RTO spurious: window restored
        "late_acks": "slow_start",  # late ACKs before any RTO: nothing to undo
        "give_up": "aborted",
        "reset": "aborted",
        "abandon": "aborted",
    },
    "completed": {},
    "aborted": {},
}


class IllegalTransition(Exception):
    pass


def next_state(state: str, event: str) -> str:
    try:
        return TRANSITIONS[state][event]
    except KeyError:
        raise IllegalTransition(f"TCP sender in {state!r} cannot take {event!r}") from None
