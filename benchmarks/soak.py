"""Soak: 1,000 websocket clients on two lab servers sharing PostgreSQL and Redis.

Run it with

    ./dev bench benchmarks/soak.py                 # 2 minutes, 1,000 clients on 200 runs
    ./dev bench benchmarks/soak.py --minutes 10    # the full soak of issue #7
    ./dev bench benchmarks/soak.py --quick         # 1 minute, 200 clients on 40 runs
    # or: PYTHONPATH=. .venv/bin/python benchmarks/soak.py [--minutes M] [--clients C] ...

It starts what a scaled-out deployment runs, on 127.0.0.1: a throwaway PostgreSQL cluster
and redis-server (tests/scaleout/servers.py, from the Debian packages), and two daphne
processes A and B with DATABASE_URL and REDIS_URL (benchmarks/live.py's LabServer), as
tests/scaleout/test_failover.py does. It creates R runs of `default-drop` through the ORM
(Run.start(), as live.py does); most play at 1x, some at 10x and 60x (--speeds). The C
clients are spread over the runs and over both servers: each run has one control socket
and watchers, client j of run r on server (r + j) % 2, so every run is followed on both
servers and its owner's frames cross Redis. Each control socket types `show clock` on the
branch ASA every --act-every seconds (an action logged to the database, acknowledged,
broadcast as a region frame). A socket that closes is opened again after a second, like
the page's websocket, so the load stays; the close is still an error.

Every --sample seconds (10) it prints one row, and the table again at the end:

- errors, new in the window: `connect` (a websocket open that failed), `closed` (a socket
  the server closed or lost during the soak), `error frame` (a {"type": "error"} frame,
  e.g. an action the owner did not acknowledge), `stall` (an open socket without a
  progress frame for 5 s); at the end also `action lost` (control actions sent without
  an error but not in the database's action log) and `server log` (ERROR lines or
  tracebacks in the two servers' logs);
- progress frames per second received, and per socket;
- frame lateness, as live.py: a progress frame carrying simulated time t_us at speed f,
  received at wall time w (monotonic), has offset w - t_us / f; on time, a socket's offset
  is constant, so lateness = offset - the smallest offset of that socket in the window.
  p50, p99 and max over all frames of the window; `gap p99`: max(0, gap between two
  progress frames of a socket - 200 ms); `clock lost`: median over sockets of how far their
  smallest offset moved since their first window, i.e. simulated time the runs lost to
  pauses (a takeover continues the clock from where the old lease ended, by design);
- memory: VmRSS of each daphne process, of redis-server and of this client process;
  PostgreSQL as the sum of PSS over the postmaster and its children (PSS counts shared
  buffers once, where summing RSS would count them once per backend); CPU % of A, B and
  this client (100 % = one core); the 1-minute load average; who owns the runs (leases).

Goals (issue #7): 0 errors, flat memory. Flat, here: after --warmup seconds (default 30),
the mean RSS of the last third of the samples is within 10 % of the mean of the first
third, for each of A and B (PostgreSQL, Redis and the client are shown the same way, not
judged); the least-squares slope (MB/min) is printed next to it. Lateness has no goal in
the issue: its p99 is reported next to live.py's 250 ms for one run per socket.
Everything (clients, servers, databases) shares this machine's cores; the load average and
the client's CPU say when the machine, not the servers, was the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import signal
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._goals import print_goals, write_json
from benchmarks.live import LabServer, django_setup, f1, new_runs, pct, table, watch_token
from tests.scaleout.servers import Postgres, Redis, new_root

FRAME_S = 0.2  # the host's progress frame period
STALL_S = 5.0
RECONNECT_S = 1.0
FLAT_TOLERANCE = 0.10
LATE_REF_MS = 250.0  # live.py's goal for one run per socket, for comparison only
ACTION = {"action": "type", "device": "bo-asa", "line": "show clock"}
RUN_ID = re.compile(r"run [-\w]+")
ACK_WAIT_S = 9.0  # lab.live.consumers.ACK_S (8 s) and a second
FACTORS = {"1x": 1.0, "2x": 2.0, "5x": 5.0, "10x": 10.0, "60x": 60.0, "600x": 600.0}
ERROR_KINDS = ("connect", "closed", "error frame", "stall", "action lost", "server log")


# -- measurements --------------------------------------------------------------------------------


@dataclass
class Tally:
    """What the clients saw in one sampling window."""

    frames: int = 0
    html: int = 0
    offsets: dict[int, list[float]] = field(default_factory=dict)  # socket -> offsets (s)
    gaps: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


@dataclass
class Sock:
    idx: int
    server: str  # "A" or "B"
    url: str
    origin: str
    run_id: str
    control: bool
    ws: Any = None
    base: float | None = None  # the smallest offset of its first window (s)
    last: float | None = None  # monotonic time of the last progress frame, or of the open
    framed: bool = False  # a progress frame arrived on this connection
    stalled: bool = False
    opened_at: float = 0.0
    first_ms: float | None = None
    first: asyncio.Event = field(default_factory=asyncio.Event)


class Soak:
    def __init__(self) -> None:
        self.tally = Tally()
        self.errors: Counter[str] = Counter()
        self.examples: list[str] = []
        self.running = True
        self.watching_stalls = False
        self.actions_sent = 0
        self.control_errors = 0  # error frames on control sockets (e.g. an unanswered action)

    def error(self, kind: str, detail: str) -> None:
        self.tally.errors[kind] += 1
        self.errors[kind] += 1
        if len(self.examples) < 12:
            self.examples.append(f"{kind}: {detail}")

    def on_message(self, s: Sock, msg: str | bytes) -> None:
        now = time.monotonic()
        if isinstance(msg, bytes):
            return
        if msg[:1] != "{":
            self.tally.html += 1
            return
        d = json.loads(msg)
        kind = d.get("type")
        if kind == "error":
            self.error("error frame", f"{s.server} run {s.run_id}: {d.get('error')}")
            self.control_errors += s.control
            return
        if kind != "progress":
            return
        self.tally.frames += 1
        if s.framed and s.last is not None:
            self.tally.gaps.append(max(0.0, (now - s.last - FRAME_S) * 1e3))
        s.last, s.framed, s.stalled = now, True, False
        if s.first_ms is None:
            s.first_ms = (now - s.opened_at) * 1e3
            s.first.set()
        factor = FACTORS.get(d.get("speed", ""))
        if factor:
            self.tally.offsets.setdefault(s.idx, []).append(now - d["t_us"] / 1e6 / factor)


async def keep_open(s: Sock, soak: Soak, gate: asyncio.Semaphore) -> None:
    """One browser tab: open, read until closed, open again (each failure is an error)."""
    from websockets.asyncio.client import connect

    while soak.running:
        try:
            async with gate:
                s.opened_at = time.monotonic()
                s.ws = await connect(
                    s.url,
                    origin=s.origin,  # type: ignore[arg-type]
                    open_timeout=120,
                    ping_interval=None,  # daphne pings; the client answers
                    max_size=None,
                    compression=None,
                )
        except Exception as exc:  # noqa: BLE001 - counted, then tried again
            if soak.running:
                soak.error("connect", f"{s.server} {type(exc).__name__}: {exc}")
                await asyncio.sleep(RECONNECT_S)
            continue
        s.last, s.framed, s.stalled = time.monotonic(), False, False
        why = "closed"
        try:
            async for msg in s.ws:
                soak.on_message(s, msg)
            why = f"code {s.ws.close_code} {s.ws.close_reason!r}"
        except Exception as exc:  # noqa: BLE001 - ConnectionClosedError and the like
            why = f"{type(exc).__name__}: {exc}"
        if soak.running:
            soak.error("closed", f"{s.server} run {s.run_id}: {why}")
            await asyncio.sleep(RECONNECT_S)


async def act(s: Sock, soak: Soak, every: float) -> None:
    """A control socket types a line now and then, as a student does."""
    await asyncio.sleep(random.uniform(0, every))
    while soak.running:
        if s.ws is not None and s.framed:
            with contextlib.suppress(Exception):  # a closed socket is counted by keep_open
                await s.ws.send(json.dumps(ACTION))
                soak.actions_sent += 1
        await asyncio.sleep(every)


async def watch_stalls(socks: list[Sock], soak: Soak) -> None:
    while True:
        await asyncio.sleep(1.0)
        if not soak.watching_stalls:
            continue
        now = time.monotonic()
        for s in socks:
            if s.last is not None and not s.stalled and now - s.last > STALL_S:
                s.stalled = True
                soak.error("stall", f"{s.server} run {s.run_id}: no progress frame for {STALL_S} s")


def window_lateness(tally: Tally, socks: list[Sock]) -> tuple[list[float], list[float]]:
    """Lateness of every frame of the window (ms), and per socket the simulated time lost
    since its first window (ms of wall time: pauses, takeovers that froze the clock)."""
    late: list[float] = []
    lost: list[float] = []
    for idx, offsets in tally.offsets.items():
        base = min(offsets)
        late += [(o - base) * 1e3 for o in offsets]
        s = socks[idx]
        if s.base is None:
            s.base = base
        lost.append((base - s.base) * 1e3)
    return late, lost


# -- processes -----------------------------------------------------------------------------------


def proc_kb(pid: int, key: str, name: str = "status") -> int:
    with open(f"/proc/{pid}/{name}") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1])
    return 0


def pg_pss_mb(pg: Postgres) -> float:
    """PSS of the postmaster and every backend (children) together, MB."""
    try:
        postmaster = int((pg.data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")
    pids = [postmaster]
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{entry.name}/stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
                    pids.append(int(entry.name))
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += proc_kb(pid, "Pss:", "smaps_rollup")
    return total / 1024


def cpu_s_of(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_log(servers: list[tuple[str, LabServer]]) -> tuple[list[str], Counter[str]]:
    """ERROR/CRITICAL lines and tracebacks; WARNING messages counted (run ids blanked)."""
    errors: list[str] = []
    warnings: Counter[str] = Counter()
    for name, server in servers:
        with contextlib.suppress(OSError):
            for line in server.log.read_text(errors="replace").splitlines():
                if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback"):
                    errors.append(f"{name}: {line[:200]}")
                elif " WARNING " in line:
                    message = RUN_ID.sub("run …", line.split(" WARNING ", 1)[1])
                    warnings[f"{name}: {message[:120]}"] += 1
    return errors, warnings


# -- the ORM, in this process, on one thread ------------------------------------------------------


def make_runs(n: int, speeds: list[tuple[str, float]]) -> list[tuple[str, str, str]]:
    """n runs of default-drop: (id, control token, speed); speeds by the given shares."""
    from lab.live.models import Run

    runs = new_runs(n)
    out, start = [], 0
    for i, (speed, share) in enumerate(speeds):
        count = n - start if i == len(speeds) - 1 else round(n * share)
        chunk = runs[start : start + count]
        Run.objects.filter(pk__in=[r for r, _ in chunk]).update(speed=speed)
        out += [(r, key, speed) for r, key in chunk]
        start += count
    return out


def owners() -> Counter[str]:
    """Runs with a live lease, by the owner's pid ('' for none)."""
    from django.db.models.functions import Now

    from lab.live.models import Run

    c: Counter[str] = Counter()
    rows = Run.objects.annotate(db_now=Now()).values_list("lease_owner", "lease_until", "db_now")
    for owner, until, now in rows:
        c[owner.split(":")[1] if owner and until is not None and until > now else ""] += 1
    return c


