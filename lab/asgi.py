"""ASGI entry point: HTTP goes to Django, websockets to the Channels routes.

Django's ASGI app is built before anything imports consumers or models, so the app
registry is ready by the time lab.routing is imported. Bodies over LAB_MAX_REQUEST_BYTES
are refused before anyone buffers them (lab.security.BodyLimit for any ASGI server,
lab.daphneguard inside daphne, which reads bodies before calling the app), and daphne's
access log has `?key=` tokens blanked out.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lab.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from lab import daphneguard  # noqa: E402
from lab.routing import websocket_urlpatterns  # noqa: E402
from lab.security import BodyLimit  # noqa: E402

daphneguard.limit_bodies(settings.LAB_MAX_REQUEST_BYTES)
daphneguard.redact_access_log()

application = ProtocolTypeRouter(
    {
        "http": BodyLimit(django_asgi_app, settings.LAB_MAX_REQUEST_BYTES),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
