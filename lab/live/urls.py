from __future__ import annotations

from django.urls import path

from lab.live import views

urlpatterns = [
    path("s/<slug:slug>/start/", views.run_start, name="scenario-start"),
    path("runs/<str:run_id>/", views.run_page, name="run"),
    path("runs/<str:run_id>/recording/", views.run_recording, name="run-recording"),
    path("runs/<str:run_id>/capture/", views.run_capture, name="run-capture"),
    path("runs/<str:run_id>/complete/", views.run_complete, name="run-complete"),
]
