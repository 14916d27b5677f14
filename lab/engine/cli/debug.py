"""`debug crypto isakmp|ikev1|ikev2 [LEVEL]`, `undebug all` / `no debug all`, `show debug`:
IKE negotiation messages in the terminal as they happen.

Theory of operation. A terminal session owns its debug settings (`Debugs`); it reads the
engine's trace from a cursor and turns the tunnel records of its own device into debug
lines: the initiator's "New Phase 1" when interesting traffic triggers IKE, then, when the
negotiation completes, one line per main-mode and quick-mode message at the instant it
crossed the path (the engine completes a negotiation in one event after its message
trips; the lines are timed back from it, as pcap.py times the IKE packets), and the
teardown. Pure: the session calls `drain` and prints what it returns.

Formats [P]: as ASA 8.3/9.3 `debug crypto isakmp 127` / `debug crypto ikev1 127` print them
in Cisco TechNote 113574 "ASA IPsec and IKE debugs (IKEv1 Main Mode)", from memory (the
copies of the TechNote found here show its setup, not its debug lines): `[IKEv1]: IP = PEER, IKE
Initiator: New Phase 1, Intf inside, IKE Peer PEER  local Proxy Address L, remote Proxy
Address R,  Crypto map (MAP)`, `IKE_DECODE SENDING|RECEIVED Message (msgid=N) with
payloads : HDR + ... total length : N`, `Group = G, IP = PEER, PHASE 1 COMPLETED`,
`PHASE 2 COMPLETED (msgid=...)`. [U]: the payload lists and lengths are those of a
typical ASA-to-ASA exchange, not computed from the lab's IKE packets; `[IKEv1 DEBUG]`
lines print from level 50. IKEv2 tunnels print under `debug crypto ikev2` (`_ikev2_lines`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import acl, profiles, tunnelkinds
from ..gateway import Gateway
from ..tunnels import IKE_MAIN_MODE_MESSAGES, IKE_QUICK_MODE_MESSAGES, TunnelRun
from .grammar import ArgError

if TYPE_CHECKING:
    from ..sim import Simulation

DEFAULT_LEVEL = 1  # `debug crypto isakmp` without a level (command reference: 1-255, 1)
DETAIL_LEVEL = 50  # [U] from this level the `[IKEv1 DEBUG]` lines print too

# (initiator sends?, payloads, total length) of the 6 main-mode and 3 quick-mode messages.
MAIN_MODE = (
    (True, "SA (1) + VENDOR (13) + VENDOR (13) + VENDOR (13) + VENDOR (13)", 172),
    (False, "SA (1) + VENDOR (13) + VENDOR (13)", 124),
    (True, "KE (4) + NONCE (10) + VENDOR (13) + VENDOR (13) + VENDOR (13) + VENDOR (13)", 256),
    (False, "KE (4) + NONCE (10) + VENDOR (13) + VENDOR (13) + VENDOR (13) + VENDOR (13)", 256),
    (True, "ID (5) + HASH (8) + IOS KEEPALIVE (128) + VENDOR (13)", 96),
    (False, "ID (5) + HASH (8) + IOS KEEPALIVE (128) + VENDOR (13)", 96),
)
QUICK_MODE = (
    (True, "HASH (8) + SA (1) + NONCE (10) + ID (5) + ID (5)", 172),
    (False, "HASH (8) + SA (1) + NONCE (10) + ID (5) + ID (5) + NOTIFY (11)", 200),
    (True, "HASH (8)", 52),
)
assert len(MAIN_MODE) == IKE_MAIN_MODE_MESSAGES and len(QUICK_MODE) == IKE_QUICK_MODE_MESSAGES


@dataclass
class Debugs:
    """One terminal's debug settings and how far it has read the trace."""

    levels: dict[str, int] = field(default_factory=dict)  # ikev1 | ikev2 -> level
    cursor: int = 0
    initiators: dict[str, str] = field(default_factory=dict)  # tunnel -> who started IKE


def initiator_of(t: TunnelRun, rec: dict[str, Any], seen: dict[str, str]) -> str:
    """Who initiated the negotiation a tunnel record belongs to: the gateway named by the
    last `interesting traffic at GW` record (records are read in order), else the
    tunnel's current initiator."""
    cause = str(rec["cause"])
    if rec["state"] == "negotiating" and cause.startswith("interesting traffic at "):
        seen[t.id] = cause.removeprefix("interesting traffic at ")
    return seen.get(t.id, t.initiator or t.spec.a)


