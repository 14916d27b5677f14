from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from lab import specs
from lab.engine import library
from lab.engine.library import BUILTIN_SLUGS
from lab.scenarios.models import Scenario, Topology
from lab.teaching.builtins import CHALLENGE_SLUGS


def _load() -> str:
    out = io.StringIO()
    call_command("loadscenarios", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_loads_every_builtin_exactly_once_however_often_it_runs() -> None:
    assert f"{len(BUILTIN_SLUGS)} created" in _load()
    assert f"{len(BUILTIN_SLUGS)} unchanged" in _load()
    _load()

    every = (*BUILTIN_SLUGS, *CHALLENGE_SLUGS)  # the challenges of lab.teaching too
    assert Scenario.objects.count() == len(every)
    assert Topology.objects.count() == len(every)
    assert set(Scenario.objects.values_list("slug", flat=True)) == set(every)
    assert set(Scenario.objects.values_list("origin", flat=True)) == {Scenario.BUILTIN}


@pytest.mark.django_db
def test_it_updates_a_builtin_in_place_when_its_json_changed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _load()
    before = Scenario.objects.get(slug="default-drop")
    real = library.builtin_dict

    def changed(slug: str) -> dict[str, Any]:
        d = real(slug)
        if slug == "default-drop":
            d["title"] = "A new title"
            d["topology"]["links"][1]["delay_us"] = 30000
        return d

    monkeypatch.setattr("lab.scenarios.management.commands.loadscenarios.builtin_dict", changed)
    assert "1 updated" in _load()

    after = Scenario.objects.get(slug="default-drop")
    assert after.pk == before.pk
    assert after.title == "A new title"
    assert specs.scenario_to_dict(after) == changed("default-drop")
    assert Scenario.objects.count() == len(BUILTIN_SLUGS) + len(CHALLENGE_SLUGS)
