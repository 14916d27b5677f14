"""`clear` commands: what they do to the simulation (vpn.py and forwarding.py hold the rules).

Each returns the device's output (empty on success, as on the ASA).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import vpn
from ..forwarding import teardown
from ..gateway import Gateway
from .grammar import ArgError

if TYPE_CHECKING:
    from ..sim import Simulation

# [U] The 302014 reason `clear conn` produces; the syslog guide's table describes
# "Xlate Clear" as "Command line removal".
CLEAR_CONN_REASON = "Xlate Clear"


def clear(
    sim: Simulation, gw: Gateway, action: str, words: tuple[str, ...], args: tuple[str, ...]
) -> str:
    if action == "clear.ipsec":
        if words[-1] == "counters":
            for t in sim.tunnels.values():
                sa = gw.sas.get(t.id)
                if sa is not None:
                    sa.zeroed = vpn.sa_traffic(sim, t, gw)
            sim.touch()
            return ""
        if "map" in words or "entry" in words:
            for peer in _peers(sim, gw, words, args):
                vpn.clear(sim, gw, ike=False, peer=peer)
            sim.touch()
            return ""
        vpn.clear(sim, gw, ike=False, peer=args[0] if "peer" in words else None)
        return ""
    if action == "clear.isakmp":
        version = {"ikev1": 1, "ikev2": 2}.get(words[2]) if len(words) > 2 else None
        vpn.clear(sim, gw, ike=True, peer=args[0] if args else None, version=version)
        return ""
    if action == "clear.conn":
        address = args[0] if args else None
        for conn in list(gw.conns.values()):
            if address is None or address in (conn.o_addr, conn.i_addr):
                teardown(sim, gw, conn, CLEAR_CONN_REASON)
        sim.path_changed()  # the flows' next packets find no conn
        return ""
    if action == "clear.logbuf":
        gw.buffer.clear()
        sim.touch()
        return ""
    if action == "clear.aspdrop":
        gw.asp_drops.clear()
        gw.asp_cleared_us = sim.now
        sim.touch()
        return ""
    raise KeyError(action)


def parse_spi(text: str) -> int | None:
    """An SPI as typed: decimal, or hex with 0x [U: the ASA's accepted forms]."""
    try:
        value = int(text, 16) if text.lower().startswith("0x") else int(text, 10)
    except ValueError:
        return None
    return value if 0 <= value <= 0xFFFFFFFF else None


def _peers(
    sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]
) -> list[str]:
    """The peers whose SAs `clear crypto ipsec sa map NAME | entry IP esp|ah SPI` names.

    `map`: every peer of a tunnel whose crypto map entry belongs to that map. `entry`: the
    peer, if it has an SA with that SPI in either direction; the lab's SAs are ESP, so an
    `ah` entry never matches. Nothing matching clears nothing, silently [U].
    """
    assert gw.cfg is not None
    spi = parse_spi(args[1]) if "entry" in words else None
    if "entry" in words and spi is None:
        raise ArgError(len(words) - 1)
    peers = []
    for t in sim.tunnels.values():
        sa = gw.sas.get(t.id)
        if gw.id not in (t.spec.a, t.spec.b) or sa is None:
            continue
        peer = sim.peer_of(t, gw.id).address("outside")
        if "map" in words:
            entry = gw.cfg.crypto_entry_for_peer(peer)
            if entry is not None and entry.name == args[0]:
                peers.append(peer)
            continue
        if words[-2] == "esp" and peer == args[0] and spi in (sa.spi_in, sa.spi_out):
            peers.append(peer)
    return peers
