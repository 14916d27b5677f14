"""URL routes for HTTP; websocket routes live in lab/routing.py."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from lab.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
