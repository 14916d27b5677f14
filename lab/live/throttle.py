"""Rate limits: a token bucket per connection or run (at most `rate` actions a second on
average, bursts up to `burst`), windowed limits shared by processes (run starts, by any
path that creates a run; scenario copies; class joins), and `Slots`, a cap on work done
at once in this process (packet captures)."""

from __future__ import annotations

import functools
import logging
import time
from collections import Counter
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


KEY_PREFIX = "rate"  # of the cache keys the windows count in (tests give each test its own)


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
        key = f"{KEY_PREFIX}:{self.name}:{who}:{window}"
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


def too_many(text: str, wait: int) -> HttpResponse:
    response = HttpResponse(
        f"{text} Try again in {wait} s.\n", status=429, content_type="text/plain; charset=utf-8"
    )
    response["Retry-After"] = str(wait)
    return response


def refuse_run_start(request: HttpRequest) -> HttpResponse | None:
    """Count one run start (any path that creates a run: Start, class joins, broadcasts):
    LAB_RUN_STARTS_PER_MINUTE per client address and LAB_RUN_STARTS_TOTAL_PER_MINUTE in
    all; over either, a 429 that says when to retry; None: go ahead."""
    per_client = WindowLimit("run-start", int(settings.LAB_RUN_STARTS_PER_MINUTE))
    total = WindowLimit("run-start-all", int(settings.LAB_RUN_STARTS_TOTAL_PER_MINUTE))
    for limit, who, what in (
        (per_client, client_address(request), "from this address"),
        (total, "all", "on this server"),
    ):
        wait = limit.hit(who)
        if wait is not None:
            return too_many(f"Too many runs started {what}: at most {limit.limit} a minute.", wait)
    return None


def limit_run_starts(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A view whose POSTs start runs: `refuse_run_start` first (GETs are not counted)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            refused = refuse_run_start(request)
            if refused is not None:
                return refused
        return view(request, *args, **kwargs)

    return wrapped


def limit_copies(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """POSTs that save a new scenario (fork, import): LAB_COPIES_PER_MINUTE per address."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            limit = WindowLimit("copy", int(settings.LAB_COPIES_PER_MINUTE))
            wait = limit.hit(client_address(request))
            if wait is not None:
                text = (
                    f"Too many scenario copies from this address: at most {limit.limit} a minute."
                )
                return too_many(text, wait)
        return view(request, *args, **kwargs)

    return wrapped


def refuse_join(request: HttpRequest, code: str) -> str:
    """Class joins: LAB_CLASS_JOINS_PER_MINUTE per address (the same answer for a right
    code and a wrong one, so codes cannot be tried in bulk) and
    LAB_CLASS_JOINS_PER_CLASS_PER_MINUTE per class; the refusal as text, "" to go ahead."""
    per_address = WindowLimit("class-join", int(settings.LAB_CLASS_JOINS_PER_MINUTE))
    wait = per_address.hit(client_address(request))
    if wait is None and code:
        per_class = WindowLimit(
            "class-join-code", int(settings.LAB_CLASS_JOINS_PER_CLASS_PER_MINUTE)
        )
        wait = per_class.hit(code)
    if wait is None:
        return ""
    return f"Too many joins just now: try again in {wait} s."


class Slots:
    """At most `total` jobs at once in this process and `per_key` per key (a client
    address). Used from one event loop (async views), so plain counters suffice."""

    def __init__(self, total: int, per_key: int) -> None:
        self.total, self.per_key = total, per_key
        self.busy: Counter[str] = Counter()

    def take(self, key: str) -> str:
        """Take a slot; "" when taken, else why not (for the user)."""
        if sum(self.busy.values()) >= self.total:
            return f"the server is making {self.total} captures already"
        if self.busy[key] >= self.per_key:
            return f"this address is making {self.per_key} capture(s) already"
        self.busy[key] += 1
        return ""

    def give(self, key: str) -> None:
        self.busy[key] -= 1
        if self.busy[key] <= 0:
            del self.busy[key]
