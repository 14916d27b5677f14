"""Plain scenario specs: what a scenario file holds, validated with field-path errors.

A scenario file is JSON (documented in docs/scenario-format.md). `parse_scenario` turns
the decoded dict into frozen dataclasses, raising `SpecError` whose `path` names the bad
field (`topology.links[2].rate_bps`). Everything downstream trusts these objects.
"""

from __future__ import annotations

import copy
import dataclasses
import ipaddress
import json
import math
from dataclasses import dataclass, field
from typing import Any

from .errors import SpecError
from .units import S, seconds

FORMAT_VERSION = 1

# --- admission limits: what one run of this lab can play ------------------------------
# Lab choices [U] (README "Hardening"): generous for teaching, far inside what the
# databases store (SQLite/PostgreSQL bigint < 2^63; times are kept in µs) and what a
# browser's JSON reads exactly (2^53).
MAX_INT = 2**53
MAX_DEPTH = 32  # nesting of any JSON value in a scenario (teaching, expect, variants)
MAX_TIME_S = 30 * 86_400  # every time in a scenario: 30 simulated days
LINK_RATE_MAX_BPS = 10_000_000_000  # 10 Gbit/s
LINK_DELAY_MAX_US = 60 * S  # one way; the delay_ms command allows the same
LINK_BUFFER_MAX_BYTES = 64 * 1024 * 1024
FLOW_SIZE_MAX_BYTES = 10**13  # 10 TB: a download of days at 10 Gbit/s
TCP_RETRIES2_MAX = 255  # Linux accepts 0..255 (ip-sysctl.rst); the lab needs at least 1
SEED_MAX = 2**63 - 1
MAX_ITEMS = {"sites": 20, "nodes": 100, "links": 200, "tunnels": 50, "flows": 100}
MAX_EVENTS = 200  # scripted events; the editor's row limit too

NODE_KINDS = ("client", "server", "asa", "router", "gateway", "ra-client")
GATEWAY_KINDS = ("asa", "gateway", "ra-client")
PLATFORMS = ("asa", "pix", "vpn3000", "ios", "other")
TUNNEL_KINDS = ("l2l", "nem", "client", "anyconnect")
TCP_PROFILES = ("linux", "windows")
DEFAULT_START_CLOCK = "2009-06-15T09:00:00"  # simulated time 0 (ASA `logging timestamp`)
DEFAULT_VERSION = {
    "asa": "8.2(1)",
    "pix": "6.0(1)",
    "vpn3000": "4.7",
    "ios": "12.4(24)T",
    "other": "",
}


@dataclass(frozen=True)
class Site:
    id: str
    name: str


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    site: str
    label: str = ""
    address: str = ""  # hosts: their address; gateways without a config: outside address
    inside_address: str = ""  # gateways without a config: inside address
    platform: str = ""
    version: str = ""
    config: str = ""  # ASA/PIX running config text
    tcp_profile: str = "linux"
    tcp_retries2: int = 15


@dataclass(frozen=True)
class Link:
    id: str
    a: str  # node id, or "node:nameif" for a gateway interface
    b: str
    rate_bps: int = 100_000_000
    delay_us: int = 1_000
    buffer_bytes: int = 65_536
    loss: float = 0.0

    @property
    def a_node(self) -> str:
        return self.a.split(":", 1)[0]

    @property
    def b_node(self) -> str:
        return self.b.split(":", 1)[0]


@dataclass(frozen=True)
class Tunnel:
    id: str
    a: str  # initiating gateway (the BO side by convention)
    b: str
    kind: str = "l2l"
    user: str = "student"  # remote access: who logged in ([U] default)


@dataclass(frozen=True)
class Flow:
    id: str
    proto: str  # "tcp" | "udp"
    client: str
    server: str
    server_port: int = 80
    client_port: int = 1135
    size_bytes: int = 0  # tcp: file size downloaded from server to client
    rate_bps: int = 0  # udp: constant stream rate from client to server
    start_us: int = 0
    stop_us: int | None = None  # udp: stream end


@dataclass(frozen=True)
class Event:
    at_us: int
    action: dict[str, Any]  # a command in its dict form (see commands.py)


@dataclass(frozen=True)
class Topology:
    sites: tuple[Site, ...]
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]
    tunnels: tuple[Tunnel, ...]

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)


