"""The lab sheet: what a student should watch for in a run, and whether it has happened.

Theory of operation. A sheet is a short numbered list derived from the scenario (its
download, its scripted events) and ticked from the run's own state and trace, so the
same run always shows the same ticks, live, in a recording or in a test. The steps ask
the question ("does either ASA tear the conn down?") and tick with what the engine saw
("HO-ASA at 0:02:20: Tunnel has been torn down"), never with what the scenario expects:
the sheet does not give the answer away before the run shows it.

Hints name what the seed's rules make useless (the sysopt enabled while SAs created
without it are up: PRESERVE is stamped when an SA is created). Pure: no Django, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .report import action_phrase, clock

if TYPE_CHECKING:
    from .run import Runtime

# What to try after a scenario: the one that shows the other side of the same rule.
NEXT: dict[str, tuple[str, str]] = {
    "default-drop": ("preserve-both", "Now try preserve-both: the same outage, the sysopt on"),
    "preserve-both": ("preserve-one-end", "Now try it with the sysopt on one end only"),
    "preserve-one-end": ("preserve-both", "Now try preserve-both: the sysopt on both ends"),
    "enable-while-up": ("challenge-enable-live", "Now make it work: the challenge"),
    "short-blip": ("default-drop", "Now try a 60-s outage, longer than DPD detection"),
    "conn-timeout": ("preserve-both", "Compare with a 60-s outage, inside the timeout"),
    "logging-level": ("challenge-logging", "Now make the teardown show: the challenge"),
    "ike-lifetime-zero": ("challenge-ike-lifetime", "Now the challenge: lifetime 600 s"),
    "non-cisco-peer": ("challenge-non-cisco", "Now the challenge: one command"),
    "anyconnect": ("ra-client-mode", "Compare with a hardware client in client mode"),
    "ra-client-mode": ("preserve-both", "Compare with a LAN-to-LAN tunnel"),
    "unsupported-platform": ("challenge-pix", "Now the challenge: the PIX branch"),
    "udp-stream": ("challenge-udp", "Now the challenge: predict the UDP conn"),
    "reclassify-vpn": ("default-drop", "Now the tunnel drops under a download"),
    "long-haul": ("default-drop", "Back to the short story: without the sysopt"),
    "predict-one-end": ("challenge-both-ends", "Now make it survive: the challenge"),
}

LOOK = {  # where on the page each kind of step shows
    "start": "the progress bar and the throughput chart",
    "cut": "the topology: the link turns red, the tunnel pill",
    "set_sysopt": "show running-config and show asp table vpn-context",
    "cli": "that ASA's terminal",
    "other": "the event timeline",
    "sas": "the tunnel pill and each ASA's vpn-context / SA table",
    "teardown": "each ASA's syslog (302014) and show conn",
    "stall": "the progress label and the chart",
    "after": "the progress label; the timeline: retransmissions, 106015 drops",
}


@dataclass(frozen=True)
class Step:
    text: str  # the question or what happens
    look: str  # where to look
    done: bool = False
    when: str = ""  # the simulated time it happened
    seen: str = ""  # what the engine saw


def _main_flow(rt: Runtime) -> str | None:
    tcp = [fid for fid, f in rt.sim.flows.items() if f.spec.proto == "tcp"]
    ids = tcp or list(rt.sim.flows)
    return ids[0] if ids else None


def _after(trace: list[dict[str, Any]], t0: int) -> list[dict[str, Any]]:
    return [e for e in trace if e["t_us"] >= t0]


def steps(rt: Runtime) -> list[Step]:
    """The sheet's steps for the run as it stands now."""
    sim = rt.sim
    trace = sim.loop.trace
    out: list[Step] = []
    fid = _main_flow(rt)
    flow = sim.flows[fid] if fid is not None else None
    attempt = flow.current if flow is not None and flow.attempts else None
    begin = attempt.started_us if attempt is not None else 0
    if flow is not None:
        start = clock(flow.spec.start_us, millis=False)
        name = "download" if fid == "download" else f"download {fid}"
        text = f"The {name} starts at {start}"
        established = next(
            (
                e
                for e in _after(trace, begin)
                if e["type"] == "flow" and e.get("flow") == fid and e.get("event") != "start"
            ),
            None,
        )
        if attempt is not None and attempt.number > 1:
            text = f"Attempt {attempt.number} of the download starts"
        out.append(_seen(text, "start", established, "data moving"))
    # The scenario's own script, named as the scenario's.
    cut_scripted = False
    for ev in sim.scenario.events:
        kind = str(ev.action.get("do", "other"))
        cut_scripted |= kind == "cut"
        happened = sim.now >= ev.at_us
        out.append(
            Step(
                f"At {clock(ev.at_us, millis=False)} the scenario: {action_phrase(ev.action)}",
                LOOK.get(kind, LOOK["other"]),
                done=happened,
                when=clock(ev.at_us, millis=False) if happened else "",
                seen="happened" if happened else "",
            )
        )
    downs = [e for e in trace if e["type"] == "link" and not e["up"] and e["t_us"] >= begin]
    if not cut_scripted:
        first = downs[0] if downs else None
        out.append(_seen("Cut the internet path yourself (Tunnel: Cut)", "cut", first, "cut"))
    if flow is None or fid is None:
        return out
    cut = downs[-1] if downs else None
    since = _after(trace, cut["t_us"]) if cut is not None else []
    back = next((e for e in since if e["type"] == "link" and e["up"]), None)
    sa_gone = next((e for e in since if e["type"] == "tunnel" and e["state"] == "down"), None)
    teardown = next(
        (e for e in since if e["type"] == "conn_teardown" and e.get("flow") == fid), None
    )
    stall = next(
        (
            e
            for e in since
            if e["type"] == "flow" and e.get("flow") == fid and e.get("event") == "path_lost"
        ),
        None,
    )
    outcome = _outcome(rt, fid, cut["t_us"] if cut is not None else None)
    sa_step = _seen("Does DPD declare the peer dead and delete the SAs?", "sas", sa_gone, "")
    if sa_gone is not None:
        sa_step = Step(
            sa_step.text,
            sa_step.look,
            True,
            sa_step.when,
            f"yes: tunnel {sa_gone.get('tunnel')} down ({sa_gone.get('cause')})",
        )
    elif back is not None and outcome is not None:
        sa_step = Step(
            sa_step.text,
            sa_step.look,
            True,
            clock(back["t_us"], millis=False),
            "no: the path came back before DPD gave up",
        )
    out.append(_seen("The download stalls", "stall", stall, "stalled"))
    out.append(sa_step)
    td = Step("Does either ASA tear the download's conn down (302014)?", LOOK["teardown"])
    if teardown is not None:
        td = Step(
            td.text,
            td.look,
            True,
            clock(teardown["t_us"], millis=False),
            f"yes: {teardown.get('device')}: {teardown.get('reason')}",
        )
    elif outcome is not None:
        td = Step(td.text, td.look, True, outcome[0], "no: the conns were kept")
    out.append(td)
    after = Step("When the path is back: does the download resume?", LOOK["after"])
    if outcome is not None:
        after = Step(after.text, after.look, True, outcome[0], outcome[1])
    out.append(after)
    return out


