"""Flow state: a TCP download (sender at the server) and a UDP stream, as fluids.

While data moves a flow has a constant payload rate between events, so the bytes it has
carried at any instant are `settled + rate * (t - settled_at)`: nothing is stepped per
packet. Slow start and congestion avoidance are stepped per round trip; retransmissions
are discrete events (transport.py).

Lanes make a change of rate cost O(1) however many flows share it. Every moving flow is
in one lane: the steady senders that cross the same links with the same segment size
(max-min fairness gives them all one rate) share a lane; any other flow has its own. A
lane records each change of its rate as an epoch with the bytes a member carried in it,
rounded down per epoch exactly as `Attempt.settle` rounds at each change. A member's
bytes are its own settle point plus the epochs since, so the figures are those of
settling every member at every change, without touching the members. Completions come
from a heap ordered by the lane counter each member finishes at.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .spec import Flow, Link
from .tcp import TcpProfile
from .topology import Hop
from .units import bytes_at_rate, time_for_bytes


def round_trip_us(links: Mapping[str, Link], path: Sequence[str]) -> int:
    """Base RTT of a path: its links' one-way delays, both ways (no queueing).

    At least 1 µs: a path whose links all have zero delay still takes time to cross
    (rates are divided by the RTT, and a zero RTT would divide by zero)."""
    return max(1, 2 * sum(links[x].delay_us for x in path))


@dataclass
class Attempt:
    """One try at the download (the user may restart it from the beginning)."""

    number: int
    client_port: int
    started_us: int
    state: str = "idle"
    delivered: int = 0  # bytes carried by `settled_at`
    settled_at: int = 0
    own_rate_bps: int = 0  # payload bit/s while in no lane
    lane: Lane | None = None
    epoch: int = 0  # the lane epoch whose rate the attempt has had since `settled_at`
    ticket: int = 0  # this membership's entry in the lane's completion heaps
    stalls: list[list[int | None]] = field(default_factory=list)  # [start, end|None]
    retransmissions: list[int] = field(default_factory=list)
    completed_us: int | None = None
    aborted_us: int | None = None
    abort_reason: str = ""
    resumed: bool = False

    @property
    def rate_bps(self) -> int:
        """Payload bit/s now."""
        return self.own_rate_bps if self.lane is None else self.lane.rate_bps

    def transferred(self, now: int) -> int:
        if self.lane is not None:
            return self.lane.carried(self, now)
        return self.delivered + bytes_at_rate(self.own_rate_bps, now - self.settled_at)

    def settle(self, now: int) -> None:
        self.delivered = self.transferred(now)
        self.settled_at = now


class Lane:
    """Flows moving at one payload rate (see the module docstring)."""

    def __init__(self, key: Hashable, f: FlowRun, demand_bps: int | None, now: int) -> None:
        self.key = key
        self.links, self.tunnels = f.links, f.tunnels
        self.mss, self.overhead_num = f.mss, f.overhead_num
        self.demand_bps = demand_bps  # payload per member; None: as much as it can get
        self.members: dict[str, Attempt] = {}  # flow id -> attempt, in joining order
        self.joining: list[FlowRun] = []  # counted in the next allocation, join after it
        self.sizes: dict[str, int] = {}  # flow id -> bytes at which it completes (TCP)
        # Epoch i starts at starts[i] with rate rates[i]; bases[i]: bytes a member present
        # since the lane began had carried by then (each epoch rounded down on its own).
        self.starts, self.rates, self.bases = [now], [0], [0]
        # Completion order. Members settled before the current epoch: heap of (counter
        # value at which they finish, ticket, flow). Members settled in it: `fresh`, and
        # `fresh_due`, a heap by finish time while the rate is not zero.
        self.by_counter: list[tuple[int, int, str]] = []
        self.fresh: list[tuple[int, str]] = []
        self.fresh_due: list[tuple[int, int, str]] = []
        self.timer: Any = None
        self._tickets = itertools.count(1)

    @property
    def rate_bps(self) -> int:
        return self.rates[-1]

    @property
    def size(self) -> int:
        return len(self.members) + len(self.joining)

    def counter(self, now: int) -> int:
        """Bytes a member present since the lane began would have carried by now."""
        return self.bases[-1] + bytes_at_rate(self.rates[-1], now - self.starts[-1])

    def carried(self, a: Attempt, now: int) -> int:
        k = a.epoch
        if k == len(self.starts) - 1:
            return a.delivered + bytes_at_rate(self.rates[k], now - a.settled_at)
        first = bytes_at_rate(self.rates[k], self.starts[k + 1] - a.settled_at)
        return a.delivered + first + self.counter(now) - self.bases[k + 1]

    def set_rate(self, now: int, rate_bps: int) -> None:
        """A new epoch: where the per-flow code settled every member."""
        if rate_bps == self.rates[-1]:
            return
        base = self.counter(now)
        for ticket, fid in self.fresh:
            if self._live(ticket, fid) and fid in self.sizes:
                left = self.sizes[fid] - self.carried(self.members[fid], now)
                heapq.heappush(self.by_counter, (base + left, ticket, fid))
        self.fresh.clear()
        self.fresh_due.clear()
        self.starts.append(now)
        self.rates.append(rate_bps)
        self.bases.append(base)

    def join(self, f: FlowRun, now: int) -> None:
        """Admit a joining flow once the lane's new rate is known."""
        a = f.current
        if a.own_rate_bps != self.rate_bps:  # its rate changes now: settle it here
            a.settle(now)
        a.lane, a.epoch, a.ticket = self, len(self.starts) - 1, next(self._tickets)
        self.members[f.id] = a
        self.fresh.append((a.ticket, f.id))
        if f.is_tcp:
            self.sizes[f.id] = f.spec.size_bytes
            if self.rate_bps > 0:
                left = max(0, f.spec.size_bytes - a.delivered)
                done = a.settled_at + time_for_bytes(self.rate_bps, left)
                heapq.heappush(self.fresh_due, (done, a.ticket, f.id))

    def leave(self, f: FlowRun) -> None:
        """Take a flow out, keeping its bytes as the per-flow code would hold them."""
        a = f.current
        cur = len(self.starts) - 1
        if a.epoch != cur:  # it was settled when the current epoch began
            a.delivered, a.settled_at = self.carried(a, self.starts[cur]), self.starts[cur]
        a.own_rate_bps, a.lane = self.rate_bps, None
        del self.members[f.id]
        self.sizes.pop(f.id, None)

    def next_done(self) -> tuple[int, str] | None:
        """(time, flow) of the member that completes first at the current rate."""
        heads = []
        for heap in (self.by_counter, self.fresh_due):
            while heap and not self._live(heap[0][1], heap[0][2]):
                heapq.heappop(heap)
        if self.by_counter and self.rate_bps > 0:
            target, _, fid = self.by_counter[0]
            left = max(0, target - self.bases[-1])
            heads.append((self.starts[-1] + time_for_bytes(self.rate_bps, left), fid))
        if self.fresh_due:
            heads.append((self.fresh_due[0][0], self.fresh_due[0][2]))
        return min(heads) if heads else None

    def _live(self, ticket: int, fid: str) -> bool:
        a = self.members.get(fid)
        return a is not None and a.ticket == ticket


