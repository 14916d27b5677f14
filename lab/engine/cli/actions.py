"""`clear` commands: what they do to the simulation (vpn.py and forwarding.py hold the rules).

Each returns the device's output (empty on success, as on the ASA).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import vpn
from ..forwarding import teardown
from ..gateway import Gateway

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
        vpn.clear(sim, gw, ike=False, peer=args[0] if "peer" in words else None)
        return ""
    if action == "clear.isakmp":
        vpn.clear(sim, gw, ike=True)
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
