"""The websocket message schema: what a browser may ask a run to do.

A message is a JSON object `{"action": NAME, ...fields}` (htmx's ws-send adds a HEADERS
object, which is ignored). Form fields arrive as strings, so values are coerced here, and
every failure names the field. The result is the action dict the run log stores.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from asgiref.sync import sync_to_async

from lab.engine.commands import SYSOPT_OPTIONS
from lab.live.models import SPEEDS

MESSAGE_MAX_BYTES = 4096
NAME_MAX = 64
LINE_MAX = 512
FOR_S_MAX = 7 * 86400


class SchemaError(ValueError):
    pass


def _name(v: Any, field: str) -> str:
    if not isinstance(v, str) or not v or len(v) > NAME_MAX:
        raise SchemaError(f"{field}: expected a name of 1 to {NAME_MAX} characters")
    return v


def _line(v: Any, field: str) -> str:
    if not isinstance(v, str) or len(v) > LINE_MAX or any(c < " " and c != "\t" for c in v):
        raise SchemaError(
            f"{field}: expected one line of at most {LINE_MAX} characters, "
            "without control characters"
        )
    return v


def _seconds(v: Any, field: str) -> float | None:
    if v is None or v == "":
        return None
    try:
        s = float(v)
    except (TypeError, ValueError):
        raise SchemaError(f"{field}: expected a number of seconds") from None
    if not 0 < s <= FOR_S_MAX:
        raise SchemaError(f"{field}: must be above 0 and at most {FOR_S_MAX} s")
    return s


def _millis(v: Any, field: str) -> float:
    try:
        ms = float(v)
    except (TypeError, ValueError):
        raise SchemaError(f"{field}: expected a number of milliseconds") from None
    if not 0 <= ms <= 60_000:
        raise SchemaError(f"{field}: must be between 0 and 60000 ms")
    return ms


def _flag(v: Any, field: str) -> bool:
    if isinstance(v, bool):
        return v
    if v in ("on", "true", "1", 1, "yes"):
        return True
    if v in ("off", "false", "0", 0, "no", "", None):
        return False
    raise SchemaError(f"{field}: expected true or false")


def _peer(v: Any, field: str) -> str | None:
    if v in (None, ""):
        return None
    try:
        return str(ipaddress.IPv4Address(v))
    except (ValueError, TypeError):
        raise SchemaError(f"{field}: expected an IPv4 address") from None


def _choice(options: tuple[str, ...]) -> Any:
    def check(v: Any, field: str) -> str:
        if v not in options:
            raise SchemaError(f"{field}: expected one of {', '.join(options)}")
        return str(v)

    return check


# action -> field -> (coercer, required). Unknown fields are refused.
SCHEMA: dict[str, dict[str, tuple[Any, bool]]] = {
    "cut": {"link": (_name, True), "for_s": (_seconds, False)},
    "restore": {"link": (_name, True)},
    "link_delay": {"link": (_name, True), "delay_ms": (_millis, True), "for_s": (_seconds, False)},
    "set_sysopt": {
        "device": (_name, True),
        "option": (_choice(SYSOPT_OPTIONS), True),
        "enabled": (_flag, False),  # an unticked checkbox sends nothing
    },
    "clear_ipsec_sa": {"device": (_name, True), "peer": (_peer, False)},
    "clear_isakmp_sa": {"device": (_name, True)},
    "restart_flow": {"flow": (_name, True)},
    "start_flow": {"flow": (_name, True)},
    "type": {"device": (_name, True), "line": (_line, True)},
    "speed": {"speed": (_choice(tuple(SPEEDS)), True)},
    "step": {},
    "reset": {},
}


def _shown(v: Any) -> str:
    """A hostile value quoted back in an error, cut short."""
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def parse(msg: Any) -> dict[str, Any]:
    """The action dict for a decoded message; SchemaError says what is wrong."""
    if not isinstance(msg, dict):
        raise SchemaError("a message must be a JSON object")
    name = msg.get("action")
    if not isinstance(name, str) or name not in SCHEMA:
        raise SchemaError(f"unknown action {_shown(name)}; known: {', '.join(SCHEMA)}")
    fields = SCHEMA[name]
    out: dict[str, Any] = {"do": name}
    for key in msg:
        if key not in fields and key not in ("action", "HEADERS"):
            raise SchemaError(f"{name}: unknown field {_shown(key)}")
    for key, (coerce, required) in fields.items():
        if key not in msg:
            if required:
                raise SchemaError(f"{name}: missing field {key!r}")
            if coerce is _flag:
                out[key] = False
            continue
        value = coerce(msg[key], f"{name}.{key}")
        if value is not None:
            out[key] = value
    return out


async def refused(run_id: str, action: dict[str, Any]) -> str | None:
    """Why a valid action may not be taken on this run now (the prediction gate of
    lab.teaching.gate); None: forward it to the run's owner."""
    from lab.teaching.gate import plays, refusal

    if not plays(action):
        return None  # no database query for the actions that cannot play the run
    return await sync_to_async(refusal)(run_id, action)
