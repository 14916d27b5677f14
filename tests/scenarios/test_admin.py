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
