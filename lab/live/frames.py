"""Frames for the live page: one partial template per region, and the progress frame.

The full page includes the same partials, so a region pushed over the websocket (swapped
by htmx's ws extension by its `id`) is byte for byte what a reload would show.
"""

from __future__ import annotations

import json
from typing import Any

from django.template.loader import render_to_string

from lab.engine.spec import parse_scenario
from lab.engine.topology import to_graph
from lab.live import present
from lab.live.models import SPEEDS
from lab.live.runtime import Runtime
from lab.scenarios.svg import render_svg


def devices(rt: Runtime) -> list[str]:
    return list(rt.sessions)


class Renderer:
    """Renders the regions of one run; keeps the static topology picture."""

    def __init__(self, rt: Runtime) -> None:
        self.graph = to_graph(parse_scenario(rt.spec).topology)
        # The picture depends only on the graph and the link/tunnel words: a run sees a
        # handful of states, and laying out the graph costs ~3 ms each time.
        self._svgs: dict[tuple[tuple[tuple[str, str], ...], ...], str] = {}

    def svg(self, topo: dict[str, Any]) -> str:
        """The topology picture with the run's state as classes (cut, moving, tunnel state)."""
        links = {
            x["id"]: "cut" if not x["up"] else "moving" if x["moving"] else "up"
            for x in topo["links"]
        }
        tunnels = {t["id"]: t["state"] for t in topo["tunnels"]}
        key = (tuple(links.items()), tuple(tunnels.items()))
        if (svg := self._svgs.get(key)) is None:
            state = {"links": links, "tunnels": tunnels}
            svg = self._svgs[key] = render_svg(self.graph, id_prefix="live", state=state)
        return svg

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
        names = ["topology", "download", "chart", "timeline"] + (["controls"] if controls else [])
        out = {name: render_to_string(f"live/regions/{name}.html", ctx) for name in names}
        for dev in ctx["devices"]:
            for pane in ("terminal", "syslog", "conns", "sas"):
                out[f"dev-{dev['id']}-{pane}"] = render_to_string(
                    f"live/regions/{pane}.html", {**ctx, "dev": dev}
                )
        return out


def progress_text(rt: Runtime, *, speed: str, epoch: int) -> str:
    return json.dumps(present.progress(rt, epoch=epoch, speed=speed), separators=(",", ":"))


def error_text(message: str) -> str:
    return json.dumps({"type": "error", "error": message})


class Sent:
    """What the watchers of one socket or group have: only changed regions go out."""

    def __init__(self) -> None:
        self.regions: dict[str, str] = {}

    def changed(self, regions: dict[str, str]) -> str:
        text = "\n".join(h for rid, h in regions.items() if self.regions.get(rid) != h)
        self.regions.update(regions)
        return text
