"""Hardening that sits around every request: body size, Content-Security-Policy, and a
logging filter that keeps run tokens out of every log line.

Run links carry their token in the query string (`?key=...`) and servers like to log
URLs (daphne's and Django's development server's request lines, error reports), so
every log handler the settings configure runs `RedactSecrets` first.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# key=... (our run links), and other names that carry secrets in URLs or headers.
SECRET_PARAM = re.compile(
    r"(?i)(\b(?:key|token|edit_key|sessionid|csrftoken|csrfmiddlewaretoken|password)=)"
    r"[^&\s\"'#;,]+"
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    return SECRET_PARAM.sub(lambda m: m.group(1) + REDACTED, text)


class RedactSecrets(logging.Filter):
    """Rewrites a record's message (and any traceback text) with secrets blanked out."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler to report
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def _too_large(limit: int, size: int) -> HttpResponse:
    return HttpResponse(
        f"Request too large: {size} bytes; this server accepts at most {limit} bytes "
        f"per request (configs and scenario files included).\n",
        status=413,
        content_type="text/plain; charset=utf-8",
    )


class RequestSizeMiddleware:
    """Refuses bodies over LAB_MAX_REQUEST_BYTES with a 413 that says so, before any
    parsing (Django's own DATA_UPLOAD_MAX_MEMORY_SIZE only answers a bare 400)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.limit = int(settings.LAB_MAX_REQUEST_BYTES)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            size = int(raw)
        except ValueError:
            return HttpResponse("Bad Content-Length.\n", status=400, content_type="text/plain")
        if size > self.limit:
            return _too_large(self.limit, size)
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Adds Content-Security-Policy from settings.LAB_CSP to every response.

    The websocket origin of this host is added to connect-src (older browsers do not
    count ws:// as 'self'). Responses that allow framing (the ?embed=1 run page, marked
    `xframe_options_exempt`) get frame-ancestors from LAB_EMBED_FRAME_ANCESTORS.
    Django's DEBUG error pages (inline script and style) are left without a policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy: dict[str, str] = dict(settings.LAB_CSP)
        self.embed_ancestors = str(settings.LAB_EMBED_FRAME_ANCESTORS)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" in response:
            return response
        if settings.DEBUG and response.status_code >= 400:
            return response
        response["Content-Security-Policy"] = self.header(request, response)
        return response

    def header(self, request: HttpRequest, response: Any) -> str:
        policy = dict(self.policy)
        try:
            host = request.get_host()
        except Exception:  # DisallowedHost: the response is an error page anyway
            host = ""
        if host:
            scheme = "wss" if request.is_secure() else "ws"
            policy["connect-src"] = f"{policy.get('connect-src', '')} {scheme}://{host}".strip()
        if getattr(response, "xframe_options_exempt", False):
            policy["frame-ancestors"] = self.embed_ancestors
        return "; ".join(f"{name} {value}" for name, value in policy.items())
