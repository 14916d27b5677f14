"""Websocket URL routes, wrapped by lab/asgi.py. Later issues add their consumers here.

Any other path is refused by `UnknownPath` (the handshake is rejected: daphne answers
403) instead of URLRouter's "No route found" exception and its logged traceback.
"""

from __future__ import annotations

from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import URLPattern, URLResolver, re_path

from lab.live.routing import websocket_urlpatterns as live_routes


class UnknownPath(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.close(code=4404)


websocket_urlpatterns: list[URLPattern | URLResolver] = [
    *live_routes,
    re_path(r"", UnknownPath.as_asgi()),
]
