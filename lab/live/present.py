"""What the live page shows, as plain data: labels, numbers, table rows, chart points.

Pure functions of a Runtime. The region templates, the progress frames and the
recording player all read these, so a label ("stalled since 0:02:00") is worded once.
"""

from __future__ import annotations

import re
from typing import Any

from lab.engine import sheet
from lab.engine.report import describe
from lab.engine.run import Runtime
from lab.engine.units import S, hms

LEVELS = {  # ASA logging levels, as `logging buffered` names them
    0: "emergencies",
    1: "alerts",
    2: "critical",
    3: "errors",
    4: "warnings",
    5: "notifications",
    6: "informational",
    7: "debugging",
}
TIMELINE_ENTRIES = 60
RESUME_EVENTS = ("resume", "undo", "late_acks")  # data moves again after a stall
TUNNEL_STATE_CLASS = {"up": "ok", "rekeying": "ok", "negotiating": "warn", "down": "bad"}
_LEVEL = re.compile(r"%[A-Z]+-(\d)-\d+:")


def clock(t_us: int) -> str:
    return hms(t_us)


def human_bytes(n: int) -> str:
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return f"{n} B"


def human_rate(bps: int) -> str:
    if bps >= 10**6:
        return f"{bps / 10**6:.2f} Mbit/s"
    if bps >= 10**3:
        return f"{bps / 10**3:.0f} kbit/s"
    return f"{bps} bit/s"


def flow_status(rt: Runtime, flow_id: str) -> dict[str, Any]:
    """One download or stream: numbers and the state label the progress bar shows."""
    f = rt.sim.flows[flow_id]
    now = rt.now
    size = f.spec.size_bytes or 0
    base = {"id": flow_id, "proto": f.spec.proto, "size": size, "size_text": human_bytes(size)}
    if not f.attempts:
        return {
            **base,
            "state": "idle",
            "label": "not started",
            "bytes": 0,
            "pct": 0.0,
            "rate_bps": 0,
            "rate_text": "—",
            "eta": "—",
            "attempt": 0,
        }
    a = f.current
    done = a.transferred(now)
    state = a.state
    stalled = bool(a.stalls and a.stalls[-1][1] is None)
    if a.completed_us is not None:
        state, label = "completed", f"completed at {clock(a.completed_us)}"
    elif a.aborted_us is not None:
        state, label = "failed", f"failed: {a.abort_reason or 'aborted'}"
    elif stalled:
        state, label = "stalled", f"stalled since {clock(int(a.stalls[-1][0] or 0))}"
    elif state == "connecting":
        label = "connecting"
    elif a.resumed and a.stalls:
        state, label = "running", f"resumed at {clock(int(a.stalls[-1][1] or 0))}"
    else:
        state, label = "running", "running"
    rate = a.rate_bps if state == "running" else 0
    eta = "—"
    if state == "running" and rate and size:
        eta = hms(int((size - done) * 8 / rate * S))
    return {
        **base,
        "state": state,
        "label": label,
        "bytes": done,
        "bytes_text": human_bytes(done),
        "pct": round(100 * done / size, 2) if size else 0.0,
        "rate_bps": rate,
        "rate_text": human_rate(rate) if rate else "—",
        "eta": eta,
        "attempt": a.number,
    }


def progress(rt: Runtime, *, epoch: int, speed: str) -> dict[str, Any]:
    """The small frame sent several times a second while anything moves."""
    return {
        "type": "progress",
        "t_us": rt.now,
        "clock": clock(rt.now),
        "epoch": epoch,
        "speed": speed,
        "flows": [
            {k: s[k] for k in ("id", "state", "label", "bytes", "pct", "rate_text", "eta")}
            | {"bytes_text": s.get("bytes_text", "0 B")}
            for s in (flow_status(rt, fid) for fid in rt.sim.flows)
        ],
    }


def log_level(line: str) -> int:
    m = _LEVEL.search(line)
    return int(m.group(1)) if m else 7


def device_status(rt: Runtime, device: str) -> dict[str, Any]:
    """One ASA's panes: syslog, conn table, vpn-context/SA table, terminal."""
    sim = rt.sim
    gw = sim.gateways[device]
    now = rt.now
    sas = []
    for tid, sa in gw.sas.items():
        t = sim.tunnels[tid]
        sas.append(
            {
                "tunnel": tid,
                "peer": sim.peer_of(t, device).name,
                "spi_in": f"0x{sa.spi_in:08X}",
                "spi_out": f"0x{sa.spi_out:08X}",
                "flags": "ENCR+ESP, DECR+ESP" + (", PRESERVE" if sa.preserve else ""),
                "preserve": sa.preserve,
            }
        )
    conns = [
        {
            "id": c.id,
            "proto": c.proto.upper(),
            "outside": f"{c.o_ifc} {c.o_addr}:{c.o_port}",
            "inside": f"{c.i_ifc} {c.i_addr}:{c.i_port}",
            "flags": c.flags(orphan=c.tunnel is not None and c.tunnel not in gw.sas),
            "idle": hms(c.idle_us(now)),
        }
        for c in gw.conns.values()
    ]
    return {
        "id": device,
        "hostname": gw.name,
        "platform": f"{gw.node.platform.upper()} {gw.node.version}",
        "preserve": bool(gw.cfg and gw.cfg.sysopt.preserve_vpn_flows),
        "reclassify": bool(gw.cfg and gw.cfg.sysopt.reclassify_vpn),
        "syslog": [{"level": log_level(x), "text": x} for x in sim.syslog(device)],
        "conns": conns,
        "sas": sas,
        "terminal": list(rt.terminal[device]),
        "prompt": rt.prompt(device),
    }


