"""The ASGI application itself (what daphne serves) answers pages, health and static files."""

from __future__ import annotations

import json
import warnings

import pytest
from asgiref.testing import ApplicationCommunicator

from lab.asgi import application

HOST = [(b"host", b"localhost")]
TIMEOUT_S = 10


async def get(path: str) -> dict[str, object]:
    """GET ``path`` from the ASGI app; returns status, headers and the joined body.

    (channels.testing.HttpCommunicator insists on a "body" key in every body message,
    which ASGI makes optional and Django omits at the end of a streamed response.)
    """
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": HOST,
        "server": ("localhost", 80),
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(TIMEOUT_S)
    assert start["type"] == "http.response.start"
    body = b""
    while True:
        message = await communicator.receive_output(TIMEOUT_S)
        assert message["type"] == "http.response.body"
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    await communicator.wait(TIMEOUT_S)
    return {"status": start["status"], "headers": start.get("headers", []), "body": body}


@pytest.mark.django_db(transaction=True)
async def test_it_serves_healthz_over_asgi() -> None:
    response = await get("/healthz")

    assert response["status"] == 200
    assert json.loads(response["body"]) == {
        "status": "ok",
        "database": "ok",
        "channel_layer": "ok",
        "static_files": "ok",
    }


async def test_it_serves_static_files_over_asgi() -> None:
    with warnings.catch_warnings():
        # WhiteNoise's middleware is sync-only, so Django reads its file iterator in a
        # worker thread and says so; the file is still served.
        warnings.filterwarnings(
            "ignore", message="StreamingHttpResponse must consume synchronous iterators"
        )
        response = await get("/static/css/lab.css")

    assert response["status"] == 200
    assert b"font-family" in response["body"]


def test_it_routes_websockets_through_the_allowed_hosts_check() -> None:
    from channels.security.websocket import OriginValidator

    router = application.application_mapping["websocket"]

    assert isinstance(router, OriginValidator)
