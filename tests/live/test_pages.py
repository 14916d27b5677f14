"""Start a run, open it by its control or watch link, embed it, and its recording."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from lab.live import tokens
from lab.live.models import Run

pytestmark = pytest.mark.django_db


@pytest.fixture
def builtins(db: Any) -> None:
    call_command("loadscenarios", stdout=io.StringIO())


def start(client: Client, slug: str = "default-drop") -> Run:
    response = client.post(f"/s/{slug}/start/")
    assert response.status_code == 302
    run = Run.objects.get()
    assert response["Location"] == f"/runs/{run.id}/"
    return run


def test_it_starts_a_run_from_a_frozen_copy_of_the_scenario(builtins: None) -> None:
    client = Client()
    run = start(client)
    assert run.spec["slug"] == "default-drop" and run.seed == 1
    assert run.scenario is not None and run.scenario.slug == "default-drop"
    html = client.get(f"/runs/{run.id}/").content.decode()
    assert "you control this run" in html
    assert 'ws-connect="/ws/runs/' in html
    assert 'role="progressbar"' in html
    assert (
        "Preserve stateful VPN flows when the tunnel drops for Network Extension Mode (NEM)" in html
    )
    assert 'class="terminal-input"' in html
    assert "inert" not in html.split('class="controls-wrap"')[1][:20]


def test_it_refuses_get_on_start(builtins: None) -> None:
    assert Client().get("/s/default-drop/start/").status_code == 405
    assert Client().post("/s/no-such-scenario/start/").status_code == 404


def test_the_control_link_moves_into_the_session_and_out_of_the_address_bar(
    builtins: None,
) -> None:
    owner = Client()
    run = start(owner)
    token = owner.session["lab_run_keys"][run.id]
    laptop = Client()
    assert laptop.get(f"/runs/{run.id}/").status_code == 403  # another browser, no link
    response = laptop.get(f"/runs/{run.id}/?key={token}")
    assert response.status_code == 302 and response["Location"] == f"/runs/{run.id}/"
    assert "you control this run" in laptop.get(f"/runs/{run.id}/").content.decode()


def test_a_watch_link_shows_the_run_read_only(builtins: None) -> None:
    owner = Client()
    run = start(owner)
    html = owner.get(f"/runs/{run.id}/").content.decode()
    watch_link = re.search(r'value="(http://testserver/runs/[^"]+)" aria-label="watch link"', html)
    assert watch_link
    link = watch_link.group(1).replace("&amp;", "&")
    student = Client()
    response = student.get(link)
    assert response.status_code == 302 and response["Location"] == f"/runs/{run.id}/"
    page = student.get(f"/runs/{run.id}/").content.decode()
    assert "watching (read-only)" in page
    assert 'class="controls-wrap" inert' in page
    assert 'class="terminal-input"' not in page
    assert 'aria-label="control link"' not in page


def test_a_wrong_or_missing_key_is_refused(builtins: None) -> None:
    run = start(Client())
    assert Client().get(f"/runs/{run.id}/?key=wrong").status_code == 403
    assert Client().get(f"/runs/{run.id}/").status_code == 403
    assert Client().get("/runs/nope/").status_code == 404


def test_embed_keeps_the_key_allows_framing_and_drops_the_site_chrome(builtins: None) -> None:
    owner = Client()
    run = start(owner)
    token = owner.session["lab_run_keys"][run.id]
    watch = tokens.watch_token(token)
    response = Client().get(f"/runs/{run.id}/?key={watch}&embed=1")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    html = response.content.decode()
    assert "site-header" not in html
    assert f'ws-connect="/ws/runs/{run.id}/?key={watch}"' in html
    normal = owner.get(f"/runs/{run.id}/")
    assert normal["X-Frame-Options"] == "DENY"


def test_presenter_mode_keeps_its_flag_through_the_key_redirect(builtins: None) -> None:
    owner = Client()
    run = start(owner)
    watch = tokens.watch_token(owner.session["lab_run_keys"][run.id])
    student = Client()
    response = student.get(f"/runs/{run.id}/?key={watch}&present=1")
    assert response["Location"] == f"/runs/{run.id}/?present=1"
    assert 'class="run presenter"' in student.get(response["Location"]).content.decode()


def test_the_recording_page_needs_a_link_too(builtins: None) -> None:
    owner = Client()
    run = start(owner)
    html = owner.get(f"/runs/{run.id}/recording/").content.decode()
    assert f'ws-connect="/ws/runs/{run.id}/recording/"' in html
    assert 'id="seek"' in html
    assert Client().get(f"/runs/{run.id}/recording/").status_code == 403


def test_the_capture_downloads_a_pcap_and_its_esp_keys(builtins: None) -> None:
    owner = Client()
    run = start(owner)
    html = owner.get(f"/runs/{run.id}/").content.decode()
    assert f'action="/runs/{run.id}/capture/"' in html
    response = owner.get(f"/runs/{run.id}/capture/?link=internet&from_s=0&to_s=5&format=pcap")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-internet.pcap"')
    assert response.content[:4] == bytes.fromhex("d4c3b2a1")  # libpcap, little-endian
    keys = owner.get(f"/runs/{run.id}/capture/?link=internet&from_s=0&to_s=5&format=esp_sa")
    assert keys.status_code == 200
    assert keys.content.decode().count('"IPv4"') >= 2  # one SA each way


def test_the_capture_says_what_is_wrong_with_the_window(builtins: None) -> None:
    owner = Client()
    run = start(owner)
    cases = [
        ("link=moon&from_s=0&to_s=5", "choose one of bo-inside, internet, ho-inside"),
        ("link=internet&from_s=x&to_s=5", "H:MM:SS"),
        ("link=internet&from_s=9&to_s=5", "must be after the start"),
        ("link=internet&from_s=0&to_s=500", "60 s"),
        ("link=ho-inside&from_s=0&to_s=5&format=esp_sa", "no ESP"),
    ]
    for query, message in cases:
        response = owner.get(f"/runs/{run.id}/capture/?{query}")
        assert response.status_code == 400, query
        assert message in response.content.decode(), (query, message)
    assert Client().get(f"/runs/{run.id}/capture/?link=internet").status_code == 403


def test_the_capture_window_is_given_as_on_the_clock(builtins: None) -> None:
    owner = Client()
    run = start(owner)
    response = owner.get(f"/runs/{run.id}/capture/?link=internet&from_s=0:00:00&to_s=0:00:05")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.tcpdump.pcap"
    html = owner.get(f"/runs/{run.id}/").content.decode()
    assert 'name="from_s" value="0:00:00"' in html


def test_tab_completes_a_word_with_the_device_cli(builtins: None) -> None:
    owner = Client()
    run = start(owner)
    url = f"/runs/{run.id}/complete/"
    assert owner.get(url, {"device": "bo-asa", "line": "ena"}).json() == {"line": "enable "}
    assert owner.get(url, {"device": "bo-asa", "line": "e"}).json() == {
        "line": None
    }  # enable, exit
    assert owner.get(url, {"device": "moon", "line": "ena"}).status_code == 400
    assert Client().get(url, {"device": "bo-asa", "line": "ena"}).status_code == 403
