"""The simulation: a BO/HO network, its gateways, tunnels and flows, driven by time.

Theory of operation (sans-IO, after aioquic): the caller passes time in with
`advance_to(t_us)` and reads the next deadline with `next_deadline()`; commands are
applied at the current time with `apply(command)`; `view()` is a plain-data snapshot.
Nothing here reads a clock or does I/O. Every rule a packet meets on its way lives in
forwarding.py, the tunnel life cycle in vpn.py, the TCP/UDP senders in transport.py;
this module wires them together and answers questions about the state.
"""

from __future__ import annotations

import random
from typing import Any

from . import forwarding, transport, vpn
from .asaconfig import AsaConfig, import_config
from .commands import Command, command_from_dict
from .core import EventLoop
from .errors import CommandError, SpecError
from .flows import FlowRun, Fluid, round_trip_us
from .gateway import Gateway, render_log
from .spec import GATEWAY_KINDS, Scenario
from .tcp import PROFILES, TCP_HEADER_BYTES
from .topology import check_connected, path_hops, to_graph
from .tunnels import TunnelRun

# `show crypto ipsec sa`: "ipsec overhead 74(44)" for ESP tunnel mode, AES/SHA (S13).
ESP_OVERHEAD_BYTES = 74
DEFAULT_MSS = 1460


