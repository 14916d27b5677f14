"""Benchmark-only settings for `benchmarks/live.py --experiment ...`: experiments, not fixes.

lab.settings as is, plus the experiments named in LIVE_EXPERIMENTS (comma-separated):

- sweep: the in-memory channel layer sweeps for expired messages at most once a second
  instead of on every receive() and group_send(). Channels' sweep walks every channel
  queue and every group membership: O(N) per message, O(N^2) per second with N runs.
- nohop: consumers skip Channels' `aclose_old_connections()` for `run.frame` messages.
  AsyncConsumer.dispatch awaits it before every handler: a sync_to_async hop through the
  one thread that also runs every ORM call (thread_sensitive), for each frame to each
  socket. run_frame touches no database, so the hop buys nothing there.

live.py measures with and without them; the real changes belong in lab/ (see its report).
"""

from __future__ import annotations

import os
import time
from typing import Any

from channels.consumer import AsyncConsumer, get_handler_name
from channels.layers import InMemoryChannelLayer

from lab.settings import *  # noqa: F403

EXPERIMENTS = set(filter(None, os.environ.get("LIVE_EXPERIMENTS", "").split(",")))


class SweptInMemoryChannelLayer(InMemoryChannelLayer):
    SWEEP_S = 1.0  # messages expire after 60 s: sweeping once a second is plenty
    _swept = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept >= self.SWEEP_S:
            self._swept = now
            super()._clean_expired()


if "sweep" in EXPERIMENTS:
    CHANNEL_LAYERS = {"default": {"BACKEND": "benchmarks._live_settings.SweptInMemoryChannelLayer"}}

if "nohop" in EXPERIMENTS:
    _dispatch = AsyncConsumer.dispatch

    async def _dispatch_without_hop(self: AsyncConsumer, message: dict[str, Any]) -> None:
        if message.get("type") == "run.frame":
            await getattr(self, get_handler_name(message))(message)
        else:
            await _dispatch(self, message)

    AsyncConsumer.dispatch = _dispatch_without_hop  # type: ignore[method-assign]