def lab_sheet(rt: Runtime) -> dict[str, Any]:
    """The run page's lab sheet: steps ticked by the engine (lab.engine.sheet decides)."""
    return sheet.sheet(rt)


def _scripted(rt: Runtime) -> set[tuple[int, str]]:
    """(time, command name) of the scenario's own timed events."""
    return {(ev.at_us, str(ev.action.get("do"))) for ev in rt.sim.scenario.events}


def timeline(rt: Runtime) -> list[dict[str, Any]]:
    """Newest first. The scenario's own commands say so; the CLI's lines (the terminal
    shows them) become one entry per burst of typing on a device."""
    trace = rt.sim.loop.trace
    scripted = _scripted(rt)
    out: list[dict[str, Any]] = []
    typed: dict[str, Any] | None = None  # the CLI burst being gathered
    for e in reversed(trace):
        kind = e.get("type")
        if kind == "cli":
            line = str(e.get("line") or "").strip()
            if not line or set(line) == {"*"}:
                continue  # Enter at a prompt, or a password: nothing happened
            if typed is not None and typed["device"] == e.get("device"):
                typed["lines"].insert(0, line)
                typed["clock"] = clock(e["t_us"])
                continue
            typed = {"device": e.get("device"), "lines": [line], "clock": clock(e["t_us"])}
            out.append(typed)
        else:
            if kind == "command":
                cmd = e.get("command") or {}
                e = {**e, "scripted": (e["t_us"], str(cmd.get("do"))) in scripted}
            text = describe(e)  # worded once, for labsim's report and this timeline alike
            if text is None:
                continue
            typed = None
            last = out[-1] if out else None
            if kind == "retransmit" and last and last.get("flow") == e.get("flow"):
                last["n"] += 1  # a burst of retransmissions is one entry
                last["clock"] = clock(e["t_us"])
                last["text"] = f"{e.get('flow')} retransmits x{last['n']} (backing off)"
                continue
            entry = {"clock": clock(e["t_us"]), "text": text, "type": kind}
            if kind == "retransmit":
                entry.update(flow=e.get("flow"), n=1)
            out.append(entry)
        if len(out) == TIMELINE_ENTRIES:
            break
    for x in out:
        if "lines" in x:
            lines = x.pop("lines")
            shown = "; ".join(lines[:3]) + (f" … ({len(lines)} lines)" if len(lines) > 3 else "")
            x.update(type="cli", text=f"{x.pop('device')} CLI: {shown}")
    return out


def topology_state(rt: Runtime) -> dict[str, Any]:
    sim = rt.sim
    moving = {
        link
        for f in sim.flows.values()
        if f.attempts and f.current.rate_bps > 0
        for link in f.links
    }
    return {
        "tunnels": [
            {"id": t.id, "state": t.state, "class": TUNNEL_STATE_CLASS.get(t.state, "warn")}
            for t in sim.tunnels.values()
        ],
        "links": [{"id": x, "up": sim.link_is_up(x), "moving": x in moving} for x in sim.links],
    }


CHART_W, CHART_H, CHART_PAD = 640, 170, 36
WINDOW_US = 600 * S  # the chart follows the last 10 minutes of the story
LEAD_US = 120 * S  # an outage is shown from 2 minutes before it
TICK_STEPS_S = (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800)
MAX_TICKS = 6


def chart_window(rt: Runtime, flow_id: str) -> tuple[int, int, str]:
    """(from, to, note) of the chart: the last WINDOW_US; once an outage happened, from
    LEAD_US before it, and zoomed on it (no longer following the clock) when the story
    has gone on for longer than the window since, unless a restarted attempt is now the
    story."""
    now = rt.now
    f = rt.sim.flows[flow_id]
    first = f.attempts[0].started_us if f.attempts else 0
    downs = [
        e["t_us"]
        for e in rt.sim.loop.trace
        if e.get("type") == "link" and not e["up"] and e["t_us"] >= first
    ]
    if downs:
        lo = max(first, downs[-1] - LEAD_US)
        if now - lo <= WINDOW_US:
            return lo, now, ""
        if downs[-1] >= f.current.started_us:  # this attempt's outage: keep it in view
            return lo, lo + WINDOW_US, f"zoomed on the outage at {clock(downs[-1])}"
    return max(first, now - WINDOW_US), now, ""


