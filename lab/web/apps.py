from __future__ import annotations

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "lab.web"
    label = "web"
    verbose_name = "VPN Flow Lab web pages"
