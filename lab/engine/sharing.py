"""Max-min fair sharing of link capacity among flows (progressive filling).

Each flow asks for a demand in wire bit/s (None: as much as it can get, a loss-based TCP
sender in steady state) over a set of links; each link's capacity is split equally among
the flows still unfrozen on it. Cost O(flows x links) per call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def allocate(
    demands: Mapping[str, int | None],
    paths: Mapping[str, Sequence[str]],
    capacity: Mapping[str, int],
) -> dict[str, int]:
    rates: dict[str, int] = {}
    active = {f for f in demands if demands[f] != 0}
    for f in demands:
        if demands[f] == 0:
            rates[f] = 0
    remaining = dict(capacity)
    while active:
        count: dict[str, int] = {}
        for f in active:
            for link in paths[f]:
                count[link] = count.get(link, 0) + 1
        if not count:  # flows that cross no link: only their demand bounds them
            for f in active:
                rates[f] = demands[f] or 0
            break
        level = min(remaining[link] // n for link, n in count.items())
        small = [f for f in active if (d := demands[f]) is not None and d <= level]
        if small:
            frozen = {f: demands[f] or 0 for f in small}
        else:
            tight = min(count, key=lambda link: (remaining[link] // count[link], link))
            frozen = {f: level for f in active if tight in paths[f]}
        for f, rate in frozen.items():
            rates[f] = rate
            active.discard(f)
            for link in paths[f]:
                remaining[link] = max(0, remaining[link] - rate)
    return rates
