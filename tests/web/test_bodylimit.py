"""lab.security.BodyLimit: the ASGI app refuses a body over the limit before Django
reads it (for ASGI servers that stream bodies; daphne is covered by lab.daphneguard)."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.testing import ApplicationCommunicator

from lab.security import BodyLimit

LIMIT = 1000


async def recording_app(scope: Any, receive: Any, send: Any) -> None:
    """Reads the whole body, then answers 200 with its length."""
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(size).encode()})


def scope(headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {"type": "http", "method": "POST", "path": "/import/", "headers": headers}


async def answer(app: Any, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> Any:
    comm = ApplicationCommunicator(app, scope(headers))
    for i, chunk in enumerate(chunks):
        await comm.send_input(
            {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        )
    start = await comm.receive_output(5)
    body = await comm.receive_output(5)
    await comm.wait(5)
    return start["status"], body["body"]


@pytest.mark.asyncio
async def test_a_declared_length_over_the_limit_is_refused_unread() -> None:
    status, body = await answer(
        BodyLimit(recording_app, LIMIT), [(b"content-length", b"400000000")], [b""]
    )

    assert status == 413
    assert b"400000000 bytes" in body and b"at most 1000 bytes" in body


@pytest.mark.asyncio
async def test_chunks_crossing_the_limit_are_refused() -> None:
    status, body = await answer(BodyLimit(recording_app, LIMIT), [], [b"x" * 400] * 5)

    assert status == 413
    assert b"at most 1000 bytes" in body


@pytest.mark.asyncio
async def test_a_body_within_the_limit_reaches_the_app() -> None:
    status, body = await answer(BodyLimit(recording_app, LIMIT), [], [b"x" * 400] * 2)

    assert (status, body) == (200, b"800")
