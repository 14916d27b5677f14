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

Across processes (PostgreSQL + Redis). Lease times are the database's clock (`Now()`), so
hosts with skewed clocks still agree on who owns what. One monitor task per process
renews the leases of every run it owns in one UPDATE, tells each owner that someone here
is watching, and claims any run watched here whose lease has expired (its owner died):
failover within LEASE_S + TICK_S plus the replay. A host stops broadcasting before its
lease can have expired (MARGIN_S ahead, by its own monotonic clock), so a new owner that
continues the clock from the old lease's end (`clock_now`) never shows a watcher time
going backwards. Every action is logged only while the lease is ours (the lease check
and the insert share a transaction; `(run, seq)` is unique as a last guard), then
acknowledged to the consumer that sent it.
"""

from __future__ import annotations

import asyncio
import functools
import io
import logging
import os
import secrets
import socket
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import Max, Q
from django.db.models.functions import Now
from django.utils import timezone

from lab.engine.run import ActionError, Player, Runtime, rebuild
from lab.engine.units import S
from lab.live import frames, present
from lab.live.models import SPEEDS, Run, RunAction
from lab.live.throttle import TokenBucket

log = logging.getLogger(__name__)
T = TypeVar("T")

# Several processes (REDIS_URL set): a short lease, so a dead owner's runs move within
# seconds. One embedded process has no one to fail over to: a longer lease lets a busy
# event loop fall behind without its hosts giving their runs up (benchmarks/live.py).
LEASE_S = float(os.environ.get("LAB_LEASE_S") or (3 if os.environ.get("REDIS_URL") else 10))
RENEW_S = LEASE_S / 3  # the monitor renews every owned lease this often
TICK_S = min(0.5, LEASE_S / 6)  # the monitor's beat: expired leases of watched runs
MARGIN_S = LEASE_S / 6  # a host stops this long before its lease could have expired
PRESENCE_S = 10.0  # the monitor tells owners elsewhere that someone here watches
# Nobody watches here and nobody elsewhere said so within PRESENCE_S (+ a beat): the host
# stops this long after the last watcher left (a page reload comes back within it).
IDLE_S = float(os.environ.get("LAB_IDLE_S", "2"))
RUN_ACTIONS_PER_S, RUN_ACTIONS_BURST = 10, 40  # per run, whatever the connections
FRAME_S = 0.2  # >= 5 progress frames per wall second while anything moves
CHART_S = 5.0  # the throughput chart's time axis is redrawn this often while time moves
# A run's CPU budget: engine work per FRAME_S tick, at every speed, in slices of at most
# SLICE_S with the rest of the loop served between two slices. A run that needs more plays
# slower than its speed and says so. 0.25 of a core: a dense scenario cannot take more,
# and a normal run (a few events a minute) never comes near it.
RUN_SHARE = float(os.environ.get("LAB_RUN_CPU_SHARE", "0.25"))
BUDGET_S = RUN_SHARE * FRAME_S
SLICE_S = 0.005
SLICE_EVENTS = 8  # engine events between two looks at the clock (~0.1 ms each, dense)
LAG_SHOWN_S = 2.0  # "plays at 0.3x" stays on the page this long after the last shortfall

# What the class dashboard shows of a run (summary()): published by its owner to the cache
# (Redis when there is one) every SUMMARY_S for all the runs of this process at once, and
# when it lets go, so a dashboard reads them instead of replaying every student's log.
SUMMARY_S = 1.0
STOP_WAIT_S = 5.0  # stop_all: how long a cancelled task may take to end
SUMMARY_KEEP_S = 24 * 3600

PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
_hosts: dict[str, RunHost] = {}  # the runs this process owns now
_watched: dict[str, set[Socket]] = {}  # run id -> the consumers in this process watching it
_sockets: dict[str, Socket] = {}  # channel name -> that consumer: replies go straight to it
_monitor: asyncio.Task[None] | None = None
_takeovers: dict[str, asyncio.Task[None]] = {}  # run id -> the monitor's takeover under way
_announced: set[str] = set()  # runs watched here, owned elsewhere, their owner told so
_publishing: asyncio.Task[None] | None = None  # the monitor's summary write under way
_telling: asyncio.Task[None] | None = None  # the monitor's presence messages under way


def summary_key(run_id: str) -> str:
    return f"run-summary:{run_id}"


def first_download(rt: Runtime) -> str | None:
    """The flow a class dashboard shows: the first TCP download, else the first flow."""
    flows = [f for f, fr in rt.sim.flows.items() if fr.spec.proto == "tcp"] or list(rt.sim.flows)
    return flows[0] if flows else None


def summary(rt: Runtime, run: Run, *, stopped: bool, lagging: bool = False) -> dict[str, Any]:
    """A run in a few fields: its clock, speed and first download (see SUMMARY_S)."""
    flow = first_download(rt)
    status = present.flow_status(rt, flow) if flow else {"state": "idle", "label": "—"}
    return {
        "epoch": run.epoch,
        "t_us": rt.now,
        "speed": run.speed,
        "wall": time.time(),  # when it was true (clocks of one deployment agree to ~ms)
        "stopped": stopped,  # nobody steps the run: true until it is hosted again
        "lagging": lagging,  # short of its budget: its clock does not follow its speed
        "download": {
            "state": status["state"],
            "label": status["label"],
            "pct": status.get("pct", 0),
        },
    }


def group(run_id: str) -> str:
    return f"run-{run_id}"


def owner_group(run_id: str) -> str:
    return f"run-{run_id}-owner"


def clock_now(run: Run, now: Any = None) -> int:
    """Where the run's simulated clock stands now, from its last save.

    While an owner holds the lease the clock runs from the last save at the run's speed.
    After the owner died it stops where the lease ended: the old owner never showed a
    later time (it stops MARGIN_S early), so a new owner continuing from here never makes
    time go backwards, and a run whose server was down for an hour does not leap an hour.
    `now` is the database's time when known (`annotate(db_now=Now())`)."""
    factor = SPEEDS.get(run.speed)
    if not run.clock_running or not factor:
        return run.sim_t_us
    end = now or getattr(run, "db_now", None) or timezone.now()
    if run.lease_until is not None:
        end = min(end, run.lease_until)
    elapsed = (end - run.saved_at).total_seconds()
    return run.sim_t_us + int(max(elapsed, 0) * factor * S)


