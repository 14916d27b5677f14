"""A challenge goal's checks in a student's words.

The verdicts come from `lab.engine.outcome.check` (the one place they are decided); this
module only rewords its results ("flow download: resumed is True, expected True") as a
student reads them ("The download resumed after the outage."). It walks the goal in the
order `check` does, so each sentence stands beside its own verdict.
"""

from __future__ import annotations

from typing import Any

from lab.engine.outcome import Check, flow_summary
from lab.engine.sim import Simulation
from lab.engine.units import S

STATE = {
    "running": "running",
    "aborted": "dead (the connection was reset)",
    "completed": "complete",
    "idle": "not started",
    "stalled": "stalled",
    "connecting": "still connecting",
}


def _at(sim: Simulation) -> str:
    s = sim.now // S
    return f"{s // 60}:{s % 60:02d}"


def _name(sim: Simulation, device: str) -> str:
    gw = sim.gateways.get(device)
    return gw.name if gw is not None else device


def _flow(sim: Simulation, fid: str, key: str, got: Any, want: Any, ok: bool) -> str:
    what = "The download" if fid == "download" else f"The flow {fid}"
    if key == "state":
        if ok:
            return f"{what} is {STATE.get(got, got)} at {_at(sim)}, as the goal asks."
        need = STATE.get(want, want)
        return f"{what} is {STATE.get(got, got)} at {_at(sim)}; the goal needs it {need}."
    if key == "resumed":
        if want:
            return f"{what} resumed after the outage." if ok else f"{what} never resumed."
        return f"{what} did not resume." if ok else f"{what} resumed; the goal says it must not."
    return f"{what} took {got} attempt(s); the goal needs {want}."


def phrases(sim: Simulation, expect: dict[str, Any], checks: list[Check]) -> list[str]:
    """One sentence per check of `outcome.check(sim, expect)`, in its order."""
    out: list[str] = []
    oks = iter(c.ok for c in checks)
    for fid, want in expect.get("flows", {}).items():
        flow = sim.flows.get(fid)
        if flow is None:
            out.append(f"The scenario has no flow {fid}.")
            next(oks, None)
            continue
        got = flow_summary(flow, sim.now)
        for key in ("state", "resumed", "attempts"):
            if key in want:
                out.append(_flow(sim, fid, key, got[key], want[key], next(oks, False)))
    for device, texts in expect.get("syslog_has", {}).items():
        for text in texts:
            ok = next(oks, False)
            verb = "lists" if ok else "does not list"
            tail = "." if ok else ", and the goal needs it there."
            out.append(f"{_name(sim, device)}'s show logging {verb} “{text}”{tail}")
    for device, texts in expect.get("syslog_lacks", {}).items():
        for text in texts:
            ok = next(oks, False)
            if ok:
                out.append(f"{_name(sim, device)} never logged “{text}”.")
            else:
                out.append(f"{_name(sim, device)} logged “{text}”; the goal needs it not to.")
    for device, count in expect.get("cli_errors", {}).items():
        ok = next(oks, False)
        if ok:
            out.append(f"{_name(sim, device)} refused the command, as the goal asks.")
        else:
            got = sim.gateways[device].cli_errors if device in sim.gateways else 0
            out.append(f"{_name(sim, device)} refused {got} line(s); the goal needs {count}.")
    return out


def plain(sim: Simulation, expect: dict[str, Any], checks: list[Check]) -> list[Check]:
    """The same verdicts, reworded; the engine's text is kept if the two ever disagree."""
    words = phrases(sim, expect, checks)
    if len(words) != len(checks):
        return checks
    return [Check(c.ok, w) for c, w in zip(checks, words, strict=True)]
