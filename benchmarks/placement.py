"""Where should a run's engine work go: the event loop with a budget, or a thread?

    PYTHONPATH=. .venv/bin/python benchmarks/placement.py [--seconds 10]

One process, as a lab server is: an asyncio loop with a "normal run" ticking every
200 ms (what 5 progress frames a second need), next to the crafted dense scenario of issue
#15 (~8,000 engine events per simulated second) played at 1x, three ways:

- loop, no budget: `advance_to(target)` on the loop each tick (the lab before the budgets);
- loop, budget: lab.live.host.CpuBudget (a quarter of a core per tick, 5 ms slices);
- thread: each tick's `advance_to(target)` in a worker thread (asyncio.to_thread), the
  loop free meanwhile but sharing the GIL with it.

Printed for each: the normal ticker's lateness (p50/p99/max ms) and the dense run's speed
(simulated seconds per wall second). Measured side by side, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lab.settings")


def dense() -> dict[str, Any]:
    from lab.engine.library import builtin_dict

    d = copy.deepcopy(builtin_dict("default-drop"))
    for link in d["topology"]["links"]:
        link.update(rate_bps=1_000_000_000, delay_us=1)
    for node in d["topology"]["nodes"]:
        if node["kind"] == "asa":
            node["config"].append("crypto ipsec security-association lifetime kilobytes 10")
    d["events"] = []
    return d


async def ticker(out: list[float], stop: asyncio.Event) -> None:
    nxt = time.monotonic()
    while not stop.is_set():
        nxt += 0.2
        await asyncio.sleep(max(nxt - time.monotonic(), 0))
        out.append((time.monotonic() - nxt) * 1e3)


async def trial(mode: str, seconds: float) -> tuple[list[float], float]:
    from lab.engine.run import Runtime
    from lab.live.host import CpuBudget

    rt = Runtime(dense(), 1)
    rt.advance_to(2_000_000)  # the download has started: events from here on
    t0_sim, t0 = rt.now, time.monotonic()
    late: list[float] = []
    stop = asyncio.Event()
    tick = asyncio.create_task(ticker(late, stop))
    budget = CpuBudget()
    end = t0 + seconds
    while time.monotonic() < end:
        target = t0_sim + int((time.monotonic() - t0) * 1_000_000)
        if mode == "loop, no budget":
            rt.advance_to(target)
            await asyncio.sleep(0.2)
        elif mode == "thread":
            await asyncio.to_thread(rt.advance_to, target)
            await asyncio.sleep(0)
        else:
            if not budget.slice(lambda n, t=target: rt.advance_to(t, n)):  # type: ignore[misc]
                await asyncio.sleep(
                    0 if not budget.exhausted else budget.tick_end - time.monotonic()
                )
            else:
                await asyncio.sleep(0.2)
    stop.set()
    await tick
    return late, (rt.now - t0_sim) / 1e6 / (time.monotonic() - t0)


def main() -> int:
    import django

    django.setup()
    from benchmarks.live import f1, pct

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    print(
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; {args.seconds:g} s each"
    )
    print(
        f"  {'placement':18} {'late p50 ms':>11} {'p99 ms':>8} {'max ms':>8} {'dense plays at':>15}"
    )
    for mode in ("loop, no budget", "loop, budget", "thread"):
        late, rate = asyncio.run(trial(mode, args.seconds))
        print(
            f"  {mode:18} {f1(pct(late, 50)):>11} {f1(pct(late, 99)):>8} "
            f"{f1(max(late)):>8} {rate:>14.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
