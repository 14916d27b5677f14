"""channels-redis, made to ride out a Redis restart.

Stock channels-redis raises when Redis is away: a consumer's receive loop dies (its
websocket closes) and a run host's broadcasts fail. Here, while Redis is away:

- `receive` waits and retries (with a capped backoff) instead of raising, so websockets
  stay open and the owner keeps stepping its run;
- `send`, `group_send` and `group_discard` are dropped with one warning: frames are
  state snapshots (the next one repairs a lost one) and a lost action is answered by the
  consumer's acknowledgement timeout with a clear error;
- `group_add` is remembered, and so is every membership of this process: Redis restarted
  without persistence has forgotten them all, so when Redis answers again they are added
  back (and every REFRESH_S anyway, which also outlives channels-redis' group expiry).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer
from redis.asyncio import BlockingConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

DOWN = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError, asyncio.TimeoutError)
RETRY_MIN_S, RETRY_MAX_S = 0.1, 2.0
REFRESH_S = 60.0
POOL_SIZE, POOL_WAIT_S = 100, 5.0  # Redis connections per process and event loop


class ResilientRedisChannelLayer(RedisChannelLayer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.memberships: dict[str, set[str]] = {}  # group -> channels of this process
        self.down = False
        self.refreshed_at = time.monotonic()

    def create_pool(self, index: int) -> Any:
        """At its limit (100 commands in flight) redis-py's stock pool raises "Too many
        connections", a ConnectionError taken here for Redis being down: frames dropped and
        every membership re-added, over and over, at 1,000 sockets (benchmarks/soak.py).
        This pool waits up to POOL_WAIT_S for a free connection instead."""
        host = self.hosts[index]
        if set(host) != {"address"}:  # sentinels and the like: channels-redis' own pool
            return super().create_pool(index)
        return BlockingConnectionPool.from_url(
            host["address"], max_connections=POOL_SIZE, timeout=POOL_WAIT_S
        )

    # -- health ------------------------------------------------------------------------
    def _lost(self, what: str, exc: BaseException) -> None:
        if not self.down:
            log.warning("Redis is unreachable (%s: %s); retrying", what, exc)
        self.down = True

    async def _back(self) -> None:
        if self.down:
            self.down = False
            log.warning("Redis answers again; restoring this process's group memberships")
            await self.refresh_groups(force=True)

    async def refresh_groups(self, force: bool = False) -> None:
        """Add this process's memberships again (after a Redis restart, or periodically)."""
        if not force and time.monotonic() - self.refreshed_at < REFRESH_S:
            return
        self.refreshed_at = time.monotonic()
        for group, channels in list(self.memberships.items()):
            for channel in list(channels):
                try:
                    await super().group_add(group, channel)
                except DOWN as exc:
                    self._lost("group_add", exc)
                    return

    # -- the channel layer API ---------------------------------------------------------
    async def receive(self, channel: str) -> dict[str, Any]:
        delay = RETRY_MIN_S
        while True:
            try:
                message: dict[str, Any] = await super().receive(channel)
            except DOWN as exc:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    # a cancel that reached redis-py mid-read comes out as its read timeout:
                    # the receiver is being stopped, not Redis gone (retrying hung the loop)
                    raise asyncio.CancelledError from exc
                self._lost("receive", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
                continue
            await self._back()
            return message

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        try:
            await super().send(channel, message)
        except DOWN as exc:
            self._lost("send", exc)
            return
        await self._back()

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        try:
            await super().group_send(group, message)
        except DOWN as exc:
            self._lost("group_send", exc)
            return
        await self._back()

    async def group_add(self, group: str, channel: str) -> None:
        self.memberships.setdefault(group, set()).add(channel)
        try:
            await super().group_add(group, channel)
        except DOWN as exc:
            self._lost("group_add", exc)
            return
        await self._back()

    async def group_discard(self, group: str, channel: str) -> None:
        channels = self.memberships.get(group)
        if channels is not None:
            channels.discard(channel)
            if not channels:
                del self.memberships[group]
        try:
            await super().group_discard(group, channel)
        except DOWN as exc:
            self._lost("group_discard", exc)


class SweepingInMemoryChannelLayer(InMemoryChannelLayer):
    """The in-memory layer with its expiry sweep run at most once a SWEEP_S.

    The stock layer walks every channel and group member on each send and receive, so a
    process with N sockets pays O(N) per message, O(N^2) per frame period (measured by
    benchmarks/live.py: 3.4 s of 30 s at 300 runs). Messages expire after a minute and
    group memberships after a day, so sweeping once a second changes nothing else."""

    SWEEP_S = 1.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.swept_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self.swept_at >= self.SWEEP_S:
            self.swept_at = now
            super()._clean_expired()
