"""The editor /s/<slug>/edit/: permissions, each form, errors next to fields, atomic saves."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from lab import specs
from lab.scenarios.forms import SettingsForm
from lab.scenarios.models import Scenario
from tests.scenarios.conftest import HX


def settings_data(scenario: Scenario, changes: dict[str, Any]) -> dict[str, Any]:
    form = SettingsForm(specs.scenario_to_dict(scenario))
    data = {name: form[name].value() for name in form.fields}
    return {**data, **changes, "action": "settings"}


def outage_data(rows: list[dict[str, Any]], initial: int) -> dict[str, Any]:
    data: dict[str, Any] = {
        "action": "outages",
        "outage-TOTAL_FORMS": len(rows),
        "outage-INITIAL_FORMS": initial,
        "outage-MIN_NUM_FORMS": 0,
        "outage-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(rows):
        data.update({f"outage-{i}-{k}": v for k, v in row.items()})
    return data


# --- permissions --------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lets_the_edit_link_in_and_drops_the_key_from_the_address(fork: Scenario) -> None:
    browser = Client()

    response = browser.get(f"/s/{fork.slug}/edit/?key={fork.edit_key}")

    assert response.status_code == 302
    assert response["Location"] == f"/s/{fork.slug}/edit/"
    assert browser.get(response["Location"]).status_code == 200


@pytest.mark.django_db
def test_it_refuses_a_missing_key(fork: Scenario, anonymous: Client) -> None:
    response = anonymous.get(f"/s/{fork.slug}/edit/")

    assert response.status_code == 403
    html = response.content.decode()
    assert "Fork it to get your own editable copy" in html
    assert f'action="/s/{fork.slug}/fork/"' in html


@pytest.mark.django_db
def test_it_refuses_a_wrong_key(fork: Scenario, anonymous: Client) -> None:
    assert anonymous.get(f"/s/{fork.slug}/edit/?key=nope").status_code == 403
    assert anonymous.get(f"/s/{fork.slug}/edit/?key={fork.edit_key.upper()}x").status_code == 403
    data = settings_data(fork, {"link-internet-delay_ms": 1, "key": "nope"})
    assert anonymous.post(f"/s/{fork.slug}/edit/", data).status_code == 403
    fork.refresh_from_db()
    assert fork.topology.links.get(key="internet").delay_us == 20000


@pytest.mark.django_db
def test_it_accepts_the_key_in_post_data(fork: Scenario, anonymous: Client) -> None:
    data = settings_data(fork, {"link-internet-delay_ms": 1, "key": fork.edit_key})

    assert anonymous.post(f"/s/{fork.slug}/edit/", data).status_code == 302
    assert fork.topology.links.get(key="internet").delay_us == 1_000  # 1 ms


@pytest.mark.django_db
def test_it_never_edits_a_builtin(builtins: None, owner_client: Client) -> None:
    builtin = Scenario.objects.get(slug="default-drop")
    assert owner_client.get("/s/default-drop/edit/").status_code == 403
    assert owner_client.get("/s/default-drop/edit/?key=").status_code == 403
    response = owner_client.post(
        "/s/default-drop/edit/", settings_data(builtin, {"link-internet-delay_ms": 1})
    )
    assert response.status_code == 403
    assert "built-in scenario" in response.content.decode()
    assert builtin.topology.links.get(key="internet").delay_us == 20000


@pytest.mark.django_db
def test_it_lets_the_owner_in_and_keeps_other_users_out(
    fork: Scenario, owner_client: Client, other_client: Client
) -> None:
    assert owner_client.get(f"/s/{fork.slug}/edit/").status_code == 200
    assert other_client.get(f"/s/{fork.slug}/edit/").status_code == 403


# --- forms ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_saves_link_rate_delay_file_size_and_kinds(fork: Scenario, key_client: Client) -> None:
    data = settings_data(
        fork,
        {
            "link-internet-rate_mbps": 2,
            "link-internet-delay_ms": 40,
            "flow-download-size_mb": 5,
            "tunnel-bo-ho-kind": "nem",
            "node-ho-server-tcp_profile": "windows",
            "node-bo-asa-version": "8.4(2)",
        },
    )

    response = key_client.post(f"/s/{fork.slug}/edit/", data)

    assert response.status_code == 302
    assert response["Location"] == f"/s/{fork.slug}/edit/?saved=settings"
    d = specs.scenario_to_dict(Scenario.objects.get(pk=fork.pk))
    internet = d["topology"]["links"][1]
    assert (internet["rate_bps"], internet["delay_us"]) == (2_000_000, 40_000)
    assert d["flows"][0]["size_bytes"] == 5_000_000
    assert d["topology"]["tunnels"][0]["kind"] == "nem"
    assert d["topology"]["nodes"][3]["tcp_profile"] == "windows"
    assert d["topology"]["nodes"][1]["version"] == "8.4(2)"
    page = key_client.get(f"/s/{fork.slug}/edit/").content.decode()
    assert "internet: rate (Mbit/s)" in page and 'name="link-internet-rate_mbps" value="2"' in page


@pytest.mark.django_db
def test_it_shows_an_error_next_to_a_bad_rate_and_saves_nothing(
    fork: Scenario, key_client: Client
) -> None:
    before = specs.scenario_to_dict(fork)
    data = settings_data(fork, {"link-internet-rate_mbps": 0.00001, "flow-download-size_mb": 7})

    response = key_client.post(f"/s/{fork.slug}/edit/", data)

    assert response.status_code == 422
    html = response.content.decode()
    errors = html[html.index('id="id_link-internet-rate_mbps-errors"') :][:300]
    assert "greater than or equal to 0.008" in errors
    assert specs.scenario_to_dict(Scenario.objects.get(pk=fork.pk)) == before


@pytest.mark.django_db
def test_it_reports_an_engine_refusal_naming_the_node(fork: Scenario, key_client: Client) -> None:
    before = specs.scenario_to_dict(fork)
    data = settings_data(fork, {"node-ho-asa-platform": "vpn3000"})

    response = key_client.post(f"/s/{fork.slug}/edit/", data)

    assert response.status_code == 422
    assert "node &#x27;ho-asa&#x27;" in response.content.decode()
    assert specs.scenario_to_dict(Scenario.objects.get(pk=fork.pk)) == before


@pytest.mark.django_db
def test_it_returns_only_the_section_for_htmx_and_asks_for_a_redraw(
    fork: Scenario, key_client: Client
) -> None:
    data = settings_data(fork, {"link-internet-delay_ms": 30})

    response = key_client.post(f"/s/{fork.slug}/edit/", data, **HX)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.strip().startswith('<section id="settings_section"')
    assert "Saved." in html
    assert response["HX-Trigger"] == '{"topology-changed": {}}'
    assert "30 ms" in key_client.get(f"/s/{fork.slug}/topology/").content.decode()


@pytest.mark.django_db
def test_it_returns_the_section_with_errors_for_htmx(fork: Scenario, key_client: Client) -> None:
    data = settings_data(fork, {"link-internet-delay_ms": -1})

    response = key_client.post(f"/s/{fork.slug}/edit/", data, **HX)

    assert response.status_code == 200  # htmx swaps 2xx only
    html = response.content.decode()
    assert "<html" not in html and "greater than or equal to 0" in html
    assert "HX-Trigger" not in response


@pytest.mark.django_db
def test_it_renders_the_full_editor(fork: Scenario, key_client: Client) -> None:
    response = key_client.get(f"/s/{fork.slug}/edit/")

    html = response.content.decode()
    assert "<html" in html
    for section in ("settings", "outages", "configs", "events"):
        assert f'<section id="{section}_section"' in html
    assert '<figure id="topology"' in html
    assert 'hx-post="/s/' in html and "/edit/validate/" in html
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_it_rewrites_the_outage_schedule(fork: Scenario, key_client: Client) -> None:
    rows = [
        {"start_s": 100, "duration_s": 30, "cause": "cut", "link": "internet", "device": ""},
        {"start_s": 300, "duration_s": "", "cause": "clear_sa", "link": "", "device": "bo-asa"},
        {"start_s": 500, "duration_s": 20, "cause": "shutdown", "link": "", "device": "ho-asa"},
    ]

    response = key_client.post(f"/s/{fork.slug}/edit/", outage_data(rows, initial=1))

    assert response.status_code == 302
    assert Scenario.objects.get(pk=fork.pk).events == [
        {"at_s": 100, "do": "cut", "link": "internet", "for_s": 30},
        {"at_s": 300, "do": "clear_ipsec_sa", "device": "bo-asa"},
        {
            "at_s": 500,
            "do": "cli",
            "device": "ho-asa",
            "lines": ["configure terminal", "interface Ethernet0/0", "shutdown"],
        },
        {
            "at_s": 520,
            "do": "cli",
            "device": "ho-asa",
            "lines": ["configure terminal", "interface Ethernet0/0", "no shutdown"],
        },
    ]
    html = key_client.get(f"/s/{fork.slug}/edit/").content.decode()
    assert html.count('<fieldset class="outage">') == 4  # three outages and an empty row


@pytest.mark.django_db
def test_it_refuses_a_cut_without_a_link(fork: Scenario, key_client: Client) -> None:
    rows = [{"start_s": 100, "duration_s": 30, "cause": "cut", "link": "", "device": ""}]

    response = key_client.post(f"/s/{fork.slug}/edit/", outage_data(rows, initial=1))

    assert response.status_code == 422
    assert "a path cut needs the link to cut" in response.content.decode()
    assert Scenario.objects.get(pk=fork.pk).events == fork.events


@pytest.mark.django_db
def test_it_shows_config_errors_by_line_number_and_saves_nothing(
    fork: Scenario, key_client: Client
) -> None:
    d = specs.scenario_to_dict(fork)
    bo = list(d["topology"]["nodes"][1]["config"])
    ho = list(d["topology"]["nodes"][2]["config"])
    bo[21] = "timeout conn 0:00:10"
    data = {"action": "configs", "config-bo-asa": "\n".join(bo), "config-ho-asa": "\n".join(ho)}

    response = key_client.post(f"/s/{fork.slug}/edit/", data)

    assert response.status_code == 422
    html = response.content.decode()
    errors = html[html.index('id="id_config-bo-asa-errors"') :][:600]
    assert "line 22: ERROR: timeout value 0:00:10 is below the minimum 5 minutes" in errors
    assert "line 5: kept but not simulated: names" in errors
    assert specs.scenario_to_dict(Scenario.objects.get(pk=fork.pk)) == d


@pytest.mark.django_db
def test_it_saves_a_config_change(fork: Scenario, key_client: Client) -> None:
    d = specs.scenario_to_dict(fork)
    bo = [*d["topology"]["nodes"][1]["config"], "sysopt connection preserve-vpn-flows"]
    data = {
        "action": "configs",
        "config-bo-asa": "\n".join(bo),
        "config-ho-asa": "\n".join(d["topology"]["nodes"][2]["config"]),
    }

    assert key_client.post(f"/s/{fork.slug}/edit/", data).status_code == 302
    node = Scenario.objects.get(pk=fork.pk).topology.nodes.get(key="bo-asa")
    assert node.config.endswith("sysopt connection preserve-vpn-flows")


@pytest.mark.django_db
def test_it_validates_the_raw_event_script(fork: Scenario, key_client: Client) -> None:
    url = f"/s/{fork.slug}/edit/"
    bad_json = key_client.post(url, {"action": "events", "events": '[{"at_s": 1'})
    not_list = key_client.post(url, {"action": "events", "events": "{}"})
    no_do = key_client.post(url, {"action": "events", "events": '[{"at_s": 5}]'})
    good = key_client.post(
        url,
        {
            "action": "events",
            "events": '[{"at_s": 5, "do": "clear_isakmp_sa", "device": "bo-asa"}]',
        },
    )

    assert bad_json.status_code == 422 and "not valid JSON" in bad_json.content.decode()
    assert not_list.status_code == 422 and "must be a JSON list" in not_list.content.decode()
    assert no_do.status_code == 422
    assert "event 1 (at 5 s): events[0].do: is required" in no_do.content.decode()
    assert good.status_code == 302
    assert Scenario.objects.get(pk=fork.pk).events == [
        {"at_s": 5, "do": "clear_isakmp_sa", "device": "bo-asa"}
    ]


@pytest.mark.django_db
def test_it_rejects_an_unknown_form(fork: Scenario, key_client: Client) -> None:
    assert key_client.post(f"/s/{fork.slug}/edit/", {"action": "nope"}).status_code == 400
