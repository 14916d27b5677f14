"""The only bridge between the Django models and the engine's plain specs.

A scenario travels as the dict of docs/scenario-format.md: `scenario_to_dict` writes it
from rows, `scenario_from_dict` validates it with the engine's `parse_scenario` and saves
it atomically, `update_scenario` replaces a scenario's contents in place. Optional fields
are written only when they differ from the format's default, so a built-in JSON file read
in and written out again gives back the same dict.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.db import transaction

from lab.engine import admission
from lab.engine import spec as engine_spec
from lab.engine import topology as engine_topology_module
from lab.engine.commands import command_from_dict
from lab.engine.errors import CommandError, SpecError
from lab.engine.sim import Simulation
from lab.teaching.spec import parse_teaching

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from lab.scenarios.models import Scenario, Topology

_COLLECTIONS = {"sites": "site", "nodes": "node", "links": "link", "tunnels": "tunnel"}
_ITEM_PATH = re.compile(r"^(?:topology\.)?(sites|nodes|links|tunnels|flows|events)\[(\d+)\]")


# --- models -> dict ---------------------------------------------------------------------


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def topology_to_dict(topology: Topology) -> dict[str, Any]:
    """The `topology` object of a scenario file, from the rows of a Topology."""
    nodes = []
    for n in topology.nodes.select_related("site").order_by("position"):
        d: dict[str, Any] = {"id": n.key, "kind": n.kind, "site": n.site.key}
        if n.label:
            d["label"] = n.label
        if n.kind in engine_spec.GATEWAY_KINDS and n.platform:
            d["platform"] = n.platform
        if n.version:
            d["version"] = n.version
        if n.config:
            d["config"] = n.config.split("\n")
        if n.address:
            d["address"] = n.address
        if n.inside_address:
            d["inside_address"] = n.inside_address
        if n.tcp_profile != "linux":
            d["tcp_profile"] = n.tcp_profile
        if n.tcp_retries2 != 15:
            d["tcp_retries2"] = n.tcp_retries2
        nodes.append(d)
    links = []
    for x in topology.links.order_by("position"):
        link: dict[str, Any] = {
            "id": x.key,
            "a": x.a,
            "b": x.b,
            "rate_bps": x.rate_bps,
            "delay_us": x.delay_us,
            "buffer_bytes": x.buffer_bytes,
        }
        if x.loss:
            link["loss"] = x.loss
        links.append(link)
    return {
        "sites": [{"id": s.key, "name": s.name} for s in topology.sites.order_by("position")],
        "nodes": nodes,
        "links": links,
        "tunnels": [
            {"id": t.key, "a": t.a, "b": t.b, "kind": t.kind}
            for t in topology.tunnels.order_by("position")
        ],
    }


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """The scenario file (format 1) of a scenario; `parse_scenario` accepts it."""
    d: dict[str, Any] = {
        "format": engine_spec.FORMAT_VERSION,
        "slug": scenario.slug,
        "title": scenario.title,
        "topic": scenario.topic,
        "difficulty": scenario.difficulty,
        "teaches": scenario.teaches,
        "rule": scenario.rule,
        "instructions": scenario.instructions,
        "explanation": scenario.explanation,
        "seed": scenario.seed,
    }
    if scenario.start_clock != scenario.DEFAULT_START_CLOCK:
        d["start_clock"] = scenario.start_clock
    d["topology"] = topology_to_dict(scenario.topology)
    d["flows"] = scenario.flows
    d["events"] = scenario.events
    d["until_s"] = _number(scenario.until_s)
    d["expect"] = scenario.expect
    if scenario.variants:
        d["variants"] = scenario.variants
    if scenario.teaching:
        d["teaching"] = scenario.teaching
    return d


def engine_topology(topology: Topology) -> engine_spec.Topology:
    return engine_spec.parse_topology(topology_to_dict(topology))


def topology_graph(topology: Topology) -> Any:
    """The networkx graph of a Topology, built by the engine's own `to_graph`."""
    return engine_topology_module.to_graph(engine_topology(topology))


