from __future__ import annotations

from django.urls import path

from lab.live import consumers, recording

websocket_urlpatterns = [
    path("ws/runs/<str:run_id>/", consumers.RunConsumer.as_asgi()),
    path("ws/runs/<str:run_id>/recording/", recording.RecordingConsumer.as_asgi()),
]
