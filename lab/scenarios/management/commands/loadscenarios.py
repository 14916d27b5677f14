"""Load (or refresh) every built-in scenario; running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from lab import specs
from lab.engine.library import BUILTIN_SLUGS, builtin_dict
from lab.scenarios.models import Scenario


class Command(BaseCommand):
    help = "Load the built-in scenarios shipped with the engine (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = updated = unchanged = 0
        for slug in BUILTIN_SLUGS:
            data = builtin_dict(slug)
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
        self.stdout.write(
            f"built-in scenarios: {created} created, {updated} updated, {unchanged} unchanged"
        )
