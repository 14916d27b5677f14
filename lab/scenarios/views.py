"""Scenario pages: read, picture, export, fork, start, edit (with its key) and import.

Thin views: rules live on the models, in `lab.specs`, `access` and `editor`.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from lab import specs
from lab.engine.errors import SpecError
from lab.engine.library import builtin_dict
from lab.live.throttle import limit_copies
from lab.scenarios import access, editor, secrets
from lab.scenarios.derive import derive_scenario
from lab.scenarios.forms import ConfigImportForm, JsonImportForm
from lab.scenarios.models import Scenario
from lab.scenarios.outcome import describe_expect
from lab.scenarios.svg import render_svg

IMPORT_TEMPLATE_SLUG = "default-drop"  # link and flow defaults for imported configs


def _owner(request: HttpRequest) -> Any:
    return request.user if request.user.is_authenticated else None


def _picture(scenario: Scenario) -> dict[str, Any]:
    """The topology picture, or the engine's reason it cannot be drawn."""
    try:
        graph = scenario.topology.to_graph()
    except SpecError as exc:
        return {"svg": "", "topology_problem": str(exc)}
    # render_svg escapes every text and attribute it writes.
    return {"svg": mark_safe(render_svg(graph)), "topology_problem": ""}


def _forbidden(request: HttpRequest, scenario: Scenario) -> HttpResponse:
    return render(request, "scenarios/forbidden.html", {"scenario": scenario}, status=403)


