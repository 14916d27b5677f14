"""What a run did, as plain data, and the check of a scenario's expected outcome.

`summary` is the `labsim --json` object; `check` is the one place an expected outcome is
judged, used by labsim, the tests and the web lab alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .transport import public_state
from .units import S

if TYPE_CHECKING:
    from .flows import Attempt, FlowRun
    from .sim import Simulation


def _s(t_us: int | None) -> float | None:
    return None if t_us is None else round(t_us / S, 6)


def attempt_summary(flow: FlowRun, a: Attempt, now: int, current: bool) -> dict[str, Any]:
    state = public_state(flow) if current else a.state
    if state == "running" and a.stalls and a.stalls[-1][1] is None:
        state = "stalled"
    return {
        "attempt": a.number,
        "client_port": a.client_port,
        "bytes_delivered": a.transferred(now),
        "state": state,
        "completed_at_s": _s(a.completed_us),
        "aborted_at_s": _s(a.aborted_us),
        "abort_reason": a.abort_reason or None,
        "stalls": [{"start_s": _s(st), "end_s": _s(end)} for st, end in a.stalls],
        "resumed": a.resumed,
        "retransmissions_s": [_s(t) for t in a.retransmissions],
    }


def flow_summary(flow: FlowRun, now: int) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": flow.id,
        "proto": flow.spec.proto,
        "size_bytes": flow.spec.size_bytes,
    }
    if not flow.attempts:
        return {
            **base,
            "state": "idle",
            "bytes_delivered": 0,
            "attempts": 0,
            "stalls": [],
            "resumed": False,
        }
    last = attempt_summary(flow, flow.current, now, current=True)
    earlier = [attempt_summary(flow, a, now, current=False) for a in flow.attempts[:-1]]
    return {**base, **last, "attempts": len(flow.attempts), "earlier_attempts": earlier}


def summary(sim: Simulation) -> dict[str, Any]:
    now = sim.now
    return {
        "scenario": sim.scenario.slug,
        "seed": sim.seed,
        "ended_at_s": _s(now),
        "flows": [flow_summary(f, now) for f in sim.flows.values()],
        "tunnel": [
            {"tunnel": t.id, "t_s": _s(h["t_us"]), "state": h["state"], "cause": h["cause"]}
            for t in sim.tunnels.values()
            for h in t.history
        ],
        "syslog": {d: sim.syslog(d) for d, gw in sim.gateways.items() if gw.cfg is not None},
        "events": sim.events(),
        "outcome": {"expected": sim.scenario.expect, "met": all(c.ok for c in check(sim))},
    }


# The expected-outcome vocabulary `check` understands (scenario `expect`, teaching goals).
EXPECT_KEYS = ("flows", "syslog_has", "syslog_lacks", "cli_errors")


@dataclass(frozen=True)
class Check:
    ok: bool
    text: str


def check(sim: Simulation, expect: dict[str, Any] | None = None) -> list[Check]:
    """Judge the run against `expect` (default: the scenario's). Plain-words results."""
    expect = sim.scenario.expect if expect is None else expect
    now = sim.now
    out: list[Check] = []
    for fid, want in expect.get("flows", {}).items():
        flow = sim.flows.get(fid)
        if flow is None:
            out.append(Check(False, f"flow {fid}: no such flow"))
            continue
        got = flow_summary(flow, now)
        for key in ("state", "resumed", "attempts"):
            if key in want:
                ok = got[key] == want[key]
                out.append(Check(ok, f"flow {fid}: {key} is {got[key]!r}, expected {want[key]!r}"))
    for device, texts in expect.get("syslog_has", {}).items():
        lines = sim.syslog(device) if device in sim.gateways else []
        for text in texts:
            ok = any(text in line for line in lines)
            out.append(
                Check(ok, f"{device} show logging {'lists' if ok else 'does not list'} {text!r}")
            )
    for device, texts in expect.get("syslog_lacks", {}).items():
        lines = sim.syslog(device) if device in sim.gateways else []
        for text in texts:
            ok = not any(text in line for line in lines)
            out.append(
                Check(ok, f"{device} show logging {'does not list' if ok else 'lists'} {text!r}")
            )
    for device, count in expect.get("cli_errors", {}).items():
        got_errors = sim.gateways[device].cli_errors if device in sim.gateways else 0
        out.append(
            Check(
                got_errors >= count,
                f"{device} refused {got_errors} CLI line(s), expected at least {count}",
            )
        )
    return out