def engine_scenario(scenario: Scenario) -> engine_spec.Scenario:
    """The engine's validated Scenario spec for a stored scenario."""
    return engine_spec.parse_scenario(scenario_to_dict(scenario))


# --- errors that name what is at fault --------------------------------------------------


def describe_error(error: SpecError, d: dict[str, Any]) -> str:
    """A SpecError as a sentence naming the node, link, flow or event at fault."""
    subject = error_subject(error.path, d)
    return f"{subject}: {error}" if subject else str(error)


def error_subject(path: str, d: dict[str, Any]) -> str:
    """`node 'bo-asa'` for `topology.nodes[1].config`; "" when the path names no item."""
    if path.startswith("links.") and "[" not in path:  # to_graph's own paths
        return f"link '{path.split('.', 1)[1]}'"
    match = _ITEM_PATH.match(path)
    if not match:
        return ""
    collection, index = match.group(1), int(match.group(2))
    holder = d.get("topology", {}) if collection in _COLLECTIONS else d
    try:
        item = holder[collection][index]
    except (KeyError, IndexError, TypeError):
        return ""
    if collection == "events":
        at = item.get("at_s", "?") if isinstance(item, dict) else "?"
        return f"event {index + 1} (at {at} s)"
    noun = _COLLECTIONS.get(collection, "flow")
    ident = item.get("id") if isinstance(item, dict) else None
    return f"{noun} '{ident}'" if ident else f"{noun} {index + 1}"


def topology_problem(topology: Topology) -> str:
    """Why the engine refuses this topology, naming the row at fault; "" when it is fine."""
    d = topology_to_dict(topology)
    try:
        engine_topology_module.to_graph(engine_spec.parse_topology(d))
    except SpecError as exc:
        return describe_error(exc, {"topology": d})
    return ""


def validate(d: Any) -> engine_spec.Scenario:
    """Parse a scenario dict the way the engine will; raise SpecError on the first fault.

    The `teaching` block (question, challenge) is checked by `lab.teaching.spec`.
    Beyond the file's shape this builds the simulation (each ASA's config must load, every
    flow and tunnel needs a path) and checks each scripted event as a command against it
    (a known `do`, its fields, an existing link, device or flow), so a saved scenario always
    starts. Events are checked in the file's order; the error path is `events[i]`.
    Last, admission (lab.engine.admission) refuses what a run cannot play: too many
    rekeys a second, too many engine events a second, or an engine failure in the first
    simulated minutes, so a scenario that validates runs.
    """
    parsed = engine_spec.parse_scenario(d)
    parse_teaching(d.get("teaching"), d)
    engine_topology_module.to_graph(parsed.topology)
    sim = Simulation(parsed, parsed.seed)
    for i, event in enumerate(d.get("events", [])):
        action = {k: v for k, v in event.items() if k != "at_s"}
        try:
            command_from_dict(action).validate(sim)
        except CommandError as exc:
            raise SpecError(f"events[{i}]", str(exc)) from None
    admission.check_rekeys(sim)
    admission.probe(sim)
    return parsed


# --- dict -> models ---------------------------------------------------------------------


