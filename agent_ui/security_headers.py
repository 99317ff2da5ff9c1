"""Headers every HTTP answer carries (API, ``/docs``, pages, files): no MIME sniffing, no referrer
beyond our own origin, and, when ``SWITCHBOARD_PUBLIC_URL`` is https, HSTS (browsers then refuse
plain http to this host for a year). A header a route set itself (the pages' stricter set) is kept.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS = b"max-age=31536000; includeSubDomains"


def security_headers(https: bool) -> list[tuple[bytes, bytes]]:
    headers = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
    return headers + ([(b"strict-transport-security", HSTS)] if https else [])


class SecurityHeaders:
    """Pure ASGI middleware adding :func:`security_headers` to every response start."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.headers = security_headers(https)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                added = [(name, value) for name, value in self.headers if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
