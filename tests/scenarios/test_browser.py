"""What a user sees in a real browser: the library, the scenario page, the editor.

Headless Debian Chromium (`/usr/bin/chromium`) driven by Playwright against pytest-django's
live server. Screenshots go to tests/artifacts/ for a human to look at. Without chromium
these tests fail and say how to install it; they never skip.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from lab.engine.library import BUILTIN_SLUGS
from lab.scenarios.models import Scenario

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(chromium: Browser) -> Browser:
    return chromium


@pytest.fixture
def site(browser: Browser, live_server: Any, transactional_db: Any) -> str:
    """The live server's URL, with the built-ins loaded."""
    call_command("loadscenarios", stdout=io.StringIO())
    return str(live_server.url)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    yield p
    context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def boxes_overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_it_lists_the_builtins_and_filters_by_topic(site: str, page: Page) -> None:
    page.goto(site + "/")

    cards = page.locator("#scenario-list article.card")
    expect(cards).to_have_count(len(BUILTIN_SLUGS) + 8)  # built-ins and challenges
    expect(page.locator("#card-default-drop h3")).to_have_text(
        Scenario.objects.get(slug="default-drop").title
    )
    expect(
        page.locator("#card-default-drop").get_by_role("button", name="Start lab")
    ).to_be_visible()
    shot(page, "library")

    page.select_option("#filter-topic", "timers")  # htmx swaps the list on change

    expect(cards).to_have_count(2)
    expect(page.locator("#card-long-haul")).to_be_visible()
    expect(page.locator("#card-default-drop")).to_have_count(0)
    assert page.url.endswith("/?topic=timers")
    shot(page, "library-timers")


def test_it_hides_the_expected_outcome_until_revealed(site: str, page: Page) -> None:
    page.goto(site + "/s/default-drop/")
    outcome = page.get_by_text("The download flow is aborted")

    expect(outcome).to_be_hidden()
    page.get_by_text("Predict first, then reveal the expected outcome").click()

    expect(outcome).to_be_visible()
    expect(page.get_by_text("it does not resume after the outage")).to_be_visible()
    shot(page, "scenario-default-drop-revealed")


@pytest.mark.parametrize(
    ("slug", "bo", "ho"),
    [
        ("default-drop", "bo-asa", "ho-asa"),
        ("non-cisco-peer", "bo-asa", "ho-gw"),
        ("ra-client-mode", "bo-ezvpn", "ho-asa"),
        ("anyconnect", "bo-anyconnect", "ho-asa"),
    ],
)
def test_it_draws_bo_left_ho_right_and_the_tunnel_over_the_cloud(
    site: str, page: Page, slug: str, bo: str, ho: str
) -> None:
    page.goto(f"{site}/s/{slug}/")
    svg = page.locator("svg.topology")
    expect(svg).to_be_visible()

    def box(selector: str) -> dict[str, float]:
        found = page.locator(selector).first.bounding_box()
        assert found is not None, selector
        return found

    bo_pc, bo_gw = box("#topology-node-bo-pc rect"), box(f"#topology-node-{bo} rect")
    ho_gw, server = box(f"#topology-node-{ho} rect"), box("#topology-node-ho-server rect")
    assert bo_pc["x"] < bo_gw["x"] < ho_gw["x"] < server["x"]
    cloud, tunnel = box("svg.topology .cloud"), box("svg.topology .tunnel-pipe")
    assert bo_gw["x"] < cloud["x"] and cloud["x"] + cloud["width"] < ho_gw["x"] + ho_gw["width"]
    assert tunnel["y"] < cloud["y"]  # the arc rises over the internet cloud
    texts = [t for t in svg.locator("text").all() if t.bounding_box()]
    rects = [box(f"#topology-node-{n} rect") for n in ("bo-pc", bo, ho, "ho-server")]
    for i, t in enumerate(texts):
        tb = t.bounding_box()
        assert tb is not None
        for other in texts[i + 1 :]:
            ob = other.bounding_box()
            assert ob is not None
            assert not boxes_overlap(tb, ob), (t.text_content(), other.text_content())
        inside = [r for r in rects if boxes_overlap(tb, r)]
        for r in inside:  # a text touching a box lies wholly inside it
            assert r["x"] <= tb["x"] and tb["x"] + tb["width"] <= r["x"] + r["width"] + 0.5, (
                t.text_content()
            )
    shot(page, f"scenario-{slug}")


