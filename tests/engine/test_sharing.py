"""Max-min sharing over lanes: a lane of n identical flows is one weighted entry, and it
gets exactly what each of its flows would get as separate entries."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lab.engine import sharing

LINKS = ("a", "b", "c")
paths = st.lists(st.sampled_from(LINKS), min_size=1, max_size=3, unique=True)
demand = st.one_of(st.none(), st.integers(0, 5_000_000))


def test_it_splits_a_bottleneck_fairly_and_gives_the_rest_to_the_unlimited() -> None:
    rates = sharing.allocate(
        {"small": 1_000, "big": None, "lane": None},
        {"small": ["a"], "big": ["a"], "lane": ["a"]},
        {"a": 10_000},
        {"lane": 3},
    )
    assert rates == {"small": 1_000, "big": 2_250, "lane": 2_250}


@settings(max_examples=200, deadline=None)
@given(
    entries=st.lists(st.tuples(paths, demand, st.integers(1, 5)), min_size=1, max_size=6),
    capacity=st.tuples(*(st.integers(0, 10_000_000) for _ in LINKS)),
)
def test_a_weighted_entry_gets_what_each_of_its_members_would(
    entries: list[tuple[list[str], int | None, int]], capacity: tuple[int, ...]
) -> None:
    cap = dict(zip(LINKS, capacity, strict=True))
    demands = {i: d for i, (_, d, _) in enumerate(entries)}
    weighted = sharing.allocate(
        demands,
        {i: p for i, (p, _, _) in enumerate(entries)},
        cap,
        {i: w for i, (_, _, w) in enumerate(entries)},
    )
    members = {(i, j): e for i, e in enumerate(entries) for j in range(e[2])}
    expanded = sharing.allocate(
        {k: e[1] for k, e in members.items()}, {k: e[0] for k, e in members.items()}, cap
    )
    for (i, _), rate in expanded.items():
        assert rate == weighted[i]
    for link in LINKS:  # and never more than a link carries
        used = sum(weighted[i] * w for i, (p, _, w) in enumerate(entries) if link in p)
        assert used <= cap[link]
