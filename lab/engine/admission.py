"""Admission: refuse, before it is saved, a scenario the lab cannot play.

The field checks in spec.py bound every number. This module bounds the *work* a run
costs: the engine's cost grows with state changes, and two things make state change
often. A small IPsec lifetime in kilobytes on a fast link rekeys many times a simulated
second (each rekey is a real Diffie-Hellman exchange), which `check_rekeys` estimates from
the config and the links without running anything. Everything else (flows, loss, tiny
delays) is measured by `probe`: it plays the scenario's first simulated minutes with an
event budget and refuses it when it needs more events per simulated second than a run
may have, or when the engine fails on it. So a scenario that validates has run.
"""

from __future__ import annotations

from .asaconfig import CryptoMapEntry
from .errors import SpecError
from .sim import Simulation
from .units import S

# [U] lab choices: a run at 1000x must stay a small share of one core.
MAX_REKEYS_PER_S = 1.0
PROBE_US = 120 * S  # how much of the start of a scenario `probe` plays
PROBE_WINDOW_US = 10 * S
MAX_EVENTS_PER_WINDOW = 2_000  # 200 engine events per simulated second, averaged


def check_rekeys(sim: Simulation) -> None:
    """Refuse an IPsec lifetime in kilobytes that rekeys more than MAX_REKEYS_PER_S."""
    topo = sim.scenario.topology
    for i, node in enumerate(topo.nodes):
        gw = sim.gateways.get(node.id)
        if gw is None or gw.cfg is None:
            continue
        links = [x for x in topo.links if node.id in (x.a_node, x.b_node)]
        if not links:
            continue
        fastest = max(links, key=lambda x: x.rate_bps)
        entries: list[CryptoMapEntry | None] = [*gw.cfg.crypto_maps.values()]
        kb = min(gw.cfg.ipsec_lifetime_for(e)[1] for e in entries or [None])  # None: global
        if kb <= 0:
            continue
        per_s = fastest.rate_bps / 8 / (kb * 1024)
        if per_s > MAX_REKEYS_PER_S:
            least = -(-fastest.rate_bps // (8 * 1024 * int(MAX_REKEYS_PER_S)))
            raise SpecError(
                f"topology.nodes[{i}].config",
                f"an IPsec lifetime of {kb} kilobytes at {fastest.rate_bps} bit/s "
                f"(link '{fastest.id}') rekeys about {per_s:.0f} times per simulated "
                f"second; this lab plays at most {MAX_REKEYS_PER_S:g}: set "
                f"`crypto ipsec security-association lifetime kilobytes` to at least "
                f"{least} or slow the link",
            )


def probe(sim: Simulation) -> None:
    """Play the first PROBE_US of a fresh simulation within an event budget.

    Raises SpecError when a PROBE_WINDOW_US window needs more than MAX_EVENTS_PER_WINDOW
    events, or when the engine raises (the scenario would crash its run).
    """
    end = min(sim.scenario.until_us, PROBE_US)
    t = 0
    while t < end:
        window_end = min(t + PROBE_WINDOW_US, end)
        before = sim.loop.events_run
        try:
            _advance_capped(sim, window_end, before + MAX_EVENTS_PER_WINDOW)
        except Exception as exc:  # the engine failed: the run would crash the same way
            raise SpecError(
                "", f"the simulation fails at {sim.loop.now / S:g} s: {type(exc).__name__}"
            ) from exc
        if sim.loop.events_run - before >= MAX_EVENTS_PER_WINDOW:
            raise SpecError(
                "",
                f"this scenario needs more than {MAX_EVENTS_PER_WINDOW // (PROBE_WINDOW_US // S)}"
                f" engine events per simulated second (from {t / S:g} s); this lab plays at "
                f"most that: use slower links, longer delays, fewer flows or longer lifetimes",
            )
        t = window_end


def _advance_capped(sim: Simulation, t_us: int, max_events: int) -> None:
    """advance_to(t_us), stopping early once the loop has run max_events events."""
    while sim.loop.events_run < max_events:
        deadline = sim.next_deadline()
        if deadline is None or deadline > t_us:
            sim.advance_to(t_us)
            return
        sim.advance_to(deadline)