def _save_topology_rows(topology: Topology, spec: engine_spec.Topology) -> None:
    from lab.scenarios.models import Link, Node, Site, TunnelDef

    sites = {}
    for i, s in enumerate(spec.sites):
        sites[s.id] = Site.objects.create(topology=topology, position=i, key=s.id, name=s.name)
    for i, n in enumerate(spec.nodes):
        Node.objects.create(
            topology=topology,
            position=i,
            key=n.id,
            kind=n.kind,
            site=sites[n.site],
            label=n.label,
            platform=n.platform,
            version=n.version,
            config="\n".join(n.config.splitlines()),
            address=n.address,
            inside_address=n.inside_address,
            tcp_profile=n.tcp_profile,
            tcp_retries2=n.tcp_retries2,
        )
    Link.objects.bulk_create(
        Link(
            topology=topology,
            position=i,
            key=x.id,
            a=x.a,
            b=x.b,
            rate_bps=x.rate_bps,
            delay_us=x.delay_us,
            buffer_bytes=x.buffer_bytes,
            loss=x.loss,
        )
        for i, x in enumerate(spec.links)
    )
    TunnelDef.objects.bulk_create(
        TunnelDef(topology=topology, position=i, key=t.id, a=t.a, b=t.b, kind=t.kind)
        for i, t in enumerate(spec.tunnels)
    )


def topology_from_graph(g: Any, *, name: str = "") -> Topology:
    """Save a Topology and its rows from a graph in the engine's `to_graph` schema."""
    from lab.scenarios.models import Topology

    spec = engine_topology_module.from_graph(g)
    # Validate through the engine's parser so a hand-made graph cannot store nonsense.
    engine_spec.parse_topology(
        {
            "sites": [{"id": s.id, "name": s.name} for s in spec.sites],
            "nodes": [dict(attrs) for _, attrs in g.nodes(data=True)],
            "links": [dict(attrs) for _, _, attrs in g.edges(data=True)],
            "tunnels": [dict(t) for t in g.graph.get("tunnels", [])],
        }
    )
    with transaction.atomic():
        topology = Topology.objects.create(name=name)
        _save_topology_rows(topology, spec)
    return topology


def _scenario_fields(d: dict[str, Any], parsed: engine_spec.Scenario) -> dict[str, Any]:
    return {
        "title": parsed.title,
        "teaches": parsed.teaches,
        "rule": parsed.rule,
        "topic": parsed.topic,
        "difficulty": parsed.difficulty,
        "instructions": parsed.instructions,
        "explanation": parsed.explanation,
        "flows": d.get("flows", []),
        "events": d.get("events", []),
        "expect": parsed.expect,
        "variants": parsed.variants,
        "teaching": d.get("teaching") or {},
        "seed": parsed.seed,
        "until_s": d.get("until_s", 3600),
        "start_clock": parsed.start_clock,
    }


def scenario_from_dict(
    d: dict[str, Any],
    *,
    origin: str,
    forked_from: Scenario | None = None,
    owner: AbstractBaseUser | None = None,
) -> Scenario:
    """Validate a scenario dict and save it as a new Scenario; nothing is saved on error.

    Raises SpecError (from the engine) when the dict is not a valid scenario. Every origin
    but `builtin` gets a fresh edit key.
    """
    from lab.scenarios.models import Scenario, Topology

    parsed = validate(d)
    with transaction.atomic():
        topology = Topology.objects.create(name=parsed.title[:200])
        _save_topology_rows(topology, parsed.topology)
        return Scenario.objects.create(
            slug=parsed.slug,
            topology=topology,
            origin=origin,
            forked_from=forked_from,
            owner=owner,
            edit_key="" if origin == Scenario.BUILTIN else Scenario.new_edit_key(),
            **_scenario_fields(d, parsed),
        )


def update_scenario(scenario: Scenario, d: dict[str, Any]) -> Scenario:
    """Replace a scenario's contents (topology rows included) with a dict; slug kept.

    Raises SpecError and changes nothing when the dict is not a valid scenario.
    """
    d = {**d, "slug": scenario.slug}
    parsed = validate(d)
    with transaction.atomic():
        topology = scenario.topology
        topology.tunnels.all().delete()
        topology.links.all().delete()
        topology.nodes.all().delete()
        topology.sites.all().delete()
        topology.name = parsed.title[:200]
        topology.save(update_fields=["name"])
        _save_topology_rows(topology, parsed.topology)
        for name, value in _scenario_fields(d, parsed).items():
            setattr(scenario, name, value)
        scenario.save()
    return scenario
