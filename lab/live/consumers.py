"""The websocket of a live run: authenticate, join the group, validate, forward.

Thin by design: no simulation state lives here. Control actions go to the run's owner
(whichever process holds the lease); frames from the owner come back through the run's
group. A watch token can never act: checked here, for every action, on the server.
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer

from lab.live import frames, host, tokens
from lab.live.actions import MESSAGE_MAX_BYTES, SchemaError, parse
from lab.live.models import Run
from lab.live.throttle import TokenBucket

SESSION_KEYS = "lab_run_keys"  # session: run id -> token (control or watch)
ACTIONS_PER_S, ACTIONS_BURST = 5, 20
PRESENCE_S = 10.0  # tell the owner someone is watching this often
DENIED = 4403  # close code: no valid token for this run


def token_from_scope(scope: dict[str, Any], run_id: str) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode(errors="replace"))
    if query.get("key"):
        return query["key"][0]
    session = scope.get("session")
    keys = session.get(SESSION_KEYS, {}) if session is not None else {}
    key = keys.get(run_id) if isinstance(keys, dict) else None
    return key if isinstance(key, str) else None


class RunConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.run_id = str(self.scope["url_route"]["kwargs"]["run_id"])
        run = await Run.objects.filter(pk=self.run_id).afirst()
        role = run.role_of(token_from_scope(self.scope, self.run_id)) if run else None
        if role is None:
            await self.close(code=DENIED)
            return
        self.role = role
        self.bucket = TokenBucket(ACTIONS_PER_S, ACTIONS_BURST)
        self.seen = (-1, -1)  # (epoch, t_us) of the newest frame sent: time never goes back
        await self.channel_layer.group_add(host.group(self.run_id), self.channel_name)
        await self.accept()
        await host.ensure_host(self.run_id)
        await self._to_owner({"type": "run.sync", "reply_to": self.channel_name})
        self.watchdog = asyncio.create_task(self._keep_alive())

    async def disconnect(self, code: int) -> None:
        task = getattr(self, "watchdog", None)
        if task is not None:
            task.cancel()
        if hasattr(self, "role"):
            await self.channel_layer.group_discard(host.group(self.run_id), self.channel_name)

    async def _to_owner(self, message: dict[str, Any]) -> None:
        await self.channel_layer.group_send(host.owner_group(self.run_id), message)

    async def _keep_alive(self) -> None:
        """Say we are watching; take the run over if its owner has gone (lease expired)."""
        while True:
            await asyncio.sleep(PRESENCE_S * random.uniform(0.8, 1.0))
            await host.ensure_host(self.run_id)
            await self._to_owner({"type": "run.presence"})

    async def error(self, message: str) -> None:
        await self.send(text_data=frames.error_text(message))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None or len(text_data.encode()) > MESSAGE_MAX_BYTES:
            await self.error(f"messages are JSON text of at most {MESSAGE_MAX_BYTES} bytes")
            return
        try:
            action = parse(json.loads(text_data))
        except (ValueError, SchemaError) as exc:
            await self.error(str(exc) if isinstance(exc, SchemaError) else "not valid JSON")
            return
        if self.role != tokens.CONTROL:
            await self.error("this is a watch link: it can follow the run but not act on it")
            return
        if not self.bucket.take():
            await self.error("too many actions at once: wait a moment")
            return
        await host.ensure_host(self.run_id)
        await self._to_owner(
            {"type": "run.action", "action": action, "reply_to": self.channel_name}
        )

    # -- from the owner ----------------------------------------------------------------
    async def run_frame(self, event: dict[str, Any]) -> None:
        mark = (event["epoch"], event["t_us"])
        if mark < self.seen:  # a frame from before a failover: never show time going back
            return
        self.seen = mark
        await self.send(text_data=event["text"])

    async def run_error(self, event: dict[str, Any]) -> None:
        await self.error(event["error"])
