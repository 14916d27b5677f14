"""Optional accounts at /accounts/: login and logout pages."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client


@pytest.mark.django_db
def test_it_logs_in_and_out(owner: User, anonymous: Client) -> None:
    assert anonymous.get("/accounts/login/").status_code == 200

    response = anonymous.post(
        "/accounts/login/", {"username": "owner", "password": "owner-pass-123"}
    )

    assert response.status_code == 302
    assert "Log out owner" in anonymous.get("/").content.decode()
    assert anonymous.post("/accounts/logout/").status_code == 302
    assert "Log in" in anonymous.get("/").content.decode()
