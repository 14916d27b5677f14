"""Live run pages: start a run, open it by its link, and the recording of it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from asgiref.sync import sync_to_async
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from lab import specs
from lab.engine.pcap import CaptureError, export_pcap
from lab.engine.spec import MAX_TIME_S
from lab.engine.units import S
from lab.live import capturelimits, frames, host, tokens
from lab.live.actions import LINE_MAX
from lab.live.consumers import SESSION_KEYS
from lab.live.models import Run
from lab.live.throttle import client_address, limit_run_starts
from lab.scenarios import secrets
from lab.scenarios.access import can_edit
from lab.scenarios.models import Scenario
from lab.teaching.views import panel_context


def _remember(request: HttpRequest, run_id: str, token: str) -> None:
    keys = dict(request.session.get(SESSION_KEYS, {}))
    keys[run_id] = token
    request.session[SESSION_KEYS] = keys


def _denied(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "live/denied.html", {"reason": reason}, status=403)


@require_POST
@limit_run_starts
def run_start(request: HttpRequest, slug: str) -> HttpResponse:
    """Start a live run of a scenario: a frozen copy of it, our own control link."""
    scenario = get_object_or_404(Scenario.objects.select_related("topology"), slug=slug)
    spec = specs.scenario_to_dict(scenario)
    if not scenario.is_builtin and not can_edit(request, scenario):
        spec = secrets.masked(spec)  # a visitor's run never holds the owner's keys
    run, control = Run.start(title=scenario.title, spec=spec, seed=scenario.seed, scenario=scenario)
    _remember(request, run.id, control)
    return HttpResponseRedirect(reverse("run", args=[run.id]))


def _links(request: HttpRequest, run: Run, role: str, token: str) -> dict[str, str]:
    page = request.build_absolute_uri(reverse("run", args=[run.id]))
    watch = token if role == tokens.WATCH else tokens.watch_token(token)
    links = {
        "watch_link": f"{page}?{urlencode({'key': watch})}",
        "recording_link": request.build_absolute_uri(reverse("run-recording", args=[run.id]))
        + f"?{urlencode({'key': watch})}",
    }
    if role == tokens.CONTROL:
        links["control_link"] = f"{page}?{urlencode({'key': token})}"
    return links


@require_GET
def run_page(request: HttpRequest, run_id: str) -> HttpResponse:
    """The live lab. `?key=` opens it (then the key moves to the session and leaves the
    address bar); `?embed=1` is the minimal frame for an LMS iframe, which keeps the key
    in its URL because third-party iframes get no cookies; `?present=1`: larger type."""
    run = get_object_or_404(Run, pk=run_id)
    embed = request.GET.get("embed") == "1"
    present = request.GET.get("present") == "1"
    key = request.GET.get("key")
    if key is not None and not embed:
        if run.role_of(key) is None:
            return _denied(request, "That link is not valid for this run.")
        _remember(request, run.id, key)
        rest = {k: v for k, v in request.GET.items() if k in ("present",)}
        query = f"?{urlencode(rest)}" if rest else ""
        return HttpResponseRedirect(reverse("run", args=[run.id]) + query)
    token = key if embed else request.session.get(SESSION_KEYS, {}).get(run.id)
    role = run.role_of(token)
    if role is None or token is None:
        return _denied(request, "This browser holds no link for this run.")
    if embed and role == tokens.CONTROL:  # an embed is for watching: never with controls
        token, role = tokens.watch_token(token), tokens.WATCH
    rt = host.rebuild_run(run)
    renderer = frames.Renderer(rt)
    ctx = renderer.context(rt, speed=run.speed, epoch=run.epoch)
    ws_url = f"/ws/runs/{run.id}/"
    if embed:
        ws_url += f"?{urlencode({'key': token})}"
    ctx.update(
        run=run,
        role=role,
        embed=embed,
        present=present,
        ws_url=ws_url,
        base_template="live/embed_base.html" if embed else "base.html",
        **_capture_form(run),
        **_links(request, run, role, token),
    )
    # Teaching (lab.teaching): the question, challenge and class panel of this run, if any.
    if not embed:
        ctx.update(panel_context(request, run))
    response = render(request, "live/run.html", ctx)
    if embed:
        response.xframe_options_exempt = True  # type: ignore[attr-defined]
    return response


@require_GET
def run_complete(request: HttpRequest, run_id: str) -> JsonResponse:
    """Tab in a terminal: the line with its last word completed by the device's own CLI
    (`line` null when no single keyword fits), in the session's mode as it stands now."""
    run = get_object_or_404(Run, pk=run_id)
    token = request.session.get(SESSION_KEYS, {}).get(run.id)
    if run.role_of(token) != tokens.CONTROL:
        return JsonResponse({"error": "only the control link can type on this run"}, status=403)
    device, line = request.GET.get("device", ""), request.GET.get("line", "")
    if len(line) > LINE_MAX:
        return JsonResponse({"error": f"line: at most {LINE_MAX} characters"}, status=400)
    rt = host.rebuild_run(run)
    if device not in rt.sessions:
        return JsonResponse(
            {"error": f"device: no device with a CLI called {device!r}"}, status=400
        )
    return JsonResponse({"line": rt.sessions[device].complete(line)})


