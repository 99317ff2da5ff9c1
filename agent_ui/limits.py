"""Refuse an oversized request body: 413 in the one error shape, counted on the bytes received.

A declared ``Content-Length`` over the limit is refused before any byte is read. A body without one
(chunked) is counted as it comes and refused once past the limit: the rest is read and dropped (up
to 64 MiB, so that the client reads the 413 instead of a reset), never held, never parsed.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_OVERHEAD = 64 * 1024  # multipart boundaries and headers around the file
_JSON_LIMIT = 4 * 1024 * 1024
_WITH_BODY = ("POST", "PUT", "PATCH", "DELETE")
_DISCARD_MAX = 64 * 1024 * 1024  # past this, the connection is simply closed after the 413


class UploadLimit:
    """Pure ASGI middleware: uploads get the attachment limit (plus multipart overhead), the rest 4 MiB."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def limit_for(self, path: str) -> int:
        return self.max_bytes + _OVERHEAD if _is_upload(path) else _JSON_LIMIT

    def refusal(self, path: str) -> str:
        """The 413's sentence: an upload's file limit (without the form's room), else the body's."""
        if _is_upload(path):
            return f"The file is too large: the most is {_size(self.max_bytes)}."
        return f"This is too large to send: the most is {_size(_JSON_LIMIT)}."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in _WITH_BODY:
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _too_large(send, limit, self.refusal(scope["path"]))
            return
        chunks: list[bytes] = []
        received = 0
        while True:  # the whole body, counted as it comes, before the app sees any of it
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                if message.get("more_body", False):
                    await _discard_rest(receive)
                await _too_large(send, limit, self.refusal(scope["path"]))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([body], receive), send)


async def _discard_rest(receive: Receive) -> None:
    """Read and drop the rest of the body (up to ``_DISCARD_MAX``), so that the client, still
    sending, reads our 413 rather than a reset connection; nothing of it is kept."""
    dropped = 0
    while dropped <= _DISCARD_MAX:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        dropped += len(message.get("body", b""))


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """``messages`` first, then whatever the server sends next (a disconnect)."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


def _size(limit: int) -> str:
    """A limit as a person reads it: "10 MB", "64 KB" (rounded down)."""
    if limit >= 1 << 20:
        return f"{limit >> 20:,} MB"
    return f"{max(1, limit >> 10):,} KB"


def _is_upload(path: str) -> bool:
    return path.endswith("/attachments")


async def _too_large(send: Send, limit: int, said: str) -> None:
    body = json.dumps({"error_id": "payload-too-large", "message": said,
                       "details": {"body": f"at most {limit} bytes"}}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