@dataclass(frozen=True)
class Scenario:
    slug: str
    title: str
    topology: Topology
    flows: tuple[Flow, ...]
    events: tuple[Event, ...] = ()
    until_us: int = 3_600_000_000
    seed: int = 1
    teaches: str = ""
    rule: str = ""
    topic: str = ""
    difficulty: str = "beginner"
    instructions: str = ""
    explanation: str = ""
    start_clock: str = DEFAULT_START_CLOCK
    expect: dict[str, Any] = field(default_factory=dict)
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


# --- small typed readers that name the field on failure -------------------------------


def _get(
    d: dict[str, Any], key: str, path: str, kind: type | tuple[type, ...], default: Any = ...
) -> Any:
    if key not in d:
        if default is ...:
            raise SpecError(f"{path}.{key}" if path else key, "is required")
        return default
    value = d[key]
    where = f"{path}.{key}" if path else key
    if kind is int and isinstance(value, bool):
        raise SpecError(where, f"must be an integer, got {value!r}")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
        raise SpecError(where, f"is too large: at most {MAX_INT} (2^53)")
    if isinstance(value, float) and not math.isfinite(value):
        raise SpecError(where, f"must be a finite number, got {value!r}")
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise SpecError(where, f"must be {names}, got {type(value).__name__} {value!r}")
    return value


def _choice(value: str, choices: tuple[str, ...], where: str) -> str:
    if value not in choices:
        raise SpecError(where, f"must be one of {', '.join(choices)}; got {value!r}")
    return value


def _ident(d: dict[str, Any], path: str) -> str:
    value: str = _get(d, "id", path, str)
    if not value or any(c.isspace() or c in ":/" for c in value):
        raise SpecError(
            f"{path}.id", f"must be a non-empty name without spaces, ':' or '/'; got {value!r}"
        )
    return value


def _positive(value: int, where: str, minimum: int = 1, maximum: int = MAX_INT) -> int:
    if value < minimum:
        raise SpecError(where, f"must be at least {minimum}, got {value}")
    if value > maximum:
        raise SpecError(where, f"must be at most {maximum}, got {value}")
    return value


def _address(value: str, where: str) -> str:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        raise SpecError(where, f"must be an IPv4 address, got {value!r}") from None
    return value


def _secs(
    d: dict[str, Any], key: str, path: str, default: Any = ..., *, optional: bool = False
) -> int | None:
    """A time in seconds as µs: finite, 0..MAX_TIME_S; null only where `optional`."""
    where = f"{path}.{key}" if path else key
    value = _get(d, key, path, (int, float, type(None)), default)
    if value is None:
        if optional:
            return None
        raise SpecError(where, "must be a number of seconds, got null")
    if not 0 <= value <= MAX_TIME_S:
        raise SpecError(where, f"must be between 0 and {MAX_TIME_S} s (30 days), got {value}")
    return seconds(value)


def check_json(value: Any, where: str = "", depth: int = 0) -> None:
    """Every number finite and at most 2^53, nesting at most MAX_DEPTH, keys text.

    Runs over the whole decoded file first, so free-form parts (expect, variants,
    teaching) cannot smuggle NaN, 5,000-digit integers or deep nesting to the database.
    """
    if depth > MAX_DEPTH:
        raise SpecError(where, f"is nested too deeply (at most {MAX_DEPTH} levels)")
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        if abs(value) > MAX_INT:
            raise SpecError(where, f"is too large: at most {MAX_INT} (2^53)")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise SpecError(where, f"must be a finite number, got {value!r}")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise SpecError(where, f"keys must be text, got {key!r}")
            check_json(item, f"{where}.{key}" if where else key, depth + 1)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            check_json(item, f"{where}[{i}]", depth + 1)
    else:
        raise SpecError(where, f"is not a JSON value ({type(value).__name__})")


