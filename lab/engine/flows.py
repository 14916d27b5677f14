"""Flow state: a TCP download (sender at the server) and a UDP stream, as fluids.

While data moves a flow has a constant payload rate between events, so the bytes it has
carried at any instant are `settled + rate * (t - settled_at)`: nothing is stepped per
packet. Slow start and congestion avoidance are stepped per round trip; retransmissions
are discrete events (transport.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .spec import Flow
from .tcp import TcpProfile
from .topology import Hop
from .units import bytes_at_rate


@dataclass
class Attempt:
    """One try at the download (the user may restart it from the beginning)."""

    number: int
    client_port: int
    started_us: int
    state: str = "idle"
    delivered: int = 0
    rate_bps: int = 0  # payload bit/s now
    settled_at: int = 0
    stalls: list[list[int | None]] = field(default_factory=list)  # [start, end|None]
    retransmissions: list[int] = field(default_factory=list)
    completed_us: int | None = None
    aborted_us: int | None = None
    abort_reason: str = ""
    resumed: bool = False

    def transferred(self, now: int) -> int:
        return self.delivered + bytes_at_rate(self.rate_bps, now - self.settled_at)

    def settle(self, now: int) -> None:
        self.delivered = self.transferred(now)
        self.settled_at = now


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
    srtt_us: int = 0
    rttvar_us: int = 0
    backoff: int = 0
    ca_rounds: int = 1  # rounds batched per congestion-avoidance step
    demand_bps: int | None = 0  # payload demand for the sharing step; None: unlimited
    steady_rtt_us: int = 0
    round_timer: Any = None
    rtx_timer: Any = None
    done_timer: Any = None

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
