"""The scenario page /s/<slug>/ and its topology partial."""

from __future__ import annotations

import pytest
from django.test import Client

from lab.scenarios.models import Scenario


@pytest.mark.django_db
def test_it_shows_instructions_picture_and_actions(builtins: None, anonymous: Client) -> None:
    scenario = Scenario.objects.get(slug="default-drop")

    response = anonymous.get("/s/default-drop/")

    html = response.content.decode()
    assert response.status_code == 200
    assert scenario.title in html
    assert "at 2:00 the scenario cuts the internet path for 60 s" in html
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html
    assert 'role="img"' in html
    assert 'action="/s/default-drop/start/"' in html
    assert 'action="/s/default-drop/fork/"' in html
    assert 'href="/s/default-drop/export.json"' in html
    assert "/s/default-drop/edit/" not in html  # a built-in offers no edit link


@pytest.mark.django_db
def test_it_hides_the_expected_outcome_behind_a_reveal(builtins: None, anonymous: Client) -> None:
    html = anonymous.get("/s/default-drop/").content.decode()

    details = html[html.index('<details class="reveal">') : html.index("</details>")]
    assert "<summary>Predict first" in details
    assert "The download flow is aborted" in details
    assert "it does not resume after the outage" in details
    assert "ho-asa logs “Tunnel has been torn down”, “106015”." in details
    assert "The ASA keeps two kinds of state" in details


@pytest.mark.django_db
def test_it_offers_edit_to_the_fork_holder(fork: Scenario, key_client: Client) -> None:
    html = key_client.get(f"/s/{fork.slug}/").content.decode()

    assert f'href="/s/{fork.slug}/edit/"' in html
    assert f'href="/s/{fork.slug}/edit/"' not in Client().get(f"/s/{fork.slug}/").content.decode()


@pytest.mark.django_db
def test_it_answers_404_for_an_unknown_slug(builtins: None, anonymous: Client) -> None:
    assert anonymous.get("/s/no-such-thing/").status_code == 404


@pytest.mark.django_db
def test_the_seed_rule_says_what_s0_is(builtins: None, anonymous: Client) -> None:
    html = anonymous.get("/s/default-drop/").content.decode()
    assert "(S0, Configure)" in html
    assert "Cisco TechNote 113014" in html
