"""`capture NAME interface IF [match ...]`, `capture NAME type asp-drop [REASON]`,
`show capture [NAME]`, `no capture NAME`, and a capture's packets as a pcap file.

Theory of operation. A capture is a name, what it watches and the instant it started; it
lives on the device (`gw.tools["captures"]`) until `no capture`. Its packets are drawn
when shown: an interface capture asks the packet synthesis of the pcap export
(pcap.export, which replays the run's logged actions) for the link behind the interface,
from the capture's start to now, in windows of at most pcap.MAX_WINDOW_US, and keeps the
frames that match until the ASA's default buffer (512 KB, `buffer` in the capture
command reference) is full: then the capture stops filling, as the real one does. An
asp-drop capture lists the packets this box dropped (the `path` records forwarding.walk's
verdicts leave in the trace say when, which flow and why), each drawn from the same
synthesis on the link it arrived by, with the ASP reason.

Line formats. The packet lines as an ASA 9.5 printed an asp-drop capture in the blog post
"ASA: Deny IP due to Land Attack" (2015): `   28: 20:20:07.518924       SRC.PORT >
DST.PORT: S SEQ:SEQ(0) win N <mss 1460,sackOK,...> Drop-reason: (NAME) TEXT` (number right
in 5 columns, seven spaces, tcpdump's notation); a SYN-ACK `S SEQ:SEQ(0) ack N win N` and a
`match` that takes both directions as tunnelsup.com's "Packet Captures on Cisco ASA"
shows them. The capture list `capture NAME type raw-data interface IF [Capturing - N
bytes]` / `  match ...` (`[Buffer Full - N bytes]` once full) and `N packets captured` /
`N packets shown` around the lines are from memory of ASA output [P]. [U]: the byte count
is the frames' length; ESP lines read `SRC > DST:  ip-proto-50, length N`. An asp-drop line is the
synthesised frame that reached the box when the engine dropped it (found on its incoming
link at that instant); should the synthesis have none, the line gives the addresses and
the segment's flags only [U].
"""

from __future__ import annotations

import contextvars
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import acl
from .. import packets as P
from ..commands import command_from_dict
from ..errors import LabError
from ..gateway import ASP_DROPS, Gateway
from ..units import S
from .grammar import ArgError

if TYPE_CHECKING:
    from ..sim import Simulation

BUFFER_BYTES = 512 * 1024  # `capture ... buffer` default: 512 KB (command reference)
MAX_CAPTURES = 16  # [U] per device: the lab's bound on capture memory (16 x 512 KB)
TOO_MANY = f"ERROR: The lab keeps at most {MAX_CAPTURES} captures per device; remove one first"
ASP_REASONS = {  # walk's verdict reasons -> `show asp drop` names (gateway.ASP_DROPS)
    "no connection (106015)": "tcp-not-syn",
    "IPSEC SA not negotiated yet": "ipsec-need-sa",
    "no inbound SA for this SPI": "vpn-handle-not-found",
}
ASP_FRAME_BYTES = 64  # [U] bytes counted for a dropped packet the synthesis has no frame for
KIND_FLAGS = {"syn": "S", "synack": "S", "data": "P", "ack": ".", "rst": "R", "fin": "F"}

# True while a capture replays the run: the replayed sessions' own `show capture` lines
# must not start another replay.
_REPLAYING: contextvars.ContextVar[bool] = contextvars.ContextVar("replaying", default=False)


@dataclass
class Capture:
    name: str
    kind: str  # raw-data | asp-drop
    start_us: int
    ifc: str = ""
    match: tuple[str, ...] = ()  # the words after `match`
    reason: str = "all"  # asp-drop: one reason, or all
    cache: tuple[int, list[tuple[int, bytes]], bool] | None = None  # (now, frames, full)
    rows: list[tuple[int, str, int]] = field(default_factory=list)  # asp-drop, at cache[0]


