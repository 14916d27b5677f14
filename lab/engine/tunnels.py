"""IKE/IPsec tunnel lifecycle between two gateways: the state table and the tunnel record.

Theory of operation: a tunnel is `down` until an interesting packet reaches a gateway
that has no SA for it; that gateway initiates main mode (6 messages) and quick mode
(3 messages), timed on the real WAN path, and both ends get their half of the SA pair at
once. The initiator rekeys at 90 % of the lifetime (seconds or kilobytes, the lower of the
two ends' values), make-before-break. SAs disappear by DPD (peer silent for
threshold + 4 x retry), by `clear crypto ...`, by hard lifetime expiry after a failed
rekey, or with their IKE SA when it expires (lifetime 0: never). Each end tears down its
own conns when its SA goes, unless that SA's vpn-context carried PRESERVE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .spec import Tunnel
from .units import S

IKE_MAIN_MODE_MESSAGES = 6  # RFC 2409 / S13
IKE_QUICK_MODE_MESSAGES = 3
# [U] How long an initiator keeps retransmitting a negotiation that gets no answer before
# it gives up (the next interesting packet starts a new one). Our choice: 30 s.
IKE_NEGOTIATION_TIMEOUT_US = 30 * S
# [U] Initiator soft lifetime: 90 % (reference section 5: responder arms at 95 %, V).
REKEY_PERCENT = 90
# DPD: first R-U-THERE after `threshold` s of silence, resent every `retry` s up to 3
# times, dead one retry later: threshold + 4 x retry (reference section 5, estimate).
DPD_RETRIES = 3

TRANSITIONS: dict[str, dict[str, str]] = {
    "down": {"trigger": "negotiating"},
    "negotiating": {"established": "up", "failed": "down", "deleted": "down"},
    "up": {"rekey": "rekeying", "deleted": "down"},
    "rekeying": {"established": "up", "failed": "up", "deleted": "down"},
}


def next_state(state: str, event: str) -> str:
    try:
        return TRANSITIONS[state][event]
    except KeyError:
        raise ValueError(f"tunnel in {state!r} cannot take {event!r}") from None


@dataclass
class TunnelRun:
    spec: Tunnel
    wan_links: tuple[str, ...]
    wan_rtt_us: int
    state: str = "down"
    initiator: str = ""
    ike_keys: Any = None
    ike_created_us: int = 0
    neg_started_us: int = 0
    msgid: int = 0
    bytes_total: int = 0  # inner bytes carried, settled
    rate_bps: int = 0
    settled_at: int = 0
    timers: dict[str, Any] = field(default_factory=dict)  # name -> Timer
    history: list[dict[str, Any]] = field(default_factory=list)  # [{t_us, state, cause}]
    dpd: dict[str, Any] = field(default_factory=dict)  # gateway id -> Timer

    @property
    def id(self) -> str:
        return self.spec.id

    def carried(self, now: int) -> int:
        return self.bytes_total + self.rate_bps * (now - self.settled_at) // (8 * S)

    def settle(self, now: int) -> None:
        self.bytes_total = self.carried(now)
        self.settled_at = now
