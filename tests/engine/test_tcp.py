from __future__ import annotations

import re

import pytest

from lab.engine import CommandError, Simulation, parse_scenario, tcp
from lab.engine.library import builtin_dict
from lab.engine.units import MS, S

from .conftest import run


def test_it_derives_the_kernel_give_up_bound() -> None:
    assert tcp.linux_give_up_us(15) == 924_600 * MS  # ip-sysctl: 924.6 s for tcp_retries2=15
    assert tcp.linux_give_up_us(8) == 511 * 200 * MS


def test_it_computes_rto_with_the_linux_floor_and_ceiling() -> None:
    assert tcp.rto_us(tcp.LINUX, 40 * MS, 1 * MS) == 240 * MS
    assert tcp.rto_us(tcp.LINUX, 100 * S, 10 * S) == 120 * S
    assert tcp.rto_us(tcp.WINDOWS, 40 * MS, 1 * MS) == 300 * MS


def test_it_refuses_illegal_sender_transitions() -> None:
    with pytest.raises(tcp.IllegalTransition):
        tcp.next_state("completed", "resume")


def test_it_gives_up_by_time_on_linux_when_nothing_resets() -> None:
    # preserve at HO only: the retransmissions die silently at BO (no resetinbound)
    sim = run(
        "preserve-one-end",
        events=[{"at_s": 120, "do": "cut", "link": "internet", "for_s": 1100}],
        until_s=1400,
    )
    sim_h = run(
        "preserve-both",
        events=[{"at_s": 120, "do": "cut", "link": "internet", "for_s": 1100}],
        until_s=1400,
    )
    flow = sim_h.flows["download"].current
    assert flow.state == "aborted"
    assert "ETIMEDOUT" in flow.abort_reason
    assert flow.aborted_us is not None
    elapsed = flow.aborted_us - 120 * S
    assert elapsed >= tcp.linux_give_up_us(15)
    assert elapsed < tcp.linux_give_up_us(15) + tcp.TCP_RTO_MAX_US
    assert sim.flows["download"].current.state == "aborted"


def test_it_gives_up_after_five_retransmissions_on_windows() -> None:
    from lab.engine.library import builtin_dict

    data = builtin_dict("preserve-both")
    for node in data["topology"]["nodes"]:
        if node["kind"] == "server":
            node["tcp_profile"] = "windows"
    sim = run("preserve-both", topology=data["topology"])
    flow = sim.flows["download"].current
    assert flow.state == "aborted"
    stalled_at = flow.stalls[0][0]
    # from the last ACK, which reaches the server 100 us (ho-inside) after the cut
    assert [t for t in flow.retransmissions if t >= stalled_at] == [
        120_300_100,
        120_900_100,
        122_100_100,
        124_500_100,
        129_300_100,
    ]
    assert flow.abort_reason == "timed out after 5 retransmissions (ETIMEDOUT)"


# -- delay spikes: a spurious RTO, undone by Linux, not by Windows ---------------------------

SPIKE_AT = 60 * S
SPIKE = {"at_s": 60, "do": "link_delay", "link": "internet", "delay_ms": 1020, "for_s": 1.5}
LATE_ACKS = SPIKE_AT + 2 * (1020 - 20) * MS  # the RTT grew by twice the one-way growth


def _download(profile: str, events: list[dict[str, object]]) -> Simulation:
    """preserve-both without its outage: one long download, the given events."""
    data = builtin_dict("preserve-both")
    for node in data["topology"]["nodes"]:
        if node["kind"] == "server":
            node["tcp_profile"] = profile
    data["flows"][0]["size_bytes"] = 10**10
    data["events"] = events
    return Simulation(parse_scenario(data))


def _flow_events(sim: Simulation, since: int) -> list[tuple[int, str]]:
    return [
        (e["t_us"], e["event"]) for e in sim.events() if e["type"] == "flow" and e["t_us"] >= since
    ]


def test_it_undoes_a_spurious_rto_on_linux_when_the_late_acks_arrive() -> None:
    sim = _download("linux", [SPIKE])
    sim.advance_to(SPIKE_AT - 1)
    f = sim.flows["download"]
    cwnd, ssthresh, rate = f.cwnd, f.ssthresh, f.current.rate_bps
    sim.advance_to(LATE_ACKS - 1)
    assert f.cwnd == 1  # the RTO fired and cut the window...
    rtos = [e["t_us"] for e in sim.events() if e["type"] == "retransmit" and e["probe"] == "rto"]
    assert rtos and all(SPIKE_AT < t < LATE_ACKS for t in rtos)
    sim.advance_to(LATE_ACKS)
    assert _flow_events(sim, SPIKE_AT) == [
        (SPIKE_AT, "path_lost"),
        (LATE_ACKS, "undo"),  # ...and the original segments' ACKs prove it spurious
        (LATE_ACKS, "window_full"),
    ]
    assert (f.cwnd, f.ssthresh) == (cwnd, ssthresh)
    assert f.current.state == "steady"
    assert f.current.rate_bps == rate  # back at full rate at once
    assert f.current.stalls[-1] == [SPIKE_AT, LATE_ACKS]