def log_of(run: Run) -> list[tuple[int, dict[str, Any]]]:
    rows = RunAction.objects.filter(run=run, epoch=run.epoch).order_by("seq")
    return [(a.t_us, a.action) for a in rows]


def rebuild_run(run: Run, until_us: int | None = None) -> Runtime:
    """A run's state by replay of its log (sync: call from a thread in async code)."""
    return rebuild(
        run.spec, run.seed, log_of(run), clock_now(run) if until_us is None else until_us
    )


# The hosts' database work (leases, the action log, clock saves) has threads of its own:
# on channels' one database thread it queued behind every socket's open and session load
# (hundreds at once when a class connects), and renewals came too late (benchmarks/soak.py).
# PostgreSQL takes a few at once (a takeover of hundreds of runs: benchmarks/failover.py);
# SQLite: see _in_db.
_DB = ThreadPoolExecutor(
    4 if "postgresql" in settings.DATABASES["default"]["ENGINE"] else 1,
    thread_name_prefix="run-host-db",
)


def _in_db(func: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    """As channels' database_sync_to_async (stale connections closed around the call),
    on the hosts' own database thread. SQLite stays on channels' one thread: it has one
    writer anyway, and its in-memory database (the tests') fails a second thread at once
    ("database table is locked") instead of making it wait."""
    if "sqlite" in settings.DATABASES["default"]["ENGINE"]:
        return database_sync_to_async(func)

    def call(*args: Any, **kwargs: Any) -> T:
        close_old_connections()
        try:
            return func(*args, **kwargs)
        finally:
            close_old_connections()

    async def run(*args: Any, **kwargs: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            _DB, functools.partial(call, *args, **kwargs)
        )

    return run


def _lease_end() -> Any:
    return Now() + timedelta(seconds=LEASE_S)


FREE = Q(lease_until__isnull=True) | Q(lease_until__lt=Now())


@_in_db
def _claim(run_id: str) -> bool:
    """Take the lease if it is free, expired or ours; True if we hold it now.

    Atomic: the row is locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE
    transactions serialise writers), so of two processes claiming at once exactly one
    wins. Taking over from a dead owner freezes the clock where its lease ended, so the
    successor's replay continues from there, not from the wall clock of now."""
    with transaction.atomic():
        run = Run.objects.select_for_update().annotate(db_now=Now()).filter(pk=run_id).first()
        if run is None:
            return False
        fields: dict[str, Any] = {}
        if run.lease_until is None or run.lease_until < run.db_now:
            fields = {"sim_t_us": clock_now(run), "saved_at": Now()}
        elif run.lease_owner != PROCESS_ID:
            return False
        Run.objects.filter(pk=run_id).update(
            lease_owner=PROCESS_ID, lease_until=_lease_end(), **fields
        )
    return True


@_in_db
def _lease_free(run_id: str) -> bool:
    return Run.objects.filter(pk=run_id).filter(FREE).exists()


@_in_db
def _renew(run_ids: list[str]) -> set[str]:
    """Renew our unexpired leases in one statement; the runs still ours."""
    mine = Run.objects.filter(pk__in=run_ids, lease_owner=PROCESS_ID)
    mine.filter(lease_until__gt=Now()).update(lease_until=_lease_end())
    return set(mine.filter(lease_until__gt=Now()).values_list("pk", flat=True))


@_in_db
def _expired_among(run_ids: list[str]) -> list[str]:
    return list(Run.objects.filter(pk__in=run_ids).filter(FREE).values_list("pk", flat=True))


async def ensure_host(run_id: str, *, check_db: bool = True) -> None:
    """Make sure some process steps this run: this one, if the lease is free."""
    _ensure_monitor()
    host = _hosts.get(run_id)
    if host is not None and not host.task.done():
        await host.ready.wait()
        return
    if check_db and not await _lease_free(run_id):
        return
    if await _claim(run_id):
        host = _hosts.get(run_id)  # another coroutine here may have claimed it meanwhile
        if host is None or host.task.done():
            host = RunHost(run_id)
            _hosts[run_id] = host
            host.task = asyncio.create_task(host.main(), name=f"run-host-{run_id}")
        await host.ready.wait()


def owned_here() -> list[str]:
    return [r for r, h in _hosts.items() if not h.task.done()]


class Socket(Protocol):
    """A consumer as its run's owner sees it (lab.live.consumers.RunConsumer)."""

    channel_name: str

    def from_owner(self, message: dict[str, Any]) -> None:
        """A frame, an acknowledgement or an error from the owner; never blocks."""


def watch(run_id: str, sock: Socket) -> None:
    """A consumer here follows this run: keep it hosted somewhere (see the monitor), and
    if it is hosted here, hand it its frames directly (no channel layer in between)."""
    _watched.setdefault(run_id, set()).add(sock)
    _sockets[sock.channel_name] = sock
    _ensure_monitor()


def unwatch(run_id: str, sock: Socket) -> None:
    """Idempotent: the consumer calls it however it ends (consumers.RunConsumer.__call__)."""
    socks = _watched.get(run_id)
    if socks is not None:
        socks.discard(sock)
        if not socks:
            del _watched[run_id]
    if _sockets.get(sock.channel_name) is sock:
        del _sockets[sock.channel_name]


# Frames from owners in other processes come through the channel layer to one relay
# channel per process, which joins the group of every run watched here and hands each
# frame to the run's sockets directly. (channels-redis already sends a group message once
# per process; the relay saves the fan-out behind it: one receive, one deserialisation,
# no per-socket queue and dispatch, and group memberships per run, not per socket.)
_relay: tuple[str, asyncio.Task[None]] | None = None
_relayed: set[str] = set()  # runs whose group the relay joined


async def _relay_channel() -> str:
    global _relay
    loop = asyncio.get_running_loop()
    if _relay is None or _relay[1].done() or _relay[1].get_loop() is not loop:
        # The default prefix, as every channel of this process: channels-redis reads all
        # of a process's channels through one loop on one key of that prefix, and a
        # channel with another prefix is never read while that loop runs.
        name = await get_channel_layer().new_channel()
        _relay = (name, loop.create_task(_relay_loop(name), name="run-frame-relay"))
        _relayed.clear()
    return _relay[0]


async def _relay_loop(channel: str) -> None:
    layer = get_channel_layer()
    while True:
        try:
            msg = await layer.receive(channel)
            if msg.get("type") == "run.frame" and msg.get("from") != PROCESS_ID:
                for sock in list(_watched.get(msg.get("run", ""), ())):
                    sock.from_owner(msg)
        except asyncio.CancelledError:
            raise
        except Exception:  # one bad message must not stop every run's frames here
            log.exception("frame relay: a message failed")


async def relay_join(run_id: str) -> None:
    """Frames of this run from an owner elsewhere reach this process (see _relay)."""
    channel = await _relay_channel()
    if run_id not in _relayed:
        _relayed.add(run_id)
        await get_channel_layer().group_add(group(run_id), channel)


async def relay_leave(run_id: str) -> None:
    """Nobody here watches this run any more: its frames need not come here."""
    if run_id in _watched or run_id not in _relayed or _relay is None:
        return
    _relayed.discard(run_id)
    await get_channel_layer().group_discard(group(run_id), _relay[0])


async def to_owner(run_id: str, message: dict[str, Any]) -> None:
    """Hand a consumer's message to the run's owner: straight into its inbox when it is
    in this process, else through the channel layer to whichever process holds the lease."""
    message["from"] = PROCESS_ID
    h = _hosts.get(run_id)
    if h is not None and h.ready.is_set() and not h.task.done() and h.lease_ok:
        h.inbox.put_nowait(message)
        return
    await get_channel_layer().group_send(owner_group(run_id), message)


def _ensure_monitor() -> None:
    global _monitor
    loop = asyncio.get_running_loop()
    if _monitor is None or _monitor.done() or _monitor.get_loop() is not loop:
        _monitor = loop.create_task(_monitor_loop(), name="run-host-monitor")


async def _monitor_loop() -> None:
    """This process's beat: renew owned leases (stopping hosts that lost theirs), take
    over watched runs whose owner died, tell owners that someone here is watching."""
    global _publishing, _telling
    next_renew = next_presence = next_summary = time.monotonic()
    while True:
        await asyncio.sleep(TICK_S)
        now = time.monotonic()
        try:
            owned = owned_here()
            if owned and now >= next_renew:
                next_renew = now + RENEW_S
                still = await _renew(owned)
                for run_id in owned:
                    h = _hosts.get(run_id)
                    if h is None:
                        continue
                    if run_id in still:
                        h.lease_ok_until = now + LEASE_S - MARGIN_S
                    else:
                        log.warning("run %s: lease lost, stopping its host", run_id)
                        h.lease_lost = True
                        h.task.cancel()
            orphans = [r for r in _watched if r not in _hosts or _hosts[r].task.done()]
            if orphans:
                for run_id in await _expired_among(orphans):
                    # Not awaited: a takeover's replay must not hold up the renewal of
                    # every lease this process owns (they expired, one run after another).
                    if run_id not in _takeovers:
                        _takeovers[run_id] = asyncio.create_task(_take_over(run_id))
            # Owners elsewhere send frames to this process only while told that someone
            # here watches: every PRESENCE_S, and at once for a run newly owned elsewhere.
            _announced.intersection_update(orphans)
            if _telling is None or _telling.done():
                everyone = now >= next_presence
                if everyone:
                    next_presence = now + PRESENCE_S
                tell = [r for r in orphans if everyone or r not in _announced]
                _announced.update(tell)
                if tell:  # not awaited: a round trip per run must not delay the renewals
                    _telling = asyncio.create_task(_tell_owners(tell))
            if now >= next_summary and (_publishing is None or _publishing.done()):
                # Not awaited: a slow cache must never delay the renewal of the leases.
                next_summary = now + SUMMARY_S
                hosts = [h for h in _hosts.values() if h.loaded and not h.task.done()]
                _publishing = asyncio.create_task(_publish(hosts))
            if refresh := getattr(get_channel_layer(), "refresh_groups", None):
                await refresh()
        except asyncio.CancelledError:
            raise
        except Exception:  # the database or Redis is away: keep beating, hosts time out
            log.exception("run host monitor: this beat failed")


# The summaries of this process's runs, for a dashboard answered here; with several
# processes they also go to the shared cache (Redis). Not to a per-process cache: Django's
# local-memory cache holds 300 entries and would evict the rate limits' counters.
_summaries: OrderedDict[str, dict[str, Any]] = OrderedDict()
SUMMARIES_KEPT = 20_000
SHARED_CACHE = "redis" in settings.CACHES["default"]["BACKEND"].lower()


async def _publish(hosts: list[RunHost], stopped: bool = False) -> None:
    """The summaries of many runs: kept here, and one cache write (one Redis round trip)."""
    if not hosts:
        return
    items = {h.run_id: h.summary(stopped=stopped) for h in hosts}
    _summaries.update(items)
    for run_id in items:
        _summaries.move_to_end(run_id)
    while len(_summaries) > SUMMARIES_KEPT:
        _summaries.popitem(last=False)
    if SHARED_CACHE:
        timeout = SUMMARY_KEEP_S if stopped else 10 * SUMMARY_S
        shared = {summary_key(k): v for k, v in items.items()}
        try:  # on the hosts' threads, not channels' database thread (busy with opens)
            await asyncio.get_running_loop().run_in_executor(
                _DB, functools.partial(cache.set_many, shared, timeout=timeout)
            )
        except Exception:  # Redis away: the dashboard falls back on replays meanwhile
            log.warning("run summaries not published (cache unavailable)", exc_info=True)


def summaries_of(run_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """What is known of each run, newest first: this process's summary, then the shared
    cache's (another process may own the run now). Sync: for views."""
    out = {r: [_summaries[r]] for r in run_ids if r in _summaries}
    if SHARED_CACHE and run_ids:
        found = cache.get_many([summary_key(r) for r in run_ids])
        for r in run_ids:
            if (s := found.get(summary_key(r))) is not None:
                out.setdefault(r, []).append(s)
    for known in out.values():
        known.sort(key=lambda s: -s["wall"])
    return out


async def _tell_owners(run_ids: list[str]) -> None:
    """Tell the owners elsewhere of these runs that someone here watches them."""
    layer = get_channel_layer()
    presence = {"type": "run.presence", "from": PROCESS_ID}
    try:
        await asyncio.gather(*(layer.group_send(owner_group(r), presence) for r in run_ids))
    except Exception:  # Redis away: the next beat tells them again
        log.warning("presence not sent", exc_info=True)


async def _take_over(run_id: str) -> None:
    try:
        await ensure_host(run_id, check_db=False)
    except Exception:  # the database or Redis is away: the next beat tries again
        log.exception("run %s: takeover failed", run_id)
    finally:
        _takeovers.pop(run_id, None)


async def stop_all() -> None:
    """Stop this process's loops and release their leases (tests, shutdown)."""
    global _monitor, _relay
    for t in list(_takeovers.values()):
        t.cancel()
    for h in list(_hosts.values()):
        await _stopped(h.task, f"the host of run {h.run_id}")
    if _monitor is not None:
        await _stopped(_monitor, "the lease monitor")
    _monitor = None
    if _relay is not None:
        await _stopped(_relay[1], "the frame relay")
        _relay = None
        _relayed.clear()


async def _stopped(task: asyncio.Task[Any], what: str) -> None:
    """Cancel a task and wait for it, STOP_WAIT_S at most: one that does not stop (or
    belongs to a loop that is gone) is logged with where it hangs, never waited on for ever."""
    if task.done():
        return
    if task.get_loop() is not asyncio.get_running_loop():
        log.warning("%s belongs to another event loop: left as it is", what)
        return
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=STOP_WAIT_S)
    if not done:
        stack = io.StringIO()
        task.print_stack(file=stack)
        log.error("%s did not stop within %s s:\n%s", what, STOP_WAIT_S, stack.getvalue())


class CpuBudget:
    """Engine work for one run, or one replay, per FRAME_S tick: at most BUDGET_S of it,
    in slices of at most SLICE_S, the rest of the event loop served between two slices."""

    def __init__(self) -> None:
        self.tick_end, self.spent = 0.0, 0.0

    @property
    def exhausted(self) -> bool:
        return self.spent >= BUDGET_S and time.monotonic() < self.tick_end

    def slice(self, work: Callable[[int], bool]) -> bool:
        """One slice of `work(max_events)` (True: finished); True when it finished."""
        now = time.monotonic()
        if now >= self.tick_end:
            self.tick_end, self.spent = now + FRAME_S, 0.0
        left = BUDGET_S - self.spent
        if left <= 0:
            return False
        t0 = time.perf_counter()
        stop = t0 + min(SLICE_S, left)
        done = False
        while not done and time.perf_counter() < stop:
            done = work(SLICE_EVENTS)
        self.spent += time.perf_counter() - t0
        return done

    async def run(self, work: Callable[[int], bool]) -> None:
        """`work` to the end, slice by slice, within the budget of each tick (a replay:
        cancel the task to stop it between two slices)."""
        while not self.slice(work):
            wait = self.tick_end - time.monotonic() if self.spent >= BUDGET_S else 0.0
            await asyncio.sleep(max(wait, 0.0))


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
        # Claimed just now; the monitor pushes this on at each renewal. Past it, the
        # lease may have expired: the host stops (and says nothing more to watchers).
        self.lease_ok_until = time.monotonic() + LEASE_S - MARGIN_S
        self.lease_lost = False
        self.bucket = TokenBucket(RUN_ACTIONS_PER_S, RUN_ACTIONS_BURST)
        self.loaded = False
        # The CPU budget and how far the run falls short of its speed.
        self.budget = CpuBudget()
        self.short = False
        self.rate_at, self.rate_t = time.monotonic(), 0
        self.lag_rate: float | None = None
        self.lag_until = 0.0
        # Presence: a consumer of this process watched at watched_at; last_presence is the
        # last word from a watcher elsewhere (a monitor's presence, a sync, an action).
        self.watched_at = time.monotonic()
        self.last_presence = float("-inf")

    @property
    def lease_ok(self) -> bool:
        return not self.lease_lost and time.monotonic() < self.lease_ok_until

    # -- life --------------------------------------------------------------------------
    async def main(self) -> None:
        channel = await self.layer.new_channel()
        receiver: asyncio.Task[None] | None = None
        try:
            await self.layer.group_add(owner_group(self.run_id), channel)
            receiver = asyncio.create_task(self._receive(channel))
            await self._load()
            self.ready.set()
            await self._loop()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("run host %s failed", self.run_id)
        finally:
            self.ready.set()
            if receiver is not None:
                receiver.cancel()
            with suppress(Exception):
                await self.layer.group_discard(owner_group(self.run_id), channel)
            await self._release()
            if _hosts.get(self.run_id) is self:
                del _hosts[self.run_id]

    async def _load(self) -> None:
        run = await _in_db(Run.objects.annotate(db_now=Now()).get)(pk=self.run_id)
        self.run = run
        actions = await _in_db(log_of)(run)
        player = await sync_to_async(Player, thread_sensitive=False)(run.spec, run.seed, actions)
        # The replay is engine work like any other: sliced, within the run's budget.
        until = clock_now(run)
        await self.budget.run(lambda n: player.advance_to(until, n))
        self.rt = player.rt
        self.renderer = frames.Renderer(self.rt)
        agg = await _in_db(RunAction.objects.filter(run=run).aggregate)(m=Max("seq"))
        self.seq = agg["m"] or 0
        self._anchor()
        self.loaded = True
        # Our clock line is now (rt.now, the database's now): save it, so that a
        # successor continues exactly where we are, not where the replay started.
        await self._save()
        self.watched_at = time.monotonic()

    def _anchor(self) -> None:
        self.anchor_wall, self.anchor_t = time.monotonic(), self.rt.now
        self.rate_at, self.rate_t = self.anchor_wall, self.rt.now

    async def _receive(self, channel: str) -> None:
        while True:
            await self.inbox.put(await self.layer.receive(channel))

    async def _loop(self) -> None:
        next_save = time.monotonic() + RENEW_S
        next_frame = 0.0
        while True:
            if not self.lease_ok:
                log.warning("run %s: lease not renewed in time, stopping", self.run_id)
                return
            busy = self._advance()
            now = time.monotonic()
            if (self.run.speed == "max" or self.lagging) and now >= next_save:
                # At "max", or short of its budget, the clock is no straight line a
                # successor could extend from the last save: save it as it goes.
                if not await self._save():
                    self.lease_lost = True
                    return
                next_save = now + RENEW_S
            if self._unwatched(now):
                return  # _release saves the clock, stopped, and frees the lease
            if now >= next_frame:
                await self.broadcast()
                next_frame = max(next_frame + FRAME_S, now)  # a steady 5 a second, no drift
            # More engine work due (and budget left): one turn of the loop for the others,
            # then the next slice. Otherwise: sleep until the next frame or a message.
            wait = 0.0 if busy else max(next_frame - time.monotonic(), 0.0)
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

    def _unwatched(self, now: float) -> bool:
        """Nobody has watched this run for IDLE_S: not here (the consumers of this process
        say so at once) and not elsewhere (their monitors say so every PRESENCE_S)."""
        if self.run_id in _watched:
            self.watched_at = now
            return False
        return not self.watched_elsewhere and now - self.watched_at > IDLE_S

    # -- the engine, within the run's budget -------------------------------------------
    def _advance(self) -> bool:
        """One slice of engine work towards where the wall clock and the speed put the run;
        True when more is due now and the budget allows it (call again after a turn)."""
        factor = SPEEDS[self.run.speed]
        if factor == 0:
            return False
        now = time.monotonic()
        self._measure(now)
        if factor is None:
            done = self.budget.slice(self._steps)
        else:
            target = self.anchor_t + int((now - self.anchor_wall) * factor * S)
            done = self.budget.slice(lambda n: self.rt.advance_to(target, n))
        if done:
            return False
        if self.budget.exhausted:
            self.short = True  # the budget ran out before the clock's target
            return False
        return True

    def _steps(self, n: int) -> bool:
        """At "max": n events on; True when nothing more is due."""
        return any(self.rt.step() is None for _ in range(n))

    def _measure(self, now: float) -> None:
        """Once a tick: a run that fell short of its clock plays on from where it is (the
        backlog is dropped, not caught up in a burst) at the rate its budget allows."""
        if now < self.rate_at + FRAME_S:
            return
        if self.short and self.run.speed != "max":
            rate = (self.rt.now - self.rate_t) / S / max(now - self.rate_at, 1e-6)
            self.lag_rate = rate if self.lag_rate is None else 0.5 * self.lag_rate + 0.5 * rate
            self.lag_until = now + LAG_SHOWN_S
            self._anchor()
        elif now > self.lag_until:
            self.lag_rate = None
        self.short = False
        self.rate_at, self.rate_t = now, self.rt.now

    @property
    def lagging(self) -> bool:
        return self.lag_rate is not None

    def lag_text(self) -> str | None:
        """What the page says of a run that cannot keep up with its speed."""
        if self.lag_rate is None:
            return None
        rate = f"{self.lag_rate:.2g}" if self.lag_rate < 10 else f"{self.lag_rate:.0f}"
        return f"this scenario needs more than a run's share of the server: it plays at {rate}x"

    # -- persistence -------------------------------------------------------------------
    def _clock_fields(self, running: bool | None = None) -> dict[str, Any]:
        if running is None:
            running = self.run.speed != "paused"
        return {
            "sim_t_us": self.rt.now,
            "saved_at": Now(),
            "clock_running": running,
            "speed": self.run.speed,
            "epoch": self.run.epoch,
        }

    async def _save(self, running: bool | None = None) -> bool:
        """Save the clock; False when the lease is no longer ours (nothing saved)."""
        fields = self._clock_fields(running)
        n = await _in_db(
            Run.objects.filter(pk=self.run_id, lease_owner=PROCESS_ID, lease_until__gt=Now()).update
        )(**fields)
        return n == 1

    def summary(self, *, stopped: bool = False) -> dict[str, Any]:
        return summary(self.rt, self.run, stopped=stopped, lagging=self.lagging)

    async def _release(self) -> None:
        """Free the lease; the clock stops where this host left it (resumed by replay)."""
        fields: dict[str, Any] = {"lease_owner": "", "lease_until": None}
        if self.loaded:
            fields.update(self._clock_fields(running=False))
            with suppress(Exception):  # the dashboard falls back on a replay
                await _publish([self], stopped=True)
        try:
            await _in_db(Run.objects.filter(pk=self.run_id, lease_owner=PROCESS_ID).update)(
                **fields
            )
        except Exception:  # the database may be gone at shutdown; the lease expires anyway
            log.exception("run %s: could not release the lease", self.run_id)

    @_in_db
    def _log(self, seq: int, t_us: int, action: dict[str, Any]) -> bool:
        """Write the action, only while the lease is ours; False: it is not (not logged)."""
        try:
            with transaction.atomic():
                held = Run.objects.filter(
                    pk=self.run_id, lease_owner=PROCESS_ID, lease_until__gt=Now()
                ).update(lease_owner=PROCESS_ID)  # also locks the row until the insert
                if held != 1:
                    return False
                RunAction.objects.create(
                    run_id=self.run_id, seq=seq, epoch=self.run.epoch, t_us=t_us, action=action
                )
        except IntegrityError:  # that seq was taken: another owner took the run over
            return False
        return True

    # -- messages ----------------------------------------------------------------------
    async def _handle(self, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        if msg.get("from") != PROCESS_ID:  # from a consumer or monitor of another process
            self.last_presence = time.monotonic()
        if not self.lease_ok:
            return  # the lease may be gone: a successor answers instead
        if kind == "run.sync":
            regions = self.renderer.regions(self.rt, speed=self.run.speed, epoch=self.run.epoch)
            for text in frames.pack(list(regions.values())):
                await self._reply(msg["reply_to"], self._frame(text))
            await self._reply(msg["reply_to"], self._frame(self._progress_text(), progress=True))
        elif kind == "run.action":
            await self._act(msg["action"], msg.get("reply_to"), msg.get("id"))

    async def _reply(self, reply_to: str | None, message: dict[str, Any]) -> None:
        if not reply_to:
            return
        if (sock := _sockets.get(reply_to)) is not None:
            sock.from_owner(message)  # a consumer of this process: no channel layer
            return
        # A socket that far behind must not stop the run for everyone: its consumer's
        # acknowledgement timeout answers instead.
        with suppress(ChannelFull):
            await self.layer.send(reply_to, message)

    async def _act(self, action: dict[str, Any], reply_to: str | None, msg_id: Any) -> None:
        self._advance()  # the action applies at the simulated time it is now
        try:
            if not self.bucket.take():
                raise ActionError("too many actions on this run at once: wait a moment")
            self.rt.check(action)
        except ActionError as exc:
            await self._reply(reply_to, {"type": "run.error", "error": str(exc), "id": msg_id})
            return
        if not await self._log(self.seq + 1, self.rt.now, action):
            log.warning("run %s: lease lost while logging an action, stopping", self.run_id)
            self.lease_lost = True
            await self._reply(
                reply_to,
                {
                    "type": "run.error",
                    "error": "the run is moving to another server: try again in a moment",
                    "id": msg_id,
                },
            )
            return
        self.seq += 1
        await self._reply(reply_to, {"type": "run.ack", "id": msg_id, "seq": self.seq})
        do = action["do"]
        if do == "speed":
            self.run.speed = action["speed"]
            self._anchor()
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
        else:
            try:
                self.rt.apply(action)
            except ActionError as exc:  # checked above; a rule refused it after all
                await self._reply(reply_to, {"type": "run.error", "error": str(exc)})
        if do in ("speed", "step", "reset"):
            await self._save()  # the clock's line changed: a successor must know
        # A control the engine refused leaves the browser's form out of step: resend it.
        self.sent.regions.pop("controls", None)
        self.last_version = None
        await self.broadcast()

    # -- frames ------------------------------------------------------------------------
    def _progress_text(self) -> str:
        return frames.progress_text(
            self.rt, speed=self.run.speed, epoch=self.run.epoch, lag=self.lag_text()
        )

    def _frame(self, text: str, progress: bool = False) -> dict[str, Any]:
        return {
            "type": "run.frame",
            "text": text,
            "epoch": self.run.epoch,
            "t_us": self.rt.now,
            "progress": progress,  # a newer progress frame replaces one not yet sent
            "from": PROCESS_ID,
            "run": self.run_id,  # for the relay of each process watching (relay_join)
        }

    @property
    def watched_elsewhere(self) -> bool:
        """Someone in another process said so within two presence periods (one missed
        beat of a busy monitor must not cut its watchers off)."""
        return time.monotonic() - self.last_presence <= 2 * PRESENCE_S

    async def _send(self, frame: dict[str, Any]) -> None:
        """Render once, send many: the one message goes to every watcher here directly,
        and through the channel layer only when someone in another process watches."""
        for sock in list(_watched.get(self.run_id, ())):
            sock.from_owner(frame)
        if self.watched_elsewhere:
            await self.layer.group_send(group(self.run_id), frame)

    async def broadcast(self) -> None:
        """Progress if the clock or a flow moved; the regions that changed, if any did."""
        if not self.lease_ok:
            return  # past our lease a successor may be showing this run: stay silent
        version = (self.rt.version, self.run.speed, self.run.epoch)
        if version != self.last_version:
            self.last_version = version
            regions = self.renderer.regions(self.rt, speed=self.run.speed, epoch=self.run.epoch)
            for text in self.sent.changed(regions):
                await self._send(self._frame(text))
        mark = (self.rt.now, self.run.epoch, self.run.speed)
        if mark != self.last_progress:
            if time.monotonic() - self.chart_at > CHART_S:
                self.chart_at = time.monotonic()
                for text in self.sent.changed({"chart": self.renderer.chart(self.rt)}):
                    await self._send(self._frame(text))
            self.last_progress = mark
            await self._send(self._frame(self._progress_text(), progress=True))