def captures(gw: Gateway) -> dict[str, Capture]:
    store: dict[str, Capture] = gw.tools.setdefault("captures", {})
    return store


# -- commands -------------------------------------------------------------------------


def start(sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]) -> str:
    """`capture NAME interface IF [match ...]` | `capture NAME type asp-drop [REASON]`."""
    assert gw.cfg is not None
    name = args[0]
    if name not in captures(gw) and len(captures(gw)) >= MAX_CAPTURES:
        return TOO_MANY + "\n"  # [U] wording
    if "type" in words:
        reason = words[4] if len(words) > 4 else "all"
        if reason != "all" and reason not in ASP_DROPS:
            raise ArgError(4)
        captures(gw)[name] = Capture(name, "asp-drop", sim.now, reason=reason)
        return ""
    ifc = words[3]
    if gw.cfg.interface_by_nameif(ifc) is None:
        raise ArgError(3)
    match: tuple[str, ...] = ()
    if "match" in words:
        match = tuple(words[words.index("match") + 1 :])
        if acl.parse_entry("permit " + " ".join(match)) is None:
            raise ArgError(words.index("match") + 1)
    captures(gw)[name] = Capture(name, "raw-data", sim.now, ifc=ifc, match=match)
    return ""


def stop(sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]) -> str:
    """`no capture NAME`: the capture and its buffer go."""
    if captures(gw).pop(args[0], None) is None:
        return f"ERROR: Capture <{args[0]}> does not exist\n"  # [U]
    return ""


def show(sim: Simulation, gw: Gateway, words: tuple[str, ...], args: tuple[str, ...]) -> str:
    if _REPLAYING.get():
        return ""
    if not args:
        return "".join(_summary(sim, gw, c) for c in captures(gw).values())
    cap = captures(gw).get(args[0])
    if cap is None:
        return f"ERROR: Capture <{args[0]}> does not exist\n"  # [U]
    lines = packet_lines(sim, gw, cap)
    return f"{len(lines)} packets captured\n\n" + "".join(lines) + f"{len(lines)} packets shown\n"


def _summary(sim: Simulation, gw: Gateway, cap: Capture) -> str:
    if cap.kind == "asp-drop":
        n = sum(size for _, _, size in _asp_rows(sim, gw, cap))
        return f"capture {cap.name} type asp-drop {cap.reason} [Capturing - {n} bytes]\n"
    frames, full = frames_of(sim, gw, cap)
    n = sum(len(f) for _, f in frames)
    state = "Buffer Full" if full else "Capturing"
    head = f"capture {cap.name} type raw-data interface {cap.ifc} [{state} - {n} bytes]\n"
    return head + (f"  match {' '.join(cap.match)}\n" if cap.match else "")


# -- packets ----------------------------------------------------------------------------


def run_actions(sim: Simulation) -> list[tuple[int, dict[str, Any]]]:
    """The run's logged actions, read back from the trace: operator commands (not the
    scenario's own events, which a replay plays anyway) and the lines typed at the run's
    terminals (not those a command typed: replaying the command types them again). [U] A
    password is recorded as stars: a replay cannot type an `enable password` back."""
    scripted: list[tuple[int, dict[str, Any]]] = []
    for e in sim.scenario.events:
        try:
            scripted.append((e.at_us, command_from_dict(e.action).to_dict()))
        except LabError:
            continue
    actions: list[tuple[int, dict[str, Any]]] = []
    for rec in sim.loop.trace:
        if rec["type"] == "command":
            cmd = rec["command"]
            if (rec["t_us"], cmd) in scripted:
                scripted.remove((rec["t_us"], cmd))
                continue
            actions.append((rec["t_us"], dict(cmd)))
        elif rec["type"] == "cli" and rec.get("terminal"):
            line = str(rec["line"])
            if line.endswith("^Z"):  # the echo of Ctrl-Z: type it again
                line = line[:-2] + "\x1a"
            actions.append((rec["t_us"], {"do": "type", "device": rec["device"], "line": line}))
    return actions