def test_it_keeps_the_cut_on_windows_and_slow_starts() -> None:
    sim = _download("windows", [SPIKE])
    sim.advance_to(SPIKE_AT - 1)
    f = sim.flows["download"]
    cwnd, rate = f.cwnd, f.current.rate_bps
    sim.advance_to(LATE_ACKS + 100 * MS)  # two round trips later
    (resume,) = [e for e in sim.events() if e["type"] == "flow" and e["event"] == "resume"]
    assert (resume["t_us"], resume["after_rto"]) == (LATE_ACKS, True)
    assert f.current.state == "slow_start"
    assert f.ssthresh == cwnd // 2
    assert f.cwnd < f.ssthresh
    assert f.current.rate_bps < rate
    sim.advance_to(LATE_ACKS + 5 * S)  # it does get there, a few round trips later
    assert f.current.state == "steady"


def test_it_does_not_stall_when_the_rtt_grows_less_than_the_rto() -> None:
    sim = _download("linux", [{**SPIKE, "delay_ms": 50, "for_s": None}])
    sim.advance_to(SPIKE_AT + 10 * S)
    f = sim.flows["download"]
    assert _flow_events(sim, SPIKE_AT) == []
    assert f.current.stalls == []
    assert f.base_rtt_us == 2 * (200 + 50_000 + 100)


def test_the_sender_measures_the_rtt_of_the_new_path() -> None:
    cut = {"at_s": 90, "do": "cut", "link": "internet"}
    slower = _download("linux", [{**SPIKE, "delay_ms": 50, "for_s": None}, cut])
    same = _download("linux", [cut])
    for sim in (slower, same):
        sim.advance_to(91 * S)
    f, g = slower.flows["download"], same.flows["download"]
    assert f.srtt_us - g.srtt_us > 50 * MS  # 60 ms more per round trip, mostly learnt
    # so its first RTO (SRTT + 200 ms, after the probe) goes out later
    rto = [
        [e["t_us"] for e in s.events() if e["type"] == "retransmit" and e["probe"] == "rto"]
        for s in (slower, same)
    ]
    assert rto[0][0] - rto[1][0] > 50 * MS


def test_it_measures_the_new_rtt_in_slow_start() -> None:
    sim = _download("linux", [])
    sim.apply({"do": "link_delay", "link": "internet", "delay_ms": 70})
    sim.advance_to(3 * S)
    f = sim.flows["download"]
    rtt = 2 * (200 + 70_000 + 100)
    assert f.base_rtt_us == rtt
    assert abs(f.srtt_us - rtt) < 5 * MS
    assert sim.tunnels["bo-ho"].wan_rtt_us == 2 * 70_000


def test_it_restores_the_delay_unless_it_was_changed_meanwhile() -> None:
    sim = _download("linux", [SPIKE])
    sim.advance_to(SPIKE_AT + 2 * S)
    assert sim.links["internet"].delay_us == 20_000
    sim = _download(
        "linux", [SPIKE, {"at_s": 61, "do": "link_delay", "link": "internet", "delay_ms": 300}]
    )
    sim.advance_to(SPIKE_AT + 2 * S)
    assert sim.links["internet"].delay_us == 300_000


@pytest.mark.parametrize(
    ("command", "error"),
    [
        ({"link": "nowhere", "delay_ms": 10}, "no link 'nowhere'"),
        ({"link": "internet", "delay_ms": -1}, "delay_ms must be between 0 and 60000"),
        ({"link": "internet", "delay_ms": 10, "for_s": 0}, "for_s must be positive"),
        ({"link": "internet", "delay_ms": "10"}, "field 'delay_ms' has the wrong type (str)"),
        ({"link": "internet", "delay_ms": True}, "field 'delay_ms' has the wrong type (bool)"),
        ({"link": "internet"}, "missing field delay_ms"),
    ],
)
def test_it_refuses_a_bad_link_delay(command: dict[str, object], error: str) -> None:
    sim = _download("linux", [])
    with pytest.raises(CommandError, match=re.escape(error)):
        sim.apply({"do": "link_delay", **command})
    assert sim.links["internet"].delay_us == 20_000


def test_a_delay_spike_replays_identically() -> None:
    def trace() -> list[dict[str, object]]:
        sim = _download("linux", [SPIKE])
        sim.advance_to(120 * S)
        return sim.events()

    assert trace() == trace()
