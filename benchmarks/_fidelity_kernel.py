"""The kernel side of benchmarks/fidelity.py: namespaces, the agents run inside them,
and what their captures say (see fidelity.py for the whole picture).

Nothing here runs at import: fidelity.py calls run_kernel() as root.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PORT = 5001
CLIENT_IP, FW_C_IP = "198.18.1.2", "198.18.1.1"
SERVER_IP, FW_S_IP = "198.18.2.2", "198.18.2.1"
SAMPLE_S = 0.002
TIMER_SILENCE_S = 0.008  # 2 jiffies at HZ=250
MSS_WIRE = 1514  # Ethernet frame of a full-sized segment on the veths (MTU 1500)


@dataclass
class PathSpec:
    """One measured path. buffer_bytes is the tbf byte limit (the bottleneck buffer)."""

    name: str = "default"
    rate_bps: int = 10_000_000
    rtt_ms: float = 40.0
    buffer_bytes: int = 50_000
    cc: str = "cubic"
    outage_s: float = 10.0
    retries2: int = 15
    cut_at_s: float = 6.0  # after the server accepted the connection
    size_bytes: int = 30_000_000
    teardown: bool = False

    @property
    def bdp_bytes(self) -> int:
        return int(self.rate_bps * self.rtt_ms / 1000 / 8)


# -- the kernel side ----------------------------------------------------------------------

SENDER = r"""
import json, select, socket, struct, sys, time
host, port, size, cc, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:6]
deadline = float(sys.argv[6])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
ls.bind((host, port)); ls.listen(1)
print("ready", flush=True)
s, _ = ls.accept()
start = time.time()
print("start", start, flush=True)
s.setblocking(False)
buf = b"\0" * 65536
sent, samples, end, gave_up = 0, [], None, None
nxt = 0.0
while time.time() < deadline:
    now = time.time()
    if now >= nxt:
        b = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
        v = struct.unpack_from("<8B24I4Q", b)
        # t, state, ca_state, retransmits, probes, backoff, rto, rtt, rttvar, cwnd, ssthresh,
        # unacked, total_retrans, bytes_acked
        samples.append([now, v[0], v[1], v[2], v[3], v[4], v[8], v[23], v[24], v[26], v[25],
                        v[12], v[31], v[34]])
        nxt = now + 0.002
        if v[0] == 7:
            gave_up = now
            break
        if sent == size and v[12] == 0:
            end = now
            break
    try:
        if sent < size:
            select.select([], [s], [s], 0.002)
            sent += s.send(buf[: min(len(buf), size - sent)])
        else:
            select.select([s], [], [], 0.002)
    except BlockingIOError:
        pass
    except OSError:
        gave_up = time.time()
        break
json.dump({"start": start, "end": end, "gave_up": gave_up, "sent": sent, "samples": samples},
          open(out, "w"))
s.close()
"""

# A userspace delay line: this kernel has no netem, so a transparent two-port bridge in
# its own namespace holds every frame for the one-way delay (both directions, FIFO).
RELAY = r"""
import collections, select, socket, sys, time
delay = float(sys.argv[1])
socks = []
for dev in ("w0", "w1"):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((dev, 0))
    s.setblocking(False)
    socks.append(s)
peer = {socks[0]: socks[1], socks[1]: socks[0]}
q = collections.deque()
print("ready", flush=True)
while True:
    timeout = max(0.0, q[0][0] - time.monotonic()) if q else 1.0
    ready, _, _ = select.select(socks, [], [], timeout)
    now = time.monotonic()
    for s in ready:
        while True:
            try:
                frame, addr = s.recvfrom(65536)
            except BlockingIOError:
                break
            if addr[2] != 4:  # not PACKET_OUTGOING (our own sends)
                q.append((now + delay, peer[s], frame))
    now = time.monotonic()
    while q and q[0][0] <= now:
        _, out, frame = q.popleft()
        try:
            out.send(frame)
        except BlockingIOError:
            pass
"""

RECEIVER = r"""
import socket, sys, time
host, port, deadline = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.create_connection((host, port), timeout=5)
s.settimeout(0.5)
got = 0
while time.time() < deadline:
    try:
        b = s.recv(1 << 16)
    except socket.timeout:
        continue
    except OSError:
        break
    if not b:
        break
    got += len(b)