@dataclass
class Fluid:
    """The simulation's lanes and what the last allocation put on each link."""

    lanes: dict[Hashable, Lane] = field(default_factory=dict)
    load_bps: dict[str, int] = field(default_factory=dict)  # wire bit/s per link


@dataclass
class FlowRun:
    spec: Flow
    c2s: list[Hop]  # client -> server hops
    s2c: list[Hop]
    links: tuple[str, ...]  # links on the path
    base_rtt_us: int
    mss: int
    overhead_num: int  # wire bytes per `mss` payload bytes
    tunnels: tuple[str, ...]  # tunnels the path crosses
    profile: TcpProfile | None = None
    retries2: int = 15
    attempts: list[Attempt] = field(default_factory=list)
    # TCP sender state of the current attempt
    cwnd: int = 0  # segments
    ssthresh: int = 1 << 30
    prior_cwnd: int = 0  # before the last RTO's reduction (0: none to undo)
    prior_ssthresh: int = 0
    srtt_us: int = 0
    rttvar_us: int = 0
    backoff: int = 0
    ca_rounds: int = 1  # rounds batched per congestion-avoidance step
    demand_bps: int | None = 0  # payload demand for the sharing step; None: unlimited
    late_acks_us: int | None = None  # when the ACKs a delay spike holds back arrive
    round_timer: Any = None
    rtx_timer: Any = None
    ack_timer: Any = None  # the ACK of a retransmission that got through, on its way back
    retrans_stamp_us: int | None = None  # the stall's first RTO retransmission (Linux)
    late_timer: Any = None

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def current(self) -> Attempt:
        return self.attempts[-1]

    @property
    def key(self) -> tuple[str, int]:
        return (self.spec.id, self.current.number)

    @property
    def is_tcp(self) -> bool:
        return self.spec.proto == "tcp"
