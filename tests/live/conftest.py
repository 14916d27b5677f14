"""Live runs: a run of a built-in, websocket clients with a control or a watch token."""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator

from lab.asgi import application
from lab.engine.library import builtin_dict
from lab.live import host, tokens
from lab.live.models import Run

ORIGIN = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
TIMEOUT_S = 10


@pytest.fixture
def run_and_token(transactional_db: Any) -> tuple[Run, str]:
    d = builtin_dict("default-drop")
    return Run.start(title=d["title"], spec=d, seed=d["seed"])


@pytest.fixture
async def stop_hosts() -> AsyncIterator[None]:
    """Run hosts started in this process stop (and release their leases) after the test."""
    yield
    await host.stop_all()


class Client:
    """A websocket client of a run that sorts what arrives: progress, errors, regions."""

    def __init__(self, run_id: str, key: str | None, path: str = "") -> None:
        query = f"?key={key}" if key else ""
        self.ws = WebsocketCommunicator(application, f"/ws/runs/{run_id}/{path}{query}", ORIGIN)
        self.progress: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.html: list[str] = []

    async def connect(self) -> tuple[bool, int | None]:
        connected, code = await self.ws.connect(TIMEOUT_S)
        return connected, code

    async def send(self, **msg: Any) -> None:
        await self.ws.send_to(text_data=json.dumps(msg))

    async def take(self) -> None:
        text = await self.ws.receive_from(TIMEOUT_S)
        if text.startswith("{"):
            frame = json.loads(text)
            (self.progress if frame["type"] == "progress" else self.errors).append(
                frame if frame["type"] == "progress" else frame["error"]
            )
        else:
            self.html.append(text)

    async def refused(self, **msg: Any) -> str:
        """Send a message that should be refused; the error frame's text."""
        before = len(self.errors)
        await self.send(**msg)
        await self.until(lambda c: len(c.errors) > before)
        return self.errors[-1]

    def terminal(self, device: str) -> str:
        """The newest output of a device's terminal pane that arrived."""
        pattern = re.compile(rf'<pre id="dev-{device}-terminal".*?</pre>', re.S)
        for text in reversed(self.html):
            if m := pattern.search(text):
                return html.unescape(m.group(0))
        return ""

    async def until(self, predicate: Any, timeout_s: float = TIMEOUT_S) -> None:
        """Read frames until `predicate(self)` holds."""
        async with asyncio.timeout(timeout_s):
            while not predicate(self):
                await self.take()

    async def close(self) -> None:
        await self.ws.disconnect()


@pytest.fixture
def control(run_and_token: tuple[Run, str]) -> Client:
    run, token = run_and_token
    return Client(run.id, token)


@pytest.fixture
def watch(run_and_token: tuple[Run, str]) -> Client:
    run, token = run_and_token
    return Client(run.id, tokens.watch_token(token))