def logged_actions() -> int:
    from lab.live.models import RunAction

    return RunAction.objects.filter(action__do="type").count()


# -- the soak ------------------------------------------------------------------------------------


def slope_mb_per_min(ts: list[float], ys: list[float]) -> float:
    if len(ts) < 2:
        return float("nan")
    mt, my = statistics.fmean(ts), statistics.fmean(ys)
    var = sum((t - mt) ** 2 for t in ts)
    return sum((t - mt) * (y - my) for t, y in zip(ts, ys, strict=True)) / var * 60 if var else 0.0


def flatness(ts: list[float], ys: list[float]) -> tuple[float, float, float, float]:
    """(first-third mean, last-third mean, growth, slope MB/min)."""
    k = max(1, len(ys) // 3)
    first, last = statistics.fmean(ys[:k]), statistics.fmean(ys[-k:])
    return first, last, (last - first) / first, slope_mb_per_min(ts, ys)


async def soak_run(
    args: argparse.Namespace,
    a: LabServer,
    b: LabServer,
    pg: Postgres,
    redis: Redis,
    db: ThreadPoolExecutor,
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    main_task = asyncio.current_task()
    assert main_task is not None
    for sig in (signal.SIGINT, signal.SIGTERM):  # stop cleanly, even as a background job
        loop.add_signal_handler(sig, main_task.cancel)
    speeds = [(s, float(w)) for s, w in (x.split("=") for x in args.speeds.split(","))]
    runs = await loop.run_in_executor(db, make_runs, args.runs, speeds)
    servers = {"A": a, "B": b}
    socks: list[Sock] = []
    for j in range(max(args.clients, args.runs)):
        r = j % args.runs
        run_id, control, _ = runs[r]
        nth = j // args.runs
        name = "AB"[(r + nth) % 2]
        server = servers[name]
        key = control if nth == 0 else watch_token(control)
        url = f"ws://127.0.0.1:{server.port}/ws/runs/{run_id}/?key={key}"
        socks.append(Sock(j, name, url, server.url, run_id, control=nth == 0))
    soak = Soak()
    gate = asyncio.Semaphore(args.gate)
    pid_name = {str(a.proc.pid): "A", str(b.proc.pid): "B"}  # type: ignore[union-attr]
    assert redis.proc is not None

    print(
        f"{len(socks)} clients on {args.runs} runs "
        f"({', '.join(f'{s} {w:.0%}' for s, w in speeds)}), "
        f"{sum(s.server == 'A' for s in socks)} on A, {sum(s.server == 'B' for s in socks)} on B; "
        f"connecting ({args.gate} opens at once)"
    )
    sys.stdout.flush()
    t_connect = time.monotonic()
    tasks = [asyncio.create_task(keep_open(s, soak, gate)) for s in socks]
    tasks.append(asyncio.create_task(watch_stalls(socks, soak)))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(s.first.wait() for s in socks)), 600)
    connect_s = time.monotonic() - t_connect
    firsts = [s.first_ms for s in socks if s.first_ms is not None]
    print(
        f"connected: {len(firsts)}/{len(socks)} with a first frame in {connect_s:.1f} s; "
        f"open to first frame p50 {f1(pct(firsts, 50))} ms, p99 {f1(pct(firsts, 99))} ms; "
        f"errors so far {sum(soak.errors.values())}"
    )
    if args.act_every > 0:
        tasks += [asyncio.create_task(act(s, soak, args.act_every)) for s in socks if s.control]

    soak.tally = Tally()  # the connect phase is reported above, not in the first window
    soak.watching_stalls = True
    procs = {"A": a.proc.pid, "B": b.proc.pid, "redis": redis.proc.pid}  # type: ignore[union-attr]
    cpu_prev = {k: cpu_s_of(p) for k, p in procs.items()}
    client_prev = time.process_time()
    t0 = t_prev = time.monotonic()
    rows: list[dict[str, Any]] = []
    n = max(1, round(args.minutes * 60 / args.sample))
    header = (
        f"{'t':>5} {'socks':>5} {'fps':>6} {'/sock':>5} {'html/s':>6} {'late50':>6} "
        f"{'late99':>6} {'lateMax':>7} {'gap99':>6} {'lost s':>6} {'err':>4} {'A MB':>6} "
        f"{'B MB':>6} {'PG MB':>6} {'Rd MB':>6} {'cl MB':>6} {'A%':>4} {'B%':>4} {'Rd%':>4} "
        f"{'cl%':>4} {'load':>5} {'owners A/B/-':>12}"
    )
    print(header)
    for i in range(n):
        await asyncio.sleep(max(0.0, t0 + (i + 1) * args.sample - time.monotonic()))
        now = time.monotonic()
        tally, soak.tally = soak.tally, Tally()
        dt = now - t_prev
        t_prev = now
        cpu = {k: cpu_s_of(p) for k, p in procs.items()}
        client_cpu = time.process_time()
        own = await loop.run_in_executor(db, owners)
        open_socks = sum(1 for s in socks if s.ws is not None and s.ws.state.name == "OPEN")
        late, lost = window_lateness(tally, socks)
        row = {
            "t": now - t0,
            "socks": open_socks,
            "fps": tally.frames / dt,
            "fps_sock": tally.frames / dt / max(open_socks, 1),
            "html": tally.html / dt,
            "late50": pct(late, 50),
            "late99": pct(late, 99),
            "late_max": max(late, default=float("nan")),
            "clock_lost": statistics.median(lost) if lost else float("nan"),
            "gap99": pct(tally.gaps, 99),
            "errors": sum(tally.errors.values()),
            "rss_A": a.rss_mb(),
            "rss_B": b.rss_mb(),
            "rss_pg": pg_pss_mb(pg),
            "rss_redis": proc_kb(procs["redis"], "VmRSS:") / 1024,
            "rss_client": proc_kb(os.getpid(), "VmRSS:") / 1024,
            **{f"cpu_{k}": (cpu[k] - cpu_prev[k]) / dt * 100 for k in procs},
            "cpu_client": (client_cpu - client_prev) / dt * 100,
            "load": os.getloadavg()[0],
            "owners": "/".join(
                str(sum(v for p, v in own.items() if pid_name.get(p) == x)) for x in "AB"
            )
            + f"/{sum(v for p, v in own.items() if p not in pid_name)}",
        }
        cpu_prev, client_prev = cpu, client_cpu
        rows.append(row)
        print(
            f"{fmt_t(row['t']):>5} {row['socks']:>5} {row['fps']:>6.0f} {row['fps_sock']:>5.2f} "
            f"{row['html']:>6.0f} {f1(row['late50']):>6} {f1(row['late99']):>6} "
            f"{f1(row['late_max']):>7} {f1(row['gap99']):>6} {f1(row['clock_lost'] / 1e3):>6} "
            f"{row['errors']:>4} "
            f"{row['rss_A']:>6.1f} {row['rss_B']:>6.1f} {row['rss_pg']:>6.1f} "
            f"{row['rss_redis']:>6.1f} {row['rss_client']:>6.1f} {row['cpu_A']:>4.0f} "
            f"{row['cpu_B']:>4.0f} {row['cpu_redis']:>4.0f} {row['cpu_client']:>4.0f} "
            f"{row['load']:>5.2f} {row['owners']:>12}"
        )
        sys.stdout.flush()

    # Stop acting, let the last actions land, then count them in the log.
    soak.watching_stalls = False
    sent = soak.actions_sent
    for t in tasks[len(socks) + 1 :]:
        t.cancel()
    await asyncio.sleep(ACK_WAIT_S)  # every action is acknowledged or refused by then
    logged = await loop.run_in_executor(db, logged_actions)
    # An action answered by an error frame may or may not be in the log (the owner may have
    # logged it after the consumer gave up waiting); one with no answer must be there.
    for _ in range(max(0, sent - logged - soak.control_errors)):
        soak.error("action lost", "sent, not refused, not in the log")
    soak.running = False

    async def close(s: Sock) -> None:
        if s.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(s.ws.close(), 10)

    await asyncio.gather(*(close(s) for s in socks))
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "rows": rows,
        "soak": soak,
        "connect_s": connect_s,
        "firsts": firsts,
        "clients": len(socks),
        "sent": sent,
        "logged": logged,
    }


