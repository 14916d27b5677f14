"""`manage.py labimport BO_CONFIG HO_CONFIG [--json]`: derive a lab from two ASA configs.

Reads the two running configs (files, as `show running-config` prints them), derives the
scenario the import page would create (lab.scenarios.derive, with the `default-drop`
built-in as the template for links and the download) and prints the derived topology,
then every warning and error with its line number. With `--json` it prints the scenario
file instead. Errors (or an unreadable file) exit with status 2.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from lab.engine.library import builtin_dict
from lab.scenarios.derive import Derivation, derive_scenario
from lab.web.management.commands.labsim import EXIT_BAD_INPUT

TEMPLATE = "default-drop"


def fail(message: str) -> CommandError:
    return CommandError(f"labimport: {message}", returncode=EXIT_BAD_INPUT)


def read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise fail(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"{path}: cannot read the file: {exc}") from None


def slug_for(bo: str, ho: str) -> str:
    stem = f"{Path(bo).stem}-{Path(ho).stem}".lower()
    cleaned = "".join(c if c.isalnum() else "-" for c in stem).strip("-")
    return f"imported-{cleaned}"[:50] or "imported"


def describe(result: Derivation, files: dict[str, str]) -> list[str]:
    lines: list[str] = []
    if result.scenario is not None:
        topo = result.scenario["topology"]
        lines.append(f"Scenario: {result.scenario['title']}")
        for node in topo["nodes"]:
            where = node.get("address") or node.get("label", "")
            lines.append(f"  node {node['id']:<10} {node['kind']:<7} {where}")
        for link in topo["links"]:
            lines.append(f"  link {link['id']:<10} {link['a']} <-> {link['b']}")
        for tunnel in topo["tunnels"]:
            lines.append(
                f"  tunnel {tunnel['id']:<8} {tunnel['a']} <-> {tunnel['b']} ({tunnel['kind']})"
            )
    for kind, table in (("warning", result.warnings), ("error", result.errors)):
        for side, items in table.items():
            for number, text in items:
                at = f"{files[side]}:{number}" if number is not None else files[side]
                lines.append(f"{at}: {kind}: {text}")
    return lines


class Command(BaseCommand):
    help = "Derive a lab scenario from the running configs of the BO and HO ASAs."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("bo", metavar="BO_CONFIG", help="branch-office ASA running config")
        parser.add_argument("ho", metavar="HO_CONFIG", help="head-office ASA running config")
        parser.add_argument("--json", action="store_true", help="print the scenario file")

    def handle(self, *args: Any, **options: Any) -> None:
        files = {"bo": options["bo"], "ho": options["ho"]}
        texts = {side: read(path) for side, path in files.items()}
        result = derive_scenario(
            texts["bo"],
            texts["ho"],
            slug=slug_for(files["bo"], files["ho"]),
            template=builtin_dict(TEMPLATE),
        )
        if options["json"] and result.ok:
            self.stdout.write(json.dumps(result.scenario, indent=2))
        else:
            for line in describe(result, files):
                self.stdout.write(line)
        if not result.ok:
            raise CommandError(
                f"labimport: {sum(len(e) for e in result.errors.values())} error(s)",
                returncode=EXIT_BAD_INPUT,
            )
