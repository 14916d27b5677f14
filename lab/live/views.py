"""Live run pages: start a run, open it by its link, and the recording of it."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from lab import specs
from lab.live import frames, host, tokens
from lab.live.consumers import SESSION_KEYS
from lab.live.models import Run
from lab.scenarios.models import Scenario


def _remember(request: HttpRequest, run_id: str, token: str) -> None:
    keys = dict(request.session.get(SESSION_KEYS, {}))
    keys[run_id] = token
    request.session[SESSION_KEYS] = keys


def _denied(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "live/denied.html", {"reason": reason}, status=403)


@require_POST
def run_start(request: HttpRequest, slug: str) -> HttpResponse:
    """Start a live run of a scenario: a frozen copy of it, our own control link."""
    scenario = get_object_or_404(Scenario.objects.select_related("topology"), slug=slug)
    spec = specs.scenario_to_dict(scenario)
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
        **_links(request, run, role, token),
    )
    response = render(request, "live/run.html", ctx)
    if embed:
        response.xframe_options_exempt = True  # type: ignore[attr-defined]
    return response


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
    )
    return render(request, "live/recording.html", ctx)
