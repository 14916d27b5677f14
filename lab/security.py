"""Hardening that sits around every request: body size, Content-Security-Policy, and a
logging filter that keeps run tokens out of every log line.

Run links carry their token in the query string (`?key=...`) and servers like to log
URLs (daphne's and Django's development server's request lines, error reports), so
every log handler the settings configure runs `RedactSecrets` first.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Callable, Iterable
from typing import IO, Any

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


def too_large_text(limit: int, size: int | None) -> str:
    what = f"{size} bytes" if size is not None else f"over {limit} bytes"
    return (
        f"Request too large: {what}; this server accepts at most {limit} bytes "
        f"per request (configs and scenario files included).\n"
    )


def _too_large(limit: int, size: int) -> HttpResponse:
    return HttpResponse(
        too_large_text(limit, size), status=413, content_type="text/plain; charset=utf-8"
    )


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: a body over `limit` bytes is refused with 413 before the app
    reads it: at once when Content-Length says so, else (chunked) as soon as the chunks
    received cross the limit. Django's ASGI handler would otherwise spool it all first.
    (daphne buffers bodies itself before calling any app: lab.daphneguard covers that.)"""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None:
            try:
                size = int(length)
            except ValueError:
                await _plain(send, 400, "Bad Content-Length.\n")
                return
            if size > self.limit:
                await _plain(send, 413, too_large_text(self.limit, size))
                return
        received = 0
        started = False

        async def counted_receive() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _TooLarge
            return message

        async def watched_send(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except _TooLarge:
            if not started:
                await _plain(send, 413, too_large_text(self.limit, None))


async def _plain(send: Any, status: int, text: str) -> None:
    body = text.encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


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


# Cells a spreadsheet would run as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text: `=HYPERLINK(...)` becomes
    `'=HYPERLINK(...)`. Numbers stay numbers (a negative number is not a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, out: IO[str]) -> None:
        self.writer = csv.writer(out)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self.writer.writerow([csv_cell(c) for c in row])


def safe_csv_writer(out: IO[str]) -> _SafeWriter:
    """csv.writer whose cells pass through `csv_cell`."""
    return _SafeWriter(out)
