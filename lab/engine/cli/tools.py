"""The troubleshooting tools a course uses to see a flow, dispatched by action name:
packet-tracer (tracer.py), capture (capture.py), debug (debug.py), ping (ping.py), and
the tables and write memory (tables.py). Each handler returns the device's output."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..gateway import Gateway
from . import capture, debug, ping, show_ra, tables, tracer

if TYPE_CHECKING:
    from ..sim import Simulation

Handler = Callable[["Simulation", Gateway, tuple[str, ...], tuple[str, ...]], str]

HANDLERS: dict[str, Handler] = {
    "tools.tracer": tracer.trace,
    "tools.capture": capture.start,
    "tools.nocapture": capture.stop,
    "tools.showcapture": capture.show,
    "tools.ping": ping.ping,
    "tools.write": tables.write_memory,
    "show.acl": tables.show_access_list,
    "show.xlate": tables.show_xlate,
    "show.nat": tables.show_nat,
    "show.route": tables.show_route,
    "show.localhost": tables.show_local_host,
    "show.ikestats": tables.show_isakmp_stats,
    "show.vpnsummary": tables.show_sessiondb_summary,
    "show.startup": tables.show_startup,
    "show.anyconnect": show_ra.show_anyconnect,
    "show.remote": show_ra.show_remote,
}
# Handled by the session itself (they act on the terminal, not the device).
SESSION_ACTIONS = ("tools.debug", "tools.undebug", "tools.showdebug")


__all__ = ["HANDLERS", "SESSION_ACTIONS", "debug"]
