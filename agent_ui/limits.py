"""Refuse an oversized request before its body is read: 413 in the one error shape."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

_OVERHEAD = 64 * 1024  # multipart boundaries and headers around the file
_JSON_LIMIT = 4 * 1024 * 1024


class UploadLimit:
    """Pure ASGI middleware: checks ``Content-Length`` (uploads: the attachment limit, else 4 MiB)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") in ("POST", "PUT", "PATCH"):
            limit = self.max_bytes + _OVERHEAD if scope["path"].endswith("/attachments") else _JSON_LIMIT
            length = dict(scope.get("headers") or []).get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > limit):
                body = json.dumps({"error_id": "payload-too-large",
                                   "message": f"the body exceeds {limit} bytes",
                                   "details": {"body": f"at most {limit} bytes"}}).encode()
                await send({"type": "http.response.start", "status": 413,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