def test_it_keeps_the_picture_readable_on_a_phone(site: str, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(site + "/s/default-drop/")

    label = page.locator("#topology-node-bo-asa .node-label").bounding_box()
    figure = page.locator("#topology").bounding_box()

    assert label is not None and figure is not None
    assert label["height"] >= 12  # the picture scrolls sideways rather than shrink to specks
    assert figure["x"] + figure["width"] <= 390  # the page itself does not scroll sideways
    shot(page, "scenario-default-drop-phone")
    page.goto(site + "/")
    shot(page, "library-phone")
    context.close()


def test_it_forks_edits_and_redraws_the_picture(site: str, page: Page) -> None:
    page.goto(site + "/s/default-drop/")
    page.get_by_role("button", name="Fork (edit a copy)").click()
    expect(page.get_by_role("heading", name="Your copy is ready")).to_be_visible()
    fork = Scenario.objects.get(origin=Scenario.FORK)
    assert page.url == f"{site}/s/{fork.slug}/edit/"

    rate = page.locator("#id_link-internet-rate_mbps")
    rate.fill("0.001")
    rate.dispatch_event("change")  # validated on change, nothing saved
    expect(page.locator("#id_link-internet-rate_mbps-errors")).to_contain_text(
        "greater than or equal to 0.008"
    )
    rate.fill("2")
    page.locator("#id_link-internet-delay_ms").fill("45")
    page.locator("#settings_section").get_by_role("button", name="Save").click()

    expect(page.locator("#settings_section .saved")).to_have_text("Saved.")
    expect(page.locator("#topology svg")).to_contain_text("2 Mb/s · 45 ms")  # redrawn
    link = Scenario.objects.get(pk=fork.pk).topology.links.get(key="internet")
    assert (link.rate_bps, link.delay_us) == (2_000_000, 45_000)
    shot(page, "editor-saved-settings")


def test_it_adds_and_removes_timed_commands(site: str, page: Page) -> None:
    page.goto(site + "/s/default-drop/")
    page.get_by_role("button", name="Fork (edit a copy)").click()
    fork = Scenario.objects.get(origin=Scenario.FORK)
    section = page.locator("#timeline_section")

    row = section.locator("fieldset.event").last
    row.locator("[name$='-at_s']").fill("300")
    row.locator("[name$='-do']").select_option("set_sysopt")
    expect(row.locator(".f-lines")).to_be_hidden()  # only the fields set_sysopt uses
    expect(row.locator(".f-link")).to_be_hidden()
    row.locator("[name$='-device']").select_option("ho-asa")
    row.locator("[name$='-option']").select_option("preserve-vpn-flows")
    row.locator("[name$='-enabled']").select_option("on")
    section.get_by_role("button", name="Add a command").click()  # unsaved row kept
    expect(section.locator("fieldset.event")).to_have_count(2)
    second = section.locator("fieldset.event").last
    second.locator("[name$='-at_s']").fill("400")
    second.locator("[name$='-do']").select_option("cli")
    second.locator("[name$='-device']").select_option("bo-asa")
    second.locator("[name$='-lines']").fill("show crypto ipsec sa\nshow conn")
    section.get_by_role("button", name="Save the commands").click()

    expect(section.locator(".saved")).to_have_text("Saved.")
    expect(page.locator("#events_section textarea")).to_contain_text("preserve-vpn-flows")
    events = Scenario.objects.get(pk=fork.pk).events
    assert {"at_s": 300, "do": "set_sysopt", "device": "ho-asa"} | {
        "option": "preserve-vpn-flows",
        "enabled": True,
    } in events
    assert {
        "at_s": 400,
        "do": "cli",
        "device": "bo-asa",
        "lines": ["show crypto ipsec sa", "show conn"],
    } in events
    shot(page, "editor-timed-commands")

    section.locator("fieldset.event").first.get_by_label("Remove this command").check()
    with page.expect_response(lambda r: r.request.method == "POST" and "/edit/" in r.url):
        section.get_by_role("button", name="Save the commands").click()

    expect(section.locator("fieldset.event")).to_have_count(2)  # one left and a new row
    events = Scenario.objects.get(pk=fork.pk).events
    assert [e["do"] for e in events] == ["cut", "cli"]
