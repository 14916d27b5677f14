"""Fork: POST /s/<slug>/fork/."""

from __future__ import annotations

import pytest
from django.test import Client

from lab.scenarios.models import Scenario


@pytest.mark.django_db
def test_it_forks_a_builtin_for_an_anonymous_visitor(builtins: None, anonymous: Client) -> None:
    response = anonymous.post("/s/default-drop/fork/")

    fork = Scenario.objects.get(origin=Scenario.FORK)
    assert response.status_code == 302
    assert response["Location"] == f"/s/{fork.slug}/edit/"
    assert fork.owner is None
    assert fork.forked_from.slug == "default-drop"
    page = anonymous.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/s/{fork.slug}/edit/?key={fork.edit_key}" in html  # the private link, once
    assert fork.edit_key not in anonymous.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_it_gives_a_logged_in_user_the_fork(builtins: None, owner_client: Client) -> None:
    owner_client.post("/s/preserve-both/fork/")

    fork = Scenario.objects.get(origin=Scenario.FORK)
    assert fork.owner.username == "owner"


@pytest.mark.django_db
def test_it_forks_a_fork_someone_else_made(fork: Scenario, other_client: Client) -> None:
    response = other_client.post(f"/s/{fork.slug}/fork/")

    mine = Scenario.objects.get(forked_from=fork)
    assert response["Location"] == f"/s/{mine.slug}/edit/"
    assert mine.owner.username == "other"
    assert other_client.get(f"/s/{mine.slug}/edit/").status_code == 200
    assert other_client.get(f"/s/{fork.slug}/edit/").status_code == 403


@pytest.mark.django_db
def test_it_refuses_get_and_a_missing_csrf_token(builtins: None) -> None:
    assert Client().get("/s/default-drop/fork/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/s/default-drop/fork/").status_code == 403
    assert not Scenario.objects.filter(origin=Scenario.FORK).exists()
