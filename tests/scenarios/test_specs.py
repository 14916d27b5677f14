from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from lab import specs
from lab.engine import spec as engine_spec
from lab.engine.errors import SpecError
from lab.engine.library import BUILTIN_SLUGS, builtin_dict
from lab.scenarios.models import Link, Node, Scenario, Topology


@pytest.mark.django_db
@pytest.mark.parametrize("slug", BUILTIN_SLUGS)
def test_it_round_trips_every_builtin_exactly(slug: str) -> None:
    original = builtin_dict(slug)

    scenario = specs.scenario_from_dict(original, origin=Scenario.BUILTIN)
    out = specs.scenario_to_dict(Scenario.objects.get(pk=scenario.pk))

    assert out == original
    assert json.dumps(out, indent=2) == json.dumps(original, indent=2)  # key order too
    engine_spec.parse_scenario(out)


@pytest.mark.django_db
def test_it_builds_the_engine_scenario() -> None:
    scenario = specs.scenario_from_dict(builtin_dict("udp-stream"), origin="builtin")

    parsed = specs.engine_scenario(scenario)

    assert parsed == engine_spec.parse_scenario(builtin_dict("udp-stream"))


@pytest.mark.django_db
def test_it_saves_nothing_when_the_dict_is_invalid() -> None:
    d = builtin_dict("default-drop")
    d["topology"]["links"][1]["rate_bps"] = 0

    with pytest.raises(SpecError) as caught:
        specs.scenario_from_dict(d, origin=Scenario.FORK)

    assert caught.value.path == "topology.links[1].rate_bps"
    assert "link 'internet'" in specs.describe_error(caught.value, d)
    assert not Scenario.objects.exists()
    assert not Topology.objects.exists()
    assert not Node.objects.exists()


@pytest.mark.django_db
def test_it_keeps_the_old_contents_when_an_update_is_invalid() -> None:
    scenario = specs.scenario_from_dict(builtin_dict("default-drop"), origin="fork")
    d: dict[str, Any] = copy.deepcopy(specs.scenario_to_dict(scenario))
    d["title"] = "Changed"
    d["topology"]["nodes"][1]["config"] = []

    with pytest.raises(SpecError):
        specs.update_scenario(scenario, d)

    scenario.refresh_from_db()
    assert scenario.title != "Changed"
    assert Link.objects.filter(topology=scenario.topology).count() == 3
    assert specs.scenario_to_dict(scenario) == builtin_dict("default-drop")


@pytest.mark.django_db
def test_it_gives_edit_keys_to_copies_but_not_to_builtins() -> None:
    builtin = specs.scenario_from_dict(builtin_dict("default-drop"), origin="builtin")
    d = builtin_dict("default-drop")
    d["slug"] = "copy"
    copy_ = specs.scenario_from_dict(d, origin=Scenario.IMPORT)

    assert builtin.edit_key == ""
    assert len(copy_.edit_key) >= 32  # token_urlsafe(32): 256 bits


@pytest.mark.parametrize(
    ("path", "subject"),
    [
        ("topology.nodes[1].config", "node 'bo-asa'"),
        ("topology.links[2].delay_us", "link 'ho-inside'"),
        ("topology.tunnels[0].kind", "tunnel 'bo-ho'"),
        ("flows[0].size_bytes", "flow 'download'"),
        ("events[0].do", "event 1 (at 120 s)"),
        ("links.internet", "link 'internet'"),
        ("slug", ""),
    ],
)
def test_it_names_the_item_at_fault(path: str, subject: str) -> None:
    assert specs.error_subject(path, builtin_dict("default-drop")) == subject


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"at_s": 9, "do": "cut"}, "events[1]: cut: missing field link"),
        ({"at_s": 9, "do": "fly"}, "events[1]: unknown command 'fly'"),
        ({"at_s": 9, "do": "cut", "link": "wan"}, "events[1]: no link 'wan'"),
        ({"at_s": 9, "do": "cli", "device": "bo-pc", "lines": ["x"]}, "no ASA/PIX 'bo-pc'"),
        ({"at_s": 9, "do": "restart_flow", "flow": "upload"}, "events[1]: no flow 'upload'"),
    ],
)
def test_it_refuses_events_the_engine_could_not_run(event: dict[str, Any], message: str) -> None:
    d = builtin_dict("default-drop")
    d["events"].append(event)

    with pytest.raises(SpecError) as info:
        specs.validate(d)

    assert message in str(info.value)
    assert specs.describe_error(info.value, d).startswith("event 2 (at 9 s): ")


def test_it_refuses_an_asa_the_simulation_cannot_load() -> None:
    d = builtin_dict("default-drop")
    config = d["topology"]["nodes"][1]["config"]
    d["topology"]["nodes"][1]["config"] = [x for x in config if "nameif inside" not in x]

    with pytest.raises(SpecError, match="bo-asa has no interface with nameif 'inside'"):
        specs.validate(d)
