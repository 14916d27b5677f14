"""The run websocket: tokens, frames, the schema, the action log, replay."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from lab.live import host
from lab.live.models import Run, RunAction

from .conftest import Client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("stop_hosts")]


async def test_it_refuses_a_socket_without_a_valid_token(run_and_token: tuple[Run, str]) -> None:
    run, _ = run_and_token
    for key in (None, "wrong", "x" * 500):
        connected, code = await Client(run.id, key).connect()
        assert not connected and code == 4403


async def test_it_sends_regions_then_progress_to_a_new_watcher(watch: Client) -> None:
    assert (await watch.connect())[0]
    await watch.until(lambda c: c.html and c.progress)
    first = watch.html[0]
    for region in ('id="topology"', 'id="download"', 'id="controls"', 'id="dev-bo-asa-terminal"'):
        assert region in first
    assert watch.progress[0]["flows"][0]["id"] == "download"
    await watch.close()


async def test_a_watch_token_can_never_act(watch: Client, run_and_token: tuple[Run, str]) -> None:
    run, _ = run_and_token
    await watch.connect()
    for msg in (
        {"action": "cut", "link": "internet", "for_s": 5},
        {"action": "type", "device": "bo-asa", "line": "enable"},
        {"action": "speed", "speed": "max"},
        {"action": "reset"},
        {
            "action": "set_sysopt",
            "device": "bo-asa",
            "option": "preserve-vpn-flows",
            "enabled": True,
        },
    ):
        assert "watch link" in await watch.refused(**msg)
    assert await RunAction.objects.filter(run=run).acount() == 0
    await watch.close()


async def test_bad_messages_get_an_error_frame_and_the_socket_survives(control: Client) -> None:
    await control.connect()
    await control.ws.send_to(text_data="not json")
    await control.until(lambda c: c.errors)
    assert control.errors[-1] == "not valid JSON"
    cases = [
        ({"action": "explode"}, "unknown action 'explode'"),
        ({"action": "cut"}, "cut: missing field 'link'"),
        ({"action": "cut", "link": "internet", "for_s": "soon"}, "cut.for_s: expected a number"),
        ({"action": "cut", "link": "internet", "evil": 1}, "cut: unknown field 'evil'"),
        ({"action": "cut", "link": "nowhere"}, "no link 'nowhere'"),
        ({"action": "type", "device": "bo-asa", "line": "x" * 600}, "at most 512"),
        ({"action": "clear_ipsec_sa", "device": "bo-asa", "peer": "not-an-ip"}, "IPv4"),
    ]
    for msg, expected in cases:
        error = await control.refused(**msg)
        assert expected in error, (msg, error)
    await control.ws.send_to(text_data="[" * 5000)
    await control.until(lambda c: len(c.errors) > len(cases) + 1)
    assert "at most 4096 bytes" in control.errors[-1]
    # still alive: a good action works
    await control.send(action="type", device="bo-asa", line="enable")
    await control.until(lambda c: "BO-ASA> enable" in c.terminal("bo-asa"))
    await control.close()


async def test_actions_are_logged_and_a_typed_line_answers_in_the_terminal(
    control: Client, run_and_token: tuple[Run, str]
) -> None:
    run, _ = run_and_token
    await control.connect()
    for line in ("enable", "", "show conn count"):  # no enable password: Enter at Password:
        await control.send(action="type", device="bo-asa", line=line)
    await control.until(lambda c: "BO-ASA# show conn count" in c.terminal("bo-asa"))
    assert "in use, " in control.terminal("bo-asa").split("show conn count")[1]
    logged = [a.action async for a in RunAction.objects.filter(run=run).order_by("seq")]
    assert logged == [
        {"do": "type", "device": "bo-asa", "line": "enable"},
        {"do": "type", "device": "bo-asa", "line": ""},
        {"do": "type", "device": "bo-asa", "line": "show conn count"},
    ]
    await control.close()


async def test_the_sysopt_checkbox_changes_the_config_and_shows_the_cli_it_sent(
    control: Client,
) -> None:
    await control.connect()
    await control.send(
        action="set_sysopt", device="ho-asa", option="preserve-vpn-flows", enabled="on"
    )
    await control.until(
        lambda c: any('data-control="preserve-ho-asa" checked' in h for h in c.html)
    )
    await control.until(
        lambda c: "HO-ASA(config)# sysopt connection preserve-vpn-flows" in c.terminal("ho-asa")
    )
    await control.close()


async def test_at_max_speed_the_default_drop_download_fails_and_replay_agrees(
    control: Client, run_and_token: tuple[Run, str]
) -> None:
    run, _ = run_and_token
    await control.connect()
    await control.send(action="speed", speed="max")
    await control.until(
        lambda c: c.progress and c.progress[-1]["flows"][0]["state"] == "failed", timeout_s=30
    )
    await control.send(action="speed", speed="paused")
    await control.until(lambda c: c.progress[-1]["speed"] == "paused")
    live = control.progress[-1]
    assert "106015" in live["flows"][0]["label"]
    times = [p["t_us"] for p in control.progress]
    assert times == sorted(times)
    await host.stop_all()  # releases the lease and saves the clock
    saved = await Run.objects.aget(pk=run.id)
    assert saved.lease_owner == "" and not saved.clock_running
    replayed = await sync_to_async(host.rebuild_run)(saved)
    from lab.live import present

    again = present.progress(replayed, epoch=saved.epoch, speed=saved.speed)
    assert again["t_us"] == saved.sim_t_us
    assert again["flows"][0]["label"] == live["flows"][0]["label"]
    assert again["flows"][0]["bytes"] == live["flows"][0]["bytes"]
    await control.close()


async def test_a_run_nobody_watches_pauses_lets_go_and_resumes_by_replay(
    control: Client, run_and_token: tuple[Run, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run, token = run_and_token
    monkeypatch.setattr(host, "IDLE_S", 0.6)
    await control.connect()
    await control.send(action="type", device="bo-asa", line="enable")
    await control.until(lambda c: "Password:" in c.terminal("bo-asa"))
    (loop,) = [t for t in asyncio.all_tasks() if t.get_name() == f"run-host-{run.id}"]
    await control.close()
    await asyncio.wait_for(loop, 10)  # the stepping loop ends by itself
    slept = await Run.objects.aget(pk=run.id)
    assert slept.lease_owner == "" and not slept.clock_running
    # Opening it again replays the log: the terminal is where it was, the clock goes on.
    again = Client(run.id, token)
    await again.connect()
    await again.until(lambda c: "Password:" in c.terminal("bo-asa") and c.progress)
    assert again.progress[-1]["t_us"] >= slept.sim_t_us
    assert host.owned_here() == [run.id]
    await again.close()


async def test_the_in_memory_layer_still_expires_messages_when_it_sweeps_once_a_second() -> None:
    from lab.live.layer import SweepingInMemoryChannelLayer

    layer = SweepingInMemoryChannelLayer(expiry=0)
    await layer.send("a.inmemory!x", {"type": "t"})
    layer.swept_at = 0.0  # the next call sweeps
    layer._clean_expired()
    assert "a.inmemory!x" not in layer.channels


async def test_step_jumps_a_paused_run_to_its_next_event(control: Client) -> None:
    await control.connect()
    await control.send(action="speed", speed="paused")
    await control.until(lambda c: c.progress and c.progress[-1]["speed"] == "paused")
    before = control.progress[-1]["t_us"]
    await control.send(action="step")
    await control.until(lambda c: c.progress[-1]["t_us"] > before)
    assert not control.errors
    assert control.progress[-1]["speed"] == "paused"
    await control.close()