def ikev1_keywords(gw: Gateway) -> bool:
    """`ikev1`/`ikev2` keywords exist from 8.4 (IKEv2 came with 8.4; 8.2 says `isakmp`)."""
    return profiles.for_node(gw.cfg.version if gw.cfg else gw.node.version).ike_keywords


def command(
    sim: Simulation, gw: Gateway, state: Debugs, words: tuple[str, ...], args: tuple[str, ...]
) -> str:
    """`debug crypto isakmp|ikev1|ikev2 [protocol|platform] [LEVEL]`, `undebug all`, `no debug
    all`: no output on success, as on the ASA. Before 8.4 only `isakmp` exists."""
    if words[0] in ("undebug", "no"):
        state.levels.clear()
        return ""
    if words[2] in ("ikev1", "ikev2") and not ikev1_keywords(gw):
        raise ArgError(2)
    which = "ikev2" if words[2] == "ikev2" else "ikev1"
    level = int(args[-1]) if args else DEFAULT_LEVEL
    if not state.levels:
        state.cursor = len(sim.loop.trace)  # what happened before is not printed
    state.levels[which] = level
    return ""


def show_debug(gw: Gateway, state: Debugs) -> str:
    """`show debug` [P: the ASA lists `debug crypto ikev1 enabled at level N`; 8.2 says
    `isakmp`]."""
    names = {"ikev1": "ikev1" if ikev1_keywords(gw) else "isakmp", "ikev2": "ikev2 protocol"}
    return "".join(
        f"debug crypto {names[k]} enabled at level {v}\n" for k, v in sorted(state.levels.items())
    )


def drain(sim: Simulation, gw: Gateway, state: Debugs) -> str:
    """The debug lines of the trace records since the last call: each tunnel's under the
    debug of the IKE version it speaks (`debug crypto ikev1` shows nothing of IKEv2)."""
    trace = sim.loop.trace
    if not state.levels or gw.cfg is None:
        state.cursor = len(trace)
        return ""
    records, state.cursor = trace[state.cursor :], len(trace)
    out: list[tuple[int, str]] = []
    for rec in records:
        if rec["type"] != "tunnel":
            continue
        t = sim.tunnels[rec["tunnel"]]
        who = initiator_of(t, rec, state.initiators)
        level = state.levels.get("ikev2" if t.version == 2 else "ikev1")
        if level is None:
            continue
        lines = _ikev2_lines if t.version == 2 else _tunnel_lines
        out += lines(sim, gw, rec, level, who == gw.id)
    out.sort(key=lambda x: x[0])
    return "".join(f"{_stamp(sim, t)} {text}\n" for t, text in out)


def _stamp(sim: Simulation, t_us: int) -> str:
    when = dt.datetime.fromisoformat(sim.scenario.start_clock) + dt.timedelta(microseconds=t_us)
    return when.strftime("%b %d %H:%M:%S")


def _proxies(gw: Gateway, acl_name: str) -> tuple[str, str]:
    assert gw.cfg is not None
    for text in gw.cfg.access_lists.get(acl_name, []):
        e = acl.parse_entry(text)
        if e is not None:
            return str(e.src.network_address), str(e.dst.network_address)
    return "0.0.0.0", "0.0.0.0"


