from __future__ import annotations

import copy

import pytest

from lab.engine import Simulation, SpecError, parse_scenario
from lab.engine.library import builtin_dict
from lab.engine.spec import apply_overrides


def _error(data: dict) -> SpecError:
    with pytest.raises(SpecError) as info:
        Simulation(parse_scenario(data))
    return info.value


def test_it_names_the_bad_field() -> None:
    data = builtin_dict("default-drop")
    data["topology"]["links"][1]["rate_bps"] = 0
    assert _error(data).path == "topology.links[1].rate_bps"


def test_it_refuses_a_tunnel_to_a_missing_peer() -> None:
    data = builtin_dict("default-drop")
    data["topology"]["tunnels"][0]["b"] = "nowhere"
    assert _error(data).path == "topology.tunnels[0].b"


def test_it_refuses_an_asa_without_an_inside_interface() -> None:
    data = builtin_dict("default-drop")
    config = [
        line.replace("nameif inside", "nameif dmz")
        for line in data["topology"]["nodes"][1]["config"]
    ]
    data["topology"]["nodes"][1]["config"] = config
    err = _error(data)
    assert "inside" in str(err)


def test_it_refuses_a_disconnected_graph() -> None:
    data = builtin_dict("default-drop")
    data["topology"]["links"] = data["topology"]["links"][:2]
    err = _error(data)
    assert err.path == "topology.links" and "disconnected" in err.message


def test_it_overrides_by_id_or_index_without_touching_the_original() -> None:
    data = builtin_dict("default-drop")
    before = copy.deepcopy(data)
    out = apply_overrides(data, {"flows.download.size_bytes": 5, "topology.links.1.delay_us": 7})
    assert out["flows"][0]["size_bytes"] == 5
    assert out["topology"]["links"][1]["delay_us"] == 7
    assert data == before
    with pytest.raises(SpecError):
        apply_overrides(data, {"flows.nope.size_bytes": 1})


def test_it_refuses_an_override_of_a_field_that_does_not_exist() -> None:
    with pytest.raises(SpecError) as info:
        apply_overrides(builtin_dict("default-drop"), {"flows.download.size_byte": 1})
    assert info.value.path == "flows.download.size_byte"


def test_it_names_top_level_fields_without_a_leading_dot() -> None:
    data = builtin_dict("default-drop")
    data["until_s"] = -4
    with pytest.raises(SpecError) as info:
        parse_scenario(data)
    assert info.value.path == "until_s"


def test_it_refuses_a_malformed_variant() -> None:
    from lab.engine.spec import variant

    data = builtin_dict("default-drop")
    data["variants"] = {"x": {"set": [1]}}
    with pytest.raises(SpecError):
        variant(data, "x")
