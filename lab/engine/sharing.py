"""Max-min fair sharing of link capacity among flows (progressive filling).

Each entry asks for a demand in wire bit/s per member (None: as much as it can get, a
loss-based TCP sender in steady state) over a set of links, for `weights[key]` identical
members (1 when not given); each link's capacity is split equally among the members still
unfrozen on it. Identical members always get the same rate, so a lane of n steady flows
is one entry of weight n and gets exactly what each of its n flows would get alone.
Cost O(entries x links) per round, a round freezing at least one entry.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def allocate(
    demands: Mapping[K, int | None],
    paths: Mapping[K, Sequence[str]],
    capacity: Mapping[str, int],
    weights: Mapping[K, int] | None = None,
) -> dict[K, int]:
    """Rate per member of each entry, in the order of `demands`."""
    weight = weights or {}
    rates: dict[K, int] = {}
    active = [f for f in demands if demands[f] != 0]  # a list: the result must not hang on hashes
    for f in demands:
        if demands[f] == 0:
            rates[f] = 0
    remaining = dict(capacity)
    while active:
        count: dict[str, int] = {}
        for f in active:
            for link in paths[f]:
                count[link] = count.get(link, 0) + weight.get(f, 1)
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
            for link in paths[f]:
                remaining[link] = max(0, remaining[link] - rate * weight.get(f, 1))
        active = [f for f in active if f not in frozen]
    return {f: rates[f] for f in demands}
