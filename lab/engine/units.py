"""Simulated time and size units.

Simulated time is an integer count of microseconds everywhere in the engine; floats never
touch the clock. Rates are integer bits per second, sizes integer bytes.
"""

from __future__ import annotations

US = 1
MS = 1_000
S = 1_000_000
MIN = 60 * S
HOUR = 60 * MIN


def seconds(value: float) -> int:
    """Convert seconds (as a user writes them) to integer microseconds."""
    return round(value * S)


def to_seconds(t_us: int) -> float:
    return t_us / S


def bytes_at_rate(rate_bps: int, dt_us: int) -> int:
    """Bytes a stream at `rate_bps` carries in `dt_us`, rounded down."""
    return rate_bps * dt_us // (8 * S)


def time_for_bytes(rate_bps: int, nbytes: int) -> int:
    """Microseconds needed to carry `nbytes` at `rate_bps`, rounded up."""
    return -(-nbytes * 8 * S // rate_bps)


def hms(t_us: int) -> str:
    """`h:mm:ss` as the ASA prints durations (302014 `duration 0:00:36`)."""
    total = t_us // S
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


def parse_hms(text: str) -> int:
    """Parse an ASA `h:mm:ss` timeout into microseconds; raise ValueError when malformed."""
    parts = text.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"expected h:mm:ss, got {text!r}")
    h, m, s = (int(p) for p in parts)
    if m > 59 or s > 59:
        raise ValueError(f"minutes and seconds must be below 60 in {text!r}")
    return (h * 3600 + m * 60 + s) * S
