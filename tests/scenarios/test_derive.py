from __future__ import annotations

from lab.engine.library import builtin_dict
from lab.engine.spec import parse_scenario
from lab.scenarios.derive import derive_scenario
from tests.scenarios.conftest import default_drop_configs


def test_it_derives_addresses_peers_and_links() -> None:
    bo, ho = default_drop_configs()
    template = builtin_dict("default-drop")

    result = derive_scenario(bo, ho, slug="imported-abcdef", template=template)

    assert result.ok
    assert result.scenario is not None
    parsed = parse_scenario(result.scenario)
    assert [n.id for n in parsed.topology.nodes] == ["bo-pc", "bo-asa", "ho-asa", "ho-server"]
    assert parsed.topology.links == parse_scenario(template).topology.links
    assert result.scenario["title"] == "Imported: BO-ASA to HO-ASA"
    assert result.warnings["bo"][0] == (5, "kept but not simulated: names")


def test_it_warns_when_the_peers_do_not_match() -> None:
    bo, ho = default_drop_configs()
    bo = bo.replace("set peer 209.165.200.10", "set peer 198.51.100.7")

    result = derive_scenario(bo, ho, slug="x", template=builtin_dict("default-drop"))

    assert result.ok
    assert any("198.51.100.7" in text for _, text in result.warnings["bo"])


def test_it_refuses_a_config_without_interfaces() -> None:
    _, ho = default_drop_configs()

    result = derive_scenario("hostname X\n", ho, slug="x", template=builtin_dict("default-drop"))

    assert not result.ok
    assert result.errors["bo"][0][0] is None
    assert "inside and an outside interface" in result.errors["bo"][0][1]
