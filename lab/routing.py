"""Websocket URL routes, wrapped by lab/asgi.py. Later issues add their consumers here."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

websocket_urlpatterns: list[URLPattern | URLResolver] = []
