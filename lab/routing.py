"""Websocket URL routes, wrapped by lab/asgi.py. Later issues add their consumers here."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from lab.live.routing import websocket_urlpatterns as live_routes

websocket_urlpatterns: list[URLPattern | URLResolver] = [*live_routes]
