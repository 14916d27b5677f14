"""Shared fixtures: the built-ins loaded, named users (owner, other, anonymous), a fork."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from lab.engine.library import builtin_dict
from lab.scenarios.models import Scenario

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def builtins(db: Any) -> None:
    call_command("loadscenarios", stdout=io.StringIO())


@pytest.fixture
def owner(db: Any) -> User:
    return User.objects.create_user("owner", password="owner-pass-123")


@pytest.fixture
def other(db: Any) -> User:
    return User.objects.create_user("other", password="other-pass-123")


@pytest.fixture
def owner_client(owner: User) -> Client:
    c = Client()
    c.force_login(owner)
    return c


@pytest.fixture
def other_client(other: User) -> Client:
    c = Client()
    c.force_login(other)
    return c


@pytest.fixture
def anonymous() -> Client:
    return Client()


@pytest.fixture
def fork(builtins: None, owner: User) -> Scenario:
    """An owned fork of default-drop."""
    return Scenario.objects.get(slug="default-drop").fork(owner=owner)


@pytest.fixture
def key_client(fork: Scenario) -> Client:
    """An anonymous browser that opened the fork's private edit link."""
    c = Client()
    response = c.get(f"/s/{fork.slug}/edit/?key={fork.edit_key}")
    assert response.status_code == 302
    return c


def default_drop_configs() -> tuple[str, str]:
    """The BO and HO running configs of the built-in default-drop scenario."""
    nodes = {n["id"]: n for n in builtin_dict("default-drop")["topology"]["nodes"]}
    return "\n".join(nodes["bo-asa"]["config"]), "\n".join(nodes["ho-asa"]["config"])
