"""A run: the engine plus one CLI session per ASA, driven by logged actions.

The one place a run's action log is applied: the live run host (lab/live) feeds it actions
at simulated times, and `rebuild`/`Player` replay a log into exactly the same state for a
restart, a recording, a class dashboard or a packet capture. An action is a plain dict:
an engine command (`{"do": "cut", ...}`, see commands.py), a host control (speed, step,
reset: logged, nothing to replay) or `{"do": "type", "device", "line"}`, a line typed at a
device's terminal, whose session (mode, enable) lives as long as the run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from contextlib import suppress
from typing import Any

from .cli import CliSession
from .commands import command_from_dict
from .errors import CommandError
from .sim import Simulation
from .spec import Scenario, parse_scenario

TERMINAL_LINES = 400  # scrollback kept per device
LINE_MAX = 512
# Actions the host handles itself: logged for the record, nothing to replay.
HOST_ONLY = ("speed", "step", "reset")


class ActionError(ValueError):
    """An action this run cannot take; nothing was changed."""


class TooLong(RuntimeError):
    """A replay needed more engine events than its budget: it stopped part way."""

    def __init__(self, max_events: int) -> None:
        super().__init__(f"more than {max_events:,} engine events")
        self.max_events = max_events


class Runtime:
    """`on_change` is called after every engine event and every action (pcap.py records
    what its packets need there)."""

    def __init__(
        self,
        scenario: Scenario | dict[str, Any],
        seed: int | None,
        *,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        if isinstance(scenario, dict):
            scenario = parse_scenario(scenario)
        self.sim = Simulation(scenario, seed)
        self.on_change = on_change
        self.sessions = {
            d: CliSession(self.sim, d, terminal=True)
            for d, gw in self.sim.gateways.items()
            if gw.cfg is not None
        }
        self.terminal = {d: deque[str](maxlen=TERMINAL_LINES) for d in self.sessions}
        self.terminal_version = 0
        # Throughput history per flow: (t_us, bytes, rate_bps) at every change of rate or
        # state, sampled after each engine event, so it is the same however fast we step.
        self.samples: dict[str, list[tuple[int, int, int]]] = {f: [] for f in self.sim.flows}
        self._last: dict[str, tuple[str, int, int]] = {}
        self.events = 0  # engine events processed: what a replay's budget counts
        self._sample()

    @property
    def now(self) -> int:
        return self.sim.now

    @property
    def version(self) -> tuple[int, int]:
        """Changes whenever anything but the progress of a moving flow changes."""
        return (self.sim.version, self.terminal_version)

    def prompt(self, device: str) -> str:
        return self.sessions[device].prompt

    # -- time --------------------------------------------------------------------------
    def advance_to(self, t_us: int, max_events: int | None = None) -> bool:
        """Step event by event up to t_us, sampling throughput after each one.

        With `max_events`, stop after that many events, the clock at the last one, and
        answer False (t_us not reached yet): the caller bounds its work per slice and goes
        on later. However the work is sliced, the state at a given time is the same."""
        sim = self.sim
        n = 0
        while (d := sim.next_deadline()) is not None and d <= t_us:
            if max_events is not None and n >= max_events:
                return False
            sim.advance_to(d)
            self._changed()
            n += 1
            self.events += 1
        sim.advance_to(max(t_us, sim.now))
        return True

    def step(self) -> int | None:
        """Jump to the next engine event (the "step" control); None: nothing is due."""
        d = self.sim.next_deadline()
        if d is not None:
            self.advance_to(d)
        return d

    def _changed(self) -> None:
        self._sample()
        for device, session in self.sessions.items():
            text = session.take_debug()  # `debug crypto ...` lines print as they happen
            if text:
                self.terminal[device].extend(text.rstrip("\n").split("\n"))
                self.terminal_version += 1
        if self.on_change is not None:
            self.on_change()

    def _sample(self) -> None:
        now = self.sim.now
        for fid, f in self.sim.flows.items():
            if not f.attempts:
                continue
            a = f.current
            key = (a.state, a.number, a.rate_bps)
            if self._last.get(fid) != key:
                self._last[fid] = key
                self.samples[fid].append((now, a.transferred(now), a.rate_bps))

    # -- actions -----------------------------------------------------------------------
    def check(self, action: dict[str, Any]) -> None:
        """Raise ActionError unless `action` can be applied now; changes nothing."""
        if not isinstance(action, dict):
            raise ActionError("an action must be an object")
        do = action.get("do")
        if do in HOST_ONLY:
            return
        if do == "type":
            device, line = action.get("device"), action.get("line")
            if device not in self.sessions:
                raise ActionError(f"no device with a CLI called {device!r}")
            if not isinstance(line, str) or len(line) > LINE_MAX or "\n" in line:
                raise ActionError(f"a CLI line is one line of at most {LINE_MAX} characters")
            return
        try:
            command_from_dict(action).validate(self.sim)
        except CommandError as exc:
            raise ActionError(str(exc)) from None

    def apply(self, action: dict[str, Any]) -> dict[str, Any]:
        """Apply a checked action now. CLI lines answer with the device's own output."""
        self.check(action)
        do = action["do"]
        if do in HOST_ONLY:
            return {"ok": True}
        if do == "type":
            device = action["device"]
            chunk = self.sessions[device].type(action["line"])
            self.terminal[device].extend(chunk.rstrip("\n").split("\n"))
            self.terminal_version += 1
            self._changed()  # a typed line may have changed the config or cleared SAs
            return {"ok": True, "output": chunk}
        try:
            result = self.sim.apply(action)
        except CommandError as exc:  # check() passed, so this is a rule of the command
            raise ActionError(str(exc)) from None
        self._changed()
        device = action.get("device")
        if result.get("transcript") and device in self.terminal:
            # What a button typed, shown like ASDM's "commands sent to the device".
            self.terminal[device].append(f"! sent by the {do} control:")
            self.terminal[device].extend(result["transcript"].rstrip("\n").split("\n"))
            self.terminal_version += 1
        return result


class Player:
    """Plays a logged run forward: each action is applied when the clock reaches it."""

    def __init__(
        self,
        scenario: Scenario | dict[str, Any],
        seed: int | None,
        actions: Iterable[tuple[int, dict[str, Any]]],
    ) -> None:
        self.rt = Runtime(scenario, seed)
        self.actions = list(actions)
        self.next = 0

    def advance_to(self, t_us: int, max_events: int | None = None) -> bool:
        """Play on to t_us; with `max_events`, at most that many engine events: False when
        t_us was not reached (call again to go on, as Runtime.advance_to)."""
        start = self.rt.events

        def left() -> int | None:
            return None if max_events is None else max_events - (self.rt.events - start)

        while self.next < len(self.actions) and self.actions[self.next][0] <= t_us:
            at, action = self.actions[self.next]
            if not self.rt.advance_to(at, left()):
                return False
            self.next += 1
            with suppress(ActionError):  # it failed live too (checked before it was logged)
                self.rt.apply(action)
        return self.rt.advance_to(t_us, left())

    def play(self, t_us: int, max_events: int) -> None:
        """Play on to t_us within `max_events` engine events, or raise TooLong."""
        if not self.advance_to(t_us, max_events):
            raise TooLong(max_events)


def rebuild(
    scenario: Scenario | dict[str, Any],
    seed: int | None,
    actions: Iterable[tuple[int, dict[str, Any]]],
    until_us: int,
) -> Runtime:
    """The state of a run: replay its actions at their times, then run on to `until_us`."""
    player = Player(scenario, seed, actions)
    player.advance_to(until_us)
    return player.rt
