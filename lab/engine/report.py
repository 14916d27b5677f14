"""A run as readable text: the `labsim` timeline, reusable by the web lab and the tests.

Pure functions over plain data (the trace of `Simulation.events()`, the dicts of
`outcome.summary`, the checks of `outcome.check`): no Django, no I/O, they return strings.
`render(sim)` puts the pieces together in the order `labsim` prints them:

    header (title, seed, until)
    one line per notable trace event      `  0:02:00.000  internet link down`
    one progress bar per flow, its stalls
    each ASA's `show logging`
    the outcome checks and `outcome: met` / `outcome: NOT met`
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .outcome import Check, check, summary
from .units import S

if TYPE_CHECKING:
    from .sim import Simulation

BAR_WIDTH = 20

# The trace event types the timeline shows; the others (conn_built, cli, reclassified)
# are detail the syslog section already lists.
NOTABLE = (
    "flow",
    "tunnel",
    "link",
    "command",
    "command_error",
    "conn_teardown",
    "drop",
    "dpd_dead",
    "retransmit",
)


# -- small formatters ---------------------------------------------------------------------


def clock(t_us: int, *, millis: bool = True) -> str:
    """Simulated time as `h:mm:ss.mmm` (or `h:mm:ss`), truncated, never rounded up."""
    t_us = max(0, t_us)
    total, rest = divmod(t_us, S)
    text = f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"
    return f"{text}.{rest // 1000:03d}" if millis else text


def clock_s(t_s: float, *, millis: bool = True) -> str:
    """`clock` for a time in seconds, as `outcome.summary` gives them."""
    return clock(round(t_s * S), millis=millis)


def duration(us: int) -> str:
    """A span as `146.7 s`, `12 min 3 s` or `2 h 05 min`."""
    if us < 60 * S:
        return f"{us / S:.1f} s"
    total = us // S
    if total < 3600:
        return f"{total // 60} min {total % 60} s"
    return f"{total // 3600} h {total % 3600 // 60:02d} min"


def size(nbytes: int) -> str:
    """Decimal units with two decimals: `1.04 GB`, `136.15 MB`, `512 B`."""
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if abs(nbytes) >= scale:
            return f"{nbytes / scale:.2f} {unit}"
    return f"{nbytes} B"


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """`[##########----------]`; full only at 100 % (rounded down)."""
    fraction = min(1.0, max(0.0, fraction))
    filled = math.floor(fraction * width)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def percent(fraction: float) -> str:
    """`52.3%`, rounded down so an unfinished transfer never shows 100.0%."""
    fraction = min(1.0, max(0.0, fraction))
    return f"{math.floor(fraction * 1000) / 10:.1f}%"


def _value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return " / ".join(repr(v) if isinstance(v, str) else str(v) for v in value)
    if isinstance(value, str):
        return value
    return repr(value) if isinstance(value, bool) else str(value)


def command_text(command: Mapping[str, Any]) -> str:
    """A command dict as one short phrase: `cut link=internet for_s=60`."""
    name = str(command.get("do", "?"))
    fields = [
        f"{key}={_value(value)}"
        for key, value in command.items()
        if key != "do" and value is not None
    ]
    return " ".join([name, *fields])


def _secs(v: Any) -> str:
    return f"{v:g} s" if isinstance(v, int | float) else str(v)


def action_phrase(command: Mapping[str, Any]) -> str:
    """A command in words, for a student: `the internet path is cut for 60 s`."""
    do = command.get("do")
    link, device = command.get("link"), command.get("device")
    span = f" for {_secs(command['for_s'])}" if command.get("for_s") else ""
    if do == "cut":
        return f"the {link} path is cut{span}"
    if do == "restore":
        return f"the {link} path is restored"
    if do == "link_delay":
        return f"the {link} path's delay becomes {command.get('delay_ms')} ms{span}"
    if do == "set_sysopt":
        state = "enabled" if command.get("enabled") else "disabled"
        return f"sysopt connection {command.get('option')} is {state} on {device}"
    if do == "clear_ipsec_sa":
        peer = f" peer {command['peer']}" if command.get("peer") else ""
        return f"clear crypto ipsec sa{peer} on {device}"
    if do == "clear_isakmp_sa":
        return f"clear crypto isakmp sa on {device}"
    if do in ("restart_flow", "start_flow"):
        again = "re" if do == "restart_flow" else ""
        return f"the download {command.get('flow')} is {again}started"
    if do == "cli":
        lines = [str(x) for x in command.get("lines") or []]
        return f"someone types on {device}: " + "; ".join(lines)
    return command_text(command)


# -- the timeline ---------------------------------------------------------------------------

_FLOW_EVENTS = {
    "start": "attempt {attempt} starts: connecting",
    "established": "connection established, slow start",
    "window_full": "window full, steady at its share of the path",
    "done": "completed",
    "flowing": "data flowing",
    "undo": "late ACKs prove the RTO spurious: window restored (undo)",
    "late_acks": "late ACKs arrive before any RTO: data moving again",
    "stop": "stopped",
}


def _flow_phrase(e: Mapping[str, Any]) -> str:
    event = str(e.get("event", ""))
    if e.get("state") == "aborted":
        return f"aborted: {e.get('reason', event)}"
    if event == "path_lost":
        where = e.get("where")
        reason = e.get("reason", "")
        return f"stalled at {where}: {reason}" if where else f"stalled: {reason}"
    if event == "resume":
        how = "after an RTO" if e.get("after_rto") else "after a tail-loss probe"
        return f"data moving again ({how})"
    if event == "start" and e.get("state") == "stalled":
        return f"attempt {e.get('attempt', 1)} starts: waiting for the path"
    template = _FLOW_EVENTS.get(event)
    if template is not None:
        return template.format(attempt=e.get("attempt", 1))
    return f"{event} -> {e.get('state', '?')}"


def describe(e: Mapping[str, Any]) -> str | None:
    """One trace event in words, or None if the timeline does not show it."""
    kind = e.get("type")
    if kind == "flow":
        return f"{e.get('flow')} {_flow_phrase(e)}"
    if kind == "tunnel":
        cause = e.get("cause")
        tail = f" ({cause})" if cause else ""
        return f"tunnel {e.get('tunnel')} {e.get('state')}{tail}"
    if kind == "link":
        return f"{e.get('link')} link {'up' if e.get('up') else 'down'}"
    if kind == "command":
        by = ", by the scenario" if e.get("scripted") else ""
        return f"{action_phrase(e.get('command') or {})}{by}"
    if kind == "command_error":
        command = e.get("command")
        what = command_text(command) if isinstance(command, Mapping) else repr(command)
        return f"command refused: {what}: {e.get('error')}"
    if kind == "conn_teardown":
        return (
            f"{e.get('device')} tears down conn {e.get('conn')} of {e.get('flow')}: "
            f"{e.get('reason')}"
        )
    if kind == "drop":
        return (
            f"{e.get('device')} drops a {e.get('kind')} packet of {e.get('flow')} "
            f"({e.get('msg')} no connection)"
        )
    if kind == "dpd_dead":
        return f"{e.get('device')} DPD: peer on {e.get('tunnel')} is dead"
    if kind == "retransmit":
        return f"{e.get('flow')} retransmits ({e.get('probe')})"
    if kind == "conn_built":
        return f"{e.get('device')} builds conn {e.get('conn')} for {e.get('flow')}"
    if kind == "reclassified":
        return f"{e.get('device')} moves conn {e.get('conn')} into tunnel {e.get('tunnel')}"
    if kind == "cli":
        return f"{e.get('device')}: {e.get('line')}"
    return None


def _retransmit_line(flow: str, times: list[int], probes: list[str]) -> str:
    if len(times) == 1:
        return f"  {clock(times[0])}  {flow} retransmits ({probes[0]})"
    kinds: dict[str, int] = {}
    for p in probes:
        kinds[p] = kinds.get(p, 0) + 1
    mix = ", ".join(k if n == 1 else f"{k} x{n}" for k, n in kinds.items())
    return f"  {clock(times[0])}  {flow} retransmits x{len(times)} ({mix}) until {clock(times[-1])}"


def timeline(events: Iterable[Mapping[str, Any]]) -> list[str]:
    """The notable trace events, one line each; a run of retransmissions of a flow with
    nothing else notable in between becomes one line."""
    out: list[str] = []
    pending: dict[str, tuple[list[int], list[str]]] = {}  # flow -> (times, probes)

    def flush() -> None:
        for flow, (times, probes) in sorted(pending.items(), key=lambda kv: kv[1][0][0]):
            out.append(_retransmit_line(flow, times, probes))
        pending.clear()

    for e in events:
        kind = e.get("type")
        if kind not in NOTABLE:
            continue
        if kind == "retransmit":
            times, probes = pending.setdefault(str(e.get("flow")), ([], []))
            times.append(int(e.get("t_us", 0)))
            probes.append(str(e.get("probe")))
            continue
        text = describe(e)
        if text is None:
            continue
        flush()
        out.append(f"  {clock(int(e.get('t_us', 0)))}  {text}")
    flush()
    return out


# -- flows ----------------------------------------------------------------------------------


def _state_text(f: Mapping[str, Any]) -> str:
    state = f.get("state")
    if state == "completed" and f.get("completed_at_s") is not None:
        return f"completed at {clock_s(f['completed_at_s'], millis=False)}"
    if state == "aborted" and f.get("aborted_at_s") is not None:
        reason = f.get("abort_reason")
        when = clock_s(f["aborted_at_s"], millis=False)
        return f"aborted at {when}: {reason}" if reason else f"aborted at {when}"
    if state == "stalled":
        stalls = f.get("stalls") or []
        if stalls and stalls[-1].get("start_s") is not None:
            return f"stalled since {clock_s(stalls[-1]['start_s'], millis=False)}"
    if state == "idle":
        return "idle (not started)"
    return str(state)


def flow_line(f: Mapping[str, Any], width: int = 0) -> str:
    """`download  [#####---------------]  26.1%  522.00 MB of 2.00 GB  running`"""
    name = str(f.get("id", "?")).ljust(width)
    delivered = int(f.get("bytes_delivered") or 0)
    total = int(f.get("size_bytes") or 0)
    attempts = int(f.get("attempts") or 0)
    state = _state_text(f)
    if attempts > 1:
        state = f"attempt {f.get('attempt', attempts)}: {state}"
    if f.get("proto") == "tcp" and total > 0:
        fraction = delivered / total
        return (
            f"{name}  {bar(fraction)} {percent(fraction):>6}  "
            f"{size(delivered)} of {size(total)}  {state}"
        )
    return f"{name}  {'udp stream':<{BAR_WIDTH + 2}}  {size(delivered)} carried  {state}"


def stall_lines(f: Mapping[str, Any], indent: str = "    ") -> list[str]:
    """The stalls of a flow's current attempt (with the retransmissions sent during each),
    and its retransmission total."""
    out = []
    rtx: list[float] = list(f.get("retransmissions_s") or [])
    aborted_at = f.get("aborted_at_s") if f.get("state") == "aborted" else None
    for st in f.get("stalls") or []:
        start, end = st.get("start_s"), st.get("end_s")
        if start is None:
            continue
        last = end if end is not None else aborted_at
        n = sum(1 for t in rtx if t >= start and (last is None or t <= last))
        sent = f"{n} retransmission{'' if n == 1 else 's'}"
        if end is not None:
            span = round((end - start) * S)
            out.append(
                f"{indent}stalled {clock_s(start)} -> {clock_s(end)}  ({duration(span)}, {sent})"
            )
        elif aborted_at is not None:
            span = round((aborted_at - start) * S)
            out.append(
                f"{indent}stalled {clock_s(start)}, never resumed "
                f"({sent}, aborted {duration(span)} later)"
            )
        else:
            out.append(f"{indent}stalled {clock_s(start)}, not resumed ({sent} so far)")
    if rtx:
        out.append(
            f"{indent}{len(rtx)} retransmission{'' if len(rtx) == 1 else 's'} in all"
            f" (first {clock_s(rtx[0])}, last {clock_s(rtx[-1])})"
        )
    return out


def earlier_attempt_lines(f: Mapping[str, Any], indent: str = "    ") -> list[str]:
    out = []
    for a in f.get("earlier_attempts") or []:
        merged = {**f, **a, "attempts": 1}
        out.append(
            f"{indent}attempt {a.get('attempt')} (port {a.get('client_port')}): "
            f"{size(int(a.get('bytes_delivered') or 0))}, {_state_text(merged)}"
        )
    return out


def flow_lines(flows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Per flow of `outcome.summary(sim)["flows"]`: progress bar, stalls, earlier tries."""
    width = max((len(str(f.get("id", ""))) for f in flows), default=0)
    out = []
    for f in flows:
        out.append(flow_line(f, width))
        out.extend(earlier_attempt_lines(f))
        out.extend(stall_lines(f))
    return out


