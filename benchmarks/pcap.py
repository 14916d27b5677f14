"""How fast a packet capture is exported (lab/engine/pcap.py).

Run it with

    ./dev bench benchmarks/pcap.py
    # or: PYTHONPATH=. .venv/bin/python benchmarks/pcap.py

A plain script: it prints a table and asserts nothing. Each case is the best of 3 calls of
`pcap.export` (replay of the run up to the window's end, synthesis, ESP, libpcap bytes),
plus the replay alone, so the difference is what making the packets costs.

Goal (issue 8): 60 s of a 10 Mbit/s flow on the encrypted link in under 2 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from lab.engine import builtin_dict, parse_scenario
from lab.engine.pcap import export, replay
from lab.engine.units import S

T = TypeVar("T")
GOAL_S = 2.0

CASES = [
    # (label, scenario, link, from s, to s)
    ("60 s steady, internet (ESP)", "default-drop", "internet", 30, 90),
    ("60 s steady, ho-inside (clear)", "default-drop", "ho-inside", 30, 90),
    ("60 s across the outage, internet", "preserve-both", "internet", 100, 160),
    ("60 s late in long-haul, internet (ESP)", "long-haul", "internet", 9000, 9060),
]


def best_of(n: int, fn: Callable[[], T]) -> tuple[float, T]:
    best, value = float("inf"), None
    for _ in range(n):
        t0 = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t0)
    assert value is not None
    return best, value


def main() -> None:
    print(f"{'case':40} {'packets':>8} {'MB':>6} {'replay s':>9} {'total s':>8} {'pkt/s':>9}")
    for label, slug, link, a, b in CASES:
        scenario = parse_scenario(builtin_dict(slug))
        t_replay, _ = best_of(3, lambda: replay(scenario, None, [], b * S))  # noqa: B023
        t_total, cap = best_of(3, lambda: export(scenario, None, [], link, a * S, b * S))  # noqa: B023
        rate = cap.packets / t_total if t_total else 0.0
        print(
            f"{label:40} {cap.packets:8d} {len(cap.pcap) / 1e6:6.1f} "
            f"{t_replay:9.3f} {t_total:8.3f} {rate:9.0f}"
        )
    print(f"goal: 60 s of a 10 Mbit/s flow on the encrypted link in < {GOAL_S:.0f} s")


if __name__ == "__main__":
    main()
