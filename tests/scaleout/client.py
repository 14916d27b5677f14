"""What a browser does, without the browser: start a run over HTTP, follow it by websocket."""

from __future__ import annotations

import asyncio
import html
import http.cookiejar
import json
import re
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed


@dataclass
class StartedRun:
    id: str
    control: str
    watch: str


def _link_key(page: str, label: str) -> str:
    m = re.search(rf'value="[^"]*\?key=([^"&]+)" aria-label="{label}"', page)
    assert m, f"no {label} on the run page"
    return html.unescape(m.group(1))


def start_run(base_url: str, slug: str = "default-drop") -> StartedRun:
    """Press Start lab on a scenario page, as a browser does (cookies, CSRF token)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page_url = f"{base_url}/s/{slug}/"
    opener.open(page_url, timeout=30).read()
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf}).encode()
    request = urllib.request.Request(
        f"{base_url}/s/{slug}/start/", data=body, headers={"Referer": page_url}
    )
    with opener.open(request, timeout=30) as response:
        page = response.read().decode()
        run_id = urllib.parse.urlsplit(response.geturl()).path.strip("/").split("/")[1]
    return StartedRun(run_id, _link_key(page, "control link"), _link_key(page, "watch link"))


class Socket:
    """A websocket on /ws/runs/<id>/ that keeps everything it receives, sorted."""

    def __init__(self, base_url: str, run_id: str, key: str) -> None:
        self.base_url = base_url
        self.url = base_url.replace("http://", "ws://") + f"/ws/runs/{run_id}/?key={key}"
        self.progress: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.html: list[str] = []
        self.closed = False
        self.ws: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None

    async def open(self) -> Socket:
        self.ws = await connect(self.url, origin=self.base_url, open_timeout=20)  # type: ignore[arg-type]
        self.reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for text in self.ws:
                assert isinstance(text, str)
                if text.startswith("{"):
                    frame = json.loads(text)
                    if frame["type"] == "progress":
                        self.progress.append(frame)
                    else:
                        self.errors.append(frame["error"])
                else:
                    self.html.append(text)
        except ConnectionClosed:
            pass
        finally:
            self.closed = True

    async def send(self, **msg: Any) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps(msg))

    async def wait(self, what: str, predicate: Callable[[Socket], Any], timeout_s: float) -> None:
        """Wait until predicate(self) holds (a functional deadline, not a timing test)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not predicate(self):
            if loop.time() > deadline:
                last = self.progress[-1]["t_us"] if self.progress else None
                raise AssertionError(
                    f"{what}: not within {timeout_s} s (progress frames {len(self.progress)},"
                    f" last t_us {last}, errors {self.errors[-3:]}, closed {self.closed})"
                )
            await asyncio.sleep(0.05)

    def terminal(self, device: str) -> str:
        pattern = re.compile(rf'<pre id="dev-{device}-terminal".*?</pre>', re.S)
        for text in reversed(self.html):
            if m := pattern.search(text):
                return html.unescape(m.group(0))
        return ""

    def times(self) -> list[tuple[int, int]]:
        return [(p["epoch"], p["t_us"]) for p in self.progress]

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await self.reader