def _outcome(rt: Runtime, fid: str, cut_us: int | None) -> tuple[str, str] | None:
    """(when, what) the current attempt came to after the outage: resumed, failed,
    completed; None while that is not known yet."""
    if cut_us is None:
        return None
    a = rt.sim.flows[fid].current
    if a.aborted_us is not None and a.aborted_us >= cut_us:
        return clock(a.aborted_us, millis=False), f"no: failed ({a.abort_reason or 'aborted'})"
    if a.completed_us is not None and a.completed_us >= cut_us:
        return clock(a.completed_us, millis=False), "yes: it completed"
    ends = [s[1] for s in a.stalls if s[1] is not None and s[1] >= cut_us]
    if a.resumed and ends:
        return clock(int(ends[-1]), millis=False), "yes: data moving again"
    return None


def _seen(text: str, look: str, event: dict[str, Any] | None, seen: str) -> Step:
    if event is None:
        return Step(text, LOOK[look])
    return Step(text, LOOK[look], True, clock(event["t_us"], millis=False), seen)


def hints(rt: Runtime) -> list[str]:
    """What the student did that the seed's rules make useless, said while it matters."""
    out = []
    for gw in rt.sim.gateways.values():
        if gw.cfg is None or not gw.cfg.sysopt.preserve_vpn_flows:
            continue
        if any(not sa.preserve for sa in gw.sas.values()):
            out.append(
                f"{gw.name}: preserve-vpn-flows is on, but the SAs up now were created "
                "before it and carry no PRESERVE flag (show asp table vpn-context). The "
                "sysopt takes effect on SAs created from now on: clear the SAs (clear "
                "crypto ipsec sa) so that new ones are negotiated with it."
            )
    fid = _main_flow(rt)
    if fid is not None:
        f = rt.sim.flows[fid]
        if f.attempts and f.current.aborted_us is not None:
            name = "download" if fid == "download" else f"download {fid}"
            out.append(
                f"The {name} is dead for good: TCP does not come back by itself. "
                "Restart it (Download: Restart) to try again."
            )
    return out


def finished(rt: Runtime, sheet: list[Step]) -> bool:
    """The story is told: every step ticked, or the scenario's time is up."""
    return rt.now >= rt.sim.scenario.until_us or (bool(sheet) and all(s.done for s in sheet))


def sheet(rt: Runtime) -> dict[str, Any]:
    """The whole sheet as plain data for a template."""
    sc = rt.sim.scenario
    st = steps(rt)
    # A challenge's explanation is its solution: its teaching panel shows it on a pass.
    challenge = bool((sc.raw.get("teaching") or {}).get("goal"))
    done = finished(rt, st) and not challenge
    nxt = NEXT.get(sc.slug)
    return {
        "instructions": sc.instructions,
        "steps": st,
        "hints": hints(rt),
        "finished": done,
        "explanation": sc.explanation if done else "",
        "next_slug": nxt[0] if done and nxt else "",
        "next_text": nxt[1] if done and nxt else "",
    }
