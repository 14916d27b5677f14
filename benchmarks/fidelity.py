"""TCP timing against the real Linux kernel: the same path, file and outage, kernel and lab.

Run it as root (it builds network namespaces):

    ./dev fidelity                                  # one default path, 3 runs, table
    ./dev fidelity --rate-mbit 2 --rtt-ms 200 --buffer-bdp 0.25 --cc reno --outage-s 30
    ./dev fidelity --retries2 5 --outage-s 60       # the give-up case
    ./dev fidelity --teardown --outage-s 30         # conntrack entry deleted at the cut
    ./dev fidelity --fixture tests/engine/fixtures/fidelity/NAME.json --json out.json

Kernel side: namespaces client, firewall, wire and server (random suffix) joined by veth
pairs, addresses only inside them (198.18.1.0/24 and 198.18.2.0/24, RFC 2544 benchmark
space; no route to the host). The firewall forwards through nftables (`ct state
established,related accept`, `ct state new` + SYN accept, drop the rest;
nf_conntrack_tcp_loose=0) and shapes with tc: a tbf rate queue towards the client whose
byte limit is the buffer. This kernel has no netem, so the RTT is a userspace delay line in
the wire namespace between the firewall and the server: a transparent bridge holding every
frame RTT/2 each way (so data sent after the cut and ACKs that passed the firewall before
it are still in flight, as on a real path). The outage is a drop rule added and flushed
at exact instants; --teardown also deletes the conntrack entry at the cut. A Python sender
in the server namespace writes the file and samples TCP_INFO every 2 ms; tcpdump on the
server's veth records the packets; `ss -tinoe` is snapshotted at the cut and at the restore.
Each run cuts --phase-step-s later than the one before (same bytes left), so the medians
span the sender's window cycle. All of this lives in benchmarks/_fidelity_kernel.py.

Lab side: the same path as a scenario (client -[access: rate, buffer]- fw -[cut]- gw
-[wan: RTT/2]- server) through `manage.py labsim --json`; with --teardown, the default-drop
built-in (its ASAs tear the conn down with the SA) on the same rate, RTT and outage.

The table gives, relative to the cut: the tail-loss probe, each RTO retransmission, the
first new byte after the path returns (resume), the give-up time, and the transfer time
after resume. The kernel column is the median of --runs runs. Goals (issue 17): resume
and give-up within 5 %, probe and each retransmission within 12.5 %, teardown never
resumes. The namespaces are deleted whatever happens (finally, atexit, SIGINT/SIGTERM).
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "benchmarks"):  # the lab's engine; the kernel side next to us
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from _fidelity_kernel import (  # noqa: E402
    CLIENT_IP,
    PORT,
    SERVER_IP,
    PathSpec,
    cleanup_all,
    median_of,
    on_signal,
    run_kernel,
)

__all__ = ["PathSpec", "lab_instants", "lab_scenario", "teardown_scenario"]
GOALS = {"resume": 5.0, "rto": 12.5, "tlp": 12.5, "give_up": 5.0}


# -- the lab side -------------------------------------------------------------------------


def lab_scenario(p: PathSpec) -> dict[str, Any]:
    """The path as a scenario: the cut sits where the firewall is, the bottleneck queue and
    half the RTT towards the client behind it, the other half towards the server."""
    half_us = int(p.rtt_ms * 500)
    fast = {"rate_bps": 10_000_000_000, "buffer_bytes": 4_000_000}
    start_s = 1.0
    cut_at = start_s + p.rtt_ms / 1000 * 1.5 + p.cut_at_s  # accept() comes 1.5 RTT in
    return {
        "format": 1,
        "slug": f"fidelity-{p.name}",
        "title": f"Fidelity path {p.name}",
        "topic": "tcp",
        "difficulty": "advanced",
        "teaches": "The lab's TCP timing against the kernel's on the same path.",
        "rule": "-",
        "instructions": "-",
        "explanation": "-",
        "seed": 1,
        "until_s": cut_at + p.outage_s + 60 + p.size_bytes * 8 / p.rate_bps * 2,
        "topology": {
            "sites": [{"id": "lab", "name": "Lab"}],
            "nodes": [
                {"id": "client", "kind": "client", "site": "lab", "address": CLIENT_IP},
                {"id": "fw", "kind": "router", "site": "lab"},
                {"id": "gw", "kind": "router", "site": "lab"},
                {
                    "id": "server",
                    "kind": "server",
                    "site": "lab",
                    "address": SERVER_IP,
                    "tcp_retries2": p.retries2,
                },
            ],
            "links": [
                {
                    "id": "access",
                    "a": "client",
                    "b": "fw",
                    "rate_bps": p.rate_bps,
                    "delay_us": 0,
                    "buffer_bytes": max(p.buffer_bytes, 1500),
                },
                {"id": "cut", "a": "fw", "b": "gw", "delay_us": 0, **fast},
                {"id": "wan", "a": "gw", "b": "server", "delay_us": half_us, **fast},
            ],
            "tunnels": [],
        },
        "flows": [
            {
                "id": "download",
                "proto": "tcp",
                "client": "client",
                "server": "server",
                "server_port": PORT,
                "client_port": 40000,
                "start_s": start_s,
                "size_bytes": p.size_bytes,
            }
        ],
        "events": [{"at_s": round(cut_at, 6), "do": "cut", "link": "cut", "for_s": p.outage_s}],
        "expect": {},
    }


def teardown_scenario(p: PathSpec) -> dict[str, Any]:
    """Teardown in the lab: the built-in where the ASAs delete the conn with the SA."""
    from lab.engine.library import builtin_dict  # noqa: PLC0415 (the engine, no Django)

    d = builtin_dict("default-drop")
    for link in d["topology"]["links"]:
        if link["id"] == "internet":
            link.update(
                rate_bps=p.rate_bps, delay_us=int(p.rtt_ms * 500), buffer_bytes=p.buffer_bytes
            )
    d["events"] = [{"at_s": 60, "do": "cut", "link": "internet", "for_s": p.outage_s}]
    d["until_s"] = 60 + p.outage_s + 120
    return d


def lab_instants(summary: dict[str, Any]) -> dict[str, Any]:
    """The lab's instants (seconds after the cut) from a `labsim --json` summary."""
    f = summary["flows"][0]
    if not f["stalls"]:
        return {
            "tlp_s": None,
            "rto_s": [],
            "resume_s": None,
            "give_up_s": None,
            "after_resume_s": None,
            "resumed": False,
        }
    cut = f["stalls"][0]["start_s"]
    end = f["stalls"][0]["end_s"]
    rtx = [round(t - cut, 4) for t in f["retransmissions_s"] if t >= cut]
    kinds = [e.get("probe") for e in summary["events"] if e.get("type") == "retransmit"]
    tlp = rtx[0] if rtx and kinds[:1] == ["tlp"] else None
    rtos = rtx[1:] if tlp is not None else rtx
    done = f["completed_at_s"]
    return {
        "tlp_s": tlp,
        "rto_s": rtos,
        "resume_s": None if end is None else round(end - cut, 4),
        "give_up_s": None
        if f["aborted_at_s"] is None or "timed out" not in (f["abort_reason"] or "")
        else round(f["aborted_at_s"] - cut, 4),
        "abort_reason": f["abort_reason"],
        "after_resume_s": None if done is None or end is None else round(done - end, 4),
        "resumed": f["resumed"],
    }


