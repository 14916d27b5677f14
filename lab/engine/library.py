"""The built-in scenarios shipped as JSON files in `scenarios/`, one per seed rule.

Reading these package files is the engine's only file access; it never writes.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from .errors import SpecError
from .spec import Scenario, parse_scenario, variant

BUILTIN_SLUGS = (
    "default-drop",
    "preserve-both",
    "preserve-one-end",
    "non-cisco-peer",
    "enable-while-up",
    "udp-stream",
    "conn-timeout",
    "short-blip",
    "ike-lifetime-zero",
    "reclassify-vpn",
    "ra-client-mode",
    "anyconnect",
    "unsupported-platform",
    "logging-level",
    "long-haul",
    "asa9-ikev1-drop",
    "asa9-ikev2-preserve",
)


def builtin_dict(slug: str) -> dict[str, Any]:
    """The decoded JSON of a built-in scenario (a fresh copy each call)."""
    if slug not in BUILTIN_SLUGS:
        raise SpecError("slug", f"no built-in scenario {slug!r}")
    text = resources.files("lab.engine.scenarios").joinpath(f"{slug}.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


def builtin(slug: str, variant_name: str | None = None) -> Scenario:
    data = builtin_dict(slug)
    if variant_name:
        data = variant(data, variant_name)
    return parse_scenario(data)
