"""302014 names the teardown's initiator on 9.x (`... TCP FINs from inside`), never on
8.x, and not for the ASA's own teardowns (issue 13, item 5)."""

from __future__ import annotations

from lab.engine import Simulation, parse_scenario
from lab.engine.library import builtin_dict

from .conftest import run


def _finished(slug: str) -> Simulation:
    data = builtin_dict(slug)
    data["flows"][0]["size_bytes"] = 2_000_000  # done in seconds, before any event
    data["events"] = []
    sim = Simulation(parse_scenario(data))
    sim.advance_to(60_000_000)
    return sim


def _teardowns(sim: Simulation, node: str) -> list[str]:
    return [x for x in sim.syslog(node) if "-302014:" in x]


def test_9x_names_the_server_side_that_sent_the_fin() -> None:
    sim = _finished("asa9-ikev1-drop")
    (ho,) = _teardowns(sim, "ho-asa")
    (bo,) = _teardowns(sim, "bo-asa")
    assert ho.endswith(" bytes 2000000 TCP FINs from inside")  # the server is inside HO
    assert bo.endswith(" bytes 2000000 TCP FINs from outside")  # ... and beyond BO's outside


def test_8x_prints_the_reason_alone() -> None:
    (ho,) = _teardowns(_finished("default-drop"), "ho-asa")
    assert ho.endswith(" bytes 2000000 TCP FINs")


def test_a_tunnel_teardown_has_no_initiator() -> None:
    torn = [x for x in _teardowns(run("asa9-ikev1-drop"), "ho-asa") if "Tunnel" in x]
    assert torn and all(x.endswith("Tunnel has been torn down") for x in torn)
