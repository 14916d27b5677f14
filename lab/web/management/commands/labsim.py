"""`manage.py labsim SCENARIO`: run a scenario headless and print what happened.

SCENARIO is a built-in slug or a scenario JSON file (docs/scenario-format.md). The
command only parses its arguments, reads the file and calls the engine; the text comes
from lab.engine.report, the `--json` object from lab.engine.outcome.summary. Bad input
exits with status 2 and one `labsim: ...` line on stderr; a run whose expected outcome
is not met still exits 0.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lab.engine import report
from lab.engine.errors import LabError, SpecError
from lab.engine.library import BUILTIN_SLUGS, builtin_dict
from lab.engine.outcome import summary
from lab.engine.pcap import export
from lab.engine.sim import Simulation
from lab.engine.spec import apply_overrides, parse_assignment, parse_scenario, variant
from lab.engine.units import seconds

EXIT_BAD_INPUT = 2


def fail(message: str) -> CommandError:
    return CommandError(f"labsim: {message}", returncode=EXIT_BAD_INPUT)


def _jsonable(value: Any) -> Any:
    """json.dumps fallback for the few non-JSON types a summary could hold."""
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def parse_until(text: str | None) -> int | None:
    """`--until SECONDS` to microseconds (None: the scenario's own until_s)."""
    return parse_seconds("--until", text)


def parse_seconds(flag: str, text: str | None) -> int | None:
    """`--from`/`--to`/`--until SECONDS` to microseconds (None: not given)."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise fail(f"{flag}: expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise fail(f"{flag}: must be a finite number of seconds >= 0, got {text!r}")
    return seconds(value)


def parse_seed(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise fail(f"--seed: expected an integer, got {text!r}") from None


def parse_sets(texts: list[str]) -> list[tuple[str, str, Any]]:
    """`--set PATH=VALUE` items as (original text, path, value)."""
    out = []
    for text in texts:
        try:
            path, value = parse_assignment(text)
        except SpecError:
            raise fail(
                f"--set {text!r}: expected PATH=VALUE, e.g. flows.download.size_bytes=1000000"
            ) from None
        if not path or any(not part for part in path.split(".")):
            raise fail(f"--set {text!r}: the path has an empty part")
        out.append((text, path, value))
    return out


def load(source: str) -> dict[str, Any]:
    """The scenario dict of a built-in slug or of a JSON file."""
    if source in BUILTIN_SLUGS:
        return builtin_dict(source)
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if os.sep in source or "/" in source or source.endswith(".json"):
            raise fail(f"{source}: no such file") from None
        raise fail(
            f"{source!r} is neither a built-in scenario ({', '.join(BUILTIN_SLUGS)}) nor a file"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise fail(f"{source}: cannot read the file: {reason}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(
            f"{source}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(data, dict):
        raise fail(f"{source}: a scenario must be a JSON object, got {type(data).__name__}")
    return data


def check_variant_shape(data: dict[str, Any], name: str) -> None:
    """What `spec.variant` assumes of a variant, said as a SpecError instead of a crash."""
    variants = data.get("variants", {})
    if not isinstance(variants, dict):
        raise SpecError("variants", "must be an object")
    v = variants.get(name)
    if v is None:
        return  # spec.variant names the variants there are
    if not isinstance(v, dict):
        raise SpecError(f"variants.{name}", "must be an object")
    if not isinstance(v.get("set", {}), dict):
        raise SpecError(f"variants.{name}.set", "must be an object of PATH: VALUE")
    if not isinstance(v.get("add_events", []), list):
        raise SpecError(f"variants.{name}.add_events", "must be a list of events")


class LabCommand(BaseCommand):
    """A headless lab tool: bad arguments give one line and exit status 2."""

    tool = "lab"
    requires_system_checks: list[str] = []  # no database, no apps: the engine only

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        if parser.called_from_command_line:
            # One line instead of argparse's usage block, still exit status 2.
            def error(message: str) -> NoReturn:
                parser.exit(EXIT_BAD_INPUT, f"{self.tool}: {message} (see --help)\n")

            parser.error = error
        return parser


class Command(LabCommand):
    help = (
        "Run a scenario (built-in slug or JSON file) without the web UI and print its "
        "timeline, flows, show logging and outcome (or, with --json, the summary object)."
    )
    tool = "labsim"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("scenario", metavar="SCENARIO", help="built-in slug or JSON file")
        parser.add_argument(
            "--until", metavar="SECONDS", help="simulated time to run to (default: until_s)"
        )
        parser.add_argument("--seed", metavar="N", help="random seed (default: the scenario's)")
        parser.add_argument(
            "--set",
            dest="sets",
            metavar="PATH=VALUE",
            action="append",
            default=[],
            help="override a field by its dotted path, e.g. flows.download.size_bytes=1000000 "
            "(list items by index or id; VALUE is JSON, else a string); repeatable",
        )
        parser.add_argument("--variant", metavar="NAME", help="apply a named variant first")
        parser.add_argument(
            "--json", action="store_true", help="print outcome.summary as one JSON object"
        )
        parser.add_argument(
            "--pcap",
            metavar="FILE",
            help="instead of the report, write the packets of --link between --from and --to "
            "as a libpcap file (and FILE.esp_sa, Wireshark's ESP SA table, when it has ESP)",
        )
        parser.add_argument(
            "--link", metavar="NAME", help="--pcap: the link to capture, e.g. internet"
        )
        parser.add_argument(
            "--from", dest="from_s", metavar="S", help="--pcap: window start (default 0)"
        )
        parser.add_argument(
            "--to", dest="to_s", metavar="S", help="--pcap: window end (default start + 60)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source: str = options["scenario"]
        until_us = parse_until(options["until"])
        seed = parse_seed(options["seed"])
        sets = parse_sets(options["sets"])
        variant_name: str | None = options["variant"]
        pcap_file: str | None = options.get("pcap")
        from_us = parse_seconds("--from", options.get("from_s"))
        to_us = parse_seconds("--to", options.get("to_s"))
        if pcap_file is None and (options.get("link") or from_us is not None or to_us is not None):
            raise fail("--link, --from and --to go with --pcap FILE")
        if pcap_file is not None and not options.get("link"):
            raise fail("--pcap needs --link NAME (e.g. bo-inside, internet, ho-inside)")

        data = load(source)
        try:
            if variant_name is not None:
                check_variant_shape(data, variant_name)
                data = variant(data, variant_name)
        except SpecError as exc:
            raise fail(f"{source}: --variant {variant_name}: {exc}") from None
        for text, path, value in sets:
            try:
                data = apply_overrides(data, {path: value})
            except SpecError as exc:
                raise fail(f"--set {text}: {exc}") from None
        if pcap_file is not None:
            self._pcap(source, data, seed, pcap_file, options["link"], from_us, to_us)
            return
        try:
            scenario = parse_scenario(data)
            sim = Simulation(scenario, seed)
            sim.advance_to(scenario.until_us if until_us is None else until_us)
        except LabError as exc:
            raise fail(f"{source}: {exc}") from None

        if options["json"]:
            self.stdout.write(json.dumps(summary(sim), default=_jsonable))
        else:
            self.stdout.write(report.render(sim, variant=variant_name), ending="")

    def _pcap(
        self,
        source: str,
        data: dict[str, Any],
        seed: int | None,
        file: str,
        link: str,
        from_us: int | None,
        to_us: int | None,
    ) -> None:
        start = from_us or 0
        end = start + 60 * 1_000_000 if to_us is None else to_us
        try:
            capture = export(parse_scenario(data), seed, [], link, start, end)
        except LabError as exc:
            raise fail(f"{source}: {exc}") from None
        try:
            Path(file).write_bytes(capture.pcap)
            sa_file = Path(file + ".esp_sa")
            if capture.esp_sa:
                sa_file.write_text(capture.esp_sa, encoding="utf-8")
        except OSError as exc:
            raise fail(f"{file}: cannot write: {exc.strerror or exc}") from None
        extra = f" and {sa_file}" if capture.esp_sa else ""
        self.stdout.write(f"{capture.packets} packets on {link} written to {file}{extra}")
