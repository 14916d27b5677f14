"""Frames for the live page: one partial template per region, and the progress frame.

The full page includes the same partials, so a region pushed over the websocket (swapped
by htmx's ws extension by its `id`) is byte for byte what a reload would show.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from django.template.loader import render_to_string

from lab.engine.run import Runtime
from lab.engine.spec import Topology
from lab.engine.topology import to_graph
from lab.live import present
from lab.live.models import SPEEDS
from lab.scenarios.svg import render_svg

# What each region shows, as keys of Renderer.context (device panes: keys of one device):
# a region whose inputs did not change is not rendered again.
REGION_INPUTS = {
    "topology": ("svg", "topo"),
    "download": ("flows",),
    "chart": ("charts",),
    "timeline": ("timeline",),
    "sheet": ("sheet",),
    "controls": ("devices", "flows", "wan_link", "speed"),
}
PANE_INPUTS = {
    "terminal": ("terminal", "prompt"),
    "syslog": ("syslog",),
    "conns": ("conns",),
    "sas": ("sas",),
}

Key = tuple[tuple[str, str], ...]


def devices(rt: Runtime) -> list[str]:
    return list(rt.sessions)


@lru_cache(maxsize=512)
def _picture(topology: Topology, links: Key, tunnels: Key) -> str:
    """The topology picture in one state. Shared by every run of the same topology (the
    spec is a frozen dataclass): laying out a graph costs a few ms, and a run only ever
    sees a handful of states."""
    graph = to_graph(topology)
    state = {"links": dict(links), "tunnels": dict(tunnels)}
    return render_svg(graph, id_prefix="live", state=state)


class Renderer:
    """Renders the regions of one run, each only when what it shows has changed."""

    def __init__(self, rt: Runtime) -> None:
        self.topology = rt.sim.scenario.topology
        self._last: dict[str, tuple[Any, str]] = {}  # region id -> (inputs, html)

    def svg(self, topo: dict[str, Any]) -> str:
        """The topology picture with the run's state as classes (cut, moving, tunnel state)."""
        links = {
            x["id"]: "cut" if not x["up"] else "moving" if x["moving"] else "up"
            for x in topo["links"]
        }
        tunnels = {t["id"]: t["state"] for t in topo["tunnels"]}
        return _picture(self.topology, tuple(links.items()), tuple(tunnels.items()))

    def context(self, rt: Runtime, *, speed: str, epoch: int) -> dict[str, Any]:
        sim = rt.sim
        wan = [x for x in sim.links if x not in ("bo-inside", "ho-inside")] or list(sim.links)
        topo = present.topology_state(rt)
        return {
            "svg": self.svg(topo),
            "topo": topo,
            "flows": [present.flow_status(rt, f) for f in sim.flows],
            "charts": [dict(present.chart(rt, f), flow=f) for f in sim.flows],
            "devices": [present.device_status(rt, d) for d in devices(rt)],
            "links": list(sim.links),
            "wan_link": wan[0] if wan else "",
            "speed": speed,
            "speeds": list(SPEEDS),
            "epoch": epoch,
            "clock": present.clock(rt.now),
            "timeline": present.timeline(rt),
            "sheet": present.lab_sheet(rt),
            "levels": present.LEVELS,
        }

    def chart(self, rt: Runtime) -> str:
        charts = [dict(present.chart(rt, f), flow=f) for f in rt.sim.flows]
        return render_to_string("live/regions/chart.html", {"charts": charts})

    def regions(
        self, rt: Runtime, *, speed: str, epoch: int, controls: bool = True
    ) -> dict[str, str]:
        """Every region's html; `controls=False` for a recording, which has none."""
        ctx = self.context(rt, speed=speed, epoch=epoch)
        out = {}
        for name, keys in REGION_INPUTS.items():
            if name != "controls" or controls:
                inputs = [ctx[k] for k in keys]
                out[name] = self._render(name, inputs, f"live/regions/{name}.html", ctx)
        for dev in ctx["devices"]:
            for pane, keys in PANE_INPUTS.items():
                inputs = [dev[k] for k in keys]
                region = f"dev-{dev['id']}-{pane}"
                pane_ctx = {"dev": dev, "levels": present.LEVELS}
                out[region] = self._render(region, inputs, f"live/regions/{pane}.html", pane_ctx)
        return out

    def _render(self, region: str, inputs: Any, template: str, ctx: dict[str, Any]) -> str:
        last = self._last.get(region)
        if last is not None and last[0] == inputs:
            return last[1]
        html: str = render_to_string(template, ctx)
        self._last[region] = (inputs, html)
        return html


# daphne closes a socket whose message is over 65,536 bytes (--websocket-max-message-size,
# ./dev serve) with 1011: every message stays under this, with room to spare.
FRAME_MAX_BYTES = 60_000
_ID = re.compile(r'<(\w+)[^>]*?\sid="([^"]+)"')


def progress_text(rt: Runtime, *, speed: str, epoch: int, lag: str | None = None) -> str:
    """The progress frame; `lag`: why the run plays slower than its speed (host.py).
    Past FRAME_MAX_BYTES (hundreds of flows) the flows that do not fit are left out and
    counted in `flows_left_out`: the page shows the rest, the socket stays open."""
    frame = present.progress(rt, epoch=epoch, speed=speed)
    if lag:
        frame["lag"] = lag
    text = json.dumps(frame, separators=(",", ":"))
    flows = frame.get("flows") or []
    total = len(flows)
    while len(text.encode()) > FRAME_MAX_BYTES and flows:
        flows = flows[: max(len(flows) * FRAME_MAX_BYTES // len(text.encode()) - 1, 0)]
        frame.update(flows=flows, flows_left_out=total - len(flows))
        text = json.dumps(frame, separators=(",", ":"))
    return text


def error_text(message: str) -> str:
    return json.dumps({"type": "error", "error": message})


def too_big(html: str) -> str:
    """A region too large for one message: its element, empty but for a note, so the
    page keeps its layout (the same id is swapped in again when it fits)."""
    m = _ID.search(html)
    tag, rid = (m.group(1), m.group(2)) if m else ("div", "")
    kb = len(html.encode()) // 1024
    return (
        f'<{tag} id="{rid}" class="too-big">This part of the lab is too large to update live '
        f"({kb} KB): reload the page to see it.</{tag}>"
    )


def pack(htmls: list[str]) -> list[str]:
    """Region partials as few websocket messages as fit under FRAME_MAX_BYTES each (the
    htmx ws extension swaps every element with an id in a message: any grouping works)."""
    out: list[str] = []
    size = 0
    for html in htmls:
        n = len(html.encode())
        if n > FRAME_MAX_BYTES:
            html = too_big(html)
            n = len(html.encode())
        if out and size + 1 + n <= FRAME_MAX_BYTES:
            out[-1] += "\n" + html
            size += 1 + n
        else:
            out.append(html)
            size = n
    return out


class Sent:
    """What the watchers of one socket or group have: only changed regions go out."""

    def __init__(self) -> None:
        self.regions: dict[str, str] = {}

    def changed(self, regions: dict[str, str]) -> list[str]:
        """The messages that bring the watchers up to `regions` ([] when nothing changed)."""
        htmls = [h for rid, h in regions.items() if self.regions.get(rid) != h]
        self.regions.update(regions)
        return pack(htmls)
