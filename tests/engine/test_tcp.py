from __future__ import annotations

import pytest

from lab.engine import tcp
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
    assert [t for t in flow.retransmissions if t >= stalled_at] == [
        120_300_000,
        120_900_000,
        122_100_000,
        124_500_000,
        129_300_000,
    ]
    assert flow.abort_reason == "timed out after 5 retransmissions (ETIMEDOUT)"
