"""Two guards on daphne itself, installed by lab/asgi.py when daphne serves the app.

daphne (on Twisted) reads a whole request body into memory or a temporary file before it
calls the ASGI application, so no ASGI middleware can refuse a 400 MB upload in time.
`limit_bodies` makes daphne's request refuse a body over the limit as it arrives: at the
headers when Content-Length says so, else (chunked) at the chunk that crosses it, with a
413 that names the limit; the rest of the body is read and dropped, never stored.

daphne's access log (on stdout by default) prints request lines verbatim, `?key=` run
tokens included; `redact_access_log` passes each line through lab.security.redact.

Both patch daphne's classes (it has no hook for either); they are idempotent.
"""

from __future__ import annotations

from typing import Any

from lab.security import redact, too_large_text

ABORT_AFTER_S = 10  # a refused client that keeps sending is cut off after this


def limit_bodies(limit: int) -> None:
    from daphne.http_protocol import WebRequest

    if getattr(WebRequest, "_lab_limit", None) is not None:
        WebRequest._lab_limit = limit
        return
    got_length, handle_chunk, process = (
        WebRequest.gotLength,
        WebRequest.handleContentChunk,
        WebRequest.process,
    )

    def _refuse(self: Any, size: int | None) -> None:
        self._lab_refused = True
        self.content = _Discard()
        body = too_large_text(WebRequest._lab_limit, size).encode()
        channel = self.channel
        channel.transport.write(
            b"HTTP/1.1 413 Content Too Large\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n"
            b"Connection: close\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        from twisted.internet import reactor

        reactor.callLater(ABORT_AFTER_S, channel.transport.abortConnection)  # type: ignore[attr-defined]

    def gotLength(self: Any, length: int | None) -> None:  # noqa: N802 - Twisted's name
        self._lab_received = 0
        self._lab_refused = False
        if length is not None and length > WebRequest._lab_limit:
            _refuse(self, length)
            return
        got_length(self, length)

    def handleContentChunk(self: Any, data: bytes) -> None:  # noqa: N802 - Twisted's name
        if self._lab_refused:
            return
        self._lab_received += len(data)
        if self._lab_received > WebRequest._lab_limit:
            self.content.close()
            _refuse(self, None)
            return
        handle_chunk(self, data)

    def guarded_process(self: Any) -> Any:
        if getattr(self, "_lab_refused", False):
            self.channel.transport.loseConnection()
            return None
        return process(self)

    WebRequest._lab_limit = limit
    WebRequest.gotLength = gotLength
    WebRequest.handleContentChunk = handleContentChunk
    WebRequest.process = guarded_process


class _Discard:
    """Stands in for a refused request's content file: writes vanish."""

    def write(self, data: bytes) -> None:
        pass

    def seek(self, *args: Any) -> int:
        return 0

    def read(self, *args: Any) -> bytes:
        return b""

    def close(self) -> None:
        pass

    closed = False


def redact_access_log() -> None:
    from daphne.access import AccessLogGenerator

    if getattr(AccessLogGenerator, "_lab_redacts", False):
        return
    write_entry = AccessLogGenerator.write_entry

    def redacted(self: Any, host: Any, date: Any, request: str, *args: Any, **kw: Any) -> None:
        write_entry(self, host, date, redact(request), *args, **kw)

    AccessLogGenerator.write_entry = redacted
    AccessLogGenerator._lab_redacts = True