class Simulation:
    def __init__(self, scenario: Scenario, seed: int | None = None) -> None:
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        self.rng = random.Random(self.seed)
        self.loop = EventLoop()
        topo = scenario.topology
        self.graph = to_graph(topo)
        check_connected(self.graph)
        self.links = {link.id: link for link in topo.links}
        self.link_cuts = {link.id: 0 for link in topo.links}  # active cuts; 0: physically up
        self.nodes = {n.id: n for n in topo.nodes}
        self.gateways: dict[str, Gateway] = {}
        for i, n in enumerate(topo.nodes):
            if n.kind in GATEWAY_KINDS:
                self.gateways[n.id] = Gateway(n, self._load_config(n, i), scenario.start_clock)
        for link in topo.links:
            for end in (link.a, link.b):
                node_id, _, nameif = end.partition(":")
                gw = self.gateways.get(node_id)
                if gw and gw.cfg and nameif and gw.cfg.interface_by_nameif(nameif) is None:
                    raise SpecError(
                        f"topology.links.{link.id}",
                        f"{node_id} has no interface with nameif {nameif!r}",
                    )
        for gw in self.gateways.values():
            if gw.cfg is not None:
                for nameif in ("inside", "outside"):
                    if gw.cfg.interface_by_nameif(nameif) is None:
                        raise SpecError(
                            f"topology.nodes.{gw.id}.config",
                            f"an ASA needs an interface with nameif {nameif}",
                        )
        self.tunnels = {t.id: self._tunnel_run(t) for t in topo.tunnels}
        self.fluid = Fluid()  # the lanes flows move in (transport.set_demand)
        self.flows = {f.id: self._flow_run(f) for f in scenario.flows}
        self.version = 0  # bumped on every change the detail view shows
        self._detail_cache: tuple[int, dict[str, Any]] | None = None
        for f in scenario.flows:
            self.loop.at(f.start_us, transport.start, self, self.flows[f.id])
        for event in scenario.events:
            self.loop.at(event.at_us, self._scripted, event.action)

    # -- construction ----------------------------------------------------------------------
    def _load_config(self, node: Any, index: int) -> AsaConfig | None:
        if node.platform not in ("asa", "pix"):
            return None
        result = import_config(node.config)
        if result.errors:
            number, reason = result.errors[0]
            raise SpecError(f"topology.nodes[{index}].config", f"line {number}: {reason}")
        return result.config

    def _tunnel_run(self, t: Any) -> TunnelRun:
        hops = path_hops(self.graph, self.links, t.a, t.b)
        wan = tuple(h.out_link for h in hops if h.out_link)
        rtt = round_trip_us(self.links, wan)
        return TunnelRun(t, wan, rtt)

    def _flow_run(self, f: Any) -> FlowRun:
        c2s = path_hops(self.graph, self.links, f.client, f.server)
        s2c = path_hops(self.graph, self.links, f.server, f.client)
        links = tuple(h.out_link for h in c2s if h.out_link)
        tunnels = tuple(t.id for t in self.tunnels.values() if forwarding.tunnel_on_path(t, c2s))
        mss = DEFAULT_MSS
        for h in c2s:
            gw = self.gateways.get(h.node)
            if gw and gw.cfg:
                mss = min(mss, gw.cfg.sysopt.tcpmss)  # the ASA rewrites the SYN's MSS
        overhead = mss + TCP_HEADER_BYTES + (ESP_OVERHEAD_BYTES if tunnels else 0)
        server = self.nodes[f.server]
        return FlowRun(
            spec=f,
            c2s=c2s,
            s2c=s2c,
            links=links,
            base_rtt_us=round_trip_us(self.links, links),
            mss=mss,
            overhead_num=overhead,
            tunnels=tunnels,
            profile=PROFILES[server.tcp_profile] if f.proto == "tcp" else None,
            retries2=server.tcp_retries2,
        )

    # -- the sans-IO API -------------------------------------------------------------------
    @property
    def now(self) -> int:
        return self.loop.now

    def advance_to(self, t_us: int) -> None:
        """Process everything due up to and including t_us; time never goes back."""
        if t_us < self.loop.now:
            raise CommandError(f"time goes forward only: now {self.loop.now} us, asked {t_us} us")
        self.loop.run_until(t_us)

    def next_deadline(self) -> int | None:
        return self.loop.next_deadline()

    def apply(self, command: Command | dict[str, Any]) -> dict[str, Any]:
        """Apply an operator command now; raise CommandError (state unchanged) if invalid."""
        cmd = command_from_dict(command) if isinstance(command, dict) else command
        cmd.validate(self)
        self.loop.record("command", command=cmd.to_dict())
        result = cmd.run(self)
        self.touch()
        return result

    def _scripted(self, action: dict[str, Any]) -> None:
        try:
            self.apply(action)
        except CommandError as exc:
            self.loop.record("command_error", command=action, error=str(exc))

    def touch(self) -> None:
        self.version += 1

    # -- questions about the state ---------------------------------------------------------
    def link_is_up(self, link_id: str) -> bool:
        """Physically up and neither end's interface shut down."""
        if self.link_cuts[link_id]:
            return False
        link = self.links[link_id]
        for end in (link.a, link.b):
            node_id, _, nameif = end.partition(":")
            gw = self.gateways.get(node_id)
            if gw and gw.cfg and nameif:
                ifc = gw.cfg.interface_by_nameif(nameif)
                if ifc is not None and ifc.shutdown:
                    return False
        return True

    def wan_up(self, tunnel: TunnelRun) -> bool:
        return all(self.link_is_up(x) for x in tunnel.wan_links)

    def peer_of(self, tunnel: TunnelRun, gw_id: str) -> Gateway:
        return self.gateways[tunnel.spec.b if tunnel.spec.a == gw_id else tunnel.spec.a]

    def view(self) -> dict[str, Any]:
        """What the UI shows, as plain data. Progress is computed at `now`; the rest is
        rebuilt only when something changed (cheap enough for 10 Hz x 1000 runs)."""
        now = self.loop.now
        flows = {}
        for f in self.flows.values():
            if not f.attempts:
                flows[f.id] = {
                    "state": "idle",
                    "bytes": 0,
                    "size": f.spec.size_bytes,
                    "rate_bps": 0,
                }
                continue
            a = f.current
            flows[f.id] = {
                "state": transport.public_state(f),
                "bytes": a.transferred(now),
                "size": f.spec.size_bytes,
                "rate_bps": a.rate_bps,
                "attempt": a.number,
                "stalled_since_us": a.stalls[-1][0]
                if a.stalls and a.stalls[-1][1] is None
                else None,
            }
        if self._detail_cache is None or self._detail_cache[0] != self.version:
            self._detail_cache = (self.version, self._detail())
        return {"t_us": now, "flows": flows, **self._detail_cache[1]}

    def _detail(self) -> dict[str, Any]:
        now = self.loop.now
        tunnels = {
            t.id: {"state": t.state, "initiator": t.initiator} for t in self.tunnels.values()
        }
        links = {x: self.link_is_up(x) for x in self.links}
        devices = {}
        for gw in self.gateways.values():
            devices[gw.id] = {
                "hostname": gw.name,
                "platform": gw.node.platform,
                "preserve_vpn_flows": bool(gw.cfg and gw.cfg.sysopt.preserve_vpn_flows),
                "conns": [
                    {
                        "id": c.id,
                        "proto": c.proto,
                        "flags": c.flags(orphan=c.tunnel is not None and c.tunnel not in gw.sas),
                        "idle_us": c.idle_us(now),
                    }
                    for c in gw.conns.values()
                ],
                "sas": {
                    tid: {"spi_in": sa.spi_in, "spi_out": sa.spi_out, "preserve": sa.preserve}
                    for tid, sa in gw.sas.items()
                },
                "log_count": len(gw.buffer),
            }
        return {"tunnels": tunnels, "links": links, "devices": devices}

    def syslog(self, device: str) -> list[str]:
        """The lines `show logging` lists on this device now."""
        gw = self.gateways[device]
        return [render_log(gw, line) for line in gw.buffer]

    def events(self) -> list[dict[str, Any]]:
        return list(self.loop.trace)

    # The hooks the rule modules call back into, kept here so they can reach each other.
    def path_changed(self) -> None:
        """Something a packet meets on its way changed: the next packets find out."""
        transport.recheck_all(self)
        vpn.recheck_waiting(self)
        self.touch()
