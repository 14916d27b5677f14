"""The run host: exactly one stepping loop per live run, across all processes.

Theory of operation. A process owns a run while it holds the run's lease: a row update
that succeeds only if the lease is free, expired or already ours, so two processes can
never both win. The owner replays the run's log (models.RunAction) into a Runtime, then
loops: advance the engine to where the wall clock and the run's speed say simulated time
is, apply the actions consumers forward (each written to the log before it is applied),
and send frames to the run's group: a small progress frame every FRAME_S while anything
moves, region partials only when a region changed. It renews the lease and saves the
clock every RENEW_S. When nobody has watched for IDLE_S it saves, releases the lease and
stops; the next visitor's consumer starts it again, here or in any other process, by
replay. The loop dies with its lease: it never outlives it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from contextlib import suppress
from datetime import timedelta
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db.models import Max, Q
from django.utils import timezone

from lab.engine.units import S
from lab.live import frames
from lab.live.models import SPEEDS, Run, RunAction
from lab.live.runtime import ActionError, Runtime, rebuild

log = logging.getLogger(__name__)

LEASE_S = float(os.environ.get("LAB_LEASE_S", "10"))
RENEW_S = LEASE_S / 3
IDLE_S = float(os.environ.get("LAB_IDLE_S", "60"))
FRAME_S = 0.2  # >= 5 progress frames per wall second while anything moves
CHART_S = 5.0  # the throughput chart's time axis is redrawn this often while time moves
MAX_SLICE_S = 0.02  # "as fast as possible": engine work per slice before yielding

PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
_hosts: dict[str, RunHost] = {}  # the runs this process owns now


def group(run_id: str) -> str:
    return f"run-{run_id}"


def owner_group(run_id: str) -> str:
    return f"run-{run_id}-owner"


def clock_now(run: Run) -> int:
    """Where the run's simulated clock stands now, from its last save."""
    factor = SPEEDS.get(run.speed)
    if not run.clock_running or not factor:
        return run.sim_t_us
    elapsed = (timezone.now() - run.saved_at).total_seconds()
    return run.sim_t_us + int(max(elapsed, 0) * factor * S)


def log_of(run: Run) -> list[tuple[int, dict[str, Any]]]:
    rows = RunAction.objects.filter(run=run, epoch=run.epoch).order_by("seq")
    return [(a.t_us, a.action) for a in rows]


def rebuild_run(run: Run, until_us: int | None = None) -> Runtime:
    """A run's state by replay of its log (sync: call from a thread in async code)."""
    return rebuild(
        run.spec, run.seed, log_of(run), clock_now(run) if until_us is None else until_us
    )


@sync_to_async
def _claim(run_id: str) -> bool:
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=PROCESS_ID)
    claimed = (
        Run.objects.filter(pk=run_id)
        .filter(free)
        .update(lease_owner=PROCESS_ID, lease_until=now + timedelta(seconds=LEASE_S))
    )
    return claimed == 1


@sync_to_async
def _lease_free(run_id: str) -> bool:
    now = timezone.now()
    return (
        Run.objects.filter(pk=run_id)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .exists()
    )


async def ensure_host(run_id: str, *, check_db: bool = True) -> None:
    """Make sure some process steps this run: this one, if the lease is free."""
    host = _hosts.get(run_id)
    if host is not None and not host.task.done():
        await host.ready.wait()
        return
    if check_db and not await _lease_free(run_id):
        return
    if await _claim(run_id):
        host = RunHost(run_id)
        _hosts[run_id] = host
        host.task = asyncio.create_task(host.main(), name=f"run-host-{run_id}")
        await host.ready.wait()


def owned_here() -> list[str]:
    return [r for r, h in _hosts.items() if not h.task.done()]


async def stop_all() -> None:
    """Stop this process's loops and release their leases (tests, shutdown)."""
    hosts = list(_hosts.values())
    for h in hosts:
        h.task.cancel()
    for h in hosts:
        with suppress(asyncio.CancelledError, Exception):
            await h.task


