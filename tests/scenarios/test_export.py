"""Export /s/<slug>/export.json, and its round trip through the JSON import."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from lab import specs
from lab.engine.library import builtin_dict
from lab.scenarios.models import Scenario


@pytest.mark.django_db
def test_it_downloads_the_scenario_file(builtins: None, anonymous: Client) -> None:
    response = anonymous.get("/s/default-drop/export.json")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == 'attachment; filename="default-drop.json"'
    assert json.loads(response.content) == builtin_dict("default-drop")


@pytest.mark.django_db
def test_it_round_trips_export_then_import(fork: Scenario, anonymous: Client) -> None:
    exported = anonymous.get(f"/s/{fork.slug}/export.json").content

    response = anonymous.post("/import/", {"action": "json", "json_text": exported.decode()})

    assert response.status_code == 302
    imported = Scenario.objects.get(origin=Scenario.IMPORT)
    assert response["Location"] == f"/s/{imported.slug}/edit/"
    assert imported.slug.startswith("default-drop-") and imported.slug != fork.slug
    again = specs.scenario_to_dict(imported)
    assert again == {**json.loads(exported), "slug": imported.slug}


@pytest.mark.django_db
def test_it_refuses_post(builtins: None, anonymous: Client) -> None:
    assert anonymous.post("/s/default-drop/export.json").status_code == 405
