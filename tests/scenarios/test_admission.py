"""Admission at validation: every number finite, in range and storable; what the lab
cannot play is refused naming the field and the limit; what validates runs."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab import specs
from lab.engine import Simulation
from lab.engine.errors import SpecError
from lab.engine.library import builtin_dict
from lab.engine.units import S
from lab.scenarios.models import Scenario


def base() -> dict[str, Any]:
    return copy.deepcopy(builtin_dict("default-drop"))


def with_value(path: str, value: Any) -> dict[str, Any]:
    d = base()
    node: Any = d
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[parts[-1]] = value
    return d


BAD = [
    ("until_s", float("nan"), "until_s", "finite"),
    ("until_s", float("inf"), "until_s", "finite"),
    ("until_s", 1e308, "until_s", "between 0 and"),
    ("until_s", None, "until_s", "null"),
    ("seed", 2**63, "seed", "too large"),
    ("seed", 10**4000, "seed", "too large"),
    ("flows.0.start_s", 1e30, "flows[0].start_s", "between 0 and"),
    ("flows.0.size_bytes", 2**63, "flows[0].size_bytes", "too large"),
    ("events.0.at_s", 2**63, "events[0].at_s", "too large"),
    ("events.0.at_s", float("nan"), "events[0].at_s", "finite"),
    ("events.0.at_s", None, "events[0].at_s", "null"),
    ("events.0.for_s", 1e308, "events[0].for_s", "between 0 and"),
    ("events.0.do", {}, "events[0].do", "command name"),
    ("topology.links.0.rate_bps", 2**63, "topology.links[0].rate_bps", "too large"),
    ("topology.links.0.rate_bps", 10**12, "topology.links[0].rate_bps", "at most 10000000000"),
    ("topology.links.0.delay_us", 2**62, "topology.links[0].delay_us", "too large"),
    ("topology.links.0.buffer_bytes", 10**9, "topology.links[0].buffer_bytes", "at most"),
    ("topology.links.0.loss", float("nan"), "topology.links[0].loss", "finite"),
    ("expect.deep", json.loads("[" * 40 + "]" * 40), "expect.deep", "nested too deeply"),
    ("expect.n", float("-inf"), "expect.n", "finite"),
]


@pytest.mark.parametrize(("path", "value", "field", "words"), BAD, ids=[b[2] for b in BAD])
def test_it_refuses_a_bad_number_naming_the_field(
    path: str, value: Any, field: str, words: str
) -> None:
    with pytest.raises(SpecError) as info:
        specs.validate(with_value(path, value))

    assert info.value.path.startswith(field)
    assert words in str(info.value)


def dense() -> dict[str, Any]:
    """The crafted scenario of issue 15: fast links, 1 µs delays, a 10-kilobyte lifetime."""
    d = base()
    for link in d["topology"]["links"]:
        link.update(rate_bps=10**9, delay_us=1, buffer_bytes=65_536)
    for node in d["topology"]["nodes"]:
        if node.get("config"):
            node["config"] = [
                *node["config"],
                "crypto ipsec security-association lifetime kilobytes 10",
            ]
    return d


def test_it_refuses_a_lifetime_that_rekeys_thousands_of_times_a_second() -> None:
    with pytest.raises(SpecError) as info:
        specs.validate(dense())

    assert info.value.path == "topology.nodes[1].config"
    assert "rekeys about 12207 times per simulated second" in str(info.value)
    assert "at most 1" in str(info.value) and "at least 122071" in str(info.value)


def test_it_refuses_the_crafted_buffers_naming_the_limit() -> None:
    d = dense()
    d["topology"]["links"][1]["buffer_bytes"] = 10**9

    with pytest.raises(SpecError) as info:
        specs.validate(d)

    assert info.value.path == "topology.links[1].buffer_bytes"
    assert "at most 67108864" in str(info.value)


def test_a_topology_whose_delays_are_all_zero_runs() -> None:
    d = base()
    for link in d["topology"]["links"]:
        link["delay_us"] = 0

    parsed = specs.validate(d)
    sim = Simulation(parsed, parsed.seed)
    sim.advance_to(parsed.until_us)

    assert sim.view()["flows"]["download"]["bytes"] > 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "value", "field", "words"), BAD[:14], ids=[b[2] for b in BAD[:14]]
)
def test_the_import_page_answers_a_form_error_not_a_500(
    anonymous: Client, path: str, value: Any, field: str, words: str
) -> None:
    text = json.dumps(with_value(path, value))  # NaN and Infinity as Python writes them

    response = anonymous.post("/import/", {"action": "json", "json_text": text})

    assert 400 <= response.status_code < 500
    assert words in response.content.decode()
    assert not Scenario.objects.exists()


@pytest.mark.django_db
def test_the_import_page_refuses_a_5000_digit_number(anonymous: Client) -> None:
    text = json.dumps(base()).replace('"seed": 1', '"seed": ' + "9" * 5000)

    response = anonymous.post("/import/", {"action": "json", "json_text": text})

    assert 400 <= response.status_code < 500
    assert not Scenario.objects.exists()


# --- generated scenarios: never a 5xx, and what validates runs --------------------------

NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 2**53, 2**53 + 1, 2**63, 1e308, 1e-300, 0.5]),
    st.none(),
    st.booleans(),
    st.text(max_size=5),
    st.just({}),
    st.just([]),
)
NUMERIC_PATHS = [
    "until_s",
    "seed",
    "flows.0.start_s",
    "flows.0.size_bytes",
    "flows.0.server_port",
    "events.0.at_s",
    "events.0.for_s",
    "events.0.do",
    "topology.links.0.rate_bps",
    "topology.links.1.delay_us",
    "topology.links.2.buffer_bytes",
    "topology.links.1.loss",
    "topology.nodes.1.tcp_retries2",
    "topology.nodes.0.tcp_retries2",
]

# In-range values, so that about half the generated scenarios validate and must then run.
PLAUSIBLE = {
    "until_s": st.floats(min_value=1, max_value=5_000),
    "seed": st.integers(min_value=0, max_value=2**53),
    "flows.0.start_s": st.floats(min_value=0, max_value=3_000),
    "flows.0.size_bytes": st.integers(min_value=1, max_value=10**10),
    "events.0.at_s": st.floats(min_value=0, max_value=3_000),
    "events.0.for_s": st.floats(min_value=0.001, max_value=600),
    "topology.links.0.rate_bps": st.integers(min_value=8_000, max_value=10**10),
    "topology.links.1.delay_us": st.integers(min_value=0, max_value=60 * S),
    "topology.links.2.buffer_bytes": st.integers(min_value=1_500, max_value=2**26),
    "topology.links.1.loss": st.floats(min_value=0, max_value=0.5),
    "topology.nodes.1.tcp_retries2": st.integers(min_value=1, max_value=255),
}
CHANGE = st.one_of(
    st.sampled_from(sorted(PLAUSIBLE)).flatmap(lambda p: st.tuples(st.just(p), PLAUSIBLE[p])),
    st.tuples(st.sampled_from(NUMERIC_PATHS), NUMBERS),
)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(CHANGE, min_size=1, max_size=4))
def test_generated_scenarios_validate_and_run_or_are_refused(
    changes: list[tuple[str, Any]],
) -> None:
    d = base()
    for path, value in changes:
        d = with_value_in(d, path, value)
    try:
        parsed = specs.validate(d)
    except SpecError:
        return
    sim = Simulation(parsed, parsed.seed)
    sim.advance_to(min(parsed.until_us, 300 * S))


def with_value_in(d: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    node: Any = d
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[parts[-1]] = value
    return d