def run_lab(p: PathSpec) -> dict[str, Any]:
    """The same path through `manage.py labsim --json` (a subprocess, as a user runs it)."""
    scenario = teardown_scenario(p) if p.teardown else lab_scenario(p)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(scenario, fh)
    try:
        r = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "labsim", fh.name, "--json"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
    finally:
        os.unlink(fh.name)
    return lab_instants(json.loads(r.stdout))


# -- the table ----------------------------------------------------------------------------


def rows(
    lab: dict[str, Any], kernel: dict[str, Any]
) -> list[tuple[str, Any, Any, float | None, float | None]]:
    """(instant, lab, kernel, error %, goal %) in the order they happen."""
    out: list[tuple[str, Any, Any, float | None, float | None]] = []

    def add(name: str, a: Any, b: Any, goal: float | None) -> None:
        err = None if a is None or b is None or not b else round(100 * (a - b) / b, 1)
        out.append((name, a, b, err, goal))

    add("tail-loss probe", lab["tlp_s"], kernel["tlp_s"], GOALS["tlp"])
    for i in range(max(len(lab["rto_s"]), len(kernel["rto_s"]))):
        a = lab["rto_s"][i] if i < len(lab["rto_s"]) else None
        b = kernel["rto_s"][i] if i < len(kernel["rto_s"]) else None
        add(f"RTO {i + 1}", a, b, GOALS["rto"])
    add("resume (first new byte)", lab["resume_s"], kernel["resume_s"], GOALS["resume"])
    add("give-up", lab["give_up_s"], kernel["give_up_s"], GOALS["give_up"])
    add("transfer after resume", lab["after_resume_s"], kernel["after_resume_s"], None)
    return out


