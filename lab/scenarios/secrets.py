"""Secrets in device configs, masked for whoever may not edit the scenario.

An imported config carries pre-shared keys and password hashes. The ASA itself prints a
pre-shared key as `*****` in `show running-config` (Cisco ASA command reference,
"tunnel-group ipsec-attributes": "the key is displayed as asterisks"); we do the same in
everything a visitor without the edit key can read or run: the JSON export and the
config a run of the scenario is frozen with. A key becomes a stand-in that is the same
for the same key (an HMAC under the server's SECRET_KEY), so two ends that agreed still
agree and a deliberate mismatch stays one; nothing of the key can be read back from it.
A password (enable, passwd, username) becomes an `encrypted` placeholder, which the lab's
CLI accepts with any answer, as it does any hashed password.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import re
from typing import Any

from django.conf import settings

MASK = "*****"
# (pattern, kind): group 1 is kept, group 2 is the secret, group 3 the rest of the line.
_SECRETS = (
    (re.compile(r"^(\s*(?:ikev1 |ikev2 \S+-authentication )?pre-shared-key )(\S+)(.*)$"), "key"),
    (re.compile(r"^(\s*(?:crypto )?isakmp key )(\S+)(.*)$"), "key"),
    (re.compile(r"^(\s*enable password )(\S+)(.*)$"), "password"),
    (re.compile(r"^(\s*passwd )(\S+)(.*)$"), "password"),
    (re.compile(r"^(\s*username \S+ password )(\S+)(.*)$"), "password"),
)
_ENCRYPTED = re.compile(r"\s+encrypted\b")


def stand_in(secret: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), secret.encode(), hashlib.sha256)
    return f"masked-{digest.hexdigest()[:8]}"


def mask_line(line: str) -> str:
    for pattern, kind in _SECRETS:
        m = pattern.match(line)
        if m is None or m.group(2) in (MASK, "*") or m.group(2).startswith("masked-"):
            continue
        if kind == "key":
            return f"{m.group(1)}{stand_in(m.group(2))}{m.group(3)}"
        rest = _ENCRYPTED.sub("", m.group(3))
        return f"{m.group(1)}{MASK} encrypted{rest}"
    return line


def has_secrets(d: dict[str, Any]) -> bool:
    return any(
        mask_line(line) != line
        for node in d.get("topology", {}).get("nodes", [])
        for line in node.get("config") or []
    )


def masked(d: dict[str, Any]) -> dict[str, Any]:
    """A copy of a scenario dict with every device config's secrets masked."""
    out = copy.deepcopy(d)
    for node in out.get("topology", {}).get("nodes", []):
        if node.get("config"):
            node["config"] = [mask_line(line) for line in node["config"]]
    return out
