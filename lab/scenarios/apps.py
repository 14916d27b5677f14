from __future__ import annotations

from django.apps import AppConfig


class ScenariosConfig(AppConfig):
    name = "lab.scenarios"
    label = "scenarios"
    verbose_name = "Topologies and scenarios"
