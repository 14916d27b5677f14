"""The import page /import/: two ASA running configs (or a scenario JSON) -> a new copy."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from lab import specs
from lab.scenarios.models import Scenario
from tests.scenarios.conftest import default_drop_configs


@pytest.mark.django_db
def test_it_renders_the_page(anonymous: Client) -> None:
    response = anonymous.get("/import/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in html
    assert 'name="bo_text"' in html and 'name="ho_file"' in html and 'name="json_file"' in html
    assert "csrfmiddlewaretoken" in html


@pytest.mark.django_db
def test_it_builds_a_four_node_scenario_from_the_default_drop_configs(
    anonymous: Client,
) -> None:
    bo, ho = default_drop_configs()

    response = anonymous.post("/import/", {"action": "configs", "bo_text": bo, "ho_text": ho})

    scenario = Scenario.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/s/{scenario.slug}/edit/"
    assert scenario.origin == Scenario.IMPORT and scenario.edit_key
    topology = scenario.topology
    assert list(topology.nodes.values_list("key", flat=True)) == [
        "bo-pc",
        "bo-asa",
        "ho-asa",
        "ho-server",
    ]
    assert topology.nodes.get(key="bo-pc").address == "10.0.0.100"
    assert topology.nodes.get(key="ho-server").address == "10.1.1.10"
    assert list(topology.tunnels.values_list("key", "a", "b", "kind")) == [
        ("bo-ho", "bo-asa", "ho-asa", "l2l")
    ]
    assert list(topology.links.values_list("key", flat=True)) == [
        "bo-inside",
        "internet",
        "ho-inside",
    ]
    assert scenario.events == [{"at_s": 120, "do": "cut", "link": "internet", "for_s": 60}]
    assert scenario.flows[0]["id"] == "download"
    specs.engine_scenario(scenario)
    edit = anonymous.get(response["Location"]).content.decode()
    assert "BO names: 1 line(s) kept (line 5)" in edit  # kept lines grouped by section
    assert f"?key={scenario.edit_key}" in edit


@pytest.mark.django_db
def test_it_accepts_uploaded_files(owner_client: Client) -> None:
    bo, ho = default_drop_configs()
    data = {
        "action": "configs",
        "bo_file": SimpleUploadedFile("bo.cfg", bo.encode()),
        "ho_file": SimpleUploadedFile("ho.cfg", ho.encode()),
    }

    assert owner_client.post("/import/", data).status_code == 302
    assert Scenario.objects.get().owner.username == "owner"


@pytest.mark.django_db
def test_it_shows_the_line_number_of_a_bad_line_and_creates_nothing(anonymous: Client) -> None:
    bo, ho = default_drop_configs()
    lines = ho.split("\n")
    lines[9] = " ip address 209.165.200.300 255.255.255.248"

    response = anonymous.post(
        "/import/", {"action": "configs", "bo_text": bo, "ho_text": "\n".join(lines)}
    )

    assert response.status_code == 422
    html = response.content.decode()
    report = html[html.index('id="ho-errors"') :][:500]
    assert "line 10: ERROR: % Invalid input detected" in report
    assert 'id="bo-errors"' not in html
    assert not Scenario.objects.exists()


@pytest.mark.django_db
def test_it_needs_both_configs(anonymous: Client) -> None:
    bo, _ = default_drop_configs()

    response = anonymous.post("/import/", {"action": "configs", "bo_text": bo})

    assert response.status_code == 422
    assert "paste or upload this ASA&#x27;s running config" in response.content.decode()
    assert not Scenario.objects.exists()


@pytest.mark.django_db
def test_it_reports_an_invalid_scenario_json(anonymous: Client) -> None:
    response = anonymous.post("/import/", {"action": "json", "json_text": '{"slug": "x"}'})

    assert response.status_code == 422
    assert "topology: is required" in response.content.decode()
    assert not Scenario.objects.exists()


NINE = (Path(__file__).parents[1] / "engine" / "fixtures" / "configs").joinpath


@pytest.mark.django_db
def test_kept_lines_are_grouped_by_section_and_collapsed(anonymous: Client) -> None:
    bo, _ = default_drop_configs()
    bo = bo.replace("hostname BO-ASA", "hostname BO-ASA\ncrypto isakmp policy 10 lifetime 5")
    ho = NINE("asa98-ho.cfg").read_text(encoding="utf-8")

    response = anonymous.post("/import/", {"action": "configs", "bo_text": bo, "ho_text": ho})

    assert response.status_code == 422  # BO's bad line; HO's report is shown all the same
    html = response.content.decode()
    report = html[html.index('id="ho-warnings"') :]
    assert "<summary>policy-map: 12 line(s) kept but not simulated</summary>" in report
    assert "<summary>call-home: 9 line(s) kept but not simulated</summary>" in report
    assert "the pre-shared key is masked (*****)" in report  # a note, shown open


@pytest.mark.django_db
def test_the_same_config_twice_is_named_after_the_import(anonymous: Client) -> None:
    bo, _ = default_drop_configs()

    response = anonymous.post("/import/", {"action": "configs", "bo_text": bo, "ho_text": bo})

    assert response.status_code == 302  # still built: the run shows what the pair does
    edit = anonymous.get(response["Location"]).content.decode()
    assert "the same config twice cannot build a tunnel with itself" in edit
