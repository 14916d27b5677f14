"""The Django admin lists, searches and filters every scenario model."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.scenarios.models import Scenario


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["topology", "site", "node", "link", "tunneldef", "scenario"])
def test_it_lists_searches_and_filters(builtins: None, model: str) -> None:
    admin = User.objects.create_superuser("admin", password="admin-pass-123")
    client = Client()
    client.force_login(admin)

    assert client.get(f"/admin/scenarios/{model}/").status_code == 200
    assert client.get(f"/admin/scenarios/{model}/?q=bo").status_code == 200


@pytest.mark.django_db
def test_it_filters_scenarios_by_origin_and_opens_one(builtins: None) -> None:
    admin = User.objects.create_superuser("admin", password="admin-pass-123")
    client = Client()
    client.force_login(admin)
    scenario = Scenario.objects.get(slug="default-drop")

    html = client.get("/admin/scenarios/scenario/?origin__exact=builtin").content.decode()

    assert "default-drop" in html
    assert client.get(f"/admin/scenarios/scenario/{scenario.pk}/change/").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_it_keeps_anonymous_visitors_out_of_the_admin(anonymous: Client) -> None:
    assert anonymous.get("/admin/scenarios/scenario/").status_code == 302


@pytest.mark.django_db
def test_it_shows_a_topology_with_its_nodes_and_scenarios(builtins: None) -> None:
    admin = User.objects.create_superuser("admin", password="admin-pass-123")
    client = Client()
    client.force_login(admin)
    scenario = Scenario.objects.get(slug="non-cisco-peer")

    html = client.get(f"/admin/scenarios/topology/{scenario.topology_id}/change/").content.decode()
    listing = client.get("/admin/scenarios/topology/?q=ho-gw").content.decode()

    assert "HO VPN gateway (non-Cisco)" in html  # the node inline
    assert "non-cisco-peer" in html  # the scenario using it
    # non-cisco-peer and the challenge built on it (lab.teaching) have node ho-gw
    assert listing.count('class="field-__str__"') == 2
    page = client.get(f"/admin/scenarios/scenario/{scenario.pk}/change/").content.decode()
    assert "View on site" in page


@pytest.mark.django_db
def test_it_filters_scenarios_by_owner(fork: Scenario) -> None:
    admin = User.objects.create_superuser("admin", password="admin-pass-123")
    client = Client()
    client.force_login(admin)

    html = client.get(f"/admin/scenarios/scenario/?owner__id__exact={fork.owner_id}").content
    text = html.decode()

    builtin = Scenario.objects.get(slug="default-drop")
    assert f"/admin/scenarios/scenario/{fork.pk}/change/" in text
    assert f"/admin/scenarios/scenario/{builtin.pk}/change/" not in text
