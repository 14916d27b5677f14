"""Judging a student's run: its prediction, its challenge goal and constraints.

No Django: everything is computed from the run's spec, its seed and its action log (the
RunAction rows, passed in as `Entry`s). A check is a replay, so it has a budget like a live
run: at most CHECK_EVENTS engine events (else "too long to check"), and one replay at a
time per process (REPLAYS_AT_ONCE; a check that cannot start within REPLAY_WAIT_S says the
server is busy), so checks neither starve the live runs nor pile up threads. The log is
replayed through the same `Runtime` the live lab uses, so the verdict is on the student's own run:

- the goal and each prediction choice are checked by `lab.engine.outcome.check` on the
  replayed simulation, played on to the scenario's end (`until_s`);
- the constraints are checked on the log: which lab controls were used, which device
  commands (typed lines or the buttons that stand for them) were accepted, how many, when.

A device command is named by its words as typed, with the command that opened the
sub-mode it was typed in put in front (` lifetime 0` typed under `crypto isakmp policy
10` is `crypto isakmp policy 10 lifetime 0`); navigation (`enable`, `configure
terminal`, `show ...`, `end`, `?` help) is not a command, and a line the device refused
changed nothing, so it is not one either.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from lab.engine.outcome import Check, check
from lab.engine.run import HOST_ONLY, ActionError, Runtime, TooLong
from lab.engine.sim import Simulation
from lab.engine.units import S
from lab.teaching import wording
from lab.teaching.spec import Constraints, Teaching

NAVIGATION = (
    "enable",
    "disable",
    "configure",
    "end",
    "exit",
    "quit",
    "show",
    "terminal",
    "ping",
    "more",
    "pager",
    "help",
    "history",
    "write",
    "copy",
)
CLOCK = HOST_ONLY
# ~0.1 ms per event on the densest scenario the lab plays, so a few seconds of CPU at most;
# the built-in lessons need a few hundred.
CHECK_EVENTS = 50_000
REPLAYS_AT_ONCE = 1  # replays run in request threads: with the GIL a second one buys nothing
REPLAY_WAIT_S = 10.0
_replays = threading.BoundedSemaphore(REPLAYS_AT_ONCE)
TOO_LONG = (
    "Too long to check here: replaying this run to the scenario's end needs more than "
    "{n:,} engine events. Nothing about your run was judged."
)
BUSY = "The server is checking other runs right now: try again in a moment."
_MODE = re.compile(r"\((config[^)]*)\)")


@dataclass(frozen=True)
class Entry:
    """One logged action: simulated time, wall seconds since the attempt began, action."""

    t_us: int
    wall_s: float
    action: dict[str, Any]


@dataclass(frozen=True)
class Command:
    """Something the student did that changes the lab: a device command or a lab control."""

    kind: str  # "device" or "control"
    name: str  # the command's words, or the control's name
    device: str
    t_us: int
    refused: bool = False

    @property
    def words(self) -> list[str]:
        return self.name.lower().split()

    def describe(self) -> str:
        at = clock(self.t_us)
        if self.kind == "control":
            return f"the lab control “{self.name.replace('_', ' ')}” at {at}"
        return f"“{self.name}” on {self.device} at {at}"


@dataclass
class Verdict:
    passed: bool
    goal: list[Check] = field(default_factory=list)
    rules: list[Check] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """Why, in plain words: failures first, then what held."""
        every = self.goal + self.rules
        return [c.text for c in every if not c.ok] + [c.text for c in every if c.ok]


def clock(t_us: int) -> str:
    s = t_us // S
    return f"{s // 60}:{s % 60:02d}"


def _is_navigation(line: str) -> bool:
    words = line.lower().split()
    if words and words[0] == "do":
        words = words[1:]
    if not words or line.rstrip().endswith("?"):
        return True
    return any(verb.startswith(words[0]) for verb in NAVIGATION)


def _mode(prompt: str) -> str:
    """`config-isakmp-policy` for `BO-ASA(config-isakmp-policy)# `; "" in EXEC mode."""
    m = _MODE.search(prompt)
    return m.group(1) if m else ""


def _button_command(action: dict[str, Any]) -> str:
    do = action["do"]
    if do == "set_sysopt":
        return f"{'' if action.get('enabled') else 'no '}sysopt connection {action['option']}"
    if do == "clear_ipsec_sa":
        peer = action.get("peer")
        return "clear crypto ipsec sa" + (f" peer {peer}" if peer else "")
    if do == "clear_isakmp_sa":
        return "clear crypto isakmp sa"
    return ""


class Replay:
    """A run replayed from its log, noting every command as it is applied."""

    def __init__(
        self, spec: dict[str, Any], seed: int, log: list[Entry], max_events: int | None = None
    ) -> None:
        self.rt = Runtime(spec, seed)
        self.max_events = max_events
        self.log = sorted(log, key=lambda e: e.t_us)
        self.commands: list[Command] = []
        self.context: dict[str, str] = {}  # device -> the line that opened its sub-mode
        self.pending: dict[str, Command] = {}  # device -> that line, not yet counted
        for entry in self.log:
            self._run_to(entry.t_us)
            self._apply(entry)
        self.finish()

    def _run_to(self, t_us: int) -> None:
        """On to t_us within the replay's budget of engine events, or raise TooLong."""
        if self.max_events is None:
            self.rt.advance_to(t_us)
        elif not self.rt.advance_to(t_us, self.max_events - self.rt.events):
            raise TooLong(self.max_events)

    @property
    def sim(self) -> Simulation:
        return self.rt.sim

    def _errors(self, device: str) -> int:
        gw = self.sim.gateways.get(device)
        return gw.cli_errors if gw is not None else 0

    def _apply(self, entry: Entry) -> None:
        action, t = entry.action, self.rt.now
        do = action.get("do")
        device = str(action.get("device", ""))
        before = self._errors(device)
        prompt = self.rt.prompt(device) if do == "type" and device in self.rt.sessions else ""
        try:
            self.rt.apply(action)
        except ActionError:
            return  # refused live too: nothing happened
        refused = self._errors(device) > before
        if do in CLOCK:
            return
        if do == "type":
            line = " ".join(str(action.get("line", "")).split())
            if prompt.startswith("Password") or _is_navigation(line):
                self._track_mode(device, prompt, line)
                return
            context = self.context.get(device, "")
            name = f"{context} {line}" if context and _mode(prompt) not in ("", "config") else line
            command = Command("device", name, device, t, refused)
            opened = self._track_mode(device, prompt, line)
            if opened:
                # `crypto isakmp policy 10` opens a sub-mode: it is a command of its own
                # only if nothing is typed in that sub-mode (then it created something).
                self.pending[device] = command
            else:
                if name != line:  # typed inside the sub-mode: its opener is context only
                    self.pending.pop(device, None)
                self.commands.append(command)
        elif name := _button_command(action):
            self.commands.append(Command("device", name, device, t, refused))
        else:
            self.commands.append(Command("control", str(do), "", t))

    def _track_mode(self, device: str, prompt: str, line: str) -> bool:
        """Note the sub-mode a line opened; True when it opened one."""
        now = _mode(self.rt.prompt(device))
        if now in ("", "config") or now != _mode(prompt):
            if device in self.pending:
                self.commands.append(self.pending.pop(device))
            self.context.pop(device, None)
        if now not in ("", "config") and now != _mode(prompt):
            self.context[device] = line
            return True
        return False

    def finish(self) -> None:
        """Commands still pending (a sub-mode left open) count; sort them all by time."""
        self.commands.extend(self.pending.values())
        self.pending.clear()
        self.commands.sort(key=lambda c: c.t_us)

    def play_to(self, t_us: int) -> None:
        self._run_to(max(t_us, self.rt.now))