def _ticks(lo: int, hi: int) -> list[int]:
    span_s = max((hi - lo) / S, 1)
    step = next((x for x in TICK_STEPS_S if span_s / x <= MAX_TICKS), TICK_STEPS_S[-1]) * S
    first = -(-lo // step) * step
    return list(range(first, hi + 1, step))


def chart(rt: Runtime, flow_id: str) -> dict[str, Any]:
    """Throughput over time as SVG coordinates, with markers and labelled ticks: the
    current attempt, and the earlier one (after a Restart) in grey."""
    pts = rt.samples.get(flow_id) or []
    now = rt.now
    f = rt.sim.flows[flow_id]
    lo, hi, note = chart_window(rt, flow_id)
    span = max(hi - lo, 1)
    cur = f.current.started_us if f.attempts else 0
    shown = [p for p in pts if p[0] <= hi]
    top = max([p[2] for p in shown if p[0] >= lo] + [p[2] for p in shown if p[0] < lo][-1:] + [0])
    inner_w, inner_h = CHART_W - 2 * CHART_PAD, CHART_H - 2 * CHART_PAD

    def x(t: int) -> float:
        return round(CHART_PAD + inner_w * (min(max(t, lo), hi) - lo) / span, 1)

    def y(rate: int) -> float:
        return round(CHART_H - CHART_PAD - inner_h * rate / (top or 1), 1)

    def line(samples: list[tuple[int, int, int]], end: int) -> str:
        """A step line of the samples, clipped to the window, held until `end`."""
        out: list[str] = []
        before = [p for p in samples if p[0] < lo]
        inside = [p for p in samples if lo <= p[0] <= hi]
        prev = before[-1][2] if before else None
        if prev is not None:
            out.append(f"{x(lo)},{y(prev)}")
        for t, _b, rate in inside:
            if prev is not None:
                out.append(f"{x(t)},{y(prev)}")
            out.append(f"{x(t)},{y(rate)}")
            prev = rate
        if prev is not None and end > lo:
            out.append(f"{x(end)},{y(prev)}")
        return " ".join(out)

    earlier = [p for p in shown if p[0] < cur]
    current = [p for p in shown if p[0] >= cur]
    markers = []
    outage_from: int | None = None
    for e in rt.sim.loop.trace:
        t = e["t_us"]
        kind = e.get("type")
        if kind == "link" and not e["up"]:
            outage_from = t if outage_from is None else outage_from
        elif kind == "link" and e["up"] and outage_from is not None:
            if t >= lo and outage_from <= hi:
                markers.append(
                    {
                        "kind": "outage",
                        "x": x(outage_from),
                        "w": max(x(t) - x(outage_from), 2),
                        "label": f"outage {clock(outage_from)} to {clock(t)}",
                    }
                )
            outage_from = None
        elif t < lo or t > hi:
            continue
        elif kind == "tunnel" and e["state"] == "down":
            markers.append({"kind": "sa-deleted", "x": x(t), "label": "SAs deleted"})
        elif kind == "retransmit" and e.get("flow") == flow_id:
            markers.append({"kind": "retransmit", "x": x(t), "label": "retransmission"})
        elif kind == "flow" and e.get("flow") == flow_id and e["event"] in RESUME_EVENTS:
            markers.append({"kind": "resume", "x": x(t), "label": "resumed"})
        elif kind == "flow" and e.get("flow") == flow_id and e["event"] == "start" and t > lo:
            markers.append({"kind": "restart", "x": x(t), "label": f"attempt {e['attempt']}"})
    if outage_from is not None and outage_from <= hi:
        fx = x(outage_from)
        markers.append({"kind": "outage", "x": fx, "w": max(x(now) - fx, 2), "label": "outage"})
    ticks = [{"x": x(t), "label": clock(t)} for t in _ticks(lo, hi)]
    ticks = [t for t in ticks if t["x"] <= CHART_W - CHART_PAD - 24]  # clear of the end label
    return {
        "w": CHART_W,
        "h": CHART_H,
        "pad": CHART_PAD,
        "base_y": CHART_H - CHART_PAD,
        "inner_h": inner_h,
        "right": CHART_W - CHART_PAD,
        "empty": not shown,
        "points": line(current, min(now, hi)),
        "earlier": line(earlier, min(cur, hi)) if earlier else "",
        "top": human_rate(top) if top else "",
        "from": clock(lo),
        "to": clock(hi),
        "follows": not note,  # the end label is the live clock (progress frames move it)
        "note": note,
        "ticks": ticks,
        "markers": markers,
    }
