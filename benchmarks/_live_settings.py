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

Also a profiling hook (benchmarks/classroom.py --profile): with LAB_BENCH_PROFILE=FILE in
the server's environment, requests whose path matches LAB_BENCH_PROFILE_PATHS (a regex,
default: every path) run under one cProfile, dumped to FILE when the server exits. It
profiles the thread that runs the view (Django's sync views run in a worker thread, which
a profiler enabled on daphne's main thread never sees). With LAB_BENCH_TIMING=1 every
answer carries `Server-Timing: cpu;dur=MS`, the CPU time of the thread that made it: a
figure other processes on the machine do not inflate, unlike wall times.
"""

from __future__ import annotations

import atexit
import cProfile
import os
import re
import time
from collections.abc import Callable
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


PROFILE_OUT = os.environ.get("LAB_BENCH_PROFILE")


class ProfileRequests:
    """Middleware: the matching requests under one cProfile (they run one at a time, on
    the one thread that runs sync views), dumped to LAB_BENCH_PROFILE at exit."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response
        self.paths = re.compile(os.environ.get("LAB_BENCH_PROFILE_PATHS", ""))
        self.prof = cProfile.Profile()
        atexit.register(self.prof.dump_stats, PROFILE_OUT)

    def __call__(self, request: Any) -> Any:
        if not self.paths.search(request.path):
            return self.get_response(request)
        self.prof.enable()
        try:
            return self.get_response(request)
        finally:
            self.prof.disable()


if PROFILE_OUT:
    MIDDLEWARE = ["benchmarks._live_settings.ProfileRequests", *MIDDLEWARE]  # noqa: F405


class ServerTiming:
    """Middleware: `Server-Timing: cpu;dur=MS`, the answering thread's CPU time."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        t = time.thread_time()
        response = self.get_response(request)
        response["Server-Timing"] = f"cpu;dur={(time.thread_time() - t) * 1e3:.2f}"
        return response


if os.environ.get("LAB_BENCH_TIMING"):
    MIDDLEWARE = ["benchmarks._live_settings.ServerTiming", *MIDDLEWARE]  # noqa: F405
