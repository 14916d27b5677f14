"""The library at `/` (view lab.web.views.home)."""

from __future__ import annotations

import pytest
from django.test import Client

from lab.engine.library import BUILTIN_SLUGS
from lab.scenarios.models import Scenario
from tests.scenarios.conftest import HX


@pytest.mark.django_db
def test_it_lists_builtin_cards_with_start_buttons(builtins: None, anonymous: Client) -> None:
    response = anonymous.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="card"') == len(BUILTIN_SLUGS) + 8  # built-ins and challenges
    scenario = Scenario.objects.get(slug="default-drop")
    assert scenario.title in html
    assert scenario.instructions.split(";")[0] in html  # what to do, not the answer:
    assert scenario.rule not in html  # the lesson comes with the reveal
    assert 'action="/s/default-drop/start/"' in html
    assert "csrfmiddlewaretoken" in html
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_it_filters_by_topic_without_javascript(builtins: None, anonymous: Client) -> None:
    html = anonymous.get("/?topic=timers").content.decode()

    assert "<html" in html
    assert 'id="card-long-haul"' in html
    assert 'id="card-ike-lifetime-zero"' in html
    assert 'id="card-default-drop"' not in html
    assert '<option value="timers" selected>' in html


@pytest.mark.django_db
def test_it_swaps_only_the_card_list_for_htmx(builtins: None, anonymous: Client) -> None:
    response = anonymous.get("/?topic=timers", **HX)

    html = response.content.decode()
    assert "<html" not in html
    assert html.strip().startswith('<div id="scenario-list"')
    assert html.count('class="card"') == 2


@pytest.mark.django_db
def test_it_renders_the_full_page_for_an_htmx_history_restore(
    builtins: None, anonymous: Client
) -> None:
    html = anonymous.get("/", HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HX).content.decode()

    assert "<html" in html


@pytest.mark.django_db
def test_it_shows_an_owners_copies_under_mine(
    fork: Scenario, owner_client: Client, other_client: Client
) -> None:
    mine = owner_client.get("/?mine=1").content.decode()
    theirs = other_client.get("/?mine=1").content.decode()

    assert f'id="card-{fork.slug}"' in mine
    assert 'id="card-default-drop"' not in mine
    assert f'id="card-{fork.slug}"' not in theirs
    assert "You have no copies yet" in theirs


@pytest.mark.django_db
def test_it_shows_an_anonymous_browsers_own_forks_under_mine(
    builtins: None, anonymous: Client
) -> None:
    anonymous.post("/s/short-blip/fork/")
    fork = Scenario.objects.get(forked_from__slug="short-blip")

    html = anonymous.get("/?mine=1").content.decode()

    assert f'id="card-{fork.slug}"' in html
    assert f'id="card-{fork.slug}"' not in Client().get("/?mine=1").content.decode()
    assert f'id="card-{fork.slug}"' not in anonymous.get("/").content.decode()
