"""Small pages a new user meets: the icon, sign-up, designed 404 and 500 pages."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings


@pytest.mark.django_db
def test_favicon_ico_leads_to_the_icon_every_page_links() -> None:
    client = Client()
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("img/favicon.svg")
    assert 'rel="icon"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_a_new_user_signs_up_and_is_logged_in() -> None:
    client = Client()
    assert 'href="/accounts/signup/"' in client.get("/accounts/login/").content.decode()
    response = client.post(
        "/accounts/signup/",
        {
            "username": "ana",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert User.objects.filter(username="ana").exists()
    assert "Log out ana" in client.get("/").content.decode()


@pytest.mark.django_db
def test_sign_up_says_what_is_wrong_and_keeps_the_name() -> None:
    response = Client().post(
        "/accounts/signup/", {"username": "ben", "password1": "abc", "password2": "abd"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "didn’t match" in html or "didn't match" in html
    assert 'value="ben"' in html
    assert not User.objects.filter(username="ben").exists()


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_a_missing_page_is_a_designed_404() -> None:
    response = Client().get("/s/no-such-scenario/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Nothing here" in html and "Back to the library" in html


def test_the_500_page_renders_without_a_request() -> None:
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Something went wrong on our side" in html
