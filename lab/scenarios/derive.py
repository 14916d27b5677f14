"""Derive a whole scenario from two ASA running configs (BO and HO), as a pure function.

The import page pastes `show running-config` of the branch and the head-office ASA. Each
is read by the engine's `import_config`; lines it refuses are errors (with line numbers)
and block the import, lines it keeps but does not simulate are warnings. From the two
`AsaConfig`s we take the inside subnets (interfaces), the outside addresses and the crypto
map peers, and build the standard four-node lab around them: bo-pc (host .100 of the BO
inside net), bo-asa, ho-asa, ho-server (.10 of the HO inside net), links bo-inside,
internet and ho-inside with the parameters of a template scenario (a built-in), an l2l
tunnel bo-ho, the template's download flow and a 60 s cut of the internet link at 120 s.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from lab.engine.asaconfig import AsaConfig, ImportResult, Interface, import_config
from lab.engine.pairs import pair_problems

SIDES = ("bo", "ho")
SIDE_NAMES = {"bo": "Branch office", "ho": "Head office"}
HOST_OFFSETS = {"bo": 100, "ho": 10}  # bo-pc is .100 of the BO inside net, ho-server .10
OUTAGE = {"at_s": 120, "do": "cut", "link": "internet", "for_s": 60}


@dataclass
class Derivation:
    """What an import produced: a scenario dict, or errors per side (line None: no line)."""

    scenario: dict[str, Any] | None = None
    errors: dict[str, list[tuple[int | None, str]]] = field(
        default_factory=lambda: {s: [] for s in SIDES}
    )
    warnings: dict[str, list[tuple[int | None, str]]] = field(
        default_factory=lambda: {s: [] for s in SIDES}
    )

    # Per side: the pair problems and notes (shown open), then the kept lines grouped by
    # section (`policy-map`, `crypto ca`...), each group shown collapsed.
    groups: dict[str, list[tuple[str, list[tuple[int | None, str]]]]] = field(
        default_factory=lambda: {s: [] for s in SIDES}
    )

    @property
    def ok(self) -> bool:
        return self.scenario is not None and not any(self.errors.values())

    def notes(self) -> list[str]:
        """One line per pair problem or note, and one per group of kept lines (how many,
        which lines), for the one-time notice after an import."""
        out = []
        for side, groups in self.groups.items():
            for label, items in groups:
                if label in OPEN_GROUPS:
                    out += [f"{side.upper()} {_at(n)}{text}" for n, text in items]
                    continue
                numbers = [n for n, _ in items if n]
                lo, hi = (min(numbers), max(numbers)) if numbers else (0, 0)
                span = f" (line {lo})" if lo == hi else f" (lines {lo}-{hi})"
                span = span if numbers else ""
                out.append(f"{side.upper()} {label}: {len(items)} line(s) kept{span}")
        return out


OPEN_GROUPS = ("tunnel", "notes")  # shown in full; the other groups are collapsed


def _at(n: int | None) -> str:
    return f"line {n}: " if n else ""


def _inside(cfg: AsaConfig) -> Interface | None:
    named = cfg.interface_by_nameif("inside")
    if named and named.address:
        return named
    candidates = [i for i in cfg.interfaces.values() if i.address and i.nameif]
    return max(candidates, key=lambda i: i.security_level or 0, default=None)


def _outside(cfg: AsaConfig, inside: Interface | None) -> Interface | None:
    named = cfg.interface_by_nameif("outside")
    if named and named.address:
        return named
    for nameif in cfg.crypto_map_interfaces.values():
        ifc = cfg.interface_by_nameif(nameif)
        if ifc and ifc.address:
            return ifc
    candidates = [i for i in cfg.interfaces.values() if i.address and i.nameif and i is not inside]
    return min(candidates, key=lambda i: i.security_level or 0, default=None)


def _peers(cfg: AsaConfig) -> list[str]:
    peers: list[str] = []
    for entry in sorted(cfg.crypto_maps.values(), key=lambda e: (e.name, e.seq)):
        peers.extend(p for p in entry.peers if p not in peers)
    return peers


def _host(ifc: Interface, offset: int) -> str:
    """Host number `offset` of the interface's network, or else its first other host."""
    net = ifc.network
    assert net is not None
    candidate = net.network_address + offset
    if candidate in net and candidate != net.broadcast_address and str(candidate) != ifc.address:
        return str(candidate)
    for host in net.hosts():
        if str(host) != ifc.address:
            return str(host)
    return str(candidate)


