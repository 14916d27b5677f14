from __future__ import annotations

import networkx as nx
import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError

from lab import specs
from lab.engine import spec as engine_spec
from lab.engine import topology as engine_topology
from lab.engine.library import builtin_dict
from lab.scenarios.models import Link, Node, Scenario, Topology


def _engine_graph(slug: str) -> nx.Graph:
    return engine_topology.to_graph(engine_spec.parse_topology(builtin_dict(slug)["topology"]))


def _same_graph(a: nx.Graph, b: nx.Graph) -> bool:
    return (
        a.graph == b.graph
        and dict(a.nodes(data=True)) == dict(b.nodes(data=True))
        and {frozenset((u, v)): d for u, v, d in a.edges(data=True)}
        == {frozenset((u, v)): d for u, v, d in b.edges(data=True)}
    )


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["default-drop", "non-cisco-peer", "anyconnect", "conn-timeout"])
def test_it_builds_exactly_the_engine_graph(slug: str) -> None:
    scenario = specs.scenario_from_dict(builtin_dict(slug), origin="builtin")

    assert _same_graph(scenario.topology.to_graph(), _engine_graph(slug))


@pytest.mark.django_db
def test_it_round_trips_a_topology_through_its_graph() -> None:
    g = _engine_graph("conn-timeout")

    topology = Topology.from_graph(g, name="from a graph")

    assert Node.objects.filter(topology=topology).count() == 4
    assert Link.objects.filter(topology=topology).count() == 3
    assert list(topology.nodes.values_list("key", flat=True)) == [
        "bo-pc",
        "bo-asa",
        "ho-asa",
        "ho-server",
    ]
    assert _same_graph(topology.to_graph(), g)
    assert topology.nodes.get(key="ho-server").tcp_retries2 == 20


@pytest.mark.django_db
def test_it_names_the_link_at_fault_when_invalid() -> None:
    scenario = specs.scenario_from_dict(builtin_dict("default-drop"), origin="fork")
    topology = scenario.topology
    Link.objects.filter(topology=topology, key="internet").update(delay_us=-5)

    with pytest.raises(ValidationError) as caught:
        topology.full_clean()

    assert "link 'internet'" in str(caught.value)
    assert "delay_us" in str(caught.value)
    assert topology.object_at("topology.links[1].delay_us") == topology.links.get(key="internet")


@pytest.mark.django_db
def test_it_names_the_node_at_fault_when_invalid() -> None:
    scenario = specs.scenario_from_dict(builtin_dict("default-drop"), origin="fork")
    Node.objects.filter(topology=scenario.topology, key="ho-server").update(address="10.1.1")

    with pytest.raises(ValidationError) as caught:
        scenario.topology.full_clean()

    assert "node 'ho-server'" in str(caught.value)


@pytest.mark.django_db
def test_it_never_lets_a_key_edit_a_builtin(builtins: None, owner: User) -> None:
    builtin = Scenario.objects.get(slug="default-drop")
    builtin.owner = owner

    assert not builtin.key_matches("")
    assert not builtin.key_matches(None)
    assert not builtin.can_edit(key=builtin.edit_key, user=owner)


@pytest.mark.django_db
def test_it_lets_the_key_or_the_owner_edit_a_fork(fork: Scenario, other: User) -> None:
    assert fork.can_edit(key=fork.edit_key, user=AnonymousUser())
    assert fork.can_edit(key=None, user=fork.owner)
    assert not fork.can_edit(key=None, user=other)
    assert not fork.can_edit(key=fork.edit_key[:-1] + "x", user=AnonymousUser())
    assert not fork.can_edit(key="", user=AnonymousUser())


@pytest.mark.django_db
def test_it_forks_into_a_new_slug_and_topology(fork: Scenario) -> None:
    original = Scenario.objects.get(slug="default-drop")

    assert fork.slug.startswith("default-drop-") and len(fork.slug) == len("default-drop-") + 6
    assert fork.origin == Scenario.FORK
    assert fork.forked_from == original
    assert fork.topology_id != original.topology_id
    assert fork.fork().slug.startswith("default-drop-")  # no growing suffixes
    d = specs.scenario_to_dict(fork)
    d["slug"] = original.slug
    assert d == specs.scenario_to_dict(original)