class RunHost:
    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.ready = asyncio.Event()
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task: asyncio.Task[None] = None  # type: ignore[assignment]
        self.layer = get_channel_layer()
        self.sent = frames.Sent()
        self.last_progress: tuple[int, int, str] | None = None
        self.last_version: Any = None
        self.chart_at = 0.0

    # -- life --------------------------------------------------------------------------
    async def main(self) -> None:
        channel = await self.layer.new_channel()
        await self.layer.group_add(owner_group(self.run_id), channel)
        receiver = asyncio.create_task(self._receive(channel))
        try:
            await self._load()
            self.ready.set()
            await self._loop()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("run host %s failed", self.run_id)
        finally:
            self.ready.set()
            receiver.cancel()
            await self.layer.group_discard(owner_group(self.run_id), channel)
            await self._release()
            if _hosts.get(self.run_id) is self:
                del _hosts[self.run_id]

    async def _load(self) -> None:
        self.run = await Run.objects.aget(pk=self.run_id)
        run = self.run
        self.rt = await sync_to_async(rebuild_run, thread_sensitive=False)(run)
        self.renderer = frames.Renderer(self.rt)
        agg = await RunAction.objects.filter(run=run).aaggregate(m=Max("seq"))
        self.seq = agg["m"] or 0
        self._anchor()
        self.last_presence = time.monotonic()

    def _anchor(self) -> None:
        self.anchor_wall, self.anchor_t = time.monotonic(), self.rt.now

    async def _receive(self, channel: str) -> None:
        while True:
            await self.inbox.put(await self.layer.receive(channel))

    async def _loop(self) -> None:
        next_renew = time.monotonic() + RENEW_S
        next_frame = 0.0
        while True:
            self._advance()
            now = time.monotonic()
            if now >= next_renew:
                if not await self._save(lease=True):
                    log.warning("run %s: lease lost, stopping", self.run_id)
                    return
                next_renew = now + RENEW_S
            if now - self.last_presence > IDLE_S:
                await self._save(lease=True, running=False)
                return
            if now >= next_frame:
                await self.broadcast()
                next_frame = now + FRAME_S
            wait = 0.0 if self.run.speed == "max" else max(next_frame - time.monotonic(), 0.0)
            try:
                msg = (
                    await asyncio.wait_for(self.inbox.get(), wait)
                    if wait
                    else self.inbox.get_nowait()
                )
            except (TimeoutError, asyncio.QueueEmpty):
                if not wait:
                    await asyncio.sleep(0)
                continue
            await self._handle(msg)

    def _advance(self) -> None:
        factor = SPEEDS[self.run.speed]
        if factor == 0:
            return
        if factor is None:
            stop = time.monotonic() + MAX_SLICE_S
            while time.monotonic() < stop and self.rt.step() is not None:
                pass
            return
        target = self.anchor_t + int((time.monotonic() - self.anchor_wall) * factor * S)
        self.rt.advance_to(target)

    # -- persistence -------------------------------------------------------------------
    async def _save(self, *, lease: bool, running: bool | None = None) -> bool:
        """Save the clock (and renew the lease); False when the lease is no longer ours."""
        if running is None:
            running = self.run.speed != "paused"
        now = timezone.now()
        fields: dict[str, Any] = {
            "sim_t_us": self.rt.now,
            "saved_at": now,
            "clock_running": running,
            "speed": self.run.speed,
            "epoch": self.run.epoch,
        }
        if lease:
            fields["lease_until"] = now + timedelta(seconds=LEASE_S)
        n = await Run.objects.filter(pk=self.run_id, lease_owner=PROCESS_ID).aupdate(**fields)
        return n == 1

    async def _release(self) -> None:
        try:
            await Run.objects.filter(pk=self.run_id, lease_owner=PROCESS_ID).aupdate(
                lease_owner="", lease_until=None
            )
        except Exception:  # the database may be gone at shutdown; the lease expires anyway
            log.exception("run %s: could not release the lease", self.run_id)

    # -- messages ----------------------------------------------------------------------
    async def _handle(self, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        self.last_presence = time.monotonic()
        if kind == "run.sync":
            await self._send_to(msg["reply_to"], self._all_regions_text())
            await self._send_to(msg["reply_to"], self._progress_text())
        elif kind == "run.action":
            await self._act(msg["action"], msg.get("reply_to"))

    async def _act(self, action: dict[str, Any], reply_to: str | None) -> None:
        self._advance()  # the action applies at the simulated time it is now
        try:
            self.rt.check(action)
        except ActionError as exc:
            if reply_to:
                await self.layer.send(reply_to, {"type": "run.error", "error": str(exc)})
            return
        self.seq += 1
        await RunAction.objects.acreate(
            run_id=self.run_id, seq=self.seq, epoch=self.run.epoch, t_us=self.rt.now, action=action
        )
        do = action["do"]
        if do == "speed":
            self.run.speed = action["speed"]
            self._anchor()
            await self._save(lease=False)
        elif do == "step":
            self.rt.step()
            self._anchor()
        elif do == "reset":
            self.run.epoch += 1
            self.rt = await sync_to_async(Runtime, thread_sensitive=False)(
                self.run.spec, self.run.seed
            )
            self.sent = frames.Sent()
            self._anchor()
            await self._save(lease=False)
        else:
            try:
                self.rt.apply(action)
            except ActionError as exc:  # checked above; a rule refused it after all
                if reply_to:
                    await self.layer.send(reply_to, {"type": "run.error", "error": str(exc)})
        # A control the engine refused leaves the browser's form out of step: resend it.
        self.sent.regions.pop("controls", None)
        self.last_version = None
        await self.broadcast()

    # -- frames ------------------------------------------------------------------------
    def _progress_text(self) -> str:
        return frames.progress_text(self.rt, speed=self.run.speed, epoch=self.run.epoch)

    def _all_regions_text(self) -> str:
        regions = self.renderer.regions(self.rt, speed=self.run.speed, epoch=self.run.epoch)
        return "\n".join(regions.values())

    def _frame(self, text: str) -> dict[str, Any]:
        return {"type": "run.frame", "text": text, "epoch": self.run.epoch, "t_us": self.rt.now}

    async def _send_to(self, channel: str, text: str) -> None:
        await self.layer.send(channel, self._frame(text))

    async def broadcast(self) -> None:
        """Progress if the clock or a flow moved; the regions that changed, if any did."""
        version = (self.rt.version, self.run.speed, self.run.epoch)
        if version != self.last_version:
            self.last_version = version
            regions = self.renderer.regions(self.rt, speed=self.run.speed, epoch=self.run.epoch)
            if changed := self.sent.changed(regions):
                await self.layer.group_send(group(self.run_id), self._frame(changed))
        mark = (self.rt.now, self.run.epoch, self.run.speed)
        if mark != self.last_progress:
            if time.monotonic() - self.chart_at > CHART_S:
                self.chart_at = time.monotonic()
                if chart := self.sent.changed({"chart": self.renderer.chart(self.rt)}):
                    await self.layer.group_send(group(self.run_id), self._frame(chart))
            self.last_progress = mark
            await self.layer.group_send(group(self.run_id), self._frame(self._progress_text()))
