"""`manage.py labcli SCENARIO [--at SECONDS] [--device NAME]`: an ASA's CLI in the terminal.

Runs the scenario (built-in slug or JSON file, as labsim reads it) to the simulated time
`--at` and opens the command line of one ASA (the branch office's by default) at the
user EXEC prompt (`hostname>`), like the browser terminal: type `enable` first. On a
terminal it is interactive (Tab completes, `?` lists, Ctrl-D leaves); otherwise it
reads one line per input line and prints the transcript exactly as the browser terminal
shows it (prompt, echo, output), ending with the prompt, so sessions can be scripted and
diffed. Simulated time does not move while you type. Bad input exits with status 2 and
one `labcli: ...` line on stderr.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from lab.engine.cli import CliSession
from lab.engine.errors import LabError
from lab.engine.sim import Simulation
from lab.engine.spec import parse_scenario
from lab.web.management.commands.labsim import EXIT_BAD_INPUT, LabCommand, load, parse_until


def fail(message: str) -> CommandError:
    return CommandError(f"labcli: {message}", returncode=EXIT_BAD_INPUT)


def default_device(sim: Simulation) -> str:
    """The branch office's ASA if there is one, else the first device with a CLI."""
    with_cli = [gw for gw in sim.gateways.values() if gw.cfg is not None]
    if not with_cli:
        raise fail("this scenario has no ASA or PIX: no device has a CLI")
    for gw in with_cli:
        if gw.node.site == "bo":
            return gw.id
    return with_cli[0].id


class Command(LabCommand):
    help = "Run a scenario to a simulated time and open an ASA's command line."
    tool = "labcli"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("scenario", metavar="SCENARIO", help="built-in slug or JSON file")
        parser.add_argument(
            "--at", metavar="SECONDS", help="simulated time to run to first (default: 0)"
        )
        parser.add_argument("--device", metavar="NAME", help="device id (default: the BO ASA)")

    def handle(self, *args: Any, **options: Any) -> None:
        source: str = options["scenario"]
        at_us = parse_until(options["at"]) or 0
        try:
            data = load(source)
        except CommandError as exc:  # labsim's message, said as labcli's
            raise fail(str(exc).removeprefix("labsim: ")) from None
        try:
            sim = Simulation(parse_scenario(data))
            sim.advance_to(at_us)
        except LabError as exc:
            raise fail(f"{source}: {exc}") from None
        device = options["device"] or default_device(sim)
        gw = sim.gateways.get(device)
        if gw is None or gw.cfg is None:
            names = ", ".join(g.id for g in sim.gateways.values() if g.cfg is not None)
            raise fail(f"--device {device!r}: no ASA/PIX of that name; devices with a CLI: {names}")
        session = CliSession(sim, device)  # the browser terminal's starting point
        if sys.stdin.isatty():
            self._interactive(session)
        else:
            for raw in sys.stdin:
                self.stdout.write(session.type(raw.rstrip("\r\n")), ending="")
            self.stdout.write(session.prompt.rstrip())

    def _interactive(self, session: CliSession) -> None:
        try:
            import readline

            def complete(text: str, state: int) -> str | None:
                done = session.complete(readline.get_line_buffer())
                if done is None or state:
                    return None
                return done.split()[-1] + " "

            readline.set_completer(complete)
            readline.parse_and_bind("tab: complete")
        except ImportError:  # pragma: no cover - readline is missing on some platforms
            pass
        while True:
            try:
                line = input(session.prompt)
            except EOFError:
                self.stdout.write("")
                return
            out = session.type(line)
            self.stdout.write(out.split("\n", 1)[1], ending="")
