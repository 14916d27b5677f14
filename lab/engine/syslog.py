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
        "Group = {group}, Username = {user}, IP = {peer}, Session disconnected. Session Type: {session_type}, "
        "Duration: {duration}, Bytes xmt: {xmt}, Bytes rcv: {rcv}, Reason: {reason}",
    ),
    # [C] public VPN how-to logs: a tunnel coming up retrieves its group policy.
    113009: (6, "AAA retrieved default group policy ({policy}) for user = {peer}"),
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
        "IPSEC: An {direction} {tunnel_type} SA (SPI= {spi}) between {local} and {peer} (user= {user}) has been created.",
    ),
    602304: (
        6,
        "IPSEC: An {direction} {tunnel_type} SA (SPI= {spi}) between {local} and {peer} (user= {user}) has been deleted.",
    ),
    # [C] tunnelsup "L2L Tunnel Failed at MM_WAIT_MSG4" (a real 8.0.4 log): two spaces
    # before `local` and before `Crypto map`; the proxies are the crypto ACL's networks.
    713041: (
        5,
        "IP = {peer}, IKE Initiator: New Phase 1, Intf {ifc}, IKE Peer {peer}  local Proxy Address {lproxy}, "
        "remote Proxy Address {rproxy},  Crypto map ({map})",
    ),
    713049: (
        5,
        "{who}, Security negotiation complete for {party}  {role}, "
        "Inbound SPI = {ispi}, Outbound SPI = {ospi}",
    ),
    713050: (
        5,
        "{who}, Connection terminated for peer {peer}.  Reason: {reason}  Remote Proxy {rproxy}, Local Proxy {lproxy}",
    ),
    713119: (5, "{who}, PHASE 1 COMPLETED"),
    713120: (5, "{who}, PHASE 2 COMPLETED (msgid={msgid})"),
    713123: (
        3,
        "{who}, IKE lost contact with remote peer, deleting connection (keepalive type: DPD)",
    ),
    713259: (5, "{who}, Session is being torn down. Reason: {reason}"),
    # [P] real lines in public logs: `%ASA-3-713902: IP = x, Removing peer from peer table
    # failed, no match!`, `%ASA-3-713902: Group = x, IP = x, QM FSM error (P2 struct
    # &0x00007fff33763a70, mess id 0x2c44baec)!`, `%PIX-4-713903: IP = x, Error: Unable to
    # remove PeerTblEntry`; {who} is `IP = x` before the peer's group is known, `Group = x,
    # IP = x` after. 713902 is the guide's "descriptive event string" message.
    713902: (3, "{who}, {event}"),
    713903: (4, "{who}, Error: Unable to remove PeerTblEntry"),
    # [C] a real 9.x log in a public GitHub blog ("Rejecting IPSec tunnel ... on interface
    # OUTSIDE", right after 713119, then 713902 QM FSM error).
    713061: (
        3,
        "{who}, Rejecting IPSec tunnel: no matching crypto map entry for remote "
        "proxy {rproxy}/0/0 local proxy {lproxy}/0/0 on interface {ifc}",
    ),
    713905: (6, "{who}, Starting P2 Rekey timer to expire in {secs} seconds"),
    # AnyConnect (SSL VPN). [C] real lines (a redacted ASA log and a log parser's test
    # lines in public repositories): `%ASA-6-722022: Group <G> User <U> IP <P> TCP SVC
    # connection established without compression`, `%ASA-6-722023: ... TCP SVC connection
    # terminated without compression`. [P] 113039 `... AnyConnect parent session started.`,
    # 716001 `... WebVPN session started.` and 722051's address line: the formats of
    # Cisco's syslog guide with the `<...>` brackets the 722xxx captures show.
    716001: (6, "Group <{group}> User <{user}> IP <{peer}> WebVPN session started."),
    113039: (6, "Group <{group}> User <{user}> IP <{peer}> AnyConnect parent session started."),
    722022: (
        6,
        "Group <{group}> User <{user}> IP <{peer}> TCP SVC connection established without compression",
    ),
    722023: (
        6,
        "Group <{group}> User <{user}> IP <{peer}> TCP SVC connection terminated without compression",
    ),
    722051: (
        6,
        "Group <{group}> User <{user}> IP <{peer}> IPv4 Address <{assigned}> IPv6 address <::> "
        "assigned to session",
    ),
    # Tunnel Manager (8.4+). [C] a real FTD log on pastebin ("yGAKcZt3"): `%FTD-vpn-5-752004:
    # Tunnel Manager dispatching a KEY_ACQUIRE message to IKEv1. Map Tag = CSM_outsite_map.
    # Map Sequence Number = 2.` then `%FTD-vpn-4-752010: IKEv2 Doesn't have a proposal
    # specified`, then 713041. [P] 752003 is the IKEv2 twin (Cisco's syslog guide numbering).
    752003: (
        5,
        "Tunnel Manager dispatching a KEY_ACQUIRE message to IKEv2. Map Tag = {map}. "
        "Map Sequence Number = {seq}.",
    ),
    752004: (
        5,
        "Tunnel Manager dispatching a KEY_ACQUIRE message to IKEv1. Map Tag = {map}. "
        "Map Sequence Number = {seq}.",
    ),
    752010: (4, "IKEv2 Doesn't have a proposal specified"),
    # IKEv2 (8.4+). [V, S25] 750003 and 750006 as real parser test lines show them;
    # [U] 750007's reason text and every 750003 reason other than the TS one.
    750003: (
        4,
        "Local:{local}:500 Remote:{peer}:500 Username:{peer} IKEv2 Negotiation aborted due to ERROR: {reason}",
    ),
    750006: (
        5,
        "Local:{local}:500 Remote:{peer}:500 Username:{peer} IKEv2 SA UP. Reason: {reason}",
    ),
    750007: (
        5,
        "Local:{local}:500 Remote:{peer}:500 Username:{peer} IKEv2 SA DOWN. Reason: {reason}",
    ),
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