def matches(pattern: str, words: list[str]) -> bool:
    """Whether a command's words start with the pattern's (`*`: any one word).

    A typed word matches when it is the pattern's word or an abbreviation of it, as the
    ASA accepts; a leading `no` is ignored, so `forbid` covers undoing too.
    """
    if words and words[0] == "no":
        words = words[1:]
    want = pattern.lower().split()
    if len(words) < len(want):
        return False
    return all(p == "*" or p.startswith(w) for p, w in zip(want, words, strict=False))


def check_constraints(c: Constraints, commands: list[Command], taken_s: float) -> list[Check]:
    """The constraints of a challenge, checked on the commands of the log."""
    out: list[Check] = []
    accepted = [x for x in commands if x.kind == "device" and not x.refused]
    controls = [x for x in commands if x.kind == "control"]
    if c.controls is not None:
        bad = [x for x in controls if x.name not in c.controls]
        allowed = ", ".join(n.replace("_", " ") for n in c.controls) or "none"
        for x in bad:
            out.append(Check(False, f"You used {x.describe()}; allowed controls: {allowed}."))
        if not bad:
            out.append(Check(True, f"You used only the allowed lab controls ({allowed})."))
    for x in accepted:
        for pattern in c.forbid:
            if matches(pattern, x.words):
                out.append(Check(False, f"You typed {x.describe()}: “{pattern}” is off limits."))
    if c.only:
        for x in accepted:
            if not any(matches(p, x.words) for p in c.only):
                only = ", ".join(f"“{p}”" for p in c.only)
                out.append(Check(False, f"You typed {x.describe()}; only {only} may change."))
    if (c.forbid or c.only) and all(out_check.ok for out_check in out):
        out.append(Check(True, "You changed only what the challenge allows."))
    if c.max_commands is not None:
        n = len(accepted)
        ok = n <= c.max_commands
        word = "command" if n == 1 else "commands"
        out.append(Check(ok, f"You used {n} device {word}; the limit is {c.max_commands}."))
    if c.act_by_s is not None:
        limit = int(c.act_by_s * S)
        late = [x for x in accepted + controls if x.t_us > limit]
        for x in late:
            out.append(
                Check(
                    False,
                    f"{x.describe()[0].upper()}{x.describe()[1:]} came after "
                    f"{clock(limit)}, the deadline.",
                )
            )
        if not late:
            out.append(Check(True, f"Everything you did came before {clock(limit)}."))
    if c.time_limit_s is not None:
        ok = taken_s <= c.time_limit_s
        out.append(
            Check(ok, f"You took {round(taken_s)} s; the time limit is {round(c.time_limit_s)} s.")
        )
    return out


