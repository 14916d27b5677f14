"""Packet capture export: the packets of one link for a time window, as a libpcap file.

Theory of operation. The engine never steps packets: a download is a fluid between events
(flows.py). So the export replays the run (spec + seed + timed actions, exactly as the
live run host does) event by event, recording after every event what the packets are made
of: each attempt's byte count and rate (the fluid), each gateway's SA, each IKE exchange.
The trace adds the discrete packets: SYNs, retransmissions and where each one died (the
`path` records transport.py writes). From that record the packets are synthesised:

- data segments: segment j of a run (from `established` or `resume` until the run ends)
  carries bytes [P0 + j*mss, P0 + (j+1)*mss) and leaves the server the moment the fluid
  reaches its last byte, so segments are paced at the fluid's rate, round by round in slow
  start; a shorter segment carries what the fluid holds when the run ends;
- the client ACKs segment 0, then every second segment and the last one (delayed ACK),
  one one-way delay later; ACKs that reach the point where the path broke after it broke
  are lost there, so the server's retransmissions start at the last ACK that got through;
- the TLP resends the last segment, an RTO the first unacknowledged one; a packet appears
  on the links before the point where it died and on none after it (a 106015 drop, a cut
  link, a gateway with no SA); a gateway that answers 106015 with a RST sends it back;
- UDP streams send datagrams at their spec rate, and they die where the engine says;
- IKE main mode (6 messages, real DH publics, nonces and cookies) and quick mode (3,
  encrypted) are spread over the negotiation's message trips, ending when the SAs come up;
- between two tunnel peers a packet is ESP in tunnel mode under the sending gateway's SA
  at that instant (esp.py), sequence numbers counted from the SA's creation: the count of
  earlier packets is computed in closed form, so any window of a long run costs the same.

Time: a packet leaves its sender at its "origin" time and is seen on a link when it enters
it (the sum of the delays of the links before it). [U] Queueing delay is not modelled in
packet times: the fluid's pace already equals the bottleneck's, so nothing would queue.

Pure: no I/O; the caller writes the bytes (labsim, the web). Bounded: a window is at most
MAX_WINDOW_US long and MAX_PACKETS packets, else CaptureError says so.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import packets as P
from .errors import LabError
from .esp import OutboundSa, esp_sa_file, seal, transform_of
from .gateway import SideSa
from .keys import MODP_GROUPS
from .run import Player
from .sim import DEFAULT_MSS, Simulation
from .spec import Scenario, parse_scenario
from .topology import Hop, path_hops
from .units import S

MAX_WINDOW_US = 60 * S
MAX_PACKETS = 200_000

# [U] Receive windows and scaling as a Linux host advertises them by default (SYN window
# 64240 from the client, 65160 from the server, window scale 7), then fixed: the lab has
# no receiver-side limits, so the advertised window stays well above the flight size.
SYN_WINDOW_CLIENT, SYN_WINDOW_SERVER, WSCALE = 64240, 65160, 7
WINDOW_CLIENT, WINDOW_SERVER = 2048, 502  # x 128: 262144 and 64256 bytes
TTL_HOST = 64  # [U] the ASA does not decrement TTL unless told to (set connection decrement-ttl)
TTL_GATEWAY = 255  # [U] IKE and ESP packets the ASA originates

INF = 1 << 62
CLIENT, SERVER = True, False
Action = tuple[int, dict[str, Any]]


class CaptureError(LabError):
    """The export cannot be made as asked (unknown link, window too long or too full)."""


# -- the pattern the downloaded file is made of -----------------------------------------

_LINE = 64
_PATTERN = b"".join(
    f"VPN Flow Lab download, line {i:05d} of a file that never ends.".ljust(_LINE - 1).encode()
    + b"\n"
    for i in range(1024)
)
_PATTERN2 = _PATTERN * 2


def file_bytes(offset: int, n: int) -> bytes:
    """Bytes [offset, offset+n) of the simulated file (n <= 65536)."""
    o = offset % len(_PATTERN)
    return _PATTERN2[o : o + n]


# -- replay -----------------------------------------------------------------------------


class Fluid:
    """An attempt's bytes over time, piecewise linear, as recorded after every event."""

    def __init__(self) -> None:
        self.t: list[int] = []
        self.v: list[int] = []
        self.r: list[int] = []

    def add(self, t: int, value: int, rate: int) -> None:
        if self.t and self.t[-1] == t:  # several changes at one instant: the last holds
            self.v[-1] = max(value, self.v[-2]) if len(self.v) > 1 else value
            self.r[-1] = rate
            return
        if self.t and rate == self.r[-1] and value == self.at(t):
            return
        self.t.append(t)
        self.v.append(max(value, self.v[-1]) if self.v else value)
        self.r.append(rate)

    def at(self, t: int) -> int:
        i = bisect_right(self.t, t) - 1
        if i < 0:
            return 0
        value = self.v[i] + self.r[i] * (t - self.t[i]) // (8 * S)
        return min(value, self.v[i + 1]) if i + 1 < len(self.t) else value

    def reach(self, b: int) -> int:
        """The first instant the fluid holds b bytes (INF: never, as far as recorded)."""
        i = bisect_left(self.v, b)
        if i > 0:
            j = i - 1
            r = self.r[j]
            if r > 0:
                t = self.t[j] + -(-(b - self.v[j]) * 8 * S // r)
                if i >= len(self.t) or t < self.t[i]:
                    return t
        return self.t[i] if i < len(self.t) else INF


@dataclass
class Run:
    """A stretch of an attempt during which data moves."""

    start: int
    p0: int = 0
    end: int | None = None  # None: still moving at the end of the replay
    x_end: int = 0
    how: str = ""  # stall | done | reset | abandon | give_up
    where: str = ""  # stall: where the path broke
    reason: str = ""


@dataclass
class AttemptLog:
    number: int
    client_port: int
    started: int
    syns: list[dict[str, Any]] = field(default_factory=list)
    established: int | None = None
    runs: list[Run] = field(default_factory=list)
    rtx: list[dict[str, Any]] = field(default_factory=list)
    end: dict[str, Any] | None = None
    udp_paths: list[dict[str, Any]] = field(default_factory=list)
    fluid: Fluid = field(default_factory=Fluid)


@dataclass
class IkeExchange:
    t_up: int
    main_mode: bool
    keys: Any  # keys.IkeKeys
    msgid: int
    initiator: str
    version: int = 1


class Recorder:
    """Replays a run, recording what the packets need after every engine event."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.fluids: dict[tuple[str, int], Fluid] = {}
        self.sas: dict[tuple[str, str], list[tuple[int, SideSa | None]]] = {}
        self.ike: dict[str, list[IkeExchange]] = {t: [] for t in sim.tunnels}
        self.snap()

    def snap(self) -> None:
        sim = self.sim
        now = sim.now
        for f in sim.flows.values():
            for a in f.attempts:
                fl = self.fluids.get((f.id, a.number))
                if fl is None:
                    fl = self.fluids[(f.id, a.number)] = Fluid()
                fl.add(now, a.transferred(now), a.rate_bps)
        for t in sim.tunnels.values():
            for gid in (t.spec.a, t.spec.b):
                sa = sim.gateways[gid].sas.get(t.id)
                line = self.sas.setdefault((gid, t.id), [])
                if (line[-1][1] if line else None) is not sa:
                    line.append((now, sa))
                    if sa is not None and gid == t.spec.a:
                        self.ike[t.id].append(
                            IkeExchange(
                                now,
                                t.ike_created_us == now,
                                t.ike_keys,
                                t.msgid,
                                t.initiator,
                                t.version or 1,
                            )
                        )


def replay(
    scenario: Scenario, seed: int | None, actions: Iterable[Action], until_us: int
) -> Recorder:
    """The run replayed as the live lab replays it (run.py), recorded after every change."""
    player = Player(scenario, seed, sorted(actions, key=lambda x: x[0]))
    rec = Recorder(player.rt.sim)
    player.rt.on_change = rec.snap
    player.advance_to(until_us)
    return rec


def attempt_logs(rec: Recorder) -> dict[str, list[AttemptLog]]:
    """Per flow, its attempts as the trace tells them."""
    sim = rec.sim
    logs: dict[str, list[AttemptLog]] = {f: [] for f in sim.flows}
    for e in sim.loop.trace:
        kind = e["type"]
        if kind not in ("flow", "path"):
            continue
        fid = e["flow"]
        f = sim.flows[fid]
        t = e["t_us"]
        if kind == "flow" and e["event"] == "start":
            n = e["attempt"]
            logs[fid].append(AttemptLog(n, f.attempts[n - 1].client_port, t))
            continue
        if not logs[fid]:
            continue
        a = logs[fid][-1]
        if kind == "path":
            if e["kind"] == "syn":
                a.syns.append(e)
            elif e["kind"] == "udp":
                a.udp_paths.append(e)
            else:
                a.rtx.append(e)
            continue
        event = e["event"]
        run = a.runs[-1] if a.runs and a.runs[-1].end is None else None
        if event == "established":
            a.established = t
            a.runs.append(Run(t))
        elif event in ("resume", "flowing"):  # flowing: a UDP stream gets through
            a.runs.append(Run(t))
        elif event in ("path_lost", "done", "reset", "abandon", "give_up", "stop"):
            if run is not None:
                run.end = t
                run.how = "stall" if event == "path_lost" else event
                run.where = str(e.get("where", ""))
                run.reason = str(e.get("reason", ""))
            if event != "path_lost":
                a.end = e
    for fid, attempts in logs.items():
        for a in attempts:
            a.fluid = rec.fluids.get((fid, a.number), Fluid())
            for run in a.runs:
                run.p0 = a.fluid.at(run.start)
                if run.end is not None:
                    run.x_end = a.fluid.at(run.end)
    return logs


# -- paths and positions ----------------------------------------------------------------


class PathInfo:
    """One direction of a flow's path. Positions: node i is 2i, its out link 2i+1; a
    packet that died at position b was seen on the links before b."""

    def __init__(self, sim: Simulation, hops: list[Hop]) -> None:
        self.hops = hops
        self.pos: dict[str, int] = {}
        self.off: list[int] = []
        acc = 0
        for i, h in enumerate(hops):
            self.pos[h.node] = 2 * i
            self.off.append(acc)
            if h.out_link is not None:
                self.pos[h.out_link] = 2 * i + 1
                self.off.append(acc)
                acc += sim.links[h.out_link].delay_us
        self.one_way = acc
        # tunnel stretches: (gateway hop index, peer hop index, tunnel id)
        self.tunnels: list[tuple[int, int, str]] = []
        nodes = [h.node for h in hops]
        for t in sim.tunnels.values():
            if t.spec.a in nodes and t.spec.b in nodes:
                i, j = sorted((nodes.index(t.spec.a), nodes.index(t.spec.b)))
                self.tunnels.append((i, j, t.id))

    def where(self, name: str) -> int:
        return self.pos.get(name, INF)

    def tunnel_at(self, link_pos: int) -> tuple[int, str] | None:
        """(gateway hop index, tunnel id) if a packet on this link is inside a tunnel."""
        for i, j, tid in self.tunnels:
            if 2 * i < link_pos < 2 * j:
                return i, tid
        return None

    def mss_at(self, sim: Simulation, position: int, start: int) -> int:
        """The MSS option of a SYN once the ASAs it passed rewrote it (sysopt tcpmss)."""
        mss = DEFAULT_MSS
        for i, h in enumerate(self.hops):
            if start < 2 * i < position:
                gw = sim.gateways.get(h.node)
                if gw is not None and gw.cfg is not None:
                    mss = min(mss, gw.cfg.sysopt.tcpmss)
        return mss


# -- the packets of a flow --------------------------------------------------------------

# A packet before rendering: (virtual origin time, start position, death position, clear,
# order, fields). Its time on a link at position p with offset off is origin + off; it is
# there iff start < p < death.
Pkt = tuple[int, int, int, bool, int, tuple[Any, ...]]


def _isn(seed: int, flow: str, attempt: int, side: str) -> int:
    h = hashlib.sha256(f"{seed}/{flow}/{attempt}/{side}".encode()).digest()
    return int.from_bytes(h[:4], "big")


class TcpModel:
    """The packets of one TCP attempt, in both directions."""

    def __init__(
        self, sim: Simulation, fid: str, a: AttemptLog, c2s: PathInfo, s2c: PathInfo, seed: int
    ) -> None:
        f = sim.flows[fid]
        self.f, self.a, self.c2s, self.s2c = f, a, c2s, s2c
        self.mss = f.mss
        self.cisn = _isn(seed, fid, a.number, "client")
        self.sisn = _isn(seed, fid, a.number, "server")
        self.client = P.ip4(sim.nodes[f.spec.client].address)
        self.server = P.ip4(sim.nodes[f.spec.server].address)
        self.cport, self.sport = a.client_port, f.spec.server_port
        self.sim = sim
        self.tag = (hash_tag(fid) * 64 + a.number) << 32
        self._discrete: dict[str, list[Pkt]] | None = None
        self._una: dict[int, int] = {}

    # full segments of a run: j = 0..nfull-1 end at p0 + (j+1)*mss
    def _nfull(self, run: Run) -> int:
        if run.end is None:
            return INF
        return (run.x_end - run.p0) // self.mss

    def _partial(self, run: Run) -> bool:
        return run.end is not None and (run.x_end - run.p0) % self.mss != 0

    def _n_before(self, run: Run, x: int) -> int:
        """Full segments of the run that leave the server before x."""
        if x <= run.start:
            return 0
        last = x - 1 if run.end is None else min(x - 1, run.end)
        n = (self.a.fluid.at(last) - run.p0) // self.mss
        return max(0, min(n, self._nfull(run)))

    def _seg_time(self, run: Run, j: int) -> int:
        return max(run.start, self.a.fluid.reach(run.p0 + (j + 1) * self.mss))

    def _acks_before(self, n: int) -> int:
        """ACKs among segments 0..n-1: segment 0, then every odd one."""
        return (1 if n >= 1 else 0) + n // 2

    def _ack_cut(self, run: Run) -> tuple[int, int]:
        """(position, origin time limit): ACKs of a stalled run sent at or after the limit
        die at the position where the path broke."""
        if run.how != "stall" or not run.where:
            return INF, INF
        pos = self.c2s.where(run.where)
        if pos >= INF:
            return INF, INF
        assert run.end is not None
        return pos, run.end - self.c2s.off[pos]

    # -- counting (for ESP sequence numbers) --------------------------------------------
    def count(self, direction: str, lo: int, hi: int, position: int) -> int:
        """Packets of this attempt going `direction` whose origin time is in [lo, hi)
        and that are seen on the link at `position`."""
        total = 0
        d = self.s2c.one_way
        for run in self.a.runs:
            if direction == "s2c":
                total += self._n_before(run, hi) - self._n_before(run, lo)
                if self._partial(run) and run.end is not None and lo <= run.end < hi:
                    total += 1
            else:
                cut_pos, limit = self._ack_cut(run)
                top = hi if position < cut_pos else min(hi, limit)
                if top > lo:
                    total += self._acks_before(self._n_before(run, top - d)) - self._acks_before(
                        self._n_before(run, lo - d)
                    )
                    if self._partial(run) and run.end is not None and lo <= run.end + d < top:
                        total += 1
        for p in self.discrete()[direction]:
            if lo <= p[0] < hi and p[1] < position < p[2] and not p[3]:
                total += 1
        return total

    # -- the packets --------------------------------------------------------------------
    def window(self, direction: str, lo: int, hi: int, position: int, budget: int) -> list[Pkt]:
        """Packets going `direction` with origin time in [lo, hi) seen at `position`."""
        out: list[Pkt] = []
        d = self.s2c.one_way
        for k, run in enumerate(self.a.runs):
            tag = self.tag + (k << 24)
            if direction == "s2c":
                j0, j1 = self._n_before(run, lo), self._n_before(run, hi)
                _spend(budget, len(out) + j1 - j0)
                for j in range(j0, j1):
                    t = self._seg_time(run, j)
                    out.append(self._data(t, run.p0 + j * self.mss, self.mss, tag + 2 * j))
                if self._partial(run) and run.end is not None and lo <= run.end < hi:
                    start = run.p0 + self._nfull(run) * self.mss
                    out.append(self._data(run.end, start, run.x_end - start, tag + 2**23, psh=True))
            else:
                cut_pos, limit = self._ack_cut(run)
                j0, j1 = self._n_before(run, lo - d), self._n_before(run, hi - d)
                _spend(budget, len(out) + (j1 - j0) // 2 + 1)
                for j in range(j0, j1):
                    if j and not j & 1:
                        continue
                    t = self._seg_time(run, j) + d
                    death = cut_pos if t >= limit else INF
                    if position < death:
                        ack = run.p0 + (j + 1) * self.mss
                        out.append(self._ack(t, ack, death, tag + 2 * j + 1))
                if self._partial(run) and run.end is not None and lo <= run.end + d < hi:
                    t = run.end + d
                    death = cut_pos if t >= limit else INF
                    if position < death:
                        out.append(self._ack(t, run.x_end, death, tag + 2**23 + 1))
        for p in self.discrete()[direction]:
            if lo <= p[0] < hi and p[1] < position < p[2]:
                out.append(p)
        return out

    def _tcp(
        self,
        from_client: bool,
        seq: int,
        ack: int,
        flags: int,
        window: int,
        offset: int,
        n: int,
        options: bytes,
    ) -> tuple[Any, ...]:
        if from_client:
            ends: tuple[Any, ...] = (self.client, self.server, self.cport, self.sport)
        else:
            ends = (self.server, self.client, self.sport, self.cport)
        return ("tcp", *ends, seq, ack, flags, window, offset, n, options)

    def _data(self, t: int, offset: int, n: int, order: int, psh: bool = False) -> Pkt:
        flags = P.ACK | (P.PSH if psh else 0)
        fields = self._tcp(
            SERVER, self.sisn + 1 + offset, self.cisn + 1, flags, WINDOW_SERVER, offset, n, b""
        )
        return (t, -1, INF, False, order, fields)

    def _ack(self, t: int, ack: int, death: int, order: int, start: int = -1) -> Pkt:
        fields = self._tcp(
            CLIENT, self.cisn + 1, self.sisn + 1 + ack, P.ACK, WINDOW_CLIENT, 0, 0, b""
        )
        return (t, start, death, False, order, fields)

    def _una_at_stall(self, run: Run) -> int:
        """The highest ACK the server got before the path broke (RTOs resend from it)."""
        _, limit = self._ack_cut(run)
        if limit >= INF:
            return run.x_end
        n = self._n_before(run, limit - self.s2c.one_way)  # segments whose ACK got through
        if n == 0:
            return run.p0
        j = n - 1 if (n - 1 == 0 or (n - 1) & 1) else n - 2  # the last acked segment
        return run.p0 + (j + 1) * self.mss

    def discrete(self) -> dict[str, list[Pkt]]:
        """The handshake, retransmissions, resets and FINs (a few per attempt)."""
        if self._discrete is not None:
            return self._discrete
        c2s_pkts: list[Pkt] = []
        s2c_pkts: list[Pkt] = []
        c2s, s2c, sim = self.c2s, self.s2c, self.sim
        tag = self.tag + (255 << 24)
        k = 0

        def nxt() -> int:
            nonlocal k
            k += 1
            return tag + k

        for syn in self.a.syns:
            t = syn["t_us"]
            first_ok, ok = syn["first_ok"], syn["ok"]
            death = INF if first_ok else c2s.where(syn["where"])
            for pos in range(1, 2 * len(c2s.hops) - 1, 2):  # per link: ASAs rewrite the MSS
                if pos < death:
                    mss = c2s.mss_at(sim, pos, -1)
                    opts = P.tcp_options_syn(mss, WSCALE)
                    fields = self._tcp(CLIENT, self.cisn, 0, P.SYN, SYN_WINDOW_CLIENT, 0, 0, opts)
                    c2s_pkts.append((t, pos - 1, pos + 1, False, nxt(), fields))
            if first_ok:
                t2 = t + c2s.one_way
                death2 = INF if ok else s2c.where(syn["where"])
                for pos in range(1, 2 * len(s2c.hops) - 1, 2):
                    if pos < death2:
                        opts = P.tcp_options_syn(s2c.mss_at(sim, pos, -1), WSCALE)
                        fields = self._tcp(
                            SERVER,
                            self.sisn,
                            self.cisn + 1,
                            P.SYN | P.ACK,
                            SYN_WINDOW_SERVER,
                            0,
                            0,
                            opts,
                        )
                        s2c_pkts.append((t2, pos - 1, pos + 1, False, nxt(), fields))
                if ok:
                    c2s_pkts.append(self._ack(t2 + s2c.one_way, 0, INF, nxt()))
        # retransmissions while stalled
        run_i = 0
        runs = self.a.runs
        for rtx in self.a.rtx:
            t = rtx["t_us"]
            while run_i + 1 < len(runs) and runs[run_i + 1].start < t:
                run_i += 1
            if not runs or runs[run_i].start > t:
                continue
            run = runs[run_i]
            x = run.x_end
            if rtx["kind"] == "tlp" or (una := self._una_at_stall(run)) >= x:
                seg_start = max(run.p0, x - ((x - run.p0) % self.mss or self.mss))
            else:
                seg_start = una
            n = min(self.mss, x - seg_start)
            if n <= 0:
                continue
            death = INF if rtx["first_ok"] else s2c.where(rtx["where"])
            p = self._data(t, seg_start, n, nxt(), psh=True)
            s2c_pkts.append((t, -1, death, p[3], p[4], p[5]))
            if rtx["first_ok"]:
                death2 = INF if rtx["ok"] else c2s.where(rtx["where"])
                c2s_pkts.append(self._ack(t + s2c.one_way, x, death2, nxt()))
            if rtx.get("rst_by"):
                gpos = s2c.where(rtx["rst_by"])
                if gpos < INF:
                    # the ASA answers the dropped segment with a RST in the client's name
                    rpos = c2s.where(rtx["rst_by"])
                    fields = self._tcp(CLIENT, self.cisn + 1, 0, P.RST, 0, 0, 0, b"")
                    c2s_pkts.append(
                        (t + s2c.off[gpos] - c2s.off[rpos], rpos, INF, False, nxt(), fields)
                    )
        end = self.a.end
        if end is not None and end["event"] == "done":
            t = end["t_us"]
            size = self.f.spec.size_bytes
            fin_s = self._tcp(
                SERVER, self.sisn + 1 + size, self.cisn + 1, P.FIN | P.ACK, WINDOW_SERVER, 0, 0, b""
            )
            s2c_pkts.append((t, -1, INF, False, nxt(), fin_s))
            t2 = t + s2c.one_way
            fin_c = self._tcp(
                CLIENT, self.cisn + 1, self.sisn + 2 + size, P.FIN | P.ACK, WINDOW_CLIENT, 0, 0, b""
            )
            c2s_pkts.append((t2, -1, INF, False, nxt(), fin_c))
            last = self._tcp(
                SERVER, self.sisn + 2 + size, self.cisn + 2, P.ACK, WINDOW_SERVER, 0, 0, b""
            )
            s2c_pkts.append((t2 + c2s.one_way, -1, INF, False, nxt(), last))
        elif end is not None and end["event"] == "abandon":
            t = end["t_us"]
            got = self.a.fluid.at(t)
            death = INF
            for e in self.sim.loop.trace:
                if (
                    e["type"] == "drop"
                    and e["t_us"] == t
                    and e.get("kind") == "rst"
                    and e.get("flow") == self.f.id
                ):
                    death = c2s.where(e["device"])
            rst = self._tcp(CLIENT, self.cisn + 1, self.sisn + 1 + got, P.RST | P.ACK, 0, 0, 0, b"")
            c2s_pkts.append((t, -1, death, False, nxt(), rst))
        self._discrete = {"c2s": c2s_pkts, "s2c": s2c_pkts}
        return self._discrete


def hash_tag(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:2], "big")


def _spend(budget: int, n: int) -> None:
    if n > budget:
        raise CaptureError(
            f"the window holds more than {MAX_PACKETS} packets on this link; "
            "choose a shorter window"
        )


class UdpModel:
    """The datagrams of one UDP attempt: sent at the spec rate from start to stop, dying
    where the engine's latest check of the path said."""

    def __init__(self, sim: Simulation, fid: str, a: AttemptLog, c2s: PathInfo) -> None:
        f = sim.flows[fid]
        self.f, self.a, self.c2s = f, a, c2s
        rate = max(1, f.spec.rate_bps)
        # [U] datagram size: about 50 a second, at most one MSS of payload
        self.size = min(f.mss, max(64, rate // 8 // 50))
        self.rate = rate
        self.start = a.started
        self.stop = a.end["t_us"] if a.end is not None else INF
        self.client = P.ip4(sim.nodes[f.spec.client].address)
        self.server = P.ip4(sim.nodes[f.spec.server].address)
        self.cport, self.sport = a.client_port, f.spec.server_port
        self.tag = (hash_tag(fid) * 64 + a.number) << 32
        # fate intervals: (from, death position, clear)
        self.fates: list[tuple[int, int, bool]] = []
        for e in a.udp_paths:
            if e["ok"]:
                fate = (e["t_us"], INF, False)
            else:
                pos = c2s.where(e["where"])
                clear = str(e["reason"]).startswith("sent in clear")
                fate = (e["t_us"], pos + 1 if clear else pos, clear)
            if self.fates and self.fates[-1][0] == fate[0]:
                self.fates[-1] = fate
            else:
                self.fates.append(fate)

    def _k_before(self, x: int) -> int:
        """Datagrams sent before x: datagram k leaves at start + ceil(k*size*8/rate)."""
        x = min(x, self.stop)
        if x <= self.start:
            return 0
        return ((x - 1 - self.start) * self.rate // (self.size * 8 * S)) + 1

    def _time(self, k: int) -> int:
        return self.start + -(-k * self.size * 8 * S // self.rate)

    def _intervals(self, lo: int, hi: int) -> Iterable[tuple[int, int, int, bool]]:
        for i, (t0, death, clear) in enumerate(self.fates):
            t1 = self.fates[i + 1][0] if i + 1 < len(self.fates) else INF
            a, b = max(lo, t0), min(hi, t1)
            if a < b:
                yield a, b, death, clear

    def count(self, lo: int, hi: int, position: int) -> int:
        return sum(
            self._k_before(b) - self._k_before(a)
            for a, b, death, clear in self._intervals(lo, hi)
            if position < death and not clear
        )

    def window(self, lo: int, hi: int, position: int, budget: int) -> list[Pkt]:
        out: list[Pkt] = []
        for a, b, death, clear in self._intervals(lo, hi):
            if position >= death:
                continue
            k0, k1 = self._k_before(a), self._k_before(b)
            _spend(budget, len(out) + k1 - k0)
            for k in range(k0, k1):
                fields = ("udp", self.client, self.server, self.cport, self.sport, k, self.size)
                out.append((self._time(k), -1, death, clear, self.tag + k, fields))
        return out


def udp_payload(k: int, size: int) -> bytes:
    head = f"<134>vpn-flow-lab stream datagram {k:010d} ".encode()
    return (head + file_bytes(k * size, size))[:size]


# -- IKE --------------------------------------------------------------------------------


def _filler(seed: bytes, n: int) -> bytes:
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(seed + i.to_bytes(4, "big")).digest()
        i += 1
    return out[:n]


def ike_messages(sim: Simulation, tid: str, ex: IkeExchange) -> list[tuple[int, bool, bytes]]:
    """(message index, sent by the initiator, ISAKMP bytes) of one exchange: main mode's
    six messages (SA, KE+nonce in clear, identities encrypted) when the IKE SA is new, then
    quick mode's three (encrypted: the bytes are filler of the right length)."""
    if ex.version == 2:
        return _ikev2_messages(ex)
    k = ex.keys
    t = sim.tunnels[tid]
    init_gw = sim.gateways[ex.initiator] if ex.initiator else sim.gateways[t.spec.a]
    cfg = init_gw.cfg or sim.peer_of(t, init_gw.id).cfg
    enc, lifetime = "3des", 86400
    if cfg is not None and cfg.isakmp_policies:
        pol = cfg.isakmp_policies[min(cfg.isakmp_policies)]
        enc, lifetime = pol.encryption, pol.lifetime_s
    block = 16 if enc.startswith("aes") else 8
    out: list[tuple[int, bool, bytes]] = []
    zero = bytes(8)
    i = 0
    if ex.main_mode:
        sa = P.payload(P.PL_NONE, P.phase1_sa(enc, k.hash, k.group, lifetime))
        out.append((0, True, P.isakmp(k.cookie_i, zero, P.PL_SA, P.EXCH_MAIN, 0, 0, sa)))
        out.append((1, False, P.isakmp(k.cookie_i, k.cookie_r, P.PL_SA, P.EXCH_MAIN, 0, 0, sa)))
        size = (MODP_GROUPS[k.group].bit_length() + 7) // 8
        for idx, (pub, nonce) in enumerate(((k.public_i, k.nonce_i), (k.public_r, k.nonce_r))):
            body = P.payload(P.PL_NONCE, pub.to_bytes(size, "big")) + P.payload(P.PL_NONE, nonce)
            out.append(
                (
                    2 + idx,
                    idx == 0,
                    P.isakmp(k.cookie_i, k.cookie_r, P.PL_KE, P.EXCH_MAIN, 0, 0, body),
                )
            )
        for idx in range(2):
            body = _filler(k.cookie_i + k.cookie_r + bytes([4 + idx]), 4 * block * 2)
            msg = P.isakmp(k.cookie_i, k.cookie_r, P.PL_ID, P.EXCH_MAIN, P.FLAG_ENCRYPTED, 0, body)
            out.append((4 + idx, idx == 0, msg))
        i = 6
    for idx, n in enumerate((12 * block, 12 * block, 2 * block)):
        seed = k.cookie_i + k.cookie_r + ex.msgid.to_bytes(4, "big") + bytes([idx])
        body = _filler(seed, n)
        msg = P.isakmp(
            k.cookie_i, k.cookie_r, P.PL_HASH, P.EXCH_QUICK, P.FLAG_ENCRYPTED, ex.msgid, body
        )
        out.append((i + idx, idx != 1, msg))
    return out


def _ikev2_messages(ex: IkeExchange) -> list[tuple[int, bool, bytes]]:
    """IKE_SA_INIT in clear (SA, KE with the real DH public, nonce; the real SPIs) and
    IKE_AUTH when the IKE SA is new, else one CREATE_CHILD_SA pair (a child rekey).
    [U] Encrypted (SK) payloads carry filler of a plausible length, not real ciphertext."""
    k = ex.keys
    size = (MODP_GROUPS[k.group].bit_length() + 7) // 8
    out: list[tuple[int, bool, bytes]] = []
    i = 0
    if ex.main_mode:
        sa = P.payload(P.PL2_KE, P.ikev2_sa(k.encryption, k.prf, k.integrity, k.group))
        for idx, (spi_r, pub, nonce) in enumerate(
            ((bytes(8), k.public_i, k.nonce_i), (k.spi_r, k.public_r, k.nonce_r))
        ):
            body = (
                sa
                + P.payload(P.PL2_NONCE, P.ikev2_ke(k.group, pub.to_bytes(size, "big")))
                + P.payload(P.PL2_NONE, nonce)
            )
            flags = P.FLAG2_INITIATOR if idx == 0 else P.FLAG2_RESPONSE
            out.append(
                (
                    idx,
                    idx == 0,
                    P.ikev2(k.spi_i, spi_r, P.PL2_SA, P.EXCH_IKE_SA_INIT, flags, 0, body),
                )
            )
        i = 2
    exchange = P.EXCH_IKE_AUTH if ex.main_mode else P.EXCH_CREATE_CHILD_SA
    msgid = 1 if ex.main_mode else 2 + ex.msgid % 1000  # [U] a later message id
    for idx, n in enumerate((272, 240) if ex.main_mode else (208, 208)):
        seed = k.spi_i + k.spi_r + msgid.to_bytes(4, "big") + bytes([idx])
        inner = (P.PL2_IDI if idx == 0 else P.PL2_IDR) if ex.main_mode else P.PL2_SA
        sk = P.payload(inner, _filler(seed, n))  # next payload: the first one inside SK
        flags = P.FLAG2_INITIATOR if idx == 0 else P.FLAG2_RESPONSE
        out.append(
            (i + idx, idx == 0, P.ikev2(k.spi_i, k.spi_r, P.PL2_SK, exchange, flags, msgid, sk))
        )
    return out


# -- the export -------------------------------------------------------------------------


@dataclass
class Capture:
    pcap: bytes
    esp_sa: str  # "" when no packet of the window is ESP
    packets: int
    sas: list[OutboundSa]
    recorder: Recorder


# A packet of the window: (capture time, order, (gateway, tunnel) whose SA encrypts it or
# None, time it leaves that gateway, (source MAC, destination MAC), inner fields).
Entry = tuple[int, int, tuple[str, str] | None, int, tuple[bytes, bytes], tuple[Any, ...]]


def _ends(link_id: str, hops: list[Hop]) -> tuple[bytes, bytes] | None:
    """(source MAC, destination MAC) of a packet crossing link_id along hops."""
    for i, h in enumerate(hops):
        if h.out_link == link_id:
            nxt = hops[i + 1]
            return P.mac_for(f"{h.node}:{h.out_ifc}"), P.mac_for(f"{nxt.node}:{nxt.in_ifc}")
    return None


def _out_sa(sim: Simulation, sender: str, tid: str, keys: Any) -> OutboundSa:
    """The SA `sender` encrypts with, from its outbound keys (keys.EspKeys)."""
    gw = sim.gateways[sender]
    peer = sim.peer_of(sim.tunnels[tid], sender)
    return OutboundSa(
        keys.spi,
        gw.address("outside"),
        peer.address("outside"),
        transform_of(tuple(keys.transform)),
        keys.enc_key,
        keys.auth_key,
    )


def export(
    scenario: Scenario,
    seed: int | None,
    actions: Sequence[Action],
    link: str,
    from_us: int,
    to_us: int,
) -> Capture:
    """The capture of `link` for [from_us, to_us) of the run (see the module docstring)."""
    if to_us <= from_us or from_us < 0:
        raise CaptureError(
            f"the window must end after it starts (from {from_us} us, to {to_us} us)"
        )
    if to_us - from_us > MAX_WINDOW_US:
        raise CaptureError(
            f"the window is {(to_us - from_us) / S:g} s long; at most {MAX_WINDOW_US // S} s "
            "can be exported at a time"
        )
    if link not in {x.id for x in scenario.topology.links}:
        names = ", ".join(x.id for x in scenario.topology.links)
        raise CaptureError(f"no link {link!r}; links: {names}")
    rec = replay(scenario, seed, actions, to_us)
    sim = rec.sim
    seed_value = sim.seed
    budget = MAX_PACKETS
    window: list[Entry] = []
    counters: dict[tuple[str, str], list[tuple[Any, str, int, int]]] = {}
    logs = attempt_logs(rec)
    for fid, f in sim.flows.items():
        c2s = PathInfo(sim, f.c2s)
        s2c = PathInfo(sim, f.s2c)
        for a in logs[fid]:
            model: TcpModel | UdpModel
            dirs: tuple[tuple[str, PathInfo], ...]
            if f.is_tcp:
                model = TcpModel(sim, fid, a, c2s, s2c, seed_value)
                dirs = (("c2s", c2s), ("s2c", s2c))
            else:
                model = UdpModel(sim, fid, a, c2s)
                dirs = (("c2s", c2s),)
            for dname, path in dirs:
                pos = path.pos.get(link)
                if pos is None:
                    continue
                ends = _ends(link, path.hops)
                assert ends is not None
                off = path.off[pos]
                tun = path.tunnel_at(pos)
                esp_key = None
                esp_shift = 0
                if tun is not None:
                    gi, tid = tun
                    g = path.hops[gi].node
                    esp_key = (g, tid)
                    gpos = 2 * gi + 1
                    esp_shift = path.off[gpos]
                    counters.setdefault(esp_key, []).append((model, dname, gpos, esp_shift))
                lo, hi = from_us - off, to_us - off
                if isinstance(model, TcpModel):
                    pkts = model.window(dname, lo, hi, pos, budget - len(window))
                else:
                    pkts = model.window(lo, hi, pos, budget - len(window))
                for p in pkts:
                    key = None if p[3] else esp_key
                    window.append((p[0] + off, p[4], key, p[0] + esp_shift, ends, p[5]))
                _spend(budget, len(window))
    # IKE on the links between the peers
    for tid, t in sim.tunnels.items():
        if link not in t.wan_links:
            continue
        fwd = path_hops(sim.graph, sim.links, t.spec.a, t.spec.b)
        back = path_hops(sim.graph, sim.links, t.spec.b, t.spec.a)
        half = t.wan_rtt_us // 2
        for ex in rec.ike[tid]:
            if ex.keys is None:
                continue
            msgs = ike_messages(sim, tid, ex)
            t0 = ex.t_up - len(msgs) * t.wan_rtt_us // 2
            init = ex.initiator or t.spec.a
            for idx, by_init, body in msgs:
                sender = init if by_init else (t.spec.b if init == t.spec.a else t.spec.a)
                hops = fwd if sender == t.spec.a else back
                path = PathInfo(sim, hops)
                gpos = path.pos[sender]
                when = t0 + idx * half + path.off[path.pos[link]] - path.off[gpos]
                if not from_us <= when < to_us:
                    continue
                ends = _ends(link, hops)
                assert ends is not None
                src = sim.gateways[sender].address("outside")
                dst = sim.peer_of(t, sender).address("outside")
                fields = ("ike", P.ip4(src), P.ip4(dst), body)
                window.append(
                    (when, hash_tag(tid) << 40 | ex.t_up << 4 | idx, None, when, ends, fields)
                )
    _spend(budget, len(window))
    window.sort(key=lambda w: (w[0], w[1]))
    frames, sas = _render(sim, rec, window, counters)
    pcap = P.pcap_file(frames, base_us=clock_base_us(sim.scenario.start_clock))
    return Capture(pcap, esp_sa_file(sas) if sas else "", len(frames), sas, rec)


def clock_base_us(start_clock: str) -> int:
    """The scenario's clock at simulated time 0 (the ASA's `logging timestamp` start) in
    microseconds since 1970, so packet times match the syslog's. [U] Read as UTC: the
    scenario names no time zone, and Wireshark shows UTC as it shows the syslog's time."""
    start = _dt.datetime.fromisoformat(start_clock).replace(tzinfo=_dt.UTC)
    return int(start.timestamp()) * S


def _sa_at(lines: list[tuple[int, SideSa]], t: int) -> tuple[int, SideSa] | None:
    """The SA a gateway encrypts with at t: the newest created at or before t (or the
    first one, for a packet the engine let through a moment before it existed)."""
    if not lines:
        return None
    i = bisect_right(lines, t, key=lambda x: x[0]) - 1
    return lines[max(i, 0)]


def _render(
    sim: Simulation,
    rec: Recorder,
    window: list[Entry],
    counters: dict[tuple[str, str], list[tuple[Any, str, int, int]]],
) -> tuple[list[tuple[int, bytes]], list[OutboundSa]]:
    """Frames for the sorted window; ESP packets numbered from their SA's creation."""
    ips = [_inner(w[5]) for w in window]
    groups: dict[int, tuple[tuple[str, str], int, SideSa, list[int]]] = {}
    created_sas = {
        key: [(t0, sa) for t0, sa in line if sa is not None] for key, line in rec.sas.items()
    }
    for i, w in enumerate(window):
        key = w[2]
        if key is None:
            continue
        found = _sa_at(created_sas.get(key, []), w[3])
        if found is None:
            continue  # never had an SA: stays in clear
        created, sa = found
        group = groups.setdefault(id(sa), (key, created, sa, []))
        group[3].append(i)
    sas: list[OutboundSa] = []
    for key, created, sa, idxs in groups.values():
        osa = _out_sa(sim, key[0], key[1], sa.keys_out)
        first = window[idxs[0]][3]
        base = 0
        for model, dname, gpos, shift in counters.get(key, []):
            if first > created:
                if isinstance(model, TcpModel):
                    base += model.count(dname, created - shift, first - shift, gpos)
                else:
                    base += model.count(created - shift, first - shift, gpos)
        seqs = [base + 1 + n for n in range(len(idxs))]
        bodies = seal(osa, [(q, ips[i]) for q, i in zip(seqs, idxs, strict=True)])
        src, dst = P.ip4(osa.src), P.ip4(osa.dst)
        for q, i, body in zip(seqs, idxs, bodies, strict=True):
            ips[i] = P.ipv4(src, dst, P.PROTO_ESP, body, q, TTL_GATEWAY, True)
        sas.append(osa)
        peer = sim.peer_of(sim.tunnels[key[1]], key[0]).id
        sas.append(_out_sa(sim, peer, key[1], sa.keys_in))  # the other direction too
    frames = [
        (w[0], w[4][1] + w[4][0] + b"\x08\x00" + ip) for w, ip in zip(window, ips, strict=True)
    ]
    unique: dict[int, OutboundSa] = {}
    for osa in sas:
        unique.setdefault(osa.spi, osa)
    return frames, sorted(unique.values(), key=lambda x: (x.src, x.spi))


def _inner(fields: tuple[Any, ...]) -> bytes:
    kind = fields[0]
    if kind == "tcp":
        _, src, dst, sport, dport, seq, ack, flags, win, offset, n, opts = fields
        payload = file_bytes(offset, n) if n else b""
        seg = P.tcp_segment(src, dst, sport, dport, seq, ack, flags, win, payload, opts)
        ident = (seq ^ (seq >> 16)) & 0xFFFF
        return P.ipv4(src, dst, P.PROTO_TCP, seg, ident, TTL_HOST, True)
    if kind == "udp":
        _, src, dst, sport, dport, k, size = fields
        dgram = P.udp_datagram(src, dst, sport, dport, udp_payload(k, size))
        return P.ipv4(src, dst, P.PROTO_UDP, dgram, k & 0xFFFF, TTL_HOST, False)
    _, src, dst, body = fields
    return P.ipv4(
        src, dst, P.PROTO_UDP, P.udp_datagram(src, dst, 500, 500, body), 0, TTL_GATEWAY, False
    )


def export_pcap(
    scenario: Scenario | dict[str, Any],
    seed: int | None,
    actions: Sequence[Action],
    link: str,
    from_us: int,
    to_us: int,
) -> tuple[bytes, str]:
    """(libpcap bytes, Wireshark esp_sa file text or "") of `link` for [from_us, to_us) of
    the run of `scenario` (a Scenario or its dict form) with `seed` and the run's logged
    actions as (t_us, action dict), the format lab/live replays. Raises CaptureError (a
    LabError; the message is for the user) when the window is too long or too full; a
    bad spec raises SpecError. CPU-bound and self-contained: call it in a worker thread."""
    if isinstance(scenario, dict):
        scenario = parse_scenario(scenario)
    cap = export(scenario, seed, actions, link, from_us, to_us)
    return cap.pcap, cap.esp_sa
