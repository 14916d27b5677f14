"""IKE/IPsec tunnel lifecycle between two gateways: the state table and the tunnel record.

Theory of operation: a tunnel is `down` until an interesting packet reaches a gateway
that has no SA for it; that gateway initiates main mode (6 messages) and quick mode
(3 messages), or with IKEv2 IKE_SA_INIT + IKE_AUTH (4 messages, the first child SA with
them; RFC 7296 1.2), timed on the real WAN path, and both ends get their half of the SA
pair at once. IKEv2 rekeys child and IKE SAs with CREATE_CHILD_SA (2 messages). A pair
that cannot agree (ikepolicy.py) stalls at the message the real pair stalls at
(ikestall.py, with the main-mode state tables below) until the negotiation times out.
The initiator rekeys at 90 % of the lifetime (seconds or kilobytes, the lower of the two
ends' values), make-before-break. SAs disappear by DPD (peer silent for
threshold + 4 x retry), by `clear crypto ...`, by hard lifetime expiry after a failed
rekey, or with their IKEv1 SA when it expires (lifetime 0: never; an IKEv2 SA rekeys).
Each end tears down its own conns when its SA goes, unless that SA's vpn-context carried
PRESERVE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .spec import Tunnel
from .units import S

IKE_MAIN_MODE_MESSAGES = 6  # RFC 2409 / S13
IKE_QUICK_MODE_MESSAGES = 3
IKEV2_INIT_AUTH_MESSAGES = 4  # IKE_SA_INIT 2 + IKE_AUTH 2 (RFC 7296 1.2)
IKEV2_CREATE_CHILD_MESSAGES = 2  # RFC 7296 1.3
# Main-mode states by the number of messages that reached their receiver (S13, tunnelsup
# "ISAKMP status messages"): the responder has no SA before MM1 arrives.
MM_INITIATOR = (
    "MM_WAIT_MSG2",
    "MM_WAIT_MSG2",
    "MM_WAIT_MSG4",
    "MM_WAIT_MSG4",
    "MM_WAIT_MSG6",
    "MM_WAIT_MSG6",
    "MM_ACTIVE",
)
MM_RESPONDER = (
    None,
    "MM_WAIT_MSG3",
    "MM_WAIT_MSG3",
    "MM_WAIT_MSG5",
    "MM_WAIT_MSG5",
    "MM_ACTIVE",
    "MM_ACTIVE",
)
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
    version: int = 0  # IKE version of the current IKE SA or negotiation (1 or 2)
    plan: Any = None  # ikepolicy.Plan of the negotiation under way
    sent_us: int | None = None  # when the exchange under way left (None: not on the wire)
    reached: int | None = None  # messages delivered when the path broke mid-exchange
    responder_holds: bool = False  # the responder keeps a half-built IKE SA
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
