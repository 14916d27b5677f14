"""Editor posts with hostile values in every field never answer 5xx, and a saved scenario
still runs; the row editors are capped."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab import specs
from lab.engine import Simulation
from lab.engine.units import S
from lab.scenarios import editor
from lab.scenarios.forms import MAX_ROWS
from lab.scenarios.models import Scenario

HOSTILE = st.one_of(
    st.sampled_from(
        [
            "nan",
            "NaN",
            "inf",
            "-inf",
            "Infinity",
            "1e308",
            "-1e308",
            "9" * 5000,
            str(2**63),
            str(2**53 + 1),
            "-1",
            "0",
            "1",
            "0.0001",
            "",
            "[" * 2000,
            '{"a":' * 100 + "1" + "}" * 100,
            "null",
            "{}",
            "on",
            "cut",
            "internet",
            "bo-asa",
        ]
    ),
    st.text(max_size=20),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats().map(str),
)


def current_fields(scenario: Scenario, action: str) -> dict[str, Any]:
    """The editor form of `action` as the page would post it now."""
    form = editor.build(specs.scenario_to_dict(scenario))[action]
    data: dict[str, Any] = {"action": action}
    if action in editor.ROW_EDITORS:
        data.update(form.management_form.initial)
        data = {
            f"{form.prefix}-{k}" if k != "action" else k: v
            for k, v in data.items()
            if v is not None
        }
        data["action"] = action
        for each in form.forms:
            for bound in each:
                value = bound.value()
                if value is not None:
                    data[bound.html_name] = value
        return data
    for bound in form:
        value = bound.value()
        if value is not None:
            data[bound.html_name] = value
    return data


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    action=st.sampled_from(editor.ACTIONS),
    picks=st.lists(st.tuples(st.integers(min_value=0, max_value=10**6), HOSTILE), max_size=4),
)
def test_hostile_editor_posts_never_answer_5xx(
    fork: Scenario, key_client: Client, action: str, picks: list[tuple[int, str]]
) -> None:
    data = current_fields(fork, action)
    names = sorted(k for k in data if k != "action")
    for index, value in picks:
        if names:
            data[names[index % len(names)]] = value
    url = f"/s/{fork.slug}/edit/"

    response = key_client.post(url, data)
    check = key_client.post(url + "validate/", {**data, "field": names[0] if names else "x"})

    assert response.status_code < 500 and check.status_code < 500
    fork.refresh_from_db()
    parsed = specs.engine_scenario(fork)
    Simulation(parsed, parsed.seed).advance_to(min(parsed.until_us, 200 * S))


@pytest.mark.django_db
def test_a_million_rows_are_refused_with_a_clear_message(
    fork: Scenario, key_client: Client
) -> None:
    data = current_fields(fork, "timeline")
    data["event-TOTAL_FORMS"] = 10**6

    response = key_client.post(f"/s/{fork.slug}/edit/", data)

    assert response.status_code == 422
    assert f"Please submit at most {MAX_ROWS} forms" in response.content.decode()
    assert len(response.content) < 2_000_000


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("9" * 5000, "nested too deeply or too long"),
        ("[" * 5000 + "]" * 5000, "nested too deeply or too long"),
        ("[" * 40 + "]" * 40, "nested too deeply"),
        ('{"time_limit_s": NaN}', "finite"),
    ],
)
def test_teaching_json_too_long_or_deep_is_a_field_error(
    fork: Scenario, key_client: Client, text: str, words: str
) -> None:
    data = {**current_fields(fork, "teaching"), "constraints": text}

    response = key_client.post(f"/s/{fork.slug}/edit/", data)

    assert response.status_code == 422
    assert words in response.content.decode()