def verdicts(p: PathSpec, lab: dict[str, Any], kernel: dict[str, Any]) -> list[dict[str, Any]]:
    """Headline figures: goal, value, met."""
    out = []
    if p.teardown:
        out.append(
            {
                "goal": "teardown never resumes",
                "value": lab["resume_s"],
                "kernel": kernel["resume_s"],
                "met": lab["resume_s"] is None and kernel["resume_s"] is None,
            }
        )
        return out
    for name, a, b, err, goal in rows(lab, kernel):
        if goal is None or (a is None and b is None):
            continue
        met = err is not None and abs(err) <= goal
        out.append(
            {"goal": f"{name} within {goal} %", "lab": a, "kernel": b, "value": err, "met": met}
        )
    return out


def fmt(v: Any) -> str:
    return "-" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def print_table(p: PathSpec, lab: dict[str, Any], kernel: dict[str, Any]) -> None:
    print(
        f"\npath {p.name}: {p.rate_bps / 1e6:g} Mbit/s, RTT {p.rtt_ms:g} ms, buffer "
        f"{p.buffer_bytes} B ({p.buffer_bytes / max(1, p.bdp_bytes):.2f} BDP), {p.cc}, outage "
        f"{p.outage_s:g} s, tcp_retries2 {p.retries2}{', teardown' if p.teardown else ''}"
    )
    at = kernel.get("at_cut") or {}
    print(
        f"kernel at the cut: srtt {at.get('srtt_ms')} ms, rttvar {at.get('rttvar_ms')} ms, "
        f"rto {at.get('rto_ms')} ms, cwnd {at.get('cwnd')}"
    )
    print(f"{'instant (s after the cut)':<26}{'lab':>10}{'kernel':>10}{'error %':>9}{'goal %':>8}")
    for name, a, b, err, goal in rows(lab, kernel):
        print(f"{name:<26}{fmt(a):>10}{fmt(b):>10}{fmt(err):>9}{fmt(goal):>8}")
    if p.teardown:
        print("(lab: the default-drop built-in on this rate, RTT and outage, its ASAs tearing")
        print(" the conn down with the SA; only whether it resumes compares)")
        print(
            f"resumed: lab {'yes' if lab['resume_s'] is not None else 'never'}"
            f" ({lab.get('abort_reason') or 'still stalled'}), kernel "
            f"{'yes' if kernel['resume_s'] is not None else 'never'}"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    d = PathSpec()
    ap.add_argument("--name", default=d.name)
    ap.add_argument("--rate-mbit", type=float, default=d.rate_bps / 1e6)
    ap.add_argument("--rtt-ms", type=float, default=d.rtt_ms)
    ap.add_argument("--buffer-bdp", type=float, default=1.0, help="buffer as a multiple of the BDP")
    ap.add_argument("--cc", choices=("cubic", "reno"), default=d.cc)
    ap.add_argument("--outage-s", type=float, default=d.outage_s)
    ap.add_argument("--retries2", type=int, default=d.retries2)
    ap.add_argument("--cut-at-s", type=float, default=d.cut_at_s)
    ap.add_argument("--size-mb", type=float, help="file size in MB (default: 20 s at the rate)")
    ap.add_argument("--teardown", action="store_true", help="delete the conntrack entry at the cut")
    ap.add_argument("--runs", type=int, default=3, help="kernel runs; the median is reported")
    ap.add_argument(
        "--phase-step-s", type=float, default=1.37, help="each run cuts this much later"
    )
    ap.add_argument("--fixture", metavar="FILE", help="write the path and kernel instants here")
    ap.add_argument("--from-fixture", metavar="FILE", help="no kernel run: the lab against FILE")
    ap.add_argument(
        "--recompute", action="store_true", help="with --from-fixture: redo its medians"
    )
    ap.add_argument("--keep", metavar="DIR", help="keep each run's pcap and TCP_INFO samples")
    ap.add_argument("--json", metavar="FILE", help="write headline figures (goal, value, met)")
    a = ap.parse_args(argv)
    if a.from_fixture:
        fixture = json.loads(Path(a.from_fixture).read_text())
        if a.recompute:  # the medians again from the recorded runs (no root needed)
            fixture["kernel"] = median_of(fixture["runs"])
            Path(a.from_fixture).write_text(json.dumps(fixture, indent=1) + "\n")
        p = PathSpec(**fixture["path"])
        kernel = fixture["kernel"]
    else:
        if os.geteuid() != 0:
            print("fidelity: needs root (network namespaces): sudo ./dev fidelity [ARGS]")
            return 0 if argv is None and len(sys.argv) == 1 else 2
        rate = int(a.rate_mbit * 1e6)
        p = PathSpec(
            name=a.name,
            rate_bps=rate,
            rtt_ms=a.rtt_ms,
            buffer_bytes=int(a.buffer_bdp * rate * a.rtt_ms / 8000),
            cc=a.cc,
            outage_s=a.outage_s,
            retries2=a.retries2,
            cut_at_s=a.cut_at_s,
            size_bytes=int(a.size_mb * 1e6) if a.size_mb else int(rate / 8 * 20),
            teardown=a.teardown,
        )
        atexit.register(cleanup_all)
        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        runs = []
        for i in range(a.runs):
            keep = Path(a.keep) / f"{p.name}-{i + 1}" if a.keep else None
            # Each run cuts a little later (same bytes left): the medians then span the
            # phases of the sender's window cycle instead of one.
            shift = i * a.phase_step_s
            run = replace(
                p,
                cut_at_s=p.cut_at_s + shift,
                size_bytes=p.size_bytes + int(p.rate_bps / 8 * shift),
            )
            runs.append({**run_kernel(run, keep), "cut_at_s": run.cut_at_s})
            print(
                f"kernel run {i + 1}/{a.runs}: "
                + json.dumps({k: v for k, v in runs[-1].items() if not k.startswith("ss_")}),
                flush=True,
            )
        kernel = median_of(runs)
        if a.fixture:
            Path(a.fixture).parent.mkdir(parents=True, exist_ok=True)
            Path(a.fixture).write_text(
                json.dumps(
                    {
                        "path": asdict(p),
                        "kernel": kernel,
                        "runs": [{k: v for k, v in r.items()} for r in runs],
                        "kernel_release": os.uname().release,
                        "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "command": "./dev fidelity " + " ".join(sys.argv[1:]),
                    },
                    indent=1,
                )
                + "\n"
            )
    lab = run_lab(p)
    print_table(p, lab, kernel)
    v = verdicts(p, lab, kernel)
    if a.json:
        Path(a.json).write_text(json.dumps({"path": asdict(p), "headline": v}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