def _tunnel_lines(
    sim: Simulation, gw: Gateway, rec: dict[str, Any], level: int, initiator: bool
) -> list[tuple[int, str]]:
    t = sim.tunnels[rec["tunnel"]]
    if gw.id not in (t.spec.a, t.spec.b) or not tunnelkinds.wording(t).ipsec:
        return []  # an AnyConnect session negotiates no IKE
    assert gw.cfg is not None
    peer = sim.peer_of(t, gw.id).address("outside")
    ip = f"IP = {peer}"
    group = tunnelkinds.who(sim, t, gw, peer)
    now = rec["t_us"]
    state, cause = rec["state"], str(rec["cause"])
    lines: list[tuple[int, str]] = []
    if state == "negotiating" and initiator and cause.startswith("interesting"):
        entry = gw.cfg.crypto_entry_for_peer(peer)
        local, remote = _proxies(gw, entry.match_address if entry else "")
        lines.append(
            (
                now,
                f"[IKEv1]: {ip}, IKE Initiator: New Phase 1, Intf inside, IKE Peer {peer}  "
                f"local Proxy Address {local}, remote Proxy Address {remote},  "
                f"Crypto map ({entry.name if entry else ''})",
            )
        )
    elif state == "up":
        main = cause == "negotiated" and t.ike_created_us == now
        messages = (MAIN_MODE if main else ()) + QUICK_MODE
        half = t.wan_rtt_us // 2
        t0 = now - len(messages) * half
        for i, (by_init, payloads, length) in enumerate(messages):
            msgid = 0 if i < len(messages) - len(QUICK_MODE) else t.msgid
            sending = by_init == initiator
            when = t0 + i * half + (0 if sending else half)
            verb = "SENDING" if sending else "RECEIVED"
            if level >= DETAIL_LEVEL:
                first = payloads.split(" (")[0]
                what = "constructing" if sending else "processing"
                lines.append((when, f"[IKEv1 DEBUG]: {ip}, {what} {first} payload"))
            lines.append(
                (
                    when,
                    f"[IKEv1]: {ip}, IKE_DECODE {verb} Message (msgid={msgid:x}) with payloads : "
                    f"HDR + {payloads} + NONE (0) total length : {length}",
                )
            )
            if main and i == len(MAIN_MODE) - 1:
                lines.append((when, f"[IKEv1]: {group}, PHASE 1 COMPLETED"))
        sa = gw.sas.get(t.id)
        if sa is not None:
            role = "Initiator" if initiator else "Responder"
            lines.append(
                (
                    now,
                    f"[IKEv1]: {group}, Security negotiation complete for "
                    f"{tunnelkinds.party(t, peer)}  {role}, Inbound SPI = 0x{sa.spi_in:08x}, "
                    f"Outbound SPI = 0x{sa.spi_out:08x}",
                )
            )
        lines.append((now, f"[IKEv1]: {group}, PHASE 2 COMPLETED (msgid={t.msgid:08x})"))
    elif state == "down" and cause not in ("no answer from peer", "no crypto map at peer"):
        lines.append((now, f"[IKEv1]: {group}, Session is being torn down. Reason: {cause}"))
    return lines


# IKEv2: IKE_SA_INIT and IKE_AUTH, request and response each (RFC 7296 1.2).
IKEV2_EXCHANGES = (
    (True, "IKE_SA_INIT", "REQUEST", 0),
    (False, "IKE_SA_INIT", "RESPONSE", 0),
    (True, "IKE_AUTH", "REQUEST", 1),
    (False, "IKE_AUTH", "RESPONSE", 1),
)


def _ikev2_lines(
    sim: Simulation, gw: Gateway, rec: dict[str, Any], level: int, initiator: bool
) -> list[tuple[int, str]]:
    """`debug crypto ikev2 protocol` lines [P]: the packet lines' shape as Cisco 115935
    ("ASA IKEv2 Debugs for Site-to-Site VPN with PSKs") prints them, from memory:
    `IKEv2-PROTO-2: (N): Sending Packet [To PEER:500/From LOCAL:500/VRF i0:f0]`, the SPI
    line and `IKEv2 IKE_SA_INIT Exchange REQUEST`. [U] the session number N (the tunnel's
    place), the severity digits, the closing `SA created` / `Deleting SA` wording."""
    t = sim.tunnels[rec["tunnel"]]
    if gw.id not in (t.spec.a, t.spec.b) or t.ike_keys is None:
        return []
    peer = sim.peer_of(t, gw.id).address("outside")
    local = gw.address("outside")
    n = list(sim.tunnels).index(t.id) + 1
    now, state = rec["t_us"], rec["state"]
    keys = t.ike_keys
    lines: list[tuple[int, str]] = []
    if state == "up" and rec["cause"] == "negotiated" and t.ike_created_us == now:
        half = t.wan_rtt_us // 2
        t0 = now - len(IKEV2_EXCHANGES) * half
        for i, (by_init, exchange, kind, msgid) in enumerate(IKEV2_EXCHANGES):
            sending = by_init == initiator
            when = t0 + i * half + (0 if sending else half)
            where = (
                f"Sending Packet [To {peer}:500/From {local}:500/VRF i0:f0]"
                if sending
                else f"Received Packet [From {peer}:500/To {local}:500/VRF i0:f0]"
            )
            responder = "0" * 16 if i == 0 else keys.spi_r.hex().upper()
            lines += [
                (when, f"IKEv2-PROTO-2: ({n}): {where}"),
                (
                    when,
                    f"Initiator SPI : {keys.spi_i.hex().upper()} - Responder SPI : "
                    f"{responder} Message id: {msgid}",
                ),
                (when, f"IKEv2 {exchange} Exchange {kind}"),
            ]
        lines.append((now, f"IKEv2-PROTO-2: ({n}): SA created; the first child SA is up"))
    elif state == "down":
        lines.append((now, f"IKEv2-PROTO-2: ({n}): Deleting SA. Reason: {rec['cause']}"))
    return lines
