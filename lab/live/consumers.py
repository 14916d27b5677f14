"""The websocket of a live run: authenticate, watch, validate, forward.

Thin by design: no simulation state lives here. Control actions go to the run's owner
(whichever process holds the lease); frames from the owner come straight from it when it
is in this process, else through this process's relay of the run's group (host.py). A
watch token can never act: checked here, for every action, on the server.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import deque
from contextlib import suppress
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer

from lab.live import frames, host, tokens
from lab.live.actions import MESSAGE_MAX_BYTES, SchemaError, parse, refused
from lab.live.models import Run
from lab.live.throttle import TokenBucket

SESSION_KEYS = "lab_run_keys"  # session: run id -> token (control or watch)
ACTIONS_PER_S, ACTIONS_BURST = 5, 20  # control actions per connection
MESSAGES_PER_S, MESSAGES_BURST = 50, 200  # any message, valid or not, per connection
ACK_S = 8.0  # an action the owner has not acknowledged by then gets an error frame
DENIED = 4403  # close code: no valid token for this run
NO_ANSWER = (
    "the run's server did not answer (it may be moving to another server): "
    "check the run before you try again"
)


def token_from_scope(scope: dict[str, Any], run_id: str) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode(errors="replace"))
    if query.get("key"):
        return query["key"][0]
    session = scope.get("session")
    keys = session.get(SESSION_KEYS, {}) if session is not None else {}
    key = keys.get(run_id) if isinstance(keys, dict) else None
    return key if isinstance(key, str) else None


class RunConsumer(AsyncWebsocketConsumer):
    """One browser tab on one run. Whatever ends it (a close, an exception in a handler,
    a send on a closed socket, daphne cancelling it), `__call__`'s `finally` stops the
    watching: a run is never kept hosted for a socket that is gone."""

    # Messages from the owner through the channel layer that touch no database: handled
    # straight away, without the stock dispatch's hop through the one database thread
    # (aclose_old_connections) per frame, which at a few hundred sockets starved the lease
    # renewals queued behind it.
    NO_DATABASE = frozenset({"run.frame", "run.ack", "run.error"})

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._leave()

    async def dispatch(self, message: dict[str, Any]) -> None:
        if message["type"] in self.NO_DATABASE:
            await getattr(self, get_handler_name(message))(message)
        else:
            await super().dispatch(message)

    async def connect(self) -> None:
        self.run_id = str(self.scope["url_route"]["kwargs"]["run_id"])
        run = await Run.objects.filter(pk=self.run_id).afirst()
        role = run.role_of(token_from_scope(self.scope, self.run_id)) if run else None
        if role is None:
            await self.close(code=DENIED)
            return
        self.role = role
        self.bucket = TokenBucket(ACTIONS_PER_S, ACTIONS_BURST)
        self.flood = TokenBucket(MESSAGES_PER_S, MESSAGES_BURST)
        self.seen = (-1, -1)  # (epoch, t_us) of the newest frame sent: time never goes back
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.TimerHandle] = {}  # actions awaiting the owner's ack
        self.replies: set[asyncio.Future[None]] = set()
        # What waits to be sent: regions, acknowledgements' errors (never dropped), and the
        # newest progress frame only: a socket that falls behind skips progress frames.
        self.outbox: deque[str] = deque()
        self.latest: str | None = None
        self.wake = asyncio.Event()
        self.watching = True
        await self.accept()
        self.writer = asyncio.create_task(self._write(), name=f"run-socket-{self.channel_name}")
        # This process's host monitor keeps the run hosted while we watch: it tells the
        # owner we are here and takes the run over if the owner dies (lease expired).
        # Frames come from an owner here directly, from one elsewhere through this
        # process's relay (one message per process, not per socket).
        host.watch(self.run_id, self)
        await host.relay_join(self.run_id)
        await host.ensure_host(self.run_id)
        await self._to_owner({"type": "run.sync", "reply_to": self.channel_name})

    async def disconnect(self, code: int) -> None:
        await self._leave()

    async def _leave(self) -> None:
        """Stop watching, once: the synchronous part first, so nothing can skip it."""
        if not getattr(self, "watching", False):
            return
        self.watching = False
        host.unwatch(self.run_id, self)
        for timer in self.pending.values():
            timer.cancel()
        self.pending.clear()
        if self.writer is not asyncio.current_task():
            self.writer.cancel()
        with suppress(Exception):
            await host.relay_leave(self.run_id)

    async def _to_owner(self, message: dict[str, Any]) -> None:
        await host.to_owner(self.run_id, message)

    def _no_answer(self, msg_id: int) -> None:
        if self.pending.pop(msg_id, None) is not None:
            self._queue(frames.error_text(NO_ANSWER))

    async def error(self, message: str) -> None:
        await self._send_text(frames.error_text(message))

    async def _send_text(self, text: str) -> None:
        try:
            await self.send(text_data=text)
        except Exception:  # "Attempt to send on a closed protocol" and the like
            await self._leave()  # the socket is gone; its disconnect may never come
            raise StopConsumer() from None

    def _queue(self, text: str) -> None:
        self.outbox.append(text)
        self.wake.set()

    async def _write(self) -> None:
        """Send what the owner handed over, in order; only the newest progress frame."""
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.outbox or self.latest is not None:
                if self.outbox:
                    text = self.outbox.popleft()
                else:
                    text, self.latest = self.latest, None  # type: ignore[assignment]
                try:
                    await self.send(text_data=text)
                except Exception:  # the socket is gone: stop watching now
                    await self._leave()
                    return

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.flood.take():
            await self.error("too many messages: slow down")
            return
        if (
            text_data is None
            or len(text_data) > MESSAGE_MAX_BYTES
            or len(text_data.encode(errors="replace")) > MESSAGE_MAX_BYTES
        ):
            await self.error(f"messages are JSON text of at most {MESSAGE_MAX_BYTES} bytes")
            return
        try:
            action = parse(json.loads(text_data))
        except SchemaError as exc:
            await self.error(str(exc))
            return
        except (ValueError, RecursionError):
            await self.error("not valid JSON")
            return
        if self.role != tokens.CONTROL:
            await self.error("this is a watch link: it can follow the run but not act on it")
            return
        if not self.bucket.take():
            await self.error("too many actions at once: wait a moment")
            return
        if refusal := await refused(self.run_id, action):  # the prediction gate
            await self.error(refusal)
            return
        await host.ensure_host(self.run_id)
        msg_id = next(self.ids)
        self.pending[msg_id] = asyncio.get_running_loop().call_later(ACK_S, self._no_answer, msg_id)
        await self._to_owner(
            {"type": "run.action", "action": action, "reply_to": self.channel_name, "id": msg_id}
        )

    # -- from the owner: directly (same process) or through the channel layer ----------
    def from_owner(self, event: dict[str, Any]) -> None:
        if not self.watching:
            return
        kind = event["type"]
        if kind == "run.frame":
            mark = (event["epoch"], event["t_us"])
            if mark < self.seen:  # a frame from before a failover: never show time going back
                return
            self.seen = mark
            if event.get("progress"):
                self.latest = event["text"]  # replaces a progress frame not yet sent
                self.wake.set()
            else:
                self._queue(event["text"])
        elif kind in ("run.ack", "run.error"):
            timer = self.pending.pop(event.get("id"), None)  # type: ignore[arg-type]
            if timer is not None:
                timer.cancel()
            if kind == "run.error":
                self._queue(frames.error_text(event["error"]))

    async def run_frame(self, event: dict[str, Any]) -> None:
        """A frame sent to this socket alone (an owner elsewhere answering its sync)."""
        self.from_owner(event)

    async def run_ack(self, event: dict[str, Any]) -> None:
        self.from_owner(event)

    async def run_error(self, event: dict[str, Any]) -> None:
        self.from_owner(event)