def fmt_t(seconds: float) -> str:
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


def report(
    args: argparse.Namespace, r: dict[str, Any], log_errors: list[str], warnings: Counter[str]
) -> bool:
    rows, soak = r["rows"], r["soak"]
    if log_errors:
        soak.errors["server log"] += len(log_errors)
    table(
        f"soak: {r['clients']} clients, {args.runs} runs, two servers on PostgreSQL + Redis, "
        f"a row every {args.sample:g} s (MB: RSS; PostgreSQL: PSS of all its processes)",
        [
            "t",
            "socks",
            "frames/s",
            "/sock",
            "html/s",
            "late p50",
            "late p99",
            "late max",
            "gap p99",
            "clock lost s",
            "errors",
            "A MB",
            "B MB",
            "PG MB",
            "Redis MB",
            "client MB",
            "A CPU%",
            "B CPU%",
            "Redis CPU%",
            "client CPU%",
            "load 1m",
            "owners A/B/-",
        ],
        [
            [
                fmt_t(x["t"]),
                str(x["socks"]),
                f"{x['fps']:.0f}",
                f"{x['fps_sock']:.2f}",
                f"{x['html']:.0f}",
                f1(x["late50"]),
                f1(x["late99"]),
                f1(x["late_max"]),
                f1(x["gap99"]),
                f1(x["clock_lost"] / 1e3),
                str(x["errors"]),
                f"{x['rss_A']:.1f}",
                f"{x['rss_B']:.1f}",
                f"{x['rss_pg']:.1f}",
                f"{x['rss_redis']:.1f}",
                f"{x['rss_client']:.1f}",
                f"{x['cpu_A']:.0f}",
                f"{x['cpu_B']:.0f}",
                f"{x['cpu_redis']:.0f}",
                f"{x['cpu_client']:.0f}",
                f"{x['load']:.2f}",
                x["owners"],
            ]
            for x in rows
        ],
    )
    total = sum(soak.errors.values())
    print(
        f"\nerrors: {total}"
        + (
            " (" + ", ".join(f"{k} {soak.errors[k]}" for k in ERROR_KINDS if soak.errors[k]) + ")"
            if total
            else ""
        )
    )
    for line in soak.examples + log_errors[:5]:
        print(f"  {line}")
    print(f"control actions: {r['sent']} sent, {r['logged']} in the log")
    for message, count in warnings.most_common(8):
        print(f"  server log warning x{count}: {message}")
    late99 = [x["late99"] for x in rows if x["late99"] == x["late99"]]
    print(
        f"lateness p99 per window: median {f1(statistics.median(late99) if late99 else 0)} ms, "
        f"worst {f1(max(late99, default=float('nan')))} ms (live.py's goal for one run per "
        f"socket: {LATE_REF_MS:g} ms); frames/s per socket, median "
        f"{statistics.median([x['fps_sock'] for x in rows]):.2f}"
    )
    print(
        f"load average 1m: mean {statistics.fmean(x['load'] for x in rows):.2f}, "
        f"max {max(x['load'] for x in rows):.2f} on {os.cpu_count()} CPUs"
    )

    kept = [x for x in rows if x["t"] > args.warmup] or rows
    ts = [x["t"] for x in kept]
    print(
        f"\nmemory after {args.warmup:g} s of warm-up ({len(kept)} samples): mean of the first "
        f"third -> last third (growth; least-squares slope)"
    )
    flat_ok: bool | None = True if len(kept) >= 3 else None  # None: too short to judge
    for key, label, judged in (
        ("rss_A", "server A", True),
        ("rss_B", "server B", True),
        ("rss_pg", "PostgreSQL", False),
        ("rss_redis", "Redis", False),
        ("rss_client", "client", False),
    ):
        first, last, growth, slope = flatness(ts, [x[key] for x in kept])
        ok = growth <= FLAT_TOLERANCE
        if judged and flat_ok is not None:
            flat_ok = flat_ok and ok
        mark = ("flat" if ok else "GROWS") + ("" if judged else " (not judged)")
        print(
            f"  {label:10} {first:7.1f} -> {last:7.1f} MB ({growth:+.1%}; "
            f"{slope:+.2f} MB/min)  {mark}"
        )

    lost = soak.errors["action lost"]
    r["goals"] = [
        ("0 errors", f"{total}", total == 0),
        ("0 actions lost or unacknowledged", f"{lost} of {r['sent']} sent", lost == 0),
        (
            f"flat memory (A and B: last third within {FLAT_TOLERANCE:.0%} of the first third, "
            "after warm-up; needs 3 samples or more)",
            "too short" if flat_ok is None else ("flat" if flat_ok else "grows"),
            flat_ok,
        ),
    ]
    print_goals(r["goals"])
    return total == 0 and bool(flat_ok)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--minutes", type=float, help="how long to soak (default 2; issue: 10)")
    ap.add_argument("--clients", type=int, help="websocket clients (default 1000)")
    ap.add_argument("--runs", type=int, help="live runs (default clients / 5)")
    ap.add_argument("--quick", action="store_true", help="1 minute, 200 clients, 40 runs")
    ap.add_argument(
        "--speeds",
        default="1x=0.8,10x=0.15,60x=0.05",
        help="speed=share of the runs, comma-separated (default 1x=0.8,10x=0.15,60x=0.05)",
    )
    ap.add_argument("--act-every", type=float, default=30.0, help="s between a control's actions")
    ap.add_argument("--sample", type=float, help="seconds per row (default 10; --quick 5)")
    ap.add_argument(
        "--warmup", type=float, help="s left out of the memory verdict (default 30; --quick 15)"
    )
    ap.add_argument("--gate", type=int, default=50, help="websocket opens in flight at once")
    ap.add_argument("--keep", action="store_true", help="keep the data dir (server logs)")
    ap.add_argument("--json", metavar="FILE", help="write the goals' figures to FILE (JSON)")
    ap.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="K=V",
        help="extra environment for both servers (experiments, e.g. LAB_LEASE_S=10)",
    )
    args = ap.parse_args()
    args.minutes = args.minutes or (1.0 if args.quick else 2.0)
    args.clients = args.clients or (200 if args.quick else 1000)
    args.runs = args.runs or max(1, args.clients // 5)
    args.sample = args.sample or (5.0 if args.quick else 10.0)
    if args.warmup is None:
        args.warmup = 15.0 if args.quick else 30.0

    try:
        import websockets  # noqa: F401
    except ImportError:
        print("benchmarks/soak.py needs the `websockets` package in .venv", file=sys.stderr)
        return 1

    root = new_root("lab-soak-")
    pg, redis = Postgres(root / "pg"), Redis(root / "redis")
    servers: list[tuple[str, LabServer]] = []
    db = ThreadPoolExecutor(1, thread_name_prefix="orm")
    try:
        pg.start()
        redis.start()
        env = {"DATABASE_URL": pg.url(), "REDIS_URL": redis.url}
        server_env = dict(kv.split("=", 1) for kv in args.server_env)
        for name in ("a", "b"):
            (root / name).mkdir()
            servers.append((name.upper(), LabServer(root / name, env={**env, **server_env})))
        servers[0][1].prepare()  # migrate + loadscenarios, once for the shared database
        for _, server in servers:
            server.start()
        os.environ.update(env)
        db.submit(django_setup, root / "a").result()
        print(
            f"soak: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average "
            f"{os.getloadavg()[0]:.2f} at the start; {args.minutes:g} min; servers A "
            f":{servers[0][1].port} and B :{servers[1][1].port} on PostgreSQL :{pg.port} and "
            f"Redis :{redis.port}; data in {root}"
            + (f"; server env {server_env}" if server_env else "")
        )
        sys.stdout.flush()
        r = asyncio.run(soak_run(args, servers[0][1], servers[1][1], pg, redis, db))
        for _, server in servers:
            server.stop()
        report(args, r, *server_log(servers))
        write_json(
            args.json, "soak", r["goals"], rows=r["rows"], sent=r["sent"], logged=r["logged"]
        )
    finally:
        for _, server in servers:
            server.stop()
        db.shutdown(wait=False)
        redis.stop()
        pg.stop()
        if args.keep:
            print(f"\ndata and server logs kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0  # goals are reported, not asserted (as the other benchmarks)


if __name__ == "__main__":
    sys.exit(main())