print(got, flush=True)
"""


def sh(*args: str, check: bool = True) -> str:
    r = subprocess.run(args, capture_output=True, text=True)
    if check and r.returncode:
        raise RuntimeError(f"{' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


class Namespaces:
    """client, firewall, server namespaces for one run; delete() is idempotent."""

    live: list[Namespaces] = []

    def __init__(self) -> None:
        tag = secrets.token_hex(3)
        self.c, self.f, self.s = f"fid-c-{tag}", f"fid-f-{tag}", f"fid-s-{tag}"
        self.w = f"fid-w-{tag}"  # the delay line between the firewall and the server
        Namespaces.live.append(self)

    def ex(self, ns: str, *args: str, check: bool = True) -> str:
        return sh("ip", "netns", "exec", ns, *args, check=check)

    def no_offload(self, ns: str, dev: str) -> None:
        """Segments on the wire as the path would carry them: no offload super-packets."""
        off = ("tx", "off", "tso", "off", "gso", "off", "gro", "off")
        self.ex(ns, "ethtool", "-K", dev, *off, check=False)

    def create(self, p: PathSpec) -> None:
        c, f, s, w = self.c, self.f, self.s, self.w
        for ns in (c, f, s, w):
            sh("ip", "netns", "add", ns)
            self.ex(ns, "ip", "link", "set", "lo", "up")
            self.ex(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", check=False)
            self.ex(ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1", check=False)
        sh("ip", "link", "add", "c0", "netns", c, "type", "veth", "peer", "f0", "netns", f)
        sh("ip", "link", "add", "f1", "netns", f, "type", "veth", "peer", "w0", "netns", w)
        sh("ip", "link", "add", "w1", "netns", w, "type", "veth", "peer", "s0", "netns", s)
        for dev in ("w0", "w1"):
            self.ex(w, "ip", "link", "set", dev, "up", "promisc", "on")
            self.no_offload(w, dev)
        for ns, dev, addr in (
            (c, "c0", CLIENT_IP),
            (f, "f0", FW_C_IP),
            (f, "f1", FW_S_IP),
            (s, "s0", SERVER_IP),
        ):
            self.ex(ns, "ip", "addr", "add", f"{addr}/24", "dev", dev)
            self.ex(ns, "ip", "link", "set", dev, "up")
            self.no_offload(ns, dev)
        self.ex(c, "ip", "route", "add", "default", "via", FW_C_IP)
        self.ex(s, "ip", "route", "add", "default", "via", FW_S_IP)
        self.ex(f, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        self.ex(f, "modprobe", "nf_conntrack", check=False)
        self.ex(s, "sysctl", "-qw", f"net.ipv4.tcp_retries2={p.retries2}")
        self.ex(s, "sysctl", "-qw", f"net.ipv4.tcp_congestion_control={p.cc}", check=False)
        rate_bytes_s = p.rate_bps // 8
        burst = max(2 * MSS_WIRE, rate_bytes_s // 1000)  # about 1 ms of tokens
        limit = max(p.buffer_bytes, MSS_WIRE)
        self.ex(
            f,
            "tc",
            "qdisc",
            "add",
            "dev",
            "f0",
            "root",
            "tbf",
            "rate",
            f"{p.rate_bps}bit",
            "burst",
            str(burst),
            "limit",
            str(limit),
        )
        rules = (
            "table inet fid {\n"
            " chain outage { }\n"
            " chain through { type filter hook forward priority 0; policy drop;\n"
            "  jump outage\n"
            "  ct state established,related accept\n"
            "  ct state new tcp flags & (fin|syn|rst|ack) == syn accept\n"
            " }\n"
            "}\n"
        )
        subprocess.run(
            ["ip", "netns", "exec", f, "nft", "-f", "-"], input=rules, text=True, check=True
        )
        self.ex(f, "sysctl", "-qw", "net.netfilter.nf_conntrack_tcp_loose=0")

    def delete(self) -> None:
        for ns in (self.c, self.f, self.s, self.w):
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
            for pid in pids.stdout.split():
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)  # only processes in our namespaces
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        if self in Namespaces.live:
            Namespaces.live.remove(self)


def cleanup_all() -> None:
    for n in list(Namespaces.live):
        n.delete()


def on_signal(signum: int, _frame: object) -> None:
    cleanup_all()
    sys.exit(128 + signum)


def read_pcap(path: Path) -> list[tuple[float, str, int, int, int, int]]:
    """(t, 'out'|'in', seq, payload length, ack, flags) of each TCP packet (Ethernet)."""
    data = path.read_bytes()
    magic = struct.unpack_from("<I", data)[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
    off, out = 24, []
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack_from(endian + "IIII", data, off)
        pkt = data[off + 16 : off + 16 + incl]
        off += 16 + incl
        if len(pkt) < 54 or pkt[12:14] != b"\x08\x00" or pkt[23] != 6:
            continue
        ihl = (pkt[14] & 0x0F) * 4
        total = struct.unpack_from(">H", pkt, 16)[0]
        src = ".".join(str(b) for b in pkt[26:30])
        tcp = 14 + ihl
        seq, ack = struct.unpack_from(">II", pkt, tcp + 4)
        thl = (pkt[tcp + 12] >> 4) * 4
        flags = pkt[tcp + 13]
        t = sec + frac / (1e9 if nano else 1e6)
        out.append((t, "out" if src == SERVER_IP else "in", seq, total - ihl - thl, ack, flags))
    return out


def analyse(
    pkts: list[tuple[float, str, int, int, int, int]],
    sender: dict[str, Any],
    t_cut: float,
    t_restore: float,
    size: int,
) -> dict[str, Any]:
    """The instants of one kernel run, in seconds after the cut."""
    syn_ack = next(p for p in pkts if p[1] == "out" and p[5] & 0x12 == 0x12)
    isn = syn_ack[2]

    def rel(seq: int) -> int:
        return (seq - isn) % (1 << 32)

    samples = sender["samples"]
    last_in = max((p[0] for p in pkts if p[1] == "in" and p[0] < t_restore), default=t_cut)
    first_in_after = min(
        (p[0] for p in pkts if p[1] == "in" and p[0] >= t_restore), default=float("inf")
    )
    # A timer's transmission follows a silence (a PTO is at least 2*SRTT); sends that the
    # last ACKs triggered, or small-queue deferral (TSQ) released, follow within a ms or so.
    events: list[float] = []
    prev = None
    for p in pkts:
        if p[1] != "out" or p[3] == 0:
            continue
        late = last_in + 0.0005 < p[0] < first_in_after
        if late and prev is not None and p[0] - prev >= TIMER_SILENCE_S:
            events.append(p[0])
        prev = p[0]

    def retransmits_after(t: float) -> int:
        for s in samples:
            if s[0] > t + 0.001:
                return int(s[3])
        return int(samples[-1][3]) if samples else 0

    tlp = None
    rtos: list[float] = []
    for t in events:
        if not rtos and tlp is None and retransmits_after(t) == 0:
            tlp = t
        else:
            rtos.append(t)
    high = max(
        (rel(p[2]) + p[3] for p in pkts if p[1] == "out" and p[0] < first_in_after), default=0
    )
    resume = next(
        (
            p[0]
            for p in pkts
            if p[1] == "out" and p[0] >= first_in_after and rel(p[2]) + p[3] > high
        ),
        None,
    )
    done = next(
        (p[0] for p in pkts if p[1] == "in" and p[5] & 0x10 and rel(p[4]) >= size + 1), None
    )
    at_cut = next((s for s in samples if s[0] >= t_cut), samples[-1] if samples else None)

    def r(t: float | None) -> float | None:
        return None if t is None else round(t - t_cut, 4)

    return {
        "tlp_s": r(tlp),
        "rto_s": [r(t) for t in rtos],
        "resume_s": r(resume),
        "give_up_s": r(sender.get("gave_up")),
        "after_resume_s": None if done is None or resume is None else round(done - resume, 4),
        "last_ack_s": r(last_in),
        "at_cut": None
        if at_cut is None
        else {
            "srtt_ms": at_cut[7] / 1000,
            "rttvar_ms": at_cut[8] / 1000,
            "rto_ms": at_cut[6] / 1000,
            "cwnd": at_cut[9],
            "ssthresh": at_cut[10],
            "ca_state": at_cut[2],  # 0 Open, 3 Recovery: no tail-loss probe outside Open/CWR
        },
    }


def run_kernel(p: PathSpec, keep: Path | None = None) -> dict[str, Any]:
    """One real download across the outage; returns analyse()'s instants."""
    work = Path(tempfile.mkdtemp(prefix="fidelity-"))
    ns = Namespaces()
    procs: list[subprocess.Popen[str]] = []
    try:
        ns.create(p)
        relay = subprocess.Popen(
            ["ip", "netns", "exec", ns.w, sys.executable, "-c", RELAY, str(p.rtt_ms / 2000)],
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(relay)
        assert relay.stdout is not None
        assert relay.stdout.readline().strip() == "ready"
        pcap = work / "server.pcap"
        dump = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                ns.s,
                "tcpdump",
                "-i",
                "s0",
                "-s",
                "96",
                "-U",
                "-n",
                "--immediate-mode",
                "-w",
                str(pcap),
                "tcp",
                "port",
                str(PORT),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(dump)
        assert dump.stderr is not None
        dump.stderr.readline()  # "listening on s0 ..."
        budget = p.cut_at_s + p.outage_s + 60 + p.size_bytes * 8 / p.rate_bps * 2
        deadline = time.time() + budget
        out = work / "sender.json"
        sender = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                ns.s,
                sys.executable,
                "-c",
                SENDER,
                SERVER_IP,
                str(PORT),
                str(p.size_bytes),
                p.cc,
                str(out),
                str(deadline),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(sender)
        assert sender.stdout is not None
        assert sender.stdout.readline().strip() == "ready"
        receiver = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                ns.c,
                sys.executable,
                "-c",
                RECEIVER,
                SERVER_IP,
                str(PORT),
                str(deadline),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(receiver)
        start = float(sender.stdout.readline().split()[1])
        time.sleep(max(0.0, start + p.cut_at_s - time.time()))
        before = time.time()
        ns.ex(ns.f, "nft", "add", "rule", "inet", "fid", "outage", "drop")
        t_cut = (before + time.time()) / 2
        if p.teardown:
            ns.ex(ns.f, "conntrack", "-D", "-p", "tcp", "--dport", str(PORT), check=False)
        ss_cut = ns.ex(ns.s, "ss", "-tinoe", "sport", f"= :{PORT}", check=False)
        time.sleep(max(0.0, t_cut + p.outage_s - time.time()))
        before = time.time()
        ns.ex(ns.f, "nft", "flush", "chain", "inet", "fid", "outage")
        t_restore = (before + time.time()) / 2
        ss_restore = ns.ex(ns.s, "ss", "-tinoe", "sport", f"= :{PORT}", check=False)
        sender.wait(timeout=budget + 30)
        receiver.kill()
        time.sleep(1.0)  # tcpdump stops at SIGINT without draining its buffer
        dump.send_signal(signal.SIGINT)
        dump.wait(timeout=10)
        result = json.loads(out.read_text())
        m = analyse(read_pcap(pcap), result, t_cut, t_restore, p.size_bytes)
        m["ss_at_cut"], m["ss_at_restore"] = ss_cut.strip(), ss_restore.strip()
        m["restore_s"] = round(t_restore - t_cut, 4)
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            (keep / "server.pcap").write_bytes(pcap.read_bytes())
            (keep / "sender.json").write_text(out.read_text())
        return m
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        ns.delete()
        for child in work.iterdir():
            child.unlink()
        work.rmdir()


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per instant, the median over the runs that have it, among the runs whose cut found
    the sender in the Open or CWR state (only there does Linux arm a tail-loss probe,
    tcp_schedule_loss_probe; a cut during loss recovery runs another schedule, the RTO from
    the last ACK and no probe) and that retransmitted as often as most did: mixing
    schedules would pair unlike instants."""

    def med(values: list[float | None]) -> float | None:
        got = [v for v in values if v is not None]
        return round(statistics.median(got), 4) if got else None

    open_ = [i for i, r in enumerate(runs) if r["at_cut"] and r["at_cut"].get("ca_state") in (0, 2)]
    used = open_ or list(range(len(runs)))
    # Near the restore an RTO may land just before it in some runs and just after in
    # others: keep the runs with the most common number of RTOs, one schedule.
    counts = [len(runs[i]["rto_s"]) for i in used]
    modal = max(sorted(set(counts)), key=counts.count)
    used = [i for i in used if len(runs[i]["rto_s"]) == modal]
    runs = [runs[i] for i in used]
    n_rto = max(len(r["rto_s"]) for r in runs)
    rtos = [
        med([r["rto_s"][i] if i < len(r["rto_s"]) else None for r in runs]) for i in range(n_rto)
    ]
    out: dict[str, Any] = {
        k: med([r[k] for r in runs])
        for k in ("tlp_s", "resume_s", "give_up_s", "after_resume_s", "last_ack_s")
    }
    out["rto_s"] = rtos
    out["at_cut"] = {
        k: med([r["at_cut"][k] for r in runs if r["at_cut"]])
        for k in ("srtt_ms", "rttvar_ms", "rto_ms", "cwnd", "ssthresh")
    }
    out["runs_used"] = [i + 1 for i in used]
    return out