def _parse_node(d: Any, path: str, sites: set[str]) -> Node:
    if not isinstance(d, dict):
        raise SpecError(path, "must be an object")
    node_id = _ident(d, path)
    kind = _choice(_get(d, "kind", path, str), NODE_KINDS, f"{path}.kind")
    site = _get(d, "site", path, str)
    if site not in sites:
        raise SpecError(f"{path}.site", f"names no site of topology.sites: {site!r}")
    platform = ""
    version = ""
    if kind in GATEWAY_KINDS:
        default_platform = "asa" if kind in ("asa", "ra-client") else "other"
        platform = _choice(
            _get(d, "platform", path, str, default_platform), PLATFORMS, f"{path}.platform"
        )
        version = _get(d, "version", path, str, DEFAULT_VERSION[platform])
    config = _get(d, "config", path, (str, list), "")
    if isinstance(config, list):
        if not all(isinstance(line, str) for line in config):
            raise SpecError(f"{path}.config", "must be text or a list of lines")
        config = "\n".join(config)
    address = _get(d, "address", path, str, "")
    if address:
        _address(address, f"{path}.address")
    inside = _get(d, "inside_address", path, str, "")
    if inside:
        _address(inside, f"{path}.inside_address")
    if kind in ("client", "server") and not address:
        raise SpecError(f"{path}.address", "is required for a client or server")
    if platform in ("asa", "pix") and not config:
        raise SpecError(f"{path}.config", f"an {platform.upper()} needs its running config")
    if platform not in ("", "asa", "pix") and not (address and inside):
        raise SpecError(
            f"{path}.address", "a gateway without a config needs address and inside_address"
        )
    profile = _choice(
        _get(d, "tcp_profile", path, str, "linux"), TCP_PROFILES, f"{path}.tcp_profile"
    )
    retries2 = _get(d, "tcp_retries2", path, int, 15)
    _positive(retries2, f"{path}.tcp_retries2", 1, TCP_RETRIES2_MAX)
    return Node(
        id=node_id,
        kind=kind,
        site=site,
        label=_get(d, "label", path, str, ""),
        address=address,
        inside_address=inside,
        platform=platform,
        version=version,
        config=config,
        tcp_profile=profile,
        tcp_retries2=retries2,
    )


def _parse_link(d: Any, path: str, nodes: dict[str, Node]) -> Link:
    if not isinstance(d, dict):
        raise SpecError(path, "must be an object")
    ends = []
    for key in ("a", "b"):
        end = _get(d, key, path, str)
        node_id = end.split(":", 1)[0]
        if node_id not in nodes:
            raise SpecError(f"{path}.{key}", f"names no node: {node_id!r}")
        if ":" in end and nodes[node_id].kind not in GATEWAY_KINDS + ("router",):
            raise SpecError(f"{path}.{key}", f"only gateways have named interfaces: {end!r}")
        ends.append(end)
    if ends[0].split(":")[0] == ends[1].split(":")[0]:
        raise SpecError(path, "a link must join two different nodes")
    loss = _get(d, "loss", path, float, 0.0)
    if not 0.0 <= loss < 1.0:
        raise SpecError(f"{path}.loss", f"must be in [0, 1), got {loss}")
    return Link(
        id=_ident(d, path),
        a=ends[0],
        b=ends[1],
        rate_bps=_positive(
            _get(d, "rate_bps", path, int, 100_000_000),
            f"{path}.rate_bps",
            8_000,
            LINK_RATE_MAX_BPS,
        ),
        delay_us=_positive(
            _get(d, "delay_us", path, int, 1_000), f"{path}.delay_us", 0, LINK_DELAY_MAX_US
        ),
        buffer_bytes=_positive(
            _get(d, "buffer_bytes", path, int, 65_536),
            f"{path}.buffer_bytes",
            1_500,
            LINK_BUFFER_MAX_BYTES,
        ),
        loss=loss,
    )


def _parse_flow(d: Any, path: str, nodes: dict[str, Node]) -> Flow:
    if not isinstance(d, dict):
        raise SpecError(path, "must be an object")
    proto = _choice(_get(d, "proto", path, str), ("tcp", "udp"), f"{path}.proto")
    ends = {}
    for key in ("client", "server"):
        node_id = _get(d, key, path, str)
        if node_id not in nodes:
            raise SpecError(f"{path}.{key}", f"names no node: {node_id!r}")
        if nodes[node_id].kind not in ("client", "server"):
            raise SpecError(
                f"{path}.{key}",
                f"must be a client or server node, {node_id!r} is {nodes[node_id].kind}",
            )
        ends[key] = node_id
    size = _get(d, "size_bytes", path, int, 0)
    rate = _get(d, "rate_bps", path, int, 0)
    if proto == "tcp":
        _positive(size, f"{path}.size_bytes", 1, FLOW_SIZE_MAX_BYTES)
    else:
        _positive(rate, f"{path}.rate_bps", 8_000, LINK_RATE_MAX_BPS)
    ports = {}
    for key, default in (("server_port", 80), ("client_port", 1135)):
        ports[key] = _get(d, key, path, int, default)
        if not 1 <= ports[key] <= 65535:
            raise SpecError(f"{path}.{key}", f"must be a port 1..65535, got {ports[key]}")
    start = _secs(d, "start_s", path, 0)
    stop = _secs(d, "stop_s", path, None, optional=True)
    assert start is not None
    if stop is not None and stop <= start:
        raise SpecError(f"{path}.stop_s", "must be after start_s")
    return Flow(
        id=_ident(d, path),
        proto=proto,
        client=ends["client"],
        server=ends["server"],
        server_port=ports["server_port"],
        client_port=ports["client_port"],
        size_bytes=size,
        rate_bps=rate,
        start_us=start,
        stop_us=stop,
    )


