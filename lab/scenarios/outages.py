"""The outage schedule: the editor's view of the timed event script.

An outage is one of three event shapes (docs/scenario-format.md): a path cut (`cut` on a
link with `for_s`), an SA clear (`clear_ipsec_sa` on a device), or an interface shutdown
(a `cli` event `configure terminal` / `interface X` / `shutdown`, and `no shutdown` at
the end). `split_events` finds them in a script; every other event is kept as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CUT = "cut"
CLEAR_SA = "clear_sa"
SHUTDOWN = "shutdown"
CAUSES = [
    (CUT, "path cut (link down)"),
    (CLEAR_SA, "SA clear (clear crypto ipsec sa)"),
    (SHUTDOWN, "interface shutdown"),
]
DEFAULT_INTERFACE = "Ethernet0/0"


@dataclass(frozen=True)
class Outage:
    start_s: float
    cause: str
    target: str  # a link id for a cut, else a device (node) id
    duration_s: float | None = None  # None: until the end (a clear has no duration)
    interface: str = DEFAULT_INTERFACE  # shutdowns only


def _shutdown_lines(interface: str, *, up: bool) -> list[str]:
    return ["configure terminal", f"interface {interface}", "no shutdown" if up else "shutdown"]


def _shutdown_interface(event: dict[str, Any], *, up: bool) -> str | None:
    lines = event.get("lines")
    if event.get("do") != "cli" or not isinstance(lines, list) or len(lines) != 3:
        return None
    if lines[0] != "configure terminal" or not str(lines[1]).startswith("interface "):
        return None
    interface = str(lines[1]).split(" ", 1)[1]
    return interface if lines == _shutdown_lines(interface, up=up) else None


def split_events(events: list[dict[str, Any]]) -> tuple[list[Outage], list[dict[str, Any]]]:
    """The outages found in an event script, and the events that are not outages."""
    outages: list[Outage] = []
    others: list[dict[str, Any]] = []
    used: set[int] = set()
    for i, e in enumerate(events):
        if i in used:
            continue
        if e.get("do") == "cut" and "link" in e:
            outages.append(Outage(e["at_s"], CUT, e["link"], e.get("for_s")))
        elif e.get("do") == "clear_ipsec_sa" and "device" in e and "peer" not in e:
            outages.append(Outage(e["at_s"], CLEAR_SA, e["device"]))
        elif (interface := _shutdown_interface(e, up=False)) is not None:
            duration = None
            for j in range(i + 1, len(events)):
                later = events[j]
                if (
                    j not in used
                    and later.get("device") == e.get("device")
                    and _shutdown_interface(later, up=True) == interface
                ):
                    used.add(j)
                    duration = later["at_s"] - e["at_s"]
                    break
            outages.append(Outage(e["at_s"], SHUTDOWN, e["device"], duration, interface))
        else:
            others.append(e)
    return outages, others


def outage_events(outage: Outage) -> list[dict[str, Any]]:
    """The event(s) that play one outage."""
    if outage.cause == CUT:
        event: dict[str, Any] = {"at_s": outage.start_s, "do": "cut", "link": outage.target}
        if outage.duration_s is not None:
            event["for_s"] = outage.duration_s
        return [event]
    if outage.cause == CLEAR_SA:
        return [{"at_s": outage.start_s, "do": "clear_ipsec_sa", "device": outage.target}]
    down = {
        "at_s": outage.start_s,
        "do": "cli",
        "device": outage.target,
        "lines": _shutdown_lines(outage.interface, up=False),
    }
    if outage.duration_s is None:
        return [down]
    up = {
        "at_s": outage.start_s + outage.duration_s,
        "do": "cli",
        "device": outage.target,
        "lines": _shutdown_lines(outage.interface, up=True),
    }
    return [down, up]


def merge(outages: list[Outage], others: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One event script: the other events and the outages' events, in time order."""
    events = list(others)
    for outage in outages:
        events.extend(outage_events(outage))
    return sorted(events, key=lambda e: e["at_s"])


def outside_interfaces(topology: dict[str, Any]) -> dict[str, str]:
    """Node id -> the hardware name of its `outside` interface, for configured gateways."""
    from lab.engine.asaconfig import import_config

    found = {}
    for node in topology.get("nodes", []):
        config = node.get("config")
        if not config:
            continue
        text = "\n".join(config) if isinstance(config, list) else config
        outside = import_config(text).config.interface_by_nameif("outside")
        if outside:
            found[node["id"]] = outside.name
    return found