@require_GET
def run_recording(request: HttpRequest, run_id: str) -> HttpResponse:
    """Replay a run from its log at any speed, seeking to any moment (read-only)."""
    run = get_object_or_404(Run, pk=run_id)
    key = request.GET.get("key")
    if key is not None:
        if run.role_of(key) is None:
            return _denied(request, "That link is not valid for this run.")
        _remember(request, run.id, key)
        return HttpResponseRedirect(reverse("run-recording", args=[run.id]))
    token = request.session.get(SESSION_KEYS, {}).get(run.id)
    if run.role_of(token) is None:
        return _denied(request, "This browser holds no link for this run.")
    end_us = host.clock_now(run)
    rt = host.rebuild_run(run, until_us=0)
    ctx = frames.Renderer(rt).context(rt, speed="paused", epoch=run.epoch)
    ctx.update(
        run=run,
        end_us=end_us,
        end_s=end_us // 1_000_000,
        end_clock=frames.present.clock(end_us),
        ws_url=f"/ws/runs/{run.id}/recording/",
        **_capture_form(run),
    )
    return render(request, "live/recording.html", ctx)


def _capture_request(run: Run, query: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The capture form's values and its errors by field (empty: valid)."""
    links = specs_links(run)
    values = {
        "link": query.get("link", "internet" if "internet" in links else links[0]),
        "from_s": query.get("from_s", "0:00:00"),
        "to_s": query.get("to_s", "0:00:30"),
    }
    errors: dict[str, str] = {}
    if values["link"] not in links:
        errors["link"] = f"choose one of {', '.join(links)}"
    seconds: dict[str, float] = {}
    for key in ("from_s", "to_s"):
        try:
            sec = parse_clock(values[key])
            if not sec <= MAX_TIME_S:
                raise ValueError(values[key])
            seconds[key] = sec
        except (TypeError, ValueError):
            errors[key] = (
                f"a time as on the page's clock, H:MM:SS (or a number of seconds), "
                f"at most {MAX_TIME_S} s"
            )
    if not errors and seconds["to_s"] <= seconds["from_s"]:
        errors["to_s"] = "must be after the start of the window"
    if not errors:
        window_s = seconds["to_s"] - seconds["from_s"]
        if problem := capturelimits.size_problem(run.spec, values["link"], window_s):
            errors["to_s"] = problem
    for key, sec in seconds.items():
        values[key.replace("_s", "_clock")] = frames.present.clock(int(sec * S))
    values.update(seconds)
    return values, errors


def parse_clock(text: Any) -> float:
    """Simulated time as the page shows it, `H:MM:SS`, `M:SS` (fractions allowed), or
    plain seconds; ValueError unless it is 0 or more and each field in range."""
    parts = str(text).strip().split(":")
    if not 1 <= len(parts) <= 3 or not all(parts):
        raise ValueError(text)
    *whole, last = parts
    total = 0.0
    for i, p in enumerate(whole):
        n = int(p)
        if n < 0 or (i and n > 59):
            raise ValueError(text)
        total = total * 60 + n
    sec = float(last)
    if not 0 <= sec < (60 if whole else float("inf")) or sec != sec:
        raise ValueError(text)
    return total * 60 + sec if whole else sec


def _capture_form(run: Run) -> dict[str, Any]:
    """The capture form as the page first shows it."""
    values, _ = _capture_request(run, {})
    return {"links": specs_links(run), "values": values, "errors": {}}


def specs_links(run: Run) -> list[str]:
    return [link["id"] for link in run.spec["topology"]["links"]]


async def run_capture(request: HttpRequest, run_id: str) -> HttpResponse:
    """A libpcap file of one link for a window of the run, or its Wireshark esp_sa file.

    Built in a worker thread from the run's log, so a run's stepping loop never waits."""
    run = await Run.objects.filter(pk=run_id).afirst()
    if run is None:
        raise Http404("no such run")
    session_keys = await sync_to_async(lambda: request.session.get(SESSION_KEYS, {}))()
    role = run.role_of(session_keys.get(run.id))
    if role is None:
        return await sync_to_async(_denied)(request, "This browser holds no link for this run.")
    if role != tokens.CONTROL:
        return await sync_to_async(_denied)(request, "Packet captures need the control link.")
    values, errors = _capture_request(run, request.GET)
    address = client_address(request)
    busy = "" if errors else capturelimits.slots().take(address)
    if busy:
        ctx = {"run": run, "values": values, "links": specs_links(run)}
        ctx["errors"] = {"window": f"Try again in a moment: {busy}."}
        return await sync_to_async(render)(request, "live/capture.html", ctx, status=429)
    if not errors:
        try:
            response = await _capture(request, run, values, errors)
        finally:
            capturelimits.slots().give(address)
        if response is not None:
            return response
    ctx = {"run": run, "values": values, "errors": errors, "links": specs_links(run)}
    return await sync_to_async(render)(request, "live/capture.html", ctx, status=400)


async def _capture(
    request: HttpRequest, run: Run, values: dict[str, Any], errors: dict[str, str]
) -> HttpResponse | None:
    """The capture file as a download; None (with `errors` filled) when it cannot be made."""
    actions = await sync_to_async(host.log_of)(run)
    try:
        pcap, esp_sa = await sync_to_async(export_pcap, thread_sensitive=False)(
            run.spec,
            run.seed,
            actions,
            values["link"],
            int(values["from_s"] * S),
            int(values["to_s"] * S),
        )
    except CaptureError as exc:
        errors["window"] = str(exc)
    else:
        name = f"{run.spec.get('slug', 'run')}-{run.id}-{values['link']}"
        if request.GET.get("format") == "esp_sa":
            if not esp_sa:
                errors["format"] = "this window holds no ESP: there is nothing to decrypt"
            else:
                response = HttpResponse(esp_sa, content_type="text/plain; charset=utf-8")
                response["Content-Disposition"] = f'attachment; filename="{name}.pcap.esp_sa"'
                return response
        if not errors:
            response = HttpResponse(pcap, content_type="application/vnd.tcpdump.pcap")
            response["Content-Disposition"] = f'attachment; filename="{name}.pcap"'
            return response
    return None
