"""Operator commands: every UI button and every scripted event is one of these.

Buttons that change device state go through the device's CLI (`Cli` lines), so a
button and its CLI line can never disagree. `command_from_dict` validates the dict form
used by scenario files, the websocket and `labsim`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

from .errors import CommandError
from .units import MS, seconds

if TYPE_CHECKING:
    from .sim import Simulation
    from .spec import Link

SYSOPT_OPTIONS = ("preserve-vpn-flows", "reclassify-vpn")

# How lines are typed at a device: the CLI, a layer above the simulation, registers itself
# here when it is imported (lab/engine/cli/__init__.py); the simulation never imports it.
# (simulation, device, lines) -> {"ok", "transcript", "errors"}
Terminal = Callable[["Simulation", str, tuple[str, ...]], dict[str, Any]]
TERMINAL: list[Terminal] = []
MAX_LINK_DELAY_MS = 60_000  # a minute one way: beyond any real path, still a finite RTO


@dataclass(frozen=True)
class Command:
    name: ClassVar[str] = ""

    def validate(self, sim: Simulation) -> None:
        """Raise CommandError if this command cannot apply to this simulation."""

    def run(self, sim: Simulation) -> dict[str, Any]:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        return {"do": self.name, **asdict(self)}


def _need_link(sim: Simulation, link: str) -> None:
    if link not in sim.links:
        raise CommandError(f"no link {link!r}; links: {', '.join(sim.links)}")


def _need_asa(sim: Simulation, device: str) -> None:
    gw = sim.gateways.get(device)
    if gw is None or gw.cfg is None:
        names = [g.id for g in sim.gateways.values() if g.cfg is not None]
        raise CommandError(f"no ASA/PIX {device!r}; devices with a CLI: {', '.join(names)}")


@dataclass(frozen=True)
class Cut(Command):
    name: ClassVar[str] = "cut"
    link: str
    for_s: float | None = None

    def validate(self, sim: Simulation) -> None:
        _need_link(sim, self.link)
        if self.for_s is not None and self.for_s <= 0:
            raise CommandError("for_s must be positive")

    def run(self, sim: Simulation) -> dict[str, Any]:
        # Overlapping cuts stack: the link returns when the last timed cut ends.
        sim.link_cuts[self.link] += 1
        if sim.link_cuts[self.link] == 1:
            sim.loop.record("link", link=self.link, up=False)
            sim.path_changed()
        if self.for_s is not None:
            sim.loop.after(seconds(self.for_s), _cut_ends, sim, self.link)
        return {"ok": True}


def _cut_ends(sim: Simulation, link: str) -> None:
    if sim.link_cuts[link] == 0:  # restored by hand meanwhile
        return
    sim.link_cuts[link] -= 1
    if sim.link_cuts[link] == 0:
        sim.loop.record("link", link=link, up=True)
        sim.path_changed()


@dataclass(frozen=True)
class Restore(Command):
    name: ClassVar[str] = "restore"
    link: str

    def validate(self, sim: Simulation) -> None:
        _need_link(sim, self.link)

    def run(self, sim: Simulation) -> dict[str, Any]:
        if sim.link_cuts[self.link]:
            sim.link_cuts[self.link] = 0
            sim.loop.record("link", link=self.link, up=True)
            sim.path_changed()
        return {"ok": True}


@dataclass(frozen=True)
class SetLinkDelay(Command):
    """A link's one-way delay changes now (a delay spike when `for_s` is given)."""

    name: ClassVar[str] = "link_delay"
    link: str
    delay_ms: float
    for_s: float | None = None

    def validate(self, sim: Simulation) -> None:
        _need_link(sim, self.link)
        if not 0 <= self.delay_ms <= MAX_LINK_DELAY_MS:
            raise CommandError(f"delay_ms must be between 0 and {MAX_LINK_DELAY_MS}")
        if self.for_s is not None and self.for_s <= 0:
            raise CommandError("for_s must be positive")

    def run(self, sim: Simulation) -> dict[str, Any]:
        before = sim.links[self.link]
        now = _set_delay(sim, self.link, round(self.delay_ms * MS))
        if self.for_s is not None:
            sim.loop.after(seconds(self.for_s), _delay_ends, sim, now, before.delay_us)
        return {"ok": True}


def _set_delay(sim: Simulation, link: str, delay_us: int) -> Link:
    from . import transport

    old = sim.links[link]
    sim.links[link] = new = replace(old, delay_us=delay_us)
    sim.loop.record("link_delay", link=link, delay_us=delay_us, was_us=old.delay_us)
    if delay_us != old.delay_us:
        transport.delay_changed(sim, link)
    return new


def _delay_ends(sim: Simulation, spiked: Link, delay_us: int) -> None:
    if sim.links[spiked.id] is spiked:  # not changed again meanwhile: that change owns it
        _set_delay(sim, spiked.id, delay_us)
        sim.touch()