# -- syslog and outcome ----------------------------------------------------------------------


def syslog_lines(syslog: Mapping[str, Sequence[str]]) -> list[str]:
    """Each ASA's `show logging` (device -> lines, as `outcome.summary` gives them)."""
    out = []
    for device, lines in syslog.items():
        out.append(f"{device}# show logging")
        out.extend(f"  {line}" for line in lines)
        if not lines:
            out.append("  (no messages buffered)")
    return out


def outcome_lines(checks: Sequence[Check]) -> list[str]:
    out = [f"  {'ok  ' if c.ok else 'FAIL'}  {c.text}" for c in checks]
    if not checks:
        out.append("  (the scenario expects nothing in particular)")
    out.append(f"outcome: {'met' if all(c.ok for c in checks) else 'NOT met'}")
    return out


def header_lines(
    title: str, slug: str, seed: int, until_us: int, variant: str | None = None
) -> list[str]:
    name = f"{slug} (variant {variant})" if variant else slug
    return [title, f"scenario {name}  seed {seed}  until {clock(until_us)}"]


# -- all together -------------------------------------------------------------------------


def render(sim: Simulation, *, variant: str | None = None) -> str:
    """The whole `labsim` text report of a simulation at its current time."""
    data = summary(sim)
    checks = check(sim)
    sc = sim.scenario
    lines = header_lines(sc.title, sc.slug, sim.seed, sim.now, variant)
    lines += ["", "timeline:"]
    lines += timeline(data["events"]) or ["  (nothing happened)"]
    lines += ["", "flows:"]
    lines += [f"  {line}" for line in flow_lines(data["flows"])] or ["  (no flows)"]
    if data["syslog"]:
        lines.append("")
        lines += syslog_lines(data["syslog"])
    lines += ["", "expected outcome:"]
    lines += outcome_lines(checks)
    return "\n".join(lines) + "\n"
