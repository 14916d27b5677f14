"""How fast the simulation engine runs: long runs, many flows, and the cost of `view()`.

Run it with

    ./dev bench benchmarks/engine.py
    # or: PYTHONPATH=. .venv/bin/python benchmarks/engine.py

A plain script: it prints tables and asserts nothing. Everything is measured in one run
with time.perf_counter, best of 3 where a run is cheap; a "run" is parse_scenario +
Simulation(...) + advance_to(until), i.e. what `labsim` does minus printing. The
concurrency table also runs the engine as it was at BASELINE_REV (before lanes), taken
from git into a temporary directory and run in a subprocess, so "before" and "after" are
measured side by side on the same machine; without git it prints "after" only. It takes
about 15 s on 2 cores, most of it in the 1000-flow run of the old engine.

Goals: the 4.5 h long-haul built-in at >= 100,000x real time; `view()` median < 50 us.
"""

from __future__ import annotations

import copy
import gc
import io
import json
import math
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from typing import Any, TypeVar

from lab.engine import Simulation, builtin_dict, parse_scenario
from lab.engine.spec import apply_overrides
from lab.engine.units import S

T = TypeVar("T")

# The engine before lanes (issue 3): every event re-shared and re-planned every flow.
BASELINE_REV = "a2a176396c9c803497da330f2c9b33b9bc6990be"
CONCURRENCY = (1, 10, 100, 1000)
LONG_HAUL_GOAL = 100_000  # simulated seconds per wall-clock second
VIEW_GOAL_US = 50.0
VIEW_CALLS = 10_000


def best_of(n: int, fn: Callable[[], T]) -> tuple[float, T]:
    """Smallest wall time of n calls (seconds) and the last call's result."""
    best = float("inf")
    result: T | None = None
    for _ in range(n):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    assert result is not None
    return best, result


