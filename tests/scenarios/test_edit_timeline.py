"""The editor's row editors (timed commands, outages): add, edit, remove rows; every event
is checked by the engine before anything is saved; saved event sections refresh together."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from lab import specs
from lab.scenarios.models import Scenario
from tests.scenarios.conftest import HX
from tests.scenarios.test_edit import outage_data, settings_data

BLANK = {
    "at_s": "",
    "do": "",
    "device": "",
    "link": "",
    "flow": "",
    "for_s": "",
    "option": "",
    "enabled": "",
    "peer": "",
    "lines": "",
}


def timeline_data(rows: list[dict[str, Any]], initial: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = {
        "action": "timeline",
        "event-TOTAL_FORMS": len(rows),
        "event-INITIAL_FORMS": initial,
        "event-MIN_NUM_FORMS": 0,
        "event-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(rows):
        data.update({f"event-{i}-{k}": v for k, v in {**BLANK, **row}.items()})
    return data


@pytest.mark.django_db
def test_it_adds_commands_next_to_the_outages(fork: Scenario, key_client: Client) -> None:
    rows = [
        {"at_s": 300, "do": "set_sysopt", "device": "ho-asa", "option": "preserve-vpn-flows"}
        | {"enabled": "on"},
        {"at_s": 30, "do": "cli", "device": "bo-asa", "lines": "show conn\n\n  show vpn  \n"},
        {},  # the empty "new command" row a browser always sends
    ]

    response = key_client.post(f"/s/{fork.slug}/edit/", timeline_data(rows))

    assert response.status_code == 302
    assert response["Location"] == f"/s/{fork.slug}/edit/?saved=timeline"
    assert Scenario.objects.get(pk=fork.pk).events == [
        {"at_s": 30, "do": "cli", "device": "bo-asa", "lines": ["show conn", "  show vpn"]},
        {"at_s": 120, "do": "cut", "link": "internet", "for_s": 60},  # the outage, kept
        {
            "at_s": 300,
            "do": "set_sysopt",
            "device": "ho-asa",
            "option": "preserve-vpn-flows",
            "enabled": True,
        },
    ]


@pytest.mark.django_db
def test_it_removes_a_ticked_command(fork: Scenario, key_client: Client) -> None:
    events = [
        {"at_s": 10, "do": "clear_isakmp_sa", "device": "bo-asa"},
        {"at_s": 120, "do": "cut", "link": "internet", "for_s": 60},
        {"at_s": 500, "do": "restart_flow", "flow": "download"},
    ]
    specs.update_scenario(fork, {**specs.scenario_to_dict(fork), "events": events})
    rows = [
        {"at_s": 10, "do": "clear_isakmp_sa", "device": "bo-asa", "DELETE": "on"},
        {"at_s": 500, "do": "restart_flow", "flow": "download"},
    ]

    assert key_client.post(f"/s/{fork.slug}/edit/", timeline_data(rows, 2)).status_code == 302
    assert Scenario.objects.get(pk=fork.pk).events == events[1:]


@pytest.mark.django_db
def test_it_shows_existing_commands_as_rows(fork: Scenario, key_client: Client) -> None:
    events = [
        {"at_s": 120, "do": "cut", "link": "internet", "for_s": 60},
        {"at_s": 400, "do": "cli", "device": "ho-asa", "lines": ["show conn", "show vpn"]},
    ]
    specs.update_scenario(fork, {**specs.scenario_to_dict(fork), "events": events})

    html = key_client.get(f"/s/{fork.slug}/edit/").content.decode()

    timeline = html[html.index('<section id="timeline_section"') :]
    timeline = timeline[: timeline.index("</section>")]
    assert timeline.count('<fieldset class="event">') == 2  # the command and a new row
    assert "show conn\nshow vpn</textarea>" in timeline
    assert 'value="400"' in timeline
    assert "1 other timed command: see" in html


@pytest.mark.django_db
def test_it_says_which_field_a_command_misses(fork: Scenario, key_client: Client) -> None:
    rows = [{"at_s": 5, "do": "cli", "device": "", "lines": " "}]

    response = key_client.post(f"/s/{fork.slug}/edit/", timeline_data(rows))

    assert response.status_code == 422
    html = response.content.decode()
    assert "cli needs this" in html[html.index('id="id_event-0-device-errors"') :][:200]
    assert "type at least one line" in html[html.index('id="id_event-0-lines-errors"') :][:200]
    assert Scenario.objects.get(pk=fork.pk).events == fork.events


@pytest.mark.django_db
def test_it_refuses_an_event_the_engine_cannot_run(fork: Scenario, key_client: Client) -> None:
    before = specs.scenario_to_dict(fork)
    bad = '[{"at_s": 5, "do": "clear_ipsec_sa", "device": "ho-server"}]'

    response = key_client.post(f"/s/{fork.slug}/edit/", {"action": "events", "events": bad})

    assert response.status_code == 422
    assert "event 1 (at 5 s): events[0]: no ASA/PIX &#x27;ho-server&#x27;" in (
        response.content.decode()
    )
    assert specs.scenario_to_dict(Scenario.objects.get(pk=fork.pk)) == before


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "prefix"), [("timeline", "event"), ("outages", "outage")])
def test_it_adds_an_empty_row_keeping_unsaved_edits(
    fork: Scenario, key_client: Client, action: str, prefix: str
) -> None:
    if action == "timeline":
        data = timeline_data([{"at_s": 77, "do": "clear_isakmp_sa", "device": "ho-asa"}])
    else:
        row = {"start_s": 77, "duration_s": 5, "cause": "cut", "link": "internet", "device": ""}
        data = outage_data([row], initial=1)

    full = key_client.post(f"/s/{fork.slug}/edit/", {**data, "add_row": "1"})
    partial = key_client.post(f"/s/{fork.slug}/edit/", {**data, "add_row": "1"}, **HX)

    assert full.status_code == 200 and "<html" in full.content.decode()
    html = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in html
    assert html.strip().startswith(f'<section id="{action}_section"')
    assert f'name="{prefix}-TOTAL_FORMS" value="2"' in html
    assert 'value="77"' in html  # the unsaved row is still there
    assert 'class="error"' not in html  # the new row is not scolded
    assert Scenario.objects.get(pk=fork.pk).events == fork.events  # nothing saved


@pytest.mark.django_db
def test_it_refreshes_the_other_event_sections_after_an_htmx_save(
    fork: Scenario, key_client: Client
) -> None:
    rows = [{"at_s": 42, "do": "clear_isakmp_sa", "device": "ho-asa"}]

    response = key_client.post(f"/s/{fork.slug}/edit/", timeline_data(rows), **HX)

    html = response.content.decode()
    assert html.strip().startswith('<section id="timeline_section"')
    assert '<section id="outages_section" class="editor-section" hx-swap-oob="true">' in html
    assert '<section id="events_section" class="editor-section" hx-swap-oob="true">' in html
    assert "&quot;at_s&quot;: 42" in html  # the JSON script shows the new command
    assert "settings_section" not in html
    assert response["HX-Trigger"] == '{"topology-changed": {}}'


@pytest.mark.django_db
def test_it_does_not_refresh_event_sections_after_a_settings_save(
    fork: Scenario, key_client: Client
) -> None:
    response = key_client.post(
        f"/s/{fork.slug}/edit/", settings_data(fork, {"link-internet-delay_ms": 9}), **HX
    )

    assert "hx-swap-oob" not in response.content.decode()


@pytest.mark.django_db
def test_it_validates_a_command_field_on_change(fork: Scenario, key_client: Client) -> None:
    data = timeline_data([{"at_s": 5, "do": "restart_flow", "flow": ""}])

    html = key_client.post(
        f"/s/{fork.slug}/edit/validate/", {**data, "field": "event-0-flow"}
    ).content.decode()

    assert html.strip().startswith('<div class="field-errors" id="id_event-0-flow-errors"')
    assert "restart_flow needs this" in html


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["absent", "wrong", "other user"])
def test_it_refuses_row_edits_without_the_key(
    fork: Scenario, anonymous: Client, other_client: Client, how: str
) -> None:
    data = timeline_data([{"at_s": 5, "do": "clear_isakmp_sa", "device": "ho-asa"}])
    client = other_client if how == "other user" else anonymous
    if how == "wrong":
        data["key"] = fork.edit_key[:-1] + ("A" if fork.edit_key[-1] != "A" else "B")

    assert client.post(f"/s/{fork.slug}/edit/", data).status_code == 403
    assert client.post(f"/s/{fork.slug}/edit/", {**data, "add_row": "1"}).status_code == 403
    assert Scenario.objects.get(pk=fork.pk).events == fork.events


@pytest.mark.django_db
def test_it_accepts_row_edits_with_the_key_in_the_form(fork: Scenario, anonymous: Client) -> None:
    data = timeline_data([{"at_s": 5, "do": "clear_isakmp_sa", "device": "ho-asa"}])

    response = anonymous.post(f"/s/{fork.slug}/edit/", {**data, "key": fork.edit_key})

    assert response.status_code == 302
    assert {"at_s": 5, "do": "clear_isakmp_sa", "device": "ho-asa"} in Scenario.objects.get(
        pk=fork.pk
    ).events
