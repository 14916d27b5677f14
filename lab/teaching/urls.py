from __future__ import annotations

from django.urls import path

from lab.teaching import views

urlpatterns = [
    path("runs/<str:run_id>/teaching/", views.run_panel, name="run-teaching"),
    path("s/<slug:slug>/class/", views.class_new, name="class-new"),
    path("class/", views.class_join, name="class-join"),
    path("class/<str:code>/join/", views.class_join, name="class-join-code"),
    path("class/<str:code>/", views.class_dashboard, name="class-dashboard"),
    path("class/<str:code>/live/", views.class_rows, name="class-rows"),
    path("class/<str:code>/control/", views.class_control, name="class-control"),
    path("class/<str:code>/results.csv", views.class_csv, name="class-csv"),
    path("class/<str:code>/students/<int:student>/", views.class_watch, name="class-watch"),
]
