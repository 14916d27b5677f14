"""TCP endpoint behaviour across an outage: profiles, RTO arithmetic, the state table.

Theory of operation: a download is a fluid while data moves (see flows.py); this module
holds the rules that decide *when* the sender tries again and *when it gives up*.
Linux (RFC 6298 as Linux implements it, include/net/tcp.h): RTO = SRTT + max(4*RTTVAR,
TCP_RTO_MIN), initial 1 s, ceiling 120 s, doubling per expiry; one tail-loss probe
(2*SRTT) before the first RTO; give-up when the time since the first unacknowledged
transmission reaches the bound tcp_retries2 implies, computed as if RTO started at
TCP_RTO_MIN (924.6 s for 15). Windows gives up after TcpMaxDataRetransmissions (5).
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
)
# Windows (S22): TcpMaxDataRetransmissions 5. [U] InitialRto 3 s and MinRto 300 ms are
# our choice (Get-NetTCPSetting on Vista+, reference section 6), as are the 60 s ceiling,
# TcpMaxConnectRetransmissions 2 and no tail-loss probe: confirm on a Windows host.
# [U] No undo of a spurious RTO: Vista+ lists F-RTO, which spares the needless
# retransmissions, but we found nothing saying it restores the window (RFC 5682's
# conservative response keeps the cut). Confirm on a Windows host.
WINDOWS = TcpProfile("windows", 3 * S, 300 * MS, 60 * S, False, 2, 5, False)
PROFILES = {"linux": LINUX, "windows": WINDOWS}


def rto_us(profile: TcpProfile, srtt_us: int, rttvar_us: int) -> int:
    """Retransmission timeout from the smoothed RTT estimators."""
    if profile.name == "linux":
        value = srtt_us + max(4 * rttvar_us, profile.rto_min_us)
    else:
        value = max(srtt_us + 4 * rttvar_us, profile.rto_min_us)
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


def tail_loss_probe_us(srtt_us: int, rto: int) -> int:
    """Linux PTO with several segments in flight: 2*SRTT, never after the RTO."""
    return min(max(2 * srtt_us, 10 * MS), rto)


def silence_before_rto_us(profile: TcpProfile, srtt_us: int, rttvar_us: int) -> int:
    """How long ACKs may pause before the first RTO fires (after the probe, if any)."""
    rto = rto_us(profile, srtt_us, rttvar_us)
    return rto + (tail_loss_probe_us(srtt_us, rto) if profile.tail_loss_probe else 0)


# Windows in segments: (cwnd, ssthresh) after each event.
RFC5681_LOSS_WINDOW = 1  # RFC 5681 3.1: after an RTO, cwnd is at most LW = 1 segment


def after_timeout(cwnd: int) -> tuple[int, int]:
    """RFC 5681 3.1 (4): ssthresh = max(FlightSize / 2, 2 segments), cwnd = LW."""
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
