"""Syslog messages with their real IDs, severities and formats, and the device buffer.

Formats follow the ASA syslog guide (reference sections 1 and 3). The buffer keeps only
what `logging enable` + `logging buffered LEVEL` let through, like the ASA's: 302014 is
severity 6, so it is seen only at level 6 (informational) or 7.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

# id -> (severity, format). Fields are filled with str.format.
MESSAGES: dict[int, tuple[int, str]] = {
    106015: (  # two spaces before `on` [C: liblognorm's documentation and real lines]
        6,
        "Deny TCP (no connection) from {src}/{sport} to {dst}/{dport} flags {flags}  on interface {ifc}",
    ),
    113019: (
        4,
        "Group = {group}, Username = {group}, IP = {peer}, Session disconnected. Session Type: LAN-to-LAN, "
        "Duration: {duration}, Bytes xmt: {xmt}, Bytes rcv: {rcv}, Reason: {reason}",
    ),
    302013: (
        6,
        "Built {direction} TCP connection {id} for {ifa}:{a}/{ap} ({a}/{ap}) to {ifb}:{b}/{bp} ({b}/{bp})",
    ),
    302014: (
        6,
        "Teardown TCP connection {id} for {ifa}:{a}/{ap} to {ifb}:{b}/{bp} duration {duration} bytes {bytes} {reason}",
    ),
    302015: (
        6,
        "Built {direction} UDP connection {id} for {ifa}:{a}/{ap} ({a}/{ap}) to {ifb}:{b}/{bp} ({b}/{bp})",
    ),
    302016: (
        6,
        "Teardown UDP connection {id} for {ifa}:{a}/{ap} to {ifb}:{b}/{bp} duration {duration} bytes {bytes}",
    ),
    602303: (
        6,
        "IPSEC: An {direction} {tunnel_type} SA (SPI= {spi}) between {local} and {peer} (user= {peer}) has been created.",
    ),
    602304: (
        6,
        "IPSEC: An {direction} {tunnel_type} SA (SPI= {spi}) between {local} and {peer} (user= {peer}) has been deleted.",
    ),
    713041: (
        5,
        "IP = {peer}, IKE Initiator: New Phase 1, Intf {ifc}, IKE Peer {peer} local Proxy Address {lproxy}, "
        "remote Proxy Address {rproxy}, Crypto map ({map})",
    ),
    713049: (
        5,
        "Group = {peer}, IP = {peer}, Security negotiation complete for LAN-to-LAN Group ({peer})  {role}, "
        "Inbound SPI = {ispi}, Outbound SPI = {ospi}",
    ),
    713050: (
        5,
        "Group = {peer}, IP = {peer}, Connection terminated for peer {peer}.  Reason: {reason}  Remote Proxy {rproxy}, Local Proxy {lproxy}",
    ),
    713119: (5, "Group = {peer}, IP = {peer}, PHASE 1 COMPLETED"),
    713120: (5, "Group = {peer}, IP = {peer}, PHASE 2 COMPLETED (msgid={msgid})"),
    713123: (
        3,
        "Group = {peer}, IP = {peer}, IKE lost contact with remote peer, deleting connection (keepalive type: DPD)",
    ),
    713259: (5, "Group = {peer}, IP = {peer}, Session is being torn down. Reason: {reason}"),
    713905: (6, "Group = {peer}, IP = {peer}, Starting P2 Rekey timer to expire in {secs} seconds"),
}


@dataclass(frozen=True)
class LogLine:
    t_us: int
    device: str
    msg_id: int
    severity: int
    text: str  # the message body, without prefix

    def render(
        self, prefix: str, timestamp: str | None = None, device_id: str | None = None
    ) -> str:
        head = f"{prefix}-{self.severity}-{self.msg_id}: {self.text}"
        if device_id:
            head = f"{device_id} : {head}"
        if timestamp:
            head = f"{timestamp}: {head}"
        return head


def make_line(t_us: int, device: str, msg_id: int, **fields: object) -> LogLine:
    severity, fmt = MESSAGES[msg_id]
    return LogLine(t_us, device, msg_id, severity, fmt.format(**fields))


def clock_text(start_clock: str, t_us: int) -> str:
    """ASA timestamp (`Aug 24 2017 16:58:42`) for simulated time `t_us` after the start."""
    start = _dt.datetime.fromisoformat(start_clock)
    return (start + _dt.timedelta(microseconds=t_us)).strftime("%b %d %Y %H:%M:%S")
