"""The built-in challenges and predictions, shipped as JSON files in `challenges/`.

Each file names a built-in scenario (`base`) and says how this lesson differs from it:
`set` (dotted-path overrides, as `labsim --set`), `config_lines` (per device, a config
line replaced by another, "" to drop it), `scenario` (top-level fields replaced) and the
`teaching` block. `challenge_dict` builds the full scenario file from that.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from lab.engine.errors import SpecError
from lab.engine.library import builtin_dict
from lab.engine.spec import apply_overrides

CHALLENGE_SLUGS = (
    "predict-one-end",
    "challenge-both-ends",
    "challenge-enable-live",
    "challenge-udp",
    "challenge-logging",
    "challenge-ike-lifetime",
    "challenge-non-cisco",
    "challenge-pix",
)


def _replace_lines(d: dict[str, Any], changes: dict[str, dict[str, str]]) -> None:
    nodes = {n["id"]: n for n in d["topology"]["nodes"]}
    for device, lines in changes.items():
        config = nodes[device]["config"]
        for old, new in lines.items():
            if old not in config:
                raise SpecError(f"config_lines.{device}", f"no line {old!r} to replace")
            config[:] = [new if line == old else line for line in config if new or line != old]


def challenge_dict(slug: str) -> dict[str, Any]:
    """The full scenario file of a built-in challenge (a fresh copy each call)."""
    if slug not in CHALLENGE_SLUGS:
        raise SpecError("slug", f"no built-in challenge {slug!r}")
    text = resources.files("lab.teaching.challenges").joinpath(f"{slug}.json").read_text()
    lesson = json.loads(text)
    d = apply_overrides(builtin_dict(lesson["base"]), lesson.get("set", {}))
    _replace_lines(d, lesson.get("config_lines", {}))
    d.update(lesson.get("scenario", {}))
    d["slug"] = slug
    d["variants"] = {}
    d["teaching"] = lesson["teaching"]
    d.pop("variants")
    return d
