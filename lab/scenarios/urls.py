from __future__ import annotations

from django.urls import path

from lab.scenarios import views

urlpatterns = [
    path("import/", views.import_page, name="scenario-import"),
    path("s/<slug:slug>/", views.scenario_detail, name="scenario-detail"),
    path("s/<slug:slug>/topology/", views.scenario_topology, name="scenario-topology"),
    path("s/<slug:slug>/export.json", views.scenario_export, name="scenario-export"),
    path("s/<slug:slug>/fork/", views.scenario_fork, name="scenario-fork"),
    path("s/<slug:slug>/edit/", views.scenario_edit, name="scenario-edit"),
    path("s/<slug:slug>/edit/validate/", views.scenario_validate, name="scenario-validate"),
]
