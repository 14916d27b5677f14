"""The syslog buffer keeps the newest lines within `logging buffer-size`, at O(1) a line."""

from __future__ import annotations

from lab.engine.gateway import LOG_LINE_OVERHEAD, LogBuffer
from lab.engine.syslog import LogLine


def line(i: int) -> LogLine:
    return LogLine(i, "bo-asa", 111008, 5, "User 'enable_15' executed the 'clear' command.")


def test_it_drops_the_oldest_lines_past_the_limit() -> None:
    buf = LogBuffer()
    cost = len(line(0).text) + LOG_LINE_OVERHEAD

    for i in range(100):
        buf.append(line(i), limit=10 * cost)

    assert [x.t_us for x in buf] == list(range(90, 100))
    assert buf.size == sum(len(x.text) + LOG_LINE_OVERHEAD for x in buf) <= 10 * cost


def test_a_50_mb_buffer_takes_a_hundred_thousand_lines_and_clears() -> None:
    buf = LogBuffer()

    for i in range(100_000):
        buf.append(line(i), limit=52_428_800)

    assert len(buf) == 100_000
    buf.clear()
    assert len(buf) == 0 and buf.size == 0 and not buf
