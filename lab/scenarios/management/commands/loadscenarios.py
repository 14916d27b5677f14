"""Load (or refresh) every built-in scenario and built-in challenge (lab.teaching);
running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from lab import specs
from lab.engine.library import BUILTIN_SLUGS, builtin_dict
from lab.scenarios.models import Scenario
from lab.teaching.builtins import CHALLENGE_SLUGS, challenge_dict


class Command(BaseCommand):
    help = "Load the built-in scenarios shipped with the engine (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.load("built-in scenarios", BUILTIN_SLUGS, builtin_dict)
        self.load("built-in challenges", CHALLENGE_SLUGS, challenge_dict)

    def load(self, what: str, slugs: tuple[str, ...], read: Any) -> None:
        created = updated = unchanged = 0
        for slug in slugs:
            data = read(slug)
            existing = Scenario.objects.filter(slug=slug).first()
            if existing is None:
                specs.scenario_from_dict(data, origin=Scenario.BUILTIN)
                created += 1
            elif not existing.is_builtin:
                self.stderr.write(f"{slug}: a non-built-in scenario holds this slug; skipped")
            elif specs.scenario_to_dict(existing) != data:
                specs.update_scenario(existing, data)
                updated += 1
            else:
                unchanged += 1
        self.stdout.write(f"{what}: {created} created, {updated} updated, {unchanged} unchanged")
