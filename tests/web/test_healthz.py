from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client

from lab.web import health


@pytest.mark.django_db
def test_it_reports_ok_when_database_and_channel_layer_answer(client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "channel_layer": "ok",
        "static_files": "ok",
    }
    assert "no-cache" in response["Cache-Control"]


class BrokenConnection:
    def cursor(self) -> Any:
        raise OperationalError("database is down")


@pytest.mark.django_db
def test_it_answers_503_naming_the_database_when_it_fails(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "connection", BrokenConnection())

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "error: OperationalError",
        "channel_layer": "ok",
        "static_files": "ok",
    }


class SilentLayer:
    """A channel layer that accepts messages and never delivers them."""

    async def new_channel(self, prefix: str = "specific.") -> str:
        return prefix + "x"

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        return None

    async def receive(self, channel: str) -> dict[str, Any]:
        import asyncio

        await asyncio.Event().wait()
        raise AssertionError("unreachable")


@pytest.mark.django_db
def test_it_answers_503_naming_the_channel_layer_when_it_does_not_deliver(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "get_channel_layer", lambda: SilentLayer())
    monkeypatch.setattr(health, "CHANNEL_LAYER_TIMEOUT_S", 0.05)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "ok",
        "channel_layer": "error: TimeoutError",
        "static_files": "ok",
    }


@pytest.mark.django_db
def test_it_answers_503_when_no_channel_layer_is_configured(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "get_channel_layer", lambda: None)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["channel_layer"] == "error: RuntimeError"


def test_it_refuses_post(client: Client) -> None:
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_it_answers_503_when_the_static_manifest_lacks_the_pages_files(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.contrib.staticfiles.storage import ManifestStaticFilesStorage

    empty = ManifestStaticFilesStorage(location="/nonexistent-static-root")
    monkeypatch.setattr(health, "staticfiles_storage", empty)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["static_files"] == "error: ValueError"