def _link_of(sim: Simulation, gw: Gateway, ifc: str) -> str | None:
    for link in sim.links.values():
        if f"{gw.id}:{ifc}" in (link.a, link.b):
            return link.id
    return None


def frames_of(sim: Simulation, gw: Gateway, cap: Capture) -> tuple[list[tuple[int, bytes]], bool]:
    """The frames an interface capture holds now, and whether its buffer is full."""
    from .. import pcap

    if cap.cache is not None and (cap.cache[0] == sim.now or cap.cache[2]):
        return cap.cache[1], cap.cache[2]
    link = _link_of(sim, gw, cap.ifc)
    frames: list[tuple[int, bytes]] = []
    used, full = 0, False
    entry = acl.parse_entry("permit " + " ".join(cap.match)) if cap.match else None
    t = cap.start_us
    actions = run_actions(sim)
    base = pcap.clock_base_us(sim.scenario.start_clock)
    while link is not None and t < sim.now and not full:
        end = min(sim.now, t + pcap.MAX_WINDOW_US)
        token = _REPLAYING.set(True)
        try:
            got = pcap.export(sim.scenario, sim.seed, actions, link, t, end)
        except pcap.CaptureError:
            break  # [U] a window too full to synthesise ends the capture there
        finally:
            _REPLAYING.reset(token)
        for when, frame in read_pcap(got.pcap, base):
            if entry is not None and not _matches(entry, frame):
                continue
            if used + len(frame) > BUFFER_BYTES:
                full = True
                break
            frames.append((when, frame))
            used += len(frame)
        t = end
    cap.cache = (sim.now, frames, full)
    return frames, full


def read_pcap(data: bytes, base_us: int = 0) -> list[tuple[int, bytes]]:
    """(t_us, frame) records of a libpcap file written by packets.pcap_file; `base_us`:
    its time of simulated 0 (pcap.clock_base_us), so t_us comes back in simulated time."""
    out, i = [], 24
    while i + 16 <= len(data):
        secs, usecs, n, _ = struct.unpack_from("<IIII", data, i)
        out.append((secs * S + usecs - base_us, data[i + 16 : i + 16 + n]))
        i += 16 + n
    return out


def pcap_bytes(sim: Simulation, device: str, name: str) -> bytes:
    """The capture `name` of `device` as a libpcap file (for a download link)."""
    gw = sim.gateways[device]
    cap = captures(gw)[name]
    frames = frames_of(sim, gw, cap)[0] if cap.kind == "raw-data" else []
    from .. import pcap

    return P.pcap_file(frames, pcap.clock_base_us(sim.scenario.start_clock))


def _ip_fields(frame: bytes) -> tuple[int, str, str, bytes] | None:
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    hl = (ip[0] & 0x0F) * 4
    total = int.from_bytes(ip[2:4], "big")
    src = ".".join(str(b) for b in ip[12:16])
    dst = ".".join(str(b) for b in ip[16:20])
    return ip[9], src, dst, ip[hl:total]


def _matches(entry: acl.Entry, frame: bytes) -> bool:
    fields = _ip_fields(frame)
    if fields is None:
        return False
    proto_n, src, dst, body = fields
    proto = {P.PROTO_TCP: "tcp", P.PROTO_UDP: "udp"}.get(proto_n, "other")
    sport = dport = 0
    if proto in ("tcp", "udp") and len(body) >= 4:
        sport, dport = struct.unpack_from("!HH", body)
    if entry.proto not in ("ip", proto):
        return False
    return entry.matches(entry.proto, src, sport, dst, dport) or entry.matches(
        entry.proto, dst, dport, src, sport
    )  # a capture's match takes both directions


