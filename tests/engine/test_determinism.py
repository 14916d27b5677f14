from __future__ import annotations

from lab.engine import Simulation, builtin

from .conftest import run


def test_it_replays_identically() -> None:
    a, b = run("preserve-both"), run("preserve-both")
    assert a.events() == b.events()
    assert a.syslog("bo-asa") == b.syslog("bo-asa")
    assert a.tunnels["bo-ho"].ike_keys == b.tunnels["bo-ho"].ike_keys


def test_it_replays_identically_with_commands_applied_at_the_same_times() -> None:
    def drive() -> Simulation:
        sim = Simulation(builtin("default-drop"))
        sim.advance_to(60_000_000)
        sim.apply(
            {
                "do": "set_sysopt",
                "device": "bo-asa",
                "option": "preserve-vpn-flows",
                "enabled": True,
            }
        )
        sim.apply({"do": "clear_ipsec_sa", "device": "bo-asa"})
        sim.advance_to(70_000_000)
        sim.apply({"do": "restart_flow", "flow": "download"})
        sim.advance_to(400_000_000)
        return sim

    assert drive().events() == drive().events()


def test_it_draws_other_keys_from_another_seed() -> None:
    a = Simulation(builtin("default-drop"), seed=1)
    b = Simulation(builtin("default-drop"), seed=2)
    a.advance_to(10_000_000)
    b.advance_to(10_000_000)
    assert a.gateways["bo-asa"].sas["bo-ho"].spi_in != b.gateways["bo-asa"].sas["bo-ho"].spi_in


def test_it_keeps_every_live_timer_when_it_compacts_the_heap() -> None:
    from lab.engine.core import COMPACT_EVERY, EventLoop

    loop = EventLoop()
    fired: list[int] = []
    for i in range(COMPACT_EVERY * 2):
        timer = loop.at(10 + i, fired.append, i)
        if i % 3:
            timer.cancel()

    def late() -> None:  # pushes during the run trigger a compaction mid-loop
        for j in range(COMPACT_EVERY):
            loop.at(50_000 + j, fired.append, -1).cancel()
        loop.at(60_000, fired.append, -2)

    loop.at(11, late)
    loop.run_until(100_000)
    assert fired == [i for i in range(COMPACT_EVERY * 2) if i % 3 == 0] + [-2]