def end_us(spec: dict[str, Any], log: list[Entry]) -> int:
    """Where a run is judged: the scenario's end, or its last action if that came later."""
    until = int(float(spec.get("until_s", 3600)) * S)
    return max([until, *(e.t_us for e in log)])


def judge(
    teaching: Teaching,
    spec: dict[str, Any],
    seed: int,
    log: list[Entry],
    *,
    taken_s: float,
    max_events: int = CHECK_EVENTS,
) -> tuple[Verdict | None, list[bool]]:
    """The challenge verdict (None: not a challenge) and, per choice, whether it held.

    A run too long to replay within `max_events`, or a server busy with other checks,
    gets a verdict that says so (not passed) and no choice judged."""
    if not _replays.acquire(timeout=REPLAY_WAIT_S):
        return _unjudged(teaching, BUSY)
    try:
        replay = Replay(spec, seed, log, max_events)
        replay.play_to(end_us(spec, log))
    except TooLong as exc:
        return _unjudged(teaching, TOO_LONG.format(n=exc.max_events))
    finally:
        _replays.release()
    held = [all(c.ok for c in check(replay.sim, ch.expect)) for ch in teaching.choices]
    if teaching.goal is None:
        return None, held
    goal = wording.plain(replay.sim, teaching.goal, check(replay.sim, teaching.goal))
    rules = check_constraints(teaching.constraints, replay.commands, taken_s)
    passed = all(c.ok for c in goal) and all(c.ok for c in rules)
    return Verdict(passed, goal, rules, replay.commands), held


def _unjudged(teaching: Teaching, why: str) -> tuple[Verdict | None, list[bool]]:
    """No verdict: a challenge says why (not passed); a question stays unanswered."""
    if teaching.goal is None:
        return None, []
    return Verdict(False, goal=[Check(False, why)]), []
