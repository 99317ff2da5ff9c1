"""The FastAPI application: ``create_app(settings)``; the one place where objects are wired together.

Nothing is created at import time. The lifespan builds the :class:`Services` (unless a test passes
its own), starts each component of :mod:`agent_ui.wiring` (or the ones a test names) and then the bus, and stops them in
reverse order. OpenAPI docs are at ``/docs``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from agent_ui.errors import install_error_handlers
from agent_ui.gc_policy import tune_after_startup
from agent_ui.limits import UploadLimit
from agent_ui.observability import RequestTimer
from agent_ui.openapi import install_openapi
from agent_ui.routes import (
    accounts,
    admin,
    assignments,
    attachments,
    auth,
    caller_search,
    contacts,
    customers,
    interactions,
    metrics,
    qa,
    reports,
)
from agent_ui.routes import tasks as task_routes
from agent_ui.security_headers import SecurityHeaders
from agent_ui.services import Component, Services, build_services
from agent_ui.wiring import carrier_routers, component_routers, default_components
from config.settings import Settings

log = logging.getLogger(__name__)

ROUTERS = (auth.router, customers.router, accounts.router, interactions.router, task_routes.router,
           attachments.router, assignments.router, admin.router, reports.router, caller_search.router,
           contacts.router, qa.router, metrics.router)


def create_app(settings: Settings, services: Services | None = None,
               components: Sequence[Component] | None = None, *, tune_gc: bool = False) -> FastAPI:
    """The app. With ``services`` given (tests), they are used as they are and not closed here.
    ``tune_gc`` (the served process only: it changes the whole interpreter) runs
    :func:`agent_ui.gc_policy.tune_after_startup` once everything has started."""
    parts = list(default_components(settings) if components is None else components)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        live = build_services(settings) if services is None else services
        app.state.services = live
        started: list[Component] = []
        try:
            for part in parts:
                await part.start(live)
                started.append(part)
            if owned:
                await live.start()
            if tune_gc:
                tune_after_startup(settings.gc_gen0_threshold)
            yield
        finally:
            for part in reversed(started):
                try:
                    await part.stop(live)
                except Exception:
                    log.exception("stopping %s failed", part.name)
            if owned:
                await live.close()

    app = FastAPI(title="Switchboard", version="0.1.0", lifespan=lifespan,
                  description="Contact-centre engine: customers, follow-up notes, promises, tasks.")
    app.state.services = services
    app.state.settings = settings
    install_error_handlers(app)
    install_openapi(app)
    app.add_middleware(UploadLimit, max_bytes=settings.attachment_max_bytes)
    app.add_middleware(RequestTimer)  # outside the upload limit: a refused upload is timed too
    app.add_middleware(SecurityHeaders, https=settings.public_url.startswith("https://"))  # outermost: every answer
    # the settings decide the routes, not what runs; the carriers' webhooks first (see carrier_routers)
    for router in (*carrier_routers(), *ROUTERS, *component_routers(settings)):
        mount_flat(app, router)
    return app


def mount_flat(app: FastAPI, router: APIRouter) -> None:
    """The router's routes go into the app's own list, in order. ``include_router`` (FastAPI 0.16x)
    keeps a router as a branch that each request walks through and then matches again: with our
    routers that cost 1.2-1.5 ms of CPU per request, more than most handlers (``bench/``). Our routers
    have no prefix and no include-time options, and their own dependencies are in each route, so the
    routes are the same: the OpenAPI document is identical (tests/api/test_app_routes.py)."""
    app.router.routes.extend(router.routes)
