"""The recording of a run: its log replayed for one viewer, at any speed, from any moment.

Each socket has its own Player, so a recording never touches the live run or its lease.
Seeking back rebuilds from the start; seeking forward plays on. Replaying is engine work
like a live run's: on the event loop within the same CPU budget (host.CpuBudget), in a
task of its own that a newer seek or the socket's close cancels between two slices.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from lab.engine.run import Player
from lab.engine.units import S
from lab.live import frames, host
from lab.live.actions import MESSAGE_MAX_BYTES, SchemaError, _choice, _seconds
from lab.live.consumers import DENIED, token_from_scope
from lab.live.models import SPEEDS, Run


class RecordingConsumer(AsyncWebsocketConsumer):
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:  # however the socket ends, its replay stops (see RunConsumer.__call__)
            await self.disconnect(1011)

    async def connect(self) -> None:
        run_id = str(self.scope["url_route"]["kwargs"]["run_id"])
        run = await Run.objects.filter(pk=run_id).afirst()
        if run is None or run.role_of(token_from_scope(self.scope, run_id)) is None:
            await self.close(code=DENIED)
            return
        self.run = run
        self.log = await sync_to_async(host.log_of)(run)
        self.end_us = host.clock_now(run)
        self.speed = "paused"
        self.lock = asyncio.Lock()
        self.budget = host.CpuBudget()
        self.seeking: asyncio.Task[None] | None = None
        await self._seek(0)
        await self.accept()
        await self._send_frames()
        self.player_task = asyncio.create_task(self._play())

    async def disconnect(self, code: int) -> None:
        for task in (getattr(self, "player_task", None), getattr(self, "seeking", None)):
            if task is not None:
                task.cancel()

    async def _seek(self, t_us: int) -> None:
        async with self.lock:
            t_us = max(0, min(t_us, self.end_us))
            if not hasattr(self, "player") or t_us < self.player.rt.now:
                self.player = await sync_to_async(Player, thread_sensitive=False)(
                    self.run.spec, self.run.seed, self.log
                )
                self.renderer = frames.Renderer(self.player.rt)
                self.sent = frames.Sent()
            player = self.player
            await self.budget.run(lambda n: player.advance_to(t_us, n))

    async def _seek_and_show(self, t_us: int) -> None:
        await self._seek(t_us)
        await self._send_frames()

    async def _send_frames(self) -> None:
        rt = self.player.rt
        regions = self.renderer.regions(rt, speed=self.speed, epoch=self.run.epoch, controls=False)
        for text in self.sent.changed(regions):
            await self.send(text_data=text)
        frame = frames.present.progress(rt, epoch=self.run.epoch, speed=self.speed)
        frame["end_us"] = self.end_us
        await self.send(text_data=json.dumps(frame, separators=(",", ":")))

    async def _play(self) -> None:
        while True:
            await asyncio.sleep(host.FRAME_S)
            factor = SPEEDS[self.speed]
            if factor == 0 or self.player.rt.now >= self.end_us:
                continue
            step = int(host.FRAME_S * factor * S) if factor else 60 * S
            await self._seek(self.player.rt.now + step)
            await self._send_frames()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            if text_data is None or len(text_data) > MESSAGE_MAX_BYTES:
                raise SchemaError("messages are JSON text of at most 4096 bytes")
            msg: Any = json.loads(text_data)
            action = msg.get("action") if isinstance(msg, dict) else None
            if action == "seek":
                t_s = _seconds(msg.get("t_s"), "seek.t_s") or 0.0
                if self.seeking is not None:
                    self.seeking.cancel()  # a newer seek replaces one still under way
                self.seeking = asyncio.create_task(
                    self._seek_and_show(int(t_s * S)), name=f"recording-seek-{self.run.id}"
                )
                return
            elif action == "speed":
                self.speed = _choice(tuple(SPEEDS))(msg.get("speed"), "speed.speed")
            else:
                raise SchemaError("a recording understands seek {t_s} and speed {speed}")
        except (ValueError, RecursionError, SchemaError) as exc:
            text = str(exc) if isinstance(exc, SchemaError) else "not valid JSON"
            await self.send(text_data=frames.error_text(text))
            return
        await self._send_frames()
