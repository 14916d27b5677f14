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
