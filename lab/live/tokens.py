"""Run links: a control token (may act) and a watch token (may only look).

The database keeps only SHA-256 digests, so a leaked database or log gives nobody a link.
The watch token is derived from the control token, so whoever holds the control link can
always hand out the watch link without the server storing either.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

CONTROL, WATCH = "control", "watch"


def new_control_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def watch_token(control: str) -> str:
    return hmac.new(control.encode(), b"watch", hashlib.sha256).hexdigest()[:43]


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def role_of(token: str | None, *, control_digest: str, watch_digest: str) -> str | None:
    """CONTROL, WATCH, or None for a missing or wrong token (compared in constant time)."""
    if not token or len(token) > 128:
        return None
    d = digest(token)
    if hmac.compare_digest(d, control_digest):
        return CONTROL
    if hmac.compare_digest(d, watch_digest):
        return WATCH
    return None
