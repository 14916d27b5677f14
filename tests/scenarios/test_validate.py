"""Live field validation: POST /s/<slug>/edit/validate/ returns one field's error partial."""

from __future__ import annotations

import pytest
from django.test import Client

from lab import specs
from lab.scenarios.models import Scenario
from tests.scenarios.test_edit import settings_data


@pytest.mark.django_db
def test_it_returns_the_fields_error_partial(fork: Scenario, key_client: Client) -> None:
    data = settings_data(
        fork, {"link-internet-rate_mbps": 0.005, "field": "link-internet-rate_mbps"}
    )

    response = key_client.post(f"/s/{fork.slug}/edit/validate/", data, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith(
        '<div class="field-errors" id="id_link-internet-rate_mbps-errors"'
    )
    assert "greater than or equal to 0.008" in html
    assert "<html" not in html
    assert Scenario.objects.get(pk=fork.pk).topology.links.get(key="internet").rate_bps == 10**7


@pytest.mark.django_db
def test_it_returns_an_empty_partial_for_a_good_value(fork: Scenario, key_client: Client) -> None:
    data = settings_data(
        fork, {"link-internet-rate_mbps": 0.009, "field": "link-internet-rate_mbps"}
    )

    html = key_client.post(f"/s/{fork.slug}/edit/validate/", data).content.decode()

    assert 'class="error"' not in html


@pytest.mark.django_db
def test_it_lists_config_warnings_and_errors(fork: Scenario, key_client: Client) -> None:
    d = specs.scenario_to_dict(fork)
    lines = [*d["topology"]["nodes"][1]["config"], "crypto isakmp policy 10 lifetime 5"]
    bo = "\n".join(lines)
    data = {"action": "configs", "config-bo-asa": bo, "field": "config-bo-asa"}

    html = key_client.post(f"/s/{fork.slug}/edit/validate/", data).content.decode()

    assert f"line {len(lines)}: ERROR: 5 is out of range" in html
    assert "line 5: kept but not simulated: names" in html


@pytest.mark.django_db
def test_it_needs_the_edit_key(fork: Scenario, anonymous: Client) -> None:
    data = settings_data(fork, {"field": "link-internet-rate_mbps"})

    assert anonymous.post(f"/s/{fork.slug}/edit/validate/", data).status_code == 403
    assert anonymous.get(f"/s/{fork.slug}/edit/validate/").status_code == 405


@pytest.mark.django_db
def test_it_rejects_unknown_forms_and_fields(fork: Scenario, key_client: Client) -> None:
    url = f"/s/{fork.slug}/edit/validate/"
    assert key_client.post(url, {"action": "nope", "field": "x"}).status_code == 400
    assert key_client.post(url, {"action": "events", "field": "x"}).status_code == 400
