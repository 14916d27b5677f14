"""Per-SA traffic counters (`#pkts encaps/decaps`, 113019 `Bytes xmt/rcv`), computed lazily.

Theory of operation: a flow that crosses a tunnel moves data only while the tunnel has an
SA (forwarding.walk stops it otherwise), and its bytes are a fluid (`Attempt.transferred`).
So the traffic an SA carried is what its flows transferred since the SA was created. At
creation we snapshot the transferred bytes of every attempt of every crossing flow (cost:
the flows on the tunnel, once per SA); a reading sums `transferred(now) - snapshot`. Nothing
is counted per packet and nothing is updated while data flows.

Which way the bytes go: a TCP download sends data server -> client and ACKs back; a UDP
stream sends client -> server. The gateway nearer the sender encapsulates the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .tcp import TCP_HEADER_BYTES

if TYPE_CHECKING:
    from .flows import FlowRun
    from .gateway import Gateway
    from .sim import Simulation
    from .tunnels import TunnelRun

UDP_HEADER_BYTES = 28  # IPv4 20 + UDP 8
# [U] One ACK per two full-sized segments (delayed ACK, RFC 1122 4.2.3.2 / RFC 5681 4.2).
SEGMENTS_PER_ACK = 2

Baseline = dict[tuple[str, int], int]  # (flow id, attempt number) -> bytes at SA creation


@dataclass(frozen=True)
class SaTraffic:
    """What one gateway's SA pair carried: out = encapsulated (sent), in = decapsulated."""

    pkts_out: int = 0
    pkts_in: int = 0
    bytes_out: int = 0
    bytes_in: int = 0

    def __add__(self, other: SaTraffic) -> SaTraffic:
        return SaTraffic(
            self.pkts_out + other.pkts_out,
            self.pkts_in + other.pkts_in,
            self.bytes_out + other.bytes_out,
            self.bytes_in + other.bytes_in,
        )

    def __sub__(self, other: SaTraffic) -> SaTraffic:
        return SaTraffic(
            max(0, self.pkts_out - other.pkts_out),
            max(0, self.pkts_in - other.pkts_in),
            max(0, self.bytes_out - other.bytes_out),
            max(0, self.bytes_in - other.bytes_in),
        )


def _crossing(sim: Simulation, t: TunnelRun) -> list[FlowRun]:
    return [f for f in sim.flows.values() if t.id in f.tunnels]


def snapshot(sim: Simulation, t: TunnelRun) -> Baseline:
    """Bytes every attempt of every flow on the tunnel has transferred by now."""
    return {(f.id, a.number): a.transferred(sim.now) for f in _crossing(sim, t) for a in f.attempts}


def _client_side(f: FlowRun, gw: Gateway, peer: Gateway) -> bool:
    order = [h.node for h in f.c2s]
    return order.index(gw.id) < order.index(peer.id)


def traffic(sim: Simulation, t: TunnelRun, gw: Gateway, baseline: Baseline) -> SaTraffic:
    """What gw's SA carried from the moment `baseline` was taken until now."""
    peer = sim.peer_of(t, gw.id)
    total = SaTraffic()
    for f in _crossing(sim, t):
        payload = sum(
            max(0, a.transferred(sim.now) - baseline.get((f.id, a.number), 0)) for a in f.attempts
        )
        if not payload:
            continue
        segments = -(-payload // f.mss)
        if f.is_tcp:
            data = (segments, payload + segments * TCP_HEADER_BYTES)
            acks = -(-segments // SEGMENTS_PER_ACK)
            back = (acks, acks * TCP_HEADER_BYTES)
            data_outbound = not _client_side(f, gw, peer)  # data goes server -> client
        else:
            data = (segments, payload + segments * UDP_HEADER_BYTES)
            back = (0, 0)
            data_outbound = _client_side(f, gw, peer)
        out, inn = (data, back) if data_outbound else (back, data)
        total = total + SaTraffic(out[0], inn[0], out[1], inn[1])
    return total
