"""How each tunnel kind is named in the ASA's logs, as data (issue 13, item 5).

A LAN-to-LAN tunnel's group and user are the peer's address; a remote-access tunnel
(EzVPN client mode, NEM, AnyConnect) names its tunnel-group and the user who logged in.
AnyConnect carries its traffic in an SSL/DTLS tunnel, not IPsec SAs: it logs 113039 /
722xxx where IPsec logs 713xxx / 602303 and shows no IPsec SA. (The lab keeps the
session's keys in the same per-gateway record; only what the ASA prints differs.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .gateway import Gateway
    from .sim import Simulation
    from .tunnels import TunnelRun

DEFAULT_USER = "student"  # [U] the tunnel spec's `user` when the scenario names none


@dataclass(frozen=True)
class Wording:
    remote_access: bool  # `Username = ` in the `Group = ...` prefix
    ipsec: bool  # carried in IPsec SAs (602303, `show crypto ipsec sa`)
    sa_type: str  # 602303/602304's tunnel type
    session_type: str  # 113019's `Session Type:`


WORDING: dict[str, Wording] = {
    # [C] real 602303 lines: `An outbound LAN-to-LAN SA ...` and, on a remote-access
    # tunnel, `IPSEC: An outbound remote access SA (SPI= 0x99DAB075) between A and B
    # (user= UUUUUUUU) has been created.` (a redacted ASA log in a public repository).
    "l2l": Wording(False, True, "LAN-to-LAN", "LAN-to-LAN"),
    # [P] `Session Type: IPsec` for IKEv1 remote access: Cisco's syslog guide lists the
    # session types; the lines found are from log generators, not captures.
    "client": Wording(True, True, "remote access", "IPsec"),
    "nem": Wording(True, True, "remote access", "IPsec"),
    # [P] `Session Type: AnyConnect-Parent` (sample ASA logs in a public data set).
    "anyconnect": Wording(True, False, "", "AnyConnect-Parent"),
}


def wording(t: TunnelRun) -> Wording:
    return WORDING[t.spec.kind]


def group(sim: Simulation, t: TunnelRun, gw: Gateway, peer: str) -> str:
    """L2L: the peer (its tunnel-group is named for it). Remote access: the tunnel-group."""
    if not wording(t).remote_access or gw.cfg is None:
        return peer
    return gw.cfg.tunnel_group(peer).name


def user(t: TunnelRun, peer: str) -> str:
    return t.spec.user if wording(t).remote_access else peer


def who(sim: Simulation, t: TunnelRun, gw: Gateway, peer: str) -> str:
    """The `Group = G, [Username = U, ]IP = P` prefix of 713xxx/113019 lines. [C] real
    remote-access lines: `Group = Acme_techoutbound, Username = UUUUUUUU, IP = X, ...`."""
    g = group(sim, t, gw, peer)
    if wording(t).remote_access:
        return f"Group = {g}, Username = {user(t, peer)}, IP = {peer}"
    return f"Group = {g}, IP = {peer}"


def party(t: TunnelRun, peer: str) -> str:
    """713049's `Security negotiation complete for ...`. [P] `User (U)` on remote access:
    the guide's `{LAN-to-LAN Group | User} (name)` alternative, no capture found."""
    if wording(t).remote_access:
        return f"User ({t.spec.user})"
    return f"LAN-to-LAN Group ({peer})"


def svc(t: TunnelRun, policy: str, peer: str) -> dict[str, str]:
    """The fields of AnyConnect's `Group <G> User <U> IP <P>` lines: G is the group
    policy (real 722023 lines name `GroupPolicy_...`), where 113019 names the tunnel-group."""
    return {"group": policy, "user": t.spec.user, "peer": peer}


def log_svc_up(sim: Simulation, t: TunnelRun, gw: Gateway, peer: str, policy: str) -> None:
    """An AnyConnect session comes up. [U] the order 716001, 722022, 113039, 722051 (a
    public sample shows 722022 before 113039); the assigned address is the client's
    inside address (the lab gives the client no address pool)."""
    fields = svc(t, policy, peer)
    for msg_id in (716001, 722022, 113039):
        gw.log(sim.now, msg_id, **fields)
    assigned = sim.peer_of(t, gw.id).node.inside_address or peer
    gw.log(sim.now, 722051, assigned=assigned, **fields)