def _unique(items: list[Any], path: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.id in seen:
            raise SpecError(f"{path}[{i}].id", f"duplicate id {item.id!r}")
        seen.add(item.id)


def _list(d: dict[str, Any], key: str, path: str, default: Any = ...) -> list[Any]:
    value: list[Any] = _get(d, key, path, list, default)
    limit = MAX_EVENTS if key == "events" else MAX_ITEMS.get(key)
    if limit is not None and len(value) > limit:
        where = f"{path}.{key}" if path else key
        raise SpecError(where, f"has {len(value)} items; a scenario may have at most {limit}")
    return value


def parse_topology(d: Any, path: str = "topology") -> Topology:
    if not isinstance(d, dict):
        raise SpecError(path, "must be an object")
    sites = []
    for i, s in enumerate(_list(d, "sites", path)):
        if not isinstance(s, dict):
            raise SpecError(f"{path}.sites[{i}]", "must be an object")
        site_id = _ident(s, f"{path}.sites[{i}]")
        sites.append(Site(site_id, _get(s, "name", f"{path}.sites[{i}]", str, site_id)))
    _unique(sites, f"{path}.sites")
    site_ids = {s.id for s in sites}
    nodes = [
        _parse_node(n, f"{path}.nodes[{i}]", site_ids)
        for i, n in enumerate(_list(d, "nodes", path))
    ]
    _unique(nodes, f"{path}.nodes")
    by_id = {n.id: n for n in nodes}
    links = [
        _parse_link(x, f"{path}.links[{i}]", by_id) for i, x in enumerate(_list(d, "links", path))
    ]
    _unique(links, f"{path}.links")
    tunnels = []
    for i, t in enumerate(_list(d, "tunnels", path, [])):
        where = f"{path}.tunnels[{i}]"
        if not isinstance(t, dict):
            raise SpecError(where, "must be an object")
        ends = []
        for key in ("a", "b"):
            node_id = _get(t, key, where, str)
            if node_id not in by_id:
                raise SpecError(f"{where}.{key}", f"names no node: {node_id!r}")
            if by_id[node_id].kind not in GATEWAY_KINDS:
                raise SpecError(
                    f"{where}.{key}", f"{node_id!r} is a {by_id[node_id].kind}, not a VPN gateway"
                )
            ends.append(node_id)
        kind = _choice(_get(t, "kind", where, str, "l2l"), TUNNEL_KINDS, f"{where}.kind")
        user = _get(t, "user", where, str, "student")
        tunnels.append(Tunnel(_ident(t, where), ends[0], ends[1], kind, user))
    _unique(tunnels, f"{path}.tunnels")
    return Topology(tuple(sites), tuple(nodes), tuple(links), tuple(tunnels))


def parse_scenario(d: Any) -> Scenario:
    """Validate a decoded scenario file; raise SpecError naming the first bad field."""
    if not isinstance(d, dict):
        raise SpecError("", "a scenario must be a JSON object")
    check_json(d)
    fmt = _get(d, "format", "", int, FORMAT_VERSION)
    if fmt != FORMAT_VERSION:
        raise SpecError(
            "format", f"unsupported format {fmt}; this lab reads format {FORMAT_VERSION}"
        )
    topology = parse_topology(_get(d, "topology", "", dict))
    nodes = {n.id: n for n in topology.nodes}
    flows = [_parse_flow(f, f"flows[{i}]", nodes) for i, f in enumerate(_list(d, "flows", "", []))]
    _unique(flows, "flows")
    events = []
    for i, e in enumerate(_list(d, "events", "", [])):
        where = f"events[{i}]"
        if not isinstance(e, dict):
            raise SpecError(where, "must be an object")
        at = _secs(e, "at_s", where)
        assert at is not None
        action = {k: v for k, v in e.items() if k != "at_s"}
        if "do" not in action:
            raise SpecError(f"{where}.do", "is required")
        if not isinstance(action["do"], str):
            raise SpecError(f"{where}.do", f"must be a command name, got {action['do']!r}")
        if "for_s" in action:
            _secs(action, "for_s", where, optional=True)
        events.append(Event(at, action))
    until = _secs(d, "until_s", "", 3600)
    assert until is not None
    variants = _get(d, "variants", "", dict, {})
    for name, v in variants.items():
        if not isinstance(v, dict):
            raise SpecError(f"variants.{name}", "must be an object")
    slug = _get(d, "slug", "", str)
    if not slug or not all(c.isalnum() or c == "-" for c in slug):
        raise SpecError("slug", f"must be lowercase letters, digits and '-', got {slug!r}")
    return Scenario(
        slug=slug,
        title=_get(d, "title", "", str),
        topology=topology,
        flows=tuple(flows),
        events=tuple(sorted(events, key=lambda e: e.at_us)),
        until_us=_positive(until, "until_s"),
        seed=_positive(_get(d, "seed", "", int, 1), "seed", 0, SEED_MAX),
        teaches=_get(d, "teaches", "", str, ""),
        rule=_get(d, "rule", "", str, ""),
        topic=_get(d, "topic", "", str, ""),
        difficulty=_get(d, "difficulty", "", str, "beginner"),
        instructions=_get(d, "instructions", "", str, ""),
        explanation=_get(d, "explanation", "", str, ""),
        start_clock=_get(d, "start_clock", "", str, DEFAULT_START_CLOCK),
        expect=_get(d, "expect", "", dict, {}),
        variants=variants,
        raw=d,
    )


# --- overrides: `--set flows.download.size_bytes=1000` -------------------------------


def _step(container: Any, key: str, path: str) -> tuple[Any, Any]:
    """Resolve one dotted-path step: dict key, list index, or list item by its id."""
    if isinstance(container, dict):
        return container, key
    if isinstance(container, list):
        if key.isdigit() and int(key) < len(container):
            return container, int(key)
        for i, item in enumerate(container):
            if isinstance(item, dict) and item.get("id") == key:
                return container, i
        raise SpecError(path, f"no item with index or id {key!r}")
    raise SpecError(path, "cannot descend into a value")


# Every key the format reads (docs/scenario-format.md); an override naming another key is a
# typo, refused rather than silently ignored. `expect` and `variants` hold free-form data.
KNOWN_KEYS = frozenset(
    {f.name for cls in (Site, Node, Link, Tunnel, Flow) for f in dataclasses.fields(cls)}
    | {"format", "slug", "title", "teaches", "rule", "topic", "difficulty", "instructions"}
    | {"explanation", "seed", "until_s", "start_clock", "topology", "flows", "events", "expect"}
    | {"variants", "sites", "nodes", "links", "tunnels", "start_s", "stop_s", "at_s", "do"}
    | {"option", "enabled", "device", "peer", "lines", "flow", "link", "for_s", "delay_ms"}
)


def apply_overrides(d: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of a scenario dict with dotted-path fields replaced."""
    out = copy.deepcopy(d)
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        node: Any = out
        for depth, part in enumerate(parts):
            where = ".".join(parts[: depth + 1])
            container, key = _step(node, part, where)
            free_form = parts[0] in ("expect", "variants")
            if (
                isinstance(container, dict)
                and key not in container
                and not free_form
                and key not in KNOWN_KEYS
            ):
                raise SpecError(where, "no such field in the scenario format")
            if depth == len(parts) - 1:
                container[key] = value
            else:
                if isinstance(container, dict) and key not in container:
                    raise SpecError(where, "no such field")
                node = container[key]
    return out


def parse_assignment(text: str) -> tuple[str, Any]:
    """Split `PATH=VALUE`; VALUE is JSON when it parses, else a plain string."""
    if "=" not in text:
        raise SpecError(text, "expected PATH=VALUE")
    path, raw = text.split("=", 1)
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return path.strip(), value


def variant(d: dict[str, Any], name: str) -> dict[str, Any]:
    """The scenario dict of one named variant: overrides and extra events applied."""
    variants = d.get("variants", {})
    if name not in variants:
        raise SpecError("variants", f"no variant {name!r}; have {', '.join(variants) or 'none'}")
    v = variants[name]
    if (
        not isinstance(v, dict)
        or not isinstance(v.get("set", {}), dict)
        or not isinstance(v.get("add_events", []), list)
    ):
        raise SpecError(
            f"variants.{name}", "must be an object with set (object) and add_events (list)"
        )
    out = apply_overrides(d, v.get("set", {}))
    out["events"] = list(out.get("events", [])) + list(v.get("add_events", []))
    if "expect" in v:
        out["expect"] = v["expect"]
    out["variants"] = {}
    return out