def _tcp_options(opts: bytes) -> str:
    out, i = [], 0
    while i < len(opts):
        kind = opts[i]
        if kind == 0:
            break
        if kind == 1:
            out.append("nop")
            i += 1
            continue
        size = opts[i + 1] if i + 1 < len(opts) else 2
        value = opts[i + 2 : i + size]
        if kind == 2:
            out.append(f"mss {int.from_bytes(value, 'big')}")
        elif kind == 3:
            out.append(f"wscale {value[0]}")
        elif kind == 4:
            out.append("sackOK")
        else:
            out.append(f"opt-{kind}")
        i += max(size, 2)
    return f" <{','.join(out)}>" if out else ""


def describe(frame: bytes) -> str:
    """One frame in the ASA's tcpdump-like notation (module docstring)."""
    fields = _ip_fields(frame)
    if fields is None:
        return "non-IP frame"
    proto, src, dst, body = fields
    if proto == P.PROTO_TCP and len(body) >= 20:
        sport, dport, seq, ack, off, flags, win = struct.unpack_from("!HHIIBBH", body)
        hl = (off >> 4) * 4
        n = len(body) - hl
        mark = "".join(
            c for bit, c in ((P.SYN, "S"), (P.FIN, "F"), (P.RST, "R"), (P.PSH, "P")) if flags & bit
        )
        text = f"{src}.{sport} > {dst}.{dport}: {mark or '.'}"
        if n or flags & (P.SYN | P.FIN | P.RST):
            text += f" {seq}:{(seq + n) & 0xFFFFFFFF}({n})"
        if flags & P.ACK:
            text += f" ack {ack}"
        return text + f" win {win}" + _tcp_options(body[20:hl])
    if proto == P.PROTO_UDP and len(body) >= 8:
        sport, dport, length = struct.unpack_from("!HHH", body)
        return f"{src}.{sport} > {dst}.{dport}:  udp {length - 8}"
    return f"{src} > {dst}:  ip-proto-{proto}, length {len(body)}"


def _stamp(sim: Simulation, t_us: int) -> str:
    import datetime as dt

    when = dt.datetime.fromisoformat(sim.scenario.start_clock) + dt.timedelta(microseconds=t_us)
    return when.strftime("%H:%M:%S.%f")


@dataclass(frozen=True)
class Drop:
    """One packet this box dropped: when and where it arrived, which way, and why."""

    t_us: int  # when it reached this box's interface
    link: str  # the link it arrived on
    src: tuple[str, int]
    dst: tuple[str, int]
    kind: str  # syn, synack, data, ack, udp
    reason: str  # `show asp drop` name


def _drops(sim: Simulation, gw: Gateway, cap: Capture) -> list[Drop]:
    """The packets this box dropped since the capture started, from the `path` records
    that forwarding.walk's verdicts leave (the packet's origin time) and its path."""
    out = []
    for rec in sim.loop.trace:
        if rec["type"] != "path" or rec["t_us"] < cap.start_us or rec["ok"]:
            continue
        if rec["where"] != gw.id or rec["reason"] not in ASP_REASONS:
            continue
        name = ASP_REASONS[rec["reason"]]
        if cap.reason not in ("all", name):
            continue
        flow = sim.flows[rec["flow"]]
        kind = rec["kind"]
        if kind in ("tlp", "rto"):  # the server's retransmission, or the client's ACK of it
            kind, direction = ("ack", "c2s") if rec["first_ok"] else ("data", "s2c")
        elif kind == "syn" and rec["first_ok"]:
            kind, direction = "synack", "s2c"
        else:
            direction = "c2s"
        hops = flow.c2s if direction == "c2s" else flow.s2c
        at = [h.node for h in hops].index(gw.id)
        link = hops[at - 1].out_link
        if link is None:
            continue
        delay = sum(sim.links[h.out_link].delay_us for h in hops[: at - 1] if h.out_link)
        client = (sim.nodes[flow.spec.client].address, flow.current.client_port)
        server = (sim.nodes[flow.spec.server].address, flow.spec.server_port)
        src, dst = (client, server) if direction == "c2s" else (server, client)
        out.append(Drop(rec["t_us"] + delay, link, src, dst, kind, name))
    return out


