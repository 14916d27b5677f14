"""The topology picture partial /s/<slug>/topology/ (what htmx redraws after an edit)."""

from __future__ import annotations

import pytest
from django.test import Client

from lab import specs
from lab.scenarios.models import Scenario
from tests.scenarios.conftest import HX


@pytest.mark.django_db
def test_it_serves_the_topology_partial_alone(builtins: None, anonymous: Client) -> None:
    html = anonymous.get("/s/non-cisco-peer/topology/", **HX).content.decode()

    assert html.strip().startswith('<figure id="topology"')
    assert "<html" not in html
    assert "HO VPN" in html and "(non-Cisco)" in html  # a long label on two lines
    assert 'hx-trigger="topology-changed from:body"' in html


@pytest.mark.django_db
def test_it_is_public_and_draws_the_saved_state(fork: Scenario, anonymous: Client) -> None:
    d = specs.scenario_to_dict(fork)
    d["topology"]["links"][1]["rate_bps"] = 3_000_000
    specs.update_scenario(fork, d)

    html = anonymous.get(f"/s/{fork.slug}/topology/").content.decode()

    assert "3 Mb/s · 20 ms" in html


@pytest.mark.django_db
def test_it_answers_404_and_405(builtins: None, anonymous: Client) -> None:
    assert anonymous.get("/s/nope/topology/").status_code == 404
    assert anonymous.post("/s/default-drop/topology/").status_code == 405
