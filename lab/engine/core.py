"""The discrete-event core: integer clock, event heap, trace (after SimPy).

The heap is keyed by (time, sequence): events due at the same instant run in the order
they were scheduled, which is what makes runs reproducible. A timer is cancelled by
flagging it; the heap drops it when it surfaces.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

COMPACT_EVERY = 4096  # pushes between checks for cancelled timers


class Timer:
    __slots__ = ("t", "cancelled")

    def __init__(self, t: int) -> None:
        self.t = t
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class EventLoop:
    def __init__(self) -> None:
        self.now = 0
        self._heap: list[tuple[int, int, Timer, Callable[..., None], tuple[Any, ...]]] = []
        self._seq = 0
        self.events_run = 0
        self.trace: list[dict[str, Any]] = []

    def at(self, t: int, fn: Callable[..., None], *args: Any) -> Timer:
        """Run fn(*args) at simulated time t (never in the past)."""
        t = max(t, self.now)
        timer = Timer(t)
        self._seq += 1
        heapq.heappush(self._heap, (t, self._seq, timer, fn, args))
        if self._seq % COMPACT_EVERY == 0:
            self._compact()
        return timer

    def _compact(self) -> None:
        """Drop cancelled timers once they are most of the heap (as stdlib event loops do)."""
        live = [entry for entry in self._heap if not entry[2].cancelled]
        if len(live) * 2 < len(self._heap):
            heapq.heapify(live)
            self._heap[:] = live  # in place: run_until holds a reference to this list

    def after(self, dt: int, fn: Callable[..., None], *args: Any) -> Timer:
        return self.at(self.now + dt, fn, *args)

    def next_deadline(self) -> int | None:
        heap = self._heap
        while heap and heap[0][2].cancelled:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def run_until(self, t: int) -> None:
        heap = self._heap
        while heap:
            when, _, timer, fn, args = heap[0]
            if when > t:
                break
            heapq.heappop(heap)
            if timer.cancelled:
                continue
            self.now = when
            timer.cancelled = True  # fired: cancelling it later is harmless
            self.events_run += 1
            fn(*args)
        self.now = max(self.now, t)

    def record(self, event_type: str, **fields: Any) -> None:
        self.trace.append({"t_us": self.now, "type": event_type, **fields})


def cancel(timer: Timer | None) -> None:
    if timer is not None:
        timer.cancel()