def _drop_frames(sim: Simulation, drops: list[Drop]) -> list[bytes | None]:
    """Each dropped packet as the pcap synthesis makes it: the frame of that flow and way
    on its incoming link at the instant it arrived (None if the synthesis has none)."""
    from .. import pcap

    found: list[bytes | None] = [None] * len(drops)
    actions = run_actions(sim)
    by_link: dict[str, list[int]] = {}
    for i, d in enumerate(drops):
        by_link.setdefault(d.link, []).append(i)
    for link, idxs in by_link.items():
        group: list[int] = []
        for i in [*idxs, -1]:  # windows of at most MAX_WINDOW_US, one replay each
            if i >= 0 and (not group or drops[i].t_us - drops[group[0]].t_us < pcap.MAX_WINDOW_US):
                group.append(i)
                continue
            lo, hi = drops[group[0]].t_us, drops[group[-1]].t_us + 1
            token = _REPLAYING.set(True)
            try:
                got = pcap.export(sim.scenario, sim.seed, actions, link, lo, hi)
                frames = read_pcap(got.pcap, pcap.clock_base_us(sim.scenario.start_clock))
            except pcap.CaptureError:
                frames = []
            finally:
                _REPLAYING.reset(token)
            for k in group:
                d = drops[k]
                for when, frame in frames:
                    if when == d.t_us and _ends(frame) == (d.src, d.dst):
                        found[k] = frame
                        break
            group = [i]
    return found


def _ends(frame: bytes) -> tuple[tuple[str, int], tuple[str, int]] | None:
    fields = _ip_fields(frame)
    if fields is None or len(fields[3]) < 4:
        return None
    sport, dport = struct.unpack_from("!HH", fields[3])
    return (fields[1], sport), (fields[2], dport)


def _asp_rows(sim: Simulation, gw: Gateway, cap: Capture) -> list[tuple[int, str, int]]:
    """(time, text, bytes) of the asp-drop capture's packets: the synthesised frame in the
    ASA's notation, or [U] its addresses and flags when the synthesis has no such packet."""
    if cap.cache is not None and cap.cache[0] == sim.now:
        return cap.rows
    drops = _drops(sim, gw, cap)
    frames = _drop_frames(sim, drops) if drops else []
    rows, used = [], 0
    for d, frame in zip(drops, frames, strict=True):
        text = describe(frame) if frame is not None else _bare(d)
        why = f"Drop-reason: ({d.reason}) {ASP_DROPS[d.reason]}"
        size = len(frame) if frame is not None else ASP_FRAME_BYTES
        if used + size > BUFFER_BYTES:
            break  # the buffer is full, as for an interface capture
        used += size
        rows.append((d.t_us, f"{text} {why}", size))
    cap.cache, cap.rows = (sim.now, [], False), rows
    return rows


def _bare(d: Drop) -> str:
    a, b = f"{d.src[0]}.{d.src[1]}", f"{d.dst[0]}.{d.dst[1]}"
    return f"{a} > {b}:  udp" if d.kind == "udp" else f"{a} > {b}: {KIND_FLAGS.get(d.kind, '.')}"


def packet_lines(sim: Simulation, gw: Gateway, cap: Capture) -> list[str]:
    if cap.kind == "asp-drop":
        rows = [f"{_stamp(sim, t)}       {text}\n" for t, text, _ in _asp_rows(sim, gw, cap)]
    else:
        rows = [f"{_stamp(sim, t)}       {describe(f)}\n" for t, f in frames_of(sim, gw, cap)[0]]
    return [f"{n:>5}: {row}" for n, row in enumerate(rows, start=1)]  # `   28:` as captured
