"""Thin function views: they render templates and report; they decide nothing."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from lab.scenarios import access
from lab.scenarios.models import Scenario
from lab.web import health


@vary_on_headers("HX-Request")
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The landing page with the scenario library, filtered by `?topic=` and `?mine=1`."""
    topics = Scenario.objects.topics()
    topic = request.GET.get("topic", "")
    mine = request.GET.get("mine") == "1"
    scenarios = Scenario.objects.library(
        topic=topic, mine=mine, user=request.user, slugs=access.my_slugs(request)
    )
    context = {"scenarios": scenarios, "topics": topics, "topic": topic, "mine": mine}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "home.html#card_list", context)
    return render(request, "home.html", context)


@never_cache
@require_GET
async def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the channel layer both answer, 503 naming the failure."""
    parts = await health.run_checks()
    healthy = all(value == "ok" for value in parts.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **parts},
        status=200 if healthy else 503,
    )