def run(data: dict[str, Any]) -> Simulation:
    scenario = parse_scenario(data)
    sim = Simulation(scenario)
    sim.advance_to(scenario.until_us)
    return sim


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("  " + "  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    print("  " + "  ".join("-" * w for w in widths))
    for r in rows:
        print("  " + "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))
    sys.stdout.flush()


def hours(us: int) -> str:
    return f"{us / 3600 / S:g} h"


# -- the measurements ------------------------------------------------------------------------


def long_haul() -> dict[str, Any]:
    data = builtin_dict("long-haul")
    wall, sim = best_of(3, lambda: run(data))
    sim_s = sim.now / S
    out = {
        "until_us": sim.now,
        "wall_s": wall,
        "events": sim.loop.events_run,
        "trace": len(sim.events()),
        "ratio": sim_s / wall,
        "state": next(iter(sim.flows.values())).current.state,
    }
    table(
        "long-haul built-in (10 Mbit/s, 40 ms RTT, one 60 s outage, hourly rekeys)",
        ["simulated", "wall ms", "events run", "trace entries", "sim/real", "flow"],
        [
            [
                hours(out["until_us"]),
                f"{wall * 1e3:.2f}",
                str(out["events"]),
                str(out["trace"]),
                f"{out['ratio']:,.0f}x",
                out["state"],
            ]
        ],
    )
    return out


def cost_vs_duration() -> list[dict[str, Any]]:
    """The same long-haul, run 1 / 4 / 16 h with a download big enough to last."""
    base = builtin_dict("long-haul")
    rows = []
    for h in (1, 4, 16):
        data = apply_overrides(
            base, {"until_s": h * 3600, "flows.download.size_bytes": 5_000_000_000 * h}
        )
        wall, sim = best_of(3, lambda data=data: run(data))
        rows.append({"h": h, "wall_s": wall, "events": sim.loop.events_run, "now": sim.now})
    first = rows[0]
    table(
        "cost vs simulated duration (long-haul, size_bytes = 5 GB per hour, one outage at 1:30)",
        ["until", "wall ms", "events run", "us/event", "sim/real", "cost x", "events x"],
        [
            [
                f"{r['h']} h",
                f"{r['wall_s'] * 1e3:.2f}",
                str(r["events"]),
                f"{r['wall_s'] * 1e6 / r['events']:.1f}",
                f"{r['now'] / S / r['wall_s']:,.0f}x",
                f"{r['wall_s'] / first['wall_s']:.2f}",
                f"{r['events'] / first['events']:.2f}",
            ]
            for r in rows
        ],
    )
    return rows


def concurrent(n: int) -> dict[str, Any]:
    """default-drop with n copies of its download, started 10 ms apart, run to 600 s."""
    data = builtin_dict("default-drop")
    template = data["flows"][0]
    data["flows"] = [
        {
            **copy.deepcopy(template),
            "id": f"download-{i}",
            "client_port": 1135 + i,
            "start_s": template["start_s"] + 0.01 * i,
        }
        for i in range(n)
    ]
    data["until_s"] = 600
    data["expect"] = {}
    wall, sim = best_of(3 if n <= 100 else 1, lambda: run(data))
    states: dict[str, int] = {}
    for f in sim.flows.values():
        states[f.current.state] = states.get(f.current.state, 0) + 1
    return {
        "n": n,
        "wall_s": wall,
        "events": sim.loop.events_run,
        "heap": len(sim.loop._heap),
        "states": states,
    }


def baseline_concurrency() -> dict[int, dict[str, Any]]:
    """The concurrency rows measured on the engine at BASELINE_REV ({} without git)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        archive = subprocess.run(
            ["git", "-C", root, "archive", BASELINE_REV, "lab/__init__.py", "lab/engine"],
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        done = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--concurrency-json"],
            env={**os.environ, "PYTHONPATH": tmp},
            capture_output=True,
            text=True,
            check=True,
        )
    return {r["n"]: r for r in json.loads(done.stdout)}


def cost_vs_concurrency() -> list[dict[str, Any]]:
    rows = [concurrent(n) for n in CONCURRENCY]
    before = baseline_concurrency()
    for r in rows:
        old = before.get(r["n"])
        r["before_s"] = old["wall_s"] if old else None
        # same events and outcomes as before the change, or say so
        r["same"] = old is not None and (old["events"], old["states"]) == (r["events"], r["states"])

    def old(r: dict[str, Any], fmt: str) -> str:
        return (
            "n/a"
            if r["before_s"] is None
            else fmt.format(r["before_s"], r["before_s"] / r["wall_s"])
        )

    table(
        "cost vs concurrent TCP flows (default-drop, until 600 s; best of 3 up to 100 flows),"
        f" before = engine at {BASELINE_REV[:7]}",
        [
            "flows",
            "before s",
            "after s",
            "speed-up",
            "events run",
            "us/event",
            "same",
            "final states",
        ],
        [
            [
                str(r["n"]),
                old(r, "{0:.3f}"),
                f"{r['wall_s']:.3f}",
                old(r, "{1:.1f}x"),
                str(r["events"]),
                f"{r['wall_s'] * 1e6 / r['events']:.1f}",
                ("yes" if r["same"] else "NO") if r["before_s"] is not None else "n/a",
                ", ".join(f"{k} {v}" for k, v in sorted(r["states"].items())),
            ]
            for r in rows
        ],
    )
    return rows


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99, ordered[-1]


def view_cost() -> dict[str, Any]:
    """sim.view() at t = 200 s of preserve-both: as a UI polls it (nothing changed since
    the last call) and right after a change (the cached detail is rebuilt)."""
    data = builtin_dict("preserve-both")
    sim = Simulation(parse_scenario(data))
    sim.advance_to(200 * S)
    perf = time.perf_counter
    results = {}
    for label, touch in (("unchanged", False), ("after a change", True)):
        samples = []
        gc.collect()
        sim.view()
        for _ in range(VIEW_CALLS):
            if touch:
                sim.touch()
            t0 = perf()
            sim.view()
            samples.append((perf() - t0) * 1e6)
        results[label] = _percentiles(samples)
    table(
        f"sim.view() at 0:03:20 of preserve-both, {VIEW_CALLS:,} calls each",
        ["case", "median us", "p99 us", "max us"],
        [[k, f"{m:.2f}", f"{p:.2f}", f"{x:.1f}"] for k, (m, p, x) in results.items()],
    )
    return results


def config_import() -> list[dict[str, Any]]:
    """Issue #15: N x `crypto isakmp en-` / `able outside` (121 KB took 53 s when each kept
    line walked back over the others). Linear: 16x the text, about 16x the time."""
    from lab.engine.asaconfig import import_config

    rows = []
    for pairs in (1_000, 4_000, 16_000):
        text = "crypto isakmp en-\nable outside\n" * pairs
        wall, result = best_of(3, lambda text=text: import_config(text))
        rows.append({"kb": len(text) / 1000, "lines": 2 * pairs, "wall_s": wall})
        assert not result.errors
    table(
        "config import (issue #15's input: kept lines that are not in the rank table)",
        ["text", "lines", "wall ms", "us/line"],
        [
            [
                f"{r['kb']:.0f} KB",
                str(r["lines"]),
                f"{r['wall_s'] * 1e3:.1f}",
                f"{r['wall_s'] * 1e6 / r['lines']:.1f}",
            ]
            for r in rows
        ],
    )
    return rows


def main() -> None:
    t0 = time.perf_counter()
    print(f"engine benchmark: Python {sys.version.split()[0]}, time.perf_counter")
    lh = long_haul()
    dur = cost_vs_duration()
    conc = cost_vs_concurrency()
    view = view_cost()
    imports = config_import()
    total = time.perf_counter() - t0

    d1, d16 = dur[0], dur[-1]
    c1, c1000 = conc[0], conc[-1]
    c100 = conc[2]
    view_median, view_p99, _ = view["unchanged"]
    dirty_median = view["after a change"][0]

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    table(
        "summary",
        ["measure", "value", "goal", ""],
        [
            [
                "long-haul simulated/real",
                f"{lh['ratio']:,.0f}x",
                f">= {LONG_HAUL_GOAL:,}x",
                verdict(lh["ratio"] >= LONG_HAUL_GOAL),
            ],
            ["long-haul wall time", f"{lh['wall_s'] * 1e3:.2f} ms", "", ""],
            [
                "16 h / 1 h cost (events)",
                f"{d16['wall_s'] / d1['wall_s']:.2f}x ({d16['events'] / d1['events']:.2f}x)",
                "well under 16x (duration)",
                verdict(d16["wall_s"] / d1["wall_s"] < 16 / 2),
            ],
            [
                "us/event, 1 -> 1000 flows",
                f"{c1['wall_s'] * 1e6 / c1['events']:.0f}"
                f" -> {c1000['wall_s'] * 1e6 / c1000['events']:,.0f}",
                "flat would be linear",
                "",
            ],
            [
                "1000 / 100 flows wall time",
                f"{c1000['wall_s'] / c100['wall_s']:.0f}x",
                "10x if linear",
                f"~ n^{math.log10(c1000['wall_s'] / c100['wall_s']):.1f}",
            ],
            [
                "1000 flows, before -> after",
                "n/a"
                if c1000["before_s"] is None
                else f"{c1000['before_s']:.2f} s -> {c1000['wall_s']:.2f} s"
                f" ({c1000['before_s'] / c1000['wall_s']:.0f}x)",
                "",
                "",
            ],
            [
                "view() median, unchanged",
                f"{view_median:.2f} us",
                f"< {VIEW_GOAL_US:g} us",
                verdict(view_median < VIEW_GOAL_US),
            ],
            ["view() p99, unchanged", f"{view_p99:.2f} us", "", ""],
            [
                "view() median, after a change",
                f"{dirty_median:.2f} us",
                f"< {VIEW_GOAL_US:g} us",
                verdict(dirty_median < VIEW_GOAL_US),
            ],
            [
                "import 16x the config text",
                f"{imports[-1]['wall_s'] / imports[0]['wall_s']:.1f}x the time",
                "~16x (linear)",
                verdict(imports[-1]["wall_s"] / imports[0]["wall_s"] < 32),
            ],
            ["benchmark wall time", f"{total:.1f} s", "< 60 s", verdict(total < 60)],
        ],
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["--concurrency-json"]:  # the baseline half of cost_vs_concurrency
        print(json.dumps([concurrent(n) for n in CONCURRENCY]))
    else:
        main()
