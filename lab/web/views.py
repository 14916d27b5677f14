"""Thin function views: they render templates and report; they decide nothing."""

from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_http_methods
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


@cache_control(max_age=86400, public=True)
@require_GET
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico whatever the page links: send them to the icon."""
    return HttpResponseRedirect(static("img/favicon.svg"))


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """An account (Django's own UserCreationForm): the copies you make follow you."""
    form = UserCreationForm(request.POST or None)
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        safe = url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()})
        return redirect(nxt if nxt and safe else "home")
    status = 422 if request.method == "POST" else 200
    return render(request, "registration/signup.html", {"form": form, "next": nxt}, status=status)