@dataclass(frozen=True)
class Cli(Command):
    """Lines typed at a device, starting in privileged EXEC mode."""

    name: ClassVar[str] = "cli"
    device: str
    lines: tuple[str, ...] = field(default_factory=tuple)

    def validate(self, sim: Simulation) -> None:
        _need_asa(sim, self.device)
        if not self.lines:
            raise CommandError("no lines to type")

    def run(self, sim: Simulation) -> dict[str, Any]:
        if not TERMINAL:
            raise CommandError("no command line is loaded (import lab.engine.cli)")
        return TERMINAL[-1](sim, self.device, self.lines)


def _cli(device: str, *lines: str) -> Cli:
    return Cli(device, tuple(lines))


@dataclass(frozen=True)
class SetSysopt(Command):
    name: ClassVar[str] = "set_sysopt"
    device: str
    option: str
    enabled: bool

    def validate(self, sim: Simulation) -> None:
        _need_asa(sim, self.device)
        if self.option not in SYSOPT_OPTIONS:
            raise CommandError(f"option must be one of {', '.join(SYSOPT_OPTIONS)}")

    def run(self, sim: Simulation) -> dict[str, Any]:
        line = f"{'' if self.enabled else 'no '}sysopt connection {self.option}"
        return _cli(self.device, "configure terminal", line, "end").run(sim)


@dataclass(frozen=True)
class ClearIpsecSa(Command):
    name: ClassVar[str] = "clear_ipsec_sa"
    device: str
    peer: str | None = None

    def validate(self, sim: Simulation) -> None:
        _need_asa(sim, self.device)

    def run(self, sim: Simulation) -> dict[str, Any]:
        tail = f" peer {self.peer}" if self.peer else ""
        return _cli(self.device, f"clear crypto ipsec sa{tail}").run(sim)


@dataclass(frozen=True)
class ClearIsakmpSa(Command):
    name: ClassVar[str] = "clear_isakmp_sa"
    device: str

    def validate(self, sim: Simulation) -> None:
        _need_asa(sim, self.device)

    def run(self, sim: Simulation) -> dict[str, Any]:
        return _cli(self.device, "clear crypto isakmp sa").run(sim)


@dataclass(frozen=True)
class RestartFlow(Command):
    name: ClassVar[str] = "restart_flow"
    flow: str

    def validate(self, sim: Simulation) -> None:
        if self.flow not in sim.flows:
            raise CommandError(f"no flow {self.flow!r}")

    def run(self, sim: Simulation) -> dict[str, Any]:
        from . import transport

        f = sim.flows[self.flow]
        if f.attempts:
            transport.restart(sim, f)
        else:
            transport.start(sim, f)
        return {"ok": True}


@dataclass(frozen=True)
class StartFlow(RestartFlow):
    name: ClassVar[str] = "start_flow"

    def validate(self, sim: Simulation) -> None:
        super().validate(sim)
        if sim.flows[self.flow].attempts:
            raise CommandError(f"flow {self.flow!r} has started already; restart it instead")


COMMANDS: dict[str, type[Command]] = {
    c.name: c
    for c in (
        Cut,
        Restore,
        SetLinkDelay,
        Cli,
        SetSysopt,
        ClearIpsecSa,
        ClearIsakmpSa,
        RestartFlow,
        StartFlow,
    )
}

_TYPES: dict[str, tuple[type, ...]] = {
    "link": (str,),
    "device": (str,),
    "flow": (str,),
    "option": (str,),
    "peer": (str, type(None)),
    "enabled": (bool,),
    "for_s": (int, float, type(None)),
    "delay_ms": (int, float),
    "lines": (list, tuple),
}


def command_from_dict(d: dict[str, Any]) -> Command:
    """Build a command from `{"do": name, ...fields}`; CommandError says what is wrong."""
    if not isinstance(d, dict):
        raise CommandError("a command must be an object with a 'do' field")
    name = d.get("do")
    if name not in COMMANDS:
        raise CommandError(f"unknown command {name!r}; known: {', '.join(COMMANDS)}")
    cls = COMMANDS[str(name)]
    fields = {k: v for k, v in d.items() if k != "do"}
    known = set(cls.__dataclass_fields__)
    for key, value in fields.items():
        if key not in known:
            raise CommandError(f"{name}: unknown field {key!r}")
        types = _TYPES.get(key, (object,))
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise CommandError(f"{name}: field {key!r} has the wrong type ({type(value).__name__})")
    if "lines" in fields:
        if not all(isinstance(x, str) and len(x) <= 512 for x in fields["lines"]):
            raise CommandError(f"{name}: lines must be strings of at most 512 characters")
        fields["lines"] = tuple(fields["lines"])
    try:
        return cls(**fields)
    except TypeError as exc:
        missing = [
            k
            for k, spec in cls.__dataclass_fields__.items()
            if k not in fields and spec.default is MISSING and spec.default_factory is MISSING
        ]
        raise CommandError(f"{name}: missing field {', '.join(missing) or exc}") from None
