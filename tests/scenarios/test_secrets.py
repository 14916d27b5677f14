"""Secrets of an imported config: masked for anyone without the edit key, as the ASA
prints them, in the export and in the runs such a visitor starts; kept for the owner."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from lab.engine.library import builtin_dict
from lab.live.models import Run
from lab.scenarios.models import Scenario
from lab.scenarios.secrets import mask_line, masked

PSK = "Sup3rS3cret!"
HASH = "8Ry2YjIyt7RRXU24"


def test_it_masks_keys_and_passwords_but_keeps_two_equal_keys_equal() -> None:
    assert mask_line(f" pre-shared-key {PSK}").startswith(" pre-shared-key masked-")
    assert mask_line(f" ikev1 pre-shared-key {PSK}") == (
        " ikev1 pre-shared-key " + mask_line(f" pre-shared-key {PSK}").split()[-1]
    )
    assert mask_line(f"enable password {HASH} encrypted") == "enable password ***** encrypted"
    assert mask_line(f"passwd {HASH} encrypted") == "passwd ***** encrypted"
    assert mask_line("username admin password x1 privilege 15") == (
        "username admin password ***** encrypted privilege 15"
    )
    assert mask_line("isakmp key abc address 1.2.3.4") != "isakmp key abc address 1.2.3.4"
    assert mask_line("hostname BO-ASA") == "hostname BO-ASA"
    assert mask_line(" pre-shared-key a") != mask_line(" pre-shared-key b")  # a mismatch stays


def secret_dict() -> dict[str, Any]:
    d = builtin_dict("default-drop")
    d["slug"] = "secret-copy"
    for node in d["topology"]["nodes"]:
        if node.get("config"):
            node["config"] = [
                f" pre-shared-key {PSK}" if line == " pre-shared-key cisco123" else line
                for line in node["config"]
            ] + [f"enable password {HASH} encrypted"]
    return d


@pytest.fixture
def imported(db: Any) -> tuple[Client, Scenario]:
    owner = Client()
    response = owner.post("/import/", {"action": "json", "json_text": json.dumps(secret_dict())})
    assert response.status_code == 302
    slug = response["Location"].split("/")[2]
    return owner, Scenario.objects.get(slug=slug)


@pytest.mark.django_db
def test_the_export_is_masked_for_a_visitor_and_whole_for_the_owner(
    imported: tuple[Client, Scenario],
) -> None:
    owner, scenario = imported
    url = f"/s/{scenario.slug}/export.json"
    visitor_text = Client().get(url).content.decode()
    assert PSK not in visitor_text and HASH not in visitor_text
    assert "enable password ***** encrypted" in visitor_text
    owner_text = owner.get(url).content.decode()
    assert PSK in owner_text and HASH in owner_text


@pytest.mark.django_db
def test_a_visitors_run_holds_no_secret_and_its_tunnel_still_comes_up(
    imported: tuple[Client, Scenario],
) -> None:
    _, scenario = imported
    visitor = Client()
    visitor.post(f"/s/{scenario.slug}/start/")
    run = Run.objects.get(scenario=scenario)
    text = json.dumps(run.spec)
    assert PSK not in text and HASH not in text
    from lab.engine.run import rebuild

    rt = rebuild(run.spec, run.seed, [], 60_000_000)
    assert rt.sim.tunnels["bo-ho"].state == "up"
    assert masked(run.spec) == run.spec  # nothing left to mask: masking is idempotent


@pytest.mark.django_db
def test_the_import_page_warns_about_secrets() -> None:
    html = Client().get("/import/").content.decode()
    assert "Pre-shared keys" in html and "*****" in html
