"""Routes serving the HTML pages and their static files.

``/login`` is open; ``/``, ``/customers/{id}``, ``/supervisor`` and ``/admin`` need the sign-in
cookie (else a redirect to ``/login?next=...``) and the right role (else a redirect to the desktop).
The shells hold no data: their modules fetch it from the API with the same cookie, so the API's
role checks (an agent gets 404 for another agent's customer) apply to the pages as they are.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from agent_ui.pages.render import SECURITY_HEADERS, Viewer, render_page, with_connect_sources
from agent_ui.services import Services
from agent_ui.sessions import user_for_token
from agent_ui.tokens import COOKIE_NAME

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon"}
_SUPERVISORS = ("supervisor", "admin")


async def _viewer(request: Request) -> Viewer | None:
    """Who the cookie's session is, from the store (an ended session or a changed role counts)."""
    services: Services | None = getattr(request.app.state, "services", None)
    token = request.cookies.get(COOKIE_NAME)
    if services is None or not token:
        return None
    found = await user_for_token(services, token)
    return None if found is None else Viewer(found[0].username, found[0].role.value, found[0].timezone)


def _page(page: str, title: str, viewer: Viewer | None, **data: str) -> HTMLResponse:
    return HTMLResponse(render_page(page, title, viewer, **data), headers=SECURITY_HEADERS)


def _with_phone(response: HTMLResponse, request: Request) -> HTMLResponse:
    """The desk's phone connects to the PBX's SIP WebSocket (and Twilio): allow those in its CSP."""
    services: Services | None = getattr(request.app.state, "services", None)
    if services is not None:
        from agent_ui.phone_sources import phone_connect_sources

        headers = with_connect_sources(SECURITY_HEADERS, phone_connect_sources(services.settings))
        response.headers["Content-Security-Policy"] = headers["Content-Security-Policy"]
    return response


def _settings_data(request: Request, viewer: Viewer | None = None) -> dict[str, str]:
    """``timezone``: the zone the page shows and takes times in: the user's own, else the centre's."""
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        return {}
    s = services.settings
    zone = (viewer.timezone if viewer is not None else None) or s.timezone
    return {"currency": s.currency, "timezone": zone, "centre_timezone": s.timezone,
            "sl_seconds": str(s.service_level_seconds)}


async def _gate(request: Request, roles: tuple[str, ...] | None) -> Viewer | RedirectResponse:
    viewer = await _viewer(request)
    if viewer is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    if roles is not None and viewer.role not in roles:
        return RedirectResponse("/", status_code=303)
    return viewer


def build_pages_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/login", name="login_page")
    async def login() -> Response:
        return _page("login", "Sign in · Switchboard", None)

    @router.get("/")
    async def desk(request: Request) -> Response:
        viewer = await _gate(request, None)
        if isinstance(viewer, RedirectResponse):
            return viewer
        return _with_phone(_page("desk", "Agent desktop · Switchboard", viewer,
                                 **_settings_data(request, viewer)), request)

    @router.get("/customers/{customer_id}")
    async def desk_customer(request: Request, customer_id: str) -> Response:
        """Any text: the desk says "No customer abc was found ..." (a JSON 422 is no page for a person)."""
        viewer = await _gate(request, None)
        if isinstance(viewer, RedirectResponse):
            return viewer
        return _with_phone(_page("desk", "Customer · Switchboard", viewer, customer=customer_id[:40],
                                 **_settings_data(request, viewer)), request)

    @router.get("/supervisor")
    async def supervisor(request: Request) -> Response:
        viewer = await _gate(request, _SUPERVISORS)
        if isinstance(viewer, RedirectResponse):
            return viewer
        return _page("supervisor", "Supervisor · Switchboard", viewer, **_settings_data(request, viewer))

    @router.get("/admin")
    async def admin(request: Request) -> Response:
        viewer = await _gate(request, ("admin",))
        if isinstance(viewer, RedirectResponse):
            return viewer
        return _page("admin", "Admin · Switchboard", viewer, **_settings_data(request, viewer))

    @router.get("/static/{path:path}")
    async def static(path: str) -> Response:
        target = (STATIC_DIR / path).resolve()
        kind = _TYPES.get(target.suffix)
        if kind is None or not target.is_relative_to(STATIC_DIR) or not target.is_file():
            return Response("not found", status_code=404, media_type="text/plain")
        return FileResponse(target, media_type=kind,
                            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})

    @router.get("/favicon.ico")
    async def favicon() -> Response:
        return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")

    return router