@require_safe
def scenario_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The scenario page: instructions, picture, hidden expected outcome, actions."""
    scenario = get_object_or_404(Scenario.objects.select_related("topology"), slug=slug)
    context = {
        "scenario": scenario,
        "expect_lines": describe_expect(scenario.expect),
        "can_edit": access.can_edit(request, scenario),
        **_picture(scenario),
    }
    return render(request, "scenarios/scenario.html", context)


@require_safe
def scenario_topology(request: HttpRequest, slug: str) -> HttpResponse:
    """The topology picture partial alone (redrawn by htmx after an edit)."""
    scenario = get_object_or_404(Scenario, slug=slug)
    context = {"scenario": scenario, **_picture(scenario)}
    return render(request, "scenarios/scenario.html#topology", context)


@require_safe
def scenario_export(request: HttpRequest, slug: str) -> HttpResponse:
    """The scenario file (docs/scenario-format.md) as a JSON download."""
    scenario = get_object_or_404(Scenario, slug=slug)
    d = specs.scenario_to_dict(scenario)
    if not scenario.is_builtin and not access.can_edit(request, scenario):
        d = secrets.masked(d)  # keys and password hashes are the owner's
    body = json.dumps(d, indent=2, ensure_ascii=False) + "\n"
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{scenario.slug}.json"'
    return response


@require_POST
@limit_copies
def scenario_fork(request: HttpRequest, slug: str) -> HttpResponse:
    """Copy any scenario into a new one this visitor can edit."""
    scenario = get_object_or_404(Scenario, slug=slug)
    fork = scenario.fork(owner=_owner(request))
    # Two forks of one scenario must not look the same in a list: name the copy.
    fork.title = f"{scenario.title} (copy {fork.slug.rsplit('-', 1)[-1]})"[:300]
    fork.save(update_fields=["title"])
    access.announce_copy(request, fork)
    return redirect("scenario-edit", slug=fork.slug)


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def scenario_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """The editor of a fork; needs its edit key (a `?key=` link, the session) or ownership."""
    scenario = get_object_or_404(Scenario.objects.select_related("topology"), slug=slug)
    key = request.GET.get("key")
    if key is not None:
        if not scenario.key_matches(key):
            return _forbidden(request, scenario)
        access.remember_key(request, scenario)  # then drop the key from the address bar
        return HttpResponseRedirect(reverse("scenario-edit", args=[slug]))
    if not access.can_edit(request, scenario):
        return _forbidden(request, scenario)
    url = reverse("scenario-validate", args=[slug])
    d = specs.scenario_to_dict(scenario)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in editor.ACTIONS:
            return HttpResponseBadRequest("unknown form")
        if action in editor.ROW_EDITORS and "add_row" in request.POST:
            data = editor.with_new_row(request.POST, action)
            forms = editor.build(d, action=action, data=data, url=url)
            if request.htmx:
                context = {"scenario": scenario, "forms": forms}
                return render(request, f"scenarios/edit.html#{action}_section", context)
        else:
            forms = editor.build(d, action=action, data=request.POST, url=url)
            saved = editor.submit(scenario, d, forms[action])
            if saved and not request.htmx:
                return HttpResponseRedirect(
                    f"{reverse('scenario-edit', args=[slug])}?saved={action}"
                )
            if request.htmx:  # htmx swaps 2xx only: errors come back as 200 too
                return _edited_section(request, scenario, forms, action, saved=saved, url=url)
            status = 422
    else:
        forms = editor.build(d, url=url)
    context = {
        "scenario": scenario,
        "forms": forms,
        "saved": request.GET.get("saved"),
        "fresh": access.take_announcement(request, scenario),
        "edit_link": request.build_absolute_uri(
            f"{reverse('scenario-edit', args=[slug])}?key={scenario.edit_key}"
        ),
        **_picture(scenario),
    }
    return render(request, "scenarios/edit.html", context, status=status)


def _edited_section(
    request: HttpRequest,
    scenario: Scenario,
    forms: dict[str, Any],
    action: str,
    *,
    saved: bool,
    url: str,
) -> HttpResponse:
    """The section just submitted (htmx); after a save, the sections showing the same
    event script come along out of band, and the picture is asked to redraw."""
    if not saved:
        return render(
            request,
            f"scenarios/edit.html#{action}_section",
            {"scenario": scenario, "forms": forms, "saved": ""},
        )
    forms = editor.build(specs.scenario_to_dict(scenario), url=url)
    context = {"scenario": scenario, "forms": forms, "saved": action}
    parts = [render_to_string(f"scenarios/edit.html#{action}_section", context, request)]
    if action in editor.EVENT_SECTIONS:
        for other in editor.EVENT_SECTIONS:
            if other != action:
                html = render_to_string(
                    f"scenarios/edit.html#{other}_section", {**context, "oob": True}, request
                )
                parts.append(html)
    return trigger_client_event(HttpResponse("\n".join(parts)), "topology-changed")


@require_POST
def scenario_validate(request: HttpRequest, slug: str) -> HttpResponse:
    """The error list of one editor field (htmx, on change); saves nothing."""
    scenario = get_object_or_404(Scenario, slug=slug)
    if not access.can_edit(request, scenario):
        return _forbidden(request, scenario)
    action = request.POST.get("action", "")
    if action not in editor.ACTIONS:
        return HttpResponse("unknown form", status=400)
    d = specs.scenario_to_dict(scenario)
    form = editor.build(d, action=action, data=request.POST)[action]
    editor.check(d, form)
    field = editor.bound_field(form, request.POST.get("field", ""))
    if field is None:
        return HttpResponse("unknown field", status=400)
    warnings = form.warnings.get(field.name, []) if hasattr(form, "warnings") else []
    context = {"field": field, "warnings": warnings}
    return render(request, "scenarios/edit.html#field_errors", context)


@require_http_methods(["GET", "POST"])
@limit_copies
def import_page(request: HttpRequest) -> HttpResponse:
    """New scenario from two ASA running configs, or from a scenario JSON file."""
    action = request.POST.get("action") if request.method == "POST" else None
    data, files = (request.POST, request.FILES) if action else (None, None)
    configs = ConfigImportForm(data if action == "configs" else None, files)
    json_form = JsonImportForm(data if action == "json" else None, files)
    derivation = None
    if action == "configs" and configs.is_valid():
        derivation = derive_scenario(
            configs.config("bo"),
            configs.config("ho"),
            slug=Scenario.unused_slug("imported"),
            template=builtin_dict(IMPORT_TEMPLATE_SLUG),
        )
        if derivation.ok and derivation.scenario is not None:
            try:
                scenario = specs.scenario_from_dict(
                    derivation.scenario, origin=Scenario.IMPORT, owner=_owner(request)
                )
            except SpecError as exc:
                configs.add_error(None, specs.describe_error(exc, derivation.scenario))
            else:
                notes = derivation.notes()  # kept lines grouped by section
                access.announce_copy(request, scenario, warnings=notes)
                return redirect("scenario-edit", slug=scenario.slug)
    if action == "json" and json_form.is_valid():
        d = dict(json_form.cleaned_data["data"])
        d["slug"] = Scenario.slug_for_copy(str(d.get("slug") or "imported"))
        try:
            scenario = specs.scenario_from_dict(d, origin=Scenario.IMPORT, owner=_owner(request))
        except SpecError as exc:
            json_form.add_error(None, specs.describe_error(exc, d))
        else:
            access.announce_copy(request, scenario)
            return redirect("scenario-edit", slug=scenario.slug)
    context = {"configs": configs, "json_form": json_form, "derivation": derivation}
    return render(request, "scenarios/import.html", context, status=422 if action else 200)