def _gateway_node(side: str, text: str, cfg: AsaConfig) -> dict[str, Any]:
    pix = any(line.strip().startswith("PIX Version") for line in text.splitlines())
    return {
        "id": f"{side}-asa",
        "kind": "asa",
        "site": side,
        "label": f"{side.upper()} {'PIX' if pix else 'ASA'} ({cfg.hostname})",
        "platform": "pix" if pix else "asa",
        "version": cfg.version,
        "config": [line.rstrip() for line in text.splitlines()],
    }


def derive_scenario(
    bo_text: str, ho_text: str, *, slug: str, template: dict[str, Any]
) -> Derivation:
    """Read both configs and derive the scenario; `template` supplies link and flow defaults."""
    out = Derivation()
    texts = {"bo": bo_text, "ho": ho_text}
    results: dict[str, ImportResult] = {}
    ifcs: dict[str, tuple[Interface, Interface]] = {}
    for side in SIDES:
        if not texts[side].strip():
            out.errors[side].append((None, "paste or upload this ASA's running config"))
            continue
        result = import_config(texts[side])
        results[side] = result
        out.errors[side].extend(result.errors)
        out.warnings[side].extend(result.warnings)
        out.groups[side] += [(label, list(items)) for label, items in result.warning_groups()]
        inside = _inside(result.config)
        outside = _outside(result.config, inside)
        if inside is None or outside is None or inside is outside:
            out.errors[side].append(
                (None, "needs an inside and an outside interface, each with nameif and ip address")
            )
            continue
        ifcs[side] = (inside, outside)
        if not _peers(result.config):
            out.errors[side].append((None, "has no crypto map with `set peer`: no tunnel to build"))
    if any(out.errors.values()):
        return out
    # Why the pair cannot build its tunnel (each naming the line on both sides): warnings,
    # since the run then shows what the real pair does.
    problems = pair_problems(
        results["bo"].config,
        results["ho"].config,
        names=("bo", "ho"),
        outside=(ifcs["bo"][1].address, ifcs["ho"][1].address),
    )
    for side, message in problems:
        out.warnings[side].append((None, message))
    for side in SIDES:
        mine = [(None, message) for s, message in problems if s == side]
        if mine:
            out.groups[side].insert(0, ("tunnel", mine))
    bo_in, bo_out = ifcs["bo"]
    ho_in, ho_out = ifcs["ho"]
    links = {x["id"]: x for x in copy.deepcopy(template["topology"]["links"])}
    ends = {
        "bo-inside": ("bo-pc", f"bo-asa:{bo_in.nameif}"),
        "internet": (f"bo-asa:{bo_out.nameif}", f"ho-asa:{ho_out.nameif}"),
        "ho-inside": (f"ho-asa:{ho_in.nameif}", "ho-server"),
    }
    derived_links = []
    for link_id, (a, b) in ends.items():
        link = links.get(link_id, {"id": link_id})
        derived_links.append({**link, "a": a, "b": b})
    flows = [f for f in template.get("flows", []) if f.get("proto") == "tcp"][:1]
    bo_cfg, ho_cfg = results["bo"].config, results["ho"].config
    out.scenario = {
        "format": 1,
        "slug": slug,
        "title": f"Imported: {bo_cfg.hostname} to {ho_cfg.hostname}",
        "topic": "imported",
        "difficulty": template.get("difficulty", "beginner"),
        "teaches": "Your own two ASA configs: what happens to a long download through their "
        "tunnel when the path between them is cut for 60 s.",
        "rule": "",
        "instructions": "The download starts at 1 s; the internet link is cut for 60 s at 2:00. "
        "Predict whether the download survives with these configs, then start the lab.",
        "explanation": "",
        "seed": 1,
        "topology": {
            "sites": [{"id": s, "name": SIDE_NAMES[s]} for s in SIDES],
            "nodes": [
                {
                    "id": "bo-pc",
                    "kind": "client",
                    "site": "bo",
                    "label": "BO user PC",
                    "address": _host(bo_in, HOST_OFFSETS["bo"]),
                },
                _gateway_node("bo", bo_text, bo_cfg),
                _gateway_node("ho", ho_text, ho_cfg),
                {
                    "id": "ho-server",
                    "kind": "server",
                    "site": "ho",
                    "label": "HO file server",
                    "address": _host(ho_in, HOST_OFFSETS["ho"]),
                },
            ],
            "links": derived_links,
            "tunnels": [{"id": "bo-ho", "a": "bo-asa", "b": "ho-asa", "kind": "l2l"}],
        },
        "flows": copy.deepcopy(flows),
        "events": [dict(OUTAGE)],
        "until_s": template.get("until_s", 1200),
        "expect": {},
    }
    return out
