"""Rate limits: a token bucket per connection or run (at most `rate` actions a second on
average, bursts up to `burst`) and a windowed limit on run starts shared by processes."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)


class TokenBucket:
    def __init__(self, rate: float, burst: int, clock: Callable[[], float] | None = None) -> None:
        self.rate, self.burst = rate, burst
        self.clock = clock or time.monotonic
        self.tokens = float(burst)
        self.at = self.clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class WindowLimit:
    """At most `limit` hits per `window_s` per key, counted in the Django cache: Redis
    when REDIS_URL is set (so the limit holds across processes), else this process's
    memory. If the cache is unreachable the request is let through (and logged): a rate
    limit must not take the site down with it."""

    def __init__(self, name: str, limit: int, window_s: int = 60) -> None:
        self.name, self.limit, self.window_s = name, limit, window_s

    def hit(self, who: str) -> int | None:
        """Count a hit; None when allowed, else the seconds until the window turns."""
        from django.core.cache import cache

        now = time.time()
        window = int(now // self.window_s)
        key = f"rate:{self.name}:{who}:{window}"
        try:
            cache.add(key, 0, self.window_s + 5)
            count = cache.incr(key)
        except Exception:
            log.exception("rate limit %s: the cache is unreachable; not limiting", self.name)
            return None
        if count <= self.limit:
            return None
        return max(1, int((window + 1) * self.window_s - now) + 1)


def client_address(request: HttpRequest) -> str:
    """The client's address as the ASGI server saw it (behind a proxy, daphne's
    --proxy-headers puts X-Forwarded-For here; the header itself is never trusted)."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def limit_run_starts(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """POSTs that start runs: LAB_RUN_STARTS_PER_MINUTE per client address and
    LAB_RUN_STARTS_TOTAL_PER_MINUTE in all; over either, a 429 that says when to retry."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        per_client = WindowLimit("run-start", int(settings.LAB_RUN_STARTS_PER_MINUTE))
        total = WindowLimit("run-start-all", int(settings.LAB_RUN_STARTS_TOTAL_PER_MINUTE))
        for limit, who, what in (
            (per_client, client_address(request), "from this address"),
            (total, "all", "on this server"),
        ):
            wait = limit.hit(who)
            if wait is not None:
                response = HttpResponse(
                    f"Too many runs started {what}: at most {limit.limit} a minute. "
                    f"Try again in {wait} s.\n",
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = str(wait)
                return response
        return view(request, *args, **kwargs)

    return wrapped
