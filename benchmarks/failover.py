"""Failover under load: kill -9 the owner of R live runs; do they all come back in 5 s?

Run it with

    ./dev bench benchmarks/failover.py              # 500 runs (issue #16)
    ./dev bench benchmarks/failover.py --quick      # 100 runs
    # or: PYTHONPATH=. .venv/bin/python benchmarks/failover.py [--runs R] [--json FILE]

As benchmarks/soak.py: a throwaway PostgreSQL and redis-server on 127.0.0.1 and two daphne
processes A and B sharing them. R runs of `default-drop` at 1x. Each run is opened first by
a watcher on A, so A's consumer claims it and A owns every run; then each gets a control
socket on B, which follows the run through Redis and types `show clock` every --act-every
seconds (logged, acknowledged, or answered by an error frame when the owner is gone).
After --settle seconds A is killed with SIGKILL. B's monitor claims the expired leases,
replays each run and carries on. Measured, from the kill:

- recovery: per run, the wall time from the kill to the end of the longest silence (over
  1 s without a progress frame) on B's socket, 0 if frames never stopped (a run B already
  owned), never if they did not come back; and who owns the runs at the end (B, by the
  leases in PostgreSQL);
- time going back: any progress frame on B's sockets with a smaller (epoch, t_us) than the
  one before it;
- actions: sent, answered by an error frame, and in the log; lost = sent - errors - logged.

Goals (issue #16): every run owned again and sending frames within 5 s, no action lost, no
watcher sees time go back. Figures are printed with the load average: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._goals import print_goals, write_json  # noqa: E402
from benchmarks.live import LabServer, django_setup, f1, new_runs, pct, watch_token  # noqa: E402
from benchmarks.soak import logged_actions, owners  # noqa: E402
from tests.scaleout.servers import Postgres, Redis, new_root  # noqa: E402

GOAL_S = 5.0
SILENCE_S = 1.0  # a gap between two progress frames (5 a second) this long is an outage
ACTION = {"action": "type", "device": "bo-asa", "line": "show clock"}
ACK_WAIT_S = 9.0  # lab.live.consumers.ACK_S and a second


@dataclass
class Sock:
    url: str
    origin: str
    control: bool
    ws: Any = None
    frames: list[tuple[float, int, int]] = field(default_factory=list)  # (wall, epoch, t_us)
    errors: int = 0
    sent: int = 0
    first: asyncio.Event = field(default_factory=asyncio.Event)
    closed: str | None = None


async def follow(s: Sock, gate: asyncio.Semaphore) -> None:
    from websockets.asyncio.client import connect

    try:
        async with gate:
            s.ws = await connect(
                s.url, origin=s.origin, open_timeout=120, ping_interval=None, max_size=None
            )  # type: ignore[arg-type]
        async for msg in s.ws:
            if isinstance(msg, bytes) or msg[:1] != "{":
                continue
            d = json.loads(msg)
            if d.get("type") == "progress":
                s.frames.append((time.monotonic(), d["epoch"], d["t_us"]))
                s.first.set()
            elif d.get("type") == "error":
                s.errors += 1
    except Exception as exc:  # noqa: BLE001 - reported
        s.closed = f"{type(exc).__name__}: {exc}"
    finally:
        s.first.set()


async def act(s: Sock, every: float, stop: asyncio.Event) -> None:
    await asyncio.sleep(random.uniform(0, every))
    while not stop.is_set():
        with contextlib.suppress(Exception):
            await s.ws.send(json.dumps(ACTION))
            s.sent += 1
        await asyncio.sleep(every)


def recovered_after(s: Sock, t_kill: float, t_end: float) -> float:
    """When, after the kill, the run's frames came back: the end of the longest silence
    (over SILENCE_S) from a second before the kill; 0 when frames never stopped; inf when
    they stopped and never came back. Frames still in flight from the dead owner count as
    before the silence, wherever they land."""
    walls = [w for w, _, _ in s.frames if w >= t_kill - 1.0]
    if not walls or walls[-1] < t_end - SILENCE_S:
        return float("inf")
    gap, end = max(((b - a, b) for a, b in zip(walls, walls[1:], strict=False)), default=(0, 0))
    return end - t_kill if gap > SILENCE_S else 0.0


async def run(args: argparse.Namespace, a: LabServer, b: LabServer) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    db = ThreadPoolExecutor(1)
    runs = await loop.run_in_executor(db, new_runs, args.runs)
    gate = asyncio.Semaphore(args.gate)
    on_a = [
        Sock(f"ws://127.0.0.1:{a.port}/ws/runs/{r}/?key={watch_token(k)}", a.url, False)
        for r, k in runs
    ]
    on_b = [Sock(f"ws://127.0.0.1:{b.port}/ws/runs/{r}/?key={k}", b.url, True) for r, k in runs]
    tasks = [asyncio.create_task(follow(s, gate)) for s in on_a]
    await asyncio.wait_for(asyncio.gather(*(s.first.wait() for s in on_a)), 600)
    tasks += [asyncio.create_task(follow(s, gate)) for s in on_b]
    await asyncio.wait_for(asyncio.gather(*(s.first.wait() for s in on_b)), 600)
    before = await loop.run_in_executor(db, owners)
    stop = asyncio.Event()
    actors = [asyncio.create_task(act(s, args.act_every, stop)) for s in on_b]
    await asyncio.sleep(args.settle)
    load = os.getloadavg()[0]
    assert a.proc is not None
    a.proc.kill()  # SIGKILL: no goodbye, its leases simply stop being renewed
    t_kill = time.monotonic()
    print(f"killed A (pid {a.proc.pid}) owning {before.get(str(a.proc.pid), 0)} runs")
    sys.stdout.flush()
    await asyncio.sleep(args.after)
    stop.set()
    for t in actors:
        t.cancel()
    await asyncio.sleep(ACK_WAIT_S)
    after = await loop.run_in_executor(db, owners)
    logged = await loop.run_in_executor(db, logged_actions)
    for s in on_b:
        if s.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(s.ws.close(), 5)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    db.shutdown()

    recovery, back = [], 0
    for s in on_b:
        recovery.append(recovered_after(s, t_kill, t_kill + args.after))
        marks = [(e, t) for _, e, t in s.frames]
        back += sum(1 for x, y in zip(marks, marks[1:], strict=False) if y < x)
    b_pid = str(b.proc.pid) if b.proc else ""
    sent = sum(s.sent for s in on_b)
    errors = sum(s.errors for s in on_b)
    return {
        "runs": len(runs),
        "owned_by_a_before": before.get(str(a.proc.pid), 0),
        "owned_by_b_after": after.get(b_pid, 0),
        "recovery": recovery,
        "back": back,
        "sent": sent,
        "errors": errors,
        "logged": logged,
        "lost": max(0, sent - errors - logged),
        "closed_on_b": sum(1 for s in on_b if s.closed),
        "load_at_kill": load,
    }


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, help="live runs owned by A (default 500; --quick 100)")
    ap.add_argument("--quick", action="store_true", help="100 runs")
    ap.add_argument("--settle", type=float, default=5.0, help="s of steady play before the kill")
    ap.add_argument("--after", type=float, default=15.0, help="s measured after the kill")
    ap.add_argument("--act-every", type=float, default=3.0, help="s between a control's actions")
    ap.add_argument("--gate", type=int, default=50, help="websocket opens in flight at once")
    ap.add_argument("--keep", action="store_true", help="keep the data dir (server logs)")
    ap.add_argument("--json", metavar="FILE", help="write the goals' figures to FILE (JSON)")
    args = ap.parse_args()
    args.runs = args.runs or (100 if args.quick else 500)

    root = new_root("lab-failover-")
    pg, redis = Postgres(root / "pg"), Redis(root / "redis")
    servers: list[LabServer] = []
    try:
        pg.start()
        redis.start()
        env = {"DATABASE_URL": pg.url(), "REDIS_URL": redis.url}
        for name in ("a", "b"):
            (root / name).mkdir()
            servers.append(LabServer(root / name, env=env))
        servers[0].prepare()
        for server in servers:
            server.start()
        os.environ.update(env)
        django_setup(root / "a")
        print(
            f"failover: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
            f"{args.runs} runs at 1x owned by A, a control socket each on B; kill -9 A after "
            f"{args.settle:g} s; data in {root}"
        )
        sys.stdout.flush()
        r = asyncio.run(run(args, *servers))
    finally:
        for server in servers:
            server.stop()
        redis.stop()
        pg.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    rec = r["recovery"]
    done = [x for x in rec if x != float("inf")]
    print(
        f"\nrecovery after kill -9 of the owner of {r['owned_by_a_before']} runs "
        f"(load average {r['load_at_kill']:.2f} at the kill): "
        f"{len(done)}/{len(rec)} runs sending frames again; p50 {f1(pct(done, 50))} s, "
        f"p99 {f1(pct(done, 99))} s, max {f1(max(done, default=float('nan')))} s; "
        f"owned by B at the end: {r['owned_by_b_after']}"
    )
    print(
        f"actions: {r['sent']} sent, {r['errors']} answered by an error frame, {r['logged']} "
        f"in the log, lost {r['lost']}; frames going back in time: {r['back']}; "
        f"sockets on B closed: {r['closed_on_b']}"
    )
    worst = max(rec, default=float("inf"))
    goals = [
        (
            f"every run owned again and sending frames within {GOAL_S:g} s",
            f"{len(done)}/{len(rec)} back, max {f1(worst)} s, {r['owned_by_b_after']} owned by B",
            worst <= GOAL_S and r["owned_by_b_after"] == r["runs"],
        ),
        ("no action lost", f"{r['lost']} of {r['sent']}", r["lost"] == 0),
        ("no watcher sees time go back", f"{r['back']} frames", r["back"] == 0),
    ]
    print_goals(goals)
    write_json(args.json, "failover", goals, **{k: v for k, v in r.items() if k != "recovery"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
