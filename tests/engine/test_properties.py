"""Property tests over random outage schedules (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lab.engine import Simulation, parse_scenario
from lab.engine.library import builtin_dict

outages = st.lists(
    st.tuples(st.integers(5, 600), st.integers(1, 400)),  # (start s, duration s)
    min_size=1,
    max_size=3,
)


def _sim(slug: str, schedule: list[tuple[int, int]], size: int) -> Simulation:
    data = builtin_dict(slug)
    data["flows"][0]["size_bytes"] = size
    data["events"] = [{"at_s": s, "do": "cut", "link": "internet", "for_s": d} for s, d in schedule]
    return Simulation(parse_scenario(data))


@settings(max_examples=40, deadline=None)
@given(
    schedule=outages,
    slug=st.sampled_from(["default-drop", "preserve-both", "short-blip"]),
    size=st.integers(10**5, 10**9),
)
def test_it_delivers_monotonically_never_beyond_the_size_and_never_while_cut(
    schedule: list[tuple[int, int]], slug: str, size: int
) -> None:
    sim = _sim(slug, schedule, size)
    last = 0
    for step in range(0, 1500, 7):
        t = step * 1_000_000
        sim.advance_to(t)
        delivered = sim.view()["flows"]["download"]["bytes"]
        assert last <= delivered <= size
        if not sim.link_is_up("internet") and sim.flows["download"].current.state != "completed":
            sim.advance_to(t + 1_000_000)
            if not sim.link_is_up("internet"):
                assert sim.view()["flows"]["download"]["bytes"] == delivered
        last = sim.view()["flows"]["download"]["bytes"]


@settings(max_examples=40, deadline=None)
@given(schedule=outages, slug=st.sampled_from(["preserve-both", "short-blip", "non-cisco-peer"]))
def test_it_resumes_only_at_a_retransmission_the_whole_path_accepted(
    schedule: list[tuple[int, int]], slug: str
) -> None:
    sim = _sim(slug, schedule, 10**10)
    for step in range(0, 1500):
        sim.advance_to(step * 1_000_000)
    for f in sim.flows.values():
        for a in f.attempts:
            for _start, end in a.stalls:
                if end is None:
                    continue
                # data moves when the ACK of a retransmission that passed is back
                rtx = end - f.base_rtt_us
                assert rtx in a.retransmissions
                # the path was up when the retransmission passed
                cuts = [(s * 10**6, (s + d) * 10**6) for s, d in schedule]
                assert not any(s <= rtx < e for s, e in cuts)
