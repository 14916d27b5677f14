"""Lanes count bytes exactly as settling every flow at every change of its own rate did
(the per-flow code they replace), and find the same first completion."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from lab.engine.flows import Attempt, FlowRun, Lane
from lab.engine.spec import Flow
from lab.engine.units import bytes_at_rate, time_for_bytes

N = 4


@dataclass
class PerFlow:
    """The reference: one flow settled whenever its own rate changes."""

    delivered: int = 0
    settled_at: int = 0
    rate: int = 0

    def at(self, now: int) -> int:
        return self.delivered + bytes_at_rate(self.rate, now - self.settled_at)

    def set(self, now: int, rate: int) -> None:
        if rate != self.rate:
            self.delivered, self.settled_at, self.rate = self.at(now), now, rate


def _flow(i: int, size: int) -> FlowRun:
    spec = Flow(f"f{i}", "tcp", "c", "s", size_bytes=size)
    f = FlowRun(spec, [], [], ("x",), 40_000, 1460, 1540, ())
    f.attempts.append(Attempt(1, 1000 + i, 0))
    return f


ops = st.lists(
    st.tuples(
        st.sampled_from(["rate", "join", "leave", "solo"]),
        st.integers(0, N - 1),
        st.integers(0, 50_000_000),  # a rate in bit/s
        st.integers(0, 3_000_000),  # microseconds until the operation
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(script=ops, sizes=st.lists(st.integers(1, 10**8), min_size=N, max_size=N))
def test_a_lane_counts_bytes_and_finds_completions_as_per_flow_settling(
    script: list[tuple[str, int, int, int]], sizes: list[int]
) -> None:
    flows = [_flow(i, sizes[i]) for i in range(N)]
    ref = [PerFlow() for _ in range(N)]
    lane = Lane("lane", flows[0], None, 0)
    now = 0
    for op, i, rate, dt in script:
        now += dt
        f, a = flows[i], flows[i].current
        if op == "rate":  # the lane's rate changes: every member's rate changes
            lane.set_rate(now, rate)
            for j, g in enumerate(flows):
                if g.current.lane is lane:
                    ref[j].set(now, rate)
        elif op == "join" and a.lane is None:
            lane.join(f, now)
            ref[i].set(now, lane.rate_bps)
        elif op == "leave" and a.lane is lane:
            lane.leave(f)
        elif op == "solo" and a.lane is None and rate != a.own_rate_bps:  # outside the lane
            a.settle(now)
            a.own_rate_bps = rate
            ref[i].set(now, rate)
        for j, g in enumerate(flows):
            assert g.current.transferred(now) == ref[j].at(now)
        planned = [
            r.settled_at + time_for_bytes(r.rate, max(0, sizes[j] - r.delivered))
            for j, r in enumerate(ref)
            if flows[j].current.lane is lane and r.rate > 0
        ]
        nxt = lane.next_done()
        assert (nxt[0] if nxt else None) == (min(planned) if planned else None)
