"""Start lab: POST /s/<slug>/start/ (a placeholder until the live lab exists)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from lab.scenarios.models import Scenario


@pytest.mark.django_db
def test_it_says_the_live_lab_is_not_here_yet(builtins: None, anonymous: Client) -> None:
    assert reverse("scenario-start", args=["default-drop"]) == "/s/default-drop/start/"

    response = anonymous.post("/s/default-drop/start/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "not available in this build yet" in html
    assert "<code>python manage.py labsim default-drop</code>" in html


@pytest.mark.django_db
def test_it_refuses_get(builtins: None, anonymous: Client) -> None:
    assert anonymous.get("/s/default-drop/start/").status_code == 405


@pytest.mark.django_db
def test_it_runs_a_copy_from_its_exported_file(fork: Scenario, anonymous: Client) -> None:
    html = anonymous.post(f"/s/{fork.slug}/start/").content.decode()

    assert f"<code>python manage.py labsim {fork.slug}.json</code>" in html
    assert f'href="/s/{fork.slug}/export.json"' in html
